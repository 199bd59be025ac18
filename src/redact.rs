//! Rewrites: every function here appends replacement bytes to an output buffer and never
//! touches the input. Which rewrite applies is decided by [`crate::rules`].
//!
//! - opaque values: the redaction marker, a keyed pseudonym, or a mask;
//! - JWS/unsecured tokens: header kept byte for byte, payload rewritten claim by claim and
//!   re-encoded (its bytes kept when no claim changed), signature replaced by the signature
//!   marker, so the result is still a compact token a decoder can read;
//! - JWE tokens: protected header kept, each other non-empty segment replaced by the marker.
//!
//! Every rewrite is idempotent: a marker, a pseudonym of the configured key id or a mask is
//! recognised and left as it is, so scrubbing scrubbed output changes nothing.

use std::fmt::Write as _;

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::jwt::{B64URL, Token, TokenKind};
use crate::rules::{Action, Rules};

/// Keyed HMAC-SHA256 pseudonyms: `<key_id>:<hex>`.
pub(crate) struct Pseudonymizer {
    mac: Hmac<Sha256>,
    key_id: String,
    hex_len: usize,
}

impl std::fmt::Debug for Pseudonymizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("Pseudonymizer")
            .field("key_id", &self.key_id)
            .field("hex_len", &self.hex_len)
            .finish_non_exhaustive()
    }
}

impl Pseudonymizer {
    pub(crate) fn new(key: &[u8], key_id: &str, hex_len: usize) -> Self {
        let mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
        Self { mac, key_id: key_id.to_string(), hex_len }
    }

    /// Appends `<key_id>:<hex>` for `value`.
    pub(crate) fn write(&self, value: &[u8], out: &mut Vec<u8>) {
        let mut mac = self.mac.clone();
        mac.update(value);
        let digest = mac.finalize().into_bytes();
        out.extend_from_slice(self.key_id.as_bytes());
        out.push(b':');
        let mut hex = String::with_capacity(64);
        for b in digest.iter() {
            let _ = write!(hex, "{b:02x}");
        }
        out.extend_from_slice(&hex.as_bytes()[..self.hex_len]);
    }

    #[cfg(test)]
    pub(crate) fn string(&self, value: &[u8]) -> String {
        let mut v = Vec::new();
        self.write(value, &mut v);
        String::from_utf8(v).expect("key id and hex are ASCII")
    }

    /// Whether `v` already is a pseudonym of this key id.
    pub(crate) fn recognises(&self, v: &[u8]) -> bool {
        let id = self.key_id.as_bytes();
        v.len() == id.len() + 1 + self.hex_len
            && v.starts_with(id)
            && v[id.len()] == b':'
            && v[id.len() + 1..].iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    }
}

/// Suffix appended by `mask`.
pub(crate) const MASK_SUFFIX: &[u8] = b"***";

/// The rewriting half of a scrubber: rules plus the hash key.
#[derive(Debug)]
pub(crate) struct Redactor {
    pub(crate) rules: Rules,
    pub(crate) pseudo: Option<Pseudonymizer>,
    /// `rules.claims` as a list: a dozen short names compare faster than they hash.
    claims: Vec<(Box<str>, Action)>,
}

impl Redactor {
    pub(crate) fn new(rules: Rules, pseudo: Option<Pseudonymizer>) -> Redactor {
        let claims = rules.claims.iter().map(|(k, a)| (k.as_str().into(), *a)).collect();
        Redactor { rules, pseudo, claims }
    }

    /// Action for a claim by name (`Rules::claim_action`, without hashing).
    fn claim_action(&self, claim: &str) -> Action {
        self.claims.iter().find(|(k, _)| **k == *claim).map_or(self.rules.default_claim, |(_, a)| *a)
    }

    /// Whether `v` is already the output of a rewrite (marker, pseudonym, mask of ≤ 64 kept bytes).
    pub(crate) fn is_scrubbed(&self, v: &[u8]) -> bool {
        v == self.rules.redacted_marker.as_bytes()
            || self.pseudo.as_ref().is_some_and(|p| p.recognises(v))
            || (v.ends_with(MASK_SUFFIX) && v.len() - MASK_SUFFIX.len() <= 64)
    }

    /// Appends the rewrite of an opaque value; returns `false` (appending nothing) for `keep`.
    pub(crate) fn opaque(&self, value: &[u8], action: Action, json_number: bool, out: &mut Vec<u8>) -> bool {
        if action == Action::Keep {
            return false;
        }
        if json_number {
            out.push(b'"');
        }
        match action {
            Action::Keep => unreachable!("handled above"),
            Action::Redact | Action::Drop => out.extend_from_slice(self.rules.redacted_marker.as_bytes()),
            Action::Hash => {
                self.pseudo.as_ref().expect("Scrubber::new requires a key when hash is used").write(value, out)
            }
            Action::Mask { prefix } => mask(value, prefix, out),
        }
        if json_number {
            out.push(b'"');
        }
        true
    }

    /// Appends the rewrite of a compact token; returns the number of claims changed.
    pub(crate) fn token(
        &self,
        line: &[u8],
        tok: &Token,
        bufs: &mut PayloadBufs<'_>,
        out: &mut Vec<u8>,
        claims: Option<&mut ClaimInfo>,
    ) -> u64 {
        let seg = |i: usize| &line[tok.segments[i].clone()];
        let sig = self.rules.signature_marker.as_bytes();
        out.extend_from_slice(seg(0));
        if tok.kind == TokenKind::Jwe {
            for i in 1..tok.segments.len() {
                out.push(b'.');
                if !seg(i).is_empty() {
                    out.extend_from_slice(sig);
                }
            }
            return 0;
        }
        out.push(b'.');
        let changed = self.payload(seg(1), bufs, out, claims);
        if tok.segments.len() > 2 {
            out.push(b'.');
            if !seg(2).is_empty() {
                out.extend_from_slice(sig);
            }
        }
        changed
    }

    /// Rewrites a payload segment claim by claim. A payload that is not a base64url JSON
    /// object is replaced whole by the signature marker (fail closed).
    ///
    /// The decoded JSON is first validated (`IgnoredAny`: a full parse, no allocation), then
    /// walked member by member: kept members are copied as raw bytes, the others are
    /// rewritten. Nothing is built as a `serde_json::Value`; on a token-heavy corpus that map
    /// and its re-serialisation were a third of the scrubbing time.
    fn payload(&self, p: &[u8], buf: &mut PayloadBufs<'_>, out: &mut Vec<u8>, mut info: Option<&mut ClaimInfo>) -> u64 {
        if p.is_empty() {
            return 0; // detached payload (RFC 7515 appendix F)
        }
        let sig = self.rules.signature_marker.as_bytes();
        let (dec, json) = (&mut *buf.decoded, &mut *buf.json);
        dec.clear();
        let decoded = if p.iter().any(|&b| b == b'+' || b == b'/') {
            // Standard-alphabet payload (see `jwt`): decode it the same way.
            let url: Vec<u8> = p
                .iter()
                .map(|&b| match b {
                    b'+' => b'-',
                    b'/' => b'_',
                    b => b,
                })
                .collect();
            B64URL.decode_vec(&url, dec).is_ok()
        } else {
            B64URL.decode_vec(p, dec).is_ok()
        };
        let valid = decoded
            && serde_json::from_slice::<serde::de::IgnoredAny>(dec).is_ok()
            && dec.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
        let members = if valid { object_members(dec) } else { None };
        let Some(members) = members else {
            if p != sig {
                out.extend_from_slice(sig);
                return 1;
            }
            out.extend_from_slice(p);
            return 0;
        };
        let marker = self.rules.redacted_marker.as_bytes();
        let mut changed = 0;
        json.clear();
        json.push(b'{');
        for m in members {
            let key_raw = &dec[m.key.clone()];
            let key: std::borrow::Cow<'_, str> = if key_raw.contains(&b'\\') {
                match serde_json::from_slice::<String>(&dec[m.key.start - 1..m.key.end + 1]) {
                    Ok(k) => k.into(),
                    Err(_) => String::from_utf8_lossy(key_raw).into_owned().into(),
                }
            } else {
                String::from_utf8_lossy(key_raw)
            };
            let value = &dec[m.value.clone()];
            if let Some(info) = info.as_deref_mut() {
                info.fill_one(&key, value, &self.rules);
            }
            let action = self.claim_action(&key);
            let is_string = value.first() == Some(&b'"');
            let string_value = || serde_json::from_slice::<String>(value).ok();
            if action == Action::Drop {
                changed += 1;
                continue;
            }
            if json.len() > 1 {
                json.push(b',');
            }
            json.push(b'"');
            json.extend_from_slice(key_raw);
            json.extend_from_slice(b"\":");
            let already = is_string && string_value().is_some_and(|v| self.is_scrubbed(v.as_bytes()));
            match action {
                Action::Keep | Action::Drop => json.extend_from_slice(value),
                _ if already => json.extend_from_slice(value),
                Action::Redact => {
                    json.push(b'"');
                    json.extend_from_slice(marker);
                    json.push(b'"');
                    changed += 1;
                }
                Action::Hash => {
                    let pseudo = self.pseudo.as_ref().expect("Scrubber::new requires a key when hash is used");
                    let input = if is_string { string_value().map(String::into_bytes) } else { None };
                    json.push(b'"');
                    pseudo.write(input.as_deref().unwrap_or(value), json);
                    json.push(b'"');
                    changed += 1;
                }
                Action::Mask { prefix } => {
                    let mut m = Vec::new();
                    match string_value() {
                        Some(v) => mask(v.as_bytes(), prefix, &mut m),
                        None => m.extend_from_slice(marker),
                    }
                    let masked = String::from_utf8_lossy(&m);
                    serde_json::to_writer(&mut *json, &masked).expect("writing to a Vec cannot fail");
                    changed += 1;
                }
            }
        }
        json.push(b'}');
        if changed == 0 {
            out.extend_from_slice(p);
        } else {
            B64URL.encode_extend(json, out);
        }
        changed
    }
}

/// Reusable buffers for [`Redactor::token`].
#[derive(Debug)]
pub(crate) struct PayloadBufs<'a> {
    /// The decoded payload.
    pub(crate) decoded: &'a mut Vec<u8>,
    /// The rewritten payload JSON.
    pub(crate) json: &'a mut Vec<u8>,
}

/// One member of a JSON object: the key's bytes (inside the quotes) and the value's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Member {
    key: std::ops::Range<usize>,
    value: std::ops::Range<usize>,
}

/// Splits an already-validated JSON object into its members. `None` if it is not an object.
fn object_members(j: &[u8]) -> Option<Vec<Member>> {
    let ws = |j: &[u8], mut i: usize| {
        while i < j.len() && j[i].is_ascii_whitespace() {
            i += 1;
        }
        i
    };
    let mut i = ws(j, 0);
    if j.get(i) != Some(&b'{') {
        return None;
    }
    i = ws(j, i + 1);
    let mut members = Vec::new();
    if j.get(i) == Some(&b'}') {
        return Some(members);
    }
    loop {
        if j.get(i) != Some(&b'"') {
            return None;
        }
        let kend = string_end(j, i + 1)?;
        let key = i + 1..kend;
        i = ws(j, kend + 1);
        if j.get(i) != Some(&b':') {
            return None;
        }
        let vstart = ws(j, i + 1);
        let vend = value_end(j, vstart)?;
        members.push(Member { key, value: vstart..vend });
        i = ws(j, vend);
        match j.get(i) {
            Some(b',') => i = ws(j, i + 1),
            Some(b'}') => return Some(members),
            _ => return None,
        }
    }
}

/// Index of the closing quote of a JSON string whose content starts at `i`.
fn string_end(j: &[u8], mut i: usize) -> Option<usize> {
    while i < j.len() {
        match j[i] {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// End (exclusive) of the JSON value starting at `i` (the input is known to be valid JSON).
fn value_end(j: &[u8], i: usize) -> Option<usize> {
    match j.get(i)? {
        b'"' => string_end(j, i + 1).map(|e| e + 1),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut k = i;
            while k < j.len() {
                match j[k] {
                    b'"' => k = string_end(j, k + 1)?,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(k + 1);
                        }
                    }
                    _ => {}
                }
                k += 1;
            }
            None
        }
        _ => {
            let mut k = i;
            while k < j.len() && !matches!(j[k], b',' | b'}' | b']') && !j[k].is_ascii_whitespace() {
                k += 1;
            }
            Some(k)
        }
    }
}

/// Appends `mask(value)`: the first `prefix` bytes (cut back to a character boundary and off a
/// trailing backslash) then `***`; a value shorter than twice `prefix` is masked whole.
pub(crate) fn mask(value: &[u8], prefix: usize, out: &mut Vec<u8>) {
    if value.len() > 2 * prefix {
        let mut keep = prefix;
        while keep > 0 && (value[keep] & 0xC0) == 0x80 {
            keep -= 1;
        }
        while keep > 0 && value[keep - 1] == b'\\' {
            keep -= 1;
        }
        out.extend_from_slice(&value[..keep]);
    }
    out.extend_from_slice(MASK_SUFFIX);
}

/// Helper so `encode_extend` reads like the rest: base64url-encode into a `Vec`.
trait EncodeExtend {
    fn encode_extend(&self, input: &[u8], out: &mut Vec<u8>);
}

impl EncodeExtend for base64::engine::GeneralPurpose {
    fn encode_extend(&self, input: &[u8], out: &mut Vec<u8>) {
        let start = out.len();
        out.resize(start + base64::encoded_len(input.len(), false).expect("fits"), 0);
        let n = self.encode_slice(input, &mut out[start..]).expect("sized above");
        out.truncate(start + n);
    }
}

/// Non-secret facts about a token's claims, collected for findings: only claims the rules
/// keep are copied; the timestamps are read for risk flags whatever the rules say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClaimInfo {
    /// `iss`, when kept.
    pub iss: Option<String>,
    /// `aud` (one or many), when kept.
    pub aud: Vec<String>,
    /// `exp` (seconds since the epoch).
    pub exp: Option<i64>,
    /// `iat`.
    pub iat: Option<i64>,
    /// `nbf`.
    pub nbf: Option<i64>,
}

impl ClaimInfo {
    /// Records one member of the payload: timestamps always, `iss`/`aud` only when kept.
    fn fill_one(&mut self, key: &str, value: &[u8], rules: &Rules) {
        let num = || {
            serde_json::from_slice::<serde_json::Value>(value)
                .ok()
                .and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)))
        };
        match key {
            "exp" => self.exp = num(),
            "iat" => self.iat = num(),
            "nbf" => self.nbf = num(),
            "iss" if rules.claim_action("iss") == Action::Keep => {
                self.iss = serde_json::from_slice::<String>(value).ok();
            }
            "aud" if rules.claim_action("aud") == Action::Keep => {
                self.aud = match serde_json::from_slice::<serde_json::Value>(value) {
                    Ok(serde_json::Value::String(s)) => vec![s],
                    Ok(serde_json::Value::Array(a)) => {
                        a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect()
                    }
                    _ => Vec::new(),
                };
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_members_split_raw_values() {
        let j = br#" { "a" : 1 , "b":{"x":[1,"]}"]}, "c\"d":"e\"f" } "#;
        let m = object_members(j).unwrap();
        let get = |r: &std::ops::Range<usize>| std::str::from_utf8(&j[r.clone()]).unwrap();
        assert_eq!(m.len(), 3);
        assert_eq!((get(&m[0].key), get(&m[0].value)), ("a", "1"));
        assert_eq!((get(&m[1].key), get(&m[1].value)), ("b", r#"{"x":[1,"]}"]}"#));
        assert_eq!((get(&m[2].key), get(&m[2].value)), (r#"c\"d"#, r#""e\"f""#));
        assert!(object_members(b"[1]").is_none());
    }

    #[test]
    fn mask_keeps_prefix_of_long_values_only() {
        let mut o = Vec::new();
        mask(b"gho_abcdefghijkl", 4, &mut o);
        assert_eq!(o, b"gho_***");
        o.clear();
        mask(b"short", 4, &mut o);
        assert_eq!(o, b"***");
        o.clear();
        mask("é€abcdefgh".as_bytes(), 4, &mut o);
        assert_eq!(o, "é***".as_bytes());
    }

    #[test]
    fn pseudonyms_are_keyed_and_recognised() {
        let a = Pseudonymizer::new(b"key-a", "k1", 16);
        let b = Pseudonymizer::new(b"key-b", "k1", 16);
        let pa = a.string(b"alice@example.com");
        assert_eq!(pa.len(), 3 + 16);
        assert!(pa.starts_with("k1:"));
        assert_ne!(pa, b.string(b"alice@example.com"));
        assert_eq!(pa, a.string(b"alice@example.com"));
        assert!(a.recognises(pa.as_bytes()));
        assert!(!a.recognises(b"k1:xyz"));
    }
}
