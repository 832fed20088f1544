//! Coupons (优惠券) in the card wallet: the member's coupons by shelf
//! (usable, used, expired), each with its rule in plain words, its stores
//! and its dates; and the coupon centre, where the brand's coupons are
//! claimed while stock lasts.

use crate::shell::{require_login, use_brand, use_session};
use leptos::prelude::*;
use leptos_router::components::A;
use shared::api::{ClaimCoupon, CouponCentre, MemberCoupons};
use shared::dto::{CouponOffer, CouponQuery, CouponShelf, CouponState, MemberCoupon};
use tongka_app::api::{self, Failure};
use tongka_app::components::{
    EmptyState, FormError, PagedCells, Pager, TopBar, loaded, local_time, use_toast,
};
use tongka_app::coupons::{held_rule_text, rule_text, stores_text, validity_text};
use tongka_app::i18n::{Lang, T, Txt, tr, use_i18n};

/// The date part of a local date-time.
fn day_of(rfc3339: &str) -> String {
    local_time(rfc3339)
        .split(' ')
        .next()
        .unwrap_or_default()
        .to_string()
}

/// A coupon as a ticket: its name, what it gives, where, and a last line
/// (validity or what became of it).
fn ticket(
    name: String,
    rule: String,
    stores: String,
    last: String,
    badge: Option<String>,
    faded: bool,
) -> impl IntoView {
    view! {
        <div class="coupon" class:coupon-faded=faded>
            <div class="coupon-main">
                <p class="coupon-rule">{rule}</p>
                <p class="coupon-name">{name}{badge.map(|b| view! { <span class="badge badge-muted">{b}</span> })}</p>
                <p class="cell-desc">{stores}</p>
                <p class="cell-desc tabular">{last}</p>
            </div>
        </div>
    }
}

/// One of the member's coupons, in the language chosen.
fn held_view(c: &MemberCoupon, l: Lang) -> impl IntoView + use<> {
    let names: Vec<String> = c.rule.stores.iter().map(|s| s.name.clone()).collect();
    let (last, badge) = match c.state {
        CouponState::Used => (
            format!(
                "{} · {}",
                c.used_at.as_deref().map(local_time).unwrap_or_default(),
                T::CouponSaved
                    .text(l)
                    .replace("{amount}", &c.worth.to_string())
            ),
            None,
        ),
        CouponState::Reserved => (
            T::CouponUntil.text(l).replace("{day}", &c.last_day),
            Some(T::CouponInPayment.text(l).to_string()),
        ),
        CouponState::Revoked => (
            T::CouponUntil.text(l).replace("{day}", &c.last_day),
            Some(T::CouponRevoked.text(l).to_string()),
        ),
        CouponState::Expired => (T::CouponUntil.text(l).replace("{day}", &c.last_day), None),
        CouponState::Issued if c.starts_at.as_str() > api_now().as_str() => (
            format!(
                "{} · {}",
                T::CouponFrom
                    .text(l)
                    .replace("{day}", &day_of(&c.starts_at)),
                T::CouponUntil.text(l).replace("{day}", &c.last_day)
            ),
            None,
        ),
        CouponState::Issued => (T::CouponUntil.text(l).replace("{day}", &c.last_day), None),
    };
    ticket(
        c.rule.name.clone(),
        held_rule_text(&c.rule, l),
        stores_text(c.rule.all_stores, &names, l),
        last,
        badge,
        !matches!(c.state, CouponState::Issued | CouponState::Reserved),
    )
}

/// Now as the server writes times (UTC, RFC 3339), to compare with them.
fn api_now() -> String {
    js_sys::Date::new_0()
        .to_iso_string()
        .as_string()
        .unwrap_or_default()
}

/// 我的优惠券
#[component]
pub fn CouponsPage() -> impl IntoView {
    require_login();
    let session = use_session();
    let brand = use_brand();
    let lang = use_i18n().0;
    let shelf = RwSignal::new(CouponShelf::Usable);
    let pager = Pager::new::<MemberCoupons>(
        move |after| {
            let q = CouponQuery {
                shelf: Some(shelf.get_untracked()),
                after,
                usable_at: None,
            };
            ((), q)
        },
        move || session.current(),
    );
    let tab = move |value: CouponShelf, label: Txt| {
        view! {
            <button class="seg" class:seg-active=move || shelf.get() == value
                aria-pressed=move || bool::to_string(&(shelf.get() == value))
                data-shelf=value.as_str()
                on:click=move |_| { shelf.set(value); pager.load(false); }>
                {tr(label)}
            </button>
        }
    };
    view! {
        <TopBar title=Signal::derive(move || tr(T::MyCoupons)().to_string()) back=true/>
        <section class="page">
            <div class="cells">
                <A href=brand.path("/coupons/centre") attr:class="cell cell-link" attr:id="open-coupon-centre">
                    <span class="cell-main">{tr(T::CouponCentre)}</span>
                </A>
            </div>
            <div class="segments" role="group">
                {tab(CouponShelf::Usable, T::CouponsUsable)}
                {tab(CouponShelf::Used, T::CouponsUsed)}
                {tab(CouponShelf::Expired, T::CouponsExpired)}
            </div>
            <PagedCells pager=pager id="coupon-list" class="coupon-list" empty=T::NoCouponsHere show_end=true
                row=move |c: MemberCoupon| {
                    let id = c.id;
                    view! { <div data-coupon=id>{move || held_view(&c, lang.get())}</div> }
                }/>
        </section>
    }
}

/// 领券中心
#[component]
pub fn CouponCentrePage() -> impl IntoView {
    require_login();
    let session = use_session();
    // Claiming refetches the centre: what is left and what is held.
    let data = LocalResource::new(move || {
        let token = session.token.get();
        async move { api::fetch::<CouponCentre>(&(), token).await }
    });
    view! {
        <TopBar title=Signal::derive(move || tr(T::CouponCentre)().to_string()) back=true/>
        <section class="page">
            {loaded(data, move |offers: Vec<CouponOffer>| {
                if offers.is_empty() {
                    view! { <EmptyState text=T::NoCouponOffers/> }.into_any()
                } else {
                    view! {
                        <div class="coupon-list" id="coupon-offers">
                            {offers.into_iter().map(|o| view! { <Offer o=o on_claimed=move || data.refetch()/> }).collect_view()}
                        </div>
                    }.into_any()
                }
            })}
        </section>
    }
}

/// One template on offer, with its claim button.
#[component]
fn Offer(o: CouponOffer, on_claimed: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let session = use_session();
    let toast = use_toast();
    let lang = use_i18n().0;
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<Failure>);
    // One key for this claim: a retry after a network error is the same claim.
    let key = StoredValue::new(api::new_key());
    let id = o.rule.template_id;
    let full = o.held >= o.per_member;
    let gone = o.left <= 0;
    let claim = move |_| {
        busy.set(true);
        error.set(None);
        let k = key.get_value();
        leptos::task::spawn_local(async move {
            let r = api::send_once::<ClaimCoupon>(&id, &(), session.current(), &k).await;
            busy.set(false);
            match r {
                Ok(_) => {
                    key.set_value(api::new_key());
                    toast.show(T::CouponClaimed.text(lang.get_untracked()).to_string());
                    on_claimed();
                }
                Err(f) => error.set(Some(f)),
            }
        });
    };
    let text = move || {
        let l = lang.get();
        let names: Vec<String> = o.rule.stores.iter().map(|s| s.name.clone()).collect();
        let validity = validity_text(
            o.valid_from.as_deref(),
            o.valid_until.as_deref(),
            o.valid_days,
            l,
        );
        let counts = format!(
            "{} · {}",
            T::CouponLeft.text(l).replace("{n}", &o.left.to_string()),
            T::CouponHeldOf
                .text(l)
                .replace("{held}", &o.held.to_string())
                .replace("{max}", &o.per_member.to_string())
        );
        let item = o
            .rule
            .item
            .as_ref()
            .map(|i| i.name.clone())
            .unwrap_or_default();
        let rule = rule_text(
            (o.rule.kind, o.rule.off, o.rule.rate_bp, o.rule.cap),
            &item,
            o.rule.min_spend,
            l,
        );
        view! {
            <p class="coupon-rule">{rule}</p>
            <p class="coupon-name">{o.rule.name.clone()}</p>
            <p class="cell-desc">{stores_text(o.rule.all_stores, &names, l)}</p>
            <p class="cell-desc tabular">{validity}</p>
            <p class="cell-desc tabular" data-left=o.left>{counts}</p>
        }
    };
    view! {
        <div class="coupon" data-offer=id>
            <div class="coupon-main">{text}</div>
            <div class="coupon-side">
                <button class="btn btn-primary btn-small" data-claim=id disabled=move || busy.get() || full || gone on:click=claim>
                    {move || if busy.get() { tr(T::ClaimingCoupon)() } else if full { tr(T::CouponHeldMax)() } else if gone { tr(T::CouponAllGone)() } else { tr(T::ClaimCoupon)() }}
                </button>
            </div>
        </div>
        <FormError error=error/>
    }
}

tongka_app::split_page!(coupons => CouponsPage);
tongka_app::split_page!(coupon_centre => CouponCentrePage);
