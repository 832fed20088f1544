//! SeaORM entities. They stay inside the server: routes convert them to
//! `shared` types before anything is serialised. Instants are i64 Unix
//! milliseconds (UTC) so SQLite and PostgreSQL compare them the same way.

pub mod account;
pub mod audit_log;
pub mod brand;
pub mod idempotency_key;
pub mod journal_entry;
pub mod journal_line;
pub mod member;
pub mod money_settings;
pub mod notification;
pub mod payment;
pub mod region;
pub mod session;
pub mod sms_code;
pub mod sms_send;
pub mod staff;
pub mod store;
pub mod topup_plan;
