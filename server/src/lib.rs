//! The Tongka server: axum + SeaORM on SQLite (default) or PostgreSQL.
//! See ARCHITECTURE.md at the repository root for the map.

pub mod audit;
pub mod auth;
pub mod cards;
pub mod chain;
pub mod cli;
pub mod clock;
pub mod config;
pub mod coupons;
pub mod db;
pub mod entity;
pub mod error;
pub mod gateway;
pub mod gateway_orders;
pub mod guess_limit;
pub mod history;
pub mod idempotency;
pub mod identity;
pub mod invites;
pub mod jobs;
pub mod ledger;
pub mod levels;
pub mod migration;
pub mod names;
pub mod openapi;
pub mod paging;
pub mod password;
pub mod payout;
pub mod points;
pub mod routes;
pub mod secrets;
pub mod seed;
pub mod sign_in;
pub mod sms;
pub mod startup;
pub mod state;
pub mod stored_value;
#[cfg(test)]
mod testing;
pub mod wallet;
pub mod write_offs;
