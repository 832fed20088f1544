//! API 密钥: HQ admin's keys for other systems (an ERP, a till). Each acts
//! with one role and its scope; the secret shows once, when it is created;
//! revoking stops it at once. Kept small: one page-level state for the
//! confirmation and the errors, the list reloaded after each change.

use crate::pages::staff_edit::{Choices, choices};
use crate::shell::{require_login, use_ctx};
use leptos::prelude::*;
use shared::api::{CreateApiKey, ListApiKeys, RevokeApiKey};
use shared::dto::{ApiKeyInput, ApiKeyView, Role, ScopeKind};
use shared::validate;
use tongka_app::api::{self, ApiResult, Failure};
use tongka_app::components::{
    EmptyState, Field, FieldState, FormError, TopBar, loaded, local_time,
};
use tongka_app::i18n::{T, role_text, tr};

/// API 密钥
#[component]
pub fn ApiKeysPage() -> impl IntoView {
    require_login();
    let ctx = use_ctx();
    let keys = LocalResource::new(move || {
        let token = ctx.session.token.get();
        async move { api::fetch::<ListApiKeys>(&(), token).await }
    });
    let data = LocalResource::new(move || choices(ctx.session.token.get()));
    // The secret of the key just created: here only until the page is left
    // or another key is created.
    let secret = RwSignal::new(None::<String>);
    // The one key whose revocation is being confirmed.
    let confirming = RwSignal::new(None::<i64>);
    let error = RwSignal::new(None::<Failure>);
    let revoke = move |id: i64| {
        error.set(None);
        confirming.set(None);
        leptos::task::spawn_local(async move {
            match api::fetch::<RevokeApiKey>(&id, ctx.token()).await {
                Ok(_) => keys.refetch(),
                Err(f) => error.set(Some(f)),
            }
        });
    };
    let row = move |k: ApiKeyView| {
        let id = k.id;
        let used = match &k.last_used_at {
            Some(at) => format!("{} {}", tr(T::LastUsed)(), local_time(at)),
            None => tr(T::NeverUsed)().to_string(),
        };
        let state = k
            .revoked_at
            .as_ref()
            .map(|at| format!("{} {}", tr(T::Revoked)(), local_time(at)));
        let live = state.is_none();
        view! {
            <div class="api-key-row cell" class:api-key-revoked=!live data-id=id>
                <span class="cell-main">
                    <span class="cell-title">
                        {k.name} " " <span class="tag tag-grey">{tr(role_text(k.role))}</span>
                        " " <code class="api-key-prefix">{k.prefix} "…"</code>
                    </span>
                    <span class="cell-desc tabular">
                        {k.scope_name.unwrap_or_else(|| tr(T::WholeBrand)().to_string())}
                        " · " {tr(T::CreatedBy)} " " {k.created_by} " " {local_time(&k.created_at)}
                        " · " {used} " " {state}
                    </span>
                </span>
                {live.then_some(move || if confirming.get() == Some(id) {
                    view! {
                        <div class="confirm" role="alertdialog" id="api-key-confirm">
                            <p class="confirm-text">{tr(T::RevokeWarning)}</p>
                            <button type="button" class="btn btn-warn" id="api-key-confirm-revoke"
                                on:click=move |_| revoke(id)>{tr(T::ConfirmRevoke)}</button>
                            <button type="button" class="btn" id="api-key-confirm-cancel"
                                on:click=move |_| confirming.set(None)>{tr(T::Cancel)}</button>
                        </div>
                    }.into_any()
                } else {
                    view! {
                        <button type="button" class="btn btn-warn btn-small api-key-revoke"
                            on:click=move |_| confirming.set(Some(id))>{tr(T::Revoke)}</button>
                    }.into_any()
                })}
            </div>
        }
    };
    view! {
        <TopBar title=Signal::derive(move || tr(T::ApiKeys)().to_string()) back=true/>
        <section class="page">
            <FormError error=error/>
            {loaded(keys, move |list: Vec<ApiKeyView>| if list.is_empty() {
                view! { <EmptyState/> }.into_any()
            } else {
                view! { <div class="cells" id="api-key-list">{list.into_iter().map(row).collect_view()}</div> }.into_any()
            })}
            <h2 class="cells-title">{tr(T::NewApiKey)}</h2>
            {loaded(data, move |c: Choices| view! {
                <KeyForm choices=c secret=secret on_created=move || keys.refetch()/>
            }.into_any())}
            {move || secret.get().map(|s| view! {
                <div class="secret-box" role="status" id="api-key-secret-box">
                    <p class="secret-once">{tr(T::SecretOnce)}</p>
                    <code class="secret" id="api-key-secret">{s}</code>
                    <p class="secret-usage">
                        {tr(T::ApiKeyUsage)} " " <code>{tr(T::ApiKeyHeader)}</code> " · "
                        <a class="link" id="api-docs-link" href="/api/docs" rel="external noopener" target="_blank">{tr(T::ApiDocs)}</a>
                    </p>
                </div>
            })}
        </section>
    }
}

/// A new key: name, role, and the region or store its role needs.
#[component]
fn KeyForm(
    choices: Choices,
    secret: RwSignal<Option<String>>,
    #[prop(into)] on_created: Callback<()>,
) -> impl IntoView {
    let ctx = use_ctx();
    let (regions, stores) = choices;
    let name = FieldState::new("name", "", validate::place_name);
    // The least a key can do: what more it needs is chosen, not given.
    let role = RwSignal::new(Role::Clerk);
    let scope = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<Failure>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // A new attempt: the last one's error goes (never two at once).
        error.set(None);
        let Some(n) = name.checked() else {
            return;
        };
        let r = role.get_untracked();
        let id = scope.get_untracked().parse::<i64>().ok();
        let (region_id, store_id) = match r.scope_kind() {
            ScopeKind::Brand => (None, None),
            ScopeKind::Region => (id, None),
            ScopeKind::Store => (None, id),
        };
        // Another key: the last secret goes.
        secret.set(None);
        busy.set(true);
        leptos::task::spawn_local(async move {
            let body = ApiKeyInput {
                name: n,
                role: r,
                region_id,
                store_id,
            };
            let result: ApiResult<_> = api::send::<CreateApiKey>(&(), &body, ctx.token()).await;
            busy.set(false);
            match result {
                Ok(created) => {
                    secret.set(Some(created.secret));
                    name.value.set(String::new());
                    name.touched.set(false);
                    on_created.run(());
                }
                Err(f) => error.set(Some(f)),
            }
        });
    };
    // The region or store the role needs, in one list.
    let options = move || {
        let kind = role.get().scope_kind();
        let (choose, list): (T, Vec<(i64, String)>) = match kind {
            ScopeKind::Brand => return None,
            ScopeKind::Region => (
                T::ChooseRegion,
                regions.iter().map(|r| (r.id, r.name.clone())).collect(),
            ),
            ScopeKind::Store => (
                T::ChooseStore,
                stores.iter().map(|s| (s.id, s.name.clone())).collect(),
            ),
        };
        let id = if kind == ScopeKind::Region {
            "api-key-region"
        } else {
            "api-key-store"
        };
        Some(view! {
            <label class="cell">
                <select class="cell-input" id=id prop:value=move || scope.get()
                    on:change=move |ev| scope.set(event_target_value(&ev))>
                    <option value="">{tr(choose)}</option>
                    {list.into_iter().map(|(v, n)| view! { <option value=v.to_string()>{n}</option> }).collect_view()}
                </select>
            </label>
        })
    };
    view! {
        <form class="cells" on:submit=submit novalidate=true id="api-key-form">
            <Field label=T::ApiKeyName state=name id="api-key-name" maxlength=40 autocomplete="off" placeholder=T::ApiKeyNamePlaceholder/>
            <label class="cell">
                <span class="cell-label">{tr(T::Role)}</span>
                <select class="cell-input" id="api-key-role"
                    prop:value=move || role.get().as_str()
                    on:change=move |ev| {
                        if let Some(r) = Role::parse(&event_target_value(&ev)) {
                            role.set(r);
                            scope.set(String::new());
                        }
                    }>
                    {Role::ALL.into_iter().map(|r| view! { <option value=r.as_str()>{tr(role_text(r))}</option> }).collect_view()}
                </select>
            </label>
            {options}
            <FormError error=error/>
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" id="api-key-create" disabled=move || busy.get()>
                    {move || if busy.get() { tr(T::Creating)() } else { tr(T::CreateKey)() }}
                </button>
            </div>
        </form>
    }
}
