//! Fuzz target `scrub_stream`: see `check_scrub_stream` in `src/lib.rs` for the properties checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| logscrub_fuzz::check_scrub_stream(data));
