//! Live receipts on the workbench: every payment at the stores in scope
//! appears at once (long-polling the server, which reads the shared
//! database, so it works across replicas), optionally spoken aloud.

use crate::shell::use_ctx;
use leptos::prelude::*;
use shared::api::WaitReceipts;
use shared::dto::{PaymentListItem, WaitQuery};
use shared::money::Fen;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tongka_app::api;
use tongka_app::components::{local_time, sleep, speak};
use tongka_app::i18n::{T, tr, use_i18n};

const SPEAK_KEY: &str = "tongka.speak";

/// 实时到账
#[component]
pub fn LiveReceipts() -> impl IntoView {
    use gloo::storage::Storage;
    let ctx = use_ctx();
    let lang = use_i18n().0;
    let recent = RwSignal::new(Vec::<PaymentListItem>::new());
    let total = RwSignal::new(None::<(Fen, i64)>);
    let speak_on = RwSignal::new(
        gloo::storage::LocalStorage::raw()
            .get_item(SPEAK_KEY)
            .ok()
            .flatten()
            .as_deref()
            == Some("1"),
    );
    let alive = Arc::new(AtomicBool::new(true));
    {
        let alive = alive.clone();
        on_cleanup(move || alive.store(false, Ordering::SeqCst));
    }
    leptos::task::spawn_local(async move {
        let mut after: Option<i64> = None;
        // Receipts up to where the feed stood when the screen opened are old;
        // the feed repeats the last seconds' receipts, so skip those shown.
        let mut floor: Option<i64> = None;
        let mut shown: std::collections::VecDeque<i64> = std::collections::VecDeque::new();
        while alive.load(Ordering::SeqCst) {
            let query = WaitQuery {
                after,
                timeout: None,
            };
            match api::fetch_q::<WaitReceipts>(&(), &query, ctx.token()).await {
                Ok(feed) => {
                    if !alive.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Some(floor) = floor {
                        let fresh: Vec<_> = feed
                            .items
                            .iter()
                            .filter(|i| i.id > floor && !shown.contains(&i.id))
                            .cloned()
                            .collect();
                        for item in &fresh {
                            shown.push_back(item.id);
                            if shown.len() > 200 {
                                shown.pop_front();
                            }
                        }
                        for item in fresh.iter() {
                            if speak_on.get_untracked() {
                                let yuan = item.amount.to_string().replace('¥', "");
                                speak(&format!("收款到账 {yuan} 元"));
                            }
                        }
                        let mut new = fresh;
                        new.reverse();
                        recent.update(|v| {
                            new.append(v);
                            new.truncate(10);
                            *v = new;
                        });
                    }
                    after = Some(feed.last_id);
                    floor.get_or_insert(feed.last_id);
                    total.set(Some((feed.today_total, feed.today_count)));
                }
                Err(f) if f.is_unauthenticated() => break,
                Err(_) => sleep(3000).await,
            }
        }
    });
    view! {
        <div class="live" id="live-receipts">
            <div class="live-head">
                <span class="live-title">{tr(T::TodayReceipts)}</span>
                <span class="live-total tabular" id="today-total">
                    {move || total.get().map(|(t, n)| format!("{t} · {n} {}", T::ReceiptsCount.text(lang.get()))).unwrap_or_else(|| "…".into())}
                </span>
            </div>
            <label class="live-speak">
                <input type="checkbox" id="speak-toggle" prop:checked=move || speak_on.get()
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        speak_on.set(on);
                        let _ = gloo::storage::LocalStorage::raw().set_item(SPEAK_KEY, if on { "1" } else { "0" });
                    }/>
                <span>{tr(T::SpeakReceipts)}</span>
            </label>
            {move || {
                let list = recent.get();
                if list.is_empty() {
                    view! { <p class="cell-desc live-waiting">{tr(T::WaitingReceipts)}</p> }.into_any()
                } else {
                    view! {
                        <ul class="live-list" id="live-list">
                            {list.into_iter().map(|p| view! {
                                <li class="live-item">
                                    <span class="live-received">{tr(T::Received)}" "<b class="tabular">{p.amount.to_string()}</b></span>
                                    <span class="cell-desc">{p.store_name.clone()}" · "{p.member_phone_masked.clone()}" · "{local_time(&p.at)}</span>
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }
            }}
        </div>
    }
}
