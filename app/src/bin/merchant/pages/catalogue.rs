//! HQ's catalogue: service items (服务项目) and card types (卡种) with their
//! look, previewed live as HQ types.

use crate::shell::{require_login, use_ctx};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use shared::api::{
    CreateCardType, CreateServiceItem, ListCardTypes, ListServiceItems, ListStores, UpdateCardType,
    UpdateServiceItem, UploadCardImage,
};
use shared::dto::{
    CardKind, CardPeriod, CardType, CardTypeInput, Role, ServiceItem, ServiceItemInput, StoreView,
};
use shared::money::Fen;
use tongka_app::api::{self, ApiResult, Failure};
use tongka_app::components::{
    CardFace, EmptyState, Field, FieldState, FormError, TopBar, loaded, use_toast, yuan_rule,
};
use tongka_app::i18n::{T, Txt, tr, use_i18n};

/// A name: 1–40 characters.
pub(crate) fn name_rule(v: &str) -> Result<String, &'static str> {
    shared::validate::place_name(v)
}

/// Up to 20 characters, may be empty.
fn category_rule(v: &str) -> Result<String, &'static str> {
    let v = v.trim();
    if v.chars().count() > 20 {
        Err("too_long")
    } else {
        Ok(v.to_string())
    }
}

/// A whole number, if any.
pub(crate) fn count_rule(v: &str) -> Result<String, &'static str> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(String::new());
    }
    match v.parse::<i64>() {
        Ok(n) if n > 0 => Ok(n.to_string()),
        _ => Err("amount_positive"),
    }
}

pub(crate) use tongka_app::components::yuan_text as yuan;

/// Store checkboxes: every store, or the ones ticked.
#[component]
pub(crate) fn StorePicker(
    label: Txt,
    everywhere: RwSignal<bool>,
    chosen: RwSignal<Vec<i64>>,
    stores: Vec<StoreView>,
    id: &'static str,
) -> impl IntoView {
    view! {
        <label class="cell">
            <span class="cell-label">{tr(label)}</span>
            <span class="cell-value">{tr(T::AllStores)}</span>
            <input type="checkbox" id=format!("{id}-all") prop:checked=move || everywhere.get()
                on:change=move |ev| everywhere.set(event_target_checked(&ev))/>
        </label>
        {move || (!everywhere.get()).then(|| stores.clone().into_iter().map(|s| {
            let sid = s.id;
            view! {
                <label class="cell cell-sub">
                    <span class="cell-main">{s.name}</span>
                    <input type="checkbox" class=format!("{id}-store") data-store=sid
                        prop:checked=move || chosen.get().contains(&sid)
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            chosen.update(|c| { c.retain(|x| *x != sid); if on { c.push(sid); } });
                        }/>
                </label>
            }
        }).collect_view())}
    }
}

/// 服务项目
#[component]
pub fn ServiceItemsPage() -> impl IntoView {
    require_login();
    let ctx = use_ctx();
    let toast = use_toast();
    let lang = use_i18n().0;
    let data = LocalResource::new(move || {
        let token = ctx.session.token.get();
        async move {
            let items = api::fetch::<ListServiceItems>(&(), token.clone()).await?;
            let stores = api::fetch::<ListStores>(&(), token).await?;
            ApiResult::Ok((items, stores))
        }
    });
    let name = FieldState::new("name", "", name_rule);
    let category = FieldState::new("category", "", category_rule);
    let price = FieldState::new("price", "", yuan_rule);
    let all = RwSignal::new(true);
    let chosen = RwSignal::new(Vec::<i64>::new());
    let on_sale = RwSignal::new(true);
    let editing = RwSignal::new(None::<i64>);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<Failure>);
    let clear = move || {
        for f in [name, category, price] {
            f.value.set(String::new());
            f.touched.set(false);
        }
        all.set(true);
        chosen.set(vec![]);
        on_sale.set(true);
        editing.set(None);
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        let (n, c, p) = (name.checked(), category.checked(), price.checked());
        let (Some(n), Some(c), Some(p)) = (n, c, p) else {
            return;
        };
        let Ok(p) = p.parse::<i64>() else { return };
        let body = ServiceItemInput {
            name: n,
            category: c,
            price: Fen(p),
            all_stores: all.get_untracked(),
            store_ids: chosen.get_untracked(),
            on_sale: on_sale.get_untracked(),
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            let r = match editing.get_untracked() {
                Some(id) => api::send::<UpdateServiceItem>(&id, &body, ctx.token()).await,
                None => api::send::<CreateServiceItem>(&(), &body, ctx.token()).await,
            };
            busy.set(false);
            match r {
                Ok(_) => {
                    toast.show(T::Saved.text(lang.get_untracked()).to_string());
                    clear();
                    data.refetch();
                }
                Err(f) => error.set(Some(f)),
            }
        });
    };
    let hq = move || ctx.role() == Some(Role::HqAdmin);
    view! {
        <TopBar title=Signal::derive(move || tr(T::ServiceItems)().to_string()) back=true/>
        <section class="page">
            {loaded(data, move |(items, stores): (Vec<ServiceItem>, Vec<StoreView>)| {
                let names: std::collections::HashMap<i64, String> = stores.iter().map(|s| (s.id, s.name.clone())).collect();
                view! {
                    {if items.is_empty() {
                        view! { <EmptyState text=T::NoServiceItems/> }.into_any()
                    } else {
                        view! {
                            <div class="cells" id="item-list">
                                {items.into_iter().map(|i| {
                                    let where_ = if i.all_stores { tr(T::AllStores)().to_string() } else {
                                        i.store_ids.iter().filter_map(|s| names.get(s).cloned()).collect::<Vec<_>>().join("、")
                                    };
                                    let it = i.clone();
                                    let edit = move |_| {
                                        name.value.set(it.name.clone());
                                        category.value.set(it.category.clone());
                                        price.value.set(yuan(it.price));
                                        all.set(it.all_stores);
                                        chosen.set(it.store_ids.clone());
                                        on_sale.set(it.on_sale);
                                        editing.set(Some(it.id));
                                    };
                                    view! {
                                        <div class="cell service-item" class:cell-quiet=!i.on_sale>
                                            <span class="cell-main">
                                                <span class="cell-title">{i.name.clone()}</span>
                                                <span class="cell-desc">{i.category.clone()}" · "{where_}</span>
                                                {(!i.on_sale).then(|| view! { <span class="cell-desc">{tr(T::OffSale)}</span> })}
                                            </span>
                                            <span class="cell-value tabular">{i.price.to_string()}</span>
                                            {move || hq().then(|| view! {
                                                <button class="btn btn-plain btn-small edit-item" on:click=edit.clone()>{tr(T::Edit)}</button>
                                            })}
                                        </div>
                                    }
                                }).collect_view()}
                            </div>
                        }.into_any()
                    }}
                    {move || hq().then(|| {
                        let stores = stores.clone();
                        view! {
                            <h2 class="cells-title">{move || if editing.get().is_some() { tr(T::EditItem)() } else { tr(T::AddItem)() }}</h2>
                            <form class="cells" id="item-form" novalidate=true on:submit=submit>
                                <Field label=T::ItemName state=name id="item-name" maxlength=40/>
                                <Field label=T::ItemCategory state=category id="item-category" maxlength=20/>
                                <Field label=T::ItemPrice state=price id="item-price" inputmode="decimal"/>
                                <StorePicker label=T::OfferedAt everywhere=all chosen=chosen stores=stores id="item"/>
                                <label class="cell">
                                    <span class="cell-label">{tr(T::OnSale)}</span>
                                    <input type="checkbox" id="item-on-sale" prop:checked=move || on_sale.get()
                                        on:change=move |ev| on_sale.set(event_target_checked(&ev))/>
                                </label>
                                <FormError error=error/>
                                <div class="form-actions">
                                    <button type="submit" class="btn btn-primary" id="save-item" disabled=move || busy.get()>{tr(T::Save)}</button>
                                    {move || editing.get().is_some().then(|| view! {
                                        <button type="button" class="btn btn-default" on:click=move |_| clear()>{tr(T::Cancel)}</button>
                                    })}
                                </div>
                            </form>
                        }
                    })}
                }.into_any()
            })}
        </section>
    }
}

/// What a card type gives, in one line.
fn terms_line(t: &CardTypeInput, l: shared::Lang) -> String {
    match t.kind {
        CardKind::Count => T::UsesOffer
            .text(l)
            .replace("{n}", &t.uses.unwrap_or(0).to_string()),
        CardKind::Period => match t.period {
            Some(CardPeriod::Quarter) => T::PeriodQuarter.text(l).to_string(),
            Some(CardPeriod::Year) => T::PeriodYear.text(l).to_string(),
            _ => T::PeriodMonth.text(l).to_string(),
        },
    }
}

/// 卡种
#[component]
pub fn CardTypesPage() -> impl IntoView {
    require_login();
    let ctx = use_ctx();
    let lang = use_i18n().0;
    let types = LocalResource::new(move || {
        let token = ctx.session.token.get();
        async move { api::fetch::<ListCardTypes>(&(), token).await }
    });
    view! {
        <TopBar title=Signal::derive(move || tr(T::CardTypes)().to_string()) back=true/>
        <section class="page">
            <div class="cells">
                {move || (ctx.role() == Some(Role::HqAdmin)).then(|| view! {
                    <A href=ctx.path("/card-types/new") attr:class="cell cell-link" attr:id="new-card-type"><span class="cell-main">{tr(T::AddCardType)}</span></A>
                })}
                <A href=ctx.path("/service-items") attr:class="cell cell-link" attr:id="open-service-items"><span class="cell-main">{tr(T::ServiceItems)}</span></A>
            </div>
            {loaded(types, move |list: Vec<CardType>| {
                if list.is_empty() {
                    return view! { <EmptyState text=T::NoCardTypes/> }.into_any();
                }
                view! {
                    <div class="card-list" id="card-type-list">
                        {list.into_iter().map(|t| {
                            let l = lang.get_untracked();
                            let lines = vec![t.terms.price.to_string(), terms_line(&t.terms, l)];
                            let badge = (!t.terms.on_sale).then(|| T::OffSale.text(l).to_string());
                            view! {
                                <A href=ctx.path(&format!("/card-types/{}", t.id)) attr:class="card-link card-type-row">
                                    <CardFace name=t.terms.name.clone() color=t.terms.theme_color.clone() image=t.image_url.clone() lines=lines badge=badge/>
                                </A>
                            }
                        }).collect_view()}
                    </div>
                }.into_any()
            })}
        </section>
    }
}

/// 新增卡种 / 编辑卡种, with the face previewed as HQ types.
#[component]
pub fn CardTypeEditPage() -> impl IntoView {
    require_login();
    let ctx = use_ctx();
    let params = use_params_map();
    let data = LocalResource::new(move || {
        let token = ctx.session.token.get();
        let id = params.read().get("id").and_then(|i| i.parse::<i64>().ok());
        async move {
            let types = api::fetch::<ListCardTypes>(&(), token.clone()).await?;
            let items = api::fetch::<ListServiceItems>(&(), token.clone()).await?;
            let stores = api::fetch::<ListStores>(&(), token).await?;
            let editing = id.and_then(|id| types.into_iter().find(|t| t.id == id));
            ApiResult::Ok((editing, items, stores))
        }
    });
    let title = move || match params.read().get("id").as_deref() {
        Some("new") | None => tr(T::AddCardType)().to_string(),
        Some(_) => tr(T::EditCardType)().to_string(),
    };
    view! {
        <TopBar title=Signal::derive(title) back=true/>
        <section class="page">
            {loaded(data, move |(editing, items, stores): (Option<CardType>, Vec<ServiceItem>, Vec<StoreView>)| {
                view! { <CardTypeForm editing=editing items=items stores=stores/> }.into_any()
            })}
        </section>
    }
}

#[component]
fn CardTypeForm(
    editing: Option<CardType>,
    items: Vec<ServiceItem>,
    stores: Vec<StoreView>,
) -> impl IntoView {
    let ctx = use_ctx();
    let toast = use_toast();
    let lang = use_i18n().0;
    let t = editing.as_ref().map(|e| e.terms.clone());
    let id = editing.as_ref().map(|e| e.id);
    let image = RwSignal::new(editing.as_ref().and_then(|e| e.image_url.clone()));
    let opt = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
    let name = FieldState::new("name", t.as_ref().map_or("", |t| &t.name), name_rule);
    let price = FieldState::new(
        "price",
        &t.as_ref().map(|t| yuan(t.price)).unwrap_or_default(),
        yuan_rule,
    );
    let uses = FieldState::new("uses", &opt(t.as_ref().and_then(|t| t.uses)), count_rule);
    let valid_days = FieldState::new(
        "valid_days",
        &opt(t.as_ref().and_then(|t| t.valid_days)),
        count_rule,
    );
    let per_day = FieldState::new(
        "per_day_limit",
        &opt(t.as_ref().and_then(|t| t.per_day_limit)),
        count_rule,
    );
    let description = FieldState::new(
        "description",
        t.as_ref().map_or("", |t| &t.description),
        |v| {
            let v = v.trim();
            if v.chars().count() > 200 {
                Err("too_long")
            } else {
                Ok(v.to_string())
            }
        },
    );
    let kind = RwSignal::new(t.as_ref().map_or(CardKind::Count, |t| t.kind));
    let period = RwSignal::new(
        t.as_ref()
            .and_then(|t| t.period)
            .unwrap_or(CardPeriod::Month),
    );
    let color = RwSignal::new(
        t.as_ref()
            .map_or("#1677FF".to_string(), |t| t.theme_color.clone()),
    );
    let chosen_items = RwSignal::new(t.as_ref().map(|t| t.item_ids.clone()).unwrap_or_default());
    let sold_all = RwSignal::new(t.as_ref().is_none_or(|t| t.sold_everywhere));
    let sold = RwSignal::new(
        t.as_ref()
            .map(|t| t.sold_store_ids.clone())
            .unwrap_or_default(),
    );
    let honoured_all = RwSignal::new(t.as_ref().is_none_or(|t| t.honoured_everywhere));
    let honoured = RwSignal::new(
        t.as_ref()
            .map(|t| t.honoured_store_ids.clone())
            .unwrap_or_default(),
    );
    let on_sale = RwSignal::new(t.as_ref().is_none_or(|t| t.on_sale));
    let image_hash = RwSignal::new(t.as_ref().and_then(|t| t.image_hash.clone()));
    let uploading = RwSignal::new(false);
    let image_error = RwSignal::new(None::<Failure>);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<Failure>);
    let is_new = id.is_none();
    let body = move || -> Option<CardTypeInput> {
        let n = name.checked()?;
        let p = price.checked()?.parse::<i64>().ok()?;
        let d = description.checked()?;
        let k = kind.get_untracked();
        let num = |f: FieldState| f.checked().map(|v| v.parse::<i64>().ok());
        let (u, v, pd) = (num(uses)?, num(valid_days)?, num(per_day)?);
        Some(CardTypeInput {
            name: n,
            kind: k,
            uses: (k == CardKind::Count).then_some(u).flatten(),
            period: (k == CardKind::Period).then(|| period.get_untracked()),
            per_day_limit: (k == CardKind::Period).then_some(pd).flatten(),
            valid_days: (k == CardKind::Count).then_some(v).flatten(),
            price: Fen(p),
            theme_color: color.get_untracked(),
            image_hash: image_hash.get_untracked(),
            description: d,
            item_ids: chosen_items.get_untracked(),
            sold_everywhere: sold_all.get_untracked(),
            sold_store_ids: sold.get_untracked(),
            honoured_everywhere: honoured_all.get_untracked(),
            honoured_store_ids: honoured.get_untracked(),
            on_sale: on_sale.get_untracked(),
        })
    };
    // A picked picture is checked here first (type and size: the server
    // checks again, and the pixels), then uploaded; the face shows it at once.
    let pick_image = move |ev: leptos::ev::Event| {
        use leptos::wasm_bindgen::JsCast;
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<leptos::web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        // The same file may be picked again after a refusal.
        input.set_value("");
        let refuse = |reason: &str| {
            let params = [("field", "image"), ("reason", reason)]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            Failure::Api(shared::ApiError::new(
                shared::ErrorCode::InvalidField,
                params,
                lang.get_untracked(),
            ))
        };
        if !shared::api::IMAGE_TYPES.contains(&file.type_().as_str()) {
            image_error.set(Some(refuse("image_format")));
            return;
        }
        if file.size() > shared::api::MAX_IMAGE_BYTES as f64 {
            image_error.set(Some(refuse("image_size")));
            return;
        }
        image_error.set(None);
        uploading.set(true);
        leptos::task::spawn_local(async move {
            let r = api::upload::<UploadCardImage>(&(), file, ctx.token()).await;
            uploading.set(false);
            match r {
                Ok(up) => {
                    image_hash.set(Some(up.hash));
                    image.set(Some(up.url));
                }
                Err(f) => image_error.set(Some(f)),
            }
        });
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        let Some(b) = body() else { return };
        busy.set(true);
        leptos::task::spawn_local(async move {
            let r = match id {
                Some(id) => api::send::<UpdateCardType>(&id, &b, ctx.token()).await,
                None => api::send::<CreateCardType>(&(), &b, ctx.token()).await,
            };
            busy.set(false);
            match r {
                Ok(_) => {
                    toast.show(T::Saved.text(lang.get_untracked()).to_string());
                    ctx.nav.replace(&ctx.path("/card-types"));
                }
                Err(f) => error.set(Some(f)),
            }
        });
    };
    // The face as it will look, from what is typed now.
    let preview = move || {
        let l = lang.get();
        let k = kind.get();
        let line = match k {
            CardKind::Count => T::UsesOffer.text(l).replace("{n}", &uses.value.get()),
            CardKind::Period => match period.get() {
                CardPeriod::Month => T::PeriodMonth.text(l).to_string(),
                CardPeriod::Quarter => T::PeriodQuarter.text(l).to_string(),
                CardPeriod::Year => T::PeriodYear.text(l).to_string(),
            },
        };
        let price_line = Fen::parse_yuan(&price.value.get())
            .map(|f| f.to_string())
            .unwrap_or_default();
        let face_name = match name.value.get().trim() {
            "" => T::CardNamePlaceholder.text(l).to_string(),
            n => n.to_string(),
        };
        view! { <CardFace name=face_name color=color.get() image=image.get() lines=vec![price_line, line] badge=None/> }
    };
    let kind_button = move |k: CardKind, label: Txt| {
        view! {
            <button type="button" class="seg" class:seg-active=move || kind.get() == k
                aria-pressed=move || (kind.get() == k).to_string() disabled=!is_new
                on:click=move |_| kind.set(k)>{tr(label)}</button>
        }
    };
    view! {
        <div class="card-detail-face" id="card-preview">{preview}</div>
        <form class="cells" id="card-type-form" novalidate=true on:submit=submit>
            <div class="segments">
                {kind_button(CardKind::Count, T::CountCard)}
                {kind_button(CardKind::Period, T::PeriodCard)}
            </div>
            <Field label=T::CardName state=name id="card-name" maxlength=40/>
            <Field label=T::CardPrice state=price id="card-price" inputmode="decimal"/>
            {move || match kind.get() {
                CardKind::Count => view! {
                    <Field label=T::CardUses state=uses id="card-uses" inputmode="numeric"/>
                    <Field label=T::ValidDays state=valid_days id="card-valid-days" inputmode="numeric" placeholder=T::ValidDaysHint/>
                }.into_any(),
                CardKind::Period => view! {
                    <label class="cell">
                        <span class="cell-label">{tr(T::CardPeriodLabel)}</span>
                        <select class="cell-input" id="card-period" on:change=move |ev| {
                            period.set(CardPeriod::parse(&event_target_value(&ev)).unwrap_or(CardPeriod::Month));
                        }>
                            {[(CardPeriod::Month, T::PeriodMonth), (CardPeriod::Quarter, T::PeriodQuarter), (CardPeriod::Year, T::PeriodYear)].into_iter().map(|(p, label)| view! {
                                <option value=p.as_str() prop:selected=move || period.get() == p>{tr(label)}</option>
                            }).collect_view()}
                        </select>
                    </label>
                    <Field label=T::PerDayLimit state=per_day id="card-per-day" inputmode="numeric" placeholder=T::NoLimitHint/>
                }.into_any(),
            }}
            <label class="cell">
                <span class="cell-label">{tr(T::ThemeColor)}</span>
                <input type="color" class="cell-input color-input" id="card-color" prop:value=move || color.get()
                    on:input=move |ev| color.set(event_target_value(&ev).to_ascii_uppercase())/>
            </label>
            <div class="cell cell-image">
                <span class="cell-label">{tr(T::CardImage)}</span>
                <span class="cell-main cell-desc">{move || if uploading.get() { tr(T::Uploading)() } else { tr(T::CardImageHint)() }}</span>
                <label class="btn btn-default btn-small file-btn" class:btn-disabled=move || uploading.get()>
                    {move || if image.get().is_some() { tr(T::ChangeImage)() } else { tr(T::ChooseImage)() }}
                    <input type="file" id="card-image" class="visually-hidden" accept=shared::api::IMAGE_TYPES.join(",")
                        disabled=move || uploading.get() on:change=pick_image/>
                </label>
                <Show when=move || image.get().is_some()>
                    <button type="button" class="btn btn-small btn-plain" id="card-image-remove" on:click=move |_| {
                        image.set(None);
                        image_hash.set(None);
                        image_error.set(None);
                    }>{tr(T::RemoveImage)}</button>
                </Show>
            </div>
            <FormError error=image_error/>
            <Field label=T::CardDescription state=description id="card-description" maxlength=200/>
            <h3 class="cells-subtitle">{tr(T::CardItems)}</h3>
            {if items.is_empty() {
                view! { <p class="cell cell-desc">{tr(T::NoServiceItems)}</p> }.into_any()
            } else {
                items.into_iter().map(|i| {
                    let iid = i.id;
                    view! {
                        <label class="cell cell-sub">
                            <span class="cell-main">{i.name}</span>
                            <span class="cell-value tabular">{i.price.to_string()}</span>
                            <input type="checkbox" class="card-item" data-item=iid
                                prop:checked=move || chosen_items.get().contains(&iid)
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    chosen_items.update(|c| { c.retain(|x| *x != iid); if on { c.push(iid); } });
                                }/>
                        </label>
                    }
                }).collect_view().into_any()
            }}
            <StorePicker label=T::SoldAt everywhere=sold_all chosen=sold stores=stores.clone() id="sold"/>
            <StorePicker label=T::HonouredAt everywhere=honoured_all chosen=honoured stores=stores id="honoured"/>
            <label class="cell">
                <span class="cell-label">{tr(T::OnSale)}</span>
                <input type="checkbox" id="card-on-sale" prop:checked=move || on_sale.get()
                    on:change=move |ev| on_sale.set(event_target_checked(&ev))/>
            </label>
            <FormError error=error/>
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" id="save-card-type" disabled=move || busy.get() || uploading.get()>{tr(T::Save)}</button>
            </div>
        </form>
    }
}

tongka_app::split_page!(service_items => ServiceItemsPage);
tongka_app::split_page!(card_types => CardTypesPage);
tongka_app::split_page!(card_type_edit => CardTypeEditPage);
