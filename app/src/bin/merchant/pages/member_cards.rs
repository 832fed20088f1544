//! A member's count and period cards on the 退卡 page: each with what is
//! left on it; 退卡 of a card shows first what goes back where (principal to
//! stored value, bonus taken back, cash at this counter) and then does it;
//! HQ extends a card's end date (延期).

use crate::shell::use_ctx;
use leptos::prelude::*;
use shared::api::{CardRefundPreview, ExtendMemberCard, RefundMemberCard, StaffMemberCards};
use shared::dto::{CardRefundParts, CardState, ExtendCard, MemberCard, RefundCard, Role};
use tongka_app::api::{self, Failure};
use tongka_app::components::{CardFace, FormError, card_lines, use_confirm, use_toast};
use tongka_app::i18n::{T, tr, use_i18n};

/// The member's cards, with 退卡 and (for HQ) 延期; `store`: where HQ pays
/// cash back.
#[component]
pub fn MemberCardsSection(
    member_id: i64,
    store: RwSignal<Option<i64>>,
    /// Lists and extends only (退卡 is done from the 退卡 page, where HQ
    /// names the store that pays back).
    #[prop(optional)]
    no_refund: bool,
) -> impl IntoView {
    let ctx = use_ctx();
    let toast = use_toast();
    let confirm = use_confirm();
    let lang = use_i18n().0;
    let error = RwSignal::new(None::<Failure>);
    let busy = RwSignal::new(false);
    let cards = LocalResource::new(move || {
        let token = ctx.session.token.get();
        async move { api::fetch::<StaffMemberCards>(&member_id, token).await }
    });
    let is_hq = move || matches!(ctx.role(), Some(Role::HqAdmin | Role::HqFinance));
    let refund = move |c: MemberCard| {
        error.set(None);
        busy.set(true);
        leptos::task::spawn_local(async move {
            let preview = api::fetch::<CardRefundPreview>(&c.id, ctx.token()).await;
            busy.set(false);
            let p: CardRefundParts = match preview {
                Ok(p) => p,
                Err(f) => return error.set(Some(f)),
            };
            let l = lang.get_untracked();
            let text = T::CardRefundQuestion
                .text(l)
                .replace("{name}", &c.name)
                .replace("{principal}", &p.principal.to_string())
                .replace("{online}", &p.online.to_string())
                .replace("{bonus}", &p.bonus_clawed_back.to_string())
                .replace("{cash}", &p.cash.to_string())
                .replace("{uses}", &p.uses.to_string());
            let key = api::new_key();
            confirm.ask(text, T::ConfirmCardRefund.text(l), true, move || {
                let body = RefundCard {
                    store_id: if is_hq() { store.get_untracked() } else { None },
                };
                let key = key.clone();
                busy.set(true);
                leptos::task::spawn_local(async move {
                    let r =
                        api::send_once::<RefundMemberCard>(&c.id, &body, ctx.token(), &key).await;
                    busy.set(false);
                    match r {
                        Ok(_) => {
                            toast.show(T::CardRefundDone.text(lang.get_untracked()).to_string());
                            cards.refetch();
                        }
                        Err(f) => error.set(Some(f)),
                    }
                });
            });
        });
    };
    // Each card's own date (typed into its row).
    let extend = move |c: MemberCard, ends: String| {
        error.set(None);
        let l = lang.get_untracked();
        let text = T::ExtendQuestion
            .text(l)
            .replace("{name}", &c.name)
            .replace("{date}", &ends);
        confirm.ask(text, T::ConfirmExtend.text(l), false, move || {
            let body = ExtendCard {
                ends_on: ends.clone(),
            };
            busy.set(true);
            leptos::task::spawn_local(async move {
                let r = api::send::<ExtendMemberCard>(&c.id, &body, ctx.token()).await;
                busy.set(false);
                match r {
                    Ok(_) => {
                        toast.show(T::Saved.text(lang.get_untracked()).to_string());
                        cards.refetch();
                    }
                    Err(f) => error.set(Some(f)),
                }
            });
        });
    };
    view! {
        <h2 class="cells-title">{tr(T::MemberCardsTitle)}</h2>
        <FormError error=error/>
        {move || match cards.get() {
            Some(Ok(list)) if list.is_empty() => view! { <p class="cell cell-desc" id="member-no-cards">{tr(T::NoMemberCards)}</p> }.into_any(),
            Some(Ok(list)) => view! {
                <div class="card-list" id="member-cards">
                    {list.into_iter().map(|c| {
                        let l = lang.get();
                        let badge = match c.state {
                            CardState::Active => None,
                            CardState::Expired => Some(T::CardExpired.text(l).to_string()),
                            CardState::Refunded => Some(T::CardRefunded.text(l).to_string()),
                        };
                        let mut lines = card_lines(&c, l);
                        lines.push(format!("{} {}", T::CardRemaining.text(l), c.remaining));
                        let (for_refund, for_extend) = (c.clone(), c.clone());
                        let active = c.state == CardState::Active && !no_refund;
                        let can_extend = c.ends_on.is_some() && c.state != CardState::Refunded;
                        view! {
                            <div class="member-card-admin" data-card=c.id>
                                <CardFace name=c.name.clone() color=c.theme_color.clone() image=c.image_url.clone() lines=lines badge=badge/>
                                <div class="form-actions">
                                    {active.then(|| view! {
                                        <button class="btn btn-warn btn-small card-refund" disabled=move || busy.get()
                                            on:click=move |_| refund(for_refund.clone())>{tr(T::RefundThisCard)}</button>
                                    })}
                                    {move || (is_hq() && can_extend).then(|| {
                                        let c = for_extend.clone();
                                        let extend_to = RwSignal::new(String::new());
                                        view! {
                                            <input type="date" class="cell-input card-extend-date" aria-label=move || tr(T::ExtendTo)()
                                                on:input=move |ev| extend_to.set(event_target_value(&ev))/>
                                            <button class="btn btn-default btn-small card-extend" disabled=move || busy.get() || extend_to.get().is_empty()
                                                on:click=move |_| extend(c.clone(), extend_to.get_untracked())>{tr(T::ExtendCard)}</button>
                                        }
                                    })}
                                </div>
                            </div>
                        }
                    }).collect_view()}
                </div>
            }.into_any(),
            Some(Err(f)) => view! { <p class="cell field-error">{f.text(lang.get())}</p> }.into_any(),
            None => view! { <p class="cell cell-desc">"…"</p> }.into_any(),
        }}
    }
}
