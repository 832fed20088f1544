//! The workbench: who is logged in and what their role may do.

use crate::shell::{require_login, use_ctx};
use leptos::prelude::*;
use leptos_router::components::A;
use shared::api::{HqPendingView, StaffMe, UnreadMessages};
use shared::dto::{Role, StaffSession};
use tongka_app::api;
use tongka_app::components::{TopBar, loaded};
use tongka_app::i18n::{T, Txt, role_text, tr};

/// The menu entries a role sees: (path, label, id).
fn menu(role: Role, store: Option<i64>) -> Vec<(String, Txt, &'static str)> {
    let counter: Vec<(String, Txt, &'static str)> = match store {
        Some(id) => vec![
            ("/scan".into(), T::ScanWriteOff, "menu-scan"),
            (
                format!("/stores/{id}/pay-code"),
                T::PayCode,
                "menu-pay-code",
            ),
            ("/topup".into(), T::CounterTopUp, "menu-topup"),
            ("/sell-card".into(), T::SellCard, "menu-sell-card"),
        ],
        None => vec![],
    };
    // The store manager's own wallet; HQ reaches every wallet from 资金概览.
    let wallet = match (role, store) {
        (Role::StoreManager, Some(id)) => {
            vec![(format!("/stores/{id}/wallet"), T::Wallet, "menu-wallet")]
        }
        _ => vec![],
    };
    let payments = ("/payments".to_string(), T::Payments, "menu-payments");
    let write_offs = (
        "/write-offs".to_string(),
        T::WriteOffRecords,
        "menu-write-offs",
    );
    counter
        .into_iter()
        .chain(wallet)
        .chain([payments, write_offs])
        .chain(
            chain_menu(role)
                .into_iter()
                .map(|(p, t, id)| (p.to_string(), t, id)),
        )
        .collect()
}

/// The chain-management entries a role sees.
fn chain_menu(role: Role) -> Vec<(&'static str, Txt, &'static str)> {
    let stores = ("/stores", T::Stores, "menu-stores");
    let regions = ("/regions", T::Regions, "menu-regions");
    let staff = ("/staff", T::Staff, "menu-staff");
    let members = ("/members", T::Members, "menu-members");
    let audit = ("/audit", T::AuditLog, "menu-audit");
    let money = ("/money", T::MoneySettingsTitle, "menu-money");
    let levels = ("/levels", T::LevelsTitle, "menu-levels");
    let sign_in = ("/sign-in-rewards", T::SignInRewardsTitle, "menu-sign-in");
    let invites = ("/invites", T::InviteProgrammeTitle, "menu-invites");
    let close = ("/close-card", T::CloseCard, "menu-close-card");
    let flags = ("/gateway-flags", T::GatewayFlags, "menu-gateway-flags");
    let refunds = ("/refund-tasks", T::RefundTasks, "menu-refund-tasks");
    let overview = ("/brand-money", T::BrandMoney, "menu-brand-money");
    let queue = (
        "/withdrawals?state=requested",
        T::CashoutQueue,
        "menu-withdrawal-queue",
    );
    let withdrawals = ("/withdrawals", T::CashoutRecords, "menu-withdrawals");
    let payees = ("/payee-changes", T::PayeeChanges, "menu-payee-changes");
    let wallets = ("/wallets", T::StoreWallets, "menu-wallets");
    let messages = ("/messages", T::Messages, "menu-messages");
    let api_keys = ("/api-keys", T::ApiKeys, "menu-api-keys");
    let jobs = ("/job-failures", T::JobFailures, "menu-job-failures");
    let cards = ("/card-types", T::CardTypes, "menu-card-types");
    let coupons = ("/coupon-templates", T::Coupons, "menu-coupons");
    let issue = ("/issue-coupon", T::IssueCoupon, "menu-issue-coupon");
    match role {
        Role::HqAdmin => vec![
            overview,
            withdrawals,
            payees,
            stores,
            regions,
            staff,
            members,
            cards,
            coupons,
            money,
            levels,
            sign_in,
            invites,
            close,
            flags,
            refunds,
            audit,
            api_keys,
            jobs,
        ],
        Role::HqFinance => vec![
            queue, payees, refunds, overview, stores, staff, members, coupons, issue, money,
            invites, close, flags, audit,
        ],
        Role::RegionManager => vec![
            wallets,
            withdrawals,
            payees,
            stores,
            regions,
            staff,
            members,
        ],
        Role::StoreManager => vec![withdrawals, messages, issue, close, stores, staff],
        Role::Clerk => vec![stores],
    }
}

/// How many messages wait unread, if any.
#[component]
fn UnreadBadge() -> impl IntoView {
    let ctx = use_ctx();
    let count = LocalResource::new(move || {
        let token = ctx.session.token.get();
        async move { api::fetch::<UnreadMessages>(&(), token).await }
    });
    move || match count.get() {
        Some(Ok(i)) if i.unread > 0 => Some(view! {
            <span class="badge" id="unread-count">{i.unread}</span>
        }),
        _ => None,
    }
}

/// What waits for HQ finance under a menu entry, if anything.
#[component]
fn PendingBadge(entry: &'static str) -> impl IntoView {
    let ctx = use_ctx();
    let pending = LocalResource::new(move || {
        let token = ctx.session.token.get();
        async move { api::fetch::<HqPendingView>(&(), token).await }
    });
    move || {
        let n = match pending.get() {
            Some(Ok(p)) if entry == "menu-payee-changes" => p.payee_changes,
            Some(Ok(p)) if entry == "menu-refund-tasks" => p.refund_tasks,
            Some(Ok(p)) => p.withdrawals,
            _ => 0,
        };
        (n > 0).then(|| view! { <span class="badge" data-pending=entry>{n}</span> })
    }
}

/// 工作台
#[component]
pub fn HomePage() -> impl IntoView {
    require_login();
    let ctx = use_ctx();
    // Its own fetch, made after login stored the token (the shell's copy may
    // still hold the answer for the previous token).
    let me = LocalResource::new(move || {
        let token = ctx.session.token.get();
        async move { api::fetch::<StaffMe>(&(), token).await }
    });
    view! {
        <TopBar title=Signal::derive(move || tr(T::Workbench)().to_string())/>
        <section class="page">
            {loaded(me, move |s: StaffSession| {
                let role = s.staff.role;
                // What waits for HQ is HQ's to count (others get a 403).
                let hq = matches!(role, Role::HqAdmin | Role::HqFinance);
                let scope = s.staff.scope_name.clone();
                view! {
                    <div class="role-card" id="role-card">
                        <h2>{s.staff.name.clone()}</h2>
                        <p><span>{tr(T::YourRole)}</span>" · "<span id="role-name">{tr(role_text(role))}</span></p>
                        <p><span>{tr(T::Scope)}</span>" · "{match scope {
                            Some(name) => view! { <span>{name}</span> }.into_any(),
                            None => view! { <span>{tr(T::WholeBrand)}</span> }.into_any(),
                        }}</p>
                    </div>
                    <crate::pages::live::LiveReceipts/>
                    {(role == Role::Clerk || role == Role::StoreManager).then(|| view! {
                        <div class="notice">{tr(T::ClerkHome)}</div>
                    })}
                    <nav class="cells" id="menu">
                        {menu(role, s.staff.store_id).into_iter().map(|(path, label, id)| view! {
                            <A href=ctx.path(&path) attr:class="cell cell-link" attr:id=id>
                                <span class="cell-main">{tr(label)}</span>
                                {(id == "menu-messages").then(|| view! { <UnreadBadge/> })}
                                {(hq && matches!(id, "menu-withdrawal-queue" | "menu-payee-changes" | "menu-refund-tasks")).then(|| view! { <PendingBadge entry=id/> })}
                            </A>
                        }).collect_view()}
                        <A href=ctx.path("/me") attr:class="cell cell-link" attr:id="menu-me">
                            <span class="cell-main">{tr(T::Me)}</span>
                        </A>
                    </nav>
                }.into_any()
            })}
        </section>
    }
}
