//! SeaORM entities. They stay inside the server: routes convert them to
//! `shared` types before anything is serialised. Instants are i64 Unix
//! milliseconds (UTC) so SQLite and PostgreSQL compare them the same way.

pub mod account;
pub mod api_key;
pub mod audit_log;
pub mod brand;
pub mod card_event;
pub mod card_image;
pub mod card_type;
pub mod card_type_item;
pub mod card_type_store;
pub mod gateway_nonce;
pub mod gateway_order;
pub mod gateway_refund;
pub mod guess_limit;
pub mod idempotency_key;
pub mod job;
pub mod job_failure;
pub mod journal_entry;
pub mod journal_line;
pub mod member;
pub mod member_card;
pub mod member_pin;
pub mod money_settings;
pub mod notification;
pub mod pay_request;
pub mod payee_account;
pub mod payment;
pub mod payout_attempt;
pub mod region;
pub mod sandbox_mode;
pub mod sandbox_payout;
pub mod sandbox_refund;
pub mod sandbox_trade;
pub mod service_item;
pub mod service_item_store;
pub mod session;
pub mod sms_code;
pub mod sms_send;
pub mod staff;
pub mod staff_message;
pub mod store;
pub mod topup_plan;
pub mod withdrawal;
