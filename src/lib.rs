//! # logscrub
//!
//! A streaming log scrubber: finds every JWT (JWS, JWE, unsecured), bearer/basic credential and
//! secret-key value embedded in log lines and redacts it by a rule file, leaving every other
//! byte as it was.
//!
//! ## The data path
//!
//! ```text
//! bytes in ─▶ frame ─▶ scan ─▶ jwt / credential ─▶ rules ─▶ redact ─▶ Scrubbed pieces ─▶ sink
//!            (lines)  (one SIMD    (verify a         (decide)  (append to   (input slices +
//!                      literal      candidate)                   scratch)     rewritten lines)
//!                      pass)
//! ```
//!
//! - [`frame`]: a reusable read buffer handing out whole lines; overlong lines are cut into
//!   windows only outside token runs.
//! - [`scan`]: SIMD literal passes (Teddy: folded key words, raw 3-byte anchors) over the
//!   whole buffer for every trigger literal.
//! - [`jwt`] and [`credential`]: verify a candidate and return borrowed extents; their byte
//!   loops (base64 segments, JSON strings, unquoted values) run 16 bytes at a time (`runs`).
//! - [`rules`]: the compiled rule file; decides, never touches bytes.
//! - [`redact`](crate::Scrubber): rewrites into a per-thread [`Scratch`].
//! - [`Scrubber`]: ties them together; [`Scrubbed`] is written whole, or as one vectored write
//!   of its pieces when a line changed.
//!
//! ## Example
//!
//! ```
//! use logscrub::{Rules, Scratch, Scrubber};
//!
//! let scrubber = Scrubber::new(&Rules::embedded())?;
//! let mut scratch = Scratch::default();
//! let input = b"user=bob password=hunter2 status=ok\nall good\n";
//! let out = scrubber.scrub_buf(input, &mut scratch).to_vec();
//! assert_eq!(out, b"user=bob password=[REDACTED] status=ok\nall good\n");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Features
//!
//! - `cli` (default): the `logscrub` binary (clap, anyhow).
//! - `tracing`: the `tracing_writer` module — `ScrubMakeWriter`, a `tracing-subscriber`
//!   `MakeWriter` that scrubs each event before it reaches the inner writer, and `ScrubFields`,
//!   a field formatter that scrubs span and event field values.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod b64;
pub mod credential;
pub mod findings;
pub mod format;
pub mod frame;
pub mod io;
pub mod jwt;
mod redact;
pub mod rules;
mod runs;
pub mod scan;
mod scrub;
#[cfg(feature = "sidecar")]
pub mod sidecar;
pub mod stats;
#[cfg(feature = "tracing")]
pub mod tracing_writer;

pub use redact::{ClaimInfo, pseudonym};
pub use rules::{Action, RuleError, RuleErrorKind, Rules};
pub use scrub::{BuildError, Finding, Scratch, Scrubbed, Scrubber, TokenFacts};
pub use stats::{FindingKind, Stats};
