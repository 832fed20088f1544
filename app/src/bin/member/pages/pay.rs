//! Paying a store from its pay code: the member sees the store, enters the
//! amount, sees the price by the shared rule, and pays from stored value.

use crate::shell::{require_login, use_brand, use_session};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};
use shared::ErrorCode;
use shared::api::{
    MemberBalance, MemberCoupons, MemberLevel, MemberPayRequest, MemberPoints, MemberStore, Pay,
    StartSplitPayment,
};
use shared::dto::{
    BalanceView, CouponQuery, MemberCoupon, PayRequestPublic, PayRequestState, PaymentReceipt,
    PaymentRequest, StorePublic,
};
use shared::money::Fen;
use shared::plan::{Bill, plan};
use tongka_app::api::{self, ApiResult, Failure};
use tongka_app::components::{
    Field, FieldState, FormError, TopBar, loaded, local_time, path_id, payment_pin_rule, use_nav,
    yuan_rule,
};
use tongka_app::coupons::held_rule_text;
use tongka_app::i18n::{T, tr, use_i18n};

/// 付款
#[component]
pub fn PayPage() -> impl IntoView {
    require_login();
    let session = use_session();
    let params = use_params_map();
    let query = use_query_map();
    let data = LocalResource::new(move || {
        let token = session.token.get();
        let id = params.read().get("store").unwrap_or_default();
        let one_off = query.read().get("r").filter(|r| !r.is_empty());
        async move {
            let store = api::fetch::<MemberStore>(&path_id(&id)?, token.clone()).await?;
            let balance = api::fetch::<MemberBalance>(&(), token.clone()).await?;
            let fixed = match one_off {
                Some(r) => Some((
                    r.clone(),
                    api::fetch::<MemberPayRequest>(r.as_str(), token).await?,
                )),
                None => None,
            };
            ApiResult::Ok((store, balance, fixed))
        }
    });
    view! {
        <TopBar title=Signal::derive(move || tr(T::PayTitle)().to_string()) back=true/>
        <section class="page">
            {loaded(data, move |(store, balance, fixed): (StorePublic, BalanceView, Option<(String, PayRequestPublic)>)| view! { <PayForm store=store balance=balance fixed=fixed/> }.into_any())}
        </section>
    }
}

#[component]
fn PayForm(
    store: StorePublic,
    balance: BalanceView,
    fixed: Option<(String, PayRequestPublic)>,
) -> impl IntoView {
    let session = use_session();
    let brand = use_brand();
    let nav = use_nav();
    // A fixed amount (a one-off code), else what was typed before going to
    // set the PIN (`?amount=`), else empty.
    let typed_before = use_query_map()
        .read_untracked()
        .get("amount")
        .filter(|a| Fen::parse_yuan(a).is_ok())
        .unwrap_or_default();
    let initial = fixed
        .as_ref()
        .map(|(_, r)| format!("{}.{:02}", r.amount.0 / 100, r.amount.0 % 100))
        .unwrap_or(typed_before);
    let amount = FieldState::new("amount", &initial, yuan_rule);
    let one_off = StoredValue::new(fixed.as_ref().map(|(token, _)| token.clone()));
    let fixed_state = fixed.as_ref().map(|(_, r)| r.state);
    let usable = fixed_state.is_none_or(|s| s == PayRequestState::Open);
    let pin = FieldState::new("pin", "", payment_pin_rule);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<Failure>);
    let receipt = RwSignal::new(None::<PaymentReceipt>);
    let store_id = store.id;
    // The coupons that can pay here; a failure to load them leaves paying
    // without one. Until they have loaded, paying waits (it would pay
    // without the coupon the plan would pick).
    let coupons = LocalResource::new(move || usable_here(store_id, session.current()));
    let held = move || coupons.get().and_then(Result::ok).unwrap_or_default();
    // The member's own pick (`Some(None)`: no coupon), else the best one.
    let picked = RwSignal::new(None::<Option<i64>>);
    let without_if_gone = RwSignal::new(false);
    // The member's points and what they may pay (not with a one-off code's
    // online part: points pay only where stored value covers the rest).
    let points = LocalResource::new(move || api::fetch::<MemberPoints>(&(), session.current()));
    let use_points = RwSignal::new(false);
    // The member's level: its discount is the plan's first step.
    let level = LocalResource::new(move || api::fetch::<MemberLevel>(&(), session.current()));
    let held_level = move || level.get().and_then(Result::ok).and_then(|v| v.level);
    let level_known = move || level.with(|l| matches!(l, Some(Ok(_))));
    let level_rate = move || shared::money::Bp(held_level().map_or(10_000, |l| l.pay_rate_bp));
    let points_choice = move || {
        points
            .get()
            .and_then(Result::ok)
            .and_then(|p| p.policy.choice(p.usable))
    };
    // The server's own price plan, from the member's balance. Points pay
    // when the member ticked them (held with the stored value while a
    // gateway leg runs; a one-off code is paid from stored value only).
    let split_ok = one_off.with_value(|o| o.is_none());
    let (principal, bonus) = (balance.principal, balance.bonus);
    let plan_with = move |bill: Fen, c: Option<&MemberCoupon>| {
        let with = |points| {
            plan(&Bill {
                level_rate: level_rate(),
                coupon: c.and_then(|c| c.rule.choice()),
                points,
                ..Bill::plain(bill, principal, bonus)
            })
        };
        match use_points.get().then(points_choice).flatten() {
            Some(p) if split_ok || !with(Some(p)).online.is_positive() => with(Some(p)),
            _ => with(None),
        }
    };
    // Ticked, but the rest would be paid online: say why points pay nothing.
    let points_idle = move |p: &shared::plan::PaymentPlan| {
        use_points.get() && p.points_used == 0 && p.online.is_positive()
    };
    // The coupon that pays `bill`: the pick, or the one taking most off
    // (the sooner to expire on a tie); none if it takes nothing off.
    let coupon_for = move |bill: Fen| -> Option<MemberCoupon> {
        let all = held();
        let off = |c: &MemberCoupon| plan_with(bill, Some(c)).coupon;
        let c = match picked.get() {
            Some(id) => all.into_iter().find(|c| Some(c.id) == id),
            None => all
                .into_iter()
                .filter(|c| off(c).is_positive())
                .max_by(|a, b| off(a).cmp(&off(b)).then(b.ends_at.cmp(&a.ends_at))),
        };
        c.filter(|c| off(c).is_positive())
    };
    let plan_for = move |bill: Fen| plan_with(bill, coupon_for(bill).as_ref());
    // One key per intended payment: a retry after a network error reuses it.
    let key = RwSignal::new(api::new_key());
    Effect::new(move |_| {
        amount.value.track();
        picked.track();
        use_points.track();
        without_if_gone.track();
        coupons.track();
        points.track();
        level.track();
        key.set(api::new_key());
    });
    let preview = move || {
        Fen::parse_yuan(&amount.value.get())
            .ok()
            .filter(|f| f.is_positive())
            .map(plan_for)
    };
    let pin_above = balance.pin_above;
    let pin_set = balance.pin_set;
    let pin_page = StoredValue::new(brand.path("/me"));
    // The PIN guards what is taken from stored value.
    let needs_pin = move || preview().is_some_and(|p| p.stored_value() > pin_above);
    // Short of stored value: the rest is paid online (not for one-off codes).
    let shortfall = move || {
        preview()
            .map(|p| p.online)
            .filter(|s| s.is_positive() && split_ok)
    };
    // Nothing stored at all: plain online payment, not "balance + online".
    let all_online =
        move || shortfall().is_some() && preview().is_some_and(|p| !p.stored_value().is_positive());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // A new attempt: the last one's error goes (never two at once).
        error.set(None);
        let Some(fen) = amount.checked().and_then(|v| v.parse::<i64>().ok()) else {
            return;
        };
        let coupon_id = coupon_for(Fen(fen)).map(|c| c.id);
        let planned = plan_for(Fen(fen));
        let needs_pin = planned.stored_value() > pin_above;
        let split = split_ok && planned.online.is_positive();
        let pin_value = if needs_pin {
            match pin.checked() {
                Some(p) => Some(p),
                None => return,
            }
        } else {
            None
        };
        busy.set(true);
        error.set(None);
        let k = key.get_untracked();
        let one = one_off.get_value();
        let without = without_if_gone.get_untracked();
        leptos::task::spawn_local(async move {
            let req = PaymentRequest {
                coupon_id,
                without_coupon_if_gone: coupon_id.is_some() && without,
                use_points: planned.points_used > 0,
                points_expected: (planned.points_used > 0).then_some(planned.points_used),
                payable_expected: Some(planned.payable()),
                store_id,
                amount: Fen(fen),
                pin: pin_value,
                pay_request: one,
            };
            if split {
                let started =
                    api::send_once::<StartSplitPayment>(&(), &req, session.current(), &k).await;
                if matches!(&started, Err(Failure::Api(e)) if matches!(e.code, ErrorCode::PointsChanged | ErrorCode::PriceChanged))
                {
                    points.refetch();
                    level.refetch();
                    coupons.refetch();
                }
                super::topup::to_checkout(started, busy, key, error);
                return;
            }
            let result = api::send_once::<Pay>(&(), &req, session.current(), &k).await;
            busy.set(false);
            match result {
                Ok(r) => receipt.set(Some(r)),
                Err(f) => {
                    // The coupon went meanwhile: show what is left to pick.
                    if matches!(&f, Failure::Api(e) if e.code == ErrorCode::CouponNotUsable) {
                        picked.set(None);
                        coupons.refetch();
                    }
                    // Points expired or were spent, or the level changed,
                    // meanwhile: show the new figure (the message says it)
                    // before paying again.
                    if matches!(&f, Failure::Api(e) if matches!(e.code, ErrorCode::PointsChanged | ErrorCode::PriceChanged))
                    {
                        points.refetch();
                        level.refetch();
                        coupons.refetch();
                    }
                    error.set(Some(f));
                }
            }
        });
    };
    let home = brand.path("");
    view! {
        {move || match receipt.get() {
            Some(r) => {
                let home = home.clone();
                view! {
                    <div class="receipt" id="pay-receipt">
                        <div class="receipt-icon" aria-hidden="true">"✓"</div>
                        <p class="receipt-title">{tr(T::PaySuccess)}</p>
                        <p class="receipt-amount tabular" id="paid-amount">{r.quote.payable.to_string()}</p>
                        <p class="cell-desc">{r.store_name.clone()}</p>
                        {r.level_up.clone().map(|l| view! {
                            <p class={format!("level-up level-{}", l.look)} id="paid-level-up">{tr(T::LevelUp)}" "{l.name}</p>
                        })}
                        {r.quote.member_discount.is_positive().then(|| view! {
                            <p class="cell-desc tabular" id="paid-level-off">{tr(T::LevelOff)}" -"{r.quote.member_discount.to_string()}</p>
                        })}
                        {r.coupon.is_positive().then(|| view! {
                            <p class="cell-desc tabular" id="paid-coupon">{tr(T::CouponOff)}" -"{r.coupon.to_string()}</p>
                        })}
                        {r.points_off.is_positive().then(|| view! {
                            <p class="cell-desc tabular" id="paid-points">{tr(T::PointsOff)}" -"{r.points_off.to_string()}</p>
                        })}
                        {(r.points_earned > 0).then(|| view! {
                            <p class="cell-desc tabular" id="paid-earned">{tr(T::PointsEarned)}" +"{r.points_earned}</p>
                        })}
                        <p class="cell-desc tabular">{tr(T::Balance)}" "{r.balance_after.to_string()}</p>
                        <p class="cell-desc tabular" id="paid-order">{tr(T::PaymentNo)}" "{r.payment_id}" · "{local_time(&r.at)}</p>
                        <div class="form-actions">
                            {r.channel_url.clone().map(|url| view! {
                                <a class="btn" id="channel-link" href=url target="_blank" rel="noopener">{tr(T::ChannelLink)}</a>
                            })}
                            <button class="btn btn-primary" on:click=move |_| nav.replace(&home)>{tr(T::Done)}</button>
                        </div>
                    </div>
                }.into_any()
            }
            None => view! {
                <div class="pay-store">
                    <p class="cell-desc">{tr(T::PayTo)}</p>
                    <h2 id="pay-store-name">{store.name.clone()}</h2>
                    <p class="cell-desc">{store.address.clone()}</p>
                </div>
                {(!store.active).then(|| view! { <div class="notice notice-warn">{tr(T::StoreClosedNotice)}</div> })}
                <form class="cells" on:submit=submit novalidate=true id="pay-form">
                    {match fixed_state {
                        None => view! {
                            <Field label=T::Amount state=amount placeholder=T::AmountPlaceholder id="pay-amount" inputmode="decimal"/>
                        }.into_any(),
                        Some(_) => view! {
                            <div class="cell">
                                <span class="cell-label">{tr(T::Amount)}</span>
                                <span class="cell-value tabular" id="pay-fixed-amount">{move || Fen::parse_yuan(&amount.value.get()).map(|f| f.to_string()).unwrap_or_default()}</span>
                            </div>
                        }.into_any(),
                    }}
                    {(!usable).then(|| view! { <div class="notice notice-warn" id="pay-code-used">{tr(T::PayCodeUsedNotice)}</div> })}
                    {move || preview().filter(|p| p.level_discount.is_positive()).map(|p| view! {
                        <div class="cell">
                            <span class="cell-label">{tr(T::LevelOff)}" · "{held_level().map(|l| l.name).unwrap_or_default()}</span>
                            <span class="cell-value tabular" id="pay-level-off">"-"{p.level_discount.to_string()}</span>
                        </div>
                    })}
                    <CouponPicker coupons=coupons picked=picked without_if_gone=without_if_gone
                        bill=Signal::derive(move || Fen::parse_yuan(&amount.value.get()).ok().filter(|f| f.is_positive()))
                        chosen=Signal::derive(move || preview().and_then(|_| Fen::parse_yuan(&amount.value.get()).ok()).and_then(coupon_for).map(|c| c.id))
                        off_with=move |bill, c| plan_with(bill, Some(c)).coupon/>
                    {move || preview().filter(|p| p.coupon.is_positive()).map(|p| view! {
                        <div class="cell">
                            <span class="cell-label">{tr(T::CouponOff)}</span>
                            <span class="cell-value tabular" id="pay-coupon-off">"-"{p.coupon.to_string()}</span>
                        </div>
                    })}
                    // Points, where the brand lets them pay and the member
                    // has a step's worth.
                    {move || points_choice().map(|c| {
                        let lang = use_i18n().0;
                        view! {
                            <label class="cell" id="pay-points">
                                <span class="cell-main">
                                    <span class="cell-title">{tr(T::PointsUse)}</span>
                                    <span class="cell-desc">{move || T::PointsUsable.text(lang.get()).replace("{n}", &c.available.to_string())}</span>
                                </span>
                                {move || preview().filter(|p| p.points.is_positive()).map(|p| view! {
                                    <span class="cell-value tabular" id="pay-points-off">
                                        "-"{p.points.to_string()}" ("{T::PointsSpent.text(lang.get()).replace("{n}", &p.points_used.to_string())}")"
                                    </span>
                                })}
                                <input type="checkbox" id="pay-points-use" prop:checked=move || use_points.get()
                                    on:change=move |ev| use_points.set(event_target_checked(&ev))/>
                            </label>
                        }
                    })}
                    {move || preview().filter(points_idle).map(|_| view! {
                        <div class="notice" id="pay-points-idle">{tr(T::PointsNotWithOnline)}</div>
                    })}
                    <div class="cell">
                        <span class="cell-label">{tr(T::Payable)}</span>
                        <span class="cell-value tabular payable" id="payable">{move || preview().map(|p| p.payable().to_string()).unwrap_or_default()}</span>
                    </div>
                    <div class="cell">
                        <span class="cell-label">{tr(T::Balance)}</span>
                        <span class="cell-value tabular">{balance.total.to_string()}</span>
                    </div>
                    {move || shortfall().map(|s| {
                        let text = if all_online() { T::AllOnline } else { T::ShortfallOnline };
                        view! { <div class="notice" id="pay-shortfall">{tr(text)}" "{s.to_string()}</div> }
                    })}
                    {move || needs_pin().then(|| {
                        // To the PIN and back, keeping the amount typed.
                        let me = move |forgot: bool| {
                            format!(
                                "{}?pay={store_id}&amount={}{}",
                                pin_page.get_value(),
                                String::from(js_sys::encode_uri_component(amount.value.get().trim())),
                                if forgot { "&forgot=1" } else { "" }
                            )
                        };
                        if pin_set {
                            view! {
                                <Field label=T::PinForPayment state=pin input_type="password" id="pay-pin" inputmode="numeric" maxlength=6 placeholder=T::PinPlaceholder autocomplete="off"/>
                                <A href=move || me(true) attr:class="cell cell-link cell-quiet" attr:id="pay-forgot-pin"><span class="cell-main">{tr(T::ForgotPin)}</span></A>
                            }.into_any()
                        } else {
                            view! {
                                <A href=move || me(false) attr:class="cell cell-link" attr:id="pay-set-pin">{tr(T::SetPinToPay)}</A>
                            }.into_any()
                        }
                    })}
                    <FormError error=error/>
                    // The level's discount is part of the price: without it
                    // the price shown could not be the one charged.
                    {move || level.with(|l| matches!(l, Some(Err(_)))).then(|| view! {
                        <div class="notice notice-warn" id="pay-level-failed">
                            {tr(T::LevelLoadFailed)}" "
                            <button type="button" class="btn btn-default btn-small" on:click=move |_| level.refetch()>{tr(T::Retry)}</button>
                        </div>
                    })}
                    <div class="form-actions">
                        <button type="submit" class="btn btn-primary" id="pay-submit" disabled=move || busy.get() || !store.active || !usable || coupons.with(Option::is_none) || !level_known()>
                            {move || if busy.get() { tr(T::Paying)() } else if all_online() { tr(T::PayOnline)() } else if shortfall().is_some() { tr(T::PaySplit)() } else { tr(T::PayButton)() }}
                        </button>
                    </div>
                </form>
            }.into_any(),
        }}
    }
}

/// The member's coupons that can pay at `store_id` now, every page of them.
async fn usable_here(store_id: i64, token: Option<String>) -> ApiResult<Vec<MemberCoupon>> {
    let mut all = Vec::new();
    let mut after = None;
    // A few pages at most: nobody weighs a hundred coupons at the till.
    for _ in 0..5 {
        let q = CouponQuery {
            shelf: None,
            after,
            usable_at: Some(store_id),
        };
        let page = api::fetch_q::<MemberCoupons>(&(), &q, token.clone()).await?;
        all.extend(page.items);
        after = page.next_cursor;
        if after.is_none() {
            break;
        }
    }
    Ok(all)
}

/// Which coupon pays: "no coupon" or one of those usable here, each with
/// what it takes off this bill (those below their minimum cannot be
/// picked); and whether to pay without it should it be gone by then.
#[component]
fn CouponPicker(
    coupons: LocalResource<ApiResult<Vec<MemberCoupon>>>,
    picked: RwSignal<Option<Option<i64>>>,
    without_if_gone: RwSignal<bool>,
    bill: Signal<Option<Fen>>,
    chosen: Signal<Option<i64>>,
    off_with: impl Fn(Fen, &MemberCoupon) -> Fen + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let lang = use_i18n().0;
    move || {
        let l = lang.get();
        match coupons.get() {
            None => None,
            Some(Err(_)) => Some(
                view! { <div class="notice" id="pay-coupons-failed">{T::CouponsFailedToLoad.text(l)}</div> }
                    .into_any(),
            ),
            Some(Ok(list)) if list.is_empty() => None,
            Some(Ok(list)) => {
                let bill = bill.get();
                let options = list
                    .iter()
                    .map(|c| {
                        let off = bill.map(|b| off_with(b, c)).unwrap_or_default();
                        let below = bill.is_some() && !off.is_positive();
                        let label = format!(
                            "{} · {}{}",
                            held_rule_text(&c.rule, l),
                            c.rule.name,
                            if below {
                                format!("（{}）", T::CouponBelowMin.text(l))
                            } else if off.is_positive() {
                                format!(" -{off}")
                            } else {
                                String::new()
                            }
                        );
                        let id = c.id;
                        view! {
                            <option value=id.to_string() disabled=below prop:selected=move || chosen.get() == Some(id)>{label}</option>
                        }
                    })
                    .collect_view();
                Some(view! {
                    <label class="cell">
                        <span class="cell-label">{T::CouponToUse.text(l)}</span>
                        <select class="cell-input" id="pay-coupon"
                            on:change=move |ev| {
                                let v = event_target_value(&ev);
                                picked.set(Some(v.parse::<i64>().ok()));
                            }>
                            <option value="" prop:selected=move || chosen.get().is_none()>{T::NoCoupon.text(l)}</option>
                            {options}
                        </select>
                    </label>
                    {move || chosen.get().map(|_| view! {
                        <label class="consent">
                            <input type="checkbox" id="pay-without-if-gone"
                                prop:checked=move || without_if_gone.get()
                                on:change=move |ev| without_if_gone.set(event_target_checked(&ev))/>
                            <span>{tr(T::PayWithoutIfGone)}</span>
                        </label>
                    })}
                }.into_any())
            }
        }
    }
}

tongka_app::split_page!(pay => PayPage);
