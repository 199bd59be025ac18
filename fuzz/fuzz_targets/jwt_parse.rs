//! Fuzz target `jwt_parse`: see `check_jwt_parse` in `src/lib.rs` for the properties checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| logscrub_fuzz::check_jwt_parse(data));
