//! Points (积分): HQ's policy and a member's points, lot by lot.

use super::*;
use crate::dto::*;

endpoints! {
    area "points";

    /// The brand's points policy: what payments earn, how long points last,
    /// what they are worth when paying.
    GetPointsPolicy: GET "/hq/points-policy", Staff(ANY_STAFF) => PointsPolicy;

    /// Changes the brand's points policy (audited). Lots already earned
    /// keep their expiry.
    PutPointsPolicy: PUT "/hq/points-policy", Staff(HQ_ADMIN),
        body PointsPolicy => PointsPolicy;

    /// The member's points: usable now, what expires next and when, what
    /// refunds left owed, and each lot.
    MemberPoints: GET "/member/points", Member => MemberPointsView;
}
