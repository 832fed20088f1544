//! The mixed load of `cargo xtask bench`: what a chain's lunch hour sends,
//! through the real HTTP API, on the seeded members.
//!
//! Each client works through its own members in turn, and for each one does
//! the next thing in [`CYCLE`]: a plain payment, a payment with a coupon the
//! member claims from the coupon centre when they hold none, a payment with
//! points, a write-off of one use of a count card (the clerk of the member's
//! store sells them the card the first time and scans their member code when
//! the ticket is missing or old), a sign-in (once a day; a member already
//! signed in pays instead) and a counter top-up. Every step that moves value
//! carries its own idempotency key. The run prints the rate and p99 of all
//! of it and of each kind.

use shared::dto::{
    CardKind, CardReceipt, CardTypeInput, CounterTopUp, CouponKind, CouponTemplateInput,
    MemberCodeSecret, MemberCoupon, MoneySettings, PaymentRequest, PointsPolicy, ScanMemberCode,
    SellCard, ServiceItemInput, SignInPolicy, TopUpMethod, UseOf, WriteOffRequest, WriteOffTicket,
};
use shared::member_code;
use shared::money::Fen;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Who the load acts as.
pub struct People {
    /// An HQ admin's bearer token.
    pub admin: String,
    /// One clerk per store, in the order of `stores`.
    pub clerks: Vec<String>,
    /// The members' bearer tokens.
    pub tokens: Vec<String>,
    /// The members' phones, in the same order.
    pub phones: Vec<String>,
    /// The stores.
    pub stores: Vec<i64>,
}

/// One kind of request the load sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Op {
    Pay,
    CouponPay,
    PointsPay,
    WriteOff,
    SignIn,
    TopUp,
    /// What the steps above need first: a card sold at the counter, a
    /// coupon claimed, the member's code shown (made the first time) and
    /// scanned.
    CardSale,
    Claim,
    MemberCode,
    Scan,
}

impl Op {
    fn label(self) -> &'static str {
        match self {
            Op::Pay => "payment",
            Op::CouponPay => "payment with coupon",
            Op::PointsPay => "payment with points",
            Op::WriteOff => "write-off",
            Op::SignIn => "sign-in",
            Op::TopUp => "counter top-up",
            Op::CardSale => "card sale",
            Op::Claim => "coupon claim",
            Op::MemberCode => "member code shown",
            Op::Scan => "member code scan",
        }
    }
}

/// What each client does, one step per member, round and round.
const CYCLE: [Op; 10] = [
    Op::Pay,
    Op::CouponPay,
    Op::WriteOff,
    Op::PointsPay,
    Op::SignIn,
    Op::Pay,
    Op::TopUp,
    Op::WriteOff,
    Op::Pay,
    Op::CouponPay,
];

/// A ticket is scanned again after this (it lasts 120 s).
const TICKET_AGE: Duration = Duration::from_secs(90);

/// The brand's set-up for the mix and what the members hold so far.
pub struct Prepared {
    card_type: i64,
    item: i64,
    coupon_template: i64,
    cards: Vec<Mutex<Option<i64>>>,
    coupons: Vec<Mutex<Vec<i64>>>,
    tickets: Vec<Mutex<Option<(String, Instant)>>>,
    secrets: Vec<Mutex<Option<MemberCodeSecret>>>,
    signed_in: Vec<AtomicBool>,
}

/// The figures of one run.
pub struct MixResult {
    /// Requests answered with success per second (every kind).
    pub per_sec: f64,
    /// Over every kind.
    pub p99_ms: f64,
    /// Requests refused or failed, and clients that stopped.
    pub failed: u64,
    /// Per kind: (label, sent, p50 ms, p99 ms, slowest ms, failed).
    pub kinds: Vec<(&'static str, usize, f64, f64, f64, u64)>,
}

/// The slot, even if a client panicked holding it (the run counts that
/// client as failed).
fn lock<T>(slot: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    slot.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// What a create answers, as far as the load needs it.
#[derive(serde::Deserialize)]
struct Created {
    id: i64,
}

async fn send_json<T: serde::de::DeserializeOwned>(
    req: reqwest::RequestBuilder,
    what: &str,
) -> anyhow::Result<T> {
    let r = req.send().await?;
    let status = r.status();
    let text = r.text().await?;
    anyhow::ensure!(status.is_success(), "{what}: {status} {text}");
    Ok(serde_json::from_str(&text)?)
}

/// HQ sets the brand up for the mix through the API: a higher balance cap
/// (the seeded members hold the default cap already), points (1 a yuan,
/// 100 worth ¥1, up to half a bill) and sign-in, a service item and a count
/// card for it, and a coupon members may claim many times. Set only now:
/// with points to earn, PostgreSQL books payments one by one, so the
/// payment runs before measure the batch.
pub async fn prepare(
    client: &reqwest::Client,
    base: &str,
    people: &People,
) -> anyhow::Result<Prepared> {
    let admin = &people.admin;
    let mut money: MoneySettings = send_json(
        client
            .get(format!("{base}/api/hq/money-settings"))
            .bearer_auth(admin),
        "money settings",
    )
    .await?;
    money.max_balance = Fen(5_000_000);
    money.allow_custom_topup = true;
    let _: MoneySettings = send_json(
        client
            .put(format!("{base}/api/hq/money-settings"))
            .bearer_auth(admin)
            .json(&money),
        "saving money settings",
    )
    .await?;
    for (path, body) in [
        (
            "points-policy",
            serde_json::to_value(PointsPolicy {
                per_yuan: 1,
                expiry_days: 30,
                step: 100,
                step_worth: Fen(100),
                max_share_bp: 5_000,
                remind_days: 30,
                birthday_rate_bp: 10_000,
            })?,
        ),
        (
            "sign-in-policy",
            serde_json::to_value(SignInPolicy {
                enabled: true,
                daily_points: 10,
                streak_rewards: vec![],
            })?,
        ),
    ] {
        let _: serde_json::Value = send_json(
            client
                .put(format!("{base}/api/hq/{path}"))
                .bearer_auth(admin)
                .json(&body),
            path,
        )
        .await?;
    }
    let item: Created = send_json(
        client
            .post(format!("{base}/api/hq/service-items"))
            .bearer_auth(admin)
            .json(&ServiceItemInput {
                name: "洗车".into(),
                category: "洗护".into(),
                price: Fen(3_000),
                all_stores: true,
                store_ids: vec![],
                on_sale: true,
            }),
        "service item",
    )
    .await?;
    let card_type: Created = send_json(
        client
            .post(format!("{base}/api/hq/card-types"))
            .bearer_auth(admin)
            .json(&CardTypeInput {
                name: "洗车千次卡".into(),
                kind: CardKind::Count,
                uses: Some(1_000),
                period: None,
                per_day_limit: None,
                valid_days: None,
                price: Fen(100),
                theme_color: "#1677ff".into(),
                image_hash: None,
                description: "bench".into(),
                item_ids: vec![item.id],
                sold_everywhere: true,
                sold_store_ids: vec![],
                honoured_everywhere: true,
                honoured_store_ids: vec![],
                on_sale: true,
            }),
        "card type",
    )
    .await?;
    let coupon: Created = send_json(
        client
            .post(format!("{base}/api/hq/coupon-templates"))
            .bearer_auth(admin)
            .json(&CouponTemplateInput {
                name: "满20减1".into(),
                kind: CouponKind::Cash,
                off: Fen(100),
                rate_bp: 0,
                cap: Fen::ZERO,
                item_id: None,
                min_spend: Fen(2_000),
                valid_from: None,
                valid_until: None,
                valid_days: Some(7),
                stock: 1_000_000,
                per_member: 100,
                all_stores: true,
                store_ids: vec![],
                claimable: true,
                issuable: true,
                on_sale: true,
            }),
        "coupon template",
    )
    .await?;
    let n = people.tokens.len();
    Ok(Prepared {
        card_type: card_type.id,
        item: item.id,
        coupon_template: coupon.id,
        cards: (0..n).map(|_| Mutex::new(None)).collect(),
        coupons: (0..n).map(|_| Mutex::new(Vec::new())).collect(),
        tickets: (0..n).map(|_| Mutex::new(None)).collect(),
        secrets: (0..n).map(|_| Mutex::new(None)).collect(),
        signed_in: (0..n).map(|_| AtomicBool::new(false)).collect(),
    })
}

/// One client's requests, each timed on its own.
struct Client<'a> {
    http: &'a reqwest::Client,
    base: &'a str,
    people: &'a People,
    prep: &'a Prepared,
    tag: String,
    n: usize,
    timings: Vec<(Op, u64, bool)>,
    first_failure: BTreeMap<Op, String>,
}

impl Client<'_> {
    /// Sends one request of kind `op` and times it; answers the body of a
    /// success.
    async fn send(&mut self, op: Op, req: reqwest::RequestBuilder) -> Option<String> {
        self.n += 1;
        let start = Instant::now();
        let reply = req
            .header("Idempotency-Key", format!("{}-{}", self.tag, self.n))
            .send()
            .await;
        let (ok, body) = match reply {
            Ok(r) => {
                let status = r.status();
                let text = r.text().await.unwrap_or_default();
                if status.is_success() {
                    (true, text)
                } else {
                    (false, format!("{status} {text}"))
                }
            }
            Err(e) => (false, e.to_string()),
        };
        self.timings
            .push((op, start.elapsed().as_micros() as u64, ok));
        if ok {
            Some(body)
        } else {
            self.first_failure.entry(op).or_insert(body);
            None
        }
    }

    fn post(&self, path: &str, token: &str) -> reqwest::RequestBuilder {
        self.http
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
    }

    async fn pay(&mut self, op: Op, m: usize, store: i64, coupon: Option<i64>) -> bool {
        let body = PaymentRequest {
            store_id: store,
            amount: Fen(2_000),
            pin: None,
            pay_request: None,
            coupon_id: coupon,
            without_coupon_if_gone: false,
            use_points: op == Op::PointsPay,
            points_expected: None,
            payable_expected: None,
        };
        let req = self
            .post("/api/member/payments", &self.people.tokens[m])
            .json(&body);
        self.send(op, req).await.is_some()
    }

    async fn coupon_pay(&mut self, m: usize, store: i64) {
        let held = lock(&self.prep.coupons[m]).pop();
        let coupon = match held {
            Some(c) => c,
            None => {
                let path = format!("/api/member/coupon-centre/{}", self.prep.coupon_template);
                let req = self.post(&path, &self.people.tokens[m]);
                match self.send(Op::Claim, req).await {
                    Some(body) => match serde_json::from_str::<MemberCoupon>(&body) {
                        Ok(c) => c.id,
                        Err(_) => return,
                    },
                    None => return,
                }
            }
        };
        self.pay(Op::CouponPay, m, store, Some(coupon)).await;
    }

    async fn card(&mut self, m: usize) -> Option<i64> {
        let held = *lock(&self.prep.cards[m]);
        if held.is_some() {
            return held;
        }
        let clerk = &self.people.clerks[m % self.people.clerks.len()];
        let req = self.post("/api/staff/card-sales", clerk).json(&SellCard {
            member_phone: self.people.phones[m].clone(),
            card_type_id: self.prep.card_type,
        });
        let body = self.send(Op::CardSale, req).await?;
        let card = serde_json::from_str::<CardReceipt>(&body).ok()?.card.id;
        *lock(&self.prep.cards[m]) = Some(card);
        Some(card)
    }

    async fn ticket(&mut self, m: usize) -> Option<String> {
        let held = lock(&self.prep.tickets[m]).clone();
        if let Some((t, at)) = held
            && at.elapsed() < TICKET_AGE
        {
            return Some(t);
        }
        let secret = lock(&self.prep.secrets[m]).clone();
        let secret = match secret {
            Some(s) => s,
            None => {
                let req = self
                    .http
                    .get(format!("{}/api/member/code", self.base))
                    .bearer_auth(&self.people.tokens[m]);
                let body = self.send(Op::MemberCode, req).await?;
                let s: MemberCodeSecret = serde_json::from_str(&body).ok()?;
                *lock(&self.prep.secrets[m]) = Some(s.clone());
                s
            }
        };
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?
            .as_millis() as i64;
        let code = member_code::member_code(
            &member_code::from_hex(&secret.secret)?,
            &secret.code_id,
            member_code::step_at(now_ms),
        );
        let clerk = &self.people.clerks[m % self.people.clerks.len()];
        let req = self
            .post("/api/staff/scans", clerk)
            .json(&ScanMemberCode { code });
        let body = self.send(Op::Scan, req).await?;
        let ticket = serde_json::from_str::<WriteOffTicket>(&body).ok()?.ticket;
        *lock(&self.prep.tickets[m]) = Some((ticket.clone(), Instant::now()));
        Some(ticket)
    }

    async fn write_off(&mut self, m: usize) {
        let Some(card) = self.card(m).await else {
            return;
        };
        let Some(ticket) = self.ticket(m).await else {
            return;
        };
        let clerk = &self.people.clerks[m % self.people.clerks.len()];
        let req = self
            .post("/api/staff/write-offs", clerk)
            .json(&WriteOffRequest {
                ticket,
                uses: vec![UseOf {
                    card_id: card,
                    item_id: self.prep.item,
                    count: 1,
                }],
                coupon_ids: vec![],
            });
        self.send(Op::WriteOff, req).await;
    }

    async fn top_up(&mut self, m: usize) {
        let clerk = &self.people.clerks[m % self.people.clerks.len()];
        let req = self.post("/api/staff/topups", clerk).json(&CounterTopUp {
            member_phone: self.people.phones[m].clone(),
            amount: Fen(10_000),
            method: TopUpMethod::Cash,
            plan_id: None,
        });
        self.send(Op::TopUp, req).await;
    }
}

/// Runs the mix with `clients` clients for `secs` seconds.
pub async fn run(
    http: &reqwest::Client,
    base: &str,
    people: &Arc<People>,
    prep: &Arc<Prepared>,
    clients: usize,
    secs: u64,
    tag: &str,
) -> MixResult {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut tasks = tokio::task::JoinSet::new();
    for w in 0..clients {
        let (http, base, people, prep, tag) = (
            http.clone(),
            base.to_string(),
            people.clone(),
            prep.clone(),
            format!("{tag}-{w}"),
        );
        tasks.spawn(async move {
            let mut c = Client {
                http: &http,
                base: &base,
                people: &people,
                prep: &prep,
                tag,
                n: 0,
                timings: Vec::new(),
                first_failure: BTreeMap::new(),
            };
            let mine: Vec<usize> = (w..people.tokens.len()).step_by(clients).collect();
            let stores = &people.stores;
            let mut i = 0usize;
            while Instant::now() < deadline {
                let m = mine[i % mine.len()];
                let store = stores[(w * 7 + i) % stores.len()];
                match CYCLE[i % CYCLE.len()] {
                    Op::CouponPay => c.coupon_pay(m, store).await,
                    Op::PointsPay => {
                        c.pay(Op::PointsPay, m, store, None).await;
                    }
                    Op::WriteOff => c.write_off(m).await,
                    Op::SignIn if !prep.signed_in[m].load(Ordering::Relaxed) => {
                        let req = c.post("/api/member/sign-in", &people.tokens[m]);
                        if c.send(Op::SignIn, req).await.is_some() {
                            prep.signed_in[m].store(true, Ordering::Relaxed);
                        }
                    }
                    Op::TopUp => c.top_up(m).await,
                    _ => {
                        c.pay(Op::Pay, m, store, None).await;
                    }
                }
                i += 1;
            }
            (c.timings, c.first_failure)
        });
    }
    let mut all: Vec<(Op, u64, bool)> = Vec::new();
    let mut failures = BTreeMap::new();
    let mut panicked = 0u64;
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((t, f)) => {
                all.extend(t);
                for (op, why) in f {
                    failures.entry(op).or_insert(why);
                }
            }
            Err(e) => {
                eprintln!("  a client stopped: {e}");
                panicked += 1;
            }
        }
    }
    for (op, why) in &failures {
        eprintln!("  first failure of {}: {why}", op.label());
    }
    let pct = |v: &mut Vec<u64>, p: f64| {
        v.sort_unstable();
        v.get(((v.len() as f64 * p) as usize).min(v.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0) as f64
            / 1000.0
    };
    let mut kinds = Vec::new();
    let mut by_kind: BTreeMap<Op, Vec<&(Op, u64, bool)>> = BTreeMap::new();
    for t in &all {
        by_kind.entry(t.0).or_default().push(t);
    }
    for (op, ts) in by_kind {
        let mut us: Vec<u64> = ts.iter().map(|t| t.1).collect();
        let failed = ts.iter().filter(|t| !t.2).count() as u64;
        let (p50, p99, max) = (pct(&mut us, 0.50), pct(&mut us, 0.99), pct(&mut us, 1.0));
        kinds.push((op.label(), ts.len(), p50, p99, max, failed));
    }
    let failed = all.iter().filter(|t| !t.2).count() as u64 + panicked;
    let mut us: Vec<u64> = all.iter().map(|t| t.1).collect();
    MixResult {
        per_sec: all.iter().filter(|t| t.2).count() as f64 / secs as f64,
        p99_ms: pct(&mut us, 0.99),
        failed,
        kinds,
    }
}
