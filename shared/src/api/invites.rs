//! Invites (邀请有礼): HQ's programme and figures, what a link offers a
//! newcomer, and a member's code and friends.

use super::*;
use crate::dto::*;

endpoints! {
    area "invites";

    /// The brand's invite programme: when rewards come and what each side
    /// gets.
    GetInvitePolicy: GET "/hq/invite-policy", Staff(ANY_STAFF) => InvitePolicy;

    /// Changes the brand's invite programme (audited). Invites already
    /// rewarded keep what they gave; those still due get the rewards in
    /// force when they are given.
    PutInvitePolicy: PUT "/hq/invite-policy", Staff(HQ_ADMIN),
        body InvitePolicy => InvitePolicy;

    /// The programme's figures: invited, converted, rewards given and the
    /// best inviters.
    InviteProgramme: GET "/hq/invites", Staff(HQ_MONEY) => InviteFigures;

    /// What an invite link offers a newcomer (for the registration page).
    InviteOfferInfo: GET "/brands/{slug}/invite" (str), Public,
        query InviteCodeQuery => InviteOffer, [BrandNotFound, InviteOff];

    /// The member's invite code, link, the programme and how it went.
    MyInvites: GET "/member/invites", Member => MemberInvites;

    /// The friends who registered through the member's link, newest first.
    MyInvitedFriends: GET "/member/invites/friends", Member,
        query AfterQuery => Page<InvitedFriend>;
}
