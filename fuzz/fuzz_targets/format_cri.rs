//! Fuzz target `format_cri`: see `check_format` in `src/lib.rs` for the input shape and the
//! properties checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| logscrub_fuzz::check_format(logscrub::format::Format::Cri, data));
