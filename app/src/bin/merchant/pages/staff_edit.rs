//! Creating a staff account, editing one, resetting its password and
//! deactivating it.

use crate::shell::{go, require_login, use_ctx};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use shared::api::{
    ActivateStaff, CreateStaff, DeactivateStaff, ListRegions, ListStaff, ListStores,
    ResetStaffPassword, UnlockStaff, UpdateStaff,
};
use shared::dto::{
    PasswordReset, RegionView, Role, ScopeKind, StaffCreate, StaffUpdate, StaffView, StoreView,
};
use shared::validate;
use tongka_app::api::{self, ApiResult, Failure};
use tongka_app::components::{
    Field, FieldState, FormError, TopBar, loaded, local_time, use_confirm, use_toast,
};
use tongka_app::i18n::{T, Txt, role_text, tr, use_i18n};

/// The regions and stores a scope is chosen from.
pub(crate) type Choices = (Vec<RegionView>, Vec<StoreView>);

/// Loads the stores and (when the caller may read them) the regions.
pub(crate) async fn choices(token: Option<String>) -> ApiResult<Choices> {
    let stores = api::fetch::<ListStores>(&(), token.clone()).await?;
    let regions = api::fetch::<ListRegions>(&(), token)
        .await
        .unwrap_or_default();
    Ok((regions, stores))
}

/// 新增员工
#[component]
pub fn StaffNewPage() -> impl IntoView {
    require_login();
    let ctx = use_ctx();
    let data = LocalResource::new(move || choices(ctx.session.token.get()));
    view! {
        <TopBar title=Signal::derive(move || tr(T::AddStaff)().to_string()) back=true/>
        <section class="page">
            {loaded(data, move |(regions, stores): Choices| view! { <StaffForm staff=None regions=regions stores=stores/> }.into_any())}
        </section>
    }
}

/// 编辑员工
#[component]
pub fn StaffEditPage() -> impl IntoView {
    require_login();
    let ctx = use_ctx();
    let params = use_params_map();
    let data = LocalResource::new(move || {
        let token = ctx.session.token.get();
        let id: i64 = params
            .read()
            .get("id")
            .and_then(|s| s.parse().ok())
            .unwrap_or(-1);
        async move {
            let all = api::fetch::<ListStaff>(&(), token.clone()).await?;
            let (regions, stores) = choices(token).await?;
            let found = all.into_iter().find(|s| s.id == id);
            ApiResult::Ok((found, regions, stores))
        }
    });
    view! {
        <TopBar title=Signal::derive(move || tr(T::EditStaff)().to_string()) back=true/>
        <section class="page">
            {loaded(data, move |(staff, regions, stores): (Option<StaffView>, Vec<RegionView>, Vec<StoreView>)| match staff {
                Some(s) => view! { <StaffForm staff=Some(s.clone()) regions=regions stores=stores/><StaffActions staff=s/> }.into_any(),
                None => view! { <tongka_app::components::EmptyState text=T::NotFoundPage/> }.into_any(),
            })}
        </section>
    }
}

/// The (region, store) a role works in, from the pickers' values; `None`
/// when the one its role needs is not chosen.
pub(crate) fn chosen_scope(
    role: Role,
    region: &str,
    store: &str,
) -> Option<(Option<i64>, Option<i64>)> {
    let region = region.parse::<i64>().ok();
    let store = store.parse::<i64>().ok();
    match role.scope_kind() {
        ScopeKind::Brand => Some((None, None)),
        ScopeKind::Region => region.map(|r| (Some(r), None)),
        ScopeKind::Store => store.map(|s| (None, Some(s))),
    }
}

/// The region or store the chosen role works in (brand-wide roles need
/// neither), with the required-field error under it when `missing`.
/// Element ids: `{id}-region`, `{id}-store`.
#[component]
pub(crate) fn ScopePicker(
    role: RwSignal<Role>,
    region: RwSignal<String>,
    store: RwSignal<String>,
    regions: Vec<RegionView>,
    stores: Vec<StoreView>,
    missing: RwSignal<bool>,
    read_only: Signal<bool>,
    id: &'static str,
) -> impl IntoView {
    move || {
        let (label, choose, value, list, suffix) = match role.get().scope_kind() {
            ScopeKind::Brand => return None,
            ScopeKind::Region => (
                T::Region,
                T::ChooseRegion,
                region,
                regions
                    .iter()
                    .map(|r| (r.id, r.name.clone()))
                    .collect::<Vec<_>>(),
                "region",
            ),
            ScopeKind::Store => (
                T::Stores,
                T::ChooseStore,
                store,
                stores.iter().map(|s| (s.id, s.name.clone())).collect(),
                "store",
            ),
        };
        Some(view! {
            <label class="cell">
                <span class="cell-label">{tr(label)}</span>
                <select class="cell-input" id=format!("{id}-{suffix}") disabled=read_only
                    prop:value=move || value.get()
                    on:change=move |ev| {
                        value.set(event_target_value(&ev));
                        missing.set(false);
                    }>
                    <option value="">{tr(choose)}</option>
                    {list.into_iter().map(|(v, n)| view! { <option value=v.to_string()>{n}</option> }).collect_view()}
                </select>
            </label>
            {move || missing.get().then(|| view! { <p class="field-error" role="alert">{tr(T::Required)}</p> })}
        })
    }
}

fn role_choices(me: Option<Role>) -> Vec<Role> {
    match me {
        Some(Role::HqAdmin) => Role::ALL.to_vec(),
        Some(Role::StoreManager) => vec![Role::Clerk],
        _ => vec![],
    }
}

#[component]
fn StaffForm(
    staff: Option<StaffView>,
    regions: Vec<RegionView>,
    stores: Vec<StoreView>,
) -> impl IntoView {
    let ctx = use_ctx();
    let toast = use_toast();
    let lang = use_i18n().0;
    let editing = staff.as_ref().map(|s| s.id);
    let account = FieldState::new(
        "account",
        staff.as_ref().map(|s| s.account.as_str()).unwrap_or(""),
        validate::account,
    );
    let name = FieldState::new(
        "name",
        staff.as_ref().map(|s| s.name.as_str()).unwrap_or(""),
        validate::person_name,
    );
    let password = FieldState::new("password", "", validate::password);
    // A new account starts as the least powerful role the caller may give
    // (roles are listed most powerful first): more power is a choice.
    let least_role = role_choices(ctx.role())
        .last()
        .copied()
        .unwrap_or(Role::Clerk);
    let role = RwSignal::new(staff.as_ref().map(|s| s.role).unwrap_or(least_role));
    let region = RwSignal::new(
        staff
            .as_ref()
            .and_then(|s| s.region_id)
            .map(|i| i.to_string())
            .unwrap_or_default(),
    );
    let default_store = staff
        .as_ref()
        .and_then(|s| s.store_id)
        .or_else(|| (stores.len() == 1).then(|| stores[0].id));
    let store = RwSignal::new(default_store.map(|i| i.to_string()).unwrap_or_default());
    let scope_missing = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<Failure>);
    let read_only = move || role_choices(ctx.role()).is_empty();

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // A new attempt: the last one's error goes (never two at once).
        error.set(None);
        let r = role.get_untracked();
        let scope = chosen_scope(r, &region.get_untracked(), &store.get_untracked());
        scope_missing.set(scope.is_none());
        let n = name.checked();
        let (a, p) = if editing.is_none() {
            (account.checked(), password.checked())
        } else {
            (Some(String::new()), Some(String::new()))
        };
        let (Some(n), Some(a), Some(p), Some((region_id, store_id))) = (n, a, p, scope) else {
            return;
        };
        busy.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            let result = match editing {
                Some(id) => {
                    let body = StaffUpdate {
                        name: n,
                        role: r,
                        region_id,
                        store_id,
                    };
                    api::send::<UpdateStaff>(&id, &body, ctx.token()).await
                }
                None => {
                    let body = StaffCreate {
                        account: a,
                        name: n,
                        role: r,
                        region_id,
                        store_id,
                        password: p,
                    };
                    api::send::<CreateStaff>(&(), &body, ctx.token()).await
                }
            };
            busy.set(false);
            match result {
                Ok(_) => {
                    toast.show(T::Saved.text(lang.get_untracked()).to_string());
                    go(ctx, "/staff");
                }
                Err(f) => error.set(Some(f)),
            }
        });
    };
    view! {
        <form class="cells" on:submit=submit novalidate=true id="staff-form">
            {if editing.is_none() {
                view! { <Field label=T::Account state=account id="staff-account" maxlength=32 autocomplete="off"/> }.into_any()
            } else {
                view! { <div class="cell"><span class="cell-label">{tr(T::Account)}</span><span class="cell-value">{account.value.get_untracked()}</span></div> }.into_any()
            }}
            <Field label=T::StaffName state=name id="staff-name" maxlength=20/>
            <label class="cell">
                <span class="cell-label">{tr(T::Role)}</span>
                <select class="cell-input" id="staff-role" disabled=read_only
                    prop:value=move || role.get().as_str()
                    on:change=move |ev| { if let Some(r) = Role::parse(&event_target_value(&ev)) { role.set(r); } }>
                    {move || {
                        let mut roles = role_choices(ctx.role());
                        if !roles.contains(&role.get_untracked()) { roles.insert(0, role.get_untracked()); }
                        roles.into_iter().map(|r| view! { <option value=r.as_str()>{tr(role_text(r))}</option> }).collect_view()
                    }}
                </select>
            </label>
            <ScopePicker role=role region=region store=store regions=regions stores=stores
                missing=scope_missing read_only=Signal::derive(read_only) id="staff"/>
            {editing.is_none().then(|| view! {
                <Field label=T::InitialPassword state=password id="staff-password" input_type="password" autocomplete="new-password"/>
            })}
            <FormError error=error/>
            {move || (!read_only()).then(|| view! {
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary" id="save-staff" disabled=move || busy.get()>
                        {move || if busy.get() { tr(T::Saving)() } else { tr(T::Save)() }}
                    </button>
                </div>
            })}
        </form>
    }
}

#[component]
fn StaffActions(staff: StaffView) -> impl IntoView {
    let ctx = use_ctx();
    let toast = use_toast();
    let lang = use_i18n().0;
    let active = RwSignal::new(staff.active);
    let password = FieldState::new("password", "", validate::password);
    let error = RwSignal::new(None::<Failure>);
    let id = staff.id;
    // Locked by wrong passwords: HQ admin lifts it (after a confirmation).
    let locked_until = RwSignal::new(staff.locked_until.clone());
    let confirm = use_confirm();
    let who = StoredValue::new(format!("{} ({})", staff.name, staff.account));
    let ask = move |text: Txt, action: Txt, danger: bool, yes: Box<dyn Fn() + Send + Sync>| {
        let l = lang.get_untracked();
        let text = text.text(l).replace("{who}", &who.get_value());
        confirm.ask(text, action.text(l), danger, yes);
    };
    let unlock = move || {
        error.set(None);
        leptos::task::spawn_local(async move {
            match api::fetch::<UnlockStaff>(&id, ctx.token()).await {
                Ok(s) => {
                    locked_until.set(s.locked_until);
                    toast.show(T::Unlocked.text(lang.get_untracked()).to_string());
                }
                Err(f) => error.set(Some(f)),
            }
        });
    };
    let can_manage = move || match ctx.role() {
        Some(Role::HqAdmin) => true,
        Some(Role::StoreManager) => staff.role == Role::Clerk,
        _ => false,
    };
    let toggle = move || {
        let deactivate = active.get_untracked();
        error.set(None);
        leptos::task::spawn_local(async move {
            let result = if deactivate {
                api::fetch::<DeactivateStaff>(&id, ctx.token()).await
            } else {
                api::fetch::<ActivateStaff>(&id, ctx.token()).await
            };
            match result {
                Ok(s) => {
                    active.set(s.active);
                    toast.show(T::Saved.text(lang.get_untracked()).to_string());
                }
                Err(f) => error.set(Some(f)),
            }
        });
    };
    let reset = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // A new attempt: the last one's error goes (never two at once).
        error.set(None);
        let Some(p) = password.checked() else { return };
        let set = move || {
            let p = p.clone();
            error.set(None);
            leptos::task::spawn_local(async move {
                let body = PasswordReset { password: p };
                match api::send::<ResetStaffPassword>(&id, &body, ctx.token()).await {
                    Ok(_) => {
                        password.value.set(String::new());
                        password.touched.set(false);
                        toast.show(T::PasswordReset.text(lang.get_untracked()).to_string());
                    }
                    Err(f) => error.set(Some(f)),
                }
            });
        };
        ask(
            T::ResetPasswordQuestion,
            T::ResetPassword,
            true,
            Box::new(set),
        );
    };
    let admin = move || ctx.role() == Some(Role::HqAdmin);
    move || {
        can_manage().then(|| view! {
        {move || locked_until.get().map(|until| view! {
            <div class="notice" role="status" id="staff-locked">{tr(T::LockedUntil)}" "{local_time(&until)}</div>
            {admin().then(|| view! {
                <div class="form-actions">
                    <button class="btn btn-warn" id="unlock-staff"
                        on:click=move |_| ask(T::UnlockQuestion, T::Unlock, false, Box::new(unlock))>
                        {tr(T::Unlock)}
                    </button>
                </div>
            })}
        })}
        <h2 class="cells-title">{tr(T::ResetPassword)}</h2>
        <form class="cells" on:submit=reset novalidate=true>
            <Field label=T::NewPassword state=password id="reset-password" input_type="password" autocomplete="new-password"/>
            <div class="form-actions">
                <button type="submit" class="btn btn-default" id="reset-password-btn">{tr(T::ResetPassword)}</button>
            </div>
        </form>
        <FormError error=error/>
        <div class="form-actions">
            <button class="btn btn-warn" id="toggle-active" on:click=move |_| {
                if active.get_untracked() {
                    ask(T::DeactivateQuestion, T::Deactivate, true, Box::new(toggle))
                } else {
                    ask(T::ActivateQuestion, T::Activate, false, Box::new(toggle))
                }
            }>
                {move || if active.get() { tr(T::Deactivate)() } else { tr(T::Activate)() }}
            </button>
        </div>
    })
    }
}

tongka_app::split_page!(staff_new => StaffNewPage);
tongka_app::split_page!(staff_edit => StaffEditPage);
