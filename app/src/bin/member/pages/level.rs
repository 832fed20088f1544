//! 会员等级: the member's level and card, what they spent, how far the next
//! level is, and what each level brings (DESIGN.md "Levels").

use crate::shell::{require_login, use_session};
use leptos::prelude::*;
use shared::api::MemberLevel;
use shared::dto::{Level, MemberLevelView};
use shared::money::decimal;
use tongka_app::api;
use tongka_app::components::{TopBar, loaded};
use tongka_app::i18n::{Lang, T, tr, use_i18n};

/// 会员等级
#[component]
pub fn LevelPage() -> impl IntoView {
    require_login();
    let session = use_session();
    let level = LocalResource::new(move || {
        let token = session.token.get();
        async move { api::fetch::<MemberLevel>(&(), token).await }
    });
    view! {
        <TopBar title=Signal::derive(move || tr(T::LevelTitle)().to_string()) back=true/>
        <section class="page">
            {loaded(level, move |v: MemberLevelView| if v.levels.is_empty() {
                view! { <div class="state state-empty" id="level-none">{tr(T::LevelsNone)}</div> }.into_any()
            } else {
                view! { <Standing v=v/> }.into_any()
            })}
        </section>
    }
}

#[component]
fn Standing(v: MemberLevelView) -> impl IntoView {
    let lang = use_i18n().0;
    let look = v
        .level
        .as_ref()
        .map_or("plain", |l| l.look.as_str())
        .to_owned();
    let name = v.level.as_ref().map(|l| l.name.clone());
    // How far from the level held (or from nothing) to the next, in %.
    let from = v.level.as_ref().map_or(0, |l| l.threshold.0);
    let progress = v.next.as_ref().map(|n| {
        let span = (n.threshold.0 - from).max(1);
        ((v.counted.0 - from).clamp(0, span) * 100 / span) as u8
    });
    let to_next = v.next.clone().map(|n| (n.name, v.to_next));
    let current = v.level.as_ref().and_then(|l| l.id);
    view! {
        <div class=format!("level-card level-{look}") id="level-card">
            <p class="level-card-name" id="level-name">
                {match name {
                    Some(n) => n.into_any(),
                    None => tr(T::LevelNone).into_any(),
                }}
            </p>
            <p class="level-card-spent tabular" id="level-spent">{tr(T::LevelSpent)}" "{v.spent.to_string()}</p>
            {progress.map(|p| view! {
                <div class="level-progress" id="level-progress" role="progressbar" aria-labelledby="level-to-next"
                    aria-valuemin="0" aria-valuemax="100" aria-valuenow=p.to_string()>
                    <span style=format!("width: {p}%")></span>
                </div>
            })}
            <p class="level-card-next" id="level-to-next">
                {move || match &to_next {
                    Some((next, amount)) => T::LevelToNext
                        .text(lang.get())
                        .replace("{amount}", &amount.to_string())
                        .replace("{level}", next),
                    None => T::LevelTop.text(lang.get()).to_owned(),
                }}
            </p>
        </div>
        <h2 class="cells-title">{tr(T::LevelPerks)}</h2>
        <div class="cells" id="level-perks">
            {v.levels.into_iter().map(|l| {
                let here = l.id.is_some() && l.id == current;
                view! {
                    <div class="cell level-row" class:level-row-current=here>
                        <span class="cell-main">
                            <span class="cell-title">
                                <span class=format!("level-dot level-{}", l.look) aria-hidden="true"></span>
                                {l.name.clone()}
                            </span>
                            <span class="cell-desc tabular">
                                {move || T::LevelFrom.text(lang.get()).replace("{amount}", &l.threshold.to_string())}
                            </span>
                        </span>
                        <span class="cell-value level-perk">{move || perks(&l, lang.get())}</span>
                    </div>
                }
            }).collect_view()}
        </div>
    }
}

/// What a level brings, in a line: its discount, points multiplier and
/// birthday coupon.
fn perks(l: &Level, lang: Lang) -> String {
    let mut out = Vec::new();
    out.push(if l.pay_rate_bp >= 10_000 {
        T::LevelNoDiscount.text(lang).to_owned()
    } else {
        let rate = match lang {
            // 9500 → 9.5 折
            Lang::Zh => decimal(l.pay_rate_bp, 1_000),
            // 9500 → 95 % of the bill
            _ => decimal(l.pay_rate_bp, 100),
        };
        T::LevelDiscount.text(lang).replace("{rate}", &rate)
    });
    if l.points_rate_bp > 10_000 {
        out.push(
            T::LevelPoints
                .text(lang)
                .replace("{rate}", &decimal(l.points_rate_bp, 10_000)),
        );
    }
    if l.birthday_coupon_id.is_some() {
        out.push(T::LevelBirthday.text(lang).to_owned());
    }
    out.join(" · ")
}

tongka_app::split_page!(level => LevelPage);
