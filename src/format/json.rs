//! JSON text as bytes: validation with byte spans, string decoding with an offset map, the two
//! string encoders, and the walk that scrubs one JSON object member by member.
//!
//! Nothing here builds a `serde_json::Value`: the walk needs the *byte ranges* of keys and
//! values so that only rewritten keys and values change and every other byte (spacing, key
//! order, escapes) stays as it was.
//!
//! # The walk ([`scrub_object`])
//!
//! ```text
//! for every member (key path from the top level; array elements belong to their array's key):
//!   the key                              -> decoded, scrubbed as text and re-encoded like a
//!                                           string value (the rules below see it as it was)
//!   a [[json_fields]] path matches       -> the value (any type but null) becomes its action's
//!                                           output as a JSON string ("<marker>", pseudonym, mask)
//!   the key is a secret key (`db_password`: ends with a [[secret_keys]] name)
//!                                        -> the core scrubs the mini line `"key":<value>` and
//!                                           the rewritten value is spliced back (so the key
//!                                           rule's action, scheme split and JWT rules apply)
//!   the value is a string                -> decoded, scrubbed as text by the core, and the
//!                                           changed part re-encoded in place
//!   the value is an object or array      -> walked
//! ```
//!
//! Every key and value is scrubbed exactly once, so counters count each finding once.

use std::ops::Range;

use super::{FormatScrubber as Ctx, Work};
use crate::runs::{self, Class};

/// Deepest nesting accepted; deeper text is treated as malformed (raw fallback).
pub(crate) const MAX_DEPTH: usize = 128;

#[inline]
fn ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// End (after the closing quote) of the string whose opening quote is at `i`, checking escapes
/// and that no control byte appears raw.
pub(crate) fn string_end(b: &[u8], i: usize) -> Option<usize> {
    debug_assert_eq!(b.get(i), Some(&b'"'));
    let mut j = i + 1;
    loop {
        let k = runs::run_end(b, j, Class::JsonPlain);
        match *b.get(k)? {
            b'"' => return Some(k + 1),
            b'\\' => match b.get(k + 1)? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => j = k + 2,
                b'u' => {
                    let hex = b.get(k + 2..k + 6)?;
                    if !hex.iter().all(u8::is_ascii_hexdigit) {
                        return None;
                    }
                    j = k + 6;
                }
                _ => return None,
            },
            _ => return None, // a raw control byte
        }
    }
}

fn number_end(b: &[u8], mut i: usize) -> Option<usize> {
    let start = i;
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    let digits = |b: &[u8], mut i: usize| {
        let s = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        (i > s).then_some(i)
    };
    match b.get(i)? {
        b'0' => i += 1,
        b'1'..=b'9' => i = digits(b, i)?,
        _ => return None,
    }
    if b.get(i) == Some(&b'.') {
        i = digits(b, i + 1)?;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        i = digits(b, i)?;
    }
    (i > start).then_some(i)
}

/// What a value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Object,
    Array,
    String,
    Number,
    Null,
    Bool,
}

/// The kind of the value starting at `i` (no validation).
fn kind_at(b: &[u8], i: usize) -> Option<Kind> {
    Some(match b.get(i)? {
        b'{' => Kind::Object,
        b'[' => Kind::Array,
        b'"' => Kind::String,
        b'n' => Kind::Null,
        b't' | b'f' => Kind::Bool,
        b'-' | b'0'..=b'9' => Kind::Number,
        _ => return None,
    })
}

/// End of the (validated) value starting at `i`.
pub(crate) fn value_end(b: &[u8], i: usize, depth: usize) -> Option<usize> {
    if depth > MAX_DEPTH {
        return None;
    }
    match kind_at(b, i)? {
        Kind::String => string_end(b, i),
        Kind::Number => number_end(b, i),
        Kind::Null => b[i..].starts_with(b"null").then_some(i + 4),
        Kind::Bool => {
            if b[i..].starts_with(b"true") {
                Some(i + 4)
            } else {
                b[i..].starts_with(b"false").then_some(i + 5)
            }
        }
        Kind::Array => array_end(b, i, |j| value_end(b, j, depth + 1)),
        Kind::Object => members_end(b, i, depth, |_, _| {}),
    }
}

/// Whether `b` is exactly one JSON object (surrounding whitespace allowed).
pub(crate) fn is_object(b: &[u8]) -> bool {
    let i = ws(b, 0);
    b.get(i) == Some(&b'{') && value_end(b, i, 0).is_some_and(|e| ws(b, e) == b.len())
}

/// End (after the `}`) of the object whose `{` is at `i`, handing each member to `f` as (key
/// inside its quotes, value) byte ranges; `None` if it is not valid JSON.
fn members_end(b: &[u8], i: usize, depth: usize, mut f: impl FnMut(Range<usize>, Range<usize>)) -> Option<usize> {
    object_end(b, i, |key, vstart| {
        let vend = value_end(b, vstart, depth + 1)?;
        f(key.start + 1..key.end - 1, vstart..vend);
        Some(vend)
    })
}

/// End (after the `}`) of the object whose `{` is at `i`, checking its punctuation: `member`
/// gets each member's key (quotes included) and where its value starts, and returns where the
/// value ends (`None` stops the walk: not valid JSON). The one object loop of every walk here.
#[inline]
fn object_end(b: &[u8], i: usize, mut member: impl FnMut(Range<usize>, usize) -> Option<usize>) -> Option<usize> {
    let mut j = ws(b, i + 1);
    if b.get(j) == Some(&b'}') {
        return Some(j + 1);
    }
    loop {
        if b.get(j) != Some(&b'"') {
            return None;
        }
        let kend = string_end(b, j)?;
        let key = j..kend;
        j = ws(b, kend);
        if b.get(j) != Some(&b':') {
            return None;
        }
        j = ws(b, member(key, ws(b, j + 1))?);
        match b.get(j)? {
            b',' => j = ws(b, j + 1),
            b'}' => return Some(j + 1),
            _ => return None,
        }
    }
}

/// End (after the `]`) of the array whose `[` is at `i`: `element` gets where each element
/// starts and returns where it ends. The one array loop of every walk here.
#[inline]
fn array_end(b: &[u8], i: usize, mut element: impl FnMut(usize) -> Option<usize>) -> Option<usize> {
    let mut j = ws(b, i + 1);
    if b.get(j) == Some(&b']') {
        return Some(j + 1);
    }
    loop {
        j = ws(b, element(j)?);
        match b.get(j)? {
            b',' => j = ws(b, j + 1),
            b']' => return Some(j + 1),
            _ => return None,
        }
    }
}

/// [`is_object`] that also hands each top-level member to `f` as (key inside its quotes,
/// value) byte ranges, in one strict pass. `false` (after some calls to `f`, maybe) exactly
/// when `is_object(b)` is false.
pub(crate) fn object_members(b: &[u8], f: impl FnMut(Range<usize>, Range<usize>)) -> bool {
    let i = ws(b, 0);
    b.get(i) == Some(&b'{') && members_end(b, i, 0, f).is_some_and(|e| ws(b, e) == b.len())
}

fn hex4(h: &[u8]) -> u32 {
    h.iter().fold(0, |acc, &c| acc * 16 + (c as char).to_digit(16).unwrap_or(0))
}

fn push_char(out: &mut Vec<u8>, map: &mut Vec<u32>, c: char, at: usize) {
    let mut buf = [0u8; 4];
    for &b in c.encode_utf8(&mut buf).as_bytes() {
        out.push(b);
        map.push(at as u32);
    }
}

/// Decodes a string body (the bytes between the quotes) into `out`, recording in `map` the
/// offset in `content` of the escape or byte each output byte came from, plus a final entry
/// `content.len()`. A lone surrogate becomes U+FFFD. `None` on a bad escape.
pub(crate) fn decode(content: &[u8], out: &mut Vec<u8>, map: &mut Vec<u32>) -> Option<()> {
    out.clear();
    map.clear();
    let mut i = 0;
    while i < content.len() {
        let Some(k) = memchr::memchr(b'\\', &content[i..]) else {
            out.extend_from_slice(&content[i..]);
            map.extend((i..content.len()).map(|x| x as u32));
            break;
        };
        let k = i + k;
        out.extend_from_slice(&content[i..k]);
        map.extend((i..k).map(|x| x as u32));
        let simple = match content.get(k + 1)? {
            b'"' => Some(b'"'),
            b'\\' => Some(b'\\'),
            b'/' => Some(b'/'),
            b'b' => Some(8),
            b'f' => Some(12),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            b'u' => None,
            _ => return None,
        };
        if let Some(c) = simple {
            out.push(c);
            map.push(k as u32);
            i = k + 2;
            continue;
        }
        let h = content.get(k + 2..k + 6)?;
        if !h.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        let u = hex4(h);
        i = k + 6;
        if (0xD800..0xDC00).contains(&u)
            && content.get(i..i + 2) == Some(b"\\u")
            && content.get(i + 2..i + 6).is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit))
        {
            let lo = hex4(&content[i + 2..i + 6]);
            if (0xDC00..0xE000).contains(&lo) {
                let c = char::from_u32(0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00)).unwrap_or('\u{FFFD}');
                push_char(out, map, c, k);
                i += 6;
                continue;
            }
        }
        push_char(out, map, char::from_u32(u).unwrap_or('\u{FFFD}'), k);
    }
    map.push(content.len() as u32);
    Some(())
}

/// Appends `s` as the body of a JSON string: `"`, `\` and control bytes escaped, everything
/// else as it is.
pub(crate) fn encode_min(s: &[u8], out: &mut Vec<u8>) {
    for &b in s {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            8 => out.extend_from_slice(b"\\b"),
            12 => out.extend_from_slice(b"\\f"),
            0..0x20 => {
                out.extend_from_slice(b"\\u00");
                out.push(HEX[(b >> 4) as usize]);
                out.push(HEX[(b & 15) as usize]);
            }
            _ => out.push(b),
        }
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends `s` as Go's `encoding/json` writes a string body (what Docker's json-file driver
/// writes): [`encode_min`] plus `<`, `>`, `&` as `\u003c`, `\u003e`, `\u0026`, U+2028/U+2029
/// escaped, and each invalid UTF-8 byte as `\ufffd`.
pub(crate) fn encode_go(s: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        if b < 0x80 {
            match b {
                b'<' => out.extend_from_slice(b"\\u003c"),
                b'>' => out.extend_from_slice(b"\\u003e"),
                b'&' => out.extend_from_slice(b"\\u0026"),
                _ => encode_min(&s[i..i + 1], out),
            }
            i += 1;
            continue;
        }
        let n = utf8_len(&s[i..]);
        if n == 0 {
            out.extend_from_slice(b"\\ufffd");
            i += 1;
            continue;
        }
        match &s[i..i + n] {
            [0xE2, 0x80, 0xA8] => out.extend_from_slice(b"\\u2028"),
            [0xE2, 0x80, 0xA9] => out.extend_from_slice(b"\\u2029"),
            c => out.extend_from_slice(c),
        }
        i += n;
    }
}

/// Length of the valid UTF-8 character starting `s`, or 0.
fn utf8_len(s: &[u8]) -> usize {
    let n = match s[0] {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return 0,
    };
    match s.get(..n) {
        Some(c) if std::str::from_utf8(c).is_ok() => n,
        _ => 0,
    }
}

/// Which encoder a re-encoded region uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// [`encode_min`].
    Min,
    /// [`encode_go`].
    Go,
}

/// Re-encodes what changed between `old` (decoded from `content` with `map`) and `new`, and
/// appends to `out` the raw string body: `content` outside the changed region byte for byte,
/// the region re-encoded. The region is the span between the common prefix and suffix, widened
/// to whole escapes and whole UTF-8 characters.
pub(crate) fn splice_body(content: &[u8], old: &[u8], map: &[u32], new: &[u8], style: Style, out: &mut Vec<u8>) {
    let max = old.len().min(new.len());
    let mut p = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    let mut s = old.iter().rev().zip(new.iter().rev()).take(max - p).take_while(|(a, b)| a == b).count();
    // Widen to whole escapes and characters (the prefix and suffix stay common).
    while p > 0 && (map[p] == map[p - 1] || old.get(p).is_some_and(|&b| (b & 0xC0) == 0x80)) {
        p -= 1;
    }
    let mut end = old.len() - s;
    while end < old.len() && end > p && (map[end] == map[end - 1] || (old[end] & 0xC0) == 0x80) {
        end += 1;
    }
    s = old.len() - end;
    out.extend_from_slice(&content[..map[p] as usize]);
    let region = &new[p..new.len() - s];
    match style {
        Style::Min => encode_min(region, out),
        Style::Go => encode_go(region, out),
    }
    out.extend_from_slice(&content[map[end] as usize..]);
}

/// Member context for the walk: the path from the top level and the value's key.
struct Walk<'w> {
    /// Decoded keys of the current path, concatenated; `path` holds their ranges.
    keys: Vec<u8>,
    path: Vec<Range<usize>>,
    /// Edits on the object text: (range, replacement range in `repl`).
    edits: Vec<(Range<usize>, Range<usize>)>,
    repl: Vec<u8>,
    /// Decoding buffers.
    dec: Vec<u8>,
    map: Vec<u32>,
    text: &'w [u8],
    /// A Docker json-file line: the top-level `log` string is a message (see `docker`).
    docker: bool,
    /// Inside the array or object value of a secret key: that key (decoded). Every string and
    /// number in it is the key's secret (`"password":["a","b"]`), as the core reads it.
    secret: Option<Vec<u8>>,
    /// The text holds a JWS or JWE in JSON serialization: `"protected":"<header>",`, put before
    /// its members' mini lines so the core rewrites them as it does on a raw line
    /// (`Scrubber::serialized_into`).
    protected: Option<Vec<u8>>,
}

/// Members of a JWS or JWE JSON serialization rewritten like the compact form's segments.
const SERIALIZED: [&[u8]; 5] = [b"payload", b"encrypted_key", b"iv", b"ciphertext", b"tag"];

/// `"protected":"<header>",` for the first `protected` member of `text` holding a JWT header.
fn protected_lead(text: &[u8]) -> Option<Vec<u8>> {
    const KEY: &[u8] = b"\"protected\"";
    memchr::memmem::find_iter(text, KEY).find_map(|k| {
        let v = crate::credential::string_member_value(text, k + KEY.len())?;
        crate::jwt::decode_protected(&text[v.clone()], &mut Vec::new())?;
        let mut lead = KEY.to_vec();
        lead.extend_from_slice(b":\"");
        lead.extend_from_slice(&text[v]);
        lead.extend_from_slice(b"\",");
        Some(lead)
    })
}

/// Scrubs one JSON object (validated by the caller with [`is_object`]) member by member (see
/// the module docs). Appends the rewritten object to `out` and returns `true`, or returns
/// `false` (appending nothing) when no value changed. `None` when the text is malformed.
///
/// With `docker`, the top-level `log` string is decoded and scrubbed as a message (a JSON
/// object walked in turn, or text), and its changed part re-encoded as Go does.
pub(crate) fn scrub_object(
    ctx: &Ctx<'_>,
    work: &mut Work,
    text: &[u8],
    out: &mut Vec<u8>,
    docker: bool,
) -> Option<bool> {
    let mut w = Walk {
        keys: Vec::new(),
        path: Vec::new(),
        edits: Vec::new(),
        repl: Vec::new(),
        dec: Vec::new(),
        map: Vec::new(),
        text,
        docker,
        secret: None,
        protected: protected_lead(text),
    };
    let i = ws(text, 0);
    let end = walk_value(ctx, work, &mut w, i, 0, None)?;
    if ws(text, end) != text.len() {
        return None;
    }
    if w.edits.is_empty() {
        return Some(false);
    }
    w.edits.sort_by_key(|e| e.0.start);
    let mut prev = 0;
    for (r, rep) in &w.edits {
        out.extend_from_slice(&text[prev..r.start]);
        out.extend_from_slice(&w.repl[rep.clone()]);
        prev = r.end;
    }
    out.extend_from_slice(&text[prev..]);
    Some(true)
}

/// Walks the value at `i`; `key` is the member key's range in `w.keys` when the value is a
/// member's. Returns the value's end.
fn walk_value(
    ctx: &Ctx<'_>,
    work: &mut Work,
    w: &mut Walk<'_>,
    i: usize,
    depth: usize,
    key: Option<Range<usize>>,
) -> Option<usize> {
    if depth > MAX_DEPTH {
        return None;
    }
    let b = w.text;
    let kind = kind_at(b, i)?;
    // A [[json_fields]] path replaces the whole value.
    let field = if key.is_some() && kind != Kind::Null { ctx.field_match(&w.keys, &w.path) } else { None };
    if let Some((rule, action)) = field {
        let end = value_end(b, i, depth)?;
        let start = w.repl.len();
        let already = !ctx.field_value(&b[i..end], action, &mut w.repl) || b[i..end] == w.repl[start..];
        if already {
            w.repl.truncate(start);
        } else {
            w.edits.push((i..end, start..w.repl.len()));
            work.field_redacted(rule, action, i..end);
        }
        return Some(end);
    }
    match kind {
        Kind::Object => object_end(b, i, |key, v| {
            let kstart = w.keys.len();
            decode(&b[key.start + 1..key.end - 1], &mut w.dec, &mut w.map)?;
            w.keys.extend_from_slice(&w.dec);
            // A key is text too (a map keyed by token, `"Bearer …":…`): scrubbed like a string
            // value, as the raw path scrubs it with the rest of the line. Rules still see the
            // key as it was.
            scrub_decoded_string(ctx, work, w, key);
            let krange = kstart..w.keys.len();
            w.path.push(krange.clone());
            // A secret key's container value is walked in its context: every leaf is secret.
            let enters = w.secret.is_none()
                && matches!(b.get(v), Some(b'{' | b'['))
                && ctx.is_secret_key(&w.keys[krange.clone()]);
            if enters {
                w.secret = Some(w.keys[krange.clone()].to_vec());
            }
            let vend = walk_value(ctx, work, w, v, depth + 1, Some(krange));
            if enters {
                w.secret = None;
            }
            let vend = vend?;
            w.path.pop();
            w.keys.truncate(kstart);
            Some(vend)
        }),
        // Elements belong to the array's key for paths, but no key rule applies to them.
        Kind::Array => array_end(b, i, |j| walk_value(ctx, work, w, j, depth + 1, None)),
        Kind::String if w.docker && depth == 1 && key.as_ref().is_some_and(|k| &w.keys[k.clone()] == b"log") => {
            let end = string_end(b, i)?;
            let content = &b[i + 1..end - 1];
            decode(content, &mut w.dec, &mut w.map)?;
            let dec = std::mem::take(&mut w.dec);
            let nl = usize::from(dec.last() == Some(&b'\n'));
            work.push_xlate(Some(&w.map), i + 1);
            let new = ctx.scrub_message(work, &dec[..dec.len() - nl]);
            work.xlate.pop();
            if let Some(mut new) = new {
                new.extend_from_slice(&dec[dec.len() - nl..]);
                let start = w.repl.len();
                w.repl.push(b'"');
                splice_body(content, &dec, &w.map, &new, Style::Go, &mut w.repl);
                w.repl.push(b'"');
                w.edits.push((i..end, start..w.repl.len()));
            }
            w.dec = dec;
            Some(end)
        }
        Kind::String | Kind::Number => {
            let end = value_end(b, i, depth)?;
            let serialized = w.protected.as_ref().filter(|_| {
                kind == Kind::String && key.as_ref().is_some_and(|k| SERIALIZED.contains(&&w.keys[k.clone()][..]))
            });
            let lead = serialized.cloned().unwrap_or_default();
            let own =
                key.filter(|k| !lead.is_empty() || ctx.is_secret_key(&w.keys[k.clone()])).map(|k| w.keys[k].to_vec());
            if let Some(key_bytes) = own.or_else(|| w.secret.clone()) {
                if let Some(rep) = work.secret_member(ctx, &lead, &key_bytes, &b[i..end], kind == Kind::String, i) {
                    let start = w.repl.len();
                    w.repl.extend_from_slice(&rep);
                    w.edits.push((i..end, start..w.repl.len()));
                }
            } else if kind == Kind::String {
                decode(&b[i + 1..end - 1], &mut w.dec, &mut w.map)?;
                scrub_decoded_string(ctx, work, w, i..end);
            }
            Some(end)
        }
        Kind::Null | Kind::Bool => value_end(b, i, depth),
    }
}

/// Scrubs the JSON string at `at` (quotes included) of `w.text`, already decoded into `w.dec`
/// and `w.map`, as text; on a change, records an edit that re-encodes only the changed part.
fn scrub_decoded_string(ctx: &Ctx<'_>, work: &mut Work, w: &mut Walk<'_>, at: Range<usize>) {
    let dec = std::mem::take(&mut w.dec);
    if let Some(new) = work.scrub_text(ctx, &dec, Some(&w.map), at.start + 1) {
        let start = w.repl.len();
        w.repl.push(b'"');
        splice_body(&w.text[at.start + 1..at.end - 1], &dec, &w.map, &new, Style::Min, &mut w.repl);
        w.repl.push(b'"');
        w.edits.push((at, start..w.repl.len()));
    }
    w.dec = dec;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_objects_and_rejects_truncated_or_bad_escapes() {
        assert!(is_object(br#" {"a":[1,-2.5e3,"x\u00e9\n",{"b":null}],"c":true} "#));
        for bad in [&br#"{"a":1"#[..], br#"{"a":"\x"}"#, br#"{"a":01}"#, b"{\"a\":\"\n\"}", br#"[1]"#, br#"{"a":1}x"#] {
            assert!(!is_object(bad), "{}", bad.escape_ascii());
        }
        let deep = "[".repeat(MAX_DEPTH + 2);
        assert!(value_end(deep.as_bytes(), 0, 0).is_none());
    }

    /// What the token path used before `is_object`: `serde_json` parses the text (ignoring
    /// every value) and it starts with `{`.
    fn serde_says_object(b: &[u8]) -> bool {
        serde_json::from_slice::<serde::de::IgnoredAny>(b).is_ok()
            && b.iter().find(|c| !c.is_ascii_whitespace()) == Some(&b'{')
    }

    /// Small JSON texts: a value serialised by `serde_json` (compact or pretty), then maybe one
    /// splice of a JSON-ish fragment at some byte, so both valid objects and near misses come up.
    fn near_json() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(Into::into),
            any::<i64>().prop_map(Into::into),
            (-1e9f64..1e9).prop_map(Into::into),
            "[a-z\u{1}\"\\\\\u{e9}\u{1f600}]{0,6}".prop_map(Into::into),
        ];
        let value = leaf.prop_recursive(4, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Into::into),
                proptest::collection::btree_map("[a-z\"]{0,3}", inner, 0..4)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        });
        let top = proptest::collection::btree_map("[a-z]{0,3}", value, 0..4)
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect()));
        let splice = proptest::option::of((
            any::<proptest::sample::Index>(),
            proptest::sample::select(vec![
                "{", "}", "[", "]", ":", ",", " ", "\n", "\"", "\\", "\\u00e9", "\\uZZ", "\\q", "0", "01", "-", "1.",
                "1e", "tru", "null", "\u{1}", "\u{7f}", "\t", "x", "",
            ]),
            0usize..3,
        ));
        (top, any::<bool>(), splice).prop_map(|(v, pretty, splice)| {
            let mut b = if pretty { serde_json::to_vec_pretty(&v) } else { serde_json::to_vec(&v) }.unwrap();
            if let Some((at, frag, cut)) = splice {
                let at = at.index(b.len() + 1);
                let cut = cut.min(b.len() - at);
                b.splice(at..at + cut, frag.bytes());
            }
            b
        })
    }

    proptest::proptest! {
        /// `is_object` accepts exactly what `serde_json` accepts, below `MAX_DEPTH` (deeper
        /// text is refused here; `serde_json` skips an ignored value at any depth).
        #[test]
        fn is_object_agrees_with_serde_json(b in near_json()) {
            proptest::prop_assert_eq!(is_object(&b), serde_says_object(&b), "{}", b.escape_ascii());
        }
    }

    proptest::proptest! {
        /// The one-pass member walk accepts exactly what `is_object` accepts, and splits
        /// members as the token path's lenient splitter does.
        #[test]
        fn object_members_is_is_object_plus_the_split(b in near_json()) {
            let mut got = Vec::new();
            let ok = object_members(&b, |k, v| got.push((k, v)));
            proptest::prop_assert_eq!(ok, is_object(&b));
            let value = serde_json::from_slice::<serde_json::Value>(&b).ok();
            if ok && value.is_some() {
                // The members, put back together, are the same object (when it has a value:
                // a lone surrogate escape is valid JSON text but no string).
                let text = |r: &Range<usize>| String::from_utf8_lossy(&b[r.clone()]).into_owned();
                let parts: Vec<String> = got.iter().map(|(k, v)| format!("\"{}\":{}", text(k), text(v))).collect();
                let rebuilt = format!("{{{}}}", parts.join(","));
                proptest::prop_assert_eq!(serde_json::from_str::<serde_json::Value>(&rebuilt).ok(), value);
            }
        }
    }

    #[test]
    fn is_object_agrees_with_serde_json_on_real_objects() {
        // Valid objects produced by serde_json itself, then cut at every byte.
        let v = serde_json::json!({"sub":"1","aud":["a","b"],"n":-1.5e-7,"o":{"x":null,"t":true},"s":"é\u{1}\"\\"});
        for text in [serde_json::to_vec(&v).unwrap(), serde_json::to_vec_pretty(&v).unwrap()] {
            assert!(is_object(&text));
            for cut in 0..text.len() {
                assert_eq!(is_object(&text[..cut]), serde_says_object(&text[..cut]), "cut at {cut}");
            }
        }
    }

    #[test]
    fn decode_maps_every_byte_to_its_escape() {
        let (mut out, mut map) = (Vec::new(), Vec::new());
        decode(br#"a\u00e9\n\ud83d\ude00\\"#, &mut out, &mut map).unwrap();
        assert_eq!(out, "aé\n😀\\".as_bytes());
        assert_eq!(map, [0, 1, 1, 7, 9, 9, 9, 9, 21, 23]);
        assert!(decode(br#"\q"#, &mut out, &mut map).is_none());
        assert!(decode(br#"\u12"#, &mut out, &mut map).is_none());
    }

    #[test]
    fn go_encoding_matches_encoding_json() {
        let mut o = Vec::new();
        encode_go("<a href=\"x\">&\t\u{1b}é\u{2028}".as_bytes(), &mut o);
        assert_eq!(String::from_utf8(o.clone()).unwrap(), r#"\u003ca href=\"x\"\u003e\u0026\t\u001bé\u2028"#);
        o.clear();
        encode_go(b"ok\xff", &mut o);
        assert_eq!(o, br#"ok\ufffd"#);
    }

    #[test]
    fn splice_keeps_unchanged_escapes() {
        let content = br#"\u003cb\u003e pw=hunter2 \u0026 more"#;
        let (mut old, mut map) = (Vec::new(), Vec::new());
        decode(content, &mut old, &mut map).unwrap();
        let new = b"<b> pw=[REDACTED] & more";
        let mut out = Vec::new();
        splice_body(content, &old, &map, new, Style::Go, &mut out);
        assert_eq!(out, br#"\u003cb\u003e pw=[REDACTED] \u0026 more"#);
        let mut out = Vec::new();
        splice_body(content, &old, &map, b"<i> pw=hunter2 & more", Style::Go, &mut out);
        assert_eq!(out, br#"\u003ci\u003e pw=hunter2 \u0026 more"#);
        // A change inside an escaped character widens to the whole escape.
        let content = br#"caf\u00e9!"#;
        decode(content, &mut old, &mut map).unwrap();
        let mut out = Vec::new();
        splice_body(content, &old, &map, "cafè!".as_bytes(), Style::Min, &mut out);
        assert_eq!(out, "cafè!".as_bytes());
    }
}
