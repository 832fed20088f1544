//! HQ's member page: who the member is, what they hold, every movement of
//! their money and cards; freezing, correcting the birthday (audited), 延期
//! of a card and 退卡 from here.

use crate::shell::{require_login, use_ctx};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use shared::api::{
    CorrectMemberBirthday, FreezeMember, GetMember, ListMemberHistory, UnfreezeMember,
};
use shared::dto::{BirthdayCorrection, HistoryQuery, MemberDetail, Role};
use tongka_app::api::{self, Failure};
use tongka_app::components::{
    Field, FieldState, FormError, HistoryRowBody, PagedCells, Pager, TopBar, loaded,
    local_date_today, local_time, path_id, use_confirm, use_toast,
};
use tongka_app::i18n::{T, Txt, tr, use_i18n};

/// One labelled value of the profile.
fn row(label: Txt, value: String, id: &'static str) -> impl IntoView {
    view! {
        <div class="cell">
            <span class="cell-label">{tr(label)}</span>
            <span class="cell-value" id=id>{value}</span>
        </div>
    }
}

/// A real date, not after today in the brand's zone.
fn birthday_rule(value: &str) -> Result<String, &'static str> {
    shared::validate::birthday(value, &local_date_today())
}

/// HQ's correction of a member's birthday (the member sets it once; the
/// change is audited), asked about first.
#[component]
fn BirthdayFix(
    member_id: i64,
    who: String,
    now: Option<String>,
    done: Callback<()>,
) -> impl IntoView {
    let ctx = use_ctx();
    let lang = use_i18n().0;
    let toast = use_toast();
    let confirm = use_confirm();
    let field = FieldState::new(
        "birthday",
        now.as_deref().unwrap_or_default(),
        birthday_rule,
    );
    let error = RwSignal::new(None::<Failure>);
    let busy = RwSignal::new(false);
    let who = StoredValue::new(who);
    let send = move |birthday: String| {
        busy.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            let body = BirthdayCorrection { birthday };
            let r =
                api::call::<CorrectMemberBirthday>(&member_id, &(), &body, ctx.token(), None).await;
            busy.set(false);
            match r {
                Ok(_) => {
                    toast.show(T::Saved.text(lang.get_untracked()).to_string());
                    done.run(());
                }
                Err(f) => error.set(Some(f)),
            }
        });
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(date) = field.checked() else {
            return;
        };
        let l = lang.get_untracked();
        let text = T::BirthdayFixQuestion
            .text(l)
            .replace("{who}", &who.get_value())
            .replace("{date}", &date);
        confirm.ask(text, T::BirthdayFix.text(l), false, move || {
            send(date.clone())
        });
    };
    view! {
        <form class="cells" id="birthday-fix" novalidate=true on:submit=submit>
            <Field label=T::Birthday state=field input_type="date" id="birthday-fix-date"/>
            <FormError error=error/>
            <div class="form-actions">
                <button type="submit" class="btn btn-default" id="birthday-fix-save" disabled=move || busy.get()>{tr(T::BirthdayFix)}</button>
            </div>
        </form>
    }
}

/// 会员详情
#[component]
pub fn MemberPage() -> impl IntoView {
    require_login();
    let ctx = use_ctx();
    let lang = use_i18n().0;
    let toast = use_toast();
    let confirm = use_confirm();
    let params = use_params_map();
    let id = move || path_id(&params.read().get("id").unwrap_or_default());
    let detail = LocalResource::new(move || {
        let token = ctx.session.token.get();
        let id = id();
        async move { api::fetch::<GetMember>(&id?, token).await }
    });
    let history = Pager::try_new::<ListMemberHistory>(
        move |after| {
            Ok((
                id()?,
                HistoryQuery {
                    after,
                    ..Default::default()
                },
            ))
        },
        move || ctx.token(),
    );
    let act_error = RwSignal::new(None::<Failure>);
    let busy = RwSignal::new(false);
    let set_frozen = move |member: i64, freeze: bool| {
        act_error.set(None);
        busy.set(true);
        leptos::task::spawn_local(async move {
            let result = if freeze {
                api::fetch::<FreezeMember>(&member, ctx.token()).await
            } else {
                api::fetch::<UnfreezeMember>(&member, ctx.token()).await
            };
            busy.set(false);
            match result {
                Ok(_) => {
                    let done = if freeze {
                        T::MemberFrozenDone
                    } else {
                        T::MemberUnfrozenDone
                    };
                    toast.show(done.text(lang.get_untracked()).to_string());
                    detail.refetch();
                }
                Err(f) => act_error.set(Some(f)),
            }
        });
    };
    let role = move || ctx.role();
    let view_detail = move |d: MemberDetail| {
        let m = d.member.clone();
        let member_id = m.id;
        let frozen = m.frozen;
        let closed = m.closed;
        let who = format!("{} {}", m.name, m.phone_masked).trim().to_string();
        let (who_fix, birthday) = (who.clone(), d.birthday.clone());
        let total = d.principal + d.bonus;
        let name = if m.name.is_empty() {
            T::NoName.text(lang.get_untracked()).to_string()
        } else {
            m.name.clone()
        };
        let unset = T::Unset.text(lang.get_untracked()).to_string();
        let close_href = ctx.path(&format!("/close-card?member={member_id}"));
        view! {
            <div class="detail-head" id="member-detail">
                <p class="detail-kind">
                    {name}
                    {closed.then(|| view! { <span class="tag tag-grey">{tr(T::ClosedTag)}</span> })}
                    {(frozen && !closed).then(|| view! { <span class="tag tag-red" id="member-frozen">{tr(T::FrozenTag)}</span> })}
                </p>
                <p class="detail-amount tabular" id="member-total">{total.to_string()}</p>
                <p class="cell-desc tabular">
                    {tr(T::Principal)}" "<span id="member-principal">{d.principal.to_string()}</span>
                    " · "{tr(T::Bonus)}" "<span id="member-bonus">{d.bonus.to_string()}</span>
                </p>
            </div>
            <div class="cells">
                {row(T::Phone, m.phone_masked.clone(), "member-phone")}
                {row(T::HomeStore, m.home_store.clone().unwrap_or_else(|| unset.clone()), "member-home")}
                {row(T::Birthday, d.birthday.clone().unwrap_or(unset), "member-birthday")}
                {row(T::MemberSince, local_time(&m.registered_at), "member-since")}
            </div>
            {(!closed).then(|| view! {
                <div class="form-actions">
                    {move || (role() == Some(Role::HqAdmin)).then(|| {
                        let who = who.clone();
                        view! {
                            <button class="btn btn-default" id="member-freeze" disabled=move || busy.get() on:click=move |_| {
                                let l = lang.get_untracked();
                                let (text, action) = if frozen {
                                    (T::UnfreezeQuestion, T::Unfreeze)
                                } else {
                                    (T::FreezeQuestion, T::Freeze)
                                };
                                confirm.ask(text.text(l).replace("{who}", &who), action.text(l), !frozen, move || set_frozen(member_id, !frozen))
                            }>{if frozen { tr(T::Unfreeze)() } else { tr(T::Freeze)() }}</button>
                        }
                    })}
                    {move || (matches!(role(), Some(Role::HqAdmin | Role::HqFinance)) && total.is_positive()).then(|| view! {
                        <A href=close_href.clone() attr:class="btn btn-warn" attr:id="member-close-card">{tr(T::CloseCard)}</A>
                    })}
                </div>
            })}
            // HQ's admin corrects the birthday (audited).
            {move || (role() == Some(Role::HqAdmin) && !closed).then(|| view! {
                <BirthdayFix member_id=member_id who=who_fix.clone() now=birthday.clone() done=Callback::new(move |_| detail.refetch())/>
            })}
            // The member's cards, for HQ (who may see card money).
            {move || matches!(role(), Some(Role::HqAdmin | Role::HqFinance)).then(|| view! {
                <crate::pages::member_cards::MemberCardsSection member_id=member_id store=RwSignal::new(None) no_refund=true/>
            })}
        }
        .into_any()
    };
    view! {
        <TopBar title=Signal::derive(move || tr(T::MemberDetailTitle)().to_string()) back=true/>
        <section class="page">
            <FormError error=act_error/>
            {loaded(detail, view_detail)}
            <h2 class="cells-title">{tr(T::History)}</h2>
            <PagedCells pager=history id="member-history" show_end=true row=move |h| {
                view! { <div class="cell history-row"><HistoryRowBody h=h/></div> }
            }/>
        </section>
    }
}

tongka_app::split_page!(member => MemberPage);
