//! 操作日志: every staff action, newest first, in the reader's language,
//! with what changed; filtered by who, what, store and date.

use crate::shell::{require_login, use_ctx};
use leptos::prelude::*;
use shared::api::ListStores;
use shared::dto::{AuditAction, AuditChange, AuditEntry, AuditField, AuditQuery, AuditValue};
use tongka_app::api;
use tongka_app::components::{
    DateRangeFilter, PagedCells, Pager, SelectFilter, TopBar, local_time,
};
use tongka_app::i18n::{Lang, T, Txt, role_text, tr, use_i18n};

/// What an action is called.
fn action_text(a: AuditAction) -> Txt {
    use AuditAction::*;
    match a {
        StoreCreate => T::AuditStoreCreate,
        StoreUpdate => T::AuditStoreUpdate,
        StoreMakeDefault => T::AuditStoreMakeDefault,
        RegionCreate => T::AuditRegionCreate,
        RegionRename => T::AuditRegionRename,
        RegionDelete => T::AuditRegionDelete,
        StaffCreate => T::AuditStaffCreate,
        StaffUpdate => T::AuditStaffUpdate,
        StaffDeactivate => T::AuditStaffDeactivate,
        StaffActivate => T::AuditStaffActivate,
        StaffUnlock => T::AuditStaffUnlock,
        StaffResetPassword => T::AuditStaffResetPassword,
        StaffPasswordChange => T::AuditStaffPasswordChange,
        StaffLogin => T::AuditStaffLogin,
        StaffLoginFailed => T::AuditStaffLoginFailed,
        StaffLoginLocked => T::AuditStaffLoginLocked,
        MemberFreeze => T::AuditMemberFreeze,
        MemberUnfreeze => T::AuditMemberUnfreeze,
        MemberBirthday => T::AuditMemberBirthday,
        MemberCounterTopUp => T::AuditMemberCounterTopUp,
        MemberCloseStoredValue => T::AuditMemberCloseStoredValue,
        PaymentRefund => T::AuditPaymentRefund,
        GatewayRefundResolve => T::AuditGatewayRefundResolve,
        MoneySettings => T::AuditMoneySettings,
        TopUpPlanCreate => T::AuditTopUpPlanCreate,
        TopUpPlanUpdate => T::AuditTopUpPlanUpdate,
        TopUpPlanDeactivate => T::AuditTopUpPlanDeactivate,
        PayeeRequest => T::AuditPayeeRequest,
        PayeeApprove => T::AuditPayeeApprove,
        PayeeReject => T::AuditPayeeReject,
        PayeeReveal => T::AuditPayeeReveal,
        WithdrawalRequest => T::AuditWithdrawalRequest,
        WithdrawalApprove => T::AuditWithdrawalApprove,
        WithdrawalReject => T::AuditWithdrawalReject,
        WithdrawalRetry => T::AuditWithdrawalRetry,
        WithdrawalPaid => T::AuditWithdrawalPaid,
        WithdrawalFailed => T::AuditWithdrawalFailed,
        WithdrawalCancel => T::AuditWithdrawalCancel,
        CashHandIn => T::AuditCashHandIn,
        ApiKeyCreate => T::AuditApiKeyCreate,
        ApiKeyRevoke => T::AuditApiKeyRevoke,
        ApiKeyUse => T::AuditApiKeyUse,
        BrandCreate => T::AuditBrandCreate,
        ServiceItemCreate => T::AuditServiceItemCreate,
        ServiceItemUpdate => T::AuditServiceItemUpdate,
        CardTypeCreate => T::AuditCardTypeCreate,
        CardTypeUpdate => T::AuditCardTypeUpdate,
        CardSell => T::AuditCardSell,
        CardRefund => T::AuditCardRefund,
        CardExtend => T::AuditCardExtend,
        CouponTemplateCreate => T::AuditCouponTemplateCreate,
        CouponTemplateUpdate => T::AuditCouponTemplateUpdate,
        CouponIssue => T::AuditCouponIssue,
        WriteOffUndo => T::AuditWriteOffUndo,
        PointsPolicy => T::AuditPointsPolicy,
        SignInPolicy => T::AuditSignInPolicy,
        InvitePolicy => T::AuditInvitePolicy,
        Levels => T::AuditLevels,
        SandboxPayoutMode => T::AuditSandboxPayoutMode,
        SandboxGatewaySwitches => T::AuditSandboxGatewaySwitches,
    }
}

/// What a changed field is called.
fn field_text(f: AuditField) -> Txt {
    use AuditField::*;
    match f {
        Name => T::FieldName,
        Address => T::Address,
        Phone => T::FieldPhone,
        Hours => T::Hours,
        Region => T::FilterRegion,
        Store => T::FilterStore,
        Scope => T::FieldScope,
        Active => T::FieldStatus,
        Role => T::Role,
        MaxBalance => T::FieldMaxBalance,
        MaxPayment => T::FieldMaxPayment,
        BonusSettle => T::FieldBonusSettle,
        CustomTopUp => T::FieldCustomTopUp,
        PinAbove => T::FieldPinAbove,
        ChannelUrl => T::ChannelUrl,
        WithdrawMin => T::WithdrawMin,
        WithdrawFeeFixed => T::WithdrawFeeFixed,
        WithdrawFeeRate => T::FieldWithdrawFeeRate,
        Pay => T::FieldPay,
        Bonus => T::Bonus,
        Mode => T::FieldMode,
        Price => T::FieldPrice,
        OnSale => T::FieldOnSale,
        EndsOn => T::FieldEndsOn,
        Stock => T::FieldStock,
        Member => T::FieldMember,
        CouponQuota => T::CouponQuota,
        WriteOffUndoHours => T::WriteOffUndoHours,
    }
}

/// A value as a person reads it.
fn value_text(v: Option<&AuditValue>, lang: Lang) -> String {
    match v {
        None => T::AuditNone.text(lang).into(),
        Some(AuditValue::Text(t)) => t.clone(),
        Some(AuditValue::Money(f)) => f.to_string(),
        Some(AuditValue::Flag(true)) => T::AuditOn.text(lang).into(),
        Some(AuditValue::Flag(false)) => T::AuditOff.text(lang).into(),
        Some(AuditValue::Rate(bp)) => format!("{}.{:02}%", bp / 100, bp % 100),
        Some(AuditValue::Role(r)) => role_text(*r).text(lang).into(),
    }
}

/// One change: `名称：徐家汇店 → 徐家汇二店`, or the new value alone when
/// there was none.
fn change_text(c: &AuditChange, lang: Lang) -> String {
    let field = field_text(c.field).text(lang);
    let sep = if lang == Lang::Zh { "：" } else { ": " };
    match (&c.before, &c.after) {
        (None, after) => format!("{field}{sep}{}", value_text(after.as_ref(), lang)),
        (before, after) => format!(
            "{field}{sep}{} → {}",
            value_text(before.as_ref(), lang),
            value_text(after.as_ref(), lang)
        ),
    }
}

#[component]
fn AuditRow(e: AuditEntry) -> impl IntoView {
    let lang = use_i18n().0;
    let who = e.actor.clone();
    let unknown = matches!(
        e.action,
        AuditAction::StaffLoginFailed | AuditAction::StaffLoginLocked
    );
    let actor = move || match &who {
        Some(a) => a.clone(),
        None if unknown => T::AuditUnknownActor.text(lang.get()).into(),
        None => T::AuditSystem.text(lang.get()).into(),
    };
    let changes = e.changes.clone();
    let when = local_time(&e.at);
    let store = e.store.clone();
    let note = e.note.clone();
    view! {
        <div class="cell audit-row" data-action=e.action.as_str()>
            <span class="cell-main">
                <span class="cell-title">
                    <span class="audit-action">{move || action_text(e.action).text(lang.get())}</span>
                    {(!e.target.is_empty()).then(|| view! { " · "<span class="audit-target">{e.target.clone()}</span> })}
                </span>
                {move || {
                    let l = lang.get();
                    changes.iter().map(|c| view! {
                        <span class="cell-desc audit-change">{change_text(c, l)}</span>
                    }).collect_view()
                }}
                {note.map(|n| view! { <span class="cell-desc audit-note">{n}</span> })}
                <span class="cell-desc tabular">
                    {when}" · "{actor}{store.map(|s| format!(" · {s}"))}
                </span>
            </span>
            {e.amount.map(|a| view! { <span class="cell-value tabular">{a.to_string()}</span> })}
        </div>
    }
}

/// 操作日志
#[component]
pub fn AuditPage() -> impl IntoView {
    require_login();
    let ctx = use_ctx();
    let lang = use_i18n().0;
    let who = RwSignal::new(String::new());
    let action = RwSignal::new(String::new());
    let store = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let stores = LocalResource::new(move || {
        let token = ctx.session.token.get();
        async move { api::fetch::<ListStores>(&(), token).await }
    });
    let pager = Pager::new::<shared::api::ListAudit>(
        move |after| {
            let text =
                |s: RwSignal<String>| Some(s.get_untracked()).filter(|v| !v.trim().is_empty());
            let query = AuditQuery {
                after,
                who: text(who),
                action: text(action),
                store_id: store.get_untracked().parse().ok(),
                from: text(from),
                to: text(to),
            };
            ((), query)
        },
        move || ctx.token(),
    );
    let refilter = move |signal: RwSignal<String>, value: String| {
        signal.set(value);
        pager.load(false);
    };
    view! {
        <TopBar title=Signal::derive(move || tr(T::AuditLog)().to_string()) back=true/>
        <section class="page">
            <div class="cells filters" id="audit-filters">
                <label class="cell">
                    <span class="cell-label">{tr(T::AuditFilterWho)}</span>
                    <input class="cell-input" type="search" id="filter-who" prop:value=move || who.get()
                        placeholder=tr(T::AuditWhoPlaceholder) enterkeyhint="search"
                        on:change=move |ev| refilter(who, event_target_value(&ev))/>
                </label>
                <SelectFilter label=T::AuditFilterWhat id="filter-action" value=action all=T::AuditAllActions
                    options=Signal::derive(move || {
                        let l = lang.get();
                        AuditAction::ALL.iter().map(|a| (a.as_str().to_string(), action_text(*a).text(l).to_string())).collect()
                    })
                    on_change=move || pager.load(false)/>
                <SelectFilter label=T::FilterStore id="filter-store" value=store all=T::AllStores
                    options=Signal::derive(move || {
                        stores.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|s| (s.id.to_string(), s.name)).collect()
                    })
                    on_change=move || pager.load(false)/>
                <DateRangeFilter from=from to=to on_change=move || pager.load(false)/>
            </div>
            <PagedCells pager=pager id="audit-list" row=move |e| view! { <AuditRow e=e/> }/>
        </section>
    }
}

tongka_app::split_page!(audit => AuditPage);
