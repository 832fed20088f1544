//! One routed page a file.

pub mod cards;
pub mod close_account;
pub mod code;
pub mod coupons;
pub mod history;
pub mod home;
pub mod invites;
pub mod level;
pub mod login;
pub mod me;
pub mod messages;
pub mod pay;
pub mod points;
pub mod privacy;
pub mod sign_in;
pub mod topup;
