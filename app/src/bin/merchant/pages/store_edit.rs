//! Creating and editing a store. The same rules as the server (from
//! `shared::validate`) check each field as it is typed.

use crate::shell::{go, require_login, use_ctx};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use shared::api::{CreateStore, GetStore, ListRegions, MakeDefaultStore, UpdateStore};
use shared::dto::{RegionView, Role, StoreInput, StoreView};
use shared::validate;
use tongka_app::api::{self, ApiResult, Failure};
use tongka_app::components::{Field, FieldState, FormError, TopBar, loaded, path_id, use_toast};
use tongka_app::i18n::{T, tr, use_i18n};

/// 新增门店
#[component]
pub fn StoreNewPage() -> impl IntoView {
    require_login();
    let ctx = use_ctx();
    let regions = LocalResource::new(move || {
        let token = ctx.session.token.get();
        async move { api::fetch::<ListRegions>(&(), token).await }
    });
    view! {
        <TopBar title=Signal::derive(move || tr(T::AddStore)().to_string()) back=true/>
        <section class="page">
            {loaded(regions, move |regions: Vec<RegionView>| view! { <StoreForm store=None regions=regions/> }.into_any())}
        </section>
    }
}

/// 编辑门店
#[component]
pub fn StoreEditPage() -> impl IntoView {
    require_login();
    let ctx = use_ctx();
    let params = use_params_map();
    let data = LocalResource::new(move || {
        let token = ctx.session.token.get();
        let id = params.read().get("id").unwrap_or_default();
        async move {
            let store = api::fetch::<GetStore>(&path_id(&id)?, token.clone()).await?;
            // Store staff cannot list regions; they see the store's own.
            let regions = match api::fetch::<ListRegions>(&(), token).await {
                Ok(r) => r,
                Err(_) => vec![RegionView {
                    id: store.region_id,
                    name: store.region_name.clone(),
                    store_count: 1,
                }],
            };
            ApiResult::Ok((store, regions))
        }
    });
    view! {
        <TopBar title=Signal::derive(move || tr(T::EditStore)().to_string()) back=true/>
        <section class="page">
            {loaded(data, move |(store, regions): (StoreView, Vec<RegionView>)| {
                view! { <StoreForm store=Some(store) regions=regions/> }.into_any()
            })}
        </section>
    }
}

#[component]
fn StoreForm(store: Option<StoreView>, regions: Vec<RegionView>) -> impl IntoView {
    let ctx = use_ctx();
    let toast = use_toast();
    let lang = use_i18n().0;
    let s = store.clone();
    let get = |f: fn(&StoreView) -> &str| s.as_ref().map(f).unwrap_or("").to_string();
    let name = FieldState::new("name", &get(|s| &s.name), validate::place_name);
    let address = FieldState::new("address", &get(|s| &s.address), validate::address);
    let phone = FieldState::new("store_phone", &get(|s| &s.phone), validate::store_phone);
    let hours = FieldState::new(
        "hours",
        &s.as_ref()
            .map(|s| s.hours.clone())
            .unwrap_or_else(|| "10:00-22:00".into()),
        validate::hours,
    );
    let region = RwSignal::new(
        s.as_ref()
            .map(|s| s.region_id.to_string())
            .unwrap_or_default(),
    );
    let active = RwSignal::new(s.as_ref().map(|s| s.active).unwrap_or(true));
    let region_missing = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<Failure>);
    let id = store.as_ref().map(|s| s.id);
    let is_default = store.as_ref().is_some_and(|s| s.is_default);
    let hq = move || ctx.role() == Some(Role::HqAdmin);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // A new attempt: the last one's error goes (never two at once).
        error.set(None);
        let fields = (
            name.checked(),
            address.checked(),
            phone.checked(),
            hours.checked(),
        );
        let region_id = region.get_untracked().parse::<i64>().ok();
        region_missing.set(region_id.is_none());
        let ((Some(name), Some(address), Some(phone), Some(hours)), Some(region_id)) =
            (fields, region_id)
        else {
            return;
        };
        let input = StoreInput {
            name,
            region_id,
            address,
            phone,
            hours,
            active: active.get_untracked(),
        };
        busy.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            let result = match id {
                Some(id) => api::send::<UpdateStore>(&id, &input, ctx.token()).await,
                None => api::send::<CreateStore>(&(), &input, ctx.token()).await,
            };
            busy.set(false);
            match result {
                Ok(_) => {
                    toast.show(T::Saved.text(lang.get_untracked()).to_string());
                    go(ctx, "/stores");
                }
                Err(f) => error.set(Some(f)),
            }
        });
    };
    let make_default = move |_| {
        let Some(id) = id else { return };
        leptos::task::spawn_local(async move {
            match api::fetch::<MakeDefaultStore>(&id, ctx.token()).await {
                Ok(_) => {
                    toast.show(T::Saved.text(lang.get_untracked()).to_string());
                    go(ctx, "/stores");
                }
                Err(f) => error.set(Some(f)),
            }
        });
    };
    view! {
        <form class="cells" on:submit=submit novalidate=true id="store-form">
            <Field label=T::StoreName state=name id="store-name" maxlength=40/>
            <label class="cell">
                <span class="cell-label">{tr(T::Region)}</span>
                <select class="cell-input" id="store-region" prop:value=move || region.get()
                    disabled=move || !hq()
                    on:change=move |ev| { region.set(event_target_value(&ev)); region_missing.set(false); }>
                    <option value="">{tr(T::ChooseRegion)}</option>
                    {regions.into_iter().map(|r| view! { <option value=r.id.to_string()>{r.name}</option> }).collect_view()}
                </select>
            </label>
            {move || region_missing.get().then(|| view! {
                <p class="field-error" role="alert">{tongka_app::i18n::field_error("region_id", "required", lang.get())}</p>
            })}
            <Field label=T::Address state=address id="store-address" maxlength=120/>
            <Field label=T::StorePhone state=phone id="store-phone" input_type="tel"/>
            <Field label=T::Hours state=hours id="store-hours"/>
            <label class="cell">
                <span class="cell-label">{tr(T::StoreOpenSwitch)}</span>
                <input type="checkbox" id="store-active" prop:checked=move || active.get() disabled=move || !hq()
                    on:change=move |ev| active.set(event_target_checked(&ev))/>
            </label>
            <FormError error=error/>
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" id="save-store" disabled=move || busy.get()>
                    {move || if busy.get() { tr(T::Saving)() } else { tr(T::Save)() }}
                </button>
                {id.map(|id| view! {
                    <A href=ctx.path(&format!("/stores/{id}/pay-code")) attr:class="btn btn-default" attr:id="store-pay-code">{tr(T::PayCode)}</A>
                })}
                {move || (hq() && id.is_some() && !is_default).then(|| view! {
                    <button type="button" class="btn btn-default" id="make-default" on:click=make_default>{tr(T::MakeDefault)}</button>
                })}
            </div>
        </form>
    }
}

tongka_app::split_page!(store_new => StoreNewPage);
tongka_app::split_page!(store_edit => StoreEditPage);
