//! 退卡: a store manager (or HQ, naming the store) closes a member's stored
//! value. The page looks the member up by phone, shows what goes back and
//! how (online top-ups through the gateway, the rest in cash at the
//! counter, bonus taken back), and closes it only after a confirmation.

use crate::shell::{require_login, use_ctx};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use shared::api::{CloseMemberStoredValue, ListStores, MemberMoneyById, MemberMoneyByPhone};
use shared::dto::{CloseStoredValue, MemberMoney, PhoneQuery, Role, StoredValueClosed};
use shared::money::Fen;
use shared::validate;
use tongka_app::api::{self, Failure};
use tongka_app::components::{Field, FieldState, FormError, TopBar, use_confirm, use_toast};
use tongka_app::i18n::{T, tr, use_i18n};

/// Whom to look up: by the phone typed, or by id from HQ's member page.
enum Who {
    Phone(String),
    Id(i64),
}

/// 退卡
#[component]
pub fn CloseCardPage() -> impl IntoView {
    require_login();
    let ctx = use_ctx();
    let toast = use_toast();
    let lang = use_i18n().0;
    let phone = FieldState::new("member_phone", "", validate::phone);
    let found = RwSignal::new(None::<MemberMoney>);
    let done = RwSignal::new(None::<StoredValueClosed>);
    let busy = RwSignal::new(false);
    let confirm = use_confirm();
    let error = RwSignal::new(None::<Failure>);
    let store = RwSignal::new(None::<i64>);
    let key = RwSignal::new(api::new_key());
    let is_hq = move || matches!(ctx.role(), Some(Role::HqAdmin | Role::HqFinance));
    let stores = LocalResource::new(move || {
        let token = ctx.session.token.get();
        let hq = is_hq();
        async move {
            if hq {
                api::fetch::<ListStores>(&(), token)
                    .await
                    .unwrap_or_default()
            } else {
                Vec::new()
            }
        }
    });
    // Looks the member up by phone, or by id when HQ's member page sent
    // them here (`?member=ID`).
    let look_up_by = move |by: Who| {
        // A new attempt: the last one's error goes (never two at once).
        busy.set(true);
        error.set(None);
        found.set(None);
        done.set(None);
        leptos::task::spawn_local(async move {
            let r = match by {
                Who::Phone(phone) => {
                    let query = PhoneQuery { phone };
                    api::fetch_q::<MemberMoneyByPhone>(&(), &query, ctx.token()).await
                }
                Who::Id(id) => api::fetch::<MemberMoneyById>(&id, ctx.token()).await,
            };
            busy.set(false);
            match r {
                Ok(m) => {
                    key.set(api::new_key());
                    found.set(Some(m));
                }
                Err(f) => error.set(Some(f)),
            }
        });
    };
    let look_up = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        if let Some(p) = phone.checked() {
            look_up_by(Who::Phone(p));
        }
    };
    if let Some(id) = use_query_map()
        .read_untracked()
        .get("member")
        .and_then(|m| m.parse::<i64>().ok())
    {
        look_up_by(Who::Id(id));
    }
    let close = move || {
        let Some(m) = found.get_untracked() else {
            return;
        };
        busy.set(true);
        error.set(None);
        let body = CloseStoredValue {
            store_id: if is_hq() { store.get_untracked() } else { None },
        };
        let k = key.get_untracked();
        leptos::task::spawn_local(async move {
            let r = api::send_once::<CloseMemberStoredValue>(&m.member_id, &body, ctx.token(), &k)
                .await;
            busy.set(false);
            match r {
                Ok(c) => {
                    toast.show(T::CardClosed.text(lang.get_untracked()).to_string());
                    found.set(None);
                    done.set(Some(c));
                }
                Err(f) => error.set(Some(f)),
            }
        });
    };
    view! {
        <TopBar title=Signal::derive(move || tr(T::CloseCard)().to_string()) back=true/>
        <section class="page">
            <form class="cells" on:submit=look_up novalidate=true id="close-lookup">
                <Field label=T::MemberPhone state=phone id="close-phone" input_type="tel" inputmode="numeric" maxlength=13/>
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary" id="close-lookup-submit" disabled=move || busy.get()>{tr(T::LookUp)}</button>
                </div>
            </form>
            <FormError error=error/>
            {move || done.get().map(|c| view! {
                <div class="receipt" id="close-receipt">
                    <div class="receipt-icon" aria-hidden="true">"✓"</div>
                    <p class="receipt-title">{tr(T::CardClosed)}</p>
                    <p class="receipt-amount tabular">{c.principal_refunded.to_string()}</p>
                    <p class="cell-desc tabular">{tr(T::ViaGateway)}" "{c.via_gateway.to_string()}</p>
                    <p class="cell-desc tabular">{tr(T::CashBack)}" "{c.cash.to_string()}</p>
                    <p class="cell-desc tabular">{tr(T::BonusClawback)}" "{c.bonus_clawed_back.to_string()}</p>
                </div>
            })}
            {move || found.get().map(|m| {
                let cash = Fen(m.principal.0 - m.via_gateway.0);
                let asked = m.clone();
                view! {
                    <div class="cells" id="close-member">
                        <div class="cell">
                            <span class="cell-label">{tr(T::Member)}</span>
                            <span class="cell-value">{m.name.clone()}" "{m.phone_masked.clone()}</span>
                        </div>
                        <div class="cell">
                            <span class="cell-label">{tr(T::Principal)}</span>
                            <span class="cell-value tabular" id="close-principal">{m.principal.to_string()}</span>
                        </div>
                        <div class="cell">
                            <span class="cell-label">{tr(T::ViaGateway)}</span>
                            <span class="cell-value tabular" id="close-via-gateway">{m.via_gateway.to_string()}</span>
                        </div>
                        <div class="cell">
                            <span class="cell-label">{tr(T::CashBack)}</span>
                            <span class="cell-value tabular" id="close-cash">{cash.to_string()}</span>
                        </div>
                        <div class="cell">
                            <span class="cell-label">{tr(T::BonusClawback)}</span>
                            <span class="cell-value tabular">{m.bonus.to_string()}</span>
                        </div>
                        {move || is_hq().then(|| view! {
                            <label class="cell">
                                <span class="cell-label">{tr(T::PayBackAt)}</span>
                                <select class="cell-input" id="close-store"
                                    on:change=move |ev| store.set(event_target_value(&ev).parse().ok())>
                                    <option value="">"—"</option>
                                    {move || stores.get().unwrap_or_default().into_iter().filter(|s| s.active).map(|s| view! {
                                        <option value=s.id.to_string()>{s.name}</option>
                                    }).collect_view()}
                                </select>
                            </label>
                        })}
                    </div>
                    <div class="form-actions">
                        <button class="btn btn-warn" id="close-start" disabled=move || busy.get() on:click=move |_| {
                            let l = lang.get_untracked();
                            let text = T::CloseQuestion
                                .text(l)
                                .replace("{who}", format!("{} {}", asked.name, asked.phone_masked).trim())
                                .replace("{principal}", &asked.principal.to_string())
                                .replace("{gateway}", &asked.via_gateway.to_string())
                                .replace("{cash}", &cash.to_string())
                                .replace("{bonus}", &asked.bonus.to_string());
                            confirm.ask(text, T::ConfirmClose.text(l), true, close)
                        }>{tr(T::CloseCard)}</button>
                    </div>
                    <crate::pages::member_cards::MemberCardsSection member_id=m.member_id store=store/>
                }
            })}
        </section>
    }
}

tongka_app::split_page!(close_card => CloseCardPage);
