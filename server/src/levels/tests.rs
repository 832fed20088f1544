use super::*;

fn level(name: &str, threshold: i64, pay_rate_bp: u32) -> Level {
    Level {
        id: None,
        name: name.into(),
        threshold: Fen(threshold),
        pay_rate_bp,
        points_rate_bp: 10_000,
        birthday_coupon_id: None,
        look: "gold".into(),
    }
}

fn reason(e: AppError) -> (String, String) {
    let AppError::Api { params, .. } = e else {
        panic!("not a field error: {e:?}")
    };
    (params["field"].clone(), params["reason"].clone())
}

#[test]
fn levels_are_sorted_and_each_wrong_field_is_named() {
    let p = checked(LevelsPolicy {
        refund_lowers: false,
        levels: vec![level(" 金卡 ", 100_000, 9_500), level("普通", 0, 10_000)],
    })
    .expect("valid levels");
    assert_eq!(p.levels[0].name, "普通");
    assert_eq!(p.levels[1].name, "金卡");
    let wrong = |l: Level| {
        reason(
            checked(LevelsPolicy {
                refund_lowers: false,
                levels: vec![level("普通", 0, 10_000), l],
            })
            .expect_err("refused"),
        )
    };
    assert_eq!(wrong(level("  ", 1, 10_000)).1, "required");
    assert_eq!(wrong(level("金", 0, 10_000)).1, "threshold_taken");
    assert_eq!(wrong(level("普通", 5, 10_000)).1, "name_taken");
    assert_eq!(wrong(level("金", 5, 4_999)).1, "level_rate_range");
    assert_eq!(wrong(level("金", -1, 9_000)).1, "threshold_range");
    assert_eq!(
        wrong(Level {
            points_rate_bp: 9_999,
            ..level("金", 5, 9_000)
        })
        .0,
        "points_rate_bp"
    );
    assert_eq!(
        wrong(Level {
            look: "rainbow".into(),
            ..level("金", 5, 9_000)
        })
        .0,
        "look"
    );
}

#[test]
fn the_level_is_the_highest_threshold_reached_and_refunds_lower_it_only_if_hq_says() {
    let mut p = LevelsPolicy {
        refund_lowers: false,
        levels: vec![level("普通", 0, 10_000), level("金卡", 100_000, 9_500)],
    };
    let name = |p: &LevelsPolicy, spent, peak| {
        p.level_for(p.counted(Fen(spent), Fen(peak)))
            .map(|l| l.name.clone())
    };
    assert_eq!(name(&p, 99_999, 99_999).as_deref(), Some("普通"));
    assert_eq!(name(&p, 100_000, 100_000).as_deref(), Some("金卡"));
    // Refunded below the threshold: kept, unless HQ lets refunds lower it.
    assert_eq!(name(&p, 50_000, 100_000).as_deref(), Some("金卡"));
    p.refund_lowers = true;
    assert_eq!(name(&p, 50_000, 100_000).as_deref(), Some("普通"));
    assert_eq!(
        p.next_after(Fen(50_000)).expect("a next level").name,
        "金卡"
    );
    assert!(p.next_after(Fen(100_000)).is_none());
}

#[test]
fn the_birthday_month_is_the_brands_local_month_and_29_february_is_february() {
    // 2027-01-31 16:30 UTC is 2027-02-01 00:30 in Shanghai.
    let feb_first_local = 1_801_413_000_000;
    assert_eq!(
        crate::clock::rfc3339(feb_first_local),
        "2027-01-31T16:30:00Z"
    );
    assert!(birthday_month(
        Some("2000-02-29"),
        "Asia/Shanghai",
        feb_first_local
    ));
    assert!(!birthday_month(Some("2000-02-29"), "UTC", feb_first_local));
    assert!(!birthday_month(None, "Asia/Shanghai", feb_first_local));
}
