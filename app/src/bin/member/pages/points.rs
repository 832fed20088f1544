//! 我的积分: the member's points (DESIGN.md "Engagement"): what they can
//! use now, what expires next and when, what a payment in progress holds,
//! what they owe, the brand's rules, and each lot soonest to expire first.

use crate::shell::{require_login, use_session};
use leptos::prelude::*;
use shared::api::MemberPoints;
use shared::dto::{MemberPointsView, PointsPolicy};
use shared::money::decimal;
use tongka_app::api;
use tongka_app::components::{TopBar, loaded, local_time};
use tongka_app::i18n::{Lang, T, tr, use_i18n};

/// 我的积分
#[component]
pub fn PointsPage() -> impl IntoView {
    require_login();
    let session = use_session();
    let points = LocalResource::new(move || {
        let token = session.token.get();
        async move { api::fetch::<MemberPoints>(&(), token).await }
    });
    view! {
        <TopBar title=Signal::derive(move || tr(T::PointsTitle)().to_string()) back=true/>
        <section class="page">
            {loaded(points, move |v: MemberPointsView| view! { <Points v=v/> }.into_any())}
        </section>
    }
}

/// `text` with each `{name}` replaced by its value.
fn filled(text: &str, values: &[(&str, String)]) -> String {
    values.iter().fold(text.to_owned(), |t, (k, v)| {
        t.replace(&format!("{{{k}}}"), v)
    })
}

/// The brand's rules in a line each: what a yuan earns, what points take off.
fn rules(p: &PointsPolicy, l: Lang) -> Vec<String> {
    let mut out = Vec::new();
    if p.per_yuan > 0 {
        out.push(filled(
            T::PointsEarnRule.text(l),
            &[("n", p.per_yuan.to_string())],
        ));
    }
    if p.max_share_bp > 0 {
        out.push(filled(
            T::PointsSpendRule.text(l),
            &[
                ("step", p.step.to_string()),
                ("worth", p.step_worth.to_string()),
                ("share", decimal(p.max_share_bp, 100)),
            ],
        ));
    }
    out
}

#[component]
fn Points(v: MemberPointsView) -> impl IntoView {
    let lang = use_i18n().0;
    let runs = v.policy.per_yuan > 0 || v.policy.max_share_bp > 0;
    let nothing = v.usable == 0 && v.held == 0 && v.owed == 0;
    let next = v
        .next_expiry
        .clone()
        .map(|at| (v.next_expiring, local_time(&at)));
    let (held, owed, policy) = (v.held, v.owed, v.policy.clone());
    let usable = v.usable.to_string();
    view! {
        <div class="level-card points-card" id="points-summary">
            <p class="level-card-spent">{tr(T::PointsToUse)}</p>
            <p class="level-card-name tabular" id="points-total">{usable}</p>
            {next.map(|(n, at)| view! {
                <p class="level-card-next" id="points-next">
                    {move || filled(T::PointsNextExpiry.text(lang.get()), &[("n", n.to_string()), ("at", at.clone())])}
                </p>
            })}
            {(held > 0).then(|| view! {
                <p class="level-card-next" id="points-held">{move || filled(T::PointsHeld.text(lang.get()), &[("n", held.to_string())])}</p>
            })}
        </div>
        {(owed > 0).then(|| view! {
            <div class="notice" id="points-owed">{move || filled(T::PointsOwedNote.text(lang.get()), &[("n", owed.to_string())])}</div>
        })}
        {if runs {
            view! {
                <div class="cells" id="points-rules">
                    {move || rules(&policy, lang.get()).into_iter().map(|r| view! {
                        <div class="cell"><span class="cell-main">{r}</span></div>
                    }).collect_view()}
                </div>
            }.into_any()
        } else {
            view! { <div class="notice" id="points-not-run">{tr(T::PointsNotRun)}</div> }.into_any()
        }}
        {if v.lots.is_empty() {
            (nothing && runs).then(|| view! {
                <div class="state state-empty" id="points-none">{tr(T::PointsNone)}</div>
            }).into_any()
        } else {
            view! {
                <h2 class="cells-title">{tr(T::PointsLots)}</h2>
                <div class="cells" id="points-lots">
                    {v.lots.into_iter().map(|lot| {
                        let at = local_time(&lot.expires_at);
                        view! {
                            <div class="cell points-lot">
                                <span class="cell-main tabular">
                                    {move || filled(T::PointsLot.text(lang.get()), &[("earned", lot.earned.to_string()), ("left", lot.left.to_string())])}
                                </span>
                                <span class="cell-value tabular">{move || filled(T::PointsLotExpires.text(lang.get()), &[("at", at.clone())])}</span>
                            </div>
                        }
                    }).collect_view()}
                </div>
            }.into_any()
        }}
    }
}

tongka_app::split_page!(points => PointsPage);
