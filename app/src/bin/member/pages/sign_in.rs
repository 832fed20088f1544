//! 每日签到: sign in once a day for points (DESIGN.md "Engagement"): the
//! streak, what the next sign-in gives and the next streak reward, and the
//! month's calendar with the days signed (earlier months one tap back).

use crate::shell::{require_login, use_session};
use leptos::prelude::*;
use shared::api::{MemberSignIns, SignIn};
use shared::dto::{MemberSignInView, MonthQuery};
use tongka_app::api::{self, Failure};
use tongka_app::components::{FormError, TopBar, loaded, use_toast};
use tongka_app::i18n::{T, tr, use_i18n};

/// 每日签到
#[component]
pub fn SignInPage() -> impl IntoView {
    require_login();
    let session = use_session();
    // The month shown: none is this month (the brand's, said by the server).
    let month = RwSignal::new(None::<String>);
    let calendar = LocalResource::new(move || {
        let token = session.token.get();
        let q = MonthQuery { month: month.get() };
        async move { api::fetch_q::<MemberSignIns>(&(), &q, token).await }
    });
    view! {
        <TopBar title=Signal::derive(move || tr(T::SignInTitle)().to_string()) back=true/>
        <section class="page">
            {loaded(calendar, move |v: MemberSignInView| {
                view! { <SignInView v=v month=month on_signed=move || calendar.refetch()/> }.into_any()
            })}
        </section>
    }
}

/// The month `by` months from (y, m), `YYYY-MM`.
fn shifted((y, m): (i32, u32), by: i32) -> String {
    let n = y * 12 + m as i32 - 1 + by;
    format!("{}-{:02}", n.div_euclid(12), n.rem_euclid(12) + 1)
}

/// The weekday of the month's first day, 0 = Sunday (Sakamoto's method).
fn first_weekday((y, m): (i32, u32)) -> u32 {
    const T: [i32; 12] = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4];
    let y = if m < 3 { y - 1 } else { y };
    (y + y / 4 - y / 100 + y / 400 + T[m as usize - 1] + 1).rem_euclid(7) as u32
}

#[component]
fn SignInView(
    v: MemberSignInView,
    month: RwSignal<Option<String>>,
    on_signed: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let lang = use_i18n().0;
    let session = use_session();
    let toast = use_toast();
    let busy = RwSignal::new(false);
    // Signed by this tap: the button stays done while the page reloads.
    let done = RwSignal::new(false);
    let error = RwSignal::new(None::<Failure>);
    let sign = move |_| {
        busy.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            let r = api::call::<SignIn>(&(), &(), &(), session.current(), None).await;
            busy.set(false);
            match r {
                Ok(r) => {
                    done.set(true);
                    let l = lang.get_untracked();
                    let text = if r.new {
                        T::SignInGot
                            .text(l)
                            .replace("{n}", &(r.points + r.bonus).to_string())
                    } else {
                        T::SignInAlready.text(l).to_string()
                    };
                    toast.show(text);
                    on_signed();
                }
                Err(f) => error.set(Some(f)),
            }
        });
    };
    if !v.policy.enabled {
        return view! { <div class="notice" id="sign-in-off">{tr(T::SignInOff)}</div> }.into_any();
    }
    let signed = v.signed_today;
    let (streak, next) = (v.streak, v.next_points);
    let bonus = v.policy.next_bonus(streak);
    let this_month = v.today.get(..7).unwrap_or_default().to_string();
    let shown = shared::validate::month(&v.month).unwrap_or((2026, 1));
    let today_day = (v.month == this_month)
        .then(|| v.today.get(8..)?.parse::<u32>().ok())
        .flatten();
    let days = v.days.clone();
    let (month_title, latest) = (v.month.clone(), v.month == this_month);
    view! {
        <div class="level-card points-card sign-in-card" id="sign-in-card">
            <p class="level-card-spent" id="sign-in-streak">
                {move || T::SignInStreak.text(lang.get()).replace("{n}", &streak.to_string())}
            </p>
            <button class="btn sign-in-button" id="sign-in" on:click=sign
                disabled=move || signed || done.get() || busy.get()>
                {move || if signed || done.get() {
                    tr(T::SignInDone)().to_string()
                } else if busy.get() {
                    tr(T::SignInBusy)().to_string()
                } else {
                    tr(T::SignInButton)().to_string()
                }}
            </button>
            <p class="level-card-next" id="sign-in-next">
                {move || {
                    let t = if signed { T::SignInTomorrow } else { T::SignInToday };
                    t.text(lang.get()).replace("{n}", &next.to_string())
                }}
            </p>
            {bonus.map(|(day, n)| view! {
                <p class="level-card-next" id="sign-in-bonus">
                    {move || T::SignInNextBonus.text(lang.get()).replace("{day}", &day.to_string()).replace("{n}", &n.to_string())}
                </p>
            })}
        </div>
        <FormError error=error/>
        <div class="sign-in-calendar" id="sign-in-calendar">
            <div class="sign-in-month">
                <button class="btn btn-default btn-small" id="month-prev"
                    aria-label=move || tr(T::MonthPrev)().to_string()
                    on:click=move |_| month.set(Some(shifted(shown, -1)))>"‹"</button>
                <h2 class="sign-in-month-title" id="month-title">{month_title}</h2>
                <button class="btn btn-default btn-small" id="month-next" disabled=latest
                    aria-label=move || tr(T::MonthNext)().to_string()
                    on:click=move |_| month.set(Some(shifted(shown, 1)))>"›"</button>
            </div>
            <div class="sign-in-grid">
                {move || T::Weekdays.text(lang.get()).split(',').map(|d| view! {
                    <span class="sign-in-weekday" aria-hidden="true">{d.to_string()}</span>
                }).collect_view()}
                {(0..first_weekday(shown)).map(|_| view! { <span class="sign-in-day sign-in-blank"></span> }).collect_view()}
                {(1..=shared::validate::days_in_month(shown.0, shown.1).unwrap_or(31)).map(|d| {
                    let is_signed = days.contains(&d);
                    view! {
                        <span class="sign-in-day" class:sign-in-signed=is_signed
                            class:sign-in-today=today_day == Some(d)
                            aria-current=(today_day == Some(d)).then_some("date")>
                            {d}
                            {is_signed.then(|| view! { <span class="visually-hidden">" "{tr(T::SignedDay)}</span> })}
                        </span>
                    }
                }).collect_view()}
            </div>
        </div>
    }
    .into_any()
}

tongka_app::split_page!(sign_in => SignInPage);
