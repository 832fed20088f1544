//! Invites (邀请有礼, DESIGN.md "Engagement"): HQ's programme, a member's
//! code and friends, and HQ's figures.

use super::*;

crate::named_enum! {
    /// When an invite's rewards are given.
    #[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
    pub enum InviteTrigger {
        /// As soon as the friend registers through the link.
        Registration = "registration",
        /// When the friend's first payment of at least the minimum from
        /// their own money has outlived the refund window.
        FirstPayment = "first_payment",
    }
}

crate::named_enum! {
    /// Where one invite stands.
    #[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
    pub enum InviteState {
        /// Registered; no qualifying payment yet.
        Waiting = "waiting",
        /// Rewards due (a qualifying payment waits out its refund window,
        /// or a registration's rewards are being given).
        Pending = "pending",
        /// Rewards given.
        Rewarded = "rewarded",
    }
}

crate::named_enum! {
    /// What a login did with the invite code it carried.
    #[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
    pub enum InviteBinding {
        /// The new member is now the inviter's friend.
        Bound = "bound",
        /// Already a member: an invite binds only a registration, once.
        AlreadyMember = "already_member",
        /// The member's own code: no one invites themself.
        OwnCode = "own_code",
    }
}

/// What one side of an invite gets: points, a coupon, or both.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct InviteReward {
    /// Points (0–100000).
    pub points: i64,
    /// A coupon of this template (the brand's); none for no coupon.
    #[serde(default)]
    pub coupon_template_id: Option<i64>,
}

impl InviteReward {
    /// Whether it gives anything.
    pub fn is_empty(&self) -> bool {
        self.points == 0 && self.coupon_template_id.is_none()
    }
}

/// HQ's invite programme.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct InvitePolicy {
    /// Whether invite links bind new members.
    pub enabled: bool,
    /// When rewards are given.
    pub trigger: InviteTrigger,
    /// With `first_payment`: the least a payment must take from the
    /// friend's own money (principal and online; not bonus, coupons or
    /// points) to count, in fen (1–1000000).
    pub min_payment: Fen,
    /// With `first_payment`: days the payment must stay unrefunded before
    /// rewards are given (1–30).
    pub window_days: u32,
    /// Invites a day whose inviter's reward is given (1–100); friends
    /// beyond it still get theirs.
    pub daily_cap: u32,
    /// What the inviter gets per friend.
    pub inviter: InviteReward,
    /// What the friend gets.
    pub invitee: InviteReward,
}

impl Default for InvitePolicy {
    fn default() -> Self {
        InvitePolicy {
            enabled: false,
            trigger: InviteTrigger::FirstPayment,
            min_payment: Fen(1_000),
            window_days: 7,
            daily_cap: 10,
            inviter: InviteReward::default(),
            invitee: InviteReward::default(),
        }
    }
}

/// What an invite link offers a newcomer (no one's personal data).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct InviteOffer {
    /// The code, as it will bind.
    pub code: String,
    /// When the rewards come.
    pub trigger: InviteTrigger,
    /// The least first payment that counts (fen), with `first_payment`.
    pub min_payment: Fen,
    /// Days the payment must stay unrefunded.
    pub window_days: u32,
    /// What the newcomer gets.
    pub invitee: InviteReward,
    /// The coupon's name, when there is one.
    pub invitee_coupon: Option<String>,
}

/// A member's invite page: their code and link, the programme and how it
/// went.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct MemberInvites {
    /// The member's invite code (unique in the brand, never changes).
    pub code: String,
    /// The link a friend registers through (the server's public URL).
    pub link: String,
    /// Whether the programme is on (the link binds new members).
    pub enabled: bool,
    /// When rewards come.
    pub trigger: InviteTrigger,
    /// The least first payment that counts (fen).
    pub min_payment: Fen,
    /// Days a payment must stay unrefunded.
    pub window_days: u32,
    /// What the member gets per friend.
    pub inviter: InviteReward,
    /// What a friend gets.
    pub invitee: InviteReward,
    /// Coupon names by template id, for the rewards above.
    pub coupon_names: Vec<(i64, String)>,
    /// Friends who registered through the member's link.
    pub invited: u32,
    /// Of them, those whose rewards were given.
    pub converted: u32,
    /// Those whose rewards are due (a payment waits out its window).
    pub pending: u32,
    /// Converted per invited, in basis points (0 when none invited).
    pub conversion_bp: u32,
    /// Points the member got from invites.
    pub points_earned: i64,
    /// Coupons the member got from invites.
    pub coupons_earned: u32,
}

/// One friend on the inviter's list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct InvitedFriend {
    /// The invite's id (the list's cursor).
    pub id: i64,
    /// The friend's phone, masked (138****0001).
    pub phone_masked: String,
    /// When they registered (RFC 3339).
    pub registered_at: String,
    /// Where the invite stands.
    pub state: InviteState,
    /// With `pending`: when the rewards are due (RFC 3339).
    pub due_at: Option<String>,
    /// Points the inviter got for this friend.
    pub points: i64,
    /// Whether the inviter got a coupon for this friend.
    pub coupon: bool,
    /// Whether the inviter's reward was over the day's cap (the friend
    /// still got theirs).
    pub capped: bool,
}

/// An inviter on HQ's list of the best.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct TopInviter {
    /// The member's id.
    pub member_id: i64,
    /// Their name (may be empty).
    pub name: String,
    /// Their phone, masked.
    pub phone_masked: String,
    /// Friends registered through their link.
    pub invited: u32,
    /// Of them, rewarded.
    pub converted: u32,
}

/// HQ's figures for the invite programme.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct InviteFigures {
    /// Members who registered through an invite.
    pub invited: u32,
    /// Of them, rewarded.
    pub converted: u32,
    /// Rewards due.
    pub pending: u32,
    /// Converted per invited, in basis points.
    pub conversion_bp: u32,
    /// Points given to inviters and friends.
    pub points_given: i64,
    /// Coupons given to inviters and friends.
    pub coupons_given: u32,
    /// Inviters' rewards not given for the daily cap.
    pub capped: u32,
    /// The ten inviters with the most friends.
    pub top: Vec<TopInviter>,
}

/// Converted per invited in basis points (0 with none invited).
pub fn conversion_bp(converted: u32, invited: u32) -> u32 {
    if invited == 0 {
        return 0;
    }
    u32::try_from(u64::from(converted) * 10_000 / u64::from(invited)).unwrap_or(10_000)
}
