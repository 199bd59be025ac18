//! Input and output: the only place (with the binary) where `io::Error` exists.
//!
//! - [`input`]: the inputs of a run, in order (`-` is stdin).
//! - [`stream`]: the read → frame → scrub → write loop for one input, single-threaded.
//! - [`parallel`]: the same loop with scrubbing spread over threads, output in input order.

pub mod input;
pub mod parallel;
pub mod stream;
