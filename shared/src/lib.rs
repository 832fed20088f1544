//! What the Tongka apps and server must agree on: request and response types,
//! ids, the error envelope with its bilingual catalogue, and the validation
//! rules that the apps check as you type and the server enforces.
//!
//! Architecture invariant: this crate compiles for wasm32 and native and
//! depends on serde alone, never on the server stack.

pub mod api;
pub mod dto;
pub mod error;
pub mod member_code;
pub mod money;
pub mod named;
pub mod plan;
pub mod validate;

pub use error::{ApiError, ErrorCode, Lang};
