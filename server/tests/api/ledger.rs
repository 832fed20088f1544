//! The ledger's units and balances-after, on both databases: an entry that
//! balances in total but not per unit is refused and changes nothing; each
//! line on a member's account records the balance after it.

use crate::helpers::*;
use crate::money::{assert_reconciled, new_member, pay_ok, shop, topup_ok};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use shared::money::Fen;
use tongka_server::entity::journal_line;
use tongka_server::ledger::{self, Entry, Kind, Line, PostError};

dual_test!(
    points_never_balance_against_money_and_nothing_is_written,
    |app| async move {
        let member = new_member(&app).await;
        let now = app.clock.now_ms();
        let tx = tongka_server::db::begin_write(&app.db)
            .await
            .expect("beginning a transaction");
        let points = ledger::account_id(&tx, app.brand_id, Kind::MemberPoints, member.id, now)
            .await
            .expect("the member's points account");
        let clearing = ledger::account_id(&tx, app.brand_id, Kind::GatewayClearing, 0, now)
            .await
            .expect("gateway clearing");
        let issued = ledger::account_id(&tx, app.brand_id, Kind::PointsIssued, 0, now)
            .await
            .expect("points issued");
        let entry = |lines: Vec<Line>, op: &str| Entry {
            brand_id: app.brand_id,
            kind: shared::dto::EntryKind::Adjustment,
            op_ref: op.into(),
            store_id: None,
            member_id: Some(member.id),
            member_delta: Fen(0),
            member_balance_after: None,
            actor: "test".into(),
            business_date: ledger::business_date("Asia/Shanghai", now),
            at: now,
            lines,
        };
        // 500 fen out of the gateway for 500 points: zero in total.
        let mixed = ledger::post(
            &tx,
            entry(
                vec![Line::fen(clearing, Fen(-500)), Line::count(points, 500)],
                "mixed",
            ),
        )
        .await;
        assert!(
            matches!(&mixed, Err(PostError::Db(e)) if e.to_string().contains("fen")),
            "{mixed:?}"
        );
        // The same points issued by the brand: balanced in points.
        ledger::post(
            &tx,
            entry(
                vec![Line::count(issued, -500), Line::count(points, 500)],
                "earned",
            ),
        )
        .await
        .expect("points earned");
        // Spending more points than held is refused like money.
        let overdrawn = ledger::post(
            &tx,
            entry(
                vec![Line::count(points, -501), Line::count(issued, 501)],
                "spent",
            ),
        )
        .await;
        assert!(
            matches!(overdrawn, Err(PostError::Overdrawn)),
            "{overdrawn:?}"
        );
        tx.commit().await.expect("committing");
        let lines = journal_line::Entity::find()
            .filter(journal_line::Column::AccountId.eq(points.id))
            .all(&app.db)
            .await
            .expect("reading the points lines");
        let seen: Vec<(i64, Option<i64>)> =
            lines.iter().map(|l| (l.amount, l.balance_after)).collect();
        assert_eq!(
            seen,
            vec![(500, Some(500))],
            "only the balanced entry was written"
        );
        assert_reconciled(&app).await;
    }
);

dual_test!(
    each_line_on_a_members_money_records_the_balance_after_it,
    |app| async move {
        let shop = shop(&app).await;
        let member = new_member(&app).await;
        topup_ok(&app, &shop.clerk, &member.phone, 10_000).await;
        pay_ok(&app, &member.token, shop.one.id, 2_500).await;
        pay_ok(&app, &member.token, shop.two.id, 1_200).await;
        let tx = tongka_server::db::begin_write(&app.db).await.expect("tx");
        let principal = ledger::find_account(&tx, app.brand_id, Kind::MemberPrincipal, member.id)
            .await
            .expect("reading")
            .expect("the principal account");
        tx.commit().await.expect("commit");
        let lines = journal_line::Entity::find()
            .filter(journal_line::Column::AccountId.eq(principal.id))
            .order_by_asc(journal_line::Column::Id)
            .all(&app.db)
            .await
            .expect("reading the member's lines");
        let seen: Vec<(i64, Option<i64>)> =
            lines.iter().map(|l| (l.amount, l.balance_after)).collect();
        assert_eq!(
            seen,
            vec![
                (10_000, Some(10_000)),
                (-2_500, Some(7_500)),
                (-1_200, Some(6_300))
            ]
        );
        assert_reconciled(&app).await;
    }
);

dual_test!(
    reconcile_finds_an_entry_unbalanced_per_unit_and_a_wrong_balance_after,
    |app| async move {
        use sea_orm::{ActiveModelTrait, Set};
        use tongka_server::entity::journal_entry;
        // A database of its own: the rows are broken on purpose.
        let app = spawn_app_with_own_database(app.backend).await;
        let shop = shop(&app).await;
        let member = new_member(&app).await;
        topup_ok(&app, &shop.clerk, &member.phone, 1_000).await;
        assert_reconciled(&app).await;
        let now = app.clock.now_ms();
        let tx = tongka_server::db::begin_write(&app.db).await.expect("tx");
        let points = ledger::account_id(&tx, app.brand_id, Kind::MemberPoints, member.id, now)
            .await
            .expect("points account");
        let clearing = ledger::account_id(&tx, app.brand_id, Kind::GatewayClearing, 0, now)
            .await
            .expect("gateway clearing");
        let principal = ledger::find_account(&tx, app.brand_id, Kind::MemberPrincipal, member.id)
            .await
            .expect("reading")
            .expect("principal");
        // Written past `post`, as a bug or a hand edit would: 300 fen against
        // 300 points, and a principal line recording a wrong balance.
        let e = journal_entry::ActiveModel {
            brand_id: Set(app.brand_id),
            kind: Set("forged".into()),
            op_ref: Set(random_hex(8)),
            member_delta: Set(0),
            actor: Set("test".into()),
            business_date: Set("2026-03-02".into()),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&tx)
        .await
        .expect("entry");
        for (account, amount, after) in [
            (clearing.id, -300, None),
            (points.id, 300, None),
            (principal.id, 0, Some(999)),
        ] {
            journal_line::ActiveModel {
                entry_id: Set(e.id),
                account_id: Set(account),
                amount: Set(amount),
                balance_after: Set(after),
                ..Default::default()
            }
            .insert(&tx)
            .await
            .expect("line");
        }
        tx.commit().await.expect("commit");
        let report = ledger::reconcile(&app.db).await.expect("reconciling");
        let said = report.problems.join("\n");
        assert!(
            said.contains(&format!("entry {} does not balance in fen", e.id)),
            "{said}"
        );
        assert!(
            said.contains(&format!("entry {} does not balance in points", e.id)),
            "{said}"
        );
        assert!(said.contains("recorded 999"), "{said}");
    }
);
