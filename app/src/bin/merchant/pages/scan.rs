//! 扫码核销 at the counter: the member's code typed, or read by a scanner
//! gun (digits then Enter) into the same field, opens a 2-minute ticket
//! showing the member and what is usable here. The clerk picks card uses
//! (several at once) and free-item coupons, sees what will happen, and
//! confirms; or takes a payment from the member's stored value
//! (会员码收款), the member typing their PIN on this phone when HQ's amount
//! asks for it.

use super::camera::CameraScanner;
use crate::shell::{require_login, use_ctx};
use leptos::prelude::*;
use shared::ErrorCode;
use shared::api::{ChargeTicket, ScanCode, WriteOff};
use shared::dto::{
    PaymentReceipt, ScanMemberCode, TicketCharge, UseOf, WriteOffReceipt, WriteOffRequest,
    WriteOffTicket,
};
use shared::money::Fen;
use std::collections::{BTreeMap, BTreeSet};
use tongka_app::api::{self, Failure};
use tongka_app::components::{
    Field, FieldState, FormError, TopBar, payment_pin_rule, use_confirm, use_toast, yuan_rule,
};
use tongka_app::i18n::{T, tr, use_i18n};

tongka_app::split_page!(merchant_scan => ScanPage);

/// 扫码核销
#[component]
pub fn ScanPage() -> impl IntoView {
    require_login();
    let ctx = use_ctx();
    let lang = use_i18n().0;
    let typed = RwSignal::new(String::new());
    let scanning = RwSignal::new(false);
    let scan_error = RwSignal::new(None::<Failure>);
    let ticket = RwSignal::new(None::<WriteOffTicket>);
    let done = RwSignal::new(None::<WriteOffReceipt>);
    let charged = RwSignal::new(None::<PaymentReceipt>);
    // After every result the field is ready for the next code (a scanner
    // gun types wherever the focus is); not after the camera read it, where
    // a focused field would open the phone's keyboard over the ticket.
    let field = NodeRef::<leptos::html::Input>::new();
    let by_camera = StoredValue::new(false);
    let refocus = move || {
        if by_camera.try_get_value() == Some(true) {
            return;
        }
        if let Some(input) = field.get_untracked() {
            let _ = input.focus();
        }
    };
    // A code the camera read while a look-up was on its way: looked up next.
    let queued = StoredValue::new(None::<String>);
    let scan = move || {
        let code = typed.get_untracked();
        if code.trim().is_empty() || scanning.get_untracked() {
            return;
        }
        scanning.set(true);
        scan_error.set(None);
        leptos::task::spawn_local(async move {
            let mut code = code;
            loop {
                let body = ScanMemberCode { code };
                let result = api::send::<ScanCode>(&(), &body, ctx.token()).await;
                if scanning.try_get_untracked().is_none() {
                    return;
                }
                match result {
                    Ok(t) => {
                        typed.set(String::new());
                        done.set(None);
                        charged.set(None);
                        ticket.set(Some(t));
                    }
                    // A refused code stays in the field, to be corrected.
                    Err(f) => scan_error.set(Some(f)),
                }
                match queued.try_update_value(Option::take).flatten() {
                    Some(next) => {
                        typed.set(next.clone());
                        code = next;
                    }
                    None => break,
                }
            }
            scanning.set(false);
            refocus();
        });
    };
    view! {
        <TopBar title=Signal::derive(move || tr(T::ScanWriteOff)().to_string()) back=true/>
        <section class="page scan-page">
            <form class="cells" id="scan-form" novalidate=true on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                scan();
            }>
                <label class="cell field">
                    <span class="cell-label">{tr(T::MemberCode)}</span>
                    // A scanner gun types the digits and Enter here.
                    <input node_ref=field class="cell-input tabular" id="scan-code" name="code" inputmode="numeric"
                        autocomplete="off" autofocus=true maxlength="40"
                        placeholder=move || T::ScanCodeHint.text(lang.get())
                        prop:value=move || typed.get()
                        on:input=move |ev| {
                            by_camera.set_value(false);
                            typed.set(event_target_value(&ev));
                        }/>
                </label>
                <FormError error=scan_error/>
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary" id="scan-submit" disabled=move || scanning.get()>
                        {move || if scanning.get() { tr(T::Loading)() } else { tr(T::ScanOpen)() }}
                    </button>
                </div>
            </form>
            <CameraScanner on_code=move |code: String| {
                by_camera.set_value(true);
                if scanning.get_untracked() {
                    queued.set_value(Some(code));
                } else {
                    typed.set(code);
                    scan();
                }
            }/>
            {move || done.get().map(|r| view! { <WriteOffDone r=r/> })}
            {move || charged.get().map(|r| view! {
                <div class="notice notice-ok" id="charge-done" role="status">
                    {T::ChargeDone.text(lang.get()).replace("{amount}", &(r.principal + r.bonus).to_string())}
                </div>
            })}
            {move || ticket.get().map(|t| view! {
                <Ticket t=t on_written_off=move |r| { done.set(Some(r)); ticket.set(None); refocus(); }
                    on_charged=move |r| { charged.set(Some(r)); ticket.set(None); refocus(); }/>
            })}
        </section>
    }
}

/// A write-off made: what was written off and what the store was settled.
#[component]
fn WriteOffDone(r: WriteOffReceipt) -> impl IntoView {
    let lang = use_i18n().0;
    let n = r.lines.len();
    view! {
        <div class="notice notice-ok" id="write-off-done" role="status">
            {move || T::WriteOffDone.text(lang.get()).replace("{n}", &n.to_string()).replace("{member}", &r.member_phone_masked)}
        </div>
    }
}

/// What the clerk picked: uses per (card, item), coupons.
#[derive(Clone, Default, PartialEq)]
struct Picked {
    uses: BTreeMap<(i64, i64), i64>,
    coupons: BTreeSet<i64>,
}

/// The ticket a scan opened: the member, their balance, what is usable here.
#[component]
fn Ticket(
    t: WriteOffTicket,
    #[prop(into)] on_written_off: Callback<WriteOffReceipt>,
    #[prop(into)] on_charged: Callback<PaymentReceipt>,
) -> impl IntoView {
    let ctx = use_ctx();
    let lang = use_i18n().0;
    let toast = use_toast();
    let confirm = use_confirm();
    let picked = RwSignal::new(Picked::default());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<Failure>);
    let key = RwSignal::new(api::new_key());
    Effect::new(move |_| {
        picked.track();
        key.set(api::new_key());
    });
    let token = StoredValue::new(t.ticket.clone());
    let member = StoredValue::new(
        t.member_name
            .clone()
            .map(|n| format!("{n} {}", t.member_phone_masked))
            .unwrap_or_else(|| t.member_phone_masked.clone()),
    );
    let ticket = StoredValue::new(t.clone());
    // Each picked use and coupon in words, for the confirmation.
    let summary = move || {
        let p = picked.get();
        let t = ticket.get_value();
        let mut out = Vec::new();
        for ((card_id, item_id), n) in &p.uses {
            let Some(c) = t.cards.iter().find(|c| c.card.id == *card_id) else {
                continue;
            };
            let item = c
                .items
                .iter()
                .find(|i| i.id == *item_id)
                .map(|i| i.name.clone())
                .unwrap_or_default();
            out.push(format!("{item} ×{n}（{}）", c.card.name));
        }
        for id in &p.coupons {
            if let Some(c) = t.coupons.iter().find(|c| c.id == *id) {
                out.push(c.rule.name.clone());
            }
        }
        out
    };
    let write_off =
        move || {
            error.set(None);
            let p = picked.get_untracked();
            if p.uses.is_empty() && p.coupons.is_empty() {
                return;
            }
            let l = lang.get_untracked();
            let text = T::WriteOffQuestion
                .text(l)
                .replace("{member}", &member.get_value())
                .replace("{what}", &summary().join("、"));
            confirm.ask(text, T::ConfirmWriteOff.text(l), false, move || {
                let body = WriteOffRequest {
                    ticket: token.get_value(),
                    uses: p
                        .uses
                        .iter()
                        .map(|((card_id, item_id), count)| UseOf {
                            card_id: *card_id,
                            item_id: *item_id,
                            count: *count,
                        })
                        .collect(),
                    coupon_ids: p.coupons.iter().copied().collect(),
                };
                send_with_ticket::<WriteOff>(body, key, busy, ctx.token(), move |result| {
                    match result {
                        Ok(r) => {
                            toast.show(T::WriteOffToast.text(lang.get_untracked()).to_string());
                            on_written_off.run(r);
                        }
                        Err(f) => error.set(Some(f)),
                    }
                });
            });
        };
    let step = move |card: i64, item: i64, by: i64, most: Option<i64>| {
        picked.update(|p| {
            let all_of_card: i64 = p
                .uses
                .iter()
                .filter(|((c, _), _)| *c == card)
                .map(|(_, n)| n)
                .sum();
            // At the card's limit a plus does nothing (and leaves no
            // "×0" line behind).
            if by > 0 && most.is_some_and(|m| all_of_card >= m) {
                return;
            }
            let next = (p.uses.get(&(card, item)).copied().unwrap_or(0) + by).clamp(0, 20);
            if next == 0 {
                p.uses.remove(&(card, item));
            } else {
                p.uses.insert((card, item), next);
            }
        });
    };
    let nothing_usable = t.cards.is_empty() && t.coupons.is_empty();
    // The member's level and points, as the clerk greets them.
    let (level_name, points) = (t.level.as_ref().map(|b| b.name.clone()), t.points);
    view! {
        <div class="ticket" id="ticket">
            <div class="cells">
                <div class="cell">
                    <span class="cell-main">
                        <span class="cell-title" id="ticket-member">{member.get_value()}</span>
                        <span class="cell-desc" id="ticket-level">{move || {
                            let l = lang.get();
                            let level = level_name.as_deref().unwrap_or(T::LevelNone.text(l));
                            T::TicketLevel.text(l).replace("{level}", level).replace("{n}", &points.to_string())
                        }}</span>
                    </span>
                    <span class="cell-value tabular" id="ticket-balance">{t.balance.to_string()}</span>
                </div>
            </div>
            <h2 class="cells-title">{tr(T::UsableHere)}</h2>
            <div class="cells" id="ticket-cards">
                {nothing_usable.then(|| view! { <p class="cell cell-desc" id="ticket-nothing">{tr(T::NothingUsableHere)}</p> })}
                {t.cards.iter().flat_map(|c| {
                    let card = c.card.id;
                    let most = c.usable;
                    let left = match c.usable {
                        Some(n) => T::UsableLeft.text(lang.get_untracked()).replace("{n}", &n.to_string()),
                        None => T::UsableUnlimited.text(lang.get_untracked()).to_string(),
                    };
                    let name = c.card.name.clone();
                    c.items.iter().map(move |i| {
                        let item = i.id;
                        let count = move || picked.with(|p| p.uses.get(&(card, item)).copied().unwrap_or(0));
                        view! {
                            <div class="cell ticket-use" data-card=card.to_string() data-item=item.to_string()>
                                <span class="cell-main">
                                    <span class="cell-title">{i.name.clone()}</span>
                                    <span class="cell-desc">{name.clone()}" · "{left.clone()}</span>
                                </span>
                                <span class="stepper">
                                    <button type="button" class="btn btn-default btn-small use-minus" aria-label="-"
                                        disabled=move || count() == 0 on:click=move |_| step(card, item, -1, most)>"−"</button>
                                    <span class="stepper-count tabular">{count}</span>
                                    <button type="button" class="btn btn-default btn-small use-plus" aria-label="+"
                                        on:click=move |_| step(card, item, 1, most)>"+"</button>
                                </span>
                            </div>
                        }
                    }).collect::<Vec<_>>()
                }).collect_view()}
                {t.coupons.iter().map(|c| {
                    let id = c.id;
                    let on = move || picked.with(|p| p.coupons.contains(&id));
                    view! {
                        <label class="cell ticket-coupon" data-coupon=id.to_string()>
                            <span class="cell-main">
                                <span class="cell-title">{c.rule.name.clone()}</span>
                                <span class="cell-desc">{c.rule.item.as_ref().map(|i| i.name.clone())}</span>
                            </span>
                            <input type="checkbox" prop:checked=on on:change=move |ev| {
                                let checked = event_target_checked(&ev);
                                picked.update(|p| {
                                    if checked { p.coupons.insert(id); } else { p.coupons.remove(&id); }
                                });
                            }/>
                        </label>
                    }
                }).collect_view()}
            </div>
            {move || {
                let s = summary();
                (!s.is_empty()).then(|| view! {
                    <p class="ticket-summary" id="ticket-summary">{tr(T::WillWriteOff)}" "{s.join("、")}</p>
                })
            }}
            <FormError error=error/>
            {(!nothing_usable).then(|| view! {
                <div class="form-actions">
                    <button type="button" class="btn btn-primary" id="write-off-submit"
                        disabled=move || busy.get() || picked.with(|p| p.uses.is_empty() && p.coupons.is_empty())
                        on:click=move |_| write_off()>
                        {move || if busy.get() { tr(T::Loading)() } else { tr(T::ConfirmWriteOff)() }}
                    </button>
                </div>
            })}
            <ChargeForm t=t.clone() on_charged=on_charged/>
        </div>
    }
}

/// Sends a ticket's write-off or charge once under `key` (a retry after a
/// lost answer is the same request), `busy` meanwhile; the answer goes to
/// `then` unless the ticket has left the page.
fn send_with_ticket<E>(
    body: E::Body,
    key: RwSignal<String>,
    busy: RwSignal<bool>,
    token: Option<String>,
    then: impl FnOnce(Result<E::Response, Failure>) + 'static,
) where
    E: shared::api::Endpoint<Query = (), Path = ()> + 'static,
    E::Body: 'static,
{
    busy.set(true);
    let k = key.get_untracked();
    leptos::task::spawn_local(async move {
        let result = api::send_once::<E>(&(), &body, token, &k).await;
        // `try_set` hands the value back when the ticket is gone.
        if busy.try_set(false).is_none() {
            then(result);
        }
    });
}

/// 会员码收款 with the ticket.
#[component]
fn ChargeForm(
    t: WriteOffTicket,
    #[prop(into)] on_charged: Callback<PaymentReceipt>,
) -> impl IntoView {
    let ctx = use_ctx();
    let lang = use_i18n().0;
    let toast = use_toast();
    let confirm = use_confirm();
    let amount = FieldState::new("amount", "", yuan_rule);
    let pin = FieldState::new("pin", "", payment_pin_rule);
    let coupon = RwSignal::new(None::<i64>);
    // The PIN field shows once the server asks for it.
    let pin_asked = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<Failure>);
    let key = RwSignal::new(api::new_key());
    Effect::new(move |_| {
        amount.value.track();
        coupon.track();
        key.set(api::new_key());
    });
    let token = StoredValue::new(t.ticket.clone());
    let who = StoredValue::new(t.member_phone_masked.clone());
    let coupons = StoredValue::new(t.pay_coupons.clone());
    let pay_rate = t.pay_rate_bp;
    let send =
        move |body: TicketCharge| {
            send_with_ticket::<ChargeTicket>(body, key, busy, ctx.token(), move |result| {
                match result {
                    Ok(r) => {
                        toast.show(T::ChargeToast.text(lang.get_untracked()).to_string());
                        on_charged.run(r);
                    }
                    Err(Failure::Api(e)) if e.code == ErrorCode::PinRequired => {
                        pin_asked.set(true);
                        error.set(Some(Failure::Api(e)));
                    }
                    Err(f) => error.set(Some(f)),
                }
            });
        };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        let Some(fen) = amount.checked().and_then(|v| v.parse::<i64>().ok()) else {
            return;
        };
        let typed_pin = if pin_asked.get_untracked() {
            let Some(p) = pin.checked() else { return };
            Some(p)
        } else {
            None
        };
        let body = TicketCharge {
            ticket: token.get_value(),
            amount: Fen(fen),
            coupon_id: coupon.get_untracked(),
            pin: typed_pin.clone(),
        };
        if typed_pin.is_some() {
            // The member has typed their PIN on this phone: that is their yes.
            return send(body);
        }
        let l = lang.get_untracked();
        // With a coupon the amount is the bill, not what stored value pays.
        let coupon_name = body.coupon_id.and_then(|id| {
            coupons
                .get_value()
                .into_iter()
                .find(|c| c.id == id)
                .map(|c| c.rule.name)
        });
        let text = match &coupon_name {
            Some(name) => T::ChargeQuestionCoupon.text(l).replace("{coupon}", name),
            None => T::ChargeQuestion.text(l).to_string(),
        }
        .replace("{member}", &who.get_value())
        .replace("{amount}", &Fen(fen).to_string());
        // The member's level takes its share off first: say what they pay.
        let level_off = shared::plan::plan(&shared::plan::Bill {
            level_rate: shared::money::Bp(pay_rate),
            ..shared::plan::Bill::plain(Fen(fen), Fen::ZERO, Fen::ZERO)
        })
        .level_discount;
        let text = if level_off.is_positive() {
            format!(
                "{text} {}",
                T::ChargeLevelOff
                    .text(l)
                    .replace("{off}", &level_off.to_string())
            )
        } else {
            text
        };
        confirm.ask(text, T::ConfirmCharge.text(l), false, move || {
            send(body.clone())
        });
    };
    view! {
        <h2 class="cells-title">{tr(T::ChargeByCode)}</h2>
        <form class="cells" id="charge-form" novalidate=true on:submit=submit>
            <Field label=T::Amount state=amount id="charge-amount" inputmode="decimal"/>
            {(!t.pay_coupons.is_empty()).then(|| view! {
                <label class="cell">
                    <span class="cell-label">{tr(T::CouponOff)}</span>
                    <select class="cell-input" id="charge-coupon" on:change=move |ev| {
                        coupon.set(event_target_value(&ev).parse::<i64>().ok());
                    }>
                        <option value="">{tr(T::NoCoupon)}</option>
                        {t.pay_coupons.iter().map(|c| view! {
                            <option value=c.id.to_string()>{c.rule.name.clone()}</option>
                        }).collect_view()}
                    </select>
                </label>
            })}
            {move || pin_asked.get().then(|| view! {
                <p class="cell cell-desc" id="charge-pin-hint">{tr(T::MemberTypesPin)}</p>
                <Field label=T::PinForPayment state=pin id="charge-pin" input_type="password" inputmode="numeric" maxlength=6 autocomplete="off"/>
            })}
            <FormError error=error/>
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" id="charge-submit" disabled=move || busy.get()>
                    {move || if busy.get() { tr(T::Loading)() } else { tr(T::ConfirmCharge)() }}
                </button>
            </div>
        </form>
    }
}
