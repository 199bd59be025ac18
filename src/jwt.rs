//! Compact JWT recognition: JWS, JWE and unsecured (`alg: none`) tokens.
//!
//! A candidate is a run of base64url segments separated by dots. It is a token only if its
//! first segment decodes to a JSON object with a string `alg` member (RFC 7515 §4.1.1); with
//! a string `enc` member it is a JWE (RFC 7516 §4.1.2) and has five segments, otherwise a JWS
//! of three (RFC 7515 §7.1), unsecured when `alg` is `none` (RFC 7519 §6). Dotted look-alikes —
//! versions, host names, file names, base64 blobs — fail that check and are never touched.
//!
//! Parsing works on a borrowed `&[u8]` (framing guarantees the span is whole) and allocates only
//! when a header decodes. Segments are split by a table-driven loop: the first version used
//! `nom` (`take_while` + `many_m_n`), which was 18% of the profile on a token-heavy corpus.
//!
//! Tolerated, because real libraries emit them: `=` padding at a segment's end, whitespace
//! inside the header JSON (`{ "alg"…` and `{\n…`), and `+` `/` (standard base64) in the
//! segments after the header, which are then redacted whole rather than cut at the first `+`. A token cut short (two segments only) still
//! counts as a token: fail closed.

use std::ops::Range;
use std::sync::Arc;

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde::Deserialize;

use crate::runs::{self, Class};

/// Base64url, padding optional, trailing bits allowed: as lenient as the libraries that write.
pub(crate) const B64URL: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Largest header segment decoded (x5c certificate chains make headers a few KiB).
const MAX_HEADER_B64: usize = 64 * 1024;

/// Whether `b` is a base64url alphabet byte.
#[inline]
pub fn is_b64url(b: u8) -> bool {
    runs::is_in(Class::B64Url, b)
}

/// The kind of compact token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// Signed: header.payload.signature.
    Jws,
    /// Encrypted: header.key.iv.ciphertext.tag.
    Jwe,
    /// `alg: none` or an empty signature segment.
    Unsecured,
}

impl TokenKind {
    /// Lowercase name used in stats and findings.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Jws => "jws",
            TokenKind::Jwe => "jwe",
            TokenKind::Unsecured => "unsecured",
        }
    }
}

/// The header members logscrub reports (never secret).
///
/// Shared strings: a token's header is cloned from the [`HeaderCache`] for every token that
/// repeats it, and into each finding's facts, so a clone must not allocate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Header {
    /// Algorithm (`alg`).
    pub alg: Option<Arc<str>>,
    /// Content encryption (`enc`), JWE only.
    pub enc: Option<Arc<str>>,
    /// Key id (`kid`).
    pub kid: Option<Arc<str>>,
    /// Type (`typ`).
    pub typ: Option<Arc<str>>,
}

/// What a header must look like. Fields borrow from the decoded bytes when they hold no
/// escapes; a member of another JSON type (`"alg": 1`) fails the whole probe: not a token.
/// A field given twice takes its last value, as `JSON.parse`, Python's `json` and Go's
/// `encoding/json` do: PyJWT accepts `{"alg":"HS256","kid":"a","kid":"b"}`, so such a token is
/// live and must be found (a derived `Deserialize` rejects duplicate fields).
#[derive(Default)]
struct HeaderProbe<'a> {
    alg: Option<std::borrow::Cow<'a, str>>,
    enc: Option<std::borrow::Cow<'a, str>>,
    kid: Option<std::borrow::Cow<'a, str>>,
    typ: Option<std::borrow::Cow<'a, str>>,
}

impl<'de> Deserialize<'de> for HeaderProbe<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = HeaderProbe<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JWT header object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut h = HeaderProbe::default();
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    let field = match &*key {
                        "alg" => &mut h.alg,
                        "enc" => &mut h.enc,
                        "kid" => &mut h.kid,
                        "typ" => &mut h.typ,
                        _ => {
                            map.next_value::<serde::de::IgnoredAny>()?;
                            continue;
                        }
                    };
                    *field = map.next_value::<Option<std::borrow::Cow<'de, str>>>()?;
                }
                Ok(h)
            }
        }
        d.deserialize_map(Visitor)
    }
}

/// A token's segment ranges, at most five (a JWE's), held inline: parsing a token allocates
/// nothing. Reads as a slice of ranges.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Segments {
    ranges: [Range<usize>; 5],
    len: usize,
}

impl Segments {
    /// Appends a segment (a sixth is a bug: the parser stops at five).
    fn push(&mut self, r: Range<usize>) {
        self.ranges[self.len] = r;
        self.len += 1;
    }
}

impl std::ops::Deref for Segments {
    type Target = [Range<usize>];
    fn deref(&self) -> &[Range<usize>] {
        &self.ranges[..self.len]
    }
}

/// A recognised token: byte ranges into the haystack it was parsed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// JWS, JWE or unsecured.
    pub kind: TokenKind,
    /// The whole token.
    pub span: Range<usize>,
    /// Each segment (3 for JWS, 5 for JWE; 2 when cut short).
    pub segments: Segments,
    /// Decoded header members.
    pub header: Header,
}

/// End of the segment starting at `i`: base64url bytes, then `=` padding (or `%3D`, `%3d`: a
/// padded token in a URL some encoder escaped whole, as `%2E` for its dots).
/// With `std_alphabet`, `+` and `/` count too: some libraries wrongly emit standard base64,
/// and cutting such a payload or signature at its first `+` would leave the rest in clear.
///
/// Padding ends a segment only where no alphabet byte follows it: `ab=cd` and `ab===` are
/// one malformed segment, taken whole (fail closed). Cut after the padding, the tail would be
/// left glued to the marker that replaces the segment (`REDACTED1`), and scrubbing the output
/// again would change it (found by `fuzz/` target `scrub_line`).
#[inline]
pub(crate) fn segment_end(hay: &[u8], mut i: usize, std_alphabet: bool) -> usize {
    let class = if std_alphabet { Class::B64Any } else { Class::B64Url };
    let alphabet = |b: u8| runs::is_in(class, b);
    loop {
        i = runs::run_end(hay, i, class);
        let pad = i;
        i += pad_len(&hay[i..]);
        if i == pad || !hay.get(i).is_some_and(|&b| alphabet(b)) {
            return i;
        }
    }
}

/// Length of the padding at the start of `s`: `=`, `%3D` or `%3d`, repeated.
pub(crate) fn pad_len(s: &[u8]) -> usize {
    let mut n = 0;
    loop {
        match &s[n..] {
            [b'=', ..] => n += 1,
            [b'%', b'3', b'D' | b'd', ..] => n += 3,
            _ => return n,
        }
    }
}

/// A segment without its trailing padding (`=`, `%3D`, `%3d`; see [`segment_end`]).
pub(crate) fn unpadded(seg: &[u8]) -> &[u8] {
    let mut end = seg.len();
    loop {
        match &seg[..end] {
            [.., b'='] => end -= 1,
            [.., b'%', b'3', b'D' | b'd'] => end -= 3,
            _ => return &seg[..end],
        }
    }
}

/// Decodes a header segment and checks it is a JSON object with a string `alg`.
pub fn decode_header(seg: &[u8], buf: &mut Vec<u8>) -> Option<Header> {
    decode_header_with(seg, buf, &mut Vec::new())
}

/// Decodes the `protected` header of a JWS or JWE JSON serialization (RFC 7515 §7.2, RFC 7516
/// §7.2): a JSON object with a string `alg` or `enc` (a JWE's `alg` may sit in a per-recipient
/// header instead).
pub fn decode_protected(seg: &[u8], buf: &mut Vec<u8>) -> Option<Header> {
    let header = decode_object(seg, buf, &mut Vec::new())?;
    (header.alg.is_some() || header.enc.is_some()).then_some(header)
}

/// [`decode_header`] with a reusable buffer for the object's members.
fn decode_header_with(seg: &[u8], buf: &mut Vec<u8>, members: &mut Vec<crate::redact::Member>) -> Option<Header> {
    let header = decode_object(seg, buf, members)?;
    header.alg.is_some().then_some(header)
}

/// A header segment decoded to its fields, if it is a JSON object.
fn decode_object(seg: &[u8], buf: &mut Vec<u8>, members: &mut Vec<crate::redact::Member>) -> Option<Header> {
    // Padding is optional, so extra padding (`…J9==` on a header of whole quanta) is ignored
    // rather than making the header undecodable and the token invisible (fail closed).
    let seg = unpadded(seg);
    if seg.len() < 12 || seg.len() > MAX_HEADER_B64 {
        return None;
    }
    buf.clear();
    if !crate::b64::decode_any(seg, buf) {
        return None;
    }
    let first = buf.iter().find(|b| !b.is_ascii_whitespace())?;
    if *first != b'{' {
        return None;
    }
    if crate::redact::strict_members(buf, members) { header_fields(buf, members) } else { header_by_serde(buf) }
}

/// The header fields of a JSON object split into `members`, read as `serde_json` reads a
/// [`HeaderProbe`] (a property test holds the two together): other members are ignored;
/// each of the four is a string or `null`, the last one given wins; a key or field value that
/// is not UTF-8 (after unescaping) fails the whole header.
fn header_fields(j: &[u8], members: &[crate::redact::Member]) -> Option<Header> {
    let mut h = Header::default();
    for m in members.iter() {
        // A key without escapes is its bytes (checked to be UTF-8, as unescaping would);
        // only an escaped one is unescaped.
        let raw = &j[m.key.clone()];
        let unescaped;
        let key: &[u8] = if raw.contains(&b'\\') {
            unescaped = crate::redact::string_content(&j[m.key.start - 1..m.key.end + 1])?;
            unescaped.as_bytes()
        } else {
            std::str::from_utf8(raw).ok()?.as_bytes()
        };
        let field = match key {
            b"alg" => &mut h.alg,
            b"enc" => &mut h.enc,
            b"kid" => &mut h.kid,
            b"typ" => &mut h.typ,
            _ => continue,
        };
        let v = &j[m.value.clone()];
        *field = match v.first() {
            Some(b'n') => None,
            Some(b'"') => Some(Arc::from(&*crate::redact::string_content(v)?)),
            _ => return None,
        };
    }
    Some(h)
}

/// [`header_fields`] by `serde_json`: for text nested deeper than `format::object_members`
/// reads.
fn header_by_serde(j: &[u8]) -> Option<Header> {
    let probe: HeaderProbe<'_> = serde_json::from_slice(j).ok()?;
    let own = |v: Option<std::borrow::Cow<'_, str>>| v.map(|v| Arc::from(&*v));
    Some(Header { alg: own(probe.alg), enc: own(probe.enc), kid: own(probe.kid), typ: own(probe.typ) })
}

/// Length of the segment separator at `i`: 1 for `.`, 3 for a percent-encoded dot (`%2E`,
/// `%2e`: a token in a URL some encoder escaped whole), 0 for none. A rewritten token is
/// written back with plain dots, which mean the same in a URL.
pub fn dot_len(hay: &[u8], i: usize) -> usize {
    match hay.get(i..) {
        Some([b'.', ..]) => 1,
        Some([b'%', b'2', b'E' | b'e', ..]) => 3,
        _ => 0,
    }
}

/// Base64url characters of a long header decoded first, as a probe (a multiple of 4).
const PROBE_B64: usize = 256;

/// Whether `prefix` (whole base64url quanta of a header segment) decodes to the start of a JSON
/// object: a complete object, or one cut short (serde_json's end-of-input error), never a
/// syntax error.
fn json_object_prefix(prefix: &[u8], buf: &mut Vec<u8>) -> bool {
    buf.clear();
    if !crate::b64::decode_any(prefix, buf) || buf.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return false;
    }
    match serde_json::from_slice::<serde::de::IgnoredAny>(buf) {
        Ok(_) => true,
        Err(e) => e.is_eof(),
    }
}

/// The last (up to) 8 bytes of `b` as an integer.
#[inline]
pub(crate) fn tail8(b: &[u8]) -> u64 {
    match b.len().checked_sub(8) {
        Some(at) => u64::from_le_bytes(b[at..].try_into().expect("8 bytes")),
        None => b.iter().fold(b.len() as u64, |acc, &c| (acc << 8) | u64::from(c)),
    }
}

/// Headers decoded recently, keyed by their encoded bytes.
///
/// A log repeats a handful of headers (one per issuer and signing key), so the base64 decode
/// and JSON parse of a header usually happened a few tokens earlier. Eight entries, replaced
/// round-robin; headers longer than [`HEADER_CACHE_MAX`] bytes are not kept. A hit gives
/// exactly what [`decode_header`] would.
#[derive(Debug, Default)]
pub struct HeaderCache {
    /// (the header's last 8 bytes as an integer, compared first; its bytes; its fields)
    entries: Vec<(u64, Vec<u8>, Header)>,
    next: usize,
    /// Scratch for the members of a header being decoded.
    members: Vec<crate::redact::Member>,
}

/// Entries in a [`HeaderCache`].
const HEADER_CACHE_ENTRIES: usize = 8;
/// Longest encoded header a [`HeaderCache`] keeps.
pub const HEADER_CACHE_MAX: usize = 512;

impl HeaderCache {
    fn decode(&mut self, seg: &[u8], buf: &mut Vec<u8>) -> Option<Header> {
        // Headers of one issuer share their length and most bytes (a `kid` differs near the
        // end): the tail is compared first, so a miss costs no `memcmp` per entry.
        let tail = tail8(seg);
        if let Some((_, _, h)) = self.entries.iter().find(|(t, k, _)| *t == tail && k.as_slice() == seg) {
            return Some(h.clone());
        }
        let h = decode_header_with(seg, buf, &mut self.members)?;
        if seg.len() <= HEADER_CACHE_MAX {
            if self.entries.len() < HEADER_CACHE_ENTRIES {
                self.entries.push((tail, seg.to_vec(), h.clone()));
            } else {
                // Reuse the slot's buffer: no allocation once the cache is full.
                let (t, k, v) = &mut self.entries[self.next];
                *t = tail;
                k.clear();
                k.extend_from_slice(seg);
                v.clone_from(&h);
                self.next = (self.next + 1) % HEADER_CACHE_ENTRIES;
            }
        }
        Some(h)
    }
}

/// Parses a compact token starting exactly at `at` in `hay`.
///
/// `scratch` is reused for the decoded header. Returns `None` for anything that is not a
/// token; never panics on any input.
pub fn parse_at(hay: &[u8], at: usize, scratch: &mut Vec<u8>) -> Option<Token> {
    parse_at_cached(hay, at, scratch, &mut HeaderCache::default())
}

/// [`parse_at`], looking headers up in (and adding them to) `headers` first.
pub fn parse_at_cached(hay: &[u8], at: usize, scratch: &mut Vec<u8>, headers: &mut HeaderCache) -> Option<Token> {
    if at >= hay.len() {
        return None;
    }
    // A long header is first probed: its first `PROBE_B64` characters must decode to the start
    // of a JSON object. A run of `eyJ…` that is not a header fails there, after a few hundred
    // bytes, instead of costing a 64 KiB scan and decode per `eyJ` (SECURITY.md, known issue 1).
    let probe_limit = hay.len().min(at + PROBE_B64);
    if segment_end(&hay[..probe_limit], at, true) == at + PROBE_B64
        && !json_object_prefix(&hay[at..probe_limit], scratch)
    {
        return None;
    }
    // A header longer than `MAX_HEADER_B64` is rejected anyway: scan no further than that (and
    // its padding), so each `eyJ` in a long run of them costs at most that, not the whole run.
    let limit = hay.len().min(at + MAX_HEADER_B64 + 3);
    let head_end = segment_end(&hay[..limit], at, true);
    if head_end - at > MAX_HEADER_B64 || dot_len(hay, head_end) == 0 {
        return None;
    }
    let header = headers.decode(&hay[at..head_end], scratch)?;
    let want = if header.enc.is_some() { 5 } else { 3 };
    let mut segments = Segments::default();
    segments.push(at..head_end);
    let mut pos = head_end;
    while segments.len() < want && dot_len(hay, pos) > 0 {
        let start = pos + dot_len(hay, pos);
        let end = segment_end(hay, start, true);
        segments.push(start..end);
        pos = end;
    }
    let is_jwe = header.enc.is_some();
    // `header.payload` with nothing after it is a token cut short: keep it (fail closed).
    let kind = if is_jwe {
        TokenKind::Jwe
    } else if header.alg.as_deref().is_some_and(|a| a.eq_ignore_ascii_case("none"))
        || segments.get(2).is_some_and(|s| s.is_empty())
    {
        TokenKind::Unsecured
    } else {
        TokenKind::Jws
    };
    Some(Token { kind, span: at..pos, segments, header })
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    fn b64(s: &str) -> String {
        B64URL.encode(s)
    }

    fn tok(h: &str, rest: &str) -> String {
        format!("{}.{}", b64(h), rest)
    }

    #[test]
    fn percent_encoded_dots_separate_segments() {
        let t = tok(r#"{"alg":"HS256"}"#, "cGF5.c2ln").replace('.', "%2E");
        let line = format!("ref={t}&x=1");
        let p = parse_at(line.as_bytes(), 4, &mut Vec::new()).unwrap();
        assert_eq!((p.kind, p.segments.len()), (TokenKind::Jws, 3));
        assert_eq!(&line.as_bytes()[p.segments[2].clone()], b"c2ln");
        assert_eq!(p.span.end, 4 + t.len());
        assert_eq!((dot_len(b"a%2eb", 1), dot_len(b"%2", 0), dot_len(b"%2F", 0)), (3, 0, 0));
    }

    #[test]
    fn long_headers_are_probed_before_they_are_scanned() {
        // A real header longer than the probe (an x5c chain) still parses…
        let chain = "MIIC".repeat(300);
        let t = tok(&format!(r#"{{"alg":"RS256","x5c":["{chain}"]}}"#), "cGF5.c2ln");
        assert!(b64(&format!(r#"{{"alg":"RS256","x5c":["{chain}"]}}"#)).len() > PROBE_B64);
        assert_eq!(parse_at(t.as_bytes(), 0, &mut Vec::new()).map(|p| p.span.end), Some(t.len()));
        // …and a run that is no JSON object start fails at the probe.
        let junk = format!("{}.e30.c2ln", "eyJ".repeat(1000));
        let mut buf = Vec::new();
        assert!(!json_object_prefix(&junk.as_bytes()[..PROBE_B64], &mut buf));
        assert!(parse_at(junk.as_bytes(), 0, &mut buf).is_none());
        assert!(json_object_prefix(
            b64(r#"{"alg":"HS256","kid":"abcdefgh"#)
                .as_bytes()
                .chunks(4)
                .take(5)
                .flatten()
                .copied()
                .collect::<Vec<u8>>()
                .as_slice(),
            &mut buf
        ));
    }

    proptest::proptest! {
        /// The hand-written header reader and serde's agree on every object: duplicate, null,
        /// non-string and escaped fields, keys and values that are not UTF-8.
        #[test]
        fn header_fields_agree_with_serde(
            members in proptest::collection::vec((
                proptest::sample::select(vec![
                    "alg", "enc", "kid", "typ", "x5u", "\\u0061lg", "al\\u0067", "ALG", "", "\\ud800", "k\u{e9}",
                ]),
                proptest::sample::select(vec![
                    "\"HS256\"", "null", "1", "true", "{\"a\":[1,\"b\"]}", "[]", "\"\"", "\"a\\\"b\\u00e9\"",
                    "\"\\ud800\"", "\"\\ud83d\\ude00\"", "\"\u{e9}\"",
                ]),
                proptest::option::of(proptest::sample::select(vec![0x80u8, 0xff, 0xc3])),
            ), 0..6),
            spaced in proptest::bool::ANY,
        ) {
            let sep: &[u8] = if spaced { b" , " } else { b"," };
            let mut j = b"{".to_vec();
            for (i, (k, v, raw)) in members.iter().enumerate() {
                if i > 0 {
                    j.extend_from_slice(sep);
                }
                j.push(b'"');
                j.extend_from_slice(k.as_bytes());
                j.extend_from_slice(b"\":");
                match raw {
                    // A raw byte that is not UTF-8, inside a string value.
                    Some(b) if v.starts_with('"') => {
                        j.extend_from_slice(&v.as_bytes()[..1]);
                        j.push(*b);
                        j.extend_from_slice(&v.as_bytes()[1..]);
                    }
                    _ => j.extend_from_slice(v.as_bytes()),
                }
            }
            j.push(b'}');
            proptest::prop_assert!(crate::format::object_members(&j, |_, _| {}), "{}", j.escape_ascii());
            let mut members = Vec::new();
            crate::redact::object_members(&j, &mut members);
            proptest::prop_assert_eq!(header_fields(&j, &members), header_by_serde(&j), "{}", j.escape_ascii());
        }
    }

    #[test]
    fn header_cache_gives_what_a_fresh_parse_gives() {
        // Twelve distinct headers (more than the cache holds), each seen several times, plus
        // headers that differ from cached ones only in padding, in a byte, or by being cut.
        let mut headers: Vec<String> = (0..12).map(|k| b64(&format!(r#"{{"alg":"HS256","kid":"k{k}"}}"#))).collect();
        headers.push(base64::engine::general_purpose::URL_SAFE.encode(r#"{"alg":"HS256","kid":"k1"}"#));
        headers.push(headers[0].replacen('e', "f", 1));
        headers.push(headers[2].get(..headers[2].len() - 2).expect("ASCII").to_string());
        headers.push(b64(r#"{"typ":"JWT"}"#));
        headers.push(b64(&format!(r#"{{"alg":"RS256","x5u":"{}"}}"#, "a".repeat(HEADER_CACHE_MAX))));
        let mut cache = HeaderCache::default();
        for round in 0..3 {
            for (i, h) in headers.iter().enumerate() {
                let line = format!("t={h}.cGF5.c2ln{round}{i}");
                let fresh = parse_at(line.as_bytes(), 2, &mut Vec::new());
                let cached = parse_at_cached(line.as_bytes(), 2, &mut Vec::new(), &mut cache);
                assert_eq!(cached, fresh, "round {round}, header {i}");
            }
        }
        assert!(cache.entries.len() <= HEADER_CACHE_ENTRIES);
    }

    #[test]
    fn jws_three_segments() {
        let t = tok(r#"{"alg":"HS256","typ":"JWT"}"#, &format!("{}.c2ln", b64(r#"{"sub":"1"}"#)));
        let line = format!("x {t} y");
        let p = parse_at(line.as_bytes(), 2, &mut Vec::new()).unwrap();
        assert_eq!(p.kind, TokenKind::Jws);
        assert_eq!(&line.as_bytes()[p.span.clone()], t.as_bytes());
        assert_eq!(p.segments.len(), 3);
        assert_eq!(p.header.alg.as_deref(), Some("HS256"));
    }

    #[test]
    fn trailing_sentence_dot_is_not_part_of_the_token() {
        let t = tok(r#"{"alg":"HS256"}"#, "cGF5.c2ln");
        let line = format!("{t}.");
        let p = parse_at(line.as_bytes(), 0, &mut Vec::new()).unwrap();
        assert_eq!(p.span.end, t.len());
    }

    #[test]
    fn unsecured_keeps_its_trailing_dot() {
        let t = tok(r#"{"alg":"none"}"#, "cGF5.");
        let p = parse_at(t.as_bytes(), 0, &mut Vec::new()).unwrap();
        assert_eq!(p.kind, TokenKind::Unsecured);
        assert_eq!(p.span.end, t.len());
    }

    #[test]
    fn jwe_five_segments() {
        let t = tok(r#"{"alg":"RSA-OAEP","enc":"A256GCM"}"#, "a2V5.aXY.Y3Q.dGFn");
        let p = parse_at(t.as_bytes(), 0, &mut Vec::new()).unwrap();
        assert_eq!(p.kind, TokenKind::Jwe);
        assert_eq!(p.segments.len(), 5);
        assert_eq!(p.span.end, t.len());
    }

    #[test]
    fn spaced_and_newline_headers_are_tokens() {
        for h in ["{ \"alg\": \"RS256\" }", "{\n  \"alg\": \"RS256\"\n}", "{\r\n\"alg\":\"ES256\"}"] {
            let t = tok(h, "cGF5.c2ln");
            assert!(parse_at(t.as_bytes(), 0, &mut Vec::new()).is_some(), "{h:?}");
        }
    }

    #[test]
    fn dotted_version_is_not_a_token() {
        for s in ["1.2.3", "eyJ.foo.bar", "example.com.au", "file.tar.gz", "eyJhbGciOiJub25lIn0"] {
            assert!(parse_at(s.as_bytes(), 0, &mut Vec::new()).is_none(), "{s}");
        }
    }

    #[test]
    fn duplicate_header_fields_take_their_last_value() {
        // PyJWT (Python's `json`) accepts these headers: the tokens are live.
        for (h, alg, kid) in [
            (r#"{"alg":"HS256","alg":"RS256"}"#, "RS256", None),
            (r#"{"alg":"HS256","kid":"a","kid":"b"}"#, "HS256", Some("b")),
            (r#"{"typ":"JWT","typ":"JWT","alg":"ES256"}"#, "ES256", None),
            (r#"{"alg":null,"alg":"none"}"#, "none", None),
        ] {
            let t = tok(h, "cGF5.c2ln");
            let parsed = parse_at(t.as_bytes(), 0, &mut Vec::new()).unwrap_or_else(|| panic!("{h}"));
            assert_eq!(parsed.header.alg.as_deref(), Some(alg), "{h}");
            assert_eq!(parsed.header.kid.as_deref(), kid, "{h}");
            assert_eq!(parsed.span, 0..t.len(), "{h}");
        }
        // The last value decides: a header whose last `alg` is null has none.
        let t = tok(r#"{"alg":"HS256","alg":null}"#, "cGF5.c2ln");
        assert!(parse_at(t.as_bytes(), 0, &mut Vec::new()).is_none());
    }

    #[test]
    fn header_without_alg_is_not_a_token() {
        let t = tok(r#"{"typ":"JWT"}"#, "cGF5.c2ln");
        assert!(parse_at(t.as_bytes(), 0, &mut Vec::new()).is_none());
        let t = tok(r#"["alg"]"#, "cGF5.c2ln");
        assert!(parse_at(t.as_bytes(), 0, &mut Vec::new()).is_none());
    }

    #[test]
    fn standard_alphabet_segments_are_taken_whole() {
        let t = tok(r#"{"alg":"HS256"}"#, "cGF5+bG9hZA.c2ln/bmF0dXJl+w==");
        let line = format!("x {t} y");
        let p = parse_at(line.as_bytes(), 2, &mut Vec::new()).unwrap();
        assert_eq!(&line.as_bytes()[p.span.clone()], t.as_bytes());
    }

    #[test]
    fn padded_segments_are_accepted() {
        let h = base64::engine::general_purpose::URL_SAFE.encode(r#"{"alg":"HS256"}"#);
        let t = format!("{h}.cGF5.c2ln");
        let p = parse_at(t.as_bytes(), 0, &mut Vec::new()).unwrap();
        assert_eq!(p.span.end, t.len());
    }
}
