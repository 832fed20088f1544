//! The one JSON error envelope and its catalogue of messages in both languages.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A user-facing language. zh-CN is the default everywhere.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Lang {
    /// Simplified Chinese (the default).
    #[default]
    #[serde(rename = "zh-CN")]
    Zh,
    /// English.
    #[serde(rename = "en")]
    En,
}

impl Lang {
    /// Picks the language from an `Accept-Language` style value: English only
    /// when it is asked for first, Chinese otherwise.
    pub fn from_header(value: &str) -> Lang {
        let first = value
            .split(',')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if first.starts_with("en") {
            Lang::En
        } else {
            Lang::Zh
        }
    }

    /// The BCP 47 tag sent in `Accept-Language`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }
}

/// Stable machine codes of every error the API returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The body is not valid JSON or does not fit the expected shape.
    MalformedRequest,
    /// A field failed validation; params: `field`, `reason`.
    InvalidField,
    /// The body has a field the endpoint does not know; params: `field`.
    UnknownField,
    /// The body is larger than the API takes; params: `max_kb`.
    PayloadTooLarge,
    /// No such route or resource.
    NotFound,
    /// The request needs a login.
    Unauthenticated,
    /// Logged in, but this role or scope may not do this.
    Forbidden,
    /// The SMS code is wrong; params: `remaining` attempts.
    WrongSmsCode,
    /// The SMS code has expired or was already used.
    SmsCodeExpired,
    /// Too many wrong guesses for this code; a new one is needed.
    SmsCodeLocked,
    /// Sending is rate limited; params: `retry_after` seconds.
    RateLimited,
    /// Registration needs consent to the privacy terms.
    ConsentRequired,
    /// Account or password wrong.
    WrongCredentials,
    /// The staff account is deactivated.
    AccountDeactivated,
    /// Too many wrong passwords: the account is locked for a while (HQ admin
    /// can unlock it); params: `retry_after` seconds.
    AccountLocked,
    /// Too many wrong attempts from this address; params: `retry_after`
    /// seconds.
    TooManyAttempts,
    /// The member account is frozen.
    MemberFrozen,
    /// A unique value is already taken; params: `field`.
    AlreadyExists,
    /// The default store cannot be closed.
    DefaultStoreClosed,
    /// A region with stores or a region manager cannot be deleted; params:
    /// `stores`, `staff`.
    RegionNotEmpty,
    /// The current password given for a change is wrong.
    WrongCurrentPassword,
    /// The brand does not exist.
    BrandNotFound,
    /// No member of this brand has the phone number staff typed.
    MemberNotRegistered,
    /// A conflicting state; params: `reason`.
    Conflict,
    /// Not enough stored value; params: `balance`.
    InsufficientBalance,
    /// The top-up would pass the brand's balance cap; params: `max`, `room`.
    BalanceLimit,
    /// A new balance cap below what some members hold needs HQ's
    /// confirmation; params: `members`, `max`.
    CapBelowBalances,
    /// Above the brand's per-payment maximum; params: `max`.
    AmountTooLarge,
    /// A value-moving request needs an `Idempotency-Key` header.
    IdempotencyKeyMissing,
    /// The key was used with a different request.
    IdempotencyKeyReused,
    /// The first request with this key is still running; retry shortly.
    RequestInProgress,
    /// The store is closed.
    StoreClosed,
    /// An account with stored value left cannot be closed: 退卡 first;
    /// params: `balance`.
    AccountHasBalance,
    /// The member closed their account (注销): there is nothing to act on.
    MemberClosed,
    /// More than is left to refund; params: `refundable`.
    RefundTooLarge,
    /// The refund would overdraw the store wallet; HQ must do it; params: `available`.
    WalletShortfall,
    /// There is no stored value to refund.
    NothingToRefund,
    /// The one-off pay code was paid already or has expired.
    PayCodeUsed,
    /// The payment gateway did not answer; nothing was charged.
    GatewayUnavailable,
    /// No payment gateway is configured: members cannot pay online.
    GatewayNotConfigured,
    /// The gateway order is closed and can no longer be paid.
    OrderClosed,
    /// This payment needs the member's payment PIN; params: `above`.
    PinRequired,
    /// The member's points changed since they saw the plan (expired, or
    /// spent by another payment): nothing was booked; params: `points`,
    /// what the payment would spend now.
    PointsChanged,
    /// What the member pays changed since they saw the plan (their level
    /// changed meanwhile): nothing was booked; params: `payable`, what it
    /// comes to now (fen).
    PriceChanged,
    /// The payment PIN is wrong; params: `remaining` attempts.
    WrongPin,
    /// Too many wrong PINs; params: `retry_after` seconds.
    PinLocked,
    /// The member has not set a payment PIN yet; params: `above`.
    PinNotSet,
    /// The PIN was reset by SMS less than 24 hours ago: only payments within
    /// the PIN-free limit go through; params: `above`, `retry_after`
    /// seconds.
    PinRecentlyReset,
    /// Below HQ's minimum withdrawal; params: `min`.
    WithdrawalBelowMinimum,
    /// More than the wallet's available amount; params: `available`.
    WithdrawalAboveAvailable,
    /// The fee would take the whole amount; params: `fee`.
    WithdrawalFeeTooHigh,
    /// The store has no approved payee account yet.
    PayeeMissing,
    /// A payee change is already waiting for HQ finance.
    PayeeChangePending,
    /// The withdrawal or payee change is no longer in a state that allows
    /// this; params: `state`.
    StateChanged,
    /// Nobody approves their own request.
    OwnRequest,
    /// The card type is not on sale.
    CardOffSale,
    /// The card type is not sold at this store.
    CardNotSoldHere,
    /// The card is not honoured at this store.
    CardNotHonouredHere,
    /// The card does not cover this service item.
    ItemNotOnCard,
    /// The card has no uses left.
    NoUsesLeft,
    /// The card's uses for today are taken; params: `limit`.
    DailyLimitReached,
    /// The card was refunded or has expired; params: `state`.
    CardClosed,
    /// The coupon is not offered (off, not in the coupon centre, not for
    /// staff to issue, or past its last day).
    CouponNotOffered,
    /// None of this coupon is left.
    CouponOutOfStock,
    /// The member holds as many of this coupon as one may; params: `limit`.
    CouponLimitReached,
    /// This staff member has issued today's quota of coupons; params:
    /// `quota`.
    CouponQuotaReached,
    /// The coupon cannot pay this bill; params: `reason` (`used`, `in_use`,
    /// `expired`, `not_yet`, `store`, `min_spend` with `min`, `item_only`).
    CouponNotUsable,
    /// What was scanned or typed is not a member code this brand takes;
    /// params: `reason` (`malformed`, `pay_code`, `unknown`: not this
    /// brand's, `forged`, `expired`, `used`).
    MemberCodeRefused,
    /// The write-off ticket ran out (or belongs to another clerk or store):
    /// scan the member code again.
    TicketExpired,
    /// A write-off cannot be undone; params: `reason` (`undone`: it already
    /// was; `window` with `hours`: HQ's window has passed; `card_expired`:
    /// a card it used is past its end; `card_refunded`: a card it used was
    /// refunded).
    WriteOffUndoRefused,
    /// The brand has no daily sign-in (HQ has not switched it on).
    SignInOff,
    /// The brand has no invite programme (HQ has not switched it on).
    InviteOff,
    /// Something failed on our side; the detail is in the server log.
    Internal,
}

impl ErrorCode {
    /// The HTTP statuses the server answers this code with (the first is
    /// the usual one), for the API's documentation.
    pub fn statuses(self) -> &'static [u16] {
        use ErrorCode::*;
        match self {
            MalformedRequest => &[400, 415, 422],
            InvalidField => &[422, 400],
            IdempotencyKeyMissing | WrongSmsCode | SmsCodeExpired => &[400],
            Unauthenticated | WrongCredentials => &[401],
            Forbidden | MemberFrozen | AccountDeactivated | OwnRequest => &[403],
            NotFound | BrandNotFound | MemberNotRegistered => &[404],
            AlreadyExists | Conflict | CapBelowBalances | DefaultStoreClosed | RegionNotEmpty
            | AccountHasBalance | MemberClosed | IdempotencyKeyReused | RequestInProgress
            | StateChanged | WalletShortfall | PayeeChangePending | CardClosed
            | WriteOffUndoRefused => &[409],
            PayloadTooLarge => &[413],
            UnknownField
            | ConsentRequired
            | WrongCurrentPassword
            | InsufficientBalance
            | BalanceLimit
            | AmountTooLarge
            | StoreClosed
            | RefundTooLarge
            | NothingToRefund
            | PayCodeUsed
            | OrderClosed
            | PinRequired
            | PointsChanged
            | PriceChanged
            | WrongPin
            | PinNotSet
            | WithdrawalBelowMinimum
            | WithdrawalAboveAvailable
            | WithdrawalFeeTooHigh
            | PayeeMissing
            | CardOffSale
            | CardNotSoldHere
            | CardNotHonouredHere
            | ItemNotOnCard
            | NoUsesLeft
            | DailyLimitReached
            | CouponNotOffered
            | CouponOutOfStock
            | CouponLimitReached
            | CouponNotUsable
            | MemberCodeRefused
            | TicketExpired
            | SignInOff
            | InviteOff => &[422],
            SmsCodeLocked | RateLimited | AccountLocked | TooManyAttempts | PinLocked
            | PinRecentlyReset | CouponQuotaReached => &[429],
            Internal => &[500],
            GatewayUnavailable | GatewayNotConfigured => &[503],
        }
    }
}

/// The JSON error envelope: `{"error": {"code", "message", "params"}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorEnvelope {
    /// The error itself.
    pub error: ApiError,
}

/// One error as sent to a client.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiError {
    /// Stable machine code.
    pub code: ErrorCode,
    /// Human message in the request's language (a fallback for clients).
    pub message: String,
    /// Parameters the message is built from.
    #[serde(default)]
    pub params: BTreeMap<String, String>,
}

impl ApiError {
    /// An error with its message rendered in `lang`.
    pub fn new(code: ErrorCode, params: BTreeMap<String, String>, lang: Lang) -> Self {
        let message = message(code, &params, lang);
        ApiError {
            code,
            message,
            params,
        }
    }

    /// The message for this error in `lang`, from the shared catalogue.
    pub fn localized(&self, lang: Lang) -> String {
        message(self.code, &self.params, lang)
    }
}

fn param<'a>(params: &'a BTreeMap<String, String>, key: &str) -> &'a str {
    params.get(key).map(String::as_str).unwrap_or("")
}

/// The human name of a form field, for error messages (the server's
/// catalogue: every field, with its JSON name where none is known).
pub fn field_name(field: &str, lang: Lang) -> &str {
    any_field(field).map_or(field, |t| pick(t, lang))
}

/// A `(zh, en)` pair of texts.
type Texts = (&'static str, &'static str);

fn pick(texts: Texts, lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => texts.0,
        Lang::En => texts.1,
    }
}

fn lookup(table: &[(&str, Texts)], name: &str) -> Option<Texts> {
    table.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

fn member_field(field: &str) -> Option<Texts> {
    lookup(MEMBER_FIELDS, field)
}

fn member_reason(reason: &str) -> Option<Texts> {
    lookup(MEMBER_REASONS, reason)
}

fn any_field(field: &str) -> Option<Texts> {
    member_field(field).or_else(|| lookup(STAFF_FIELDS, field))
}

/// The fields a member's screens and the member API name.
const MEMBER_FIELDS: &[(&str, Texts)] = &[
    ("phone", ("手机号", "phone number")),
    ("code", ("验证码", "verification code")),
    ("member_name", ("姓名", "name")),
    ("birthday", ("生日", "birthday")),
    ("gender", ("性别", "gender")),
    ("store_id", ("门店", "store")),
    ("body", ("请求内容", "request body")),
    ("amount", ("金额", "amount")),
    ("idempotency_key", ("请求编号", "Idempotency-Key")),
    ("plan_id", ("充值方案", "top-up plan")),
    ("pin", ("支付密码", "payment PIN")),
    ("pay_request", ("收款码", "pay code")),
    ("pin_again", ("确认支付密码", "PIN again")),
    ("q", ("搜索内容", "search")),
    ("current", ("当前支付密码", "current PIN")),
    ("pin_above", ("免密额度", "PIN-free limit")),
    ("reason", ("原因", "reason")),
    ("from", ("开始日期", "start date")),
    ("to", ("结束日期", "end date")),
    ("state", ("状态", "state")),
    ("template_id", ("优惠券", "coupon")),
    ("use_points", ("积分抵扣", "paying with points")),
    ("id", ("编号", "id")),
    ("kind", ("类型", "kind")),
    ("card_type_id", ("卡种", "card type")),
    ("coupon_id", ("优惠券", "coupon")),
    ("card_id", ("卡", "card")),
    ("month", ("月份", "month")),
    ("invite_code", ("邀请码", "invite code")),
];

/// The fields only staff screens name.
const STAFF_FIELDS: &[(&str, Texts)] = &[
    ("store_phone", ("电话", "phone")),
    ("name", ("名称", "name")),
    ("account", ("账号", "account")),
    ("password", ("密码", "password")),
    ("address", ("地址", "address")),
    ("hours", ("营业时间", "opening hours")),
    ("region_id", ("区域", "region")),
    ("role", ("角色", "role")),
    ("slug", ("品牌标识", "brand slug")),
    ("time_zone", ("时区", "time zone")),
    ("theme_color", ("主题色", "theme colour")),
    ("pay", ("充值金额", "price")),
    ("bonus", ("赠送金额", "bonus")),
    ("max_balance", ("储值上限", "balance cap")),
    ("max_payment", ("单笔上限", "payment maximum")),
    (
        "bonus_settle_bp",
        ("赠送金结算比例", "bonus settlement rate"),
    ),
    ("member_phone", ("会员手机号", "member's phone")),
    ("channel_url", ("视频号链接", "channel link")),
    ("account_name", ("户名", "account holder")),
    ("bank_name", ("开户行", "bank")),
    ("account_no", ("银行账号", "account number")),
    ("withdraw_min", ("最低提现金额", "minimum withdrawal")),
    (
        "withdraw_fee_fixed",
        ("每笔提现手续费", "fee per withdrawal"),
    ),
    ("withdraw_fee_bp", ("提现手续费率", "withdrawal fee rate")),
    ("reference", ("转账流水号", "transfer reference")),
    ("category", ("分类", "category")),
    ("price", ("价格", "price")),
    ("store_ids", ("门店", "stores")),
    ("off", ("减免金额", "amount off")),
    ("rate_bp", ("折扣比例", "share off")),
    ("cap", ("最高减免", "most off")),
    ("item_id", ("服务项目", "service item")),
    ("min_spend", ("最低消费", "minimum spend")),
    ("valid_from", ("生效日期", "first day")),
    ("valid_until", ("截止日期", "last day")),
    ("stock", ("发放总量", "stock")),
    ("per_member", ("每人限领", "limit per member")),
    (
        "coupon_quota",
        ("每人每日发券上限", "daily coupon quota per staff member"),
    ),
    (
        "write_off_undo_hours",
        ("核销可撤销时间", "hours a write-off may be undone"),
    ),
    ("per_yuan", ("每元积分", "points per yuan")),
    ("expiry_days", ("积分有效天数", "days points last")),
    ("step", ("积分抵扣单位", "points per step")),
    ("step_worth", ("每单位抵扣金额", "worth of a step")),
    (
        "max_share_bp",
        ("积分最高抵扣比例", "most of a bill points may pay"),
    ),
    (
        "birthday_rate_bp",
        ("生日月积分倍数", "birthday-month points multiplier"),
    ),
    ("levels", ("会员等级", "member levels")),
    (
        "threshold",
        ("升级门槛（累计消费）", "threshold (cumulative spend)"),
    ),
    ("pay_rate_bp", ("等级折扣", "level discount")),
    ("points_rate_bp", ("积分倍数", "points multiplier")),
    ("birthday_coupon_id", ("生日礼券", "birthday coupon")),
    ("look", ("卡面", "card look")),
    ("item_ids", ("服务项目", "service items")),
    ("uses", ("次数", "number of uses")),
    ("period", ("周期", "period")),
    ("per_day_limit", ("每日限用次数", "uses a day")),
    ("valid_days", ("有效天数", "days valid")),
    ("image_hash", ("卡面图片", "card image")),
    ("description", ("说明", "description")),
    ("sold_store_ids", ("售卖门店", "stores selling it")),
    ("honoured_store_ids", ("适用门店", "stores honouring it")),
    ("ends_on", ("有效期至", "valid until")),
    ("image", ("图片", "image")),
    (
        "remind_days",
        ("积分到期提醒天数", "days of notice before points expire"),
    ),
    ("count", ("次数", "number of uses")),
    ("action", ("操作", "action")),
    ("daily_points", ("每日签到积分", "points a day")),
    ("streak_rewards", ("连续签到奖励", "streak rewards")),
    ("streak_day", ("连续签到天数", "day of the streak")),
    (
        "streak_points",
        ("连续签到奖励积分", "streak reward points"),
    ),
    ("points", ("奖励积分", "reward points")),
    ("min_payment", ("首单最低金额", "least first payment")),
    ("window_days", ("退款观察期", "refund window")),
    ("daily_cap", ("每日奖励上限", "rewards a day")),
];

/// A withdrawal's or payee change's state, in words.
pub fn withdrawal_state_name(state: &str, lang: Lang) -> &str {
    let (zh, en) = match state {
        "requested" => ("待审核", "waiting for approval"),
        "pending" => ("待审核", "waiting for approval"),
        "approved" => ("已批准", "approved"),
        "submitted" => ("打款中", "being paid"),
        "paid" => ("已到账", "paid"),
        "failed" => ("打款失败", "payout failed"),
        "unknown" => ("打款结果待确认", "payout being confirmed"),
        "cancelled" => ("已撤回", "cancelled"),
        "rejected" => ("已驳回", "rejected"),
        "superseded" => ("已被替换", "replaced"),
        _ => return state,
    };
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

fn any_reason(reason: &str) -> Option<Texts> {
    member_reason(reason).or_else(|| lookup(STAFF_REASONS, reason))
}

/// Why a field a member fills in is invalid, in words.
const MEMBER_REASONS: &[(&str, Texts)] = &[
    ("required", ("不能为空", "is required")),
    ("too_long", ("过长", "is too long")),
    ("too_short", ("过短", "is too short")),
    (
        "phone_format",
        (
            "应为 11 位中国大陆手机号",
            "must be an 11-digit mainland China mobile number",
        ),
    ),
    ("code_format", ("应为 6 位数字", "must be 6 digits")),
    (
        "date_format",
        (
            "格式不对，应为真实的日期（年-月-日）",
            "must be a valid date (YYYY-MM-DD)",
        ),
    ),
    ("date_future", ("不能晚于今天", "cannot be in the future")),
    ("unknown", ("不存在", "does not exist")),
    (
        "birthday_set",
        (
            "已设置，不能自行修改；如需更正请联系门店",
            "is set and cannot be changed here: ask a store to correct it",
        ),
    ),
    (
        "points_cannot_pay",
        (
            "暂不可用：本品牌积分不能抵扣消费",
            "is not available: this brand's points do not pay bills",
        ),
    ),
    (
        "plan_amount",
        (
            "与所选充值方案的金额不符",
            "does not match the chosen plan's price",
        ),
    ),
    (
        "idempotency_key_format",
        (
            "应为 1–128 个可见 ASCII 字符",
            "must be 1–128 visible ASCII characters",
        ),
    ),
    (
        "amount_format",
        ("应为数字，如 12.50", "must be an amount like 12.50"),
    ),
    (
        "amount_fraction",
        (
            "最多两位小数（精确到分）",
            "can have at most two decimals (fen)",
        ),
    ),
    ("amount_positive", ("必须大于 0", "must be more than zero")),
    ("pin_format", ("应为 6 位数字", "must be 6 digits")),
    (
        "pay_code_amount",
        ("与收款码金额不符", "does not match the pay code's amount"),
    ),
    (
        "date_order",
        ("不能晚于结束日期", "cannot be after the end date"),
    ),
    (
        "range_too_long",
        (
            "与开始日期相隔不能超过 92 天",
            "can be at most 92 days after the start date",
        ),
    ),
    (
        "pin_weak",
        (
            "太简单（不能是相同或连续的数字）",
            "is too easy to guess (no repeated or sequential digits)",
        ),
    ),
    ("amount_too_large", ("过大", "is too large")),
    ("emoji", ("不能包含表情符号", "cannot contain emoji")),
    (
        "control_chars",
        (
            "含有不可见的控制字符",
            "contains control characters that are not allowed",
        ),
    ),
    (
        "month_format",
        ("应为年-月，如 2026-03", "must be a month like 2026-03"),
    ),
    (
        "invite_code_format",
        ("应为 8 位字母或数字", "must be 8 letters or digits"),
    ),
    (
        "invite_code_unknown",
        ("不存在或已失效", "does not exist or no longer works"),
    ),
];

/// Why a field only staff fill in is invalid, in words.
const STAFF_REASONS: &[(&str, Texts)] = &[
    (
        "account_format",
        (
            "只能用 3–32 位小写字母、数字、下划线或点",
            "must be 3–32 lowercase letters, digits, _ or .",
        ),
    ),
    (
        "password_weak",
        (
            "至少 8 位，且同时包含字母和数字",
            "needs at least 8 characters with letters and digits",
        ),
    ),
    (
        "slug_format",
        (
            "只能用 2–32 位小写字母、数字或连字符",
            "must be 2–32 lowercase letters, digits or hyphens",
        ),
    ),
    (
        "time_zone",
        (
            "无效（应如 Asia/Shanghai）",
            "is not a valid time zone (like Asia/Shanghai)",
        ),
    ),
    (
        "color_format",
        (
            "应为 #RRGGBB 格式，如 #07C160",
            "must be a #RRGGBB colour, like #07C160",
        ),
    ),
    (
        "store_phone_format",
        (
            "应为电话号码（数字和连字符）",
            "must be a phone number (digits and hyphens)",
        ),
    ),
    (
        "image_format",
        (
            "只能是 PNG、JPEG 或 WebP 格式的图片",
            "must be a PNG, JPEG or WebP picture",
        ),
    ),
    ("image_size", ("不能超过 1 MB", "must be at most 1 MB")),
    (
        "image_pixels",
        (
            "尺寸过大（每边最多 4096 像素）",
            "is too large (at most 4096 pixels a side)",
        ),
    ),
    (
        "stores_required",
        ("至少选择一家", "needs at least one store"),
    ),
    ("items_required", ("至少选择一个", "needs at least one")),
    ("uses_range", ("应为 1–1000 次", "must be 1–1000 uses")),
    ("days_range", ("应为 1–3650 天", "must be 1–3650 days")),
    ("quota_range", ("应为 0–1000 张", "must be 0–1000")),
    (
        "undo_hours_range",
        ("应为 1–720 小时", "must be 1–720 hours"),
    ),
    (
        "points_rate_range",
        ("应为 0–100 分", "must be 0–100 points"),
    ),
    (
        "points_days_range",
        (
            "应为 0–3650 天（0 表示次年年底到期）",
            "must be 0–3650 days (0: the end of the next year)",
        ),
    ),
    (
        "points_step_range",
        ("应为 1–100000 分", "must be 1–100,000 points"),
    ),
    (
        "points_worth_range",
        ("应在 ¥0.01–¥100 之间", "must be between ¥0.01 and ¥100"),
    ),
    ("remind_days_range", ("应为 0–90 天", "must be 0–90 days")),
    ("multiplier_range", ("应为 1–10 倍", "must be ×1 to ×10")),
    (
        "level_rate_range",
        (
            "应为 5–10 折（10 折即不打折）",
            "must pay 50 %–100 % of the bill (100 %: no discount)",
        ),
    ),
    (
        "threshold_range",
        (
            "应为 ¥0–¥100,000,000",
            "must be between ¥0 and ¥100,000,000",
        ),
    ),
    (
        "threshold_taken",
        ("与另一等级的门槛相同", "is the same as another level's"),
    ),
    (
        "name_taken",
        ("与另一等级同名", "is another level's name too"),
    ),
    (
        "levels_count",
        ("最多 10 个等级", "can be 10 levels at most"),
    ),
    (
        "stock_below_issued",
        (
            "不能少于已发放的数量",
            "cannot be below how many were given out",
        ),
    ),
    ("stock_range", ("应为 1–1000000 张", "must be 1–1,000,000")),
    ("per_member_range", ("应为 1–100 张", "must be 1–100")),
    (
        "coupon_rate_range",
        ("应在 0.01%–99.99% 之间", "must be between 0.01% and 99.99%"),
    ),
    (
        "validity_required",
        (
            "请设置固定日期或领取后有效天数（二选一）",
            "needs fixed dates or days from receipt (one of the two)",
        ),
    ),
    (
        "validity_both",
        (
            "固定日期与领取后有效天数只能选一种",
            "takes fixed dates or days from receipt, not both",
        ),
    ),
    ("date_past", ("不能早于今天", "cannot be before today")),
    ("per_day_range", ("应为 1–100 次", "must be 1–100 a day")),
    (
        "write_off_empty",
        (
            "请至少选择一项要核销的次数或优惠券",
            "needs at least one use or coupon to write off",
        ),
    ),
    (
        "write_off_count_range",
        ("每项应为 1–20 次", "must be 1–20 uses each"),
    ),
    (
        "count_card_only",
        ("仅次卡可设置", "applies to count cards only"),
    ),
    (
        "period_card_only",
        ("仅周期卡可设置", "applies to period cards only"),
    ),
    (
        "ends_on_later",
        (
            "应晚于当前有效期，且不早于今天",
            "must be after the current end date and not before today",
        ),
    ),
    (
        "no_end_date",
        ("该卡不限期，无需延期", "this card never expires"),
    ),
    (
        "unchangeable",
        ("创建后不能修改", "cannot be changed once created"),
    ),
    (
        "rate_range",
        ("应在 0%–100% 之间", "must be between 0% and 100%"),
    ),
    (
        "bonus_range",
        (
            "不能为负，也不能超过充值金额",
            "cannot be negative or more than the price",
        ),
    ),
    (
        "fee_below_min",
        ("应低于最低提现金额", "must be below the minimum withdrawal"),
    ),
    (
        "fee_rate_range",
        ("应在 0%–10% 之间", "must be between 0% and 10%"),
    ),
    (
        "account_no_format",
        ("应为 8–32 位数字", "must be 8–32 digits"),
    ),
    (
        "url_format",
        (
            "应为 https:// 开头的链接",
            "must be a link starting with https://",
        ),
    ),
    (
        "scope",
        (
            "不在所选角色的工作范围内",
            "does not match the role's scope",
        ),
    ),
    ("store_closed", ("已关闭", "is closed")),
    ("reference_format", ("不能含空格", "cannot contain spaces")),
    (
        "plan_above_cap",
        (
            "加上赠送金额后超过储值上限",
            "with its bonus is more than the balance cap",
        ),
    ),
    (
        "above_cash",
        (
            "不能超过门店待上缴的现金",
            "cannot be more than the cash the store holds",
        ),
    ),
    (
        "search_format",
        (
            "应为金额（如 30.50）或会员手机号后 4 位以上",
            "must be an amount (like 30.50) or at least the last 4 digits of a phone",
        ),
    ),
    (
        "sign_in_points_range",
        ("应为 0–1000 分", "must be 0–1,000 points"),
    ),
    ("streak_rewards_count", ("最多 10 项", "can be 10 at most")),
    ("streak_day_range", ("应为第 2–365 天", "must be day 2–365")),
    (
        "streak_day_taken",
        ("与另一项奖励的天数相同", "is another reward's day too"),
    ),
    (
        "sign_in_no_reward",
        (
            "为 0 时须至少设一项连续签到奖励",
            "cannot be 0 without a streak reward",
        ),
    ),
    (
        "invite_points_range",
        ("应为 0–100000 分", "must be 0–100,000 points"),
    ),
    (
        "invite_min_payment_range",
        ("应为 0.01–10000 元", "must be ¥0.01–10,000"),
    ),
    ("invite_window_range", ("应为 1–30 天", "must be 1–30 days")),
    ("coupon_off_sale", ("已停止发放", "is not on offer")),
    (
        "invite_cap_range",
        ("应为每天 1–100 人", "must be 1–100 a day"),
    ),
    (
        "invite_no_reward",
        (
            "邀请人和好友至少一方须有奖励",
            "must give the inviter or the friend something",
        ),
    ),
];

/// The message of an [`ErrorCode::InvalidField`] error: the field's name
/// and what is wrong with it, from every field text (the server's
/// catalogue; a name it lacks is shown as sent).
pub fn invalid_field(params: &BTreeMap<String, String>, lang: Lang) -> String {
    let (field, reason) = field_and_reason(params);
    let field = field_name(field, lang);
    let reason = any_reason(reason).map_or(reason, |t| pick(t, lang));
    field_sentence(field, reason, lang)
}

/// The field a field error names for people, and why it is wrong.
fn field_and_reason(params: &BTreeMap<String, String>) -> (&str, &str) {
    // `label` names the field for people when its JSON name is ambiguous
    // (a store's `phone` is not a mobile number).
    let field = params
        .get("label")
        .map(String::as_str)
        .unwrap_or_else(|| param(params, "field"));
    (field, param(params, "reason"))
}

fn field_sentence(field: &str, reason: &str, lang: Lang) -> String {
    if lang == Lang::Zh {
        format!("{field}{reason}")
    } else {
        format!("The {field} {reason}")
    }
}

/// The field texts an app carries in its entry, so that its field errors
/// (its own checks and the server's) follow a change of language. Every
/// other error an app shows is the server's message, in the language the
/// request asked for: the apps do not carry the whole catalogue. A member's
/// app carries only [`FieldTexts::MEMBER`], which keeps the staff screens'
/// many texts out of its first load.
#[derive(Clone, Copy)]
pub struct FieldTexts {
    field: fn(&str) -> Option<Texts>,
    reason: fn(&str) -> Option<Texts>,
}

impl FieldTexts {
    /// The fields and reasons a member's screens and the member API name.
    pub const MEMBER: FieldTexts = FieldTexts {
        field: member_field,
        reason: member_reason,
    };
    /// Every field and reason (staff screens name members' fields too).
    pub const ALL: FieldTexts = FieldTexts {
        field: any_field,
        reason: any_reason,
    };

    /// The message of a field error, if these texts know both its field
    /// and its reason (else the caller shows the server's message).
    pub fn invalid_field(&self, params: &BTreeMap<String, String>, lang: Lang) -> Option<String> {
        let (field, reason) = field_and_reason(params);
        let field = (self.field)(field)?;
        let reason = (self.reason)(reason)?;
        Some(field_sentence(pick(field, lang), pick(reason, lang), lang))
    }
}

/// Renders the catalogue message of `code` in `lang`.
pub fn message(code: ErrorCode, params: &BTreeMap<String, String>, lang: Lang) -> String {
    use ErrorCode::*;
    let zh = lang == Lang::Zh;
    match code {
        MalformedRequest => {
            if zh {
                "请求格式不正确".into()
            } else {
                "The request is malformed".into()
            }
        }
        UnknownField => {
            let field = param(params, "field");
            if zh {
                format!("请求中有无法识别的字段：{field}")
            } else {
                format!("The request has a field this endpoint does not take: {field}")
            }
        }
        PayloadTooLarge => {
            let kb = param(params, "max_kb");
            if zh {
                format!("请求内容过大（最多 {kb} KB）")
            } else {
                format!("The request body is too large (at most {kb} KB)")
            }
        }
        CapBelowBalances => {
            let n = param(params, "members");
            let max = yuan(param(params, "max"));
            if zh {
                format!("有 {n} 位会员的余额高于 {max}：他们仍可消费，但不能再充值。确认保存？")
            } else {
                format!(
                    "{n} members hold more than {max}: they can still spend but not top up. Save anyway?"
                )
            }
        }
        GatewayNotConfigured => {
            if zh {
                "暂未开通在线支付，请到门店柜台充值".into()
            } else {
                "Online payment is not set up yet; top up at a store's counter".into()
            }
        }
        InvalidField => invalid_field(params, lang),
        NotFound => {
            if zh {
                "找不到该内容".into()
            } else {
                "Not found".into()
            }
        }
        Unauthenticated => {
            if zh {
                "请先登录".into()
            } else {
                "Please log in first".into()
            }
        }
        Forbidden => {
            if zh {
                "无权进行此操作".into()
            } else {
                "You are not allowed to do this".into()
            }
        }
        WrongSmsCode => {
            let n = param(params, "remaining");
            if zh {
                format!("验证码错误，还可尝试 {n} 次")
            } else {
                format!("Wrong code; {n} tries left")
            }
        }
        SmsCodeExpired => {
            if zh {
                "验证码已失效，请重新获取".into()
            } else {
                "The code has expired; please request a new one".into()
            }
        }
        SmsCodeLocked => {
            if zh {
                "验证码错误次数过多，请重新获取".into()
            } else {
                "Too many wrong tries; please request a new code".into()
            }
        }
        RateLimited => {
            let secs: u64 = param(params, "retry_after").parse().unwrap_or(0);
            let wait = human_wait(secs, lang);
            if zh {
                format!("发送太频繁，请{wait}后再试")
            } else {
                format!("Too many requests; try again in {wait}")
            }
        }
        ConsentRequired => {
            if zh {
                "请先阅读并同意隐私政策".into()
            } else {
                "Please accept the privacy terms first".into()
            }
        }
        WrongCredentials => {
            if zh {
                "账号或密码错误".into()
            } else {
                "Wrong account or password".into()
            }
        }
        AccountLocked => {
            let secs: u64 = param(params, "retry_after").parse().unwrap_or(0);
            let wait = human_wait(secs, lang);
            if zh {
                format!("密码错误次数过多，账号已暂时锁定，请{wait}后再试或联系总部管理员解锁")
            } else {
                format!(
                    "Too many wrong passwords: the account is locked; try again in {wait} or ask HQ to unlock it"
                )
            }
        }
        TooManyAttempts => {
            let secs: u64 = param(params, "retry_after").parse().unwrap_or(0);
            let wait = human_wait(secs, lang);
            if zh {
                format!("尝试次数过多，请{wait}后再试")
            } else {
                format!("Too many attempts; try again in {wait}")
            }
        }
        AccountDeactivated => {
            if zh {
                "该账号已停用".into()
            } else {
                "This account is deactivated".into()
            }
        }
        MemberFrozen => {
            if zh {
                "会员账户已冻结，请联系门店".into()
            } else {
                "This membership is frozen; please contact the store".into()
            }
        }
        AlreadyExists => {
            let field = field_name(param(params, "field"), lang);
            if zh {
                format!("该{field}已被使用")
            } else {
                format!("This {field} is already taken")
            }
        }
        RegionNotEmpty => {
            let (stores, staff) = (param(params, "stores"), param(params, "staff"));
            if zh {
                format!("这个区域还有 {stores} 家门店、{staff} 位区域经理，移走后才能删除")
            } else {
                format!(
                    "The region still has {stores} stores and {staff} region managers; move them elsewhere first"
                )
            }
        }
        DefaultStoreClosed => {
            if zh {
                "默认门店不能关闭，请先设置其他默认门店".into()
            } else {
                "The default store cannot be closed; make another store the default first".into()
            }
        }
        WrongCurrentPassword => {
            if zh {
                "当前密码错误".into()
            } else {
                "The current password is wrong".into()
            }
        }
        BrandNotFound => {
            if zh {
                "品牌不存在".into()
            } else {
                "No such brand".into()
            }
        }
        MemberNotRegistered => {
            if zh {
                "这个手机号还没有注册会员，请让顾客先用手机打开会员页登录注册".into()
            } else {
                "No member has this phone number yet; ask the customer to open the member page on their phone and register first".into()
            }
        }
        Conflict => {
            if zh {
                "操作冲突，请刷新后重试".into()
            } else {
                "Conflicting change; refresh and try again".into()
            }
        }
        InsufficientBalance => {
            let b = yuan(param(params, "balance"));
            if zh {
                format!("余额不足（当前余额 {b}）")
            } else {
                format!("Insufficient balance (balance {b})")
            }
        }
        BalanceLimit => {
            let (max, room) = (yuan(param(params, "max")), yuan(param(params, "room")));
            if zh {
                format!("超过储值上限 {max}，最多还可充值 {room}")
            } else {
                format!("Above the balance cap of {max}; at most {room} more")
            }
        }
        AmountTooLarge => {
            let max = yuan(param(params, "max"));
            if zh {
                format!("单笔金额不能超过 {max}")
            } else {
                format!("A single payment cannot exceed {max}")
            }
        }
        IdempotencyKeyMissing => {
            if zh {
                "缺少请求编号（Idempotency-Key）".into()
            } else {
                "Missing Idempotency-Key header".into()
            }
        }
        IdempotencyKeyReused => {
            if zh {
                "该请求编号已用于另一笔不同的请求".into()
            } else {
                "This Idempotency-Key was used for a different request".into()
            }
        }
        RequestInProgress => {
            if zh {
                "相同的请求正在处理中，请稍后重试".into()
            } else {
                "The same request is still being processed; retry shortly".into()
            }
        }
        StoreClosed => {
            if zh {
                "该门店已关闭，暂不能收款".into()
            } else {
                "This store is closed".into()
            }
        }
        RefundTooLarge => {
            let r = yuan(param(params, "refundable"));
            if param(params, "refundable") == "0" {
                if zh {
                    "这笔支付已全部退回".into()
                } else {
                    "This payment has already been refunded in full".into()
                }
            } else if zh {
                format!("退款金额超过可退金额 {r}")
            } else {
                format!("More than the refundable {r}")
            }
        }
        WithdrawalBelowMinimum => {
            let m = yuan(param(params, "min"));
            if zh {
                format!("提现金额不能低于 {m}")
            } else {
                format!("A withdrawal must be at least {m}")
            }
        }
        WithdrawalAboveAvailable => {
            let a = yuan(param(params, "available"));
            let cash: i64 = param(params, "cash").parse().unwrap_or(0);
            match (zh, cash > 0) {
                (true, false) => format!("提现金额超过可提现余额 {a}"),
                (false, false) => format!("More than the available {a}"),
                (true, true) => format!(
                    "提现金额超过可提现余额 {a}（门店还有 {} 柜台现金待上缴总部）",
                    yuan(&cash.to_string())
                ),
                (false, true) => format!(
                    "More than the available {a} (the store still holds {} of counter cash to hand in to HQ)",
                    yuan(&cash.to_string())
                ),
            }
        }
        WithdrawalFeeTooHigh => {
            let f = yuan(param(params, "fee"));
            if zh {
                format!("提现金额需大于手续费 {f}")
            } else {
                format!("The amount must be more than the fee of {f}")
            }
        }
        PayeeMissing => {
            if zh {
                "门店还没有经总部审核通过的收款账户，请先设置".into()
            } else {
                "This store has no approved payee account yet; set one first".into()
            }
        }
        PayeeChangePending => {
            if zh {
                "已有一项收款账户变更在等待总部审核".into()
            } else {
                "A payee account change is already waiting for HQ".into()
            }
        }
        StateChanged => {
            let st = withdrawal_state_name(param(params, "state"), lang);
            if zh {
                format!("该申请当前为「{st}」，不能再执行此操作，请刷新")
            } else {
                format!("This request is now {st}; refresh to see it")
            }
        }
        OwnRequest => {
            if zh {
                "不能审批自己提交的申请".into()
            } else {
                "You cannot decide on your own request".into()
            }
        }
        WalletShortfall => {
            let a = yuan(param(params, "available"));
            if zh {
                format!("门店钱包余额不足（可用 {a}），需总部处理")
            } else {
                format!("The store wallet cannot cover this (available {a}); HQ must do it")
            }
        }
        NothingToRefund => {
            if zh {
                "没有可退的储值余额".into()
            } else {
                "There is no stored value to refund".into()
            }
        }
        PayCodeUsed => {
            if zh {
                "该收款码已使用或已过期，请让店员重新出示".into()
            } else {
                "This pay code was used already or has expired; ask the clerk for a new one".into()
            }
        }
        GatewayUnavailable => {
            if zh {
                "支付通道暂时不可用，未扣款，请稍后再试".into()
            } else {
                "The payment channel is unavailable; nothing was charged. Try again later".into()
            }
        }
        OrderClosed => {
            if zh {
                "该订单已关闭，请重新下单".into()
            } else {
                "This order is closed; please start again".into()
            }
        }
        PinRequired => {
            let a = yuan(param(params, "above"));
            if zh {
                format!("超过 {a} 的付款需要输入支付密码")
            } else {
                format!("Payments above {a} need your payment PIN")
            }
        }
        PointsChanged => {
            let n = param(params, "points");
            if zh {
                format!("积分已有变动（现可抵扣 {n} 分），请核对后重新支付")
            } else {
                format!("Your points changed ({n} can pay now): check and pay again")
            }
        }
        PriceChanged => {
            let p = yuan(param(params, "payable"));
            if zh {
                format!("应付金额已变化（现为 {p}，会员等级有变动），请核对后重新支付")
            } else {
                format!(
                    "The amount to pay changed (now {p}, your level changed): check and pay again"
                )
            }
        }
        WrongPin => {
            let r = param(params, "remaining");
            if zh {
                format!("支付密码错误，还可尝试 {r} 次")
            } else {
                format!("Wrong payment PIN; {r} attempts left")
            }
        }
        PinLocked => {
            let secs: u64 = param(params, "retry_after").parse().unwrap_or(0);
            let wait = human_wait(secs, lang);
            if zh {
                format!("支付密码错误次数过多，请{wait}后再试")
            } else {
                format!("Too many wrong PINs; try again in {wait}")
            }
        }
        CardOffSale => {
            if zh {
                "该卡已停售".into()
            } else {
                "This card is no longer on sale".into()
            }
        }
        CouponNotOffered => {
            if zh {
                "该优惠券当前不可领取或发放".into()
            } else {
                "This coupon is not on offer now".into()
            }
        }
        CouponOutOfStock => {
            if zh {
                "该优惠券已被领完".into()
            } else {
                "None of this coupon is left".into()
            }
        }
        CouponLimitReached => {
            let n = param(params, "limit");
            if zh {
                format!("每人最多持有 {n} 张该优惠券")
            } else {
                format!("One member may hold at most {n} of this coupon")
            }
        }
        CouponNotUsable => {
            let min = yuan(param(params, "min"));
            let (zh_why, en_why) = match param(params, "reason") {
                "used" => ("已经使用过了".to_string(), "it has been used".to_string()),
                "in_use" => (
                    "正用于另一笔支付".to_string(),
                    "another payment is using it".to_string(),
                ),
                "expired" => ("已过期".to_string(), "it has expired".to_string()),
                "not_yet" => ("尚未生效".to_string(), "it is not valid yet".to_string()),
                "store" => (
                    "不能在本店使用".to_string(),
                    "it is not valid at this store".to_string(),
                ),
                "min_spend" => (
                    format!("消费满 {min} 才可使用"),
                    format!("the bill must come to {min} or more"),
                ),
                "not_item" => (
                    "不是服务项目券，请在付款时使用".to_string(),
                    "it is not for a service item: use it when paying".to_string(),
                ),
                "item_only" => (
                    "是服务项目券，请到店出示会员码核销".to_string(),
                    "it is for a service item: show your member code at the store".to_string(),
                ),
                _ => ("不可用".to_string(), "it cannot be used".to_string()),
            };
            if zh {
                format!("该优惠券不能用于本次支付：{zh_why}")
            } else {
                format!("This coupon cannot pay this bill: {en_why}")
            }
        }
        MemberCodeRefused => {
            let (zh_why, en_why) = match param(params, "reason") {
                "pay_code" => (
                    "这是门店收款码，请扫会员出示的会员码",
                    "This is a store's pay code: scan the member's code",
                ),
                "unknown" => (
                    "不是本品牌的会员码",
                    "This is not a member code of this brand",
                ),
                "expired" => (
                    "会员码已过期，请会员刷新后再扫",
                    "The member code has expired: ask the member to refresh it and scan again",
                ),
                "used" => (
                    "会员码已使用，请会员刷新后再扫",
                    "The member code has been used: ask the member to refresh it and scan again",
                ),
                "forged" => ("会员码无效", "This member code is not valid"),
                _ => (
                    "不是会员码：会员码是 18 位数字",
                    "Not a member code: a member code has 18 digits",
                ),
            };
            if zh { zh_why.into() } else { en_why.into() }
        }
        WriteOffUndoRefused => {
            let (zh_why, en_why) = match param(params, "reason") {
                "undone" => (
                    "这笔核销已撤销过，请刷新".to_string(),
                    "This write-off has already been undone; refresh to see it".to_string(),
                ),
                "window" => {
                    let h = param(params, "hours");
                    (
                        format!("已超过可撤销时间（核销后 {h} 小时内）"),
                        format!("It is too late to undo this ({h} hours after the write-off)"),
                    )
                }
                "card_refunded" => (
                    "卡已退，核销不能撤销".to_string(),
                    "A card it used has been refunded: it cannot be undone".to_string(),
                ),
                _ => (
                    "卡已过期，核销不能撤销".to_string(),
                    "A card it used has expired: it cannot be undone".to_string(),
                ),
            };
            if zh { zh_why } else { en_why }
        }
        InviteOff => {
            if zh {
                "本品牌暂未开放邀请有礼".into()
            } else {
                "This brand has no invite programme".into()
            }
        }
        SignInOff => {
            if zh {
                "本品牌暂未开放每日签到".into()
            } else {
                "This brand has no daily sign-in".into()
            }
        }
        TicketExpired => {
            if zh {
                "核销单已失效（2 分钟内有效），请重新扫会员码".into()
            } else {
                "The write-off has timed out (2 minutes): scan the member code again".into()
            }
        }
        CouponQuotaReached => {
            let n = param(params, "quota");
            if zh {
                format!("今日发券已达上限（每人每天 {n} 张）")
            } else {
                format!("You have issued today's quota of coupons ({n} a day)")
            }
        }
        CardNotSoldHere => {
            if zh {
                "本店不出售该卡".into()
            } else {
                "This card is not sold at this store".into()
            }
        }
        CardNotHonouredHere => {
            if zh {
                "该卡不能在本店使用".into()
            } else {
                "This card cannot be used at this store".into()
            }
        }
        ItemNotOnCard => {
            if zh {
                "该卡不包含此服务项目".into()
            } else {
                "This card does not cover that service".into()
            }
        }
        NoUsesLeft => {
            if zh {
                "该卡次数已用完".into()
            } else {
                "This card has no uses left".into()
            }
        }
        DailyLimitReached => {
            let l = param(params, "limit");
            if zh {
                format!("该卡每天限用 {l} 次，今天已用完")
            } else {
                format!("This card allows {l} uses a day; today's are taken")
            }
        }
        CardClosed => {
            let st = param(params, "state");
            let (zh_state, en_state) = match st {
                "refunded" => ("已退卡", "refunded"),
                _ => ("已过期", "expired"),
            };
            if zh {
                format!("该卡{zh_state}，不能再使用")
            } else {
                format!("This card has been {en_state} and can no longer be used")
            }
        }
        MemberClosed => {
            if zh {
                "该会员已注销账户，不能再对其操作".into()
            } else {
                "This member closed their account; there is nothing to change".into()
            }
        }
        AccountHasBalance => {
            let b = yuan(param(params, "balance"));
            if zh {
                format!("账户里还有储值 {b}：请先到门店办理退卡（本金原路退回、赠送收回），再注销")
            } else {
                format!(
                    "You still hold {b}: have it refunded at a store first, then close the account"
                )
            }
        }
        PinRecentlyReset => {
            let a = yuan(param(params, "above"));
            let secs: u64 = param(params, "retry_after").parse().unwrap_or(0);
            let wait = human_wait(secs, lang);
            if zh {
                format!(
                    "支付密码刚通过短信重置，为保护资金，24 小时内只能免密支付 {a} 以内的金额，请{wait}后再付更大金额"
                )
            } else {
                format!(
                    "Your PIN was just reset by SMS: for 24 hours only payments up to {a} go through; larger ones in {wait}"
                )
            }
        }
        PinNotSet => {
            let a = yuan(param(params, "above"));
            if zh {
                format!("超过 {a} 的付款需要支付密码，请先在“我的”中设置")
            } else {
                format!("Payments above {a} need a payment PIN; set one under Me first")
            }
        }
        Internal => {
            if zh {
                "服务暂时不可用，请稍后重试".into()
            } else {
                "Something went wrong; please try again".into()
            }
        }
    }
}

/// A fen amount parameter as yuan text.
fn yuan(fen: &str) -> String {
    fen.parse::<i64>()
        .map(|f| crate::money::Fen(f).to_string())
        .unwrap_or_default()
}

fn human_wait(secs: u64, lang: Lang) -> String {
    let zh = lang == Lang::Zh;
    if secs < 60 {
        if zh {
            format!(" {secs} 秒")
        } else {
            format!("{secs} s")
        }
    } else if secs < 3600 {
        let m = secs.div_ceil(60);
        if zh {
            format!(" {m} 分钟")
        } else {
            format!("{m} min")
        }
    } else {
        let h = secs.div_ceil(3600);
        if zh {
            format!(" {h} 小时")
        } else {
            format!("{h} h")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn invalid_field_reads_naturally_in_both_languages() {
        let p = params(&[("field", "phone"), ("reason", "phone_format")]);
        assert_eq!(
            message(ErrorCode::InvalidField, &p, Lang::Zh),
            "手机号应为 11 位中国大陆手机号"
        );
        assert_eq!(
            message(ErrorCode::InvalidField, &p, Lang::En),
            "The phone number must be an 11-digit mainland China mobile number"
        );
    }

    #[test]
    fn every_field_and_reason_has_one_text() {
        for tables in [
            [MEMBER_FIELDS, STAFF_FIELDS],
            [MEMBER_REASONS, STAFF_REASONS],
        ] {
            let mut names: Vec<&str> = tables.concat().iter().map(|(n, _)| *n).collect();
            let all = names.len();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), all, "a name with two texts in {names:?}");
        }
    }

    /// The member app carries only the members' field texts: every check
    /// its pages run before sending must be named there, or the member
    /// reads raw codes. Each check is fed inputs that break each rule.
    #[test]
    fn a_members_own_checks_are_named_in_the_member_texts() {
        use crate::validate;
        fn amount(v: &str) -> Result<String, crate::validate::Reason> {
            let fen = crate::money::Fen::parse_yuan(v)?;
            if fen.is_positive() {
                Ok(fen.0.to_string())
            } else {
                Err("amount_positive")
            }
        }
        fn payment_pin(v: &str) -> Result<String, crate::validate::Reason> {
            validate::sms_code(v).map_err(|r| if r == "code_format" { "pin_format" } else { r })
        }
        type Check = fn(&str) -> Result<String, crate::validate::Reason>;
        let checks: [(&str, Check); 10] = [
            ("phone", validate::phone),
            ("invite_code", validate::invite_code),
            ("code", validate::sms_code),
            ("current", validate::sms_code),
            ("pin", validate::pin),
            ("pin", payment_pin),
            ("member_name", validate::person_name),
            ("birthday", |v| validate::birthday(v, "2026-03-02")),
            ("amount", amount),
            ("pin_again", |v| {
                if v.trim().is_empty() {
                    Err("required")
                } else {
                    Ok(v.into())
                }
            }),
        ];
        let long = "名".repeat(40);
        let inputs = [
            "",
            " ",
            "abc",
            "1",
            "12345",
            "123456",
            "111111",
            "1234567",
            "123",
            "23456",
            "1381234567",
            "13812345678",
            "23812345678",
            "138123456789",
            "12.345",
            "-1",
            "0",
            "0.00",
            "1e9",
            "99999999999999999999",
            "2030-01-01",
            "1899-01-01",
            "2026-02-30",
            "2026-3-2",
            "😀",
            "a\u{7}b",
            &long,
        ];
        let mut seen = std::collections::BTreeSet::new();
        for (field, check) in checks {
            for input in inputs {
                if let Err(reason) = check(input) {
                    let p = params(&[("field", field), ("reason", reason)]);
                    for lang in [Lang::Zh, Lang::En] {
                        assert_eq!(
                            FieldTexts::MEMBER.invalid_field(&p, lang),
                            Some(invalid_field(&p, lang)),
                            "{field} {reason} (from {input:?}) is not in the member texts"
                        );
                    }
                    seen.insert((field, reason));
                }
            }
        }
        // The inputs do break the rules: each check refused something, and
        // the formats each field has were met.
        for want in [
            ("phone", "phone_format"),
            ("code", "code_format"),
            ("pin", "pin_weak"),
            ("pin", "pin_format"),
            ("member_name", "too_long"),
            ("member_name", "emoji"),
            ("member_name", "control_chars"),
            ("birthday", "date_format"),
            ("birthday", "date_future"),
            ("amount", "amount_format"),
            ("amount", "amount_fraction"),
            ("amount", "amount_positive"),
            ("pin_again", "required"),
            ("invite_code", "invite_code_format"),
        ] {
            assert!(seen.contains(&want), "no input gave {want:?}: {seen:?}");
        }
        // A staff field is left to the server's message in the member app.
        let p = params(&[
            ("field", "phone"),
            ("label", "store_phone"),
            ("reason", "store_phone_format"),
        ]);
        assert_eq!(FieldTexts::MEMBER.invalid_field(&p, Lang::Zh), None);
        assert_eq!(
            FieldTexts::ALL.invalid_field(&p, Lang::Zh).as_deref(),
            Some("电话应为电话号码（数字和连字符）")
        );
    }

    #[test]
    fn rate_limit_says_when_to_retry() {
        let p = params(&[("retry_after", "42")]);
        assert_eq!(
            message(ErrorCode::RateLimited, &p, Lang::Zh),
            "发送太频繁，请 42 秒后再试"
        );
        let p = params(&[("retry_after", "3000")]);
        assert_eq!(
            message(ErrorCode::RateLimited, &p, Lang::En),
            "Too many requests; try again in 50 min"
        );
    }

    #[test]
    fn envelope_round_trips_with_snake_case_code() {
        let e = ErrorEnvelope {
            error: ApiError::new(
                ErrorCode::WrongSmsCode,
                params(&[("remaining", "3")]),
                Lang::En,
            ),
        };
        let json = serde_json::to_string(&e).expect("serialises");
        assert!(json.contains("\"code\":\"wrong_sms_code\""), "{json}");
        let back: ErrorEnvelope = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, e);
    }

    #[test]
    fn language_from_header() {
        assert_eq!(Lang::from_header("en-US,en;q=0.9"), Lang::En);
        assert_eq!(Lang::from_header("zh-CN,zh;q=0.9,en;q=0.8"), Lang::Zh);
        assert_eq!(Lang::from_header(""), Lang::Zh);
    }
}
