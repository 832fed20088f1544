//! The one catalogue of UI text, zh-CN by default with English. Every string a
//! person reads is a constant of [`T`] (a [`Txt`]); error codes go through the shared error
//! catalogue (`shared::error`: the apps render field errors, the server every
//! other message).

use gloo::storage::Storage;
use leptos::prelude::*;
pub use shared::Lang;
use shared::error::FieldTexts;

const LANG_KEY: &str = "tongka.lang";

thread_local! {
    static CURRENT: std::cell::Cell<Lang> = const { std::cell::Cell::new(Lang::Zh) };
    static FIELD_TEXTS: std::cell::Cell<Option<FieldTexts>> = const { std::cell::Cell::new(None) };
}

/// Which field texts this app carries, said once in its `main`: the member
/// app only members' (so the staff screens' texts stay out of its first
/// load), the merchant app all.
pub fn carry_field_texts(texts: FieldTexts) {
    FIELD_TEXTS.with(|t| t.set(Some(texts)));
}

/// The message of a field error in `lang`, where this app carries the
/// texts of its field and reason.
pub fn field_message(
    params: &std::collections::BTreeMap<String, String>,
    lang: Lang,
) -> Option<String> {
    FIELD_TEXTS.with(|t| t.get())?.invalid_field(params, lang)
}

/// The language now in use (for code outside the reactive tree, e.g. the API client).
pub fn current() -> Lang {
    CURRENT.with(|c| c.get())
}

/// The app-wide language signal, provided at the root.
#[derive(Clone, Copy)]
pub struct I18n(pub RwSignal<Lang>);

impl I18n {
    /// Reads the saved choice and provides the context.
    pub fn provide() -> I18n {
        let saved = gloo::storage::LocalStorage::raw()
            .get_item(LANG_KEY)
            .ok()
            .flatten();
        let lang = match saved.as_deref() {
            Some("en") => Lang::En,
            _ => Lang::Zh,
        };
        CURRENT.with(|c| c.set(lang));
        let i = I18n(RwSignal::new(lang));
        provide_context(i);
        set_document_lang(lang);
        i
    }

    /// Switches language and remembers it.
    pub fn set(self, lang: Lang) {
        CURRENT.with(|c| c.set(lang));
        let _ = gloo::storage::LocalStorage::raw().set_item(LANG_KEY, lang.tag());
        set_document_lang(lang);
        self.0.set(lang);
    }
}

fn set_document_lang(lang: Lang) {
    if let Some(el) = gloo::utils::document().document_element() {
        let _ = el.set_attribute("lang", lang.tag());
    }
}

/// The context's language signal.
pub fn use_i18n() -> I18n {
    use_context::<I18n>().unwrap_or_else(I18n::provide)
}

/// A reactive text: re-renders when the language changes.
pub fn tr(key: Txt) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
    let lang = use_i18n().0;
    move || key.text(lang.get())
}

/// One UI text in both languages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Txt {
    zh: &'static str,
    en: &'static str,
}

impl Txt {
    /// The text in `lang`.
    pub fn text(self, lang: Lang) -> &'static str {
        match lang {
            Lang::Zh => self.zh,
            Lang::En => self.en,
        }
    }
}

/// The catalogue is a module of constants rather than one enum with a
/// lookup table: each app's wasm then carries only the texts its own pages
/// use (the linker drops the rest), not every other app's too.
macro_rules! catalogue {
    ($($key:ident => $zh:literal, $en:literal;)*) => {
        /// The UI texts.
        #[allow(non_snake_case, non_upper_case_globals)]
        pub mod T {
            use super::Txt;
            $(#[doc = $en] pub const $key: Txt = Txt { zh: $zh, en: $en };)*
        }
    };
}

catalogue! {
    Loading => "加载中…", "Loading…";
    Retry => "重试", "Retry";
    NetworkError => "网络不可用，请检查网络后重试", "Network unavailable; check your connection and retry";
    PageLoadFailed => "页面没有加载成功，请检查网络后重试", "This page did not load. Check your connection and try again";
    Empty => "暂无内容", "Nothing here yet";
    LoadMore => "加载更多", "Load more";
    NoMore => "没有更多了", "No more";
    Save => "保存", "Save";
    Saved => "已保存", "Saved";
    Saving => "保存中…", "Saving…";
    Cancel => "取消", "Cancel";
    Back => "返回", "Back";
    Logout => "退出登录", "Log out";
    Language => "语言", "Language";
    SwitchLang => "English", "中文";
    NotFoundPage => "页面不存在", "Page not found";
    ComingSoon => "即将上线", "Coming soon";
    GoHome => "回到首页", "Go home";
    SignInFirst => "请先登录", "Please log in first";
    Required => "必填", "Required";
    // member app
    TabHome => "首页", "Home";
    TabCards => "卡包", "Cards";
    TabMe => "我的", "Me";
    MemberLogin => "会员登录", "Member login";
    Phone => "手机号", "Phone number";
    PhonePlaceholder => "请输入手机号", "Enter your phone number";
    SmsCode => "验证码", "Code";
    CodePlaceholder => "6 位验证码", "6-digit code";
    SendCode => "获取验证码", "Get code";
    Sending => "发送中…", "Sending…";
    ResendIn => "秒后重发", "s to resend";
    CodeSent => "验证码已发送", "Code sent";
    Consent => "我已阅读并同意", "I have read and agree to the";
    PrivacyLink => "《隐私政策与会员协议》", "Privacy Policy and Member Terms";
    PrivacyTitle => "隐私政策与会员协议", "Privacy Policy and Member Terms";
    PrivacyCollect => "我们收集什么：手机号（用于登录和身份识别）、你填写的姓名、生日和性别，以及你在本品牌各门店的会员记录。", "What we collect: your phone number (to log you in and identify you), the name, birthday and gender you enter, and your membership records at this brand's stores.";
    PrivacyUse => "我们如何使用：仅用于提供会员服务（登录、会员权益、消费记录），不会出售你的个人信息。", "How we use it: only to provide membership services (login, benefits, records). We never sell your personal data.";
    PrivacyShare => "谁能看到：本品牌总部和门店员工可在管理后台看到你的会员信息，手机号以掩码显示（如 138****1234）。", "Who sees it: this brand's HQ and store staff see your membership in their back office, with your phone masked (e.g. 138****1234).";
    PrivacyRights => "你的权利：你可以随时在“我的”页面修改资料；如需注销会员，可在“我的”页面自行注销（账户里的储值需先到门店退还）。", "Your rights: edit your profile any time under Me; you can close your membership there too (any stored value is refunded at a store first).";
    ConsentNeeded => "请先阅读并同意隐私政策", "Please accept the privacy terms first";
    LoginButton => "登录 / 注册", "Log in / Sign up";
    LoggingIn => "登录中…", "Logging in…";
    Hello => "你好", "Hello";
    NewMember => "新会员", "New member";
    TopUp => "充值", "Top up";
    PayAt => "付款给", "Pay";
    ScanToPay => "在任一门店，用手机扫收银台的付款码即可付款。", "At any store, scan the pay code at the till with your phone to pay.";
    History => "明细", "History";
    HomeStore => "所属门店", "Home store";
    StoredValueCard => "储值卡", "Stored-value card";
    BuyACard => "购买会员卡", "Buy a card";
    NoCardsYet => "还没有次卡或周期卡，可在上方购买", "No count or period cards yet: buy one above";
    NoCardsOnOffer => "暂无在售的会员卡", "No cards on sale right now";
    CardExpired => "已过期", "Expired";
    CardRefunded => "已退卡", "Refunded";
    CardDetail => "会员卡详情", "Card";
    CardBought => "购卡", "Bought";
    CardUsed => "核销一次", "Used once";
    CardUseUndone => "撤销核销", "Use undone";
    CardExtended => "延期", "Extended";
    CardItems => "包含项目", "Covers";
    HonouredAt => "适用门店", "Honoured at";
    ValidFrom => "生效日期", "Valid from";
    ValidUntil => "有效期至", "Valid until";
    NoExpiry => "长期有效", "Never expires";
    CardPrice => "价格", "Price";
    CardHistory => "使用记录", "History";
    UsesUnit => "次", "uses";
    BuyCardQuestion => "用储值 {price} 购买「{name}」？", "Pay {price} from your stored value for “{name}”?";
    ConfirmBuy => "确认购买", "Buy";
    CardBoughtTitle => "购卡成功", "Card bought";
    ToMyCards => "查看卡包", "See my cards";
    SeeTheCard => "查看此卡", "See the card";
    BuyThisCard => "购买", "Buy";
    Buying => "购买", "Buying";
    PayFromBalance => "用储值支付", "Pay from stored value";
    UsesOffer => "{n} 次", "{n} uses";
    PeriodMonth => "月卡（一个月）", "One month";
    PeriodQuarter => "季卡（三个月）", "Three months";
    PeriodYear => "年卡（一年）", "One year";
    UsesLeft => "剩余 {left}/{total} 次", "{left} of {total} uses left";
    ValidUntilLine => "有效期至 {date}", "Valid until {date}";
    DaysLeft => "剩余 {n} 天", "{n} days left";
    TodayUses => "今日已用 {used}/{limit} 次", "Today {used} of {limit} uses";
    KindCardSale => "购卡", "Card bought";
    CardRefundQuestion => "退「{name}」：{principal} 退回会员储值，{online} 原路退回在线支付，赠送金 {bonus} 收回，现金 {cash} 在本店柜台退还，剩余 {uses} 次作废。此操作不能撤销。", "Refund “{name}”: {principal} back to stored value, {online} back to the online payment, bonus {bonus} taken back, {cash} in cash at this counter, {uses} uses lapse. This cannot be undone.";
    ConfirmCardRefund => "确认退卡", "Refund the card";
    CardRefundDone => "已退卡", "Card refunded";
    ExtendQuestion => "将「{name}」有效期延至 {date}？", "Extend “{name}” to {date}?";
    ConfirmExtend => "确认延期", "Extend";
    MemberCardsTitle => "会员卡（次卡、周期卡）", "Count and period cards";
    NoMemberCards => "该会员没有次卡或周期卡", "This member holds no count or period cards";
    CardRemaining => "未消耗金额", "Unused value";
    RefundThisCard => "退此卡", "Refund this card";
    ExtendTo => "延期至", "Extend to";
    ExtendCard => "延期", "Extend";
    ServiceItems => "服务项目", "Service items";
    NoServiceItems => "还没有服务项目，先添加服务项目再设置卡种", "No service items yet: add them before card types";
    OffSale => "已停售", "Off sale";
    EditItem => "修改服务项目", "Edit service item";
    AddItem => "新增服务项目", "Add a service item";
    ItemName => "项目名称", "Name";
    ItemCategory => "分类", "Category";
    ItemPrice => "单价（元）", "Price (¥)";
    OfferedAt => "提供门店", "Offered at";
    OnSale => "在售", "On sale";
    CardTypes => "会员卡种", "Card types";
    AddCardType => "新增卡种", "Add a card type";
    EditCardType => "编辑卡种", "Edit card type";
    NoCardTypes => "还没有卡种", "No card types yet";
    CardNamePlaceholder => "卡名称", "Card name";
    CountCard => "次卡", "Count card";
    PeriodCard => "周期卡", "Period card";
    CardName => "卡名称", "Name";
    CardUses => "次数", "Uses";
    ValidDays => "有效天数", "Days valid";
    ValidDaysHint => "留空为长期有效", "Empty: never expires";
    CardPeriodLabel => "周期", "Period";
    PerDayLimit => "每日限用", "Uses a day";
    NoLimitHint => "留空为不限", "Empty: no limit";
    ThemeColor => "卡面颜色", "Card colour";
    CardImage => "卡面背景图", "Background picture";
    CardImageHint => "PNG、JPEG 或 WebP，不超过 1 MB", "PNG, JPEG or WebP, at most 1 MB";
    ChooseImage => "选择图片", "Choose a picture";
    ChangeImage => "更换", "Change";
    RemoveImage => "移除", "Remove";
    Uploading => "上传中…", "Uploading…";
    CardDescription => "说明", "Description";
    SoldAt => "售卖门店", "Sold at";
    SellCard => "柜台售卡", "Sell a card";
    CardSold => "售卡成功", "Card sold";
    TakeCashOrCard => "请收取现金或刷卡，计入本店待上缴", "Take cash or card: it counts as this store's counter takings";
    SellCardQuestion => "为 {who} 办理「{name}」，收取 {price}（现金或刷卡）？", "Sell “{name}” to {who} for {price} (cash or card)?";
    ConfirmSell => "确认收款并售卡", "Take the money and sell";
    NoCardsSoldHere => "本店没有在售的会员卡", "No cards are sold at this store";
    KindCardRefund => "退卡（会员卡）", "Card refunded";
    Profile => "个人资料", "Profile";
    Name => "姓名", "Name";
    NamePlaceholder => "你的称呼", "Your name";
    Birthday => "生日", "Birthday";
    Gender => "性别", "Gender";
    Male => "男", "Male";
    Female => "女", "Female";
    Unset => "未设置", "Not set";
    MemberSince => "注册时间", "Member since";
    Frozen => "账户已冻结，请联系门店", "Account frozen; please contact a store";
    // merchant app
    MerchantLogin => "商家登录", "Merchant login";
    Account => "账号", "Account";
    AccountPlaceholder => "请输入账号", "Enter your account";
    Password => "密码", "Password";
    PasswordPlaceholder => "请输入密码", "Enter your password";
    Login => "登录", "Log in";
    Workbench => "工作台", "Workbench";
    YourRole => "当前角色", "Your role";
    Scope => "负责范围", "Scope";
    WholeBrand => "全品牌", "Whole brand";
    Stores => "门店", "Stores";
    Regions => "区域", "Regions";
    Staff => "员工", "Staff";
    Members => "会员", "Members";
    AuditLog => "操作日志", "Audit log";
    ChangePassword => "修改密码", "Change password";
    CurrentPassword => "当前密码", "Current password";
    NewPassword => "新密码", "New password";
    PasswordChanged => "密码已修改，其他设备已退出", "Password changed; other devices were logged out";
    AddStore => "新增门店", "Add store";
    EditStore => "编辑门店", "Edit store";
    StoreName => "门店名称", "Store name";
    Region => "所属区域", "Region";
    ChooseRegion => "请选择区域", "Choose a region";
    Address => "地址", "Address";
    StorePhone => "电话", "Phone";
    Hours => "营业时间", "Opening hours";
    Open => "营业中", "Open";
    Closed => "已关闭", "Closed";
    DefaultStore => "默认门店", "Default store";
    MakeDefault => "设为默认门店", "Make default store";
    StoreOpenSwitch => "门店营业", "Store is open";
    AddRegion => "新增区域", "Add region";
    RegionName => "区域名称", "Region name";
    Rename => "重命名", "Rename";
    StoresCount => "家门店", "stores";
    AddStaff => "新增员工", "Add staff";
    EditStaff => "编辑员工", "Edit staff";
    StaffName => "员工姓名", "Staff name";
    Role => "角色", "Role";
    Active => "在职", "Active";
    Deactivated => "已停用", "Deactivated";
    Deactivate => "停用账号", "Deactivate";
    Activate => "启用账号", "Activate";
    ResetPassword => "重置密码", "Reset password";
    PasswordReset => "密码已重置，该员工需重新登录", "Password reset; they must log in again";
    InitialPassword => "初始密码", "Initial password";
    ChooseStore => "请选择门店", "Choose a store";
    RoleHqAdmin => "总部管理员", "HQ admin";
    RoleHqFinance => "总部财务", "HQ finance";
    RoleRegionManager => "区域经理", "Region manager";
    RoleStoreManager => "店长", "Store manager";
    RoleClerk => "店员", "Clerk";
    SearchMembers => "搜索姓名或手机号", "Search name or phone";
    Search => "搜索", "Search";
    Freeze => "冻结", "Freeze";
    Unfreeze => "解冻", "Unfreeze";
    FrozenTag => "已冻结", "Frozen";
    Registered => "注册于", "Joined";
    NoName => "未填写姓名", "No name";
    MemberDetailTitle => "会员详情", "Member";
    MemberFrozenDone => "已冻结该会员", "Member frozen";
    MemberUnfrozenDone => "已解冻该会员", "Member unfrozen";
    SessionEnded => "登录已失效，请重新登录", "Your session has ended; please log in again";
    ClerkHome => "扫码核销即将上线", "Scan-to-redeem is coming soon";
    Me => "我的", "Me";
    // money
    Balance => "储值余额", "Balance";
    Principal => "本金", "Principal";
    Bonus => "赠送", "Bonus";
    HistoryAll => "全部", "All";
    KindTopup => "充值", "Top-up";
    KindPayment => "消费", "Payment";
    KindRefund => "退款", "Refund";
    KindClose => "退卡", "Stored value closed";
    KindRefundResolved => "退款转入余额", "Refund credited to balance";
    KindCardUse => "用卡", "Card used";
    KindWriteOffUndo => "核销撤销", "Write-off undone";
    KindCardExpiry => "会员卡到期", "Card expired";
    KindCardExtension => "会员卡延期", "Card extended";
    KindCouponIssued => "获得优惠券", "Coupon received";
    KindCouponItemUse => "使用项目券", "Free-item coupon used";
    KindPointsExpiry => "积分过期", "Points expired";
    KindSignIn => "签到奖励", "Sign-in reward";
    KindInviteReward => "邀请奖励", "Invite reward";
    KindAdjustment => "调整", "Adjustment";
    HistoryPoints => "{n} 积分", "{n} pts";
    HistoryPointsLeft => "积分 {n}", "{n} pts left";
    HistoryUses => "{n} 次", "{n} uses";
    HistoryUsesLeft => "剩 {n} 次", "{n} uses left";
    HistoryPointsOwed => "欠 {n} 积分", "{n} pts owed";
    HistoryPointsRepaid => "抵还欠分 {n}", "{n} owed pts repaid";
    HistoryPointsTab => "积分", "Points";
    HistoryCardsTab => "会员卡", "Cards";
    HistoryCouponsTab => "优惠券", "Coupons";
    HistorySignInTab => "签到", "Sign-in";
    HistoryInviteTab => "邀请", "Invites";
    HistoryAllStores => "全部门店", "All stores";
    HistoryStoreFilter => "门店", "Store";
    BalanceAfter => "余额", "Balance";
    PayTitle => "付款", "Pay";
    PayTo => "付款给", "Pay to";
    Amount => "金额", "Amount";
    AmountPlaceholder => "请输入金额（元）", "Amount in yuan";
    Payable => "应付", "To pay";
    Discount => "优惠", "Discount";
    PayButton => "确认付款", "Pay now";
    Paying => "付款中…", "Paying…";
    PaySuccess => "付款成功", "Payment successful";
    StoreClosedNotice => "该门店已关闭，暂不能收款", "This store is closed";
    Done => "完成", "Done";
    PayCode => "收款码", "Pay code";
    PayCodeHint => "请顾客用手机扫码付款", "Ask the customer to scan this with their phone";
    Print => "打印", "Print";
    CounterTopUp => "会员充值", "Top up a member";
    MemberPhone => "会员手机号", "Member's phone";
    Method => "收款方式", "Paid by";
    Cash => "现金", "Cash";
    Card => "银行卡", "Card";
    TopUpDone => "充值成功", "Top-up done";
    Payments => "收款记录", "Payments";
    Refunded => "已退", "Refunded";
    ReceiptAction => "小票", "Receipt";
    ReceiptTitle => "收款小票", "Payment receipt";
    ReceiptNet => "实收", "Net received";
    PrintReceipt => "打印小票", "Print receipt";
    Close => "关闭", "Close";
    RefundAction => "退款", "Refund";
    RefundAmount => "退款金额（元）", "Refund amount (yuan)";
    RefundDone => "退款成功", "Refund done";
    TodayReceipts => "今日收款", "Today's receipts";
    MoneySettingsTitle => "储值设置", "Stored value";
    MaxBalance => "储值上限（元）", "Balance cap (yuan)";
    MaxPayment => "单笔上限（元）", "Payment maximum (yuan)";
    BonusSettle => "赠送金结算给门店（%）", "Bonus settled to store (%)";
    AllowCustom => "允许自定义充值金额", "Allow custom top-up amounts";
    Plans => "充值方案", "Top-up plans";
    AddPlan => "新增方案", "Add plan";
    PlanPay => "充值（元）", "Pay (yuan)";
    PlanBonus => "赠送（元）", "Bonus (yuan)";
    Withdraw => "下架", "Take off sale";
    Withdrawn => "已下架", "Withdrawn";
    CustomAmount => "自定义金额", "Custom amount";
    PayGet => "充", "Pay";
    Get => "送", "get";
    ReceiptsCount => "笔", "payments";
    LiveReceipts => "实时到账", "Live receipts";
    Received => "收款到账", "Received";
    SpeakReceipts => "语音播报", "Announce aloud";
    WaitingReceipts => "等待顾客付款…", "Waiting for payments…";
    TopUpChoose => "选择充值金额", "Choose an amount";
    Today => "今日", "Today";
    ShortfallOnline => "余额不足，差额在线支付：", "Balance short; paid online:";
    PaySplit => "储值 + 在线支付", "Pay with balance + online";
    AllOnline => "储值余额为 ¥0，将在线支付：", "No stored value; paid online:";
    PayOnline => "在线支付", "Pay online";
    SplitPaid => "付款成功", "Payment successful";
    SplitWaiting => "正在确认付款结果…", "Confirming your payment…";
    SplitClosed => "付款未完成，储值已退回", "Payment not completed; your balance is back";
    SplitRefunded => "付款超时，在线支付部分已原路退回", "Payment timed out; the online part was sent back";
    StoredValuePart => "储值支付", "From balance";
    OnlinePart => "在线支付", "Online";
    KindRelease => "付款未完成退回", "Payment not completed, returned";
    PayCodeUsedNotice => "该收款码已使用或已过期，请让店员重新出示", "This pay code was used already or has expired; ask the clerk for a new one";
    OneOffCode => "固定金额收款码", "One-off code for an amount";
    MakeCode => "生成收款码", "Make the code";
    OneOffWaiting => "等待顾客扫码付款…", "Waiting for the customer to pay…";
    OneOffPaid => "已收款", "Paid";
    OneOffExpired => "已过期，请重新生成", "Expired; make a new one";
    StaticCode => "门店收款码（顾客输入金额）", "Store code (the customer enters the amount)";
    CloseCard => "退卡", "Close stored value";
    GatewayFlags => "支付异常", "Payment exceptions";
    GatewayFlagsHint => "在线支付中需要总部核对的订单：关单后到账、超出上限退回、网关拒绝退款", "Online orders HQ should check: paid after closing, sent back over the cap, refunds the gateway refused";
    FlagRefundFailed => "网关拒绝退款，需人工处理", "Refund refused by the gateway: settle by hand";
    FlagLatePayment => "关单后到账，已原路退回", "Paid after closing: sent back";
    FlagLateTopUp => "关单后到账，已入账", "Paid after closing: credited";
    FlagOverCap => "超出储值上限，已原路退回", "Over the balance cap: sent back";
    Member => "会员", "Member";
    LookUp => "查询", "Look up";
    ViaGateway => "原路退回（在线充值）", "Back through the gateway (online top-ups)";
    CashBack => "门店现金退还", "Cash back at the counter";
    BonusClawback => "收回赠送金额", "Bonus taken back";
    ConfirmClose => "确认退卡", "Close it";
    CloseQuestion => "为 {who} 退卡？\n退还本金 {principal}：{gateway} 原路退回在线支付账户，{cash} 请当场付现金；赠送的 {bonus} 收回。\n退卡后储值余额清零，不能撤销。", "Close {who}'s stored value?\nPrincipal {principal} is paid back: {gateway} to the online account it came from, {cash} in cash now; the {bonus} bonus is taken back.\nThe balance goes to zero; this cannot be undone.";
    CardClosed => "已退卡", "Closed";
    PayBackAt => "退款门店", "Pay back at";
    Wallet => "钱包", "Wallet";
    KindReceipt => "收款", "Payment received";
    WalletAvailable => "可用余额", "Available";
    WalletFrozen => "提现中冻结", "Frozen for withdrawals";
    WalletEntries => "收支明细", "Movements";
    WalletHint => "门店收款记入钱包，即总部应付门店的金额", "What members pay here accrues in the wallet: what HQ owes this store";
    BrandMoney => "资金概览", "Money overview";
    StoreWallets => "门店钱包", "Store wallets";
    OwedToMembers => "会员储值余额（应付会员）", "Stored value owed to members";
    OwedPrincipal => "本金", "Principal";
    OwedBonus => "赠送", "Bonus";
    OwedHeld => "组合支付中", "Held in split payments";
    PromotionExpense => "赠送支出", "Cost of bonuses";
    WalletsTotal => "门店钱包合计", "All store wallets";
    KindWithdrawal => "提现冻结", "Frozen for a withdrawal";
    Delete => "删除", "Delete";
    TodayTakings => "今日收款（已扣退款）", "Today, net of refunds";
    PaymentsCount => "{n} 笔", "{n} payments";
    PaymentsSearchHint => "金额，或会员手机号后 4 位", "Amount, or last 4+ digits of a phone";
    SplitTag => "含在线支付", "incl. online";
    CloseAccount => "注销账户", "Close account";
    ClosedTag => "已注销", "Closed";
    CloseAccountWhat => "注销后，本品牌的会员资料、支付密码和登录都会删除，所有登录的设备立即退出；消费记录按财务规定保留。以后用同一手机号登录，将成为新会员。", "Closing deletes your profile, PIN and logins with this brand, and signs out every device at once; payment records are kept as the law requires. Logging in with this phone later makes you a new member.";
    CloseAccountRefundFirst => "账户里还有储值：请先到门店办理退卡（本金原路退回，赠送收回），再来注销。", "You still hold stored value: have it refunded at a store first, then come back to close the account.";
    CloseAccountQuestion => "确定注销账户？\n注销后不能恢复，所有设备立即退出登录。", "Close your account?\nThis cannot be undone; every device is signed out at once.";
    AccountClosed => "账户已注销", "Account closed";
    ForgotPin => "忘记支付密码？", "Forgot your PIN?";
    SetPinToPay => "这笔付款需要支付密码，去设置（金额会保留）", "This payment needs a PIN: set one (the amount is kept)";
    BackToPay => "返回付款", "Back to the payment";
    NewPinAgain => "再次输入新密码", "New PIN again";
    PinMismatch => "两次输入的支付密码不一致", "The two PINs do not match";
    PinResetCodeTo => "验证码发到本账号的手机号", "A code goes to this account's phone";
    PinResetWarning => "通过短信重置后，24 小时内只能免密支付 {amount} 以内的金额。", "After a reset by SMS, for 24 hours only payments up to {amount} go through.";
    PinResetDone => "支付密码已重置；24 小时内只能免密支付 {amount} 以内的金额", "PIN reset; for 24 hours only payments up to {amount} go through";
    ShowFullAccountNo => "查看完整账号（会记入操作日志）", "Show the full number (recorded in the audit log)";
    FullAccountNo => "完整账号", "Full number";
    Edit => "修改", "Edit";
    EditPlan => "修改充值方案", "Edit plan";
    Deleted => "已删除", "Deleted";
    DeleteRegionQuestion => "删除区域「{name}」？\n区域里没有门店，删除后不能恢复。", "Delete the region \"{name}\"?\nIt has no stores; this cannot be undone.";
    StatementQuiet => "无交易", "no movements";
    PayeeRejectedTitle => "收款账户申请被驳回", "Payee account request rejected";
    KindWithdrawalPaid => "提现（已打款）", "Withdrawn (paid out)";
    KindWithdrawalRelease => "提现退回", "Withdrawal returned";
    Cashout => "提现", "Withdraw";
    CashoutRecords => "提现记录", "Withdrawals";
    CashoutQueue => "提现审核", "Withdrawal approvals";
    CashoutAmount => "提现金额", "Amount";
    CashoutAll => "全部", "All";
    CashoutFee => "手续费", "Fee";
    CashoutReceive => "预计到账", "You receive";
    CashoutMin => "最低提现", "Minimum";
    CashoutFeeRule => "手续费规则", "Fee";
    CashoutSubmit => "确认提现", "Confirm withdrawal";
    CashoutSent => "提现申请已提交，金额已冻结", "Withdrawal requested; the amount is frozen";
    CashoutTo => "到账账户", "Paid to";
    CashoutNoPayee => "还没有审核通过的收款账户，提现前请先设置", "No approved payee account yet; set one before withdrawing";
    PayeeAccount => "收款账户", "Payee account";
    PayeeChanges => "收款账户审核", "Payee account approvals";
    PayeeCurrent => "当前收款账户", "Current account";
    PayeePending => "待审核的变更", "Change waiting for HQ";
    PayeeNew => "申请变更收款账户", "Ask to change the account";
    PayeeSubmit => "提交审核", "Send for approval";
    PayeeSubmitted => "已提交，待总部财务审核", "Sent; waiting for HQ finance";
    PayeeHint => "变更需总部财务审核通过后生效，提现只会打到审核通过的账户", "A change takes effect once HQ finance approves it; withdrawals go only to the approved account";
    AccountName => "户名", "Account holder";
    BankName => "开户行", "Bank";
    AccountNo => "银行账号", "Account number";
    Approve => "批准", "Approve";
    Reject => "驳回", "Reject";
    RetryPayout => "重新打款", "Pay again";
    CancelRequest => "撤回申请", "Cancel request";
    RejectReason => "驳回原因", "Reason";
    RequestedBy => "申请人", "Requested by";
    DecidedBy => "处理人", "Decided by";
    PayoutNo => "打款单号", "Payout number";
    PaidAt => "到账时间", "Paid at";
    Reason => "原因", "Reason";
    StateAll => "全部状态", "All states";
    AllStores => "全部门店", "All stores";
    DateFrom => "开始日期", "From";
    DateTo => "结束日期", "To";
    Messages => "消息", "Messages";
    Unread => "未读", "unread";
    MsgWithdrawal => "提现", "Withdrawal";
    MsgPayee => "收款账户变更", "Payee account change";
    WithdrawMin => "最低提现金额（元）", "Minimum withdrawal (yuan)";
    WithdrawFeeFixed => "每笔提现手续费（元）", "Fee per withdrawal (yuan)";
    WithdrawFeeRate => "提现手续费率（%）", "Withdrawal fee rate (%)";
    FilterState => "状态", "State";
    FilterStore => "门店", "Store";
    FilterRegion => "区域", "Region";
    AllRegions => "全部区域", "All regions";
    PayoutAmount => "打款金额", "Paid out";
    Statement => "日结", "Daily statement";
    StatementOpening => "期初余额", "Opening";
    StatementClosing => "期末余额", "Closing";
    StatementPrincipal => "储值本金收款", "Stored value principal";
    StatementBonus => "赠送金结算", "Bonus share";
    StatementOnline => "在线支付", "Paid online";
    StatementRefunds => "退款", "Refunds";
    StatementWithdrawals => "提现", "Withdrawals";
    StatementOther => "其他", "Other";
    StatementTopups => "柜台充值（不计入钱包）", "Counter top-ups (not in the wallet)";
    StatementCount => "笔收款", "payments";
    ExportStatement => "导出日结 CSV", "Export statement (CSV)";
    ExportEntries => "导出收支明细 CSV", "Export movements (CSV)";
    Query => "查询", "Show";

    RoomLeft => "最多还可充值", "You can add up to";
    GoPay => "去支付", "Continue to payment";
    Starting => "正在创建订单…", "Creating the order…";
    SandboxHint => "当前为沙箱支付环境，不会产生真实扣款", "Payments here go through a sandbox: no real money moves";
    TransferReference => "转账流水号", "Transfer reference";
    MarkPaid => "已转账，标记为已付款", "Paid by transfer: mark as paid";
    MarkPaidQuestion => "确认已通过银行转账向 {payee} 支付 {payout}？\n转账单号：{reference}\n标记后提现完成，不能撤销。", "Confirm {payout} was paid to {payee} by bank transfer?\nTransfer reference: {reference}\nThe withdrawal is then complete; this cannot be undone.";
    CashToHandInNote => "柜台收款（现金、刷卡）须上缴总部，不能提现：", "Counter takings (cash and card) go to HQ and cannot be withdrawn:";
    CashToHandIn => "柜台收款待上缴", "Counter takings to hand in";
    Withdrawable => "可提现", "Withdrawable";
    StatementHandedIn => "现金上缴", "Cash handed in";
    RecordHandIn => "登记现金上缴", "Record a cash hand-in";
    HandInAmount => "上缴金额", "Amount handed in";
    ConfirmHandIn => "确认登记", "Record it";
    HandInQuestion => "确认门店已上缴柜台收款 {amount}？\n转账单号：{reference}\n登记后这笔钱从门店的待上缴金额中扣除，不能撤销。", "Confirm the store handed in {amount} of counter takings?\nTransfer reference: {reference}\nIt comes off what the store holds for HQ; this cannot be undone.";
    HandInDone => "已登记上缴", "Hand-in recorded";
    Unlock => "解锁账号", "Unlock account";
    LockedUntil => "密码错误次数过多，已锁定至", "Locked after too many wrong passwords until";
    Unlocked => "已解锁", "Unlocked";
    RefundTasks => "退款异常", "Refused refunds";
    JobFailures => "后台任务异常", "Background job problems";
    JobFailuresHint => "系统自动处理的事项中未能完成的条目，每次运行都会重试，完成后自动移出此列表", "Items the automatic jobs could not finish. Each run tries them again; they leave this list once they go through";
    JobGatewayOrders => "支付订单核对", "Payment order checks";
    JobGatewayRefunds => "在线退款", "Online refunds";
    JobPayouts => "提现打款", "Withdrawal payouts";
    JobSms => "短信发送", "Text messages";
    JobCards => "会员卡到期与按日结转", "Card expiry and daily release";
    JobPoints => "积分到期", "Points expiry";
    JobBirthday => "生日礼券", "Birthday coupons";
    JobPointsReminders => "积分到期提醒", "Points expiry reminders";
    BirthdayFix => "更正生日", "Correct birthday";
    BirthdayFixQuestion => "将 {who} 的生日更正为 {date}？更正会记入操作日志。", "Correct {who}'s birthday to {date}? The change is kept in the audit log.";
    BirthdaySetOnce => "已设置，如需更正请联系门店", "Set: a store can correct it";
    BirthdayConfirm => "生日保存后不能自行修改（用于生日月礼遇），确认保存？", "Once saved you cannot change your birthday yourself (it brings birthday treats). Save it?";
    BirthdayOnceHint => "生日只能设置一次，用于生日月礼遇", "You set your birthday once: it brings birthday-month treats";
    NotifyTitle => "通知", "Notifications";
    PointsSmsTitle => "积分到期短信提醒", "Text me before points expire";
    PointsSmsHint => "积分到期前发短信提醒；消息中心都会提醒", "A text before points expire; 消息 tells you either way";
    JobAttempts => "已尝试次数", "Attempts";
    RefundTasksHint => "支付渠道多次拒绝的退款：请退回会员储值，或线下转账后登记。", "Refunds the payment gateway refused again and again: return them to the member's stored value, or pay by transfer and record it.";
    ToStoredValue => "退回会员储值", "Back to stored value";
    PaidOutside => "已线下转账", "Paid by transfer";
    ConfirmResolve => "确认处理", "Confirm";
    ConfirmCancelRequest => "确认撤回", "Withdraw the request";
    ResolveToBalanceQuestion => "把 {amount} 退回 {member} 的会员储值？\n会员可以继续消费或再次申请退卡。", "Put {amount} back into {member}'s stored value?\nThey can spend it or ask to close the card again.";
    ResolvePaidOutsideQuestion => "确认已向 {member} 线下转账 {amount}？\n转账单号：{reference}\n处理后这笔退款完成，不能撤销。", "Confirm {amount} was paid to {member} by transfer?\nTransfer reference: {reference}\nThe refund is then complete; this cannot be undone.";
    SaveAnyway => "仍然保存", "Save anyway";
    OrderUnpaid => "支付未完成，可继续支付或取消订单", "Not paid: pay now or cancel the order";
    OnlinePaymentOff => "暂未开通在线支付，请到门店柜台充值", "Online payment is not set up yet; top up at a store's counter";
    OrderWaiting => "正在确认支付结果…", "Confirming your payment…";
    OrderFailed => "支付失败，可重新支付", "The payment failed; you may try again";
    OrderClosed => "订单已关闭，未扣款", "Order closed; nothing was charged";
    OrderRefunded => "超出储值上限，款项已原路退回", "Above the balance cap; the payment was sent back";
    OrderNo => "订单号", "Order";
    PaymentNo => "付款单号", "Payment no.";
    ContinuePay => "继续支付", "Continue to pay";
    CancelOrder => "取消订单", "Cancel order";
    TopUpAgain => "再充一笔", "Top up again";
    OnlineTopUp => "在线充值", "Online top-up";
    PinTitle => "支付密码", "Payment PIN";
    PinIsSet => "已设置", "Set";
    PinNotSetYet => "未设置", "Not set";
    SetPin => "设置支付密码", "Set payment PIN";
    ChangePin => "修改支付密码", "Change payment PIN";
    NewPin => "新支付密码", "New PIN";
    CurrentPin => "当前支付密码", "Current PIN";
    PinPlaceholder => "6 位数字", "6 digits";
    PinSaved => "支付密码已保存", "Payment PIN saved";
    PinFreeUpTo => "免密支付额度", "PIN-free up to";
    PinForPayment => "支付密码", "Payment PIN";
    ChannelLink => "去看看品牌视频号", "Visit our channel";
    PinAbove => "免密支付额度（元）", "PIN-free limit (yuan)";
    ChannelUrl => "视频号链接", "Channel link";
    ChannelUrlPlaceholder => "https://…（可不填）", "https://… (optional)";
    ApiKeys => "API 密钥", "API keys";
    NewApiKey => "新建 API 密钥", "New API key";
    ApiKeyName => "名称", "Name";
    ApiKeyNamePlaceholder => "如 ERP、3 号收银台", "e.g. ERP, till 3";
    CreateKey => "创建密钥", "Create key";
    Creating => "创建中…", "Creating…";
    CreatedBy => "创建人", "Created by";
    LastUsed => "最近使用", "Last used";
    NeverUsed => "从未使用", "Never used";
    Revoke => "吊销", "Revoke";
    ConfirmRevoke => "确认吊销", "Revoke it";
    Revoked => "已吊销", "Revoked";
    RevokeWarning => "吊销密钥 {key}？\n使用这个密钥的系统会立即无法访问，且无法恢复。", "Revoke the key {key}?\nSystems using it lose access at once; this cannot be undone.";
    SecretOnce => "只显示这一次：点一下即可全选，请立即复制保存", "Shown only this once: tap it to select it, and copy it now";
    ApiKeyUsage => "调用 API 时在请求头中带上：", "Send it with every API request as:";
    ApiKeyHeader => "Authorization: Bearer <密钥>", "Authorization: Bearer <secret>";
    ApiDocs => "API 文档", "API docs";
    Revoking => "吊销中…", "Revoking…";
    NoApiKeys => "还没有 API 密钥。收银机、ERP 等系统要接入时，在下面新建一个。", "No API keys yet. Create one below when a till or an ERP needs to connect.";
    SecretSaved => "我已保存", "I have saved it";
    LogoutQuestion => "退出后，下次使用需重新用手机验证码登录。", "After logging out you'll sign in again with a code sent to your phone.";
    FreezeQuestion => "冻结会员 {who}？\n冻结后该会员不能登录、付款或充值，余额保留不变，可随时解冻。", "Freeze member {who}?\nA frozen member cannot sign in, pay or top up; the balance is kept and you can unfreeze at any time.";
    UnfreezeQuestion => "解冻会员 {who}？\n解冻后该会员可以正常登录、付款和充值。", "Unfreeze member {who}?\nThey can sign in, pay and top up again.";
    WithdrawPlanQuestion => "下架充值方案「充 {pay} 送 {bonus}」？\n会员和收银台将不能再选它；已按它充的钱不受影响。", "Take the plan \"pay {pay}, get {bonus}\" off sale?\nMembers and the counter can no longer choose it; top-ups already made with it are unaffected.";
    CounterTopUpQuestion => "为 {who} 充值 {amount}{bonus}？\n请先以{method}收取 {amount}。充值后余额 {after}。", "Top up {who} with {amount}{bonus}?\nTake {amount} ({method}) first. Balance after: {after}.";
    TopUpBonusPart => "，赠送 {bonus}", ", plus {bonus} bonus";
    ConfirmTopUp => "确认充值", "Top up";
    RefundQuestion => "给 {member} 退款 {amount}？（这笔最多还可退 {left}）\n钱按原路退回：储值付的部分回到会员储值，在线支付的部分退回原支付账户。退款不能撤销。", "Refund {amount} to {member}? (at most {left} is left to refund)\nThe money goes back the way it came: the stored-value part to their balance, the online part to the account that paid. A refund cannot be undone.";
    ConfirmRefund => "确认退款", "Refund";
    VoidAction => "撤销", "Void";
    Voiding => "撤销中…", "Voiding…";
    Voided => "已撤销", "Voided";
    VoidQuestion => "撤销 {member} 的这笔支付？\n优惠券全额抵扣，会员没有付钱：优惠券退还给会员，门店钱包退回优惠券的 {coupon}。撤销不能恢复。", "Void this payment by {member}?\nThe coupon covered it in full and they paid nothing: the coupon goes back to them and the store wallet gives back its {coupon}. A void cannot be undone.";
    ConfirmVoid => "确认撤销", "Void";
    VoidDone => "已撤销，优惠券已退还会员", "Voided; the coupon is back with the member";
    UnlockQuestion => "解锁 {who} 的账号？\n解锁后可以立即重新尝试登录。", "Unlock {who}'s account?\nThey can try to sign in again at once.";
    DeactivateQuestion => "停用 {who} 的账号？\n停用后立即退出所有设备，不能再登录；可随时重新启用。", "Deactivate {who}'s account?\nThey are signed out everywhere at once and cannot sign in; you can activate the account again at any time.";
    ActivateQuestion => "启用 {who} 的账号？\n启用后可以用原密码登录。", "Activate {who}'s account?\nThey can sign in with their password again.";
    ResetPasswordQuestion => "重置 {who} 的密码？\n旧密码立即失效，请把新密码当面告诉本人。", "Reset {who}'s password?\nThe old one stops working at once; give them the new one in person.";
    RequestWithdrawalQuestion => "申请提现 {amount} 到 {payee}？\n手续费 {fee}，到账 {payout}。提交后这笔钱先冻结，总部财务审核后打款。", "Request a withdrawal of {amount} to {payee}?\nFee {fee}; you receive {payout}. The money is held until HQ finance approves and pays it.";
    ApproveWithdrawalQuestion => "批准 {store} 提现 {amount}？\n将向 {payee} 打款 {payout}（手续费 {fee}）。", "Approve {store}'s withdrawal of {amount}?\n{payout} will be paid to {payee} (fee {fee}).";
    RejectWithdrawalQuestion => "驳回 {store} 的提现 {amount}？\n冻结的钱回到门店钱包，门店会收到驳回原因。", "Reject {store}'s withdrawal of {amount}?\nThe held money goes back to the store's wallet and the store sees your reason.";
    RetryPayoutQuestion => "重新向 {payee} 打款 {payout}？", "Send the payout of {payout} to {payee} again?";
    CancelWithdrawalQuestion => "撤回提现申请 {amount}？\n冻结的钱回到钱包的可提现余额。", "Cancel the withdrawal request of {amount}?\nThe held money goes back to the wallet's available balance.";
    ApprovePayeeQuestion => "通过收款账户 {account}？\n之后这家门店的提现都打到这个账户。", "Approve the payee account {account}?\nThe store's withdrawals are paid to it from now on.";
    RejectPayeeQuestion => "驳回收款账户 {account}？\n门店会看到驳回原因，原账户不变。", "Reject the payee account {account}?\nThe store sees your reason; the current account stays.";
    // member messages and history detail
    MessagesNone => "暂无消息", "No messages yet";
    UnreadCount => "{n} 条未读", "{n} unread";
    MsgTopUp => "充值到账", "Top-up received";
    MsgPayment => "支付成功", "Payment made";
    MsgRefund => "退款到账", "Refund received";
    MsgClose => "退卡完成", "Stored value refunded";
    MsgRelease => "付款未完成，储值已退回", "Payment not completed; stored value returned";
    MsgBonusIncl => "含赠送 {amount}", "incl. {amount} bonus";
    MsgBonusBack => "收回赠送 {amount}", "{amount} bonus taken back";
    HistoryDetailTitle => "明细详情", "Details";
    DetailTime => "时间", "Time";
    DetailStore => "门店", "Store";
    DetailBalanceChange => "储值变动", "Stored value change";
    PaidWith => "支付方式", "Paid with";
    PaymentTotal => "支付金额", "Amount paid";
    RefundedTo => "退回到", "Refunded to";
    RefundsOfPayment => "退款记录", "Refunds";
    RefundedSoFar => "已退款", "Refunded so far";
    OfPayment => "原付款", "Original payment";
    PaymentInfo => "付款信息", "Payment";
    TopUpPaid => "实付", "Paid";
    TopUpCredited => "到账", "Credited";
    CloseRefunded => "本金退回", "Principal refunded";
    CloseBonusBack => "赠送金收回", "Bonus taken back";
    PartPrincipal => "储值本金", "Stored principal";
    PartBonus => "赠送金", "Bonus";
    PartOnline => "原支付渠道（在线）", "Back the way it was paid (online)";
    PartOnlinePaid => "在线支付", "Paid online";
    PartCash => "门店现金或刷卡", "Cash or card at the store";
    // audit log
    AuditFilterWho => "操作人", "Who";
    AuditWhoPlaceholder => "姓名或账号", "Name or account";
    AuditFilterWhat => "操作", "Action";
    AuditAllActions => "全部操作", "All actions";
    AuditSystem => "系统", "System";
    AuditUnknownActor => "未登录用户", "Not signed in";
    AuditBefore => "原", "was";
    AuditOn => "开", "on";
    AuditOff => "关", "off";
    AuditNone => "（空）", "(empty)";
    AuditStoreCreate => "新建门店", "Store created";
    AuditStoreUpdate => "修改门店", "Store edited";
    AuditStoreMakeDefault => "设为默认门店", "Made the default store";
    AuditRegionCreate => "新建区域", "Region created";
    AuditRegionRename => "区域改名", "Region renamed";
    AuditRegionDelete => "删除区域", "Region deleted";
    AuditStaffCreate => "新增员工", "Staff added";
    AuditStaffUpdate => "修改员工", "Staff edited";
    AuditStaffDeactivate => "停用员工", "Staff deactivated";
    AuditStaffActivate => "启用员工", "Staff reactivated";
    AuditStaffUnlock => "解除账号锁定", "Account unlocked";
    AuditStaffResetPassword => "重置员工密码", "Password reset";
    AuditStaffPasswordChange => "修改自己的密码", "Own password changed";
    AuditStaffLogin => "员工登录", "Signed in";
    AuditStaffLoginFailed => "登录失败：密码错误", "Sign-in failed: wrong password";
    AuditStaffLoginLocked => "密码多次错误，账号已锁定", "Locked after wrong passwords";
    AuditMemberFreeze => "冻结会员", "Member frozen";
    AuditMemberUnfreeze => "解冻会员", "Member unfrozen";
    AuditMemberBirthday => "更正会员生日", "Member birthday corrected";
    AuditMemberCounterTopUp => "柜台充值", "Counter top-up";
    AuditMemberCloseStoredValue => "退卡（退还储值）", "Stored value refunded and closed";
    AuditPaymentRefund => "退款", "Refund";
    AuditGatewayRefundResolve => "处理失败的退款", "Failed refund settled";
    AuditMoneySettings => "修改资金设置", "Money settings changed";
    AuditTopUpPlanCreate => "新增充值方案", "Top-up plan added";
    AuditTopUpPlanUpdate => "修改充值方案", "Top-up plan edited";
    AuditTopUpPlanDeactivate => "充值方案下架", "Top-up plan taken off sale";
    AuditPayeeRequest => "申请收款账户", "Payee account requested";
    AuditPayeeApprove => "通过收款账户", "Payee account approved";
    AuditPayeeReject => "驳回收款账户", "Payee account rejected";
    AuditPayeeReveal => "查看完整收款账号", "Full payee number viewed";
    AuditWithdrawalRequest => "申请提现", "Withdrawal requested";
    AuditWithdrawalApprove => "通过提现", "Withdrawal approved";
    AuditWithdrawalReject => "驳回提现", "Withdrawal rejected";
    AuditWithdrawalRetry => "重新打款", "Payout retried";
    AuditWithdrawalPaid => "打款成功", "Payout paid";
    AuditWithdrawalFailed => "打款失败", "Payout failed";
    AuditWithdrawalCancel => "撤回提现", "Withdrawal cancelled";
    AuditCashHandIn => "现金上缴", "Cash handed in";
    AuditApiKeyCreate => "新建 API 密钥", "API key created";
    AuditApiKeyRevoke => "停用 API 密钥", "API key revoked";
    AuditApiKeyUse => "API 密钥调用", "API key used";
    AuditBrandCreate => "创建品牌", "Brand created";
    AuditServiceItemCreate => "新增服务项目", "Service item added";
    AuditServiceItemUpdate => "修改服务项目", "Service item changed";
    AuditCardTypeCreate => "新增卡种", "Card type added";
    AuditCouponTemplateCreate => "新增优惠券", "Coupon added";
    AuditCouponTemplateUpdate => "修改优惠券", "Coupon changed";
    AuditCouponIssue => "发放优惠券", "Coupon issued";
    AuditWriteOffUndo => "撤销核销", "Write-off undone";
    AuditPointsPolicy => "修改积分规则", "Points policy changed";
    AuditLevels => "修改会员等级", "Member levels changed";
    WriteOffUndoHours => "核销可撤销时间（小时）", "Hours a write-off may be undone";
    FieldStock => "发放总量", "Stock";
    FieldMember => "会员", "Member";
    CouponQuota => "每人每日发券上限（张）", "Coupons each staff member may issue a day";
    Coupons => "优惠券", "Coupons";
    MyCoupons => "我的优惠券", "My coupons";
    CouponCentre => "领券中心", "Coupon centre";
    CouponsUsable => "可使用", "Usable";
    CouponsUsed => "已使用", "Used";
    CouponsExpired => "已失效", "Expired";
    NoCouponsHere => "这里还没有优惠券", "No coupons here";
    NoCouponOffers => "暂时没有可领的券", "No coupons to claim right now";
    CouponCashOver => "满{min}减{off}", "{off} off over {min}";
    CouponCashOff => "无门槛减{off}", "{off} off";
    CouponOverSuffix => "，满{min}可用", ", over {min}";
    CouponPercentOff => "{rate}，最多减{cap}", "{rate}, at most {cap}";
    CouponFreeItem => "免费：{item}", "Free: {item}";
    CouponDates => "{from} 至 {until}", "{from} to {until}";
    CouponDays => "领取后 {n} 天内有效", "Valid {n} days from receipt";
    CouponUntil => "有效期至 {day}", "Valid until {day}";
    CouponFrom => "{day} 起可用", "Usable from {day}";
    CouponInPayment => "支付中", "In a payment";
    CouponRevoked => "已收回", "Taken back";
    CouponSaved => "抵扣 {amount}", "Took {amount} off";
    CouponLeft => "剩余 {n} 张", "{n} left";
    CouponHeldOf => "已领 {held}/{max}", "Held {held} of {max}";
    ClaimCoupon => "领取", "Claim";
    ClaimingCoupon => "领取中…", "Claiming…";
    CouponClaimed => "领取成功，已放入卡包", "Claimed: it is in your card wallet";
    CouponAllGone => "已抢光", "All gone";
    CouponHeldMax => "已领取", "Claimed";
    CouponToUse => "优惠券", "Coupon";
    NoCoupon => "不使用优惠券", "No coupon";
    CouponOff => "优惠券抵扣", "Coupon";
    PointsUse => "使用积分抵扣", "Pay with points";
    PointsUsable => "可用 {n} 分", "{n} points to use";
    PointsOff => "积分抵扣", "Points";
    PointsSpent => "{n} 分", "{n} points";
    PointsEarned => "获得积分", "Points earned";
    LevelOff => "会员折扣", "Member discount";
    LevelLoadFailed => "会员等级加载失败，暂不能付款", "Your level did not load: paying waits for it";
    LevelsNone => "本品牌暂未设置会员等级", "This brand has no member levels yet";
    LevelUp => "恭喜升级为", "You are now";
    LevelTitle => "会员等级", "Member level";
    LevelNone => "暂无等级", "No level yet";
    LevelToNext => "再消费 {amount} 升级为 {level}", "Spend {amount} more to reach {level}";
    LevelTop => "已是最高等级", "You are at the top level";
    LevelSpent => "累计消费", "Spent so far";
    LevelPerks => "等级权益", "Level benefits";
    LevelDiscount => "{rate} 折", "{rate} % of the bill";
    LevelNoDiscount => "无折扣", "No discount";
    LevelPoints => "积分 ×{rate}", "Points ×{rate}";
    LevelBirthday => "生日礼券", "Birthday coupon";
    LevelNoBirthday => "不送", "None";
    LevelFrom => "累计消费满 {amount}", "From {amount} spent";
    LevelsTitle => "积分与会员等级", "Points and levels";
    PointsRules => "积分规则", "Points rules";
    PointsPerYuan => "每消费 1 元得积分", "Points per yuan paid";
    PointsExpiryDays => "积分有效天数（0 = 次年年底）", "Days points last (0: end of next year)";
    PointsRemindDays => "到期前几天提醒（0 = 不提醒）", "Remind members days before expiry (0: never)";
    PointsStep => "抵扣单位（分）", "Points per step";
    PointsStepWorth => "每单位抵扣金额（元）", "Each step pays (¥)";
    PointsMaxShare => "最高抵扣比例（%）", "Most of a bill points pay (%)";
    PointsBirthdayRate => "生日月积分倍数", "Birthday-month points ×";
    LevelName => "等级名称", "Level name";
    LevelThreshold => "累计消费门槛（元）", "From spend of (¥)";
    LevelRate => "折扣（折，10 = 不打折）", "Discount (折, 10: none)";
    LevelPointsRate => "积分倍数", "Points ×";
    LevelLook => "卡面", "Card look";
    LevelRemoveQuestion => "删除这个等级？保存后，该等级的会员按累计消费归入较低等级。", "Delete this level? Once saved, its members fall to the level below by their spend.";
    LevelRefundLowers => "退款可降低会员等级", "Refunds can lower a member's level";
    LevelAdd => "添加等级", "Add a level";
    LevelPreview => "试算", "Preview";
    LevelSampleBill => "示例账单（元）", "Sample bill (¥)";
    LevelPreviewNone => "填写正确的账单金额与规则后显示各等级结果", "Shown once the bill and the rules are valid";
    LevelPreviewLine => "优惠 {off} · 实付 {paid}", "{off} off · pays {paid}";
    LevelPreviewPoints => "+{n} 分（生日月 +{b}）", "+{n} pts ({b} in birthday month)";
    MyInviteTitle => "邀请有礼", "Invite friends";
    MyInviteEntryDesc => "邀好友，双方得奖励", "Rewards for you and a friend";
    MyInvitePoints => "{n} 积分", "{n} points";
    MyInviteCoupon => "优惠券", "a coupon";
    MyInviteWhenRegistered => "好友注册成功即发放", "Given when your friend registers";
    MyInviteWhenPaid => "好友首笔消费满 {min}，{days} 天内未退款后发放", "Given when your friend's first payment of {min} or more has not been refunded for {days} days";
    MyInvitePosterLine => "邀请你成为会员", "invites you to join";
    MyInviteFriendGets => "好友得 {r}", "Your friend gets {r}";
    MyInviteYouGet => "你得 {r}", "You get {r}";
    MyInviteOffNotice => "本品牌暂未开放邀请有礼，邀请链接暂不发放奖励", "This brand's invite programme is off: links give no rewards for now";
    MyInviteYourCode => "我的邀请码", "My invite code";
    MyInviteLink => "邀请链接", "Invite link";
    MyInvitePoster => "邀请海报", "Invite poster";
    MyInvitePosterAlt => "邀请海报：扫码注册成为会员", "Invite poster: scan to join";
    MyInvitePosterHint => "长按图片保存，分享给好友", "Long-press the picture to save it and share it";
    MyInviteHowItWent => "邀请战绩", "How your invites went";
    MyInviteInvited => "已邀请", "Invited";
    MyInviteConverted => "已得奖励", "Rewarded";
    MyInvitePending => "待发奖励", "Rewards due";
    MyInviteRate => "转化率", "Conversion";
    MyInviteEarned => "获得积分", "Points earned";
    MyInviteFriends => "我邀请的好友", "Friends you invited";
    MyInviteNoFriends => "还没有好友通过你的链接注册", "No friend has joined through your link yet";
    MyInviteStateWaiting => "待首笔消费", "Waiting for a first payment";
    MyInviteStatePending => "奖励待发放", "Reward due";
    MyInviteStateRewarded => "已奖励", "Rewarded";
    MyInviteStateCapped => "已注册（超出当日奖励上限）", "Joined (over the day's reward limit)";
    MyInviteLandingTitle => "好友邀请你成为会员", "A friend invites you to join";
    MyInviteAlreadyMember => "你已经是会员，邀请奖励仅限新会员", "You are a member already: invite rewards are for newcomers";
    MyInviteAccept => "注册领取", "Join and get it";
    MyInviteBanner => "通过好友邀请注册", "Joining through a friend's invite";
    MyInvitePosterFailed => "这台设备画不出海报，可复制上方链接或让好友扫二维码", "This device could not draw the poster: share the link above or let your friend scan the QR code";
    MyInviteDrop => "不使用邀请码", "Go on without it";
    MyInviteSkip => "不使用邀请，直接注册或登录", "Register or log in without the invite";
    MyInviteBound => "已接受好友邀请", "Friend's invite accepted";
    SignInTitle => "每日签到", "Daily sign-in";
    SignInEntryDesc => "签到领积分", "Sign in for points";
    SignInStreak => "已连续签到 {n} 天", "{n} days in a row";
    SignInButton => "签到", "Sign in";
    SignInBusy => "签到中…", "Signing in…";
    SignInDone => "今日已签到", "Signed in today";
    SignInToday => "今天签到可得 {n} 积分", "Sign in today for {n} points";
    SignInTomorrow => "明天签到可得 {n} 积分", "Sign in tomorrow for {n} points";
    SignInNextBonus => "连续签到第 {day} 天额外得 {n} 积分", "Day {day} in a row: {n} more points";
    SignInGot => "签到成功，+{n} 积分", "Signed in: +{n} points";
    SignInAlready => "今天已经签到过了", "You signed in today already";
    SignInOff => "本品牌暂未开放每日签到", "This brand has no daily sign-in";
    SignedDay => "已签到", "signed";
    Weekdays => "日,一,二,三,四,五,六", "S,M,T,W,T,F,S";
    MonthPrev => "上个月", "Previous month";
    MonthNext => "下个月", "Next month";
    AuditSignInPolicy => "修改签到奖励", "Sign-in rewards changed";
    AuditInvitePolicy => "修改邀请有礼", "Invite programme changed";
    JobInvites => "邀请奖励", "Invite rewards";
    JobRollup => "账户余额汇总", "Account balance roll-up";
    SignInRewardsTitle => "签到奖励", "Sign-in rewards";
    SignInEnabled => "开启每日签到", "Daily sign-in on";
    SignInDaily => "每日签到积分", "Points a day";
    SignInStreaks => "连续签到奖励", "Streak rewards";
    SignInNoStreaks => "暂无连续签到奖励", "No streak rewards yet";
    SignInStreakDay => "连续签到第几天", "Day of the streak";
    SignInStreakPoints => "当天额外积分", "Extra points that day";
    SignInStreakAdd => "添加连续奖励", "Add a streak reward";
    SignInRewardsHint => "每个会员每天（按品牌时区）只能签到一次；中断一天后连续天数从 1 重新计算。已签到的奖励不随修改变化。", "A member signs in once a day (in the brand's time zone); a missed day starts the streak again from 1. Changes do not alter rewards already given.";
    InviteProgrammeTitle => "邀请有礼", "Invites";
    InviteFiguresTitle => "邀请数据", "How invites went";
    InviteInvited => "邀请人数", "Invited";
    InviteConverted => "成功转化", "Converted";
    InvitePending => "待发奖励", "Rewards due";
    InviteRate => "转化率", "Conversion";
    InvitePointsGiven => "已发积分", "Points given";
    InviteCouponsGiven => "已发优惠券", "Coupons given";
    InviteCapped => "超出每日上限未发", "Not given (over the daily limit)";
    InviteTop => "邀请排行", "Top inviters";
    InviteTopNone => "还没有会员通过邀请带来好友", "No member has brought a friend yet";
    InviteTopLine => "邀请 {n} · 转化 {c}", "{n} invited · {c} converted";
    InviteSettings => "活动设置", "Programme";
    InviteEnabled => "开启邀请有礼", "Invites on";
    InviteWhen => "奖励发放时机", "When rewards are given";
    InviteOnRegistration => "注册即奖励", "When the friend registers";
    InviteOnFirstPayment => "首笔消费满额且过退款观察期后奖励", "When the friend's first payment of the minimum outlives the refund window";
    InviteMinPayment => "首笔消费最低金额（元）", "Least first payment (¥)";
    InviteWindowDays => "退款观察期（天）", "Refund window (days)";
    InviteDailyCap => "每位邀请人每日奖励上限（人）", "Inviter rewards a day (friends)";
    InviteInviterTitle => "邀请人奖励", "The inviter gets";
    InviteInviteeTitle => "好友奖励", "The friend gets";
    InvitePoints => "奖励积分", "Points";
    InviteCoupon => "奖励优惠券", "Coupon";
    InviteNoCoupon => "不送优惠券", "No coupon";
    InviteHint => "好友须是通过邀请链接新注册的会员，每人只算一次。消费金额只计好友自己付的钱（本金和在线支付，不含赠送金、优惠券和积分抵扣）。邀请人每天获奖的好友数超出上限后不再给邀请人发奖励，好友的奖励照发。修改不影响已发放的奖励；待发的奖励按发放时的设置发放。", "A friend is a newcomer who registers through an invite link, counted once. A payment counts only the friend's own money (principal and online payment; not bonus, coupons or points). Past the inviter's daily limit the inviter gets nothing more that day; the friend still gets theirs. Changes do not alter rewards already given; rewards still due follow the settings in force when they are given.";
    PointsTitle => "我的积分", "My points";
    PointsToUse => "可用积分", "Points to use";
    PointsNextExpiry => "{n} 分将于 {at} 到期", "{n} points expire {at}";
    PointsHeld => "另有 {n} 分在进行中的付款里", "{n} more held by a payment in progress";
    PointsOwedNote => "欠 {n} 分（退款时已用掉），将从之后获得的积分中先扣", "You owe {n} points (spent before a refund), taken first from points you earn next";
    PointsEarnRule => "每消费 ¥1 得 {n} 分", "{n} points for every ¥1 you pay";
    PointsSpendRule => "每 {step} 分抵 {worth}，最多抵账单的 {share}%", "{step} points take {worth} off, up to {share}% of a bill";
    PointsNotRun => "本品牌暂未开通积分", "This brand does not run points";
    PointsNone => "还没有积分：消费即可获得", "No points yet: paying earns them";
    PointsLots => "积分明细（先到期的先用）", "Your points (the soonest to expire are used first)";
    PointsLot => "获得 {earned} 分 · 剩 {left} 分", "Earned {earned} · {left} left";
    PointsLotExpires => "{at} 到期", "Expires {at}";
    PointsCard => "积分", "Points";
    PointsLoadFailed => "积分没有加载成功", "Your points did not load";
    LookPlain => "普通", "Plain";
    LookSilver => "银色", "Silver";
    LookGold => "金色", "Gold";
    LookPlatinum => "铂金", "Platinum";
    LookDiamond => "钻石", "Diamond";
    PointsNotWithOnline => "付款码账单仅可用余额支付：余额足够时积分可抵扣", "A pay code's bill is paid from your balance only: points pay when it covers the rest";
    CouponBelowMin => "未满足使用门槛", "Below its minimum spend";
    PayWithoutIfGone => "优惠券若已不可用，按原价继续支付", "If the coupon is gone, pay without it";
    CouponsFailedToLoad => "优惠券没有加载成功，本次可不用券支付", "Coupons did not load; you can still pay without one";
    AddCouponTemplate => "新增优惠券", "Add a coupon";
    EditCouponTemplate => "编辑优惠券", "Edit coupon";
    IssueCoupon => "发券", "Issue a coupon";
    NoCouponTemplates => "还没有优惠券", "No coupons yet";
    NoIssuableCoupons => "暂无可发放的优惠券（请总部开启“店员发放”）", "No coupon may be issued now (HQ turns on issuing)";
    CouponClaimable => "领券中心可领", "Claimable";
    CouponIssuable => "店员发放", "Issued by staff";
    CouponFigures => "已发 {issued}/{stock} · 已用 {used} · 已过期 {expired} · 成本 {cost}", "Given {issued}/{stock} · used {used} · expired {expired} · cost {cost}";
    CouponRuleFixed => "已有券发出，规则和有效期不可再改；名称、数量、限领和发放方式仍可修改", "Coupons have been given out: the rule and dates stay; name, stock, limit and ways can still change";
    CouponKindCash => "满减券", "Cash off";
    CouponKindPercent => "折扣券", "Percent off";
    CouponKindItem => "免费项目券", "Free item";
    CouponNameLabel => "券名称", "Coupon name";
    CouponOffLabel => "减免金额", "Amount off";
    CouponRateLabel => "优惠比例（%）", "Share off (%)";
    CouponRateHint => "如 10 表示打 9 折", "e.g. 10 for 10% off";
    CouponCapLabel => "最高减免", "Most off";
    CouponItemLabel => "免费项目", "Free item";
    CouponNeedsItems => "还没有服务项目：请先在「服务项目」中添加，再建免费项目券", "No service items yet: add one under Service items first, then the free-item coupon";
    CouponMinSpendLabel => "最低消费", "Minimum spend";
    CouponMinSpendHint => "不填为无门槛", "Empty: any amount";
    CouponByDays => "领取后 N 天", "Days from receipt";
    CouponByDates => "固定日期", "Fixed dates";
    CouponFirstDay => "生效日期", "First day";
    CouponLastDay => "截止日期", "Last day";
    CouponDaysLabel => "有效天数", "Days valid";
    CouponPerMemberLabel => "每人限领", "Per member";
    CouponQuotaLeft => "今日还可发 {left} 张（每日 {quota} 张）", "{left} more today (of {quota} a day)";
    CouponIssuedTo => "已发放「{name}」给 {phone}，会员会在消息中收到通知", "Issued “{name}” to {phone}; they are told in their messages";
    MemberCode => "会员码", "Member code";
    ScanWriteOff => "扫码核销", "Scan & write off";
    ScanCodeHint => "扫码枪扫码，或输入会员码 18 位数字", "Scan with the gun, or type the 18 digits";
    ScanOpen => "查询会员", "Look up";
    CameraOpen => "打开相机扫码", "Scan with the camera";
    CameraClose => "关闭相机", "Close the camera";
    CameraStarting => "正在打开相机…", "Opening the camera…";
    CameraAim => "将会员码放入框内，自动识别", "Hold the member code inside the frame";
    CameraPayCode => "这是门店收款码，请扫顾客手机上的会员码", "That is a store's pay code: scan the member code on the customer's phone";
    CameraNotACode => "这不是通卡会员码，请扫顾客手机上的会员码", "That is not a Tongka member code: scan the one on the customer's phone";
    CameraNeedsHttps => "此页面未使用 HTTPS，手机无法打开相机：请输入会员码或使用扫码枪（管理员可按说明启用 HTTPS）", "This page is not on HTTPS, so the phone cannot open its camera: type the member code or use a scanner gun (your admin can turn HTTPS on)";
    CameraDenied => "相机权限被拒绝：请在浏览器设置中允许使用相机，或输入会员码", "Camera access was refused: allow it in the browser's settings, or type the member code";
    CameraMissing => "没有找到可用的相机：请输入会员码或使用扫码枪", "No camera found: type the member code or use a scanner gun";
    CameraFailed => "相机无法启动（可能正被其他应用使用）：请重试或输入会员码", "The camera would not start (another app may be using it): try again or type the member code";
    CameraDecoderFailed => "扫码组件加载失败，请检查网络后重试，或输入会员码", "The scanner could not load: check the network and try again, or type the member code";
    TorchOn => "打开手电筒", "Torch on";
    TorchOff => "关闭手电筒", "Torch off";
    TicketLevel => "{level} · 积分 {n}", "{level} · {n} points";
    UsableHere => "本店可用", "Usable here";
    NothingUsableHere => "该会员在本店没有可核销的卡券", "Nothing of this member's can be used here";
    UsableLeft => "可用 {n} 次", "{n} uses available";
    UsableUnlimited => "今日不限次", "No daily limit";
    WillWriteOff => "将核销：", "To write off:";
    WriteOffQuestion => "为 {member} 核销：{what}？", "Write off for {member}: {what}?";
    ConfirmWriteOff => "确认核销", "Write off";
    WriteOffToast => "核销成功", "Written off";
    WriteOffDone => "已为 {member} 核销 {n} 项", "{n} written off for {member}";
    ChargeByCode => "会员码收款", "Charge by member code";
    ChargeQuestion => "向 {member} 收款 {amount}（从储值扣）？", "Take {amount} from {member}'s stored value?";
    ChargeLevelOff => "（会员等级先减 {off}）", "(their level takes {off} off first)";
    ChargeQuestionCoupon => "向 {member} 收款 {amount}：先用「{coupon}」抵扣，其余从储值扣？", "Charge {member} {amount}: “{coupon}” first, the rest from stored value?";
    ConfirmCharge => "确认收款", "Take payment";
    ChargeToast => "收款成功", "Payment taken";
    ChargeDone => "已收款 {amount}", "{amount} taken";
    MemberTypesPin => "超过免密金额：请会员本人在此输入支付密码", "Above the PIN-free amount: the member types their PIN here";
    WriteOffRecords => "核销记录", "Write-offs";
    UndoWriteOff => "撤销", "Undo";
    UndoWriteOffQuestion => "撤销这笔核销？次数和券退回会员，门店退回结算的 {amount}。", "Undo this write-off? The uses and coupons go back to the member and the store gives back {amount}.";
    UndoReason => "撤销原因", "Why";
    UndoReasonHint => "例如：顾客选错了项目", "e.g. the customer picked the wrong service";
    UndoDone => "已撤销", "Undone";
    UndoneTag => "已撤销", "Undone";
    Undoing => "撤销中…", "Undoing…";
    CouponTag => "券", "Coupon";
    CodeShow => "向店员出示，用于核销卡券或付款", "Show this to the clerk to use your cards or pay";
    CodeTaken => "店员已扫码，已换成新码", "The clerk took your code; here is a new one";
    CodeWait => "此码刚已使用，新码稍后显示", "This code was just used; a new one shows shortly";
    CodeRefreshIn => "{s} 秒后自动更新", "Refreshes in {s} s";
    BrightnessHint => "扫不出？请调高屏幕亮度", "Not scanning? Turn your screen brightness up";
    CodeOffline => "当前无网络，会员码仍可使用", "You are offline: the code still works";
    MsgCouponIssued => "收到一张优惠券", "You received a coupon";
    MsgPointsExpiring => "积分即将到期", "Points about to expire";
    MsgWriteOffUndone => "一笔核销已撤销，次数和券已退回", "A write-off was undone: your uses and coupons are back";
    AuditCardTypeUpdate => "修改卡种", "Card type changed";
    AuditCardSell => "柜台售卡", "Card sold at the counter";
    AuditCardRefund => "退卡（会员卡）", "Card refunded";
    AuditCardExtend => "会员卡延期", "Card extended";
    AuditSandboxPayoutMode => "演示：模拟打款方式", "Demo: sandbox payout mode";
    AuditSandboxGatewaySwitches => "演示：模拟支付开关", "Demo: sandbox gateway switches";
    FieldName => "名称", "Name";
    FieldPhone => "电话", "Phone";
    FieldScope => "范围", "Scope";
    FieldStatus => "状态", "Status";
    FieldMaxBalance => "储值上限", "Balance cap";
    FieldMaxPayment => "单笔上限", "Payment maximum";
    FieldBonusSettle => "赠送金结算给门店", "Bonus settled to store";
    FieldCustomTopUp => "自定义金额充值", "Top-ups of any amount";
    FieldPinAbove => "免密支付额度", "PIN-free limit";
    FieldWithdrawFeeRate => "提现手续费率", "Withdrawal fee rate";
    FieldPay => "充值金额", "Price";
    FieldMode => "设置", "Setting";
    FieldPrice => "价格", "Price";
    FieldOnSale => "在售", "On sale";
    FieldEndsOn => "有效期至", "Valid until";
    StaffLogoutQuestion => "退出后，需重新输入账号和密码登录。", "After logging out you'll sign in again with your account and password.";
}

/// The display name of a role.
pub fn role_text(role: shared::dto::Role) -> Txt {
    use shared::dto::Role::*;
    match role {
        HqAdmin => T::RoleHqAdmin,
        HqFinance => T::RoleHqFinance,
        RegionManager => T::RoleRegionManager,
        StoreManager => T::RoleStoreManager,
        Clerk => T::RoleClerk,
    }
}

/// The message for a validation reason on a field (same text the server sends).
pub fn field_error(field: &str, reason: &str, lang: Lang) -> String {
    let params = [
        ("field".to_string(), field.to_string()),
        ("reason".to_string(), reason.to_string()),
    ]
    .into_iter()
    .collect();
    // Every check a page runs is named in the texts its app carries
    // (shared::error's tests hold the member app to it).
    field_message(&params, lang).unwrap_or_else(|| format!("{field}: {reason}"))
}
