//! What must hold when requests race: one code per phone per minute, one use
//! per code, one default store per brand. SQLite serialises writers; on
//! PostgreSQL these are the cases where two transactions really overlap.

use crate::helpers::*;
use shared::ErrorCode;
use shared::dto::{MemberListItem, Page, StoreView};
use tokio::task::JoinSet;

/// Sends what `make` builds `n` times at once; the replies, in no order.
async fn race<F, Fut>(n: usize, make: F) -> Vec<Reply>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = Reply> + Send + 'static,
{
    let mut set = JoinSet::new();
    for i in 0..n {
        set.spawn(make(i));
    }
    let mut replies = Vec::new();
    while let Some(joined) = set.join_next().await {
        replies.push(joined.expect("a racing request"));
    }
    replies
}

fn count(replies: &[Reply], status: u16) -> usize {
    replies.iter().filter(|r| r.status == status).count()
}

dual_test!(racing_sends_to_one_phone_send_one_code, |app| async move {
    let phone = random_phone();
    let replies = race(5, |_| {
        let (app, phone) = (app.clone(), phone.clone());
        async move { app.request_code(&phone).await }
    })
    .await;
    assert_eq!(count(&replies, 200), 1, "{replies:#?}");
    for refused in replies.iter().filter(|r| r.status != 200) {
        refused.error(429, ErrorCode::RateLimited);
    }
    assert_eq!(app.outbox(&phone).await.len(), 1);
});

dual_test!(
    racing_logins_use_a_code_once_and_register_once,
    |app| async move {
        let phone = random_phone();
        let code = app.send_code(&phone).await;
        let replies = race(5, |_| {
            let (app, phone, code) = (app.clone(), phone.clone(), code.clone());
            async move { app.member_login_with(&phone, &code, true).await }
        })
        .await;
        assert_eq!(count(&replies, 200), 1, "{replies:#?}");
        for refused in replies.iter().filter(|r| r.status != 200) {
            refused.error(400, ErrorCode::SmsCodeExpired);
        }
        let admin = app.login_admin().await;
        let members: Page<MemberListItem> =
            app.get("/api/hq/members").token(&admin).send().await.ok();
        assert_eq!(members.items.len(), 1);
    }
);

dual_test!(
    racing_first_stores_leave_exactly_one_default,
    |app| async move {
        let admin = app.login_admin().await;
        let region = app.create_region(&admin, "华东区").await;
        let replies = race(4, |i| {
            let (app, admin) = (app.clone(), admin.clone());
            async move {
                app.post("/api/hq/stores")
                    .token(&admin)
                    .json(&store_input(&format!("{i}号店"), region.id))
                    .send()
                    .await
            }
        })
        .await;
        for reply in &replies {
            reply.status(201);
        }
        let stores: Vec<StoreView> = app.get("/api/hq/stores").token(&admin).send().await.ok();
        assert_eq!(stores.len(), 4);
        assert_eq!(
            stores.iter().filter(|s| s.is_default).count(),
            1,
            "{stores:#?}"
        );
    }
);

dual_test!(
    racing_make_defaults_leave_exactly_one_default,
    |app| async move {
        let admin = app.login_admin().await;
        let region = app.create_region(&admin, "华东区").await;
        let mut ids = Vec::new();
        for i in 0..4 {
            ids.push(
                app.create_store(&admin, region.id, &format!("{i}号店"))
                    .await
                    .id,
            );
        }
        let replies = race(3, |i| {
            let (app, admin, id) = (app.clone(), admin.clone(), ids[i + 1]);
            async move {
                app.post(&format!("/api/hq/stores/{id}/make-default"))
                    .token(&admin)
                    .send()
                    .await
            }
        })
        .await;
        for reply in &replies {
            reply.status(200);
        }
        let stores: Vec<StoreView> = app.get("/api/hq/stores").token(&admin).send().await.ok();
        assert_eq!(
            stores.iter().filter(|s| s.is_default).count(),
            1,
            "{stores:#?}"
        );
    }
);

// Issue 10: sixty sends at one instant from one address to sixty phones
// sent thirty-six on PostgreSQL; the address's counter is read and the send
// recorded under the address's lock.
dual_test!(
    sixty_sends_at_once_from_one_address_send_exactly_thirty,
    |app| async move {
        let phones: Vec<String> = (0..60).map(|_| random_phone()).collect();
        let replies = race(60, |i| {
            let (app, phone) = (app.clone(), phones[i].clone());
            async move { app.request_code(&phone).await }
        })
        .await;
        assert_eq!(count(&replies, 200), 30, "{replies:#?}");
        for refused in replies.iter().filter(|r| r.status != 200) {
            refused.error(429, ErrorCode::RateLimited);
        }
        let mut sent = 0;
        for phone in &phones {
            sent += app.outbox(phone).await.len();
        }
        assert_eq!(sent, 30, "one code for each send let through");
    }
);

dual_test!(
    a_region_deleted_while_a_manager_is_named_to_it_never_keeps_the_manager,
    |app| async move {
        use shared::dto::{Role, StaffUpdate};
        let admin = app.login_admin().await;
        let boss = app
            .create_staff(&admin, "boss", Role::HqFinance, None, None)
            .await;
        for round in 0..20 {
            let region = app.create_region(&admin, &format!("新区{round}")).await;
            let replies = race(2, |i| {
                let (app, admin) = (app.clone(), admin.clone());
                async move {
                    if i == 0 {
                        let path = format!("/api/hq/regions/{}", region.id);
                        app.request(reqwest::Method::DELETE, &path)
                            .token(&admin)
                            .send()
                            .await
                    } else {
                        let body = StaffUpdate {
                            name: "区域经理".into(),
                            role: Role::RegionManager,
                            region_id: Some(region.id),
                            store_id: None,
                        };
                        let path = format!("/api/hq/staff/{}", boss.id);
                        app.put(&path).token(&admin).json(&body).send().await
                    }
                }
            })
            .await;
            let deleted = count(&replies, 204) == 1;
            let named = count(&replies, 200) == 1;
            assert!(
                deleted != named,
                "round {round}: exactly one of the two may happen: {replies:#?}"
            );
            for r in replies
                .iter()
                .filter(|r| r.status != 204 && r.status != 200)
            {
                if deleted {
                    r.invalid("region_id");
                } else {
                    r.error(409, ErrorCode::RegionNotEmpty);
                }
            }
        }
    }
);
