//! 积分与等级: HQ's points policy and member levels, each field checked as
//! typed, with a preview of what a sample bill gives a member at each level
//! (by the shared price plan and earning rule the server books by).

use crate::shell::{require_login, use_ctx};
use leptos::prelude::*;
use shared::api::{GetLevels, GetPointsPolicy, ListCouponTemplates, PutLevels, PutPointsPolicy};
use shared::dto::{LEVEL_LOOKS, Level, LevelsPolicy, PointsPolicy, Role};
use shared::money::{Bp, Fen, decimal, parse_scaled};
use shared::plan::{Bill, plan};
use shared::validate::Reason;
use tongka_app::api::{self, Failure};
use tongka_app::components::{
    Field, FieldState, FormError, TopBar, int_in, loaded, use_confirm, use_toast, yuan_text,
};
use tongka_app::i18n::{T, tr, use_i18n};

fn per_yuan_rule(v: &str) -> Result<String, Reason> {
    int_in(v, 0, 100, "points_rate_range")
}

fn days_rule(v: &str) -> Result<String, Reason> {
    int_in(v, 0, 3650, "points_days_range")
}

fn remind_rule(v: &str) -> Result<String, Reason> {
    int_in(v, 0, 90, "remind_days_range")
}

fn step_rule(v: &str) -> Result<String, Reason> {
    int_in(v, 1, 100_000, "points_step_range")
}

/// 0–100 % with up to two decimals, in basis points.
fn share_rule(v: &str) -> Result<String, Reason> {
    match parse_scaled(v, 2) {
        Some(bp) if (0..=10_000).contains(&bp) => Ok(bp.to_string()),
        _ => Err("rate_range"),
    }
}

/// ¥0.01–¥100, in fen.
fn worth_rule(v: &str) -> Result<String, Reason> {
    match Fen::parse_yuan(v) {
        Ok(f) if (1..=10_000).contains(&f.0) => Ok(f.0.to_string()),
        _ => Err("points_worth_range"),
    }
}

/// ×1–×10 with up to two decimals, in basis points (1.5 → 15000).
fn multiplier_rule(v: &str) -> Result<String, Reason> {
    match parse_scaled(v, 4) {
        Some(bp) if (10_000..=100_000).contains(&bp) => Ok(bp.to_string()),
        _ => Err("multiplier_range"),
    }
}

/// 5–10 折 with up to two decimals, as the share paid in basis points
/// (9.5 → 9500).
fn rate_rule(v: &str) -> Result<String, Reason> {
    match parse_scaled(v, 3) {
        Some(bp) if (5_000..=10_000).contains(&bp) => Ok(bp.to_string()),
        _ => Err("level_rate_range"),
    }
}

/// ¥0 or more, in fen.
fn threshold_rule(v: &str) -> Result<String, Reason> {
    if v.trim() == "0" {
        return Ok("0".into());
    }
    match Fen::parse_yuan(v) {
        Ok(f) if (0..=10_000_000_000).contains(&f.0) => Ok(f.0.to_string()),
        _ => Err("threshold_range"),
    }
}

fn name_rule(v: &str) -> Result<String, Reason> {
    let v = v.trim();
    match v.chars().count() {
        0 => Err("required"),
        1..=20 => Ok(v.to_owned()),
        _ => Err("too_long"),
    }
}

/// 积分与等级
#[component]
pub fn LevelsPage() -> impl IntoView {
    require_login();
    let ctx = use_ctx();
    let points = LocalResource::new(move || {
        let token = ctx.session.token.get();
        async move { api::fetch::<GetPointsPolicy>(&(), token).await }
    });
    let levels = LocalResource::new(move || {
        let token = ctx.session.token.get();
        async move { api::fetch::<GetLevels>(&(), token).await }
    });
    // The coupons a level may give on birthdays: HQ's templates.
    let templates = LocalResource::new(move || {
        let token = ctx.session.token.get();
        async move {
            let all = api::fetch::<ListCouponTemplates>(&(), token).await?;
            Ok(all
                .into_iter()
                .map(|t| (t.id, t.terms.name))
                .collect::<Vec<(i64, String)>>())
        }
    });
    view! {
        <TopBar title=Signal::derive(move || tr(T::LevelsTitle)().to_string()) back=true/>
        <section class="page">
            {loaded(points, move |p: PointsPolicy| view! {
                {loaded(levels, move |l: LevelsPolicy| {
                    let p = p.clone();
                    view! {
                        {loaded(templates, move |t: Vec<(i64, String)>| {
                            view! { <Editor points=p.clone() levels=l.clone() coupons=t/> }.into_any()
                        })}
                    }.into_any()
                })}
            }.into_any())}
        </section>
    }
}

/// One level row being edited.
#[derive(Clone, Copy)]
struct Row {
    key: u32,
    id: Option<i64>,
    name: FieldState,
    threshold: FieldState,
    rate: FieldState,
    multiplier: FieldState,
    look: RwSignal<String>,
    coupon: RwSignal<Option<i64>>,
}

impl Row {
    fn of(key: u32, l: &Level) -> Row {
        Row {
            key,
            id: l.id,
            name: FieldState::new("name", &l.name, name_rule),
            threshold: FieldState::new("threshold", &yuan_text(l.threshold), threshold_rule),
            rate: FieldState::new("pay_rate_bp", &decimal(l.pay_rate_bp, 1_000), rate_rule),
            multiplier: FieldState::new(
                "points_rate_bp",
                &decimal(l.points_rate_bp, 10_000),
                multiplier_rule,
            ),
            look: RwSignal::new(l.look.clone()),
            coupon: RwSignal::new(l.birthday_coupon_id),
        }
    }

    /// The level as typed, if every field is right (`mark`: show errors).
    fn level(&self, mark: bool) -> Option<Level> {
        let get = |f: &FieldState| if mark { f.checked() } else { f.valid() };
        let values = (
            get(&self.name),
            get(&self.threshold),
            get(&self.rate),
            get(&self.multiplier),
        );
        let (Some(name), Some(t), Some(r), Some(m)) = values else {
            return None;
        };
        Some(Level {
            id: self.id,
            name,
            threshold: Fen(t.parse().ok()?),
            pay_rate_bp: r.parse().ok()?,
            points_rate_bp: m.parse().ok()?,
            birthday_coupon_id: self.coupon.get(),
            look: self.look.get(),
        })
    }
}

#[component]
fn Editor(
    points: PointsPolicy,
    levels: LevelsPolicy,
    coupons: Vec<(i64, String)>,
) -> impl IntoView {
    let coupons = StoredValue::new(coupons);
    let ctx = use_ctx();
    let toast = use_toast();
    let confirm = use_confirm();
    let lang = use_i18n().0;
    let admin = move || ctx.role() == Some(Role::HqAdmin);
    // The points policy.
    let per_yuan = FieldState::new("per_yuan", &points.per_yuan.to_string(), per_yuan_rule);
    let days = FieldState::new("expiry_days", &points.expiry_days.to_string(), days_rule);
    let step = FieldState::new("step", &points.step.to_string(), step_rule);
    let worth = FieldState::new("step_worth", &yuan_text(points.step_worth), worth_rule);
    let share = FieldState::new(
        "max_share_bp",
        &decimal(points.max_share_bp, 100),
        share_rule,
    );
    let birthday = FieldState::new(
        "birthday_rate_bp",
        &decimal(points.birthday_rate_bp, 10_000),
        multiplier_rule,
    );
    let remind = FieldState::new("remind_days", &points.remind_days.to_string(), remind_rule);
    let points_error = RwSignal::new(None::<Failure>);
    let policy_now = move |mark: bool| {
        let get = |f: FieldState| if mark { f.checked() } else { f.valid() };
        let values = (
            get(per_yuan),
            get(days),
            get(step),
            get(worth),
            get(share),
            get(birthday),
            get(remind),
        );
        let (Some(p), Some(d), Some(s), Some(w), Some(m), Some(b), Some(r)) = values else {
            return None;
        };
        Some(PointsPolicy {
            per_yuan: p.parse().ok()?,
            expiry_days: d.parse().ok()?,
            step: s.parse().ok()?,
            step_worth: Fen(w.parse().ok()?),
            max_share_bp: m.parse().ok()?,
            birthday_rate_bp: b.parse().ok()?,
            remind_days: r.parse().ok()?,
        })
    };
    let save_points = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        points_error.set(None);
        let Some(body) = policy_now(true) else {
            return;
        };
        leptos::task::spawn_local(async move {
            match api::call::<PutPointsPolicy>(&(), &(), &body, ctx.token(), None).await {
                Ok(_) => toast.show(T::Saved.text(lang.get_untracked()).to_string()),
                Err(f) => points_error.set(Some(f)),
            }
        });
    };
    // The levels.
    let next_key = StoredValue::new(levels.levels.len() as u32);
    let rows = RwSignal::new(
        levels
            .levels
            .iter()
            .enumerate()
            .map(|(i, l)| Row::of(i as u32, l))
            .collect::<Vec<_>>(),
    );
    let refund_lowers = RwSignal::new(levels.refund_lowers);
    let levels_error = RwSignal::new(None::<Failure>);
    let busy = RwSignal::new(false);
    let add = move |_| {
        let key = next_key.get_value();
        next_key.set_value(key + 1);
        let blank = Level {
            id: None,
            name: String::new(),
            threshold: Fen::ZERO,
            pay_rate_bp: 10_000,
            points_rate_bp: 10_000,
            birthday_coupon_id: None,
            look: "plain".into(),
        };
        rows.update(|r| r.push(Row::of(key, &blank)));
    };
    let save_levels = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        levels_error.set(None);
        let typed: Vec<Option<Level>> =
            rows.get_untracked().iter().map(|r| r.level(true)).collect();
        let Some(list) = typed.into_iter().collect::<Option<Vec<_>>>() else {
            return;
        };
        let body = LevelsPolicy {
            refund_lowers: refund_lowers.get_untracked(),
            levels: list,
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            let saved = api::call::<PutLevels>(&(), &(), &body, ctx.token(), None).await;
            busy.set(false);
            match saved {
                Ok(saved) => {
                    // The ids of the levels just added, for the next save.
                    let fresh: Vec<Row> = saved
                        .levels
                        .iter()
                        .enumerate()
                        .map(|(i, l)| Row::of(i as u32, l))
                        .collect();
                    next_key.set_value(fresh.len() as u32);
                    rows.set(fresh);
                    toast.show(T::Saved.text(lang.get_untracked()).to_string());
                }
                Err(f) => levels_error.set(Some(f)),
            }
        });
    };
    // The preview: a sample bill at each level as typed, all of it paid
    // with the member's own money.
    let sample = FieldState::new("amount", "100.00", tongka_app::components::yuan_rule);
    let preview = move || {
        let bill = Fen::parse_yuan(&sample.value.get()).ok()?;
        if !bill.is_positive() {
            return None;
        }
        let p = policy_now(false)?;
        let lines: Vec<(String, Fen, Fen, i64, i64)> = rows
            .get()
            .iter()
            .filter_map(|r| r.level(false))
            .map(|l| {
                let planned = plan(&Bill {
                    level_rate: Bp(l.pay_rate_bp),
                    ..Bill::plain(bill, Fen::ZERO, Fen::ZERO)
                });
                let own = planned.payable();
                (
                    l.name,
                    planned.level_discount,
                    own,
                    p.earned(own, l.points_rate_bp, false),
                    p.earned(own, l.points_rate_bp, true),
                )
            })
            .collect();
        Some(lines)
    };
    view! {
        <h2 class="cells-title">{tr(T::PointsRules)}</h2>
        <form class="cells wide-labels" on:submit=save_points novalidate=true id="points-policy">
            <Field label=T::PointsPerYuan state=per_yuan id="points-per-yuan" inputmode="numeric"/>
            <Field label=T::PointsExpiryDays state=days id="points-expiry-days" inputmode="numeric"/>
            <Field label=T::PointsStep state=step id="points-step" inputmode="numeric"/>
            <Field label=T::PointsStepWorth state=worth id="points-step-worth" inputmode="decimal"/>
            <Field label=T::PointsMaxShare state=share id="points-max-share" inputmode="numeric"/>
            <Field label=T::PointsBirthdayRate state=birthday id="points-birthday" inputmode="decimal"/>
            <Field label=T::PointsRemindDays state=remind id="points-remind-days" inputmode="numeric"/>
            <FormError error=points_error/>
            {move || admin().then(|| view! {
                <div class="form-actions"><button type="submit" class="btn btn-primary" id="save-points">{tr(T::Save)}</button></div>
            })}
        </form>
        <h2 class="cells-title">{tr(T::LevelsTitle)}</h2>
        <form on:submit=save_levels novalidate=true id="levels-form">
            {move || rows.get().into_iter().map(|r| {
                let key = r.key;
                view! {
                    <div class="cells wide-labels level-edit" data-key=key.to_string()>
                        <Field label=T::LevelName state=r.name id=format!("level-{key}-name")/>
                        <Field label=T::LevelThreshold state=r.threshold id=format!("level-{key}-threshold") inputmode="decimal"/>
                        <Field label=T::LevelRate state=r.rate id=format!("level-{key}-rate") inputmode="decimal"/>
                        <Field label=T::LevelPointsRate state=r.multiplier id=format!("level-{key}-points") inputmode="decimal"/>
                        <label class="cell">
                            <span class="cell-label">{tr(T::LevelLook)}</span>
                            <select class="cell-input" id=format!("level-{key}-look") prop:value=move || r.look.get()
                                on:change=move |ev| r.look.set(event_target_value(&ev))>
                                {LEVEL_LOOKS.iter().map(|l| view! {
                                    <option value=*l>{move || look_name(l, lang.get())}</option>
                                }).collect_view()}
                            </select>
                        </label>
                        <label class="cell">
                            <span class="cell-label">{tr(T::LevelBirthday)}</span>
                            <select class="cell-input" id=format!("level-{key}-coupon")
                                on:change=move |ev| r.coupon.set(event_target_value(&ev).parse::<i64>().ok())>
                                <option value="" selected=move || r.coupon.get().is_none()>{tr(T::LevelNoBirthday)}</option>
                                {coupons.get_value().into_iter().map(|(id, name)| view! {
                                    <option value=id.to_string() selected=move || r.coupon.get() == Some(id)>{name}</option>
                                }).collect_view()}
                            </select>
                        </label>
                        {move || admin().then(|| view! {
                            <button type="button" class="btn btn-warn btn-small level-remove" id=format!("level-{key}-remove")
                                on:click=move |_| {
                                    let l = lang.get_untracked();
                                    confirm.ask(T::LevelRemoveQuestion.text(l), T::Delete.text(l), true, move || {
                                        rows.update(|all| all.retain(|x| x.key != key));
                                    });
                                }>{tr(T::Delete)}</button>
                        })}
                    </div>
                }
            }).collect_view()}
            <div class="cells">
                <label class="cell">
                    <span class="cell-label">{tr(T::LevelRefundLowers)}</span>
                    <input type="checkbox" id="levels-refund-lowers" prop:checked=move || refund_lowers.get()
                        on:change=move |ev| refund_lowers.set(event_target_checked(&ev))/>
                </label>
            </div>
            <FormError error=levels_error/>
            {move || admin().then(|| view! {
                <div class="form-actions">
                    <button type="button" class="btn btn-default" id="level-add" on:click=add>{tr(T::LevelAdd)}</button>
                    <button type="submit" class="btn btn-primary" id="save-levels" disabled=move || busy.get()>{tr(T::Save)}</button>
                </div>
            })}
        </form>
        <h2 class="cells-title">{tr(T::LevelPreview)}</h2>
        <div class="cells wide-labels">
            <Field label=T::LevelSampleBill state=sample id="level-sample" inputmode="decimal"/>
        </div>
        <div class="cells" id="level-preview">
            {move || match preview() {
                None => view! { <p class="cell cell-desc">{tr(T::LevelPreviewNone)}</p> }.into_any(),
                Some(lines) => lines.into_iter().map(|(name, off, paid, earned, birthday)| view! {
                    <div class="cell level-preview-row">
                        <span class="cell-main">
                            <span class="cell-title">{name}</span>
                            <span class="cell-desc tabular">
                                {move || T::LevelPreviewLine.text(lang.get())
                                    .replace("{off}", &off.to_string())
                                    .replace("{paid}", &paid.to_string())}
                            </span>
                        </span>
                        <span class="cell-value tabular">
                            {move || T::LevelPreviewPoints.text(lang.get())
                                .replace("{n}", &earned.to_string())
                                .replace("{b}", &birthday.to_string())}
                        </span>
                    </div>
                }).collect_view().into_any(),
            }}
        </div>
    }
}

/// A card look's name.
fn look_name(look: &str, lang: shared::Lang) -> &'static str {
    let t = match look {
        "silver" => T::LookSilver,
        "gold" => T::LookGold,
        "platinum" => T::LookPlatinum,
        "diamond" => T::LookDiamond,
        _ => T::LookPlain,
    };
    t.text(lang)
}

tongka_app::split_page!(levels => LevelsPage);
