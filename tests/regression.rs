//! Regression tests, one per fixed bug, named `r<issue>_<what>` after the issue that reported it
//! (ripgrep's `regression.rs`): `r12_token_after_crlf_is_redacted` for a bug filed as issue 12.
//!
//! Each test reproduces the report with minted tokens (see `mint.rs`), never a pasted token, and
//! asserts the fixed behaviour with `eqnice!` so a failure prints expected and got.

use crate::util::{Sandbox, contains};

/// Issue 2 (found by the tracing-writer work): cutting a long line backed up "two words" and
/// could land between `password=` and its value, so the value began the next window without
/// its key and passed in clear. Every padding offset, both CLI paths.
#[test]
fn r2_long_line_cut_never_separates_a_key_from_its_value() {
    let sb = Sandbox::new();
    let secret = format!("s3cr3t{}", crate::mint::hex(6));
    let bearer = crate::mint::hex(16);
    let unit = format!("user=bob password={secret} Authorization: Bearer {bearer} ");
    for pad in (0..unit.len()).step_by(7) {
        let line = format!("{}{}\n", "x".repeat(pad), unit.repeat(3000));
        sb.write("long.log", &line);
        for threads in ["1", "2"] {
            let run = sb.run(["--max-line", "65536", "-j", threads, "long.log"], b"");
            run.assert_code(0);
            assert!(!contains(run.stdout(), secret.as_bytes()), "pad {pad}, -j{threads}: password value leaked");
            assert!(!contains(run.stdout(), bearer.as_bytes()), "pad {pad}, -j{threads}: bearer value leaked");
        }
    }
}
