//! Creating brands: the `create-brand` subcommand, the demo brand, and the
//! per-test brands of the test suites all go through [`create_brand`].

use crate::clock::Clock;
use crate::db::begin_write;
use crate::entity::{brand, member, money_settings, region, staff, store};
use crate::{audit, password};
use anyhow::{Context, bail};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter,
    Set,
};
use shared::dto::Role;
use shared::validate;

/// A new brand's identity.
pub struct NewBrand<'a> {
    /// URL slug.
    pub slug: &'a str,
    /// Display name.
    pub name: &'a str,
    /// IANA time zone.
    pub time_zone: &'a str,
    /// First HQ admin's account.
    pub admin_account: &'a str,
    /// First HQ admin's password.
    pub admin_password: &'a str,
}

/// Creates a brand with its first HQ admin; returns (brand, admin).
pub async fn create_brand(
    db: &DatabaseConnection,
    clock: &Clock,
    new: NewBrand<'_>,
) -> anyhow::Result<(brand::Model, staff::Model)> {
    let slug = validate::slug(new.slug).map_err(|r| anyhow::anyhow!("slug {r}"))?;
    let account =
        validate::account(new.admin_account).map_err(|r| anyhow::anyhow!("admin account {r}"))?;
    let pw = validate::password(new.admin_password)
        .map_err(|r| anyhow::anyhow!("admin password {r}"))?;
    if new.time_zone.parse::<chrono_tz::Tz>().is_err() {
        bail!("{} is not an IANA time zone", new.time_zone);
    }
    let hash = password::hash(pw).await?;
    let tx = begin_write(db).await?;
    let now = clock.now_ms();
    let b = brand::ActiveModel {
        slug: Set(slug),
        name: Set(new.name.trim().to_string()),
        time_zone: Set(new.time_zone.into()),
        theme_color: Set("#07C160".into()),
        logo_url: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&tx)
    .await
    .context("creating the brand (is the slug taken?)")?;
    let admin = staff::ActiveModel {
        brand_id: Set(b.id),
        account: Set(account),
        name: Set("总部管理员".into()),
        role: Set(Role::HqAdmin.as_str().into()),
        region_id: Set(None),
        store_id: Set(None),
        password_hash: Set(hash),
        active: Set(true),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    let rec = audit::Record::new(shared::dto::AuditAction::BrandCreate, b.slug.clone());
    audit::record(&tx, now, b.id, None, rec).await?;
    tx.commit().await?;
    Ok((b, admin))
}

/// The demo brand's slug.
pub const DEMO_SLUG: &str = "demo";
/// Every demo login uses this password.
pub const DEMO_PASSWORD: &str = "tongka123";
/// A demo login: (account, name, role, region index, store index).
pub type DemoStaff = (
    &'static str,
    &'static str,
    Role,
    Option<usize>,
    Option<usize>,
);

/// Demo staff, one per role.
pub const DEMO_STAFF: [DemoStaff; 5] = [
    ("admin", "王总", Role::HqAdmin, None, None),
    ("finance", "李会计", Role::HqFinance, None, None),
    ("east", "赵经理", Role::RegionManager, Some(0), None),
    ("manager", "陈店长", Role::StoreManager, None, Some(0)),
    ("clerk", "小刘", Role::Clerk, None, Some(0)),
];
/// Demo members: (phone, name).
pub const DEMO_MEMBERS: [(&str, &str); 3] = [
    ("13800000001", "张三"),
    ("13800000002", "李四"),
    ("13900000003", "王五"),
];

/// Seeds the demo brand unless it exists. Returns whether it created it.
pub async fn seed_demo(db: &DatabaseConnection, clock: &Clock) -> anyhow::Result<bool> {
    if brand::Entity::find()
        .filter(brand::Column::Slug.eq(DEMO_SLUG))
        .one(db)
        .await?
        .is_some()
    {
        return Ok(false);
    }
    let (b, admin) = create_brand(
        db,
        clock,
        NewBrand {
            slug: DEMO_SLUG,
            name: "通卡茶饮",
            time_zone: "Asia/Shanghai",
            admin_account: "admin",
            admin_password: DEMO_PASSWORD,
        },
    )
    .await?;
    let hash = password::hash(DEMO_PASSWORD.into()).await?;
    let tx = begin_write(db).await?;
    let now = clock.now_ms();
    // The admin goes by the name the banner lists, not by the role.
    let mut named = admin.into_active_model();
    named.name = Set(DEMO_STAFF[0].1.into());
    named.update(&tx).await?;
    let mut regions = Vec::new();
    for name in ["华东区", "华南区"] {
        let r = region::ActiveModel {
            brand_id: Set(b.id),
            name: Set(name.into()),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&tx)
        .await?;
        regions.push(r);
    }
    let mut stores = Vec::new();
    for (i, (name, region, address, phone)) in [
        (
            "南京西路店",
            0,
            "上海市静安区南京西路 1266 号",
            "021-6288-1001",
        ),
        ("徐家汇店", 0, "上海市徐汇区漕溪北路 88 号", "021-6488-1002"),
        ("天河城店", 1, "广州市天河区天河路 208 号", "020-8555-1003"),
    ]
    .into_iter()
    .enumerate()
    {
        let s = store::ActiveModel {
            brand_id: Set(b.id),
            region_id: Set(regions[region].id),
            name: Set(name.into()),
            address: Set(address.into()),
            phone: Set(phone.into()),
            hours: Set("10:00-22:00".into()),
            is_default: Set(i == 0),
            active: Set(true),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&tx)
        .await?;
        stores.push(s);
    }
    for (account, name, role, region, store) in DEMO_STAFF.iter().skip(1) {
        staff::ActiveModel {
            brand_id: Set(b.id),
            account: Set((*account).into()),
            name: Set((*name).into()),
            role: Set(role.as_str().into()),
            region_id: Set(region.map(|i| regions[i].id)),
            store_id: Set(store.map(|i| stores[i].id)),
            password_hash: Set(hash.clone()),
            active: Set(true),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&tx)
        .await?;
    }
    for (i, (phone, name)) in DEMO_MEMBERS.iter().enumerate() {
        member::ActiveModel {
            brand_id: Set(b.id),
            phone: Set((*phone).into()),
            name: Set((*name).into()),
            birthday: Set(None),
            gender: Set(None),
            home_store_id: Set(Some(stores[i % stores.len()].id)),
            registered_at: Set(now),
            consent_at: Set(now),
            frozen: Set(false),
            invited_by: Set(None),
            ..Default::default()
        }
        .insert(&tx)
        .await?;
    }
    // A catalogue to buy from: two drinks, a 10-cup card and a month card
    // (one cup a day), at every store.
    let mut items = Vec::new();
    for (name, price) in [("招牌奶茶", 1800), ("鲜果茶", 2200)] {
        let i = crate::entity::service_item::ActiveModel {
            brand_id: Set(b.id),
            name: Set(name.into()),
            category: Set("饮品".into()),
            price: Set(price),
            all_stores: Set(true),
            on_sale: Set(true),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&tx)
        .await?;
        items.push(i.id);
    }
    for (name, kind, uses, period, per_day, price, color, about) in [
        (
            "奶茶10杯卡",
            "count",
            Some(10),
            None,
            None,
            15_000,
            "#07C160",
            "任意门店兑换 10 杯招牌奶茶或鲜果茶",
        ),
        (
            "奶茶月卡",
            "period",
            None,
            Some("month"),
            Some(1),
            30_000,
            "#FA9D3B",
            "一个月内每天一杯",
        ),
    ] {
        let t = crate::entity::card_type::ActiveModel {
            brand_id: Set(b.id),
            name: Set(name.into()),
            kind: Set(kind.into()),
            uses: Set(uses),
            period: Set(period.map(str::to_string)),
            per_day_limit: Set(per_day),
            valid_days: Set(None),
            price: Set(price),
            theme_color: Set(color.into()),
            image_hash: Set(None),
            description: Set(about.into()),
            sold_everywhere: Set(true),
            honoured_everywhere: Set(true),
            on_sale: Set(true),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&tx)
        .await?;
        for item in &items {
            crate::entity::card_type_item::Entity::insert(
                crate::entity::card_type_item::ActiveModel {
                    card_type_id: Set(t.id),
                    item_id: Set(*item),
                },
            )
            .exec_without_returning(&tx)
            .await?;
        }
    }
    // Two coupons in the coupon centre: ¥5 off over ¥30 for newcomers,
    // and 10 % off (at most ¥20), both valid 30 days from receipt.
    let mut coupons = Vec::new();
    for (name, kind, off, rate_bp, cap, min_spend, stock, per_member) in [
        ("新人满30减5", "cash", 500, 0, 0, 3_000, 1_000, 1),
        ("全场9折券", "percent", 0, 1_000, 2_000, 0, 500, 2),
    ] {
        let t = crate::entity::coupon_template::ActiveModel {
            brand_id: Set(b.id),
            name: Set(name.into()),
            kind: Set(kind.into()),
            off_amount: Set(off),
            rate_bp: Set(rate_bp),
            cap: Set(cap),
            item_id: Set(None),
            min_spend: Set(min_spend),
            valid_from: Set(None),
            valid_until: Set(None),
            valid_days: Set(Some(30)),
            stock: Set(stock),
            issued: Set(0),
            per_member: Set(per_member),
            all_stores: Set(true),
            claimable: Set(true),
            issuable: Set(true),
            on_sale: Set(true),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&tx)
        .await?;
        coupons.push(t.id);
    }
    // HQ's withdrawal terms, so the demo shows a fee: at least ¥100, ¥2 each.
    let rules = shared::dto::MoneySettings::default();
    money_settings::ActiveModel {
        brand_id: Set(b.id),
        max_balance: Set(rules.max_balance.0),
        max_payment: Set(rules.max_payment.0),
        bonus_settle_bp: Set(rules.bonus_settle_bp as i32),
        allow_custom_topup: Set(rules.allow_custom_topup),
        pin_above: Set(rules.pin_above.0),
        channel_url: Set(None),
        withdraw_min: Set(rules.withdraw_min.0),
        withdraw_fee_fixed: Set(200),
        withdraw_fee_bp: Set(0),
        updated_at: Set(now),
        coupon_quota: Set(rules.coupon_quota),
        write_off_undo_hours: Set(rules.write_off_undo_hours),
        // Points: 1 a yuan, to the end of next year; 100 points pay ¥1, up
        // to half a bill.
        points_per_yuan: Set(1),
        points_expiry_days: Set(0),
        points_step: Set(100),
        points_step_worth: Set(100),
        points_max_share_bp: Set(5_000),
        // Double points in the member's birthday month.
        points_birthday_bp: Set(20_000),
        // Members are told 30 days before points expire.
        points_remind_days: Set(30),
        levels_refund_lower: Set(false),
    }
    .insert(&tx)
    .await?;
    // Levels: every member starts at 普通会员; ¥500 spent makes 银卡 (98折,
    // ×1.2 points), ¥2,000 金卡 (95折, ×1.5), ¥10,000 钻石 (9折, ×2).
    let levels = shared::dto::LevelsPolicy {
        refund_lowers: false,
        levels: [
            ("普通会员", 0, 10_000, 10_000, "plain"),
            ("银卡会员", 50_000, 9_800, 12_000, "silver"),
            ("金卡会员", 200_000, 9_500, 15_000, "gold"),
            ("钻石会员", 1_000_000, 9_000, 20_000, "diamond"),
        ]
        .into_iter()
        .map(|(name, threshold, pay, points, look)| shared::dto::Level {
            id: None,
            name: name.into(),
            threshold: shared::money::Fen(threshold),
            pay_rate_bp: pay,
            points_rate_bp: points,
            birthday_coupon_id: None,
            look: look.into(),
        })
        .collect(),
    };
    crate::levels::save(&tx, b.id, &levels, now)
        .await
        .map_err(|e| anyhow::anyhow!("demo levels: {e:?}"))?;
    // Daily sign-in: 10 points a day, 30 more on the 3rd day in a row and
    // 100 on the 7th.
    let sign_in = shared::dto::SignInPolicy {
        enabled: true,
        daily_points: 10,
        streak_rewards: vec![
            shared::dto::StreakReward { day: 3, points: 30 },
            shared::dto::StreakReward {
                day: 7,
                points: 100,
            },
        ],
    };
    crate::sign_in::save_policy(&tx, b.id, &sign_in, now).await?;
    // Invites: when a friend's first payment of ¥10 or more from their own
    // money has stayed unrefunded 7 days, the inviter gets 100 points and
    // the friend 50 and the newcomers' coupon; at most 10 a day.
    let invites = shared::dto::InvitePolicy {
        enabled: true,
        trigger: shared::dto::InviteTrigger::FirstPayment,
        min_payment: shared::money::Fen(1_000),
        window_days: 7,
        daily_cap: 10,
        inviter: shared::dto::InviteReward {
            points: 100,
            coupon_template_id: None,
        },
        invitee: shared::dto::InviteReward {
            points: 50,
            coupon_template_id: coupons.first().copied(),
        },
    };
    crate::invites::save_policy(&tx, b.id, &invites, now).await?;
    tx.commit().await?;
    Ok(true)
}
