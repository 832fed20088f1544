//! The points rules that need no database: when a lot expires, what a
//! payment earns, what a refund takes back.

use super::*;
use chrono::TimeZone;

fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
    chrono_tz::Asia::Shanghai
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .expect("a local instant")
        .timestamp_millis()
}

#[test]
fn a_lot_lasts_to_the_end_of_the_next_calendar_year_in_the_brands_zone() {
    let p = PointsPolicy::default();
    // Earned in the last minutes of 2026 (local): it lasts through 2027.
    assert_eq!(
        expires_at(&p, "Asia/Shanghai", at(2026, 12, 31, 23, 59)),
        at(2028, 1, 1, 0, 0)
    );
    // Ten minutes after local midnight on New Year's Day (still 2025 in
    // UTC): the local year counts.
    assert_eq!(
        expires_at(&p, "Asia/Shanghai", at(2026, 1, 1, 0, 10)),
        at(2028, 1, 1, 0, 0)
    );
    // On 29 February too.
    assert_eq!(
        expires_at(&p, "Asia/Shanghai", at(2028, 2, 29, 12, 0)),
        at(2030, 1, 1, 0, 0)
    );
}

#[test]
fn a_lot_of_n_days_lasts_n_times_24_hours() {
    let p = PointsPolicy {
        expiry_days: 30,
        ..PointsPolicy::default()
    };
    let now = at(2028, 2, 29, 12, 0);
    assert_eq!(expires_at(&p, "Asia/Shanghai", now), now + 30 * 86_400_000);
}

#[test]
fn a_payment_earns_on_whole_yuan_of_the_members_own_money_only() {
    let p = PointsPolicy {
        per_yuan: 2,
        ..PointsPolicy::default()
    };
    let plan = PaymentPlan {
        original: Fen(20_000),
        principal: Fen(5_099),
        bonus: Fen(10_000),
        online: Fen(2_000),
        points: Fen(2_901),
        points_used: 2_901,
        ..PaymentPlan::default()
    };
    let plain = crate::levels::Standing::default();
    // ¥70.99 of principal and online: 70 whole yuan, twice.
    assert_eq!(earned_by(&p, &plan, &plain), 140);
    assert_eq!(earned_by(&PointsPolicy::default(), &plan, &plain), 0);
    // A ×1.5 level: 210; in the birthday month at ×2 as well: 420; at
    // ×1.25 and ×1.1, 192.5 rounds down.
    let mut gold = crate::levels::Standing {
        level: Some(shared::dto::Level {
            id: None,
            name: "金卡".into(),
            threshold: Fen(0),
            pay_rate_bp: 9_500,
            points_rate_bp: 15_000,
            birthday_coupon_id: None,
            look: "gold".into(),
        }),
        ..plain.clone()
    };
    assert_eq!(earned_by(&p, &plan, &gold), 210);
    gold.birthday_month = true;
    let doubled = PointsPolicy {
        birthday_rate_bp: 20_000,
        ..p.clone()
    };
    assert_eq!(earned_by(&doubled, &plan, &gold), 420);
    // The birthday rate alone, outside the birthday month: nothing more.
    assert_eq!(earned_by(&doubled, &plan, &plain), 140);
    if let Some(l) = gold.level.as_mut() {
        l.points_rate_bp = 12_500;
    }
    let tenth_more = PointsPolicy {
        birthday_rate_bp: 11_000,
        ..p
    };
    assert_eq!(earned_by(&tenth_more, &plan, &gold), 192);
}

#[test]
fn refunds_take_back_earned_points_in_proportion_and_all_with_the_last() {
    assert_eq!(earned_back(100, Fen(10_000), Fen(3_333)), 33);
    assert_eq!(earned_back(100, Fen(10_000), Fen(9_999)), 99);
    assert_eq!(earned_back(100, Fen(10_000), Fen(10_000)), 100);
    assert_eq!(
        earned_back(7, Fen(0), Fen(0)),
        7,
        "nothing of their own paid"
    );
}
