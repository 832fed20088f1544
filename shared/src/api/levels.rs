//! Member levels (会员等级): HQ's levels and where a member stands.

use super::*;
use crate::dto::*;

endpoints! {
    area "levels";

    /// The brand's levels, lowest threshold first, and whether refunds
    /// lower a member's level.
    GetLevels: GET "/hq/levels", Staff(ANY_STAFF) => LevelsPolicy;

    /// Replaces the brand's levels (audited): levels named by id are
    /// changed, new ones added, the ones left out removed. Members'
    /// levels follow from their spend at once.
    PutLevels: PUT "/hq/levels", Staff(HQ_ADMIN), body LevelsPolicy => LevelsPolicy;

    /// The member's level, spend, the next level and what each brings.
    MemberLevel: GET "/member/level", Member => MemberLevelView;
}
