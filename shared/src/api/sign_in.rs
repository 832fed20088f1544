//! Daily sign-in (签到): HQ's rewards, a member's calendar and signing in.

use super::*;
use crate::dto::*;

endpoints! {
    area "sign_in";

    /// The brand's sign-in rewards: points a day and for streaks.
    GetSignInPolicy: GET "/hq/sign-in-policy", Staff(ANY_STAFF) => SignInPolicy;

    /// Changes the brand's sign-in rewards (audited). Sign-ins already
    /// made keep what they gave.
    PutSignInPolicy: PUT "/hq/sign-in-policy", Staff(HQ_ADMIN),
        body SignInPolicy => SignInPolicy;

    /// The member's sign-in calendar for a month, today and the streak.
    MemberSignIns: GET "/member/sign-in", Member, query MonthQuery => MemberSignInView;

    /// Signs the member in for today (once per business date in the
    /// brand's zone): the day's and the streak's points. Signing in again
    /// that day answers the first sign-in and gives nothing more.
    SignIn: POST "/member/sign-in", ActiveMember => SignInResult, [SignInOff];
}
