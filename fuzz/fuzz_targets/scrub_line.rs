//! Fuzz target `scrub_line`: see `check_scrub_line` in `src/lib.rs` for the properties checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| logscrub_fuzz::check_scrub_line(data));
