//! The one test harness of the API suite, in the spirit of zero-to-production's
//! `spawn_app`: every test gets its own brand and its own server on a random
//! port, on a database shared by the whole test process (one per backend,
//! created and migrated once, dropped at exit). Tests talk to the server only
//! through HTTP, the way the apps do, and read the SMS outbox to log in.
//!
//! Why one global runtime: SeaORM pools spawn tasks on the runtime that made
//! them, so the shared pools must outlive every test; `#[tokio::test]` would
//! give each test a runtime of its own that dies with it.

use chrono::{TimeZone, Utc};
use rand::Rng;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder, Set,
};
use shared::dto::{
    MemberLoginRequest, MemberSession, RegionInput, RegionView, Role, SmsCodeRequest, StaffCreate,
    StaffLoginRequest, StaffSession, StaffView, StoreInput, StoreView,
};
use std::collections::HashSet;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;
use tokio::runtime::Runtime;
use tongka_server::clock::Clock;
use tongka_server::config::Limits;
use tongka_server::entity::{member, notification};
use tongka_server::seed::{NewBrand, create_brand};
use tongka_server::state::AppState;

use crate::databases::{database, process_dir};
pub use crate::http::{Reply, Req};

/// The first HQ admin of every test brand.
pub const ADMIN_ACCOUNT: &str = "admin";
/// Their password.
pub const ADMIN_PASSWORD: &str = "Passw0rd!";
/// The password of every staff account a test creates.
pub const STAFF_PASSWORD: &str = "Staff1234";

/// Where every test's clock starts: a Monday, 09:00 in Shanghai.
pub fn start_instant() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0)
        .single()
        .expect("a valid instant")
}

/// Runs each test on both backends: `dual_test!(name, |app| async move { .. })`
/// expands to `mod name { fn sqlite(); fn postgres(); }`. A second form takes
/// the rate limits the server runs with: `dual_test!(name, limits = expr, |app| ..)`.
macro_rules! dual_test {
    ($name:ident, |$app:ident| $body:expr) => {
        mod $name {
            use super::*;

            #[test]
            fn sqlite() {
                $crate::helpers::run_test($crate::helpers::Backend::Sqlite, None, |$app| $body);
            }

            #[test]
            fn postgres() {
                $crate::helpers::run_test($crate::helpers::Backend::Postgres, None, |$app| $body);
            }
        }
    };
    ($name:ident, limits = $limits:expr, |$app:ident| $body:expr) => {
        mod $name {
            use super::*;

            #[test]
            fn sqlite() {
                $crate::helpers::run_test(
                    $crate::helpers::Backend::Sqlite,
                    Some($limits),
                    |$app| $body,
                );
            }

            #[test]
            fn postgres() {
                $crate::helpers::run_test(
                    $crate::helpers::Backend::Postgres,
                    Some($limits),
                    |$app| $body,
                );
            }
        }
    };
}
pub(crate) use dual_test;

/// The database a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file in a temporary directory.
    Sqlite,
    /// A PostgreSQL database on 127.0.0.1:5432.
    Postgres,
}

/// The one runtime every test and every test server runs on.
pub fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(4)
            .enable_all()
            .build()
            .expect("building the test runtime")
    })
}

/// Spawns an app on `backend` (with the default limits unless given others)
/// and runs `test` against it.
pub fn run_test<F, Fut>(backend: Backend, limits: Option<Limits>, test: F)
where
    F: FnOnce(TestApp) -> Fut,
    Fut: Future<Output = ()>,
{
    runtime().block_on(async move {
        let app = match limits {
            None => spawn_app(backend).await,
            Some(limits) => spawn_app_with(backend, limits).await,
        };
        test(app).await;
    });
}

// ---------------------------------------------------------------------------
// One app per test.

/// A running server with its own brand, and what a test needs to drive it.
#[derive(Clone)]
pub struct TestApp {
    /// Which database it runs on.
    pub backend: Backend,
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// The HTTP client, with a client address of this app's own.
    pub client: reqwest::Client,
    /// The server's clock; tests move it instead of sleeping.
    pub clock: Clock,
    /// The database (shared with the other tests of the process).
    pub db: DatabaseConnection,
    /// This test's brand.
    pub slug: String,
    /// Its id.
    pub brand_id: i64,
    /// The server's state (its gateway, for sweeps).
    pub state: AppState,
}

/// A random lowercase hex string of `n` characters.
pub fn random_hex(n: usize) -> String {
    let mut rng = rand::rng();
    (0..n)
        .map(|_| char::from_digit(rng.random_range(0..16), 16).unwrap_or('0'))
        .collect()
}

/// A random mainland mobile number, never the same twice in a process. Rate
/// limits count per phone across the whole deployment, and every test of a
/// process shares one (with the same start time), so no test may hard-code a
/// phone or share one by chance.
pub fn random_phone() -> String {
    static ISSUED: Mutex<Option<HashSet<String>>> = Mutex::new(None);
    let mut issued = ISSUED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let issued = issued.get_or_insert_with(HashSet::new);
    loop {
        let phone = format!("139{:08}", rand::rng().random_range(0..100_000_000u32));
        if issued.insert(phone.clone()) {
            return phone;
        }
    }
}

/// A client bound to a loopback address of its own (all of 127.0.0.0/8 is
/// loopback on Linux). The server limits SMS per client address; with one
/// address per app, tests running side by side do not use up each other's
/// allowance, and the defaults stay on.
pub fn client_with_own_address() -> reqwest::Client {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let [_, _, hi, lo] = n.to_be_bytes();
    let ip = IpAddr::V4(Ipv4Addr::new(127, 77, hi, lo));
    reqwest::Client::builder()
        .local_address(ip)
        .no_proxy()
        .build()
        .expect("building the HTTP client")
}

/// An app with the default limits.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, Limits::default()).await
}

/// An app whose server runs with `limits` (in demo mode, as `cargo xtask
/// serve` does: the sandboxes are on).
pub async fn spawn_app_with(backend: Backend, limits: Limits) -> TestApp {
    spawn_app_on(backend, |db, clock, public_url| {
        AppState::new(db, clock, limits, public_url, None, GATEWAY_KEY.as_bytes())
            .expect("building the app state")
    })
    .await
}

/// An app whose server runs with the state `make` builds from the
/// database, the clock and its public URL (e.g. outside demo mode).
pub async fn spawn_app_on(
    backend: Backend,
    make: impl FnOnce(DatabaseConnection, Clock, &str) -> AppState,
) -> TestApp {
    spawn_app_in(backend, database(backend).await, make).await
}

/// A demo-mode app on a database of its own (for tests that break rows on
/// purpose, or whose sweeps must not touch other tests' brands).
pub async fn spawn_app_with_own_database(backend: Backend) -> TestApp {
    let (_, db) = crate::databases::separate_database(backend).await;
    spawn_app_in(backend, db, |db, clock, url| {
        AppState::new(
            db,
            clock,
            Limits::default(),
            url,
            None,
            GATEWAY_KEY.as_bytes(),
        )
        .expect("building the app state")
    })
    .await
}

/// [`spawn_app_on`] on the database `db` (one of the test's own, say).
pub async fn spawn_app_in(
    backend: Backend,
    db: DatabaseConnection,
    make: impl FnOnce(DatabaseConnection, Clock, &str) -> AppState,
) -> TestApp {
    let clock = Clock::manual(start_instant());
    let slug = format!("t-{}", random_hex(12));
    let brand_id = new_brand(&db, &clock, &slug).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binding a port");
    let port = listener.local_addr().expect("the bound address").port();
    let state = make(
        db.clone(),
        clock.clone(),
        &format!("http://127.0.0.1:{port}"),
    );
    let site_dir = process_dir().join("no-site");
    let router = tongka_server::startup::app(state.clone(), &site_dir);
    runtime().spawn(tongka_server::startup::serve(
        listener,
        router,
        std::future::pending(),
    ));
    TestApp {
        backend,
        address: format!("http://127.0.0.1:{port}"),
        client: client_with_own_address(),
        clock,
        db,
        slug,
        brand_id,
        state,
    }
}

/// The sandbox gateway's signing key in tests.
pub const GATEWAY_KEY: &str = "test-gateway-key";

pub async fn new_brand(db: &DatabaseConnection, clock: &Clock, slug: &str) -> i64 {
    let new = NewBrand {
        slug,
        name: "测试茶饮",
        time_zone: "Asia/Shanghai",
        admin_account: ADMIN_ACCOUNT,
        admin_password: ADMIN_PASSWORD,
    };
    let (brand, _) = create_brand(db, clock, new)
        .await
        .expect("creating the test brand");
    brand.id
}

impl TestApp {
    /// The connection a test writes on by hand (to set a row up, or break
    /// one): on SQLite the connection that writes outside the batches,
    /// since the app's pool only reads there.
    pub fn writer(&self) -> DatabaseConnection {
        tongka_server::db::writer(&self.db)
    }

    /// A transaction a test writes in by hand on [`Self::writer`]: on
    /// SQLite it holds the write lock from its start, so a read in it
    /// followed by a write never fails because the server wrote between.
    pub async fn begin_outside(&self) -> DatabaseTransaction {
        tongka_server::db::begin_outside(&self.db)
            .await
            .expect("a transaction outside the batches")
    }

    /// A request to `path` (which starts with `/api/…`).
    pub fn request(&self, method: reqwest::Method, path: &str) -> Req {
        let what = format!("[{:?}] {method} {path}", self.backend);
        Req {
            what,
            builder: self
                .client
                .request(method, format!("{}{path}", self.address)),
        }
    }

    /// `GET path`.
    pub fn get(&self, path: &str) -> Req {
        self.request(reqwest::Method::GET, path)
    }

    /// `POST path`.
    pub fn post(&self, path: &str) -> Req {
        self.request(reqwest::Method::POST, path)
    }

    /// `PUT path`.
    pub fn put(&self, path: &str) -> Req {
        self.request(reqwest::Method::PUT, path)
    }

    /// `PATCH path`.
    pub fn patch(&self, path: &str) -> Req {
        self.request(reqwest::Method::PATCH, path)
    }

    /// `/api/brands/<this brand>/<rest>`.
    pub fn brand_path(&self, rest: &str) -> String {
        format!("/api/brands/{}/{rest}", self.slug)
    }

    /// Another brand served by the same server and database, with the same
    /// admin login: the other tenant of the tenancy tests.
    pub async fn other_brand(&self) -> TestApp {
        let slug = format!("t-{}", random_hex(12));
        let brand_id = new_brand(&self.db, &self.clock, &slug).await;
        TestApp {
            slug,
            brand_id,
            ..self.clone()
        }
    }

    /// A second server (replica) on the same database, brand and clock,
    /// listening on its own port: what a load balancer in front of two
    /// replicas looks like to the apps.
    pub async fn second_replica(&self) -> TestApp {
        self.replica_with_gateway(None).await
    }

    /// A replica whose payment gateway is at `gateway_url` (`None`: its own
    /// sandbox), e.g. an address where nothing listens: the gateway is down.
    pub async fn replica_with_gateway(&self, gateway_url: Option<&str>) -> TestApp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding a port");
        let port = listener.local_addr().expect("the bound address").port();
        let state = AppState::new(
            self.db.clone(),
            self.clock.clone(),
            self.state.limits.clone(),
            &format!("http://127.0.0.1:{port}"),
            gateway_url,
            GATEWAY_KEY.as_bytes(),
        )
        .expect("building the replica's state");
        let router = tongka_server::startup::app(state.clone(), &process_dir().join("no-site"));
        runtime().spawn(tongka_server::startup::serve(
            listener,
            router,
            std::future::pending(),
        ));
        TestApp {
            address: format!("http://127.0.0.1:{port}"),
            state,
            ..self.clone()
        }
    }

    /// Moves the server's clock forward.
    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    /// Moves the server's clock forward by whole seconds.
    pub fn advance_secs(&self, secs: u64) {
        self.clock.advance(Duration::from_secs(secs));
    }

    // --- members -----------------------------------------------------------

    /// Asks for a login code for `phone`.
    pub async fn request_code(&self, phone: &str) -> Reply {
        self.post(&self.brand_path("member/sms-code"))
            .json(&SmsCodeRequest {
                phone: phone.into(),
            })
            .send()
            .await
    }

    /// Every SMS this brand sent to `phone`, oldest first.
    pub async fn outbox(&self, phone: &str) -> Vec<notification::Model> {
        notification::Entity::find()
            .filter(notification::Column::BrandId.eq(self.brand_id))
            .filter(notification::Column::Recipient.eq(phone))
            .order_by_asc(notification::Column::Id)
            .all(&self.db)
            .await
            .expect("reading the outbox")
    }

    /// Every SMS this brand sent, to anyone.
    pub async fn outbox_size(&self) -> usize {
        notification::Entity::find()
            .filter(notification::Column::BrandId.eq(self.brand_id))
            .all(&self.db)
            .await
            .expect("reading the outbox")
            .len()
    }

    /// The code in the latest SMS to `phone`.
    pub async fn latest_code(&self, phone: &str) -> String {
        let sms = self
            .outbox(phone)
            .await
            .pop()
            .unwrap_or_else(|| panic!("no SMS was sent to {phone}"));
        code_in(&sms.body).unwrap_or_else(|| panic!("no 6-digit code in {:?}", sms.body))
    }

    /// Requests a code for `phone` and returns it.
    pub async fn send_code(&self, phone: &str) -> String {
        self.request_code(phone).await.status(200);
        self.latest_code(phone).await
    }

    /// Logs in with `phone` and `code`.
    pub async fn member_login_with(&self, phone: &str, code: &str, consent: bool) -> Reply {
        self.member_login_invited(phone, code, consent, None).await
    }

    /// Logs in with `phone` and `code` through an invite link's code.
    pub async fn member_login_invited(
        &self,
        phone: &str,
        code: &str,
        consent: bool,
        invite_code: Option<&str>,
    ) -> Reply {
        let body = MemberLoginRequest {
            phone: phone.into(),
            code: code.into(),
            consent,
            invite_code: invite_code.map(Into::into),
        };
        self.post(&self.brand_path("member/login"))
            .json(&body)
            .send()
            .await
    }

    /// Requests a code and logs in with consent (registering if need be).
    pub async fn member_session(&self, phone: &str) -> MemberSession {
        let code = self.send_code(phone).await;
        self.member_login_with(phone, &code, true).await.ok()
    }

    /// A member's bearer token.
    pub async fn member_login(&self, phone: &str) -> String {
        self.member_session(phone).await.token
    }

    /// A member written straight to the database (for lists longer than a page).
    pub async fn insert_member(&self, phone: &str, name: &str) -> member::Model {
        let now = self.clock.now_ms();
        member::ActiveModel {
            brand_id: Set(self.brand_id),
            phone: Set(phone.into()),
            name: Set(name.into()),
            birthday: Set(None),
            gender: Set(None),
            home_store_id: Set(None),
            registered_at: Set(now),
            consent_at: Set(now),
            frozen: Set(false),
            invited_by: Set(None),
            ..Default::default()
        }
        .insert(&self.writer())
        .await
        .expect("inserting a member")
    }

    // --- staff -------------------------------------------------------------

    /// Tries a staff login.
    pub async fn staff_login(&self, account: &str, password: &str) -> Reply {
        let body = StaffLoginRequest {
            account: account.into(),
            password: password.into(),
        };
        self.post(&self.brand_path("staff/login"))
            .json(&body)
            .send()
            .await
    }

    /// A staff member's bearer token.
    pub async fn staff_token(&self, account: &str, password: &str) -> String {
        self.staff_login(account, password)
            .await
            .ok::<StaffSession>()
            .token
    }

    /// The HQ admin's bearer token.
    pub async fn login_admin(&self) -> String {
        self.staff_token(ADMIN_ACCOUNT, ADMIN_PASSWORD).await
    }

    /// Creates a region as `token`.
    pub async fn create_region(&self, token: &str, name: &str) -> RegionView {
        self.post("/api/hq/regions")
            .token(token)
            .json(&RegionInput { name: name.into() })
            .send()
            .await
            .ok()
    }

    /// Creates an open store as `token`.
    pub async fn create_store(&self, token: &str, region_id: i64, name: &str) -> StoreView {
        self.post("/api/hq/stores")
            .token(token)
            .json(&store_input(name, region_id))
            .send()
            .await
            .ok()
    }

    /// Creates a staff account (password [`STAFF_PASSWORD`]) as `token`.
    pub async fn create_staff(
        &self,
        token: &str,
        account: &str,
        role: Role,
        region_id: Option<i64>,
        store_id: Option<i64>,
    ) -> StaffView {
        self.post("/api/hq/staff")
            .token(token)
            .json(&staff_create(account, role, region_id, store_id))
            .send()
            .await
            .ok()
    }
}

/// The body that creates `account` with [`STAFF_PASSWORD`].
pub fn staff_create(
    account: &str,
    role: Role,
    region_id: Option<i64>,
    store_id: Option<i64>,
) -> StaffCreate {
    StaffCreate {
        account: account.into(),
        name: format!("员工{account}"),
        role,
        region_id,
        store_id,
        password: STAFF_PASSWORD.into(),
    }
}

/// An open store's form.
pub fn store_input(name: &str, region_id: i64) -> StoreInput {
    StoreInput {
        name: name.into(),
        region_id,
        address: "上海市静安区南京西路 1 号".into(),
        phone: "021-6288-1001".into(),
        hours: "10:00-22:00".into(),
        active: true,
    }
}

/// The first run of exactly six digits in an SMS.
pub fn code_in(body: &str) -> Option<String> {
    let chars: Vec<char> = body.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            if i - start == 6 {
                return Some(chars[start..i].iter().collect());
            }
        } else {
            i += 1;
        }
    }
    None
}

/// A six-digit code that is not `code`.
pub fn wrong_code(code: &str) -> String {
    let n: u32 = code.parse().expect("a numeric code");
    format!("{:06}", (n + 1) % 1_000_000)
}

#[test]
fn finds_the_code_in_an_sms() {
    let body = "【测试茶饮】您的登录验证码是 042517，5 分钟内有效。请勿告诉他人。";
    assert_eq!(code_in(body).as_deref(), Some("042517"));
    assert_eq!(code_in("no code 12345 here 1234567"), None);
}
