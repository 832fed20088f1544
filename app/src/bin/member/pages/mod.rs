//! One routed page a file.

pub mod cards;
pub mod home;
pub mod login;
pub mod me;
pub mod not_found;
pub mod privacy;
