//! 售卡 at the counter: the clerk types the member's phone and sees who it
//! is, picks a card sold at this store, confirms the money to take (cash or
//! card, held for HQ like counter top-ups) and hands over the receipt.

use crate::shell::{require_login, use_ctx};
use leptos::prelude::*;
use shared::api::{CounterMember, ListCardTypes, SellCardAtCounter};
use shared::dto::{CardReceipt, CardType, PhoneQuery, SellCard};
use shared::validate;
use tongka_app::api::{self, Failure};
use tongka_app::components::{
    CardFace, EmptyState, Field, FieldState, FormError, TopBar, card_lines, loaded, use_confirm,
    use_toast,
};
use tongka_app::i18n::{T, tr, use_i18n};

/// 柜台售卡
#[component]
pub fn SellCardPage() -> impl IntoView {
    require_login();
    let ctx = use_ctx();
    let toast = use_toast();
    let lang = use_i18n().0;
    let confirm = use_confirm();
    let phone = FieldState::new("member_phone", "", validate::phone);
    let chosen = RwSignal::new(None::<CardType>);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<Failure>);
    let done = RwSignal::new(None::<CardReceipt>);
    let key = RwSignal::new(api::new_key());
    Effect::new(move |_| {
        phone.value.track();
        chosen.track();
        key.set(api::new_key());
    });
    let types = LocalResource::new(move || {
        let token = ctx.session.token.get();
        async move { api::fetch::<ListCardTypes>(&(), token).await }
    });
    let member = LocalResource::new(move || {
        let typed = validate::phone(&phone.value.get()).ok();
        let token = ctx.session.token.get();
        async move {
            match typed {
                Some(phone) => {
                    Some(api::fetch_q::<CounterMember>(&(), &PhoneQuery { phone }, token).await)
                }
                None => None,
            }
        }
    });
    let sell = move |body: SellCard| {
        busy.set(true);
        error.set(None);
        let k = key.get_untracked();
        leptos::task::spawn_local(async move {
            let r = api::send_once::<SellCardAtCounter>(&(), &body, ctx.token(), &k).await;
            busy.set(false);
            match r {
                Ok(r) => {
                    toast.show(T::CardSold.text(lang.get_untracked()).to_string());
                    done.set(Some(r));
                    phone.value.set(String::new());
                    phone.touched.set(false);
                    chosen.set(None);
                }
                Err(f) => error.set(Some(f)),
            }
        });
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        let Some(p) = phone.checked() else { return };
        let Some(t) = chosen.get_untracked() else {
            return error.set(Some(Failure::Api(shared::ApiError::new(
                shared::ErrorCode::InvalidField,
                [
                    ("field".to_string(), "card_type_id".to_string()),
                    ("reason".to_string(), "required".to_string()),
                ]
                .into(),
                lang.get_untracked(),
            ))));
        };
        let who = match member.get_untracked() {
            Some(Some(Ok(m))) => format!("{} {}", m.name, m.phone_masked).trim().to_string(),
            // Unregistered: said under the field already.
            Some(Some(Err(f))) if !f.is_unauthenticated() => return,
            _ => p.clone(),
        };
        let l = lang.get_untracked();
        let text = T::SellCardQuestion
            .text(l)
            .replace("{who}", &who)
            .replace("{name}", &t.terms.name)
            .replace("{price}", &t.terms.price.to_string());
        let body = SellCard {
            member_phone: p,
            card_type_id: t.id,
        };
        confirm.ask(text, T::ConfirmSell.text(l), false, move || {
            sell(body.clone())
        });
    };
    let my_store = move || ctx.store_id();
    view! {
        <TopBar title=Signal::derive(move || tr(T::SellCard)().to_string()) back=true/>
        <section class="page">
            {move || done.get().map(|r| {
                let l = lang.get();
                view! {
                    <div class="receipt" id="sell-receipt">
                        <div class="receipt-icon" aria-hidden="true">"✓"</div>
                        <p class="receipt-title">{tr(T::CardSold)}</p>
                        <p class="receipt-amount tabular" id="sell-cash">{r.cash.to_string()}</p>
                        <p class="cell-desc">{tr(T::TakeCashOrCard)}</p>
                        <div class="card-detail-face">
                            <CardFace name=r.card.name.clone() color=r.card.theme_color.clone() image=r.card.image_url.clone() lines=card_lines(&r.card, l) badge=None/>
                        </div>
                    </div>
                }
            })}
            <form class="cells" id="sell-form" novalidate=true on:submit=submit>
                <Field label=T::MemberPhone state=phone id="sell-phone" inputmode="numeric" maxlength=11/>
                {move || match member.get() {
                    Some(Some(Ok(m))) => view! {
                        <div class="cell" id="sell-member">
                            <span class="cell-label">{tr(T::Member)}</span>
                            <span class="cell-value">{format!("{} {}", m.name, m.phone_masked).trim().to_string()}</span>
                        </div>
                        {m.frozen.then(|| view! { <div class="notice notice-warn">{tr(T::FrozenTag)}</div> })}
                    }.into_any(),
                    Some(Some(Err(f))) if !f.is_unauthenticated() => view! {
                        <p class="field-error" role="alert" id="sell-member-error">{f.text(lang.get())}</p>
                    }.into_any(),
                    _ => ().into_any(),
                }}
                {loaded(types, move |list: Vec<CardType>| {
                    let here: Vec<CardType> = list.into_iter().filter(|t| t.terms.on_sale && (t.terms.sold_everywhere || my_store().is_some_and(|s| t.terms.sold_store_ids.contains(&s)))).collect();
                    if here.is_empty() {
                        return view! { <EmptyState text=T::NoCardsSoldHere/> }.into_any();
                    }
                    view! {
                        <div id="sell-types">
                            {here.into_iter().map(|t| {
                                let id = t.id;
                                let mine = t.clone();
                                view! {
                                    <label class="cell sell-type" data-type=id>
                                        <span class="cell-main">
                                            <span class="cell-title">{t.terms.name.clone()}</span>
                                            <span class="cell-desc">{t.terms.description.clone()}</span>
                                        </span>
                                        <span class="cell-value tabular">{t.terms.price.to_string()}</span>
                                        <input type="radio" name="card-type" class="sell-radio" prop:checked=move || chosen.get().is_some_and(|c| c.id == id)
                                            on:change=move |_| chosen.set(Some(mine.clone()))/>
                                    </label>
                                }
                            }).collect_view()}
                        </div>
                    }.into_any()
                })}
                <FormError error=error/>
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary" id="sell-submit" disabled=move || busy.get()>{tr(T::SellCard)}</button>
                </div>
            </form>
        </section>
    }
}

tongka_app::split_page!(sell_card => SellCardPage);
