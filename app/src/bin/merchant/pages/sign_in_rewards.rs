//! 签到奖励 (HQ): whether members can sign in daily, the points a day, and
//! extra points on given days of a streak.

use crate::shell::{require_login, use_ctx};
use leptos::prelude::*;
use shared::api::{GetSignInPolicy, PutSignInPolicy};
use shared::dto::{MAX_STREAK_REWARDS, Role, SignInPolicy, StreakReward};
use shared::validate::Reason;
use tongka_app::api::{self, Failure};
use tongka_app::components::{
    Field, FieldState, FormError, ServerFieldError, TopBar, int_in, loaded, use_toast,
};
use tongka_app::i18n::{T, tr, use_i18n};

fn daily_rule(v: &str) -> Result<String, Reason> {
    int_in(v, 0, 1_000, "sign_in_points_range")
}

fn day_rule(v: &str) -> Result<String, Reason> {
    int_in(v, 2, 365, "streak_day_range")
}

fn points_rule(v: &str) -> Result<String, Reason> {
    int_in(v, 1, 100_000, "points_step_range")
}

/// The fields an invalid-field error from the server may name, shown at
/// the field rather than above the button.
const FIELDS: [&str; 3] = ["daily_points", "streak_day", "streak_points"];

/// 签到奖励
#[component]
pub fn SignInRewardsPage() -> impl IntoView {
    require_login();
    let ctx = use_ctx();
    let policy = LocalResource::new(move || {
        let token = ctx.session.token.get();
        async move { api::fetch::<GetSignInPolicy>(&(), token).await }
    });
    view! {
        <TopBar title=Signal::derive(move || tr(T::SignInRewardsTitle)().to_string()) back=true/>
        <section class="page">
            {loaded(policy, move |p: SignInPolicy| view! { <Editor p=p/> }.into_any())}
        </section>
    }
}

/// One streak reward being edited.
#[derive(Clone, Copy)]
struct Row {
    key: u32,
    day: FieldState,
    points: FieldState,
}

impl Row {
    fn of(key: u32, r: &StreakReward) -> Row {
        Row {
            key,
            day: FieldState::new("streak_day", &r.day.to_string(), day_rule),
            points: FieldState::new("streak_points", &r.points.to_string(), points_rule),
        }
    }

    fn reward(&self) -> Option<StreakReward> {
        let (day, points) = (self.day.checked(), self.points.checked());
        Some(StreakReward {
            day: day?.parse().ok()?,
            points: points?.parse().ok()?,
        })
    }
}

#[component]
fn Editor(p: SignInPolicy) -> impl IntoView {
    let ctx = use_ctx();
    let toast = use_toast();
    let lang = use_i18n().0;
    let admin = move || ctx.role() == Some(Role::HqAdmin);
    let enabled = RwSignal::new(p.enabled);
    let daily = FieldState::new("daily_points", &p.daily_points.to_string(), daily_rule);
    let rows = RwSignal::new(
        p.streak_rewards
            .iter()
            .enumerate()
            .map(|(i, r)| Row::of(i as u32, r))
            .collect::<Vec<_>>(),
    );
    let next_key = StoredValue::new(p.streak_rewards.len() as u32);
    let error = RwSignal::new(None::<Failure>);
    // The server's error about one field (a streak's day taken twice, say),
    // shown at it; a streak row's by its place in what was sent.
    let at_field = RwSignal::new(None::<Failure>);
    // Adding or removing a row moves the places (an error shown by place
    // would land on the wrong row), and an edit may mend what was refused:
    // either clears the server's error until the next save.
    Effect::new(move |_| {
        daily.value.track();
        for r in rows.get() {
            r.day.value.track();
            r.points.value.track();
        }
        at_field.set(None);
    });
    let busy = RwSignal::new(false);
    let add = move |_| {
        let key = next_key.get_value();
        next_key.set_value(key + 1);
        // The day after the last one set (days are each set once).
        let last = rows
            .get_untracked()
            .iter()
            .filter_map(|r| r.day.valid()?.parse::<u32>().ok())
            .max()
            .unwrap_or(1);
        let blank = StreakReward {
            day: (last + 1).min(365),
            points: 10,
        };
        rows.update(|r| r.push(Row::of(key, &blank)));
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        at_field.set(None);
        let typed: Vec<Option<StreakReward>> =
            rows.get_untracked().iter().map(Row::reward).collect();
        let daily = daily.checked();
        let (Some(daily), Some(streak_rewards)) =
            (daily, typed.into_iter().collect::<Option<Vec<_>>>())
        else {
            return;
        };
        let body = SignInPolicy {
            enabled: enabled.get_untracked(),
            daily_points: daily.parse().unwrap_or(0),
            streak_rewards,
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            let saved = api::call::<PutSignInPolicy>(&(), &(), &body, ctx.token(), None).await;
            busy.set(false);
            match saved {
                Ok(saved) => {
                    // Shown as saved: by day.
                    let fresh: Vec<Row> = saved
                        .streak_rewards
                        .iter()
                        .enumerate()
                        .map(|(i, r)| Row::of(i as u32, r))
                        .collect();
                    next_key.set_value(fresh.len() as u32);
                    rows.set(fresh);
                    toast.show(T::Saved.text(lang.get_untracked()).to_string());
                }
                Err(f) if f.field().is_some_and(|n| FIELDS.contains(&n)) => at_field.set(Some(f)),
                Err(f) => error.set(Some(f)),
            }
        });
    };
    view! {
        <form on:submit=save novalidate=true id="sign-in-policy">
            // Read-only for all but HQ admin: a disabled fieldset disables every input in it.
            <fieldset disabled=move || !admin() style="border:0;margin:0;padding:0;min-width:0">
            <div class="cells wide-labels">
                <label class="cell">
                    <span class="cell-label">{tr(T::SignInEnabled)}</span>
                    <input type="checkbox" id="sign-in-enabled" prop:checked=move || enabled.get()
                        on:change=move |ev| enabled.set(event_target_checked(&ev))/>
                </label>
                <Field label=T::SignInDaily state=daily id="sign-in-daily" inputmode="numeric"/>
                <ServerFieldError error=at_field field="daily_points"/>
            </div>
            <h2 class="cells-title">{tr(T::SignInStreaks)}</h2>
            {move || rows.get().is_empty().then(|| view! {
                <p class="cells cell cell-desc" id="streaks-none">{tr(T::SignInNoStreaks)}</p>
            })}
            {move || rows.get().into_iter().enumerate().map(|(i, r)| {
                let key = r.key;
                let at = || ("index", i.to_string());
                view! {
                    <div class="cells wide-labels level-edit" data-key=key.to_string()>
                        <Field label=T::SignInStreakDay state=r.day id=format!("streak-{key}-day") inputmode="numeric"/>
                        <ServerFieldError error=at_field field="streak_day" param=at()/>
                        <Field label=T::SignInStreakPoints state=r.points id=format!("streak-{key}-points") inputmode="numeric"/>
                        <ServerFieldError error=at_field field="streak_points" param=at()/>
                        {move || admin().then(|| view! {
                            <button type="button" class="btn btn-warn btn-small level-remove" id=format!("streak-{key}-remove")
                                on:click=move |_| rows.update(|all| all.retain(|x| x.key != key))>{tr(T::Delete)}</button>
                        })}
                    </div>
                }
            }).collect_view()}
            </fieldset>
            <FormError error=error/>
            {move || admin().then(|| view! {
                <div class="form-actions">
                    <button type="button" class="btn btn-default" id="streak-add" on:click=add
                        disabled=move || { rows.get().len() >= MAX_STREAK_REWARDS }>{tr(T::SignInStreakAdd)}</button>
                    <button type="submit" class="btn btn-primary" id="save-sign-in" disabled=move || busy.get()>{tr(T::Save)}</button>
                </div>
            })}
            <p class="cells cell cell-desc">{tr(T::SignInRewardsHint)}</p>
        </form>
    }
}

tongka_app::split_page!(sign_in_rewards => SignInRewardsPage);
