//! One routed page a file.

pub mod api_keys;
pub mod audit;
pub mod catalogue;
pub mod close_card;
pub mod gateway_flags;
pub mod home;
pub mod job_failures;
pub mod live;
pub mod login;
pub mod me;
pub mod member;
pub mod member_cards;
pub mod members;
pub mod money;
pub mod pay_code;
pub mod payments;
pub mod refund_tasks;
pub mod regions;
pub mod sell_card;
pub mod staff;
pub mod staff_edit;
pub mod store_edit;
pub mod stores;
pub mod topup;
pub mod wallet;
pub mod withdrawals;
