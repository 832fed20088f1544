//! The member code (会员码): a large QR and the 18 digits in groups, made
//! on the phone from the member's secret every 30 seconds (RFC 6238, the
//! same code as the server's), with the clock corrected by the server's.
//! The secret is kept on the phone, so with no signal the code still shows
//! (the service worker serves the page). While the page is open it waits on
//! the member's pulse: when a clerk takes the code it moves to the next
//! one, and a write-off or a payment shows here at once (uses left, the
//! coupons, the balance).

use crate::shell::{require_login, use_brand, use_session};
use gloo::storage::Storage;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use shared::api::{MemberBalance, MemberCards, MemberCoupons, MyMemberCode, WaitMemberPulse};
use shared::dto::{
    CardState, CouponQuery, MemberCard, MemberCodeSecret, MemberCoupon, MemberPulse, PulseQuery,
};
use shared::member_code as mc;
use tongka_app::api::{self, ApiResult};
use tongka_app::components::{ErrorState, TopBar, card_lines, sleep};
use tongka_app::i18n::{T, tr, use_i18n};

tongka_app::split_page!(member_code => MemberCodePage);

/// What the phone keeps to make codes offline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Kept {
    code_id: String,
    secret: String,
    /// Server clock minus this phone's, in ms.
    offset_ms: i64,
    /// The first step a new code may use (after the last one a clerk
    /// took), so a page reloaded offline does not show a used code.
    #[serde(default)]
    next_step: i64,
}

fn kept_key(brand: &str) -> String {
    format!("tongka.member-code.{brand}")
}

/// Fetches the secret and the server's clock (half the round trip counted),
/// and keeps them.
async fn refresh(brand: &str, token: Option<String>) -> ApiResult<Kept> {
    let sent = js_sys::Date::now() as i64;
    let s: MemberCodeSecret = api::fetch::<MyMemberCode>(&(), token).await?;
    let back = js_sys::Date::now() as i64;
    let before: Option<Kept> = gloo::storage::LocalStorage::get(kept_key(brand)).ok();
    let kept = Kept {
        code_id: s.code_id,
        secret: s.secret,
        offset_ms: s.server_time_ms - (sent + back) / 2,
        next_step: before.map_or(0, |k| k.next_step),
    };
    let _ = gloo::storage::LocalStorage::set(kept_key(brand), &kept);
    Ok(kept)
}

/// 会员码
#[component]
pub fn MemberCodePage() -> impl IntoView {
    require_login();
    let brand = use_brand();
    let session = use_session();
    let lang = use_i18n().0;
    let slug = brand.slug;
    let stored: Option<Kept> = gloo::storage::LocalStorage::get(kept_key(&slug.get_value())).ok();
    let kept = RwSignal::new(stored.clone());
    let failed = RwSignal::new(None::<tongka_app::api::Failure>);
    let offline = RwSignal::new(false);
    // Ticks once a second: the code, the countdown.
    let now = RwSignal::new(js_sys::Date::now() as i64);
    // After a clerk takes a code: the first step the next code may use.
    let next_step = RwSignal::new(stored.as_ref().map_or(0, |k| k.next_step));
    // The step of the code shown after a clerk took one: the hint says so
    // until that code's time is over.
    let taken = RwSignal::new(None::<i64>);
    let load = move || {
        let slug = slug.get_value();
        leptos::task::spawn_local(async move {
            match refresh(&slug, session.token.get_untracked()).await {
                Ok(k) => {
                    offline.set(false);
                    failed.set(None);
                    kept.set(Some(k));
                }
                // Kept from before: the code still works offline.
                Err(f) if kept.get_untracked().is_some() && !f.is_unauthenticated() => {
                    offline.set(true);
                }
                Err(f) => failed.set(Some(f)),
            }
        });
    };
    load();
    leptos::task::spawn_local(async move {
        loop {
            sleep(1000).await;
            if now.try_set(js_sys::Date::now() as i64).is_some() {
                return;
            }
        }
    });
    let code = Memo::new(move |_| {
        let k = kept.get()?;
        let secret = mc::from_hex(&k.secret)?;
        let at = now.get() + k.offset_ms;
        // After a scan, the next step's code (the server takes a code one
        // step ahead), never further.
        let now_step = mc::step_at(at);
        let step = now_step.max(next_step.get().min(now_step + 1));
        Some((mc::member_code(&secret, &k.code_id, step), step))
    });
    let seconds_left = move || {
        let k = kept.get()?;
        let (_, step) = code.get()?;
        let at = now.get() + k.offset_ms;
        Some(((step + 1) * mc::STEP_MS - at).max(0) / 1000 + 1)
    };
    // What the code is for: the member's balance and cards, kept live.
    let balance = LocalResource::new(move || {
        let token = session.token.get();
        async move { api::fetch::<MemberBalance>(&(), token).await }
    });
    let cards = LocalResource::new(move || {
        let token = session.token.get();
        async move { api::fetch::<MemberCards>(&(), token).await }
    });
    // The usable coupons (the first page: what a clerk would pick from).
    let coupons = LocalResource::new(move || {
        let token = session.token.get();
        async move { api::fetch_q::<MemberCoupons>(&(), &CouponQuery::default(), token).await }
    });
    // The pulse: waits on the server; when it moves, reload what it shows.
    leptos::task::spawn_local(async move {
        let mut seen: Option<MemberPulse> = None;
        // After a failure the next ask is answered at once: back online, the
        // notice goes then, not when the long wait would have ended.
        let mut missed = false;
        loop {
            let query = match seen {
                Some(p) => PulseQuery {
                    entry: Some(p.entry),
                    card_event: Some(p.card_event),
                    code_step: Some(p.code_step),
                    timeout: Some(if missed { 0 } else { 25 }),
                },
                None => PulseQuery::default(),
            };
            let token = session.token.get_untracked();
            let got = api::fetch_q::<WaitMemberPulse>(&(), &query, token).await;
            if taken.try_get_untracked().is_none() {
                return;
            }
            match got {
                Ok(p) => {
                    // Back online: the notice goes, the figures come back.
                    if offline.get_untracked() {
                        load();
                        balance.refetch();
                        cards.refetch();
                        coupons.refetch();
                    }
                    if let Some(old) = seen {
                        if p.code_step != old.code_step {
                            taken.set(Some(p.code_step + 1));
                        }
                        if p.entry != old.entry || p.card_event != old.card_event {
                            balance.refetch();
                            cards.refetch();
                            coupons.refetch();
                        }
                    }
                    // Kept on the phone: a reload offline starts past it.
                    if p.code_step + 1 > next_step.get_untracked() {
                        next_step.set(p.code_step + 1);
                        if let Some(mut k) = kept.get_untracked() {
                            k.next_step = p.code_step + 1;
                            let _ =
                                gloo::storage::LocalStorage::set(kept_key(&slug.get_value()), &k);
                            kept.set(Some(k));
                        }
                    }
                    seen = Some(p);
                    missed = false;
                }
                Err(f) if f.is_unauthenticated() => return,
                // Offline or the server away: try again in a while.
                Err(_) => {
                    missed = true;
                    if kept.get_untracked().is_some() {
                        offline.set(true);
                    }
                    sleep(5_000).await;
                }
            }
        }
    });
    // Two codes taken within one step: the next is not valid yet (the
    // server takes a code at most one step ahead); say so until it is.
    let waiting = move || {
        let k = kept.get()?;
        let now_step = mc::step_at(now.get() + k.offset_ms);
        Some(next_step.get() > now_step + 1)
    };
    let hint = move || {
        if waiting() == Some(true) {
            T::CodeWait
        } else if taken
            .get()
            .is_some_and(|s| code.get().is_some_and(|(_, shown)| shown <= s))
        {
            T::CodeTaken
        } else {
            T::CodeShow
        }
    };
    view! {
        <TopBar title=Signal::derive(move || tr(T::MemberCode)().to_string()) back=true/>
        <section class="page member-code-page">
            {move || offline.get().then(|| view! {
                <div class="notice notice-warn" id="code-offline">{tr(T::CodeOffline)}</div>
            })}
            {move || match (code.get(), failed.get()) {
                (Some((digits, _)), _) => view! {
                    // How far this phone's clock was corrected (ms), for
                    // the skewed-clock test.
                    <div class="member-code" id="member-code"
                        data-offset-ms=move || kept.get().map(|k| k.offset_ms.to_string())>
                        <p class="member-code-hint" id="code-hint">{move || tr(hint())()}</p>
                        <div class="member-code-qr" id="member-code-qr" role="img"
                            aria-label=tr(T::MemberCode)() inner_html=tongka_app::components::qr_svg(&digits, 240)></div>
                        <p class="member-code-digits tabular" id="member-code-digits">{mc::grouped(&digits)}</p>
                        <p class="member-code-refresh" id="code-countdown">
                            {move || seconds_left().map(|s| T::CodeRefreshIn.text(lang.get()).replace("{s}", &s.to_string()))}
                        </p>
                        <p class="member-code-bright">{tr(T::BrightnessHint)}</p>
                    </div>
                }.into_any(),
                (None, Some(f)) => view! { <ErrorState failure=f on_retry=move |_| load()/> }.into_any(),
                (None, None) => view! { <tongka_app::components::Loading/> }.into_any(),
            }}
            <div class="cells" id="code-holdings">
                <div class="cell">
                    <span class="cell-main">{tr(T::Balance)}</span>
                    <span class="cell-value tabular" id="code-balance">
                        {move || match balance.get() {
                            Some(Ok(b)) => b.total.to_string(),
                            _ => "—".to_string(),
                        }}
                    </span>
                </div>
                {move || match cards.get() {
                    Some(Ok(list)) => list
                        .into_iter()
                        .filter(|c: &MemberCard| c.state == CardState::Active)
                        .map(|c| {
                            let lines = card_lines(&c, lang.get()).join(" · ");
                            view! {
                                <div class="cell code-card" data-card=c.id.to_string()>
                                    <span class="cell-main">{c.name.clone()}</span>
                                    <span class="cell-value code-card-left">{lines}</span>
                                </div>
                            }
                        })
                        .collect_view()
                        .into_any(),
                    _ => ().into_any(),
                }}
                {move || match coupons.get() {
                    Some(Ok(page)) => page
                        .items
                        .into_iter()
                        .map(|c: MemberCoupon| view! {
                            <div class="cell code-coupon" data-coupon=c.id.to_string()>
                                <span class="cell-main">{c.rule.name.clone()}</span>
                                <span class="cell-value">{tr(T::CouponsUsable)}</span>
                            </div>
                        })
                        .collect_view()
                        .into_any(),
                    _ => ().into_any(),
                }}
            </div>
        </section>
    }
}
