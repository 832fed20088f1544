//! 核销记录: write-offs at the stores in the caller's scope, newest first;
//! the store's manager or HQ undoes one within HQ's window, giving a
//! reason, after a confirmation.

use crate::shell::{require_login, use_ctx};
use leptos::prelude::*;
use shared::api::{ListWriteOffs, UndoWriteOff};
use shared::dto::{Role, WriteOffListItem, WriteOffUndoInput, WriteOffsQuery};
use shared::money::Fen;
use tongka_app::api::{self, Failure};
use tongka_app::components::{
    Field, FieldState, FormError, PagedCells, Pager, TopBar, local_time, use_confirm, use_toast,
};
use tongka_app::i18n::{T, tr, use_i18n};

tongka_app::split_page!(write_offs => WriteOffsPage);

/// Whether `until` (RFC 3339) is still ahead.
fn still_before(until: &str) -> bool {
    let at = js_sys::Date::parse(until);
    !at.is_nan() && at > js_sys::Date::now()
}

/// 核销记录
#[component]
pub fn WriteOffsPage() -> impl IntoView {
    require_login();
    let ctx = use_ctx();
    let pager = Pager::new::<ListWriteOffs>(
        move |after| {
            (
                (),
                WriteOffsQuery {
                    after,
                    store_id: None,
                },
            )
        },
        move || ctx.token(),
    );
    let undoing = RwSignal::new(None::<i64>);
    let can_undo = move || {
        matches!(
            ctx.role(),
            Some(Role::StoreManager | Role::HqAdmin | Role::HqFinance)
        )
    };
    view! {
        <TopBar title=Signal::derive(move || tr(T::WriteOffRecords)().to_string()) back=true/>
        <section class="page">
            <PagedCells pager=pager id="write-off-list" row=move |w: WriteOffListItem| {
                let id = w.id;
                let undone = w.undone_at.is_some();
                let open = !undone && still_before(&w.undo_until);
                let amount = w.amount;
                view! {
                    <div class="cell write-off-row" data-write-off=id.to_string()>
                        <span class="cell-main">
                            <span class="cell-title">
                                {w.lines.iter().map(|l| format!("{}（{}）", l.item_name, l.source)).collect::<Vec<_>>().join("、")}
                                {undone.then(|| view! { <span class="tag tag-grey write-off-undone">{tr(T::UndoneTag)}</span> })}
                            </span>
                            <span class="cell-desc">{w.store_name.clone()}" · "{w.member_phone_masked.clone()}" · "{w.staff_name.clone()}</span>
                            <span class="cell-desc tabular">{local_time(&w.at)}</span>
                        </span>
                        <span class="cell-value tabular">{w.amount.to_string()}</span>
                        {move || (can_undo() && open).then(|| view! {
                            <span class="row-actions">
                                <button class="btn btn-plain btn-small undo-btn" on:click=move |_| undoing.set(Some(id))>{tr(T::UndoWriteOff)}</button>
                            </span>
                        })}
                    </div>
                    {move || (undoing.get() == Some(id)).then(|| view! {
                        <UndoForm id=id amount=amount on_done=move || { undoing.set(None); pager.load(false); }/>
                    })}
                }
            }/>
        </section>
    }
}

/// The reason for an undo, then a confirmation.
#[component]
fn UndoForm(id: i64, amount: Fen, #[prop(into)] on_done: Callback<()>) -> impl IntoView {
    let ctx = use_ctx();
    let lang = use_i18n().0;
    let toast = use_toast();
    let confirm = use_confirm();
    let reason = FieldState::new("reason", "", |v: &str| {
        let v = v.trim();
        if v.is_empty() {
            Err("required")
        } else if v.chars().count() > 200 {
            Err("too_long")
        } else {
            Ok(v.to_string())
        }
    });
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<Failure>);
    let key = RwSignal::new(api::new_key());
    Effect::new(move |_| {
        reason.value.track();
        key.set(api::new_key());
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        let Some(why) = reason.checked() else { return };
        let l = lang.get_untracked();
        let text = T::UndoWriteOffQuestion
            .text(l)
            .replace("{amount}", &amount.to_string());
        confirm.ask(text, T::UndoWriteOff.text(l), true, move || {
            busy.set(true);
            let body = WriteOffUndoInput {
                reason: why.clone(),
            };
            let k = key.get_untracked();
            leptos::task::spawn_local(async move {
                let result = api::send_once::<UndoWriteOff>(&id, &body, ctx.token(), &k).await;
                if busy.try_set(false).is_some() {
                    return;
                }
                match result {
                    Ok(_) => {
                        toast.show(T::UndoDone.text(lang.get_untracked()).to_string());
                        on_done.run(());
                    }
                    Err(f) => error.set(Some(f)),
                }
            });
        });
    };
    view! {
        <form class="cells undo-form" novalidate=true on:submit=submit>
            <Field label=T::UndoReason state=reason id="undo-reason" placeholder=T::UndoReasonHint/>
            <FormError error=error/>
            <div class="form-actions">
                <button type="submit" class="btn btn-default btn-danger-text" id="undo-submit" disabled=move || busy.get()>
                    {move || if busy.get() { tr(T::Undoing)() } else { tr(T::UndoWriteOff)() }}
                </button>
            </div>
        </form>
    }
}
