//! The integration test binary: one crate, so tokens are minted and keys generated once per run.
//!
//! - `util`: shared scrubber, `eqnice!`, a sandbox that runs the binary.
//! - `mint`: keys and tokens generated at test time.
//! - `contexts`: every token flavour in every context of issue 2, and the negatives.
//! - `cli`: exit codes, messages, inputs and outputs, `--stats`, streaming.
//! - `corpus`: the shared loghub logs come out byte-identical.
//! - `prop`: property tests against a line-by-line oracle.
//! - `regression`: `r<issue>_<what>` tests.
//! - `shapes`: token and secret shapes found by a black-box sweep.
//! - `key_forms`: key forms found by a black-box sweep (suffixed names, flags, PHP dumps).
//! - `unquoted`: unquoted secret values holding punctuation, and where such a value still ends.

#![allow(unreachable_pub)]

#[macro_use]
mod util;

mod cli;
mod contexts;
mod corpus;
mod key_forms;
mod mint;
mod prop;
mod regression;
mod rule_actions;
mod shapes;
mod unquoted;
