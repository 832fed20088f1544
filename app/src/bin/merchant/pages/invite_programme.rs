//! 邀请有礼 (HQ): how the invite programme went (figures and the best
//! inviters), and the programme itself: when rewards come and what the
//! inviter and the friend each get.

use crate::shell::{require_login, use_ctx};
use leptos::prelude::*;
use leptos_router::components::A;
use shared::api::{GetInvitePolicy, InviteProgramme, ListCouponTemplates, PutInvitePolicy};
use shared::dto::{InviteFigures, InvitePolicy, InviteReward, InviteTrigger, Role};
use shared::money::Fen;
use shared::validate::Reason;
use tongka_app::api::{self, Failure};
use tongka_app::components::{
    EmptyState, Field, FieldState, FormError, ServerFieldError, TopBar, int_in, loaded, use_toast,
    yuan_text,
};
use tongka_app::i18n::{T, Txt, tr, use_i18n};

fn points_rule(v: &str) -> Result<String, Reason> {
    int_in(v, 0, 100_000, "invite_points_range")
}

fn window_rule(v: &str) -> Result<String, Reason> {
    int_in(v, 1, 30, "invite_window_range")
}

fn cap_rule(v: &str) -> Result<String, Reason> {
    int_in(v, 1, 100, "invite_cap_range")
}

/// ¥0.01–¥10,000, in fen.
fn min_payment_rule(v: &str) -> Result<String, Reason> {
    match Fen::parse_yuan(v) {
        Ok(f) if (1..=1_000_000).contains(&f.0) => Ok(f.0.to_string()),
        _ => Err("invite_min_payment_range"),
    }
}

/// The fields of this form an invalid-field error from the server may name
/// (shown at the field rather than above the button).
const FIELDS: [&str; 5] = [
    "points",
    "coupon_id",
    "min_payment",
    "window_days",
    "daily_cap",
];

/// 邀请有礼
#[component]
pub fn InviteProgrammePage() -> impl IntoView {
    require_login();
    let ctx = use_ctx();
    let policy = LocalResource::new(move || {
        let token = ctx.session.token.get();
        async move { api::fetch::<GetInvitePolicy>(&(), token).await }
    });
    // The coupons a reward may give: HQ's templates.
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
    // The figures are HQ admin's and HQ finance's (others get a 403).
    let figures = move || matches!(ctx.role(), Some(Role::HqAdmin | Role::HqFinance));
    view! {
        <TopBar title=Signal::derive(move || tr(T::InviteProgrammeTitle)().to_string()) back=true/>
        <section class="page">
            {move || figures().then(|| view! { <Figures/> })}
            <h2 class="cells-title">{tr(T::InviteSettings)}</h2>
            {loaded(policy, move |p: InvitePolicy| view! {
                {loaded(templates, move |t: Vec<(i64, String)>| {
                    view! { <Editor p=p.clone() coupons=t/> }.into_any()
                })}
            }.into_any())}
        </section>
    }
}

/// How the programme went, and the inviters with the most friends.
#[component]
fn Figures() -> impl IntoView {
    let ctx = use_ctx();
    let lang = use_i18n().0;
    let figures = LocalResource::new(move || {
        let token = ctx.session.token.get();
        async move { api::fetch::<InviteProgramme>(&(), token).await }
    });
    view! {
        <h2 class="cells-title">{tr(T::InviteFiguresTitle)}</h2>
        {loaded(figures, move |f: InviteFigures| {
            let rate = format!("{:.1}%", f64::from(f.conversion_bp) / 100.0);
            let lines: [(Txt, &'static str, String); 7] = [
                (T::InviteInvited, "invited", f.invited.to_string()),
                (T::InviteConverted, "converted", f.converted.to_string()),
                (T::InvitePending, "pending", f.pending.to_string()),
                (T::InviteRate, "rate", rate),
                (T::InvitePointsGiven, "points", f.points_given.to_string()),
                (T::InviteCouponsGiven, "coupons", f.coupons_given.to_string()),
                (T::InviteCapped, "capped", f.capped.to_string()),
            ];
            let top = f.top;
            view! {
                <div class="cells" id="invite-figures">
                    {lines.into_iter().map(|(label, key, value)| view! {
                        <div class="cell">
                            <span class="cell-main">{tr(label)}</span>
                            <span class="cell-value tabular" id=format!("invite-figure-{key}")>{value}</span>
                        </div>
                    }).collect_view()}
                </div>
                <h2 class="cells-title">{tr(T::InviteTop)}</h2>
                <div class="cells" id="invite-top">
                    {if top.is_empty() {
                        view! { <EmptyState text=T::InviteTopNone/> }.into_any()
                    } else {
                        top.into_iter().map(|m| {
                            let (invited, converted) = (m.invited, m.converted);
                            view! {
                                <A href=ctx.path(&format!("/members/{}", m.member_id)) attr:class="cell cell-link invite-top-row">
                                    <span class="cell-main">
                                        {(!m.name.is_empty()).then(|| view! { <span class="cell-title">{m.name.clone()}</span> })}
                                        <span class="cell-desc tabular">{m.phone_masked.clone()}</span>
                                    </span>
                                    <span class="cell-value tabular">
                                        {move || T::InviteTopLine.text(lang.get())
                                            .replace("{n}", &invited.to_string())
                                            .replace("{c}", &converted.to_string())}
                                    </span>
                                </A>
                            }
                        }).collect_view().into_any()
                    }}
                </div>
            }.into_any()
        })}
    }
}

/// One side's reward being edited.
#[derive(Clone, Copy)]
struct Side {
    /// `inviter` or `invitee`: the ids' prefix and the server's `side`.
    name: &'static str,
    points: FieldState,
    coupon: RwSignal<Option<i64>>,
}

impl Side {
    fn of(name: &'static str, r: &InviteReward) -> Side {
        Side {
            name,
            points: FieldState::new("points", &r.points.to_string(), points_rule),
            coupon: RwSignal::new(r.coupon_template_id),
        }
    }

    /// The reward as typed, if its points are right (marks them touched).
    fn reward(&self) -> Option<InviteReward> {
        Some(InviteReward {
            points: self.points.checked()?.parse().ok()?,
            coupon_template_id: self.coupon.get_untracked(),
        })
    }
}

/// One side's reward: points and a coupon (or none).
#[component]
fn RewardCells(
    side: Side,
    title: Txt,
    coupons: StoredValue<Vec<(i64, String)>>,
    error: RwSignal<Option<Failure>>,
) -> impl IntoView {
    let name = side.name;
    let coupon = side.coupon;
    view! {
        <h2 class="cells-title">{tr(title)}</h2>
        <div class="cells wide-labels">
            <Field label=T::InvitePoints state=side.points id=format!("{name}-points") inputmode="numeric"/>
            <ServerFieldError error=error field="points" param=("side", name.to_string())/>
            <label class="cell">
                <span class="cell-label">{tr(T::InviteCoupon)}</span>
                <select class="cell-input" id=format!("{name}-coupon")
                    on:change=move |ev| coupon.set(event_target_value(&ev).parse::<i64>().ok())>
                    <option value="" selected=move || coupon.get().is_none()>{tr(T::InviteNoCoupon)}</option>
                    {coupons.get_value().into_iter().map(|(id, label)| view! {
                        <option value=id.to_string() selected=move || coupon.get() == Some(id)>{label}</option>
                    }).collect_view()}
                </select>
            </label>
            <ServerFieldError error=error field="coupon_id" param=("side", name.to_string())/>
        </div>
    }
}

/// The programme's form: read-only for all but HQ admin.
#[component]
fn Editor(p: InvitePolicy, coupons: Vec<(i64, String)>) -> impl IntoView {
    let coupons = StoredValue::new(coupons);
    let ctx = use_ctx();
    let toast = use_toast();
    let lang = use_i18n().0;
    let admin = move || ctx.role() == Some(Role::HqAdmin);
    let enabled = RwSignal::new(p.enabled);
    let trigger = RwSignal::new(p.trigger);
    let min = FieldState::new("min_payment", &yuan_text(p.min_payment), min_payment_rule);
    let window = FieldState::new("window_days", &p.window_days.to_string(), window_rule);
    let cap = FieldState::new("daily_cap", &p.daily_cap.to_string(), cap_rule);
    let inviter = Side::of("inviter", &p.inviter);
    let invitee = Side::of("invitee", &p.invitee);
    let (first_min, first_window) = (p.min_payment, p.window_days);
    let error = RwSignal::new(None::<Failure>);
    // A server error naming one of the form's fields: shown at the field.
    let at_field = RwSignal::new(None::<Failure>);
    let busy = RwSignal::new(false);
    let by_payment = move || trigger.get() == InviteTrigger::FirstPayment;
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        at_field.set(None);
        let min_payment = if trigger.get_untracked() == InviteTrigger::FirstPayment {
            min.checked()
        } else {
            // Not used on registration: kept as typed when right, else as it was.
            let now = min_payment_rule(&min.value.get_untracked());
            Some(now.unwrap_or_else(|_| first_min.0.to_string()))
        };
        let window_days = if trigger.get_untracked() == InviteTrigger::FirstPayment {
            window.checked()
        } else {
            // Likewise: the window is a first payment's refund window.
            let now = window_rule(&window.value.get_untracked());
            Some(now.unwrap_or_else(|_| first_window.to_string()))
        };
        let typed = (
            min_payment,
            window_days,
            cap.checked(),
            inviter.reward(),
            invitee.reward(),
        );
        let (Some(m), Some(w), Some(c), Some(a), Some(b)) = typed else {
            return;
        };
        let body = InvitePolicy {
            enabled: enabled.get_untracked(),
            trigger: trigger.get_untracked(),
            min_payment: Fen(m.parse().unwrap_or(0)),
            window_days: w.parse().unwrap_or(0),
            daily_cap: c.parse().unwrap_or(0),
            inviter: a,
            invitee: b,
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            let saved = api::call::<PutInvitePolicy>(&(), &(), &body, ctx.token(), None).await;
            busy.set(false);
            match saved {
                Ok(_) => toast.show(T::Saved.text(lang.get_untracked()).to_string()),
                Err(f) if f.field().is_some_and(|n| FIELDS.contains(&n)) => at_field.set(Some(f)),
                Err(f) => error.set(Some(f)),
            }
        });
    };
    let choice = move |t: InviteTrigger, label: Txt, id: &'static str| {
        view! {
            <label class="cell">
                <span class="cell-main">{tr(label)}</span>
                <input type="radio" name="invite-trigger" id=id prop:checked=move || trigger.get() == t
                    on:change=move |_| trigger.set(t)/>
            </label>
        }
    };
    view! {
        <form on:submit=save novalidate=true id="invite-policy">
            // Read-only for all but HQ admin: a disabled fieldset disables every input in it.
            <fieldset disabled=move || !admin() style="border:0;margin:0;padding:0;min-width:0">
                <div class="cells wide-labels">
                    <label class="cell">
                        <span class="cell-label">{tr(T::InviteEnabled)}</span>
                        <input type="checkbox" id="invite-enabled" prop:checked=move || enabled.get()
                            on:change=move |ev| enabled.set(event_target_checked(&ev))/>
                    </label>
                </div>
                <h2 class="cells-title">{tr(T::InviteWhen)}</h2>
                <div class="cells">
                    {choice(InviteTrigger::Registration, T::InviteOnRegistration, "invite-trigger-registration")}
                    {choice(InviteTrigger::FirstPayment, T::InviteOnFirstPayment, "invite-trigger-first-payment")}
                </div>
                <div class="cells wide-labels">
                    {move || by_payment().then(|| view! {
                        <Field label=T::InviteMinPayment state=min id="invite-min-payment" inputmode="decimal"/>
                        <ServerFieldError error=at_field field="min_payment"/>
                        <Field label=T::InviteWindowDays state=window id="invite-window-days" inputmode="numeric"/>
                        <ServerFieldError error=at_field field="window_days"/>
                    })}
                    <Field label=T::InviteDailyCap state=cap id="invite-daily-cap" inputmode="numeric"/>
                    <ServerFieldError error=at_field field="daily_cap"/>
                </div>
                <RewardCells side=inviter title=T::InviteInviterTitle coupons=coupons error=at_field/>
                <RewardCells side=invitee title=T::InviteInviteeTitle coupons=coupons error=at_field/>
            </fieldset>
            <FormError error=error/>
            {move || admin().then(|| view! {
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary" id="save-invites" disabled=move || busy.get()>{tr(T::Save)}</button>
                </div>
            })}
            <p class="cells cell cell-desc">{tr(T::InviteHint)}</p>
        </form>
    }
}

tongka_app::split_page!(invite_programme => InviteProgrammePage);
