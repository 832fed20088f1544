//! HQ's member list: masked phones, search, keyset paging; freezing is audited.

use crate::helpers::*;
use shared::ErrorCode;
use shared::dto::{AuditAction, AuditEntry, MemberListItem, Page, Role};
use std::collections::HashSet;

async fn list(app: &TestApp, token: &str, query: &str) -> Page<MemberListItem> {
    app.get(&format!("/api/hq/members{query}"))
        .token(token)
        .send()
        .await
        .ok()
}

fn masked(phone: &str) -> String {
    format!("{}****{}", &phone[..3], &phone[7..])
}

dual_test!(
    the_list_masks_phones_and_finds_by_name_or_digits,
    |app| async move {
        let admin = app.login_admin().await;
        let phones: Vec<String> = (0..3).map(|_| random_phone()).collect();
        let names = ["张三", "李四", "王五"];
        let mut ids = Vec::new();
        for (phone, name) in phones.iter().zip(names) {
            ids.push(app.insert_member(phone, name).await.id);
        }

        let reply = app.get("/api/hq/members").token(&admin).send().await;
        let all: Page<MemberListItem> = reply.ok();
        assert_eq!(all.items.len(), 3);
        assert_eq!(all.next_cursor, None);
        for (item, (phone, name)) in all.items.iter().rev().zip(phones.iter().zip(names)) {
            assert_eq!(item.phone_masked, masked(phone));
            assert_eq!(item.name, name);
        }
        for phone in &phones {
            assert!(
                !reply.body.contains(phone.as_str()),
                "a full phone leaked: {}",
                reply.body
            );
        }

        let by_name = list(&app, &admin, "?q=%E6%9D%8E").await; // 李
        assert_eq!(
            by_name.items.iter().map(|m| m.id).collect::<Vec<_>>(),
            vec![ids[1]]
        );
        let digits = &phones[2][3..];
        let by_digits = list(&app, &admin, &format!("?q={digits}")).await;
        assert_eq!(
            by_digits.items.iter().map(|m| m.id).collect::<Vec<_>>(),
            vec![ids[2]]
        );
        let spaced = format!("{}%20{}", &phones[0][..3], &phones[0][3..]);
        let typed = list(&app, &admin, &format!("?q={spaced}")).await;
        assert_eq!(
            typed.items.iter().map(|m| m.id).collect::<Vec<_>>(),
            vec![ids[0]],
            "digits typed with a space still match"
        );
        assert!(
            list(&app, &admin, "?q=%E8%B5%B5").await.items.is_empty(),
            "赵 matches nobody"
        );

        // Wildcards are searched for literally, not as patterns.
        for wildcard in ["%25", "_", "%25_"] {
            let found = list(&app, &admin, &format!("?q={wildcard}")).await;
            assert!(
                found.items.is_empty(),
                "{wildcard} matched {:?}",
                found.items
            );
        }
        let percent = app.insert_member(&random_phone(), "五折%会员").await;
        let found = list(&app, &admin, "?q=%25").await;
        assert_eq!(
            found.items.iter().map(|m| m.id).collect::<Vec<_>>(),
            vec![percent.id],
            "a literal % is found"
        );
        assert!(list(&app, &admin, "?q=!").await.items.is_empty());
    }
);

dual_test!(paging_returns_every_member_exactly_once, |app| async move {
    let admin = app.login_admin().await;
    let mut inserted = HashSet::new();
    for i in 0..45 {
        inserted.insert(
            app.insert_member(&random_phone(), &format!("会员{i}"))
                .await
                .id,
        );
    }

    let mut seen = Vec::new();
    let mut pages = Vec::new();
    let mut query = String::new();
    loop {
        let page = list(&app, &admin, &query).await;
        pages.push(page.items.len());
        seen.extend(page.items.iter().map(|m| m.id));
        match page.next_cursor {
            Some(cursor) => query = format!("?after={cursor}"),
            None => break,
        }
        assert!(pages.len() < 10, "paging does not end: {pages:?}");
    }
    assert_eq!(pages, vec![20, 20, 5]);
    assert_eq!(seen.len(), 45);
    assert_eq!(
        seen.iter().copied().collect::<HashSet<_>>(),
        inserted,
        "every member, once"
    );
    assert!(seen.windows(2).all(|w| w[0] > w[1]), "newest first");

    // Paging a search.
    let page = list(&app, &admin, "?q=%E4%BC%9A%E5%91%98").await; // 会员
    assert_eq!(page.items.len(), 20);
    let cursor = page.next_cursor.expect("a second page");
    let rest = list(
        &app,
        &admin,
        &format!("?q=%E4%BC%9A%E5%91%98&after={cursor}"),
    )
    .await;
    assert_eq!(rest.items.len(), 20);
});

dual_test!(
    freezing_and_unfreezing_are_audited_with_the_actor,
    |app| async move {
        let admin = app.login_admin().await;
        let phone = random_phone();
        let member = app.insert_member(&phone, "张三").await;

        let frozen: MemberListItem = app
            .post(&format!("/api/hq/members/{}/freeze", member.id))
            .token(&admin)
            .send()
            .await
            .ok();
        assert!(frozen.frozen);
        assert!(
            list(&app, &admin, "").await.items[0].frozen,
            "the list shows the member frozen"
        );
        let thawed: MemberListItem = app
            .post(&format!("/api/hq/members/{}/unfreeze", member.id))
            .token(&admin)
            .send()
            .await
            .ok();
        assert!(!thawed.frozen);
        app.post("/api/hq/members/999999999/freeze")
            .token(&admin)
            .send()
            .await
            .error(404, ErrorCode::NotFound);

        let audit: Page<AuditEntry> = app.get("/api/hq/audit").token(&admin).send().await.ok();
        let target = format!("#{} {}", member.id, masked(&phone));
        let actions: Vec<(AuditAction, Option<&str>, &str)> = audit
            .items
            .iter()
            .take(2)
            .map(|e| (e.action, e.actor.as_deref(), e.target.as_str()))
            .collect();
        assert_eq!(
            actions,
            vec![
                (
                    AuditAction::MemberUnfreeze,
                    Some("总部管理员 (admin)"),
                    target.as_str()
                ),
                (
                    AuditAction::MemberFreeze,
                    Some("总部管理员 (admin)"),
                    target.as_str()
                )
            ],
            "newest first, with who did it"
        );
        assert!(
            audit.items.iter().all(|e| !e.target.contains(&phone)),
            "the audit log masks phones"
        );

        // HQ finance reads the log but cannot freeze; a region manager can do neither.
        let region = app.create_region(&admin, "华东区").await;
        app.create_staff(&admin, "finance", Role::HqFinance, None, None)
            .await;
        app.create_staff(
            &admin,
            "east.boss",
            Role::RegionManager,
            Some(region.id),
            None,
        )
        .await;
        let finance = app.staff_token("finance", STAFF_PASSWORD).await;
        let boss = app.staff_token("east.boss", STAFF_PASSWORD).await;
        let read: Page<AuditEntry> = app.get("/api/hq/audit").token(&finance).send().await.ok();
        assert!(
            read.items
                .iter()
                .any(|e| e.action == AuditAction::MemberFreeze)
        );
        app.post(&format!("/api/hq/members/{}/freeze", member.id))
            .token(&finance)
            .send()
            .await
            .error(403, ErrorCode::Forbidden);
        app.post(&format!("/api/hq/members/{}/freeze", member.id))
            .token(&boss)
            .send()
            .await
            .error(403, ErrorCode::Forbidden);
        app.get("/api/hq/audit")
            .token(&boss)
            .send()
            .await
            .error(403, ErrorCode::Forbidden);
        assert!(!list(&app, &admin, "").await.items[0].frozen);
    }
);

dual_test!(
    a_member_closes_their_account_after_退卡_and_the_phone_registers_anew,
    |app| async move {
        use crate::money::*;
        let shop = shop(&app).await;
        let member = new_member(&app).await;
        topup_ok(&app, &shop.clerk, &member.phone, 5_000).await;
        let close = |token: String| {
            let app = app.clone();
            async move { app.post("/api/member/close").token(&token).send().await }
        };
        // Money left: 退卡 first, and the member is told so.
        let e = close(member.token.clone())
            .await
            .error(409, ErrorCode::AccountHasBalance);
        assert!(
            e.message.contains("¥50.00") && e.message.contains("退卡"),
            "{}",
            e.message
        );
        app.post(&format!(
            "/api/staff/members/{}/close-stored-value",
            member.id
        ))
        .token(&shop.manager)
        .header(IDEMPOTENCY_KEY, &new_key())
        .json(&shared::dto::CloseStoredValue::default())
        .send()
        .await
        .status(201);
        // Closed: every session ends at once.
        app.advance_secs(61);
        let second = app.member_login(&member.phone).await;
        close(member.token.clone()).await.status(204);
        for token in [&member.token, &second] {
            app.get("/api/member/me")
                .token(token)
                .send()
                .await
                .error(401, ErrorCode::Unauthenticated);
        }
        // The phone is gone from the old row: staff cannot find it…
        app.get(&format!("/api/staff/counter-member?phone={}", member.phone))
            .token(&shop.clerk)
            .send()
            .await
            .error(404, ErrorCode::MemberNotRegistered);
        let all = list(&app, &shop.admin, "").await;
        let old = all
            .items
            .iter()
            .find(|m| m.id == member.id)
            .expect("kept for the records");
        assert!(
            old.closed && old.phone_masked == "****" && old.name.is_empty(),
            "{old:?}"
        );
        // …and it registers again later as a new member, with nothing.
        app.advance_secs(61);
        let again = app.member_session(&member.phone).await;
        assert!(again.registered, "a new member");
        assert_ne!(again.member.id, member.id);
        assert_eq!(total(&app, &again.token).await, 0);
        // A closed account is for the records: freezing it changes nothing.
        for act in ["freeze", "unfreeze"] {
            let e = app
                .post(&format!("/api/hq/members/{}/{act}", member.id))
                .token(&shop.admin)
                .send()
                .await
                .error(409, ErrorCode::MemberClosed);
            assert!(e.message.contains("已注销"), "{}", e.message);
        }
        assert_reconciled(&app).await;
    }
);

dual_test!(
    hq_opens_a_member_with_their_money_and_history_and_region_managers_see_only_their_own,
    |app| async move {
        use crate::money::*;
        use shared::dto::{HistoryItem, MemberDetail, MemberMoney};
        let shop = shop(&app).await;
        let member = new_member(&app).await;
        topup_ok(&app, &shop.clerk, &member.phone, 10_000).await;
        pay_ok(&app, &member.token, shop.one.id, 2_550).await;
        let detail = |token: String, id: i64| {
            let app = app.clone();
            async move {
                app.get(&format!("/api/hq/members/{id}"))
                    .token(&token)
                    .send()
                    .await
            }
        };
        let d: MemberDetail = detail(shop.admin.clone(), member.id).await.ok();
        assert_eq!(d.member.id, member.id);
        assert_eq!(d.member.phone_masked, masked(&member.phone));
        assert_eq!(d.member.home_store.as_deref(), Some("南京西路店"));
        assert_eq!((d.principal.0, d.bonus.0), (7_450, 0));
        assert!(!d.member.frozen && !d.member.closed);

        // The history HQ sees is the member's own, entry for entry.
        let theirs = history_page(&app, &member.token, "").await;
        let hq: Page<HistoryItem> = app
            .get(&format!("/api/hq/members/{}/history", member.id))
            .token(&shop.admin)
            .send()
            .await
            .ok();
        assert_eq!(hq.items.len(), 2);
        assert_eq!(
            hq.items
                .iter()
                .map(|h| (
                    h.id,
                    h.amount.0,
                    h.balance_after.expect("stored value moved").0
                ))
                .collect::<Vec<_>>(),
            theirs
                .items
                .iter()
                .map(|h| (
                    h.id,
                    h.amount.0,
                    h.balance_after.expect("stored value moved").0
                ))
                .collect::<Vec<_>>()
        );
        assert_eq!(hq.items[0].amount.0, -2_550);
        app.get(&format!("/api/hq/members/{}/history?kind=bogus", member.id))
            .token(&shop.admin)
            .send()
            .await
            .invalid("kind");

        // 退卡 opens from the member page by id, with what it would pay back.
        let money: MemberMoney = app
            .get(&format!("/api/staff/members/{}/money", member.id))
            .token(&shop.manager)
            .send()
            .await
            .ok();
        assert_eq!((money.principal.0, money.via_gateway.0), (7_450, 0));
        app.get(&format!("/api/staff/members/{}/money", member.id))
            .token(&shop.clerk)
            .send()
            .await
            .error(403, ErrorCode::Forbidden);

        // A region manager sees members at home in their region, no other.
        let west = app.create_region(&shop.admin, "华西区").await;
        app.create_staff(
            &shop.admin,
            "east.boss",
            Role::RegionManager,
            Some(shop.region_id),
            None,
        )
        .await;
        app.create_staff(
            &shop.admin,
            "west.boss",
            Role::RegionManager,
            Some(west.id),
            None,
        )
        .await;
        let east = app.staff_token("east.boss", STAFF_PASSWORD).await;
        let west_boss = app.staff_token("west.boss", STAFF_PASSWORD).await;
        let seen: MemberDetail = detail(east, member.id).await.ok();
        assert_eq!(seen.principal.0, 7_450);
        detail(west_boss.clone(), member.id)
            .await
            .error(404, ErrorCode::NotFound);
        app.get(&format!("/api/hq/members/{}/history", member.id))
            .token(&west_boss)
            .send()
            .await
            .error(404, ErrorCode::NotFound);
        // Clerks and store managers have no member pages; nor is another
        // brand's member found.
        detail(shop.clerk.clone(), member.id)
            .await
            .error(403, ErrorCode::Forbidden);
        detail(shop.admin.clone(), 999_999_999)
            .await
            .error(404, ErrorCode::NotFound);
    }
);
