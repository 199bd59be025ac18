//! Docker's `json-file` log driver: one JSON object per line,
//! `{"log":"<message>\n","stream":"stdout","time":"<RFC 3339 nano>"}` (plus `attrs` with
//! `--log-opt labels/env`), written by Go's `encoding/json`: `<`, `>`, `&` as `\u003c`,
//! `\u003e`, `\u0026`, control bytes escaped, invalid UTF-8 as `\ufffd`.
//!
//! Lines are rewritten value by value: the `log` message (and a secret in `attrs`, e.g. an
//! environment variable logged with `--log-opt env=…`); every other byte stays as it is.
//!
//! Docker cuts a message longer than 16 KiB into several lines: every part but the last lacks
//! the final `\n` of its `log` (moby's `jsonfilelog` appends it only to a message's last
//! part). [`part`] tells such lines apart so the format layer can join them, per stream, as it
//! joins CRI partial lines.

use std::ops::Range;

use super::cri::Stream;
use super::json;

/// How every json-file line starts.
pub(crate) const PREFIX: &[u8] = br#"{"log":""#;

/// Where the `log` string's body (between its quotes) is, in a line that is one valid JSON
/// object starting with [`PREFIX`].
pub(crate) fn parse(line: &[u8]) -> Option<Range<usize>> {
    let (end, _) = log_end(line)?;
    json::is_object(line).then_some(PREFIX.len()..end - 1)
}

/// Whether `out` (the core's rewrite of a json-file line) is still one: one valid JSON object
/// starting with [`PREFIX`]. The core rewrites only values, never keys or structure, so a
/// valid result differs from its input in rewritten values only.
pub(crate) fn still_valid(out: &[u8]) -> bool {
    out.starts_with(PREFIX) && json::is_object(out)
}

/// What follows the `log` string in a line Docker writes (`stream` comes next).
pub(crate) const STREAM: &[u8] = br#"","stream":""#;

/// Whether a `log` body ends its message: its last escape is `\n` (an odd run of backslashes
/// before the `n`; `\\n` is a backslash and an `n`).
pub(crate) fn ends_message(body: &[u8]) -> bool {
    body.ends_with(b"\\n") && body[..body.len() - 1].iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 1
}

/// End (after the closing quote) of the `log` string of a line starting with [`PREFIX`], and
/// whether its body is a message's last part (it ends with the escape `\n`). Cheap: the
/// string only, no parse of the rest of the line. `None` if the line does not start so or the
/// string does not end on the line.
pub(crate) fn log_end(line: &[u8]) -> Option<(usize, bool)> {
    if !line.starts_with(PREFIX) {
        return None;
    }
    let end = json::string_end(line, PREFIX.len() - 1)?;
    Some((end, ends_message(&line[PREFIX.len()..end - 1])))
}

/// A json-file line that can be part of a cut message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Part {
    /// The `log` string's body (between its quotes).
    pub(crate) body: Range<usize>,
    /// Its stream (the `stream` member right after `log`, as Docker writes it).
    pub(crate) stream: Stream,
    /// Not the message's last part: its `log` lacks the final `\n`.
    pub(crate) partial: bool,
}

/// The [`Part`] of a json-file line: one valid JSON object starting with [`PREFIX`] whose
/// `stream` (`stdout` or `stderr`) follows `log`. `None` for any other line (those are never
/// joined).
pub(crate) fn part(line: &[u8]) -> Option<Part> {
    let (end, last) = log_end(line)?;
    let rest = line[end - 1..].strip_prefix(STREAM)?;
    let stream = Stream::named(rest, b'"')?;
    json::is_object(line).then_some(Part { body: PREFIX.len()..end - 1, stream, partial: !last })
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

    #[test]
    fn tells_a_message_s_last_part_from_the_others() {
        let t = r#","time":"2024-05-01T10:00:00.000000001Z"}"#;
        let line = |log: &str, stream: &str| format!(r#"{{"log":"{log}","stream":"{stream}"{t}"#);
        let p = |l: &str| part(l.as_bytes());
        let last = p(&line(r"end of it\n", "stdout")).unwrap();
        assert_eq!((last.stream, last.partial), (Stream::Stdout, false));
        assert_eq!(last.body, PREFIX.len()..PREFIX.len() + 11);
        let cut = p(&line("first 16 KiB", "stderr")).unwrap();
        assert_eq!((cut.stream, cut.partial), (Stream::Stderr, true));
        // An escaped backslash before `n` is not the newline escape; a third backslash makes it one.
        assert!(p(&line(r"C:\\n", "stdout")).unwrap().partial);
        assert!(!p(&line(r"C:\\\n", "stdout")).unwrap().partial);
        assert!(p(&line("", "stdout")).unwrap().partial);
        // Not joinable: another stream, `stream` elsewhere, not a valid line.
        assert_eq!(p(&line("x", "other")), None);
        assert_eq!(part(br#"{"log":"x","time":"t","stream":"stdout"}"#), None);
        assert_eq!(part(br#"{"log":"x","stream":"stdout","time":}"#), None);
        assert_eq!(log_end(br#"{"log":"unterminated"#), None);
        assert_eq!(log_end(br#"{"log":"a\n","#), Some((12, true)));
    }
}
