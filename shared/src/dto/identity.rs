//! Who is calling: roles, brands, member and staff login, sessions and profiles.

use super::*;

/// A staff role. Scope: HQ roles see the whole brand, a region manager one
/// region, store roles one store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 总部管理员: shapes the chain, reads everything.
    HqAdmin,
    /// 总部财务: money approvals, reads members and statements.
    HqFinance,
    /// 区域经理: the stores of one region.
    RegionManager,
    /// 店长: one store.
    StoreManager,
    /// 店员: one store, counter work only.
    Clerk,
}

impl Role {
    /// Every role, in the order the UI lists them.
    pub const ALL: [Role; 5] = [
        Role::HqAdmin,
        Role::HqFinance,
        Role::RegionManager,
        Role::StoreManager,
        Role::Clerk,
    ];

    /// The stored and transmitted name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::HqAdmin => "hq_admin",
            Role::HqFinance => "hq_finance",
            Role::RegionManager => "region_manager",
            Role::StoreManager => "store_manager",
            Role::Clerk => "clerk",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// HQ roles see the whole brand.
    pub fn is_hq(self) -> bool {
        matches!(self, Role::HqAdmin | Role::HqFinance)
    }

    /// Whether the role needs a region (region manager) or a store (store roles).
    pub fn scope_kind(self) -> ScopeKind {
        match self {
            Role::HqAdmin | Role::HqFinance => ScopeKind::Brand,
            Role::RegionManager => ScopeKind::Region,
            Role::StoreManager | Role::Clerk => ScopeKind::Store,
        }
    }
}

/// What a role's scope is attached to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScopeKind {
    /// The whole brand.
    Brand,
    /// One region.
    Region,
    /// One store.
    Store,
}

/// A brand as anyone may see it (the login screens show it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct BrandPublic {
    /// URL slug.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// IANA time zone, e.g. `Asia/Shanghai`.
    pub time_zone: String,
    /// `#RRGGBB`.
    pub theme_color: String,
    /// Logo URL, if any.
    pub logo_url: Option<String>,
    /// Whether members can pay online (top up, pay a shortfall).
    #[serde(default)]
    pub online_payments: bool,
    /// Demo mode: online payments go through a sandbox, no real money.
    #[serde(default)]
    pub sandbox: bool,
    /// Whether HQ has daily sign-in on.
    #[serde(default)]
    pub sign_in: bool,
    /// Whether HQ has the invite programme on.
    #[serde(default)]
    pub invites: bool,
}

/// Ask for an SMS login code.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct SmsCodeRequest {
    /// Mainland mobile number.
    pub phone: String,
}

/// The code was sent.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct SmsCodeSent {
    /// Seconds before another code may be requested for this phone.
    pub resend_after: u64,
    /// Seconds the code stays valid.
    pub expires_in: u64,
}

/// Log in (registering on first login) with phone + SMS code.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct MemberLoginRequest {
    /// Mainland mobile number.
    pub phone: String,
    /// The 6-digit code.
    pub code: String,
    /// Consent to the privacy terms (needed to register).
    #[serde(default)]
    pub consent: bool,
    /// The invite code of the link the newcomer came through: registering
    /// binds them to its owner (once; an existing member is not rebound).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invite_code: Option<String>,
}

/// A member as the member sees themself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct MemberProfile {
    /// Member id.
    pub id: i64,
    /// Full phone (the member's own).
    pub phone: String,
    /// Display name; empty until set.
    pub name: String,
    /// `YYYY-MM-DD` or none.
    pub birthday: Option<String>,
    /// `male`, `female` or none.
    pub gender: Option<String>,
    /// Home store name.
    pub home_store: Option<String>,
    /// Registered at (RFC 3339, UTC).
    pub registered_at: String,
    /// Level name; levels come later.
    pub level: Option<String>,
    /// Frozen members cannot pay or be written off.
    pub frozen: bool,
    /// Whether the member agreed to an SMS when points are about to expire
    /// (the message centre tells everyone).
    #[serde(default)]
    pub points_sms: bool,
}

/// A successful member login.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct MemberSession {
    /// Bearer token.
    pub token: String,
    /// Whether this login created the membership.
    pub registered: bool,
    /// The member.
    pub member: MemberProfile,
    /// What the login did with the invite code it carried, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invite: Option<InviteBinding>,
}

/// Staff's correction of a member's birthday.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct BirthdayCorrection {
    /// The birthday `YYYY-MM-DD` (not after today in the brand's zone).
    pub birthday: String,
}

/// Profile fields a member may change; absent fields stay as they are.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct MemberProfileUpdate {
    /// New name.
    pub name: Option<String>,
    /// New birthday `YYYY-MM-DD`.
    pub birthday: Option<String>,
    /// `male` or `female`.
    pub gender: Option<String>,
    /// Agree (true) or no longer agree (false) to an SMS when points are
    /// about to expire.
    #[serde(default)]
    pub points_sms: Option<bool>,
}

/// Staff login.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct StaffLoginRequest {
    /// Account name.
    pub account: String,
    /// Password.
    pub password: String,
}

/// A staff member as shown in lists and as the logged-in user.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct StaffView {
    /// Staff id.
    pub id: i64,
    /// Login account.
    pub account: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Region scope (region manager).
    pub region_id: Option<i64>,
    /// Store scope (store roles).
    pub store_id: Option<i64>,
    /// Name of the scope (region or store), for display.
    pub scope_name: Option<String>,
    /// Deactivated accounts cannot log in.
    pub active: bool,
    /// Until when too many wrong passwords keep it locked (RFC 3339), if
    /// they do; HQ admin can unlock it.
    #[serde(default)]
    pub locked_until: Option<String>,
}

/// A successful staff login.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct StaffSession {
    /// Bearer token.
    pub token: String,
    /// The staff member.
    pub staff: StaffView,
    /// The brand.
    pub brand: BrandPublic,
}

/// Change one's own password.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PasswordChange {
    /// Current password.
    pub current: String,
    /// New password.
    pub new: String,
}

/// Create a staff account.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct StaffCreate {
    /// Login account.
    pub account: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Region (region manager).
    pub region_id: Option<i64>,
    /// Store (store roles).
    pub store_id: Option<i64>,
    /// Initial password.
    pub password: String,
}

/// Edit a staff account's name or scope.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct StaffUpdate {
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Region (region manager).
    pub region_id: Option<i64>,
    /// Store (store roles).
    pub store_id: Option<i64>,
}

/// Set a staff member's password (HQ reset).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PasswordReset {
    /// New password.
    pub password: String,
}

/// Create an API key for a machine (an ERP, a till): a role and its scope,
/// as for a staff account.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ApiKeyInput {
    /// What it is for ("ERP", "till 3").
    pub name: String,
    /// The role it acts with; it can never do more.
    pub role: Role,
    /// Region (region manager keys).
    pub region_id: Option<i64>,
    /// Store (store manager and clerk keys).
    pub store_id: Option<i64>,
}

/// An API key as HQ admin sees it (never the secret).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ApiKeyView {
    /// Key id.
    pub id: i64,
    /// What it is for.
    pub name: String,
    /// Its first characters (`tk_…`), to tell keys apart.
    pub prefix: String,
    /// The role it acts with.
    pub role: Role,
    /// Region scope (region manager keys).
    pub region_id: Option<i64>,
    /// Store scope (store keys).
    pub store_id: Option<i64>,
    /// Name of the scope (region or store), for display.
    pub scope_name: Option<String>,
    /// Who created it.
    pub created_by: String,
    /// When (RFC 3339).
    pub created_at: String,
    /// When it was last used (RFC 3339), if ever.
    pub last_used_at: Option<String>,
    /// When it was revoked (RFC 3339), if it was: it no longer works.
    pub revoked_at: Option<String>,
}

/// A key just created: the secret is shown this once and never again.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ApiKeyCreated {
    /// The key.
    pub key: ApiKeyView,
    /// The secret to send as `Authorization: Bearer <secret>`.
    pub secret: String,
}
