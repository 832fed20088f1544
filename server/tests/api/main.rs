//! The API test suite: one binary, every test on SQLite and on PostgreSQL.
//! `helpers.rs` is the harness (`dual_test!`, `spawn_app`, typed requests);
//! `databases.rs` owns the shared test databases; `http.rs` the replies.

mod databases;
mod helpers;
mod http;

mod api_keys;
mod audit;
mod card_images;
mod card_orders;
mod cards;
mod cash;
mod chain;
mod close_card;
mod concurrency;
mod coupons;
mod errors;
mod gateway;
mod history;
mod input;
mod invites;
mod jobs;
mod ledger;
mod levels;
mod member_login;
mod members;
mod messages;
mod money;
mod money_concurrency;
mod money_plans;
mod one_off_codes;
mod pin;
mod points;
mod production;
mod profile;
mod rate_limits;
mod replicas;
mod scope;
mod sign_in;
mod split_payments;
mod staff;
mod staff_login_limits;
mod statement;
mod tenancy;
mod wallet;
mod withdrawals;
mod write_offs;
