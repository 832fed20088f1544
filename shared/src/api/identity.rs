//! Who is calling: members' and staff's logins and profiles, staff
//! accounts, the member list, the audit log.

use super::*;
use crate::dto::*;

endpoints! {
    area "identity";

    /// Sends a login code by SMS to a member's phone (limited per phone and
    /// per address).
    SendSmsCode: POST "/brands/{slug}/member/sms-code" (str), Public,
        body SmsCodeRequest => SmsCodeSent, [BrandNotFound, RateLimited];

    /// Logs a member in (or registers them) with the SMS code; answers a
    /// session token.
    MemberLogin: POST "/brands/{slug}/member/login" (str), Public,
        body MemberLoginRequest => MemberSession,
        [BrandNotFound, SmsCodeExpired, SmsCodeLocked, WrongSmsCode, ConsentRequired];

    /// The logged-in member's profile.
    MemberMe: GET "/member/me", Member => MemberProfile;

    /// Changes the member's name, birthday or home store.
    UpdateMemberMe: PATCH "/member/me", ActiveMember,
        body MemberProfileUpdate => MemberProfile;

    /// Ends the member's session.
    MemberLogout: POST "/member/logout", Member => 204 ();

    /// Closes the member's account (注销): refused while it holds stored
    /// value or a payment is under way; every session ends, and the phone
    /// may register again later as a new member.
    CloseMemberAccount: POST "/member/close", Member => 204 (),
        [AccountHasBalance, Conflict];

    /// Logs a staff member in with phone and password (limited per account
    /// and per address); answers a session token.
    StaffLogin: POST "/brands/{slug}/staff/login" (str), Public,
        body StaffLoginRequest => StaffSession,
        [BrandNotFound, TooManyAttempts, AccountLocked, WrongCredentials, AccountDeactivated];

    /// The logged-in staff member and their scope.
    StaffMe: GET "/staff/me", Staff(ANY_STAFF) => StaffSession;

    /// Ends the staff session.
    StaffLogout: POST "/staff/logout", Staff(ANY_STAFF) => 204 ();

    /// Changes one's own password (other sessions end).
    ChangePassword: POST "/staff/password", Staff(ANY_STAFF),
        body PasswordChange => StaffSession, [WrongCurrentPassword];

    /// Staff accounts in the caller's scope.
    ListStaff: GET "/hq/staff", Staff(MANAGERS) => Vec<StaffView>;

    /// Creates a staff account (HQ admin any; a store manager clerks of
    /// their store).
    CreateStaff: POST "/hq/staff", Staff(STAFF_ADMINS),
        body StaffCreate => 201 StaffView, [AlreadyExists];

    /// Changes a staff account's name, role or scope (HQ admin any; a store
    /// manager their clerks; never one's own).
    UpdateStaff: PUT "/hq/staff/{id}" (i64), Staff(STAFF_ADMINS),
        body StaffUpdate => StaffView;

    /// Sets a new password for a staff account (their sessions end).
    ResetStaffPassword: POST "/hq/staff/{id}/reset-password" (i64), Staff(STAFF_ADMINS),
        body PasswordReset => StaffView;

    /// Deactivates a staff account (their sessions end).
    DeactivateStaff: POST "/hq/staff/{id}/deactivate" (i64), Staff(STAFF_ADMINS) => StaffView;

    /// Activates a staff account again.
    ActivateStaff: POST "/hq/staff/{id}/activate" (i64), Staff(STAFF_ADMINS) => StaffView;

    /// Lifts a staff account's login lock after wrong passwords.
    UnlockStaff: POST "/hq/staff/{id}/unlock" (i64), Staff(HQ_ADMIN) => StaffView;

    /// Members of the brand (a region manager: of their region), newest
    /// first; `q` searches name and phone.
    ListMembers: GET "/hq/members", Staff(CHAIN_READERS),
        query MemberSearch => Page<MemberListItem>;

    /// One member in full: profile and stored value (a region manager: of
    /// their region).
    GetMember: GET "/hq/members/{id}" (i64), Staff(CHAIN_READERS) => MemberDetail;

    /// One member's movements of money, newest first, as their own 明细
    /// shows them.
    ListMemberHistory: GET "/hq/members/{id}/history" (i64), Staff(CHAIN_READERS),
        query HistoryQuery => Page<HistoryItem>;

    /// Freezes a member: they can log in and read, not pay.
    FreezeMember: POST "/hq/members/{id}/freeze" (i64), Staff(HQ_ADMIN) => MemberListItem,
        [MemberClosed];

    /// Corrects a member's birthday, which members set once themselves
    /// (audited with what it was).
    CorrectMemberBirthday: PUT "/hq/members/{id}/birthday" (i64), Staff(HQ_ADMIN),
        body BirthdayCorrection => MemberListItem, [MemberClosed];

    /// Unfreezes a member.
    UnfreezeMember: POST "/hq/members/{id}/unfreeze" (i64), Staff(HQ_ADMIN) => MemberListItem,
        [MemberClosed];

    /// Every staff action, newest first.
    ListAudit: GET "/hq/audit", Staff(HQ_MONEY),
        query AuditQuery => Page<AuditEntry>;

    /// The brand's API keys for machines, newest first (never their
    /// secrets).
    ListApiKeys: GET "/hq/api-keys", Staff(HQ_ADMIN) => Vec<ApiKeyView>;

    /// Creates an API key with a role and its scope; the secret is in this
    /// answer only (audited). Not with an API key.
    CreateApiKey: POST "/hq/api-keys", Staff(HQ_ADMIN),
        body ApiKeyInput => 201 ApiKeyCreated;

    /// Revokes an API key: it stops working at once, requests in flight
    /// included (audited).
    RevokeApiKey: POST "/hq/api-keys/{id}/revoke" (i64), Staff(HQ_ADMIN) => ApiKeyView;

    /// Items the brand's background jobs could not handle (a gateway order,
    /// a refund, a payout), newest first; each leaves the list once a later
    /// run handles it.
    ListJobFailures: GET "/hq/job-failures", Staff(HQ_ADMIN),
        query AfterQuery => Page<JobFailure>;
}
