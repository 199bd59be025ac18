//! logfmt: `key=value key="quoted value" bare_key`.
//!
//! The core already finds secret keys in `key=value` and `key="value"` form (quoted values with
//! backslash escapes included) and rewrites them by the key's rule. What it does not know is
//! logfmt's extent of an *unquoted* value: the core ends a bare value early where a query
//! string or a cookie would start its next member (`password=a,b=c` is `a` there), and at a
//! closer of an opener before the key; and it skips a value that starts with `{` or `[` as
//! nested JSON. In logfmt an unquoted value runs to the next space.
//!
//! So only lines with such a value under a secret key are handled here: each such value is
//! quoted (`password="p4ss,w0rd;x"`), the line goes through the core once (which now sees the
//! whole value and applies the key's action: marker, hash or mask), and the quotes added are
//! removed again where the result needs none. Everything else on the line (tokens, bearer
//! credentials, other keys) is the core's ordinary work in that same single pass.

use std::ops::Range;

/// One `key=value` pair (or bare key: `value` empty, `eq` false).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pair {
    pub(crate) key: Range<usize>,
    /// The value without its quotes.
    pub(crate) value: Range<usize>,
    pub(crate) quoted: bool,
}

/// The pairs of a line. A quoted value that is not closed runs to the end of the line, as the
/// core reads it (fail closed: the line's other values are still found).
pub(crate) fn pairs(line: &[u8], out: &mut Vec<Pair>) {
    out.clear();
    let mut i = 0;
    let n = line.len();
    while i < n {
        while i < n && line[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= n {
            break;
        }
        let ks = i;
        while i < n && !line[i].is_ascii_whitespace() && line[i] != b'=' && line[i] != b'"' {
            i += 1;
        }
        let key = ks..i;
        if i < n && line[i] == b'=' && !key.is_empty() {
            i += 1;
            if i < n && line[i] == b'"' {
                let vs = i + 1;
                let mut j = vs;
                loop {
                    match memchr::memchr2(b'"', b'\\', &line[j.min(n)..]) {
                        None => {
                            j = n;
                            break;
                        }
                        Some(k) if line[j + k] == b'\\' => j += k + 2,
                        Some(k) => {
                            j += k;
                            break;
                        }
                    }
                }
                out.push(Pair { key, value: vs..j, quoted: true });
                i = j + 1;
            } else {
                let vs = i;
                while i < n && !line[i].is_ascii_whitespace() {
                    i += 1;
                }
                out.push(Pair { key, value: vs..i, quoted: false });
            }
        } else if key.is_empty() {
            // Garbage (`"x"`, `=y`): skip to the next space.
            if i < n && line[i] == b'"' {
                i += 1;
            }
            while i < n && !line[i].is_ascii_whitespace() {
                i += 1;
            }
        } else {
            out.push(Pair { key: key.clone(), value: key.end..key.end, quoted: false });
        }
    }
}

/// Bytes where the core (`credential::key_value`) may end an unquoted value but logfmt does not.
fn core_stops(b: u8) -> bool {
    matches!(b, b'&' | b';' | b',' | b'"' | b'\'' | b')' | b']' | b'}' | b'>' | b'<' | b'|' | b'\\')
}

/// Whether the unquoted value `v` of a secret key might be cut short (or skipped) by the core.
pub(crate) fn needs_quotes(v: &[u8]) -> bool {
    !v.is_empty()
        && !crate::credential::is_placeholder(v)
        && (v.iter().any(|&b| core_stops(b)) || matches!(v[0], b'{' | b'['))
}

/// Appends `v` quoted for logfmt (`"` and `\` escaped); `map` gets, per output byte, the
/// offset in the line it stands for (`at` is `v`'s offset).
pub(crate) fn quote(v: &[u8], at: usize, out: &mut Vec<u8>, map: &mut Vec<u32>) {
    out.push(b'"');
    map.push(at as u32);
    for (i, &b) in v.iter().enumerate() {
        if b == b'"' || b == b'\\' {
            out.push(b'\\');
            map.push((at + i) as u32);
        }
        out.push(b);
        map.push((at + i) as u32);
    }
    out.push(b'"');
    map.push((at + v.len()) as u32);
}

/// The value of a quoted logfmt string, unescaped, when it can be written without quotes:
/// no space, quote, backslash or `=` in it, and not empty.
pub(crate) fn unquoted(q: &[u8]) -> Option<Vec<u8>> {
    let mut v = Vec::with_capacity(q.len());
    let mut i = 0;
    while i < q.len() {
        if q[i] == b'\\' && i + 1 < q.len() {
            i += 1;
        }
        v.push(q[i]);
        i += 1;
    }
    let plain = !v.is_empty() && v.iter().all(|&b| !b.is_ascii_whitespace() && !matches!(b, b'"' | b'\\' | b'='));
    plain.then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_pairs_quoted_and_bare() {
        let line = br#"ts=1 msg="a \"b\" c" flag  password=p4ss,w0rd x="#;
        let mut p = Vec::new();
        pairs(line, &mut p);
        let s = |r: &Range<usize>| std::str::from_utf8(&line[r.clone()]).unwrap();
        let got: Vec<(&str, &str, bool)> = p.iter().map(|p| (s(&p.key), s(&p.value), p.quoted)).collect();
        assert_eq!(
            got,
            [
                ("ts", "1", false),
                ("msg", r#"a \"b\" c"#, true),
                ("flag", "", false),
                ("password", "p4ss,w0rd", false),
                ("x", "", false)
            ]
        );
        pairs(br#"a="open b=1"#, &mut p);
        assert_eq!(p, [Pair { key: 0..1, value: 3..11, quoted: true }], "an open quote runs to the end");
    }

    #[test]
    fn only_values_the_core_would_cut_need_quotes() {
        assert!(needs_quotes(b"p4ss,w0rd"));
        assert!(needs_quotes(b"{json}"));
        assert!(!needs_quotes(b"s3cr3t-VALUE_1"));
        assert!(!needs_quotes(b"null"));
        assert_eq!(unquoted(b"[REDACTED]").as_deref(), Some(&b"[REDACTED]"[..]));
        assert_eq!(unquoted(br#"a b"#), None);
    }
}
