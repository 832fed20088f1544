//! Regions: HQ admin adds and renames; region managers see theirs.

use crate::shell::{require_login, use_ctx};
use leptos::prelude::*;
use shared::api::{CreateRegion, DeleteRegion, ListRegions, RenameRegion};
use shared::dto::{RegionInput, RegionView, Role};
use shared::validate;
use tongka_app::api::{self, Failure};
use tongka_app::components::{
    EmptyState, Field, FieldState, FormError, TopBar, loaded, use_confirm, use_toast,
};
use tongka_app::i18n::{T, tr, use_i18n};

/// 区域
#[component]
pub fn RegionsPage() -> impl IntoView {
    require_login();
    let ctx = use_ctx();
    let toast = use_toast();
    let lang = use_i18n().0;
    let regions = LocalResource::new(move || {
        let token = ctx.session.token.get();
        async move { api::fetch::<ListRegions>(&(), token).await }
    });
    let name = FieldState::new("name", "", validate::place_name);
    let editing = RwSignal::new(None::<i64>);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<Failure>);
    let confirm = use_confirm();
    // Deleting an empty region, after saying which.
    let remove = move |r: RegionView| {
        let l = lang.get_untracked();
        let text = T::DeleteRegionQuestion.text(l).replace("{name}", &r.name);
        confirm.ask(text, T::Delete.text(l), true, move || {
            error.set(None);
            leptos::task::spawn_local(async move {
                match api::fetch::<DeleteRegion>(&r.id, ctx.token()).await {
                    Ok(()) => {
                        toast.show(T::Deleted.text(lang.get_untracked()).to_string());
                        regions.refetch();
                    }
                    Err(f) => error.set(Some(f)),
                }
            });
        });
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // A new attempt: the last one's error goes (never two at once).
        error.set(None);
        let Some(n) = name.checked() else { return };
        busy.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            let body = RegionInput { name: n };
            let result = match editing.get_untracked() {
                Some(id) => api::send::<RenameRegion>(&id, &body, ctx.token()).await,
                None => api::send::<CreateRegion>(&(), &body, ctx.token()).await,
            };
            busy.set(false);
            match result {
                Ok(_) => {
                    toast.show(T::Saved.text(lang.get_untracked()).to_string());
                    name.value.set(String::new());
                    name.touched.set(false);
                    editing.set(None);
                    regions.refetch();
                }
                Err(f) => error.set(Some(f)),
            }
        });
    };
    view! {
        <TopBar title=Signal::derive(move || tr(T::Regions)().to_string()) back=true/>
        <section class="page">
            {loaded(regions, move |list: Vec<RegionView>| {
                if list.is_empty() {
                    return view! { <EmptyState/> }.into_any();
                }
                view! {
                    <div class="cells" id="region-list">
                        {list.into_iter().map(|r| {
                            let rename = {
                                let n = r.name.clone();
                                move |_| { editing.set(Some(r.id)); name.value.set(n.clone()); }
                            };
                            view! {
                                <div class="cell">
                                    <span class="cell-main">
                                        <span class="cell-title">{r.name.clone()}</span>
                                        <span class="cell-desc tabular">{r.store_count}" "{tr(T::StoresCount)}</span>
                                    </span>
                                    {move || (ctx.role() == Some(Role::HqAdmin)).then(|| view! {
                                        <button class="btn btn-plain btn-small" on:click=rename.clone()>{tr(T::Rename)}</button>
                                    })}
                                    {move || (ctx.role() == Some(Role::HqAdmin) && r.store_count == 0).then(|| {
                                        let r = r.clone();
                                        view! {
                                            <button class="btn btn-plain btn-small btn-danger-text delete-region"
                                                on:click=move |_| remove(r.clone())>{tr(T::Delete)}</button>
                                        }
                                    })}
                                </div>
                            }
                        }).collect_view()}
                    </div>
                }.into_any()
            })}
            {move || (ctx.role() == Some(Role::HqAdmin)).then(|| view! {
                <h2 class="cells-title">{move || if editing.get().is_some() { tr(T::Rename)() } else { tr(T::AddRegion)() }}</h2>
                <form class="cells" on:submit=submit novalidate=true id="region-form">
                    <Field label=T::RegionName state=name id="region-name" maxlength=40/>
                    <FormError error=error/>
                    <div class="form-actions">
                        <button type="submit" class="btn btn-primary" id="save-region" disabled=move || busy.get()>{tr(T::Save)}</button>
                        {move || editing.get().is_some().then(|| view! {
                            <button type="button" class="btn btn-default" on:click=move |_| { editing.set(None); name.value.set(String::new()); }>{tr(T::Cancel)}</button>
                        })}
                    </div>
                </form>
            })}
        </section>
    }
}

tongka_app::split_page!(regions => RegionsPage);
