//! Who is calling. Every route names its caller in its signature through
//! these extractors, which reject before the handler runs: `MemberCaller` /
//! `ActiveMember` for members, `StaffCaller<R>` for staff whose role is in
//! the set `R`. Tokens are random; only their SHA-256 is stored.

use crate::clock::Clock;
use crate::entity::{api_key, brand, member, session, staff};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use rand::RngCore;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};
use sea_orm::{FromQueryResult, JoinType, QuerySelect, QueryTrait};
use sha2::{Digest, Sha256};
use shared::ErrorCode;
use shared::dto::Role;
use std::marker::PhantomData;
use std::net::SocketAddr;

shared::named_enum! {
    /// Who a session is of (stored with it).
    pub enum Subject {
        /// A member of the brand.
        Member = "member",
        /// A staff member of the brand.
        Staff = "staff",
    }
}

/// SHA-256 hex of a secret (tokens, SMS codes).
pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Opens a session and returns its bearer token.
pub async fn open_session(
    conn: &impl ConnectionTrait,
    clock: &Clock,
    hours: u32,
    kind: Subject,
    subject_id: i64,
    brand_id: i64,
) -> Result<String, DbErr> {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let now = clock.now_ms();
    session::ActiveModel {
        token_hash: Set(digest(&token)),
        kind: Set(kind.as_str().into()),
        subject_id: Set(subject_id),
        brand_id: Set(brand_id),
        created_at: Set(now),
        expires_at: Set(now + i64::from(hours) * 3_600_000),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(token)
}

/// Ends every open session of one subject at once.
pub async fn revoke_all(
    conn: &impl ConnectionTrait,
    now: i64,
    kind: Subject,
    subject_id: i64,
) -> Result<(), DbErr> {
    session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now))
        .filter(session::Column::Kind.eq(kind.as_str()))
        .filter(session::Column::SubjectId.eq(subject_id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

/// Ends one session.
pub async fn revoke(conn: &impl ConnectionTrait, now: i64, session_id: i64) -> Result<(), DbErr> {
    session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now))
        .filter(session::Column::Id.eq(session_id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    value
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// The live session behind the request's bearer token, of `kind`.
async fn live_session(parts: &Parts, state: &AppState, kind: Subject) -> AppResult<session::Model> {
    let token = bearer(parts).ok_or_else(AppError::unauthenticated)?;
    let found = session::Entity::find()
        .filter(session::Column::TokenHash.eq(digest(token)))
        .filter(session::Column::Kind.eq(kind.as_str()))
        .one(&state.db)
        .await?;
    let now = state.clock.now_ms();
    match found {
        Some(s) if s.revoked_at.is_none() && s.expires_at > now => Ok(s),
        _ => Err(AppError::unauthenticated()),
    }
}

async fn brand_of(state: &AppState, id: i64) -> AppResult<brand::Model> {
    brand::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or_else(AppError::unauthenticated)
}

/// A logged-in member, frozen or not (enough to read one's own profile).
pub struct MemberCaller {
    /// The session in use.
    pub session_id: i64,
    /// The member.
    pub member: member::Model,
    /// Their brand.
    pub brand: brand::Model,
}

impl FromRequestParts<AppState> for MemberCaller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> AppResult<Self> {
        let token = bearer(parts).ok_or_else(AppError::unauthenticated)?;
        MemberCaller::by_token(state, token).await
    }
}

impl MemberCaller {
    /// The member behind a bearer token, with their live session and brand.
    pub async fn by_token(state: &AppState, token: &str) -> AppResult<MemberCaller> {
        let now = state.clock.now_ms();
        // The live session, its member and their brand in one query (every
        // member request).
        let query = member::Entity::find()
            .select_also(brand::Entity)
            .join(
                JoinType::InnerJoin,
                member::Entity::belongs_to(brand::Entity)
                    .from(member::Column::BrandId)
                    .to(brand::Column::Id)
                    .into(),
            )
            .join(
                JoinType::InnerJoin,
                member::Entity::belongs_to(session::Entity)
                    .from(member::Column::Id)
                    .to(session::Column::SubjectId)
                    .into(),
            )
            .filter(session::Column::TokenHash.eq(digest(token)))
            .filter(session::Column::Kind.eq(Subject::Member.as_str()))
            .filter(session::Column::RevokedAt.is_null())
            .filter(session::Column::ExpiresAt.gt(now))
            .column_as(session::Column::Id, "session_id");
        let row = state
            .db
            .query_one(&query.into_query())
            .await?
            .ok_or_else(AppError::unauthenticated)?;
        Ok(MemberCaller {
            session_id: row.try_get("", "session_id")?,
            member: member::Model::from_query_result(&row, "A_")?,
            brand: brand::Model::from_query_result(&row, "B_")?,
        })
    }

    /// Refuses a frozen member: frozen members cannot act.
    pub fn active(self) -> AppResult<MemberCaller> {
        if self.member.frozen {
            return Err(AppError::new(
                axum::http::StatusCode::FORBIDDEN,
                ErrorCode::MemberFrozen,
            ));
        }
        Ok(self)
    }
}

/// The bearer token of a request that must come from a member, not yet
/// looked up (401 when there is none). For routes that look the member up
/// themselves (the batched payment).
pub struct MemberToken(pub String);

impl<S: Send + Sync> FromRequestParts<S> for MemberToken {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> AppResult<Self> {
        let token = bearer(parts).ok_or_else(AppError::unauthenticated)?;
        Ok(MemberToken(token.to_string()))
    }
}

/// A logged-in member who is not frozen: frozen members cannot act.
pub struct ActiveMember(pub MemberCaller);

impl FromRequestParts<AppState> for ActiveMember {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> AppResult<Self> {
        let caller = MemberCaller::from_request_parts(parts, state).await?;
        Ok(ActiveMember(caller.active()?))
    }
}

/// A set of roles allowed on a route.
pub trait RoleSet: Send + Sync + 'static {
    /// The roles.
    const ROLES: &'static [Role];
}

/// Whether `role` is one of `roles` (for compile-time checks on role sets).
pub const fn admits(roles: &[Role], role: Role) -> bool {
    let mut i = 0;
    while i < roles.len() {
        if roles[i] as u8 == role as u8 {
            return true;
        }
        i += 1;
    }
    false
}

/// A role set named after one of `shared::api`'s, so the roles a route
/// declares and the roles its extractor admits are one list.
macro_rules! role_set {
    ($(#[$doc:meta])* $name:ident = $roles:path) => {
        $(#[$doc])*
        pub struct $name;
        impl RoleSet for $name {
            const ROLES: &'static [Role] = $roles;
        }
    };
}

role_set!(/// Every staff role.
    AnyStaff = shared::api::ANY_STAFF);
role_set!(/// HQ admin only: shaping the chain.
    HqAdmin = shared::api::HQ_ADMIN);
role_set!(/// HQ admin and HQ finance: the brand's money.
    HqMoney = shared::api::HQ_MONEY);
role_set!(/// A store's counter: store managers and clerks.
    Counter = shared::api::COUNTER);
role_set!(/// HQ money staff and store managers: giving money back.
    MoneyBack = shared::api::MONEY_BACK);
role_set!(/// HQ and store managers: issuing coupons to members.
    CouponIssuers = shared::api::COUPON_ISSUERS);
role_set!(/// Roles that read across stores: HQ and region managers.
    ChainReaders = shared::api::CHAIN_READERS);
role_set!(/// HQ finance only: money approvals.
    HqFinance = shared::api::HQ_FINANCE);
role_set!(/// Everyone who sees a store's money: all but the clerk.
    Managers = shared::api::MANAGERS);
role_set!(/// The store manager only.
    StoreManager = shared::api::STORE_MANAGER);
role_set!(/// Who manages staff accounts: HQ admin, and a store manager their clerks.
    StaffAdmins = shared::api::STAFF_ADMINS);
role_set!(/// Who edits a store: HQ admin, its region manager and its store manager.
    StoreEditors = shared::api::STORE_EDITORS);

/// What every API key starts with (a session token never does).
pub const KEY_PREFIX: &str = "tk_";

/// A logged-in, active staff member whose role is in `R`, or an API key
/// acting as its own staff row with its role and scope.
pub struct StaffCaller<R: RoleSet = AnyStaff> {
    /// The session in use (0 for an API key).
    pub session_id: i64,
    /// The API key in use, if the caller is a machine.
    pub key: Option<i64>,
    /// The staff row.
    pub staff: staff::Model,
    /// Parsed role.
    pub role: Role,
    /// Their brand.
    pub brand: brand::Model,
    _roles: PhantomData<R>,
}

/// A staff caller of an endpoint that acts on one thing (a withdrawal by
/// id): let in if their role may see such things (`S`; others get 403);
/// whether they may act is the endpoint's declared role set `R`, which the
/// service applies once the thing is found in their scope ([`Acting`]), so
/// a thing outside their scope answers 404 whatever their role.
pub struct SeeThenAct<S: RoleSet, R: RoleSet> {
    /// The caller, admitted by `S`.
    pub caller: StaffCaller<S>,
    _acts: PhantomData<R>,
}

impl<S: RoleSet, R: RoleSet> SeeThenAct<S, R> {
    /// The caller as a service sees them, and who may act.
    pub fn actor(&self) -> (Actor, Acting) {
        (self.caller.actor(), Acting(R::ROLES))
    }
}

impl<S: RoleSet, R: RoleSet> FromRequestParts<AppState> for SeeThenAct<S, R> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> AppResult<Self> {
        Ok(SeeThenAct {
            caller: StaffCaller::<S>::from_request_parts(parts, state).await?,
            _acts: PhantomData,
        })
    }
}

/// The roles that may act on a thing, from an endpoint's role set
/// ([`SeeThenAct`]).
#[derive(Clone, Copy, Debug)]
pub struct Acting(pub &'static [Role]);

impl Acting {
    /// Whether `by` may act (403 if not): asked after the thing was found
    /// in their scope.
    pub fn check(self, by: &Actor) -> AppResult<()> {
        if admits(self.0, by.role) {
            Ok(())
        } else {
            Err(AppError::forbidden())
        }
    }
}

/// A staff member as the services see them: who acts, for which brand, in
/// which role and (for store staff) at which store. Built from a
/// [`StaffCaller`] by the HTTP layer, or by hand in a service's tests.
#[derive(Clone, Debug)]
pub struct Actor {
    /// Their brand.
    pub brand: brand::Model,
    /// Their staff id.
    pub staff_id: i64,
    /// Their role.
    pub role: Role,
    /// Their store (clerks and store managers).
    pub store_id: Option<i64>,
    /// Their region (region managers).
    pub region_id: Option<i64>,
    /// The API key acting for them, when a machine calls.
    pub key: Option<i64>,
}

impl Actor {
    /// How the ledger and the audit log name them.
    pub fn name(&self) -> String {
        format!("staff:{}", self.staff_id)
    }

    /// Refuses a machine: what only a person may do (make or end API keys,
    /// change a password).
    pub fn in_person(&self) -> AppResult<()> {
        match self.key {
            Some(_) => Err(AppError::forbidden()),
            None => Ok(()),
        }
    }

    /// Whether their scope covers the store (HQ: every store; a region
    /// manager: their region's; store staff: their own).
    pub fn covers_store(&self, store_id: i64, store_region_id: i64) -> bool {
        crate::chain::reach(self).covers(store_id, store_region_id)
    }
}

impl<R: RoleSet> StaffCaller<R> {
    /// The caller as a service sees them.
    pub fn actor(&self) -> Actor {
        Actor {
            brand: self.brand.clone(),
            staff_id: self.staff.id,
            role: self.role,
            store_id: self.staff.store_id,
            region_id: self.staff.region_id,
            key: self.key,
        }
    }
}

impl<R: RoleSet> FromRequestParts<AppState> for StaffCaller<R> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> AppResult<Self> {
        let token = bearer(parts).ok_or_else(AppError::unauthenticated)?;
        let (session_id, staff_id, key) = if token.starts_with(KEY_PREFIX) {
            let k = live_key(state, token).await?;
            record_key_use(state, &k, parts).await?;
            (0, k.staff_id, Some(k.id))
        } else {
            let s = live_session(parts, state, Subject::Staff).await?;
            (s.id, s.subject_id, None)
        };
        let staff = staff::Entity::find_by_id(staff_id)
            .one(&state.db)
            .await?
            .ok_or_else(AppError::unauthenticated)?;
        // A key's row acts only through its key, never through a session.
        if !staff.active || staff.api_key != key.is_some() {
            return Err(AppError::unauthenticated());
        }
        let role = Role::parse(&staff.role)
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("bad role {}", staff.role)))?;
        if !R::ROLES.contains(&role) {
            return Err(AppError::forbidden());
        }
        let brand = brand_of(state, staff.brand_id).await?;
        Ok(StaffCaller {
            session_id,
            key,
            staff,
            role,
            brand,
            _roles: PhantomData,
        })
    }
}

impl<R: RoleSet> StaffCaller<R> {
    /// Whether the session or key is still good (for a request that waits:
    /// a revoked key or ended session must not be answered at the end).
    pub async fn still_valid(&self, state: &AppState) -> AppResult<()> {
        let now = state.clock.now_ms();
        let live = match self.key {
            Some(id) => api_key::Entity::find_by_id(id)
                .one(&state.db)
                .await?
                .is_some_and(|k| k.revoked_at.is_none()),
            None => session::Entity::find_by_id(self.session_id)
                .one(&state.db)
                .await?
                .is_some_and(|s| s.revoked_at.is_none() && s.expires_at > now),
        };
        let active = staff::Entity::find_by_id(self.staff.id)
            .one(&state.db)
            .await?
            .is_some_and(|s| s.active);
        if live && active {
            Ok(())
        } else {
            Err(AppError::unauthenticated())
        }
    }
}

/// The unrevoked key whose secret this is.
async fn live_key(state: &AppState, secret: &str) -> AppResult<api_key::Model> {
    api_key::Entity::find()
        .filter(api_key::Column::SecretHash.eq(digest(secret)))
        .filter(api_key::Column::RevokedAt.is_null())
        .one(&state.db)
        .await?
        .ok_or_else(AppError::unauthenticated)
}

/// Every use of a key: its last use, and a line in the audit log as the key.
async fn record_key_use(state: &AppState, k: &api_key::Model, parts: &Parts) -> AppResult<()> {
    let now = state.clock.now_ms();
    let tx = crate::db::begin_write(&state.db).await?;
    api_key::Entity::update_many()
        .col_expr(api_key::Column::LastUsedAt, Expr::value(now))
        .filter(api_key::Column::Id.eq(k.id))
        .exec(&tx)
        .await?;
    let call = format!(
        "{} {}",
        parts.method,
        parts
            .extensions
            .get::<axum::extract::OriginalUri>()
            .map_or(parts.uri.path(), |u| u.path())
    );
    let rec = crate::audit::Record::new(shared::dto::AuditAction::ApiKeyUse, call)
        .extra(serde_json::json!({ "key": k.id, "prefix": k.prefix }));
    crate::audit::record(&tx, now, k.brand_id, Some(k.staff_id), rec).await?;
    tx.commit().await?;
    Ok(())
}

/// The client's address: the socket peer, or the last `X-Forwarded-For`
/// entry (the one the reverse proxy appended) when configured to trust it.
pub struct ClientIp(pub String);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> AppResult<Self> {
        if state.trust_forwarded_for {
            let forwarded = parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok());
            // The entry our proxy appended (the last one): everything to
            // its left was written by the client and may be made up, which
            // would give a guesser a fresh allowance per request.
            if let Some(last) = forwarded
                .and_then(|v| v.rsplit(',').next())
                .map(str::trim)
                .filter(|v| !v.is_empty())
            {
                return Ok(ClientIp(last.to_string()));
            }
        }
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string());
        Ok(ClientIp(peer.unwrap_or_else(|| "unknown".into())))
    }
}

/// The request's language.
pub struct RequestLang(pub shared::Lang);

impl<S: Send + Sync> FromRequestParts<S> for RequestLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(RequestLang(crate::error::request_lang(&parts.headers)))
    }
}
