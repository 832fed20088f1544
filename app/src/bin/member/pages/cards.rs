//! The card wallet (卡包): the stored-value card, then the member's count
//! and period cards each in its own look; a card in full (where it is
//! honoured, what it covers, its history); buying a card from stored value
//! (what it does not cover paid online) with the price, the stores and the
//! items shown first.

use crate::shell::{Tab, TabBar, require_login, use_brand, use_session};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use shared::api::{
    BuyMemberCard, MemberBalance, MemberCardInFull, MemberCardOffers, MemberCards, MemberPoints,
    StartCardOrder,
};
use shared::dto::{
    BalanceView, BuyCard, CardEventKind, CardKind, CardOffer, CardReceipt, CardState, MemberCard,
    MemberCardDetail, MemberPointsView,
};
use shared::money::Fen;
use shared::plan::{Bill, plan};
use tongka_app::api::{self, ApiResult, Failure};
use tongka_app::components::{
    CardFace, EmptyState, Field, FieldState, FormError, TopBar, card_lines, loaded, local_time,
    path_id, payment_pin_rule, use_confirm, use_nav,
};
use tongka_app::i18n::{T, Txt, tr, use_i18n};

/// 卡包
#[component]
pub fn CardsPage() -> impl IntoView {
    require_login();
    let session = use_session();
    let brand = use_brand();
    let data = LocalResource::new(move || {
        let token = session.token.get();
        async move {
            let balance = api::fetch::<MemberBalance>(&(), token.clone()).await?;
            let cards = api::fetch::<MemberCards>(&(), token).await?;
            ApiResult::Ok((balance, cards))
        }
    });
    // The points card loads on its own: the wallet shows without it.
    let points = LocalResource::new(move || {
        let token = session.token.get();
        async move { api::fetch::<MemberPoints>(&(), token).await }
    });
    let b = brand.clone();
    view! {
        <TopBar title=Signal::derive(move || tr(T::TabCards)().to_string())/>
        <section class="page page-tabbed">
            {loaded(data, move |(balance, cards): (BalanceView, Vec<MemberCard>)| {
                let brand = b.clone();
                let color = brand.info.get_untracked().and_then(Result::ok).map(|i| i.theme_color).unwrap_or_default();
                let points_color = color.clone();
                view! {
                    <A href=brand.path("/history") attr:class="card-link" attr:id="stored-value-card">
                        <CardFace name=tr(T::StoredValueCard)().to_string() color=color image=None
                            lines=vec![balance.total.to_string()] badge=None/>
                    </A>
                    <PointsCard points=points color=points_color/>
                    <div class="cells">
                        <A href=brand.path("/cards/shop") attr:class="cell cell-link" attr:id="open-card-shop">
                            <span class="cell-main">{tr(T::BuyACard)}</span>
                        </A>
                        <A href=brand.path("/coupons") attr:class="cell cell-link" attr:id="open-coupons">
                            <span class="cell-main">{tr(T::MyCoupons)}</span>
                        </A>
                        <A href=brand.path("/coupons/centre") attr:class="cell cell-link" attr:id="open-coupon-centre">
                            <span class="cell-main">{tr(T::CouponCentre)}</span>
                        </A>
                    </div>
                    {if cards.is_empty() {
                        view! { <EmptyState text=T::NoCardsYet/> }.into_any()
                    } else {
                        view! {
                            <div class="card-list" id="card-list">
                                {cards.into_iter().map(|c| {
                                    let href = brand.path(&format!("/cards/{}", c.id));
                                    view! { <A href=href attr:class="card-link member-card-row"><WalletCard c=c/></A> }
                                }).collect_view()}
                            </div>
                        }.into_any()
                    }}
                }.into_any()
            })}
        </section>
        <TabBar active=Tab::Cards/>
    }
}

/// The points card: what the member can use and what expires next, opening
/// 我的积分; nothing where the brand runs no points and the member has none.
#[component]
fn PointsCard(points: LocalResource<ApiResult<MemberPointsView>>, color: String) -> impl IntoView {
    let brand = use_brand();
    let lang = use_i18n().0;
    move || {
        match points.get() {
        None => view! { <div class="card-face card-face-loading" aria-hidden="true"></div> }.into_any(),
        Some(Err(_)) => view! {
            <div class="cells">
                <button type="button" class="cell cell-link" id="points-card-retry" on:click=move |_| points.refetch()>
                    <span class="cell-main">{tr(T::PointsLoadFailed)}</span>
                    <span class="cell-value">{tr(T::Retry)}</span>
                </button>
            </div>
        }.into_any(),
        Some(Ok(p)) if p.policy.per_yuan == 0 && p.policy.max_share_bp == 0 && p.usable == 0 && p.held == 0 => ().into_any(),
        Some(Ok(p)) => {
            let l = lang.get();
            let mut lines = vec![T::PointsSpent.text(l).replace("{n}", &p.usable.to_string())];
            if let Some(at) = &p.next_expiry {
                lines.push(
                    T::PointsNextExpiry
                        .text(l)
                        .replace("{n}", &p.next_expiring.to_string())
                        .replace("{at}", &local_time(at)),
                );
            }
            let (name, color) = (T::PointsCard.text(l).to_string(), color.clone());
            view! {
                <A href=brand.path("/points") attr:class="card-link" attr:id="points-card">
                    <CardFace name=name color=color image=None lines=lines badge=None/>
                </A>
            }.into_any()
        }
    }
    }
}

/// A card's state, when it is not usable.
fn state_badge(s: CardState) -> Option<Txt> {
    match s {
        CardState::Active => None,
        CardState::Expired => Some(T::CardExpired),
        CardState::Refunded => Some(T::CardRefunded),
    }
}

/// A card in its look, with what is left on it.
#[component]
fn WalletCard(c: MemberCard) -> impl IntoView {
    let i18n = use_i18n();
    // Its lines follow the language.
    move || {
        let l = i18n.0.get();
        let badge = state_badge(c.state).map(|t| t.text(l).to_string());
        let (name, color, image) = (c.name.clone(), c.theme_color.clone(), c.image_url.clone());
        view! {
            <CardFace name=name color=color image=image lines=card_lines(&c, l) badge=badge/>
        }
    }
}

/// 会员卡详情
#[component]
pub fn CardDetailPage() -> impl IntoView {
    require_login();
    let session = use_session();
    let params = use_params_map();
    let detail = LocalResource::new(move || {
        let token = session.token.get();
        let id = params.read().get("id").unwrap_or_default();
        async move { api::fetch::<MemberCardInFull>(&path_id(&id)?, token).await }
    });
    view! {
        <TopBar title=Signal::derive(move || tr(T::CardDetail)().to_string()) back=true/>
        <section class="page">
            {loaded(detail, move |d: MemberCardDetail| view! { <CardInFull d=d/> }.into_any())}
        </section>
    }
}

fn event_text(k: CardEventKind) -> Txt {
    match k {
        CardEventKind::Bought => T::CardBought,
        CardEventKind::Used => T::CardUsed,
        CardEventKind::UseUndone => T::CardUseUndone,
        CardEventKind::Extended => T::CardExtended,
        CardEventKind::Refunded => T::CardRefunded,
        CardEventKind::Expired => T::CardExpired,
    }
}

/// Where a card is honoured: every store, or these.
fn stores_text(everywhere: bool, names: Vec<String>) -> impl IntoView {
    move || {
        if everywhere {
            tr(T::AllStores)().to_string()
        } else {
            names.join("、")
        }
    }
}

#[component]
fn CardInFull(d: MemberCardDetail) -> impl IntoView {
    let c = d.card.clone();
    let store_names: Vec<String> = d.stores.iter().map(|s| s.name.clone()).collect();
    let items: Vec<String> = d.items.iter().map(|i| i.name.clone()).collect();
    view! {
        <div class="card-detail-face"><WalletCard c=c.clone()/></div>
        <div class="cells" id="card-terms">
            <div class="cell">
                <span class="cell-label">{tr(T::CardItems)}</span>
                <span class="cell-value" id="card-items">{items.join("、")}</span>
            </div>
            <div class="cell">
                <span class="cell-label">{tr(T::HonouredAt)}</span>
                <span class="cell-value" id="card-stores">{stores_text(d.honoured_everywhere, store_names)}</span>
            </div>
            <div class="cell">
                <span class="cell-label">{tr(T::ValidFrom)}</span>
                <span class="cell-value tabular">{c.starts_on.clone()}</span>
            </div>
            <div class="cell">
                <span class="cell-label">{tr(T::ValidUntil)}</span>
                <span class="cell-value tabular" id="card-ends">{match c.ends_on.clone() {
                    Some(e) => e.into_any(),
                    None => tr(T::NoExpiry).into_any(),
                }}</span>
            </div>
            <div class="cell">
                <span class="cell-label">{tr(T::CardPrice)}</span>
                <span class="cell-value tabular">{c.price.to_string()}</span>
            </div>
        </div>
        <h2 class="cells-title">{tr(T::CardHistory)}</h2>
        <div class="cells" id="card-history">
            {d.history.into_iter().map(|e| {
                let place = [e.store_name.clone(), e.item_name.clone()].into_iter().flatten().collect::<Vec<_>>().join(" · ");
                let uses = (e.uses != 0).then(|| if e.uses > 0 { format!("+{}", e.uses) } else { e.uses.to_string() });
                view! {
                    <div class="cell card-event" data-kind=e.kind.as_str()>
                        <span class="cell-main">
                            <span class="cell-title">{tr(event_text(e.kind))}</span>
                            <span class="cell-desc">{place}</span>
                            <span class="cell-desc tabular">{local_time(&e.at)}</span>
                        </span>
                        <span class="cell-value tabular">{uses.map(|u| view! { {u}" "{tr(T::UsesUnit)} })}</span>
                    </div>
                }
            }).collect_view()}
        </div>
    }
}

/// 购买会员卡: the cards on offer, each with what it covers and where.
#[component]
pub fn CardShopPage() -> impl IntoView {
    require_login();
    let session = use_session();
    let data = LocalResource::new(move || {
        let token = session.token.get();
        async move {
            let offers = api::fetch::<MemberCardOffers>(&(), token.clone()).await?;
            let balance = api::fetch::<MemberBalance>(&(), token).await?;
            ApiResult::Ok((offers, balance))
        }
    });
    view! {
        <TopBar title=Signal::derive(move || tr(T::BuyACard)().to_string()) back=true/>
        <section class="page">
            {loaded(data, move |(offers, balance): (Vec<CardOffer>, BalanceView)| {
                if offers.is_empty() {
                    return view! { <EmptyState text=T::NoCardsOnOffer/> }.into_any();
                }
                view! { <Offers offers=offers balance=balance/> }.into_any()
            })}
        </section>
    }
}

#[component]
fn Offers(offers: Vec<CardOffer>, balance: BalanceView) -> impl IntoView {
    let session = use_session();
    let brand = use_brand();
    let nav = use_nav();
    let confirm = use_confirm();
    let i18n = use_i18n();
    let chosen = RwSignal::new(None::<CardOffer>);
    let pin = FieldState::new("pin", "", payment_pin_rule);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<Failure>);
    let receipt = RwSignal::new(None::<CardReceipt>);
    let key = RwSignal::new(api::new_key());
    let pin_page = StoredValue::new(brand.path("/me"));
    let wallet = brand.path("/cards");
    let total = balance.total;
    let pin_above = balance.pin_above;
    // The server's own price plan, from the member's balance.
    let (principal, bonus) = (balance.principal, balance.bonus);
    let plan_for = move |price: Fen| plan(&Bill::plain(price, principal, bonus));
    let buy = move || {
        let Some(o) = chosen.get_untracked() else {
            return;
        };
        let planned = plan_for(o.card_type.terms.price);
        let needs_pin = planned.stored_value() > pin_above;
        let split = planned.online.is_positive();
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
        leptos::task::spawn_local(async move {
            let req = BuyCard {
                card_type_id: o.card_type.id,
                pin: pin_value,
            };
            if split {
                // What stored value does not cover is paid at the gateway's
                // checkout, which returns to the order page.
                let started =
                    api::send_once::<StartCardOrder>(&(), &req, session.current(), &k).await;
                super::topup::to_checkout(started, busy, key, error);
                return;
            }
            let r = api::send_once::<BuyMemberCard>(&(), &req, session.current(), &k).await;
            busy.set(false);
            match r {
                Ok(r) => receipt.set(Some(r)),
                Err(f) => error.set(Some(f)),
            }
        });
    };
    let ask = move || {
        let Some(o) = chosen.get_untracked() else {
            return;
        };
        let l = i18n.0.get_untracked();
        let text = T::BuyCardQuestion
            .text(l)
            .replace("{name}", &o.card_type.terms.name)
            .replace("{price}", &o.card_type.terms.price.to_string());
        confirm.ask(text, T::ConfirmBuy.text(l), false, buy);
    };
    view! {
        {move || match receipt.get() {
            Some(r) => {
                let wallet = wallet.clone();
                view! {
                    <div class="receipt" id="card-receipt">
                        <div class="receipt-icon" aria-hidden="true">"✓"</div>
                        <p class="receipt-title">{tr(T::CardBoughtTitle)}</p>
                        <p class="receipt-amount tabular">{r.card.price.to_string()}</p>
                        <p class="cell-desc">{r.card.name.clone()}</p>
                        <div class="cells">
                            {r.principal.is_positive().then(|| view! {
                                <div class="cell"><span class="cell-label">{tr(T::PartPrincipal)}</span><span class="cell-value tabular">{r.principal.to_string()}</span></div>
                            })}
                            {r.bonus.is_positive().then(|| view! {
                                <div class="cell"><span class="cell-label">{tr(T::PartBonus)}</span><span class="cell-value tabular">{r.bonus.to_string()}</span></div>
                            })}
                            {r.balance_after.map(|b| view! {
                                <div class="cell"><span class="cell-label">{tr(T::Balance)}</span><span class="cell-value tabular" id="card-balance-after">{b.to_string()}</span></div>
                            })}
                        </div>
                        <div class="form-actions">
                            <button class="btn btn-primary" id="card-receipt-done" on:click=move |_| nav.replace(&wallet)>{tr(T::ToMyCards)}</button>
                        </div>
                    </div>
                }.into_any()
            }
            None => view! {
                <div class="card-list" id="card-offers">
                    {offers.clone().into_iter().map(|o| {
                        let t = o.card_type.clone();
                        let mine = o.clone();
                        let lines = vec![offer_line(&o, i18n.0.get_untracked())];
                        let stores: Vec<String> = o.stores.iter().map(|s| s.name.clone()).collect();
                        let items: Vec<String> = o.items.iter().map(|i| i.name.clone()).collect();
                        let id = t.id;
                        view! {
                            <div class="offer" data-type=id>
                                <CardFace name=t.terms.name.clone() color=t.terms.theme_color.clone() image=t.image_url.clone() lines=lines badge=None/>
                                <div class="cells">
                                    <div class="cell"><span class="cell-label">{tr(T::CardPrice)}</span><span class="cell-value tabular offer-price">{t.terms.price.to_string()}</span></div>
                                    <div class="cell"><span class="cell-label">{tr(T::CardItems)}</span><span class="cell-value">{items.join("、")}</span></div>
                                    <div class="cell"><span class="cell-label">{tr(T::HonouredAt)}</span><span class="cell-value">{stores_text(t.terms.honoured_everywhere, stores)}</span></div>
                                    {(!t.terms.description.is_empty()).then(|| view! { <p class="cell cell-desc">{t.terms.description.clone()}</p> })}
                                </div>
                                <div class="form-actions">
                                    <button class="btn btn-primary offer-buy" disabled=move || busy.get()
                                        on:click=move |_| {
                                            error.set(None);
                                            if chosen.get_untracked().is_none_or(|c| c.card_type.id != id) {
                                                key.set(api::new_key());
                                            }
                                            chosen.set(Some(mine.clone()));
                                        }>{tr(T::BuyThisCard)}</button>
                                </div>
                            </div>
                        }
                    }).collect_view()}
                </div>
                {move || chosen.get().map(|o| {
                    let price = o.card_type.terms.price;
                    let planned = plan_for(price);
                    let short = planned.online.is_positive();
                    let all_online = short && !planned.stored_value().is_positive();
                    let needs_pin = planned.stored_value() > pin_above;
                    let pin_href = pin_page.get_value();
                    view! {
                        <form class="cells" id="buy-card-form" novalidate=true on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); ask(); }>
                            <div class="cell"><span class="cell-label">{tr(T::Buying)}</span><span class="cell-value" id="buying-name">{o.card_type.terms.name.clone()}</span></div>
                            <div class="cell"><span class="cell-label">{tr(T::Payable)}</span><span class="cell-value tabular">{price.to_string()}</span></div>
                            <div class="cell"><span class="cell-label">{tr(T::Balance)}</span><span class="cell-value tabular">{total.to_string()}</span></div>
                            {short.then(|| view! {
                                <div class="notice" id="buy-short">
                                    {tr(if all_online { T::AllOnline } else { T::ShortfallOnline })}" "
                                    <span class="tabular" id="buy-online">{planned.online.to_string()}</span>
                                </div>
                            })}
                            {needs_pin.then(|| if balance.pin_set {
                                view! { <Field label=T::PinForPayment state=pin input_type="password" id="buy-pin" inputmode="numeric" maxlength=6 placeholder=T::PinPlaceholder autocomplete="off"/> }.into_any()
                            } else {
                                view! { <A href=pin_href.clone() attr:class="cell cell-link" attr:id="buy-set-pin">{tr(T::SetPinToPay)}</A> }.into_any()
                            })}
                            <FormError error=error/>
                            <div class="form-actions">
                                <button type="submit" class="btn btn-primary" id="buy-card-submit" disabled=move || busy.get()>
                                    {move || if busy.get() { tr(T::Paying)() } else if all_online { tr(T::PayOnline)() } else if short { tr(T::PaySplit)() } else { tr(T::PayFromBalance)() }}
                                </button>
                            </div>
                        </form>
                    }
                })}
            }.into_any(),
        }}
    }
}

/// What an offer gives, in one line.
fn offer_line(o: &CardOffer, l: shared::Lang) -> String {
    let t = &o.card_type.terms;
    match t.kind {
        CardKind::Count => T::UsesOffer
            .text(l)
            .replace("{n}", &t.uses.unwrap_or(0).to_string()),
        CardKind::Period => {
            let p = match t.period {
                Some(shared::dto::CardPeriod::Quarter) => T::PeriodQuarter,
                Some(shared::dto::CardPeriod::Year) => T::PeriodYear,
                _ => T::PeriodMonth,
            };
            p.text(l).to_string()
        }
    }
}

tongka_app::split_page!(cards => CardsPage);
tongka_app::split_page!(card_detail => CardDetailPage);
tongka_app::split_page!(card_shop => CardShopPage);
