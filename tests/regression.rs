//! Regression tests, one per fixed bug, named `r<issue>_<what>` after the issue that reported it
//! (ripgrep's `regression.rs`): `r12_token_after_crlf_is_redacted` for a bug filed as issue 12.
//!
//! Each test reproduces the report with minted tokens (see `mint.rs`), never a pasted token, and
//! asserts the fixed behaviour with `eqnice!` so a failure prints expected and got.
