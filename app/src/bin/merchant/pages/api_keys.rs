//! API 密钥: HQ admin's keys for other systems (an ERP, a till). Each acts
//! with one role and its scope; the secret shows once, when it is created;
//! revoking stops it at once. Kept small: one page-level state for the
//! confirmation and the errors, the list reloaded after each change.

use crate::pages::staff_edit::{Choices, ScopePicker, choices, chosen_scope};
use crate::shell::{require_login, use_ctx};
use leptos::prelude::*;
use shared::api::{CreateApiKey, ListApiKeys, RevokeApiKey};
use shared::dto::{ApiKeyInput, ApiKeyView, Role};
use shared::validate;
use tongka_app::api::{self, ApiResult, Failure};
use tongka_app::components::{
    EmptyState, Field, FieldState, FormError, TopBar, loaded, local_time, use_confirm,
};
use tongka_app::i18n::{T, role_text, tr, use_i18n};

/// API 密钥
#[component]
pub fn ApiKeysPage() -> impl IntoView {
    require_login();
    let ctx = use_ctx();
    let keys = LocalResource::new(move || {
        let token = ctx.session.token.get();
        async move { api::fetch::<ListApiKeys>(&(), token).await }
    });
    // The key just created, (name, secret): here only until it is put away,
    // the page is left or another key is created.
    let secret = RwSignal::new(None::<(String, String)>);
    // Whether a revocation is being sent.
    let revoking = RwSignal::new(false);
    let confirm = use_confirm();
    let lang = use_i18n().0;
    let error = RwSignal::new(None::<Failure>);
    let revoke = move |id: i64| {
        error.set(None);
        revoking.set(true);
        leptos::task::spawn_local(async move {
            match api::fetch::<RevokeApiKey>(&id, ctx.token()).await {
                Ok(_) => keys.refetch(),
                Err(f) => error.set(Some(f)),
            }
            revoking.set(false);
        });
    };
    let row = move |k: ApiKeyView| {
        let id = k.id;
        let used = match &k.last_used_at {
            Some(at) => format!("{} {}", tr(T::LastUsed)(), local_time(at)),
            None => tr(T::NeverUsed)().to_string(),
        };
        let revoked = k.revoked_at.as_ref().map(|at| local_time(at));
        let live = revoked.is_none();
        let key_name = format!("{} ({}…)", k.name, k.prefix);
        view! {
            <div class="api-key-row cell" class:api-key-revoked=!live data-id=id>
                <span class="cell-main">
                    <span class="cell-title">
                        {k.name} " " <span class="tag tag-grey">{tr(role_text(k.role))}</span>
                        {(!live).then(|| view! { " " <span class="tag tag-red">{tr(T::Revoked)}</span> })}
                        " " <code class="api-key-prefix">{k.prefix} "…"</code>
                    </span>
                    <span class="cell-desc tabular">
                        {k.scope_name.unwrap_or_else(|| tr(T::WholeBrand)().to_string())}
                        " · " {tr(T::CreatedBy)} " " {k.created_by} " " {local_time(&k.created_at)}
                        " · " {used}
                        {revoked.map(|at| format!(" · {} {at}", tr(T::Revoked)()))}
                    </span>
                </span>
                {live.then(|| view! {
                    <button type="button" class="btn btn-warn btn-small api-key-revoke" disabled=move || revoking.get()
                        on:click=move |_| {
                            error.set(None);
                            let l = lang.get_untracked();
                            let text = T::RevokeWarning.text(l).replace("{key}", &key_name);
                            confirm.ask(text, T::ConfirmRevoke.text(l), true, move || revoke(id))
                        }>
                        {move || if revoking.get() { tr(T::Revoking)() } else { tr(T::Revoke)() }}
                    </button>
                })}
            </div>
        }
    };
    // Only HQ admin may see the keys; anyone else gets the load's error and
    // no form.
    let admin = move || matches!(keys.get(), Some(Ok(_)));
    view! {
        <TopBar title=Signal::derive(move || tr(T::ApiKeys)().to_string()) back=true/>
        <section class="page">
            {move || secret.get().map(|(name, s)| view! { <SecretBox name=name secret=s on_done=move || secret.set(None)/> })}
            <FormError error=error/>
            {loaded(keys, move |list: Vec<ApiKeyView>| if list.is_empty() {
                view! { <EmptyState text=T::NoApiKeys/> }.into_any()
            } else {
                view! { <div class="cells" id="api-key-list">{list.into_iter().map(row).collect_view()}</div> }.into_any()
            })}
            {move || admin().then(|| view! { <NewKey secret=secret on_created=move || keys.refetch()/> })}
        </section>
    }
}

/// The secret of the key just made, shown this once, brought into view.
#[component]
fn SecretBox(name: String, secret: String, #[prop(into)] on_done: Callback<()>) -> impl IntoView {
    let node = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        if let Some(el) = node.get() {
            el.scroll_into_view();
        }
    });
    view! {
        <div class="secret-box" role="status" id="api-key-secret-box" node_ref=node>
            <p class="secret-once"><strong>{name}</strong> " · " {tr(T::SecretOnce)}</p>
            <code class="secret" id="api-key-secret">{secret}</code>
            <p class="secret-usage">
                {tr(T::ApiKeyUsage)} " " <code>{tr(T::ApiKeyHeader)}</code> " · "
                <a class="link" id="api-docs-link" href=format!("/api{}", shared::api::DOCS_PAGE) rel="external noopener" target="_blank">{tr(T::ApiDocs)}</a>
            </p>
            <div class="form-actions">
                <button type="button" class="btn" id="api-key-secret-done" on:click=move |_| on_done.run(())>{tr(T::SecretSaved)}</button>
            </div>
        </div>
    }
}

/// The form for a new key, once the stores and regions are loaded.
#[component]
fn NewKey(
    secret: RwSignal<Option<(String, String)>>,
    #[prop(into)] on_created: Callback<()>,
) -> impl IntoView {
    let ctx = use_ctx();
    let data = LocalResource::new(move || choices(ctx.session.token.get()));
    view! {
        <h2 class="cells-title">{tr(T::NewApiKey)}</h2>
        {loaded(data, move |c: Choices| view! {
            <KeyForm choices=c secret=secret on_created=on_created/>
        }.into_any())}
    }
}

/// A new key: name, role, and the region or store its role needs.
#[component]
fn KeyForm(
    choices: Choices,
    secret: RwSignal<Option<(String, String)>>,
    on_created: Callback<()>,
) -> impl IntoView {
    let ctx = use_ctx();
    let (regions, stores) = choices;
    let name = FieldState::new("name", "", validate::place_name);
    // The least a key can do: what more it needs is chosen, not given.
    let role = RwSignal::new(Role::Clerk);
    let region = RwSignal::new(String::new());
    let store = RwSignal::new(String::new());
    let missing = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<Failure>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // A new attempt: the last one's error goes (never two at once).
        error.set(None);
        let scope = chosen_scope(
            role.get_untracked(),
            &region.get_untracked(),
            &store.get_untracked(),
        );
        missing.set(scope.is_none());
        let (Some(n), Some((region_id, store_id))) = (name.checked(), scope) else {
            return;
        };
        // Another key: the last secret goes.
        secret.set(None);
        busy.set(true);
        leptos::task::spawn_local(async move {
            let body = ApiKeyInput {
                name: n,
                role: role.get_untracked(),
                region_id,
                store_id,
            };
            let result: ApiResult<_> = api::send::<CreateApiKey>(&(), &body, ctx.token()).await;
            busy.set(false);
            match result {
                Ok(created) => {
                    secret.set(Some((created.key.name, created.secret)));
                    name.value.set(String::new());
                    name.touched.set(false);
                    on_created.run(());
                }
                Err(f) => error.set(Some(f)),
            }
        });
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
                            missing.set(false);
                        }
                    }>
                    {Role::ALL.into_iter().map(|r| view! { <option value=r.as_str()>{tr(role_text(r))}</option> }).collect_view()}
                </select>
            </label>
            <ScopePicker role=role region=region store=store regions=regions stores=stores
                missing=missing read_only=Signal::derive(|| false) id="api-key"/>
            <FormError error=error/>
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" id="api-key-create" disabled=move || busy.get()>
                    {move || if busy.get() { tr(T::Creating)() } else { tr(T::CreateKey)() }}
                </button>
            </div>
        </form>
    }
}

tongka_app::split_page!(api_keys => ApiKeysPage);
