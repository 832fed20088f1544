//! End-to-end tests live in `tests/e2e.rs`; this crate has no code of its own.
