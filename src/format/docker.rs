//! Docker's `json-file` log driver: one JSON object per line,
//! `{"log":"<message>\n","stream":"stdout","time":"<RFC 3339 nano>"}` (plus `attrs` with
//! `--log-opt labels/env`), written by Go's `encoding/json`: `<`, `>`, `&` as `\u003c`,
//! `\u003e`, `\u0026`, control bytes escaped, invalid UTF-8 as `\ufffd`.
//!
//! Lines are rewritten value by value: the `log` message (and a secret in `attrs`, e.g. an
//! environment variable logged with `--log-opt env=…`); every other byte stays as it is.

use std::ops::Range;

use super::json;

/// How every json-file line starts.
pub(crate) const PREFIX: &[u8] = br#"{"log":""#;

/// Where the `log` string's body (between its quotes) is, in a line that is one valid JSON
/// object starting with [`PREFIX`].
pub(crate) fn parse(line: &[u8]) -> Option<Range<usize>> {
    if !line.starts_with(PREFIX) {
        return None;
    }
    let end = json::string_end(line, PREFIX.len() - 1)?;
    json::is_object(line).then_some(PREFIX.len()..end - 1)
}

/// Whether `out` (the core's rewrite of a json-file line) is still one: one valid JSON object
/// starting with [`PREFIX`]. The core rewrites only values, never keys or structure, so a
/// valid result differs from its input in rewritten values only.
pub(crate) fn still_valid(out: &[u8]) -> bool {
    out.starts_with(PREFIX) && json::is_object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_log_body() {
        let line = br#"{"log":"a \"q\" \u003cb\u003e\n","stream":"stdout","time":"2024-05-01T10:00:00.000000001Z"}"#;
        let b = parse(line).unwrap();
        assert_eq!(&line[b.clone()], br#"a \"q\" \u003cb\u003e\n"#);
        let out = br#"{"log":"a [REDACTED]\n","stream":"stdout","time":"2024-05-01T10:00:00.000000001Z"}"#;
        assert!(still_valid(out));
        let broken = br#"{"log":"a '[REDACTED]"#;
        assert!(!still_valid(broken));
        assert!(parse(br#"{"log":"truncated"#).is_none());
        assert!(parse(br#"{"log":"bad \x escape","stream":"stdout"}"#).is_none());
    }
}
