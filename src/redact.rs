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
}

impl Redactor {
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
        tmp: &mut Vec<u8>,
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
        let changed = self.payload(seg(1), tmp, out, claims);
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
    fn payload(&self, p: &[u8], tmp: &mut Vec<u8>, out: &mut Vec<u8>, info: Option<&mut ClaimInfo>) -> u64 {
        if p.is_empty() {
            return 0; // detached payload (RFC 7515 appendix F)
        }
        let sig = self.rules.signature_marker.as_bytes();
        tmp.clear();
        let parsed = B64URL.decode_vec(p, tmp).ok().and_then(|_| serde_json::from_slice::<serde_json::Value>(tmp).ok());
        let Some(serde_json::Value::Object(map)) = parsed else {
            if p != sig {
                out.extend_from_slice(sig);
                return 1;
            }
            out.extend_from_slice(p);
            return 0;
        };
        if let Some(info) = info {
            info.fill(&map, &self.rules);
        }
        let marker = self.rules.redacted_marker.as_str();
        let mut changed = 0;
        let mut new = serde_json::Map::with_capacity(map.len());
        for (k, v) in map {
            let action = self.rules.claim_action(&k);
            let pseudo = || self.pseudo.as_ref().expect("Scrubber::new requires a key when hash is used");
            let nv = match (action, &v) {
                (Action::Keep, _) => {
                    new.insert(k, v);
                    continue;
                }
                (Action::Drop, _) => {
                    changed += 1;
                    continue;
                }
                (_, serde_json::Value::String(s)) if self.is_scrubbed(s.as_bytes()) => {
                    new.insert(k, v);
                    continue;
                }
                (Action::Redact, _) => serde_json::Value::String(marker.to_string()),
                (Action::Hash, serde_json::Value::String(s)) => {
                    serde_json::Value::String(pseudo().string(s.as_bytes()))
                }
                (Action::Hash, other) => {
                    let bytes = serde_json::to_vec(other).expect("value serializes");
                    serde_json::Value::String(pseudo().string(&bytes))
                }
                (Action::Mask { prefix }, serde_json::Value::String(s)) => {
                    let mut m = Vec::new();
                    mask(s.as_bytes(), prefix, &mut m);
                    serde_json::Value::String(String::from_utf8_lossy(&m).into_owned())
                }
                (Action::Mask { .. }, _) => serde_json::Value::String(marker.to_string()),
            };
            if nv != v {
                changed += 1;
            }
            new.insert(k, nv);
        }
        if changed == 0 {
            out.extend_from_slice(p);
        } else {
            let json = serde_json::to_vec(&serde_json::Value::Object(new)).expect("value serializes");
            B64URL.encode_extend(&json, out);
        }
        changed
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
    fn fill(&mut self, map: &serde_json::Map<String, serde_json::Value>, rules: &Rules) {
        let num = |k: &str| map.get(k).and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)));
        self.exp = num("exp");
        self.iat = num("iat");
        self.nbf = num("nbf");
        if rules.claim_action("iss") == Action::Keep {
            self.iss = map.get("iss").and_then(|v| v.as_str()).map(str::to_string);
        }
        if rules.claim_action("aud") == Action::Keep {
            self.aud = match map.get("aud") {
                Some(serde_json::Value::String(s)) => vec![s.clone()],
                Some(serde_json::Value::Array(a)) => a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
                _ => Vec::new(),
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
