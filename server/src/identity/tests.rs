//! The identity services on a real SQLite database, without an HTTP
//! server: a member's SMS login, a staff login's guess limit, who manages
//! which staff account, API keys and the member list.

use super::{api_keys, member_login, members, staff_accounts, staff_login};
use crate::auth::{Actor, KEY_PREFIX};
use crate::entity::{audit_log, notification, session, staff};
use crate::seed::{DEMO_PASSWORD, DEMO_SLUG};
use crate::state::AppState;
use crate::testing::{self, actor, code};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use shared::ErrorCode;
use shared::dto::{
    ApiKeyInput, MemberLoginRequest, MemberSearch, Role, SmsCodeRequest, StaffCreate,
    StaffLoginRequest, StaffUpdate,
};
use std::time::Duration;

/// The code in the last SMS sent to `phone`.
async fn sent_code(state: &AppState, phone: &str) -> String {
    let sms = notification::Entity::find()
        .filter(notification::Column::Recipient.eq(phone))
        .order_by_desc(notification::Column::Id)
        .one(&state.db)
        .await
        .ok()
        .flatten()
        .expect("an SMS");
    sms.body
        .chars()
        .filter(char::is_ascii_digit)
        .take(6)
        .collect()
}

async fn send(state: &AppState, phone: &str) -> Result<(), ErrorCode> {
    let req = SmsCodeRequest {
        phone: phone.into(),
    };
    member_login::send_code(state, DEMO_SLUG, "10.0.0.1".into(), &req)
        .await
        .map(|_| ())
        .map_err(code)
}

async fn login(
    state: &AppState,
    phone: &str,
    code_typed: &str,
    consent: bool,
) -> Result<bool, ErrorCode> {
    let req = MemberLoginRequest {
        phone: phone.into(),
        code: code_typed.into(),
        consent,
        invite_code: None,
    };
    member_login::login(state, DEMO_SLUG, &req)
        .await
        .map(|s| s.registered)
        .map_err(code)
}

#[tokio::test]
async fn a_new_phone_registers_with_consent_and_wrong_codes_lock_the_code() {
    let d = testing::demo().await;
    let s = &d.state;
    let phone = "13700000009";
    send(s, phone).await.expect("sent");
    let right = sent_code(s, phone).await;
    assert_eq!(right.len(), 6, "the SMS carries the code");
    // A second code within the minute is refused.
    assert_eq!(send(s, phone).await, Err(ErrorCode::RateLimited));
    // Registering needs consent; the code stays usable until it is given.
    assert_eq!(
        login(s, phone, &right, false).await,
        Err(ErrorCode::ConsentRequired)
    );
    assert_eq!(login(s, phone, &right, true).await, Ok(true));
    // Used once: the same code again is expired.
    assert_eq!(
        login(s, phone, &right, true).await,
        Err(ErrorCode::SmsCodeExpired)
    );

    s.clock.advance(Duration::from_secs(61));
    send(s, phone).await.expect("sent again");
    let right = sent_code(s, phone).await;
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    for _ in 0..4 {
        assert_eq!(
            login(s, phone, wrong, false).await,
            Err(ErrorCode::WrongSmsCode)
        );
    }
    assert_eq!(
        login(s, phone, wrong, false).await,
        Err(ErrorCode::SmsCodeLocked)
    );
    // Locked: even the right code no longer logs in.
    assert_eq!(
        login(s, phone, &right, false).await,
        Err(ErrorCode::SmsCodeLocked)
    );

    s.clock.advance(Duration::from_secs(61));
    send(s, phone).await.expect("a new code");
    let right = sent_code(s, phone).await;
    assert_eq!(
        login(s, phone, &right, false).await,
        Ok(false),
        "already a member"
    );
}

async fn staff_login(state: &AppState, account: &str, password: &str) -> Result<String, ErrorCode> {
    let req = StaffLoginRequest {
        account: account.into(),
        password: password.into(),
    };
    staff_login::login(state, DEMO_SLUG, "10.0.0.2", req)
        .await
        .map(|s| s.staff.account)
        .map_err(code)
}

#[tokio::test]
async fn wrong_passwords_lock_an_account_and_an_unknown_account_answers_alike() {
    let d = testing::demo().await;
    let s = &d.state;
    assert_eq!(
        staff_login(s, "manager", DEMO_PASSWORD).await,
        Ok("manager".into())
    );
    assert_eq!(
        staff_login(s, "nobody", "whatever1").await,
        Err(ErrorCode::WrongCredentials)
    );
    for _ in 0..4 {
        assert_eq!(
            staff_login(s, "clerk", "not-it-123").await,
            Err(ErrorCode::WrongCredentials)
        );
    }
    assert_eq!(
        staff_login(s, "clerk", "not-it-123").await,
        Err(ErrorCode::AccountLocked)
    );
    assert_eq!(
        staff_login(s, "clerk", DEMO_PASSWORD).await,
        Err(ErrorCode::AccountLocked)
    );
    let locked = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("staff.login_locked"))
        .all(&s.db)
        .await
        .expect("audit");
    assert_eq!(locked.len(), 1, "the lock is in the audit log once");

    // HQ admin lifts it.
    let admin = actor(s, "admin").await;
    let clerk = actor(s, "clerk").await;
    let view = staff_accounts::unlock(s, &admin, clerk.staff_id)
        .await
        .expect("unlocked");
    assert_eq!(view.locked_until, None);
    assert_eq!(
        staff_login(s, "clerk", DEMO_PASSWORD).await,
        Ok("clerk".into())
    );
}

fn new_clerk(account: &str, store_id: i64) -> StaffCreate {
    StaffCreate {
        account: account.into(),
        name: "新店员".into(),
        role: Role::Clerk,
        region_id: None,
        store_id: Some(store_id),
        password: "secret-123".into(),
    }
}

#[tokio::test]
async fn a_store_manager_manages_only_the_clerks_of_their_store() {
    let d = testing::demo().await;
    let s = &d.state;
    let manager = actor(s, "manager").await;
    let own = manager.store_id.expect("a store");
    let other = own + 1;
    let made = staff_accounts::create(s, &manager, new_clerk("clerk2", own))
        .await
        .expect("made");
    let elsewhere = staff_accounts::create(s, &manager, new_clerk("clerk3", other)).await;
    assert_eq!(code(elsewhere.expect_err("refused")), ErrorCode::Forbidden);
    let boss = StaffCreate {
        role: Role::StoreManager,
        ..new_clerk("boss2", own)
    };
    assert_eq!(
        code(
            staff_accounts::create(s, &manager, boss)
                .await
                .expect_err("refused")
        ),
        ErrorCode::Forbidden
    );
    let seen = staff_accounts::list(s, &manager).await.expect("list");
    assert!(
        seen.iter().all(|v| v.store_id == Some(own)),
        "only their store's accounts"
    );
    assert!(seen.iter().any(|v| v.id == made.id));

    // HQ admin moves the new clerk: the clerk's sessions end at once.
    staff_login(s, "clerk2", "secret-123")
        .await
        .expect("logged in");
    let admin = actor(s, "admin").await;
    let moved = StaffUpdate {
        name: "新店员".into(),
        role: Role::Clerk,
        region_id: None,
        store_id: Some(other),
    };
    staff_accounts::update(s, &admin, made.id, moved)
        .await
        .expect("moved");
    let open = session::Entity::find()
        .filter(session::Column::SubjectId.eq(made.id))
        .filter(session::Column::RevokedAt.is_null())
        .all(&s.db)
        .await
        .expect("sessions");
    assert!(open.is_empty(), "no session outlives a move");
    // Now in another store, the manager cannot even see them.
    let hidden = staff_accounts::set_active(s, &manager, made.id, false).await;
    assert_eq!(code(hidden.expect_err("hidden")), ErrorCode::NotFound);
}

#[tokio::test]
async fn a_key_cannot_make_or_end_keys_and_a_revoked_key_stays_revoked() {
    let d = testing::demo().await;
    let s = &d.state;
    let admin = actor(s, "admin").await;
    let input = ApiKeyInput {
        name: "收银系统".into(),
        role: Role::Clerk,
        region_id: None,
        store_id: Some(d.shop.id),
    };
    let made = api_keys::create(s, &admin, &input).await.expect("made");
    assert!(made.secret.starts_with(KEY_PREFIX));
    assert_eq!(made.key.store_id, Some(d.shop.id));
    let listed = api_keys::list(s, &admin).await.expect("list");
    assert_eq!(
        listed.iter().map(|k| k.id).collect::<Vec<_>>(),
        vec![made.key.id]
    );

    let machine = Actor {
        key: Some(made.key.id),
        ..admin.clone()
    };
    assert_eq!(
        code(
            api_keys::create(s, &machine, &input)
                .await
                .expect_err("refused")
        ),
        ErrorCode::Forbidden
    );
    assert_eq!(
        code(
            api_keys::revoke(s, &machine, made.key.id)
                .await
                .expect_err("refused")
        ),
        ErrorCode::Forbidden
    );

    let revoked = api_keys::revoke(s, &admin, made.key.id)
        .await
        .expect("revoked");
    assert!(revoked.revoked_at.is_some());
    s.clock.advance(Duration::from_secs(5));
    let again = api_keys::revoke(s, &admin, made.key.id)
        .await
        .expect("still revoked");
    assert_eq!(
        again.revoked_at, revoked.revoked_at,
        "revoking twice changes nothing"
    );
    let rows = staff::Entity::find()
        .filter(staff::Column::ApiKey.eq(true))
        .all(&s.db)
        .await
        .expect("rows");
    assert!(
        rows.iter().all(|r| !r.active),
        "the key's staff row is off too"
    );
    // The key's row is no staff account anyone manages.
    let seen = staff_accounts::list(s, &admin).await.expect("list");
    assert!(seen.iter().all(|v| rows.iter().all(|r| r.id != v.id)));
}

#[tokio::test]
async fn a_region_manager_sees_the_members_at_home_in_their_region() {
    let d = testing::demo().await;
    let s = &d.state;
    let all = |q: Option<&str>| MemberSearch {
        q: q.map(str::to_owned),
        after: None,
    };
    let admin = actor(s, "admin").await;
    let east = actor(s, "east").await;
    let phones = |p: &shared::dto::Page<shared::dto::MemberListItem>| {
        let mut v: Vec<String> = p.items.iter().map(|m| m.phone_masked.clone()).collect();
        v.sort();
        v
    };
    let everyone = members::list(s, &admin, &all(None)).await.expect("list");
    assert_eq!(everyone.items.len(), 3);
    // 王五 is at home in 天河城店 (华南区).
    let theirs = members::list(s, &east, &all(None)).await.expect("list");
    assert_eq!(phones(&theirs), vec!["138****0001", "138****0002"]);
    assert_eq!(
        members::list(s, &admin, &all(Some("%")))
            .await
            .expect("list")
            .items
            .len(),
        0,
        "% is a character"
    );
    assert_eq!(
        members::list(s, &admin, &all(Some("0003")))
            .await
            .expect("list")
            .items
            .len(),
        1
    );

    let frozen = members::set_frozen(s, &admin, d.member.id, true)
        .await
        .expect("frozen");
    assert!(frozen.frozen);
    let logged = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("member.freeze"))
        .all(&s.db)
        .await
        .expect("audit");
    assert_eq!(logged.len(), 1);
}
