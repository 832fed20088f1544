//! 邀请有礼: the member's invite code, link and QR, a poster to save (drawn
//! on a canvas and shown as an image a phone can long-press), how their
//! invites went and the friends they invited; and the page a friend lands
//! on through the link (what it offers, then registration with the code).

use crate::shell::{require_login, use_brand, use_session};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use shared::api::{InviteOfferInfo, MyInvitedFriends, MyInvites};
use shared::dto::{
    AfterQuery, InviteCodeQuery, InviteOffer, InviteReward, InviteState, InviteTrigger,
    InvitedFriend, MemberInvites,
};
use shared::money::Fen;
use tongka_app::api::{self, Failure};
use tongka_app::components::{PagedCells, Pager, TopBar, loaded, local_time};
use tongka_app::i18n::{Lang, T, Txt, tr, use_i18n};

tongka_app::split_page!(invites => InvitesPage);
tongka_app::split_page!(invite_landing => InviteLandingPage);

/// What one side gets, in words: "50 积分 + 新人满30减5".
fn reward_text(r: &InviteReward, names: &[(i64, String)], l: Lang) -> String {
    let mut parts = Vec::new();
    if r.points > 0 {
        parts.push(
            T::MyInvitePoints
                .text(l)
                .replace("{n}", &r.points.to_string()),
        );
    }
    if let Some(id) = r.coupon_template_id {
        let name = names.iter().find(|(i, _)| *i == id).map(|(_, n)| n.clone());
        parts.push(name.unwrap_or_else(|| T::MyInviteCoupon.text(l).to_string()));
    }
    parts.join(" + ")
}

/// When the rewards come, in words.
fn when_text(trigger: InviteTrigger, min: Fen, days: u32, l: Lang) -> String {
    match trigger {
        InviteTrigger::Registration => T::MyInviteWhenRegistered.text(l).to_string(),
        InviteTrigger::FirstPayment => T::MyInviteWhenPaid
            .text(l)
            .replace("{min}", &min.to_string())
            .replace("{days}", &days.to_string()),
    }
}

/// The poster: the brand, the invitation, the rewards, the link's QR and
/// the code, drawn on a canvas; answers it as a PNG data URL.
fn draw_poster(
    (brand, colour): (&str, &str),
    lines: &[String],
    link: &str,
    code: &str,
) -> Option<String> {
    use wasm_bindgen::JsCast;
    let (w, h) = (600.0, 900.0);
    let canvas: web_sys::HtmlCanvasElement = gloo::utils::document()
        .create_element("canvas")
        .ok()?
        .dyn_into()
        .ok()?;
    canvas.set_width(w as u32);
    canvas.set_height(h as u32);
    let cx: web_sys::CanvasRenderingContext2d = canvas.get_context("2d").ok()??.dyn_into().ok()?;
    cx.set_fill_style_str(colour);
    cx.fill_rect(0.0, 0.0, w, h);
    cx.set_fill_style_str("#ffffff");
    cx.fill_rect(40.0, 40.0, w - 80.0, h - 80.0);
    cx.set_text_align("center");
    cx.set_fill_style_str("#1f1f1f");
    cx.set_font("bold 44px sans-serif");
    cx.fill_text(brand, w / 2.0, 130.0).ok()?;
    cx.set_font("30px sans-serif");
    for (i, line) in lines.iter().enumerate() {
        cx.fill_text(line, w / 2.0, 200.0 + 48.0 * i as f64).ok()?;
    }
    // The link's QR, black modules on white with a quiet zone.
    let qr =
        qrcode::QrCode::with_error_correction_level(link.as_bytes(), qrcode::EcLevel::M).ok()?;
    let n = qr.width();
    let size = 360.0;
    let cell = (size / (n + 8) as f64).floor();
    let side = cell * (n + 8) as f64;
    let (x0, y0) = ((w - side) / 2.0, 360.0);
    cx.set_fill_style_str("#ffffff");
    cx.fill_rect(x0, y0, side, side);
    cx.set_fill_style_str("#000000");
    for (i, c) in qr.to_colors().iter().enumerate() {
        if *c == qrcode::Color::Dark {
            let (x, y) = ((i % n + 4) as f64, (i / n + 4) as f64);
            cx.fill_rect(x0 + x * cell, y0 + y * cell, cell, cell);
        }
    }
    cx.set_fill_style_str("#1f1f1f");
    cx.set_font("bold 36px monospace");
    cx.fill_text(code, w / 2.0, y0 + side + 60.0).ok()?;
    canvas.to_data_url().ok()
}

/// 邀请有礼
#[component]
pub fn InvitesPage() -> impl IntoView {
    require_login();
    let session = use_session();
    let mine = LocalResource::new(move || {
        let token = session.token.get();
        async move { api::fetch::<MyInvites>(&(), token).await }
    });
    view! {
        <TopBar title=Signal::derive(move || tr(T::MyInviteTitle)().to_string()) back=true/>
        <section class="page">
            {loaded(mine, move |v: MemberInvites| view! { <InvitesView v=v/> }.into_any())}
        </section>
    }
}

#[component]
fn InvitesView(v: MemberInvites) -> impl IntoView {
    let lang = use_i18n().0;
    let brand = use_brand();
    let session = use_session();
    let poster = RwSignal::new(None::<String>);
    // No canvas to draw on (or no image from it): said, not a spinner.
    let poster_failed = RwSignal::new(false);
    let brand_face = move || match brand.info.get() {
        Some(Ok(b)) => (b.name, b.theme_color),
        _ => (String::new(), String::new()),
    };
    let (link, code) = (v.link.clone(), v.code.clone());
    let rewards = (
        reward_text(&v.inviter, &v.coupon_names, lang.get_untracked()),
        reward_text(&v.invitee, &v.coupon_names, lang.get_untracked()),
    );
    // What each side gets, in the language shown; a side HQ gives nothing
    // is not mentioned.
    let gets = {
        let (inviter, invitee, names) =
            (v.inviter.clone(), v.invitee.clone(), v.coupon_names.clone());
        move |friend: bool, said: Txt| {
            let (r, names) = (
                if friend {
                    invitee.clone()
                } else {
                    inviter.clone()
                },
                names.clone(),
            );
            move || {
                let l = lang.get();
                let r = reward_text(&r, &names, l);
                (!r.is_empty()).then(|| said.text(l).replace("{r}", &r))
            }
        }
    };
    let (trigger, min, days) = (v.trigger, v.min_payment, v.window_days);
    let when = move || when_text(trigger, min, days, lang.get());
    // The poster is drawn once the brand's name is known.
    {
        let (link, code, friend) = (link.clone(), code.clone(), rewards.1.clone());
        Effect::new(move |_| {
            let (name, colour) = brand_face();
            if name.is_empty() || poster.get_untracked().is_some() || poster_failed.get_untracked()
            {
                return;
            }
            let l = lang.get_untracked();
            let lines = [
                T::MyInvitePosterLine.text(l).to_string(),
                T::MyInviteFriendGets.text(l).replace("{r}", &friend),
            ];
            match draw_poster((&name, &colour), &lines, &link, &code) {
                Some(png) => poster.set(Some(png)),
                None => poster_failed.set(true),
            }
        });
    }
    let pager = Pager::new::<MyInvitedFriends>(
        |after| ((), AfterQuery { after }),
        move || session.current(),
    );
    let rate = format!("{:.1}%", f64::from(v.conversion_bp) / 100.0);
    let qr = tongka_app::components::qr_svg(&link, 200);
    view! {
        {(!v.enabled).then(|| view! { <div class="notice" id="invite-off">{tr(T::MyInviteOffNotice)}</div> })}
        <div class="level-card points-card" id="invite-card">
            <p class="level-card-spent">{tr(T::MyInviteYourCode)}</p>
            <p class="invite-code tabular" id="invite-code">{code.clone()}</p>
            {(!rewards.0.is_empty()).then(|| view! {
                <p class="level-card-next" id="invite-you-get">{gets(false, T::MyInviteYouGet)}</p>
            })}
            {(!rewards.1.is_empty()).then(|| view! {
                <p class="level-card-next" id="invite-friend-gets">{gets(true, T::MyInviteFriendGets)}</p>
            })}
            <p class="level-card-next" id="invite-when">{when}</p>
        </div>
        <div class="cells">
            <label class="cell">
                <span class="cell-main">{tr(T::MyInviteLink)}</span>
                <input class="cell-input" id="invite-link" readonly=true prop:value=link.clone()
                    on:focus=move |ev| {
                        use wasm_bindgen::JsCast;
                        if let Some(i) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) {
                            i.select();
                        }
                    }/>
            </label>
        </div>
        <div class="invite-qr" id="invite-qr" inner_html=qr></div>
        <h2 class="cells-title">{tr(T::MyInvitePoster)}</h2>
        {move || match (poster.get(), brand.info.get()) {
            (Some(src), _) => view! {
                <img class="invite-poster" id="invite-poster" src=src
                    alt=move || T::MyInvitePosterAlt.text(lang.get()).to_string()/>
                <p class="state">{tr(T::MyInvitePosterHint)}</p>
            }.into_any(),
            // The poster needs the brand's name: if that did not come, say
            // so and offer to fetch it again (not a spinner for ever).
            (None, _) if poster_failed.get() => view! {
                <p class="state" id="invite-poster-failed">{tr(T::MyInvitePosterFailed)}</p>
            }.into_any(),
            (None, Some(Err(f))) => view! {
                <tongka_app::components::ErrorState failure=f on_retry=move |_| brand.info.refetch()/>
            }.into_any(),
            (None, _) => view! { <tongka_app::components::Loading/> }.into_any(),
        }}
        <h2 class="cells-title">{tr(T::MyInviteHowItWent)}</h2>
        <div class="cells" id="invite-stats">
            <div class="cell"><span class="cell-main">{tr(T::MyInviteInvited)}</span><span class="cell-value tabular" id="invite-invited">{v.invited}</span></div>
            <div class="cell"><span class="cell-main">{tr(T::MyInviteConverted)}</span><span class="cell-value tabular" id="invite-converted">{v.converted}</span></div>
            <div class="cell"><span class="cell-main">{tr(T::MyInvitePending)}</span><span class="cell-value tabular" id="invite-pending">{v.pending}</span></div>
            <div class="cell"><span class="cell-main">{tr(T::MyInviteRate)}</span><span class="cell-value tabular" id="invite-rate">{rate}</span></div>
            <div class="cell"><span class="cell-main">{tr(T::MyInviteEarned)}</span><span class="cell-value tabular" id="invite-earned">{v.points_earned}</span></div>
        </div>
        <h2 class="cells-title">{tr(T::MyInviteFriends)}</h2>
        <PagedCells pager=pager id="invite-friends" empty=T::MyInviteNoFriends row=move |f: InvitedFriend| {
            let state = match f.state {
                InviteState::Waiting => T::MyInviteStateWaiting,
                InviteState::Pending => T::MyInviteStatePending,
                InviteState::Rewarded if f.capped => T::MyInviteStateCapped,
                InviteState::Rewarded => T::MyInviteStateRewarded,
            };
            let due = f.due_at.as_deref().map(local_time);
            view! {
                <div class="cell invite-friend" data-state=f.state.as_str()>
                    <span class="cell-main tabular">{f.phone_masked.clone()}</span>
                    <span class="cell-value">
                        {tr(state)}
                        {due.map(|d| view! { " " <span class="tabular">{d}</span> })}
                        {(f.points > 0).then(|| {
                            let n = format!("+{}", f.points);
                            view! { " " {move || T::HistoryPoints.text(lang.get()).replace("{n}", &n)} }
                        })}
                    </span>
                </div>
            }
        }/>
    }
}

/// The page a friend lands on through an invite link: what it offers, and
/// registration carrying the code.
#[component]
pub fn InviteLandingPage() -> impl IntoView {
    let brand = use_brand();
    let session = use_session();
    let lang = use_i18n().0;
    let code = use_params_map()
        .read_untracked()
        .get("code")
        .unwrap_or_default();
    let slug = brand.slug;
    let offer = {
        let code = code.clone();
        LocalResource::new(move || {
            let q = InviteCodeQuery { code: code.clone() };
            async move { api::fetch_q::<InviteOfferInfo>(slug.get_value().as_str(), &q, None).await }
        })
    };
    let member = session.token.get_untracked().is_some();
    let login = brand.path(&format!("/login?invite={code}"));
    let plain_login = brand.path("/login");
    let home = brand.path("");
    view! {
        <TopBar title=Signal::derive(move || tr(T::MyInviteTitle)().to_string())/>
        <section class="page">
            {loaded(offer, move |o: InviteOffer| {
                let names: Vec<(i64, String)> = o
                    .invitee
                    .coupon_template_id
                    .zip(o.invitee_coupon.clone())
                    .into_iter()
                    .collect();
                let invitee = o.invitee.clone();
                let gets = move || {
                    let l = lang.get();
                    let r = reward_text(&invitee, &names, l);
                    (!r.is_empty()).then(|| T::MyInviteYouGet.text(l).replace("{r}", &r))
                };
                let (trigger, min, days) = (o.trigger, o.min_payment, o.window_days);
                let when = move || when_text(trigger, min, days, lang.get());
                let (login, home) = (login.clone(), home.clone());
                view! {
                    <div class="level-card points-card" id="invite-offer">
                        <p class="level-card-spent">{tr(T::MyInviteLandingTitle)}</p>
                        <p class="level-card-next" id="invite-offer-gets">
                            {gets}
                        </p>
                        <p class="level-card-next">{when}</p>
                    </div>
                    {if member {
                        view! {
                            <p class="state" id="invite-member-already">{tr(T::MyInviteAlreadyMember)}</p>
                            <div class="form-actions"><A href=home attr:class="btn btn-default">{tr(T::GoHome)}</A></div>
                        }.into_any()
                    } else {
                        view! {
                            <div class="form-actions">
                                <A href=login attr:class="btn btn-primary" attr:id="invite-accept">{tr(T::MyInviteAccept)}</A>
                            </div>
                        }.into_any()
                    }}
                }.into_any()
            })}
            // A code that is wrong or a programme that is off need not stop
            // a newcomer: they can still join.
            {move || (!member && matches!(offer.get(), Some(Err(Failure::Api(_))))).then(|| {
                let to = plain_login.clone();
                view! {
                    <div class="form-actions">
                        <A href=to attr:class="btn btn-default" attr:id="invite-skip">{tr(T::MyInviteSkip)}</A>
                    </div>
                }
            })}
        </section>
    }
}
