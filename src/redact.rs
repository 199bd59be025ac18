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

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::jwt::{Token, TokenKind};
use crate::rules::{Action, KNOWN_PREFIXES, Mask, Rules};

/// Keyed HMAC-SHA256 pseudonyms: `<key_id>:<hex>`.
pub(crate) struct Pseudonymizer {
    mac: Hmac<Sha256>,
    key_id: String,
    hex_len: usize,
    /// Ids of retired keys: their pseudonyms are recognised, never made.
    retired: Vec<String>,
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
        Self { mac, key_id: key_id.to_string(), hex_len, retired: Vec::new() }
    }

    /// Also recognises pseudonyms of these (retired) key ids.
    pub(crate) fn recognising<'a>(mut self, ids: impl IntoIterator<Item = &'a str>) -> Self {
        self.retired = ids.into_iter().map(str::to_string).collect();
        self
    }

    /// The pseudonymizer of `[hash]`: `key` under the active id, recognising the retired ids.
    pub(crate) fn for_settings(key: &[u8], h: &crate::rules::HashSettings) -> Self {
        Self::new(key, &h.key_id, h.hex_len).recognising(h.retired.iter().map(|k| k.key_id.as_str()))
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

    /// Whether `v` already is a pseudonym of this key id or of a retired one.
    pub(crate) fn recognises(&self, v: &[u8]) -> bool {
        let hex_ok = |h: &[u8]| h.len() == self.hex_len && h.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        std::iter::once(&self.key_id)
            .chain(&self.retired)
            .any(|id| v.strip_prefix(id.as_bytes()).and_then(|r| r.strip_prefix(b":")).is_some_and(hex_ok))
    }
}

/// The pseudonym the `hash` action writes for `value` with `key`: `<key_id>:<hex>`, `hex_len`
/// (8..=64) hex characters of HMAC-SHA256(key, value). `logscrub hash` uses it to find a
/// value's pseudonyms under the active and the retired keys.
///
/// ```
/// let p = logscrub::pseudonym(b"secret key", "k2026q4", 16, b"alice@example.com");
/// assert!(p.starts_with("k2026q4:") && p.len() == 8 + 16);
/// assert_ne!(p, logscrub::pseudonym(b"other key", "k2026q4", 16, b"alice@example.com"));
/// ```
pub fn pseudonym(key: &[u8], key_id: &str, hex_len: usize, value: &[u8]) -> String {
    let mut out = Vec::new();
    Pseudonymizer::new(key, key_id, hex_len.clamp(8, 64)).write(value, &mut out);
    String::from_utf8_lossy(&out).into_owned()
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
    fn claim_action(&self, claim: &[u8]) -> Action {
        // Length and first byte first: most names differ there, and a miss costs no `memcmp`.
        let (c, first) = (claim, claim.first());
        self.claims
            .iter()
            .find(|(k, _)| k.len() == c.len() && k.as_bytes().first() == first && k.as_bytes() == c)
            .map_or(self.rules.default_claim, |(_, a)| *a)
    }

    /// Whether `v` is already what `action` makes of a value: the redaction marker (whatever the
    /// action), a pseudonym of a configured key id for `hash`, a mask's shape for `mask`.
    /// Such a value is left as it is, so scrubbing twice changes nothing.
    pub(crate) fn is_scrubbed(&self, v: &[u8], action: Action) -> bool {
        v == self.rules.redacted_marker.as_bytes()
            || match action {
                Action::Hash => self.pseudo.as_ref().is_some_and(|p| p.recognises(v)),
                Action::Mask(m) => is_mask_output(v, m),
                Action::Keep | Action::Redact | Action::Drop => false,
            }
    }

    /// The action for a claim in a token that matched the conditions in `matched` (a bit per
    /// `[[jwt.conditions]]` rule): the last matching condition that names the claim decides,
    /// else `[jwt.claims]`.
    fn claim_action_when(&self, claim: &[u8], matched: u64) -> Action {
        if matched != 0 {
            let text = String::from_utf8_lossy(claim);
            for (i, c) in self.rules.conditions.iter().enumerate().rev() {
                if matched & (1 << i) != 0 {
                    if let Some(a) = c.claim_action(&text) {
                        return a;
                    }
                }
            }
        }
        self.claim_action(claim)
    }

    /// Which `[[jwt.conditions]]` a payload matches: bit `i` for rule `i`. Only the claims the
    /// conditions name are parsed.
    fn match_conditions(&self, dec: &[u8], members: &[Member]) -> u64 {
        let conds = &self.rules.conditions;
        // satisfied[i]: bit j set when clause j of condition i holds.
        let mut satisfied = vec![0u64; conds.len()];
        for m in members {
            let key = member_key(dec, m);
            let mut value = None;
            for (i, c) in conds.iter().enumerate() {
                for (j, (claim, _)) in c.when.iter().enumerate().take(64) {
                    if *claim != *key {
                        continue;
                    }
                    let v =
                        value.get_or_insert_with(|| serde_json::from_slice::<serde_json::Value>(&dec[m.value.clone()]));
                    if v.as_ref().is_ok_and(|v| c.clause_matches(j, v)) {
                        satisfied[i] |= 1 << j;
                    }
                }
            }
        }
        let mut matched = 0u64;
        for (i, c) in conds.iter().enumerate() {
            let n = c.when.len().min(64);
            let all = if n == 64 { u64::MAX } else { (1u64 << n) - 1 };
            if n > 0 && satisfied[i] == all {
                matched |= 1 << i;
            }
        }
        matched
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
            Action::Mask(m) => mask(value, m, out),
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
    /// The decoded JSON is validated and split into members in one pass
    /// (`format::object_members`: the strict RFC 8259 grammar `serde_json` applies, checked
    /// against it by property tests; no allocation; `serde_json` itself only for text nested
    /// deeper than that walk goes). Kept members are then copied as raw bytes, the others
    /// rewritten. Nothing is built as a `serde_json::Value`; on a token-heavy corpus that map
    /// and its re-serialisation were a third of the scrubbing time, and validating through
    /// `serde_json` another 12%.
    pub(crate) fn payload(
        &self,
        seg: &[u8],
        buf: &mut PayloadBufs<'_>,
        out: &mut Vec<u8>,
        mut info: Option<&mut ClaimInfo>,
    ) -> u64 {
        if seg.is_empty() {
            return 0; // detached payload (RFC 7515 appendix F)
        }
        let sig = self.rules.signature_marker.as_bytes();
        let (dec, json) = (&mut *buf.decoded, &mut *buf.json);
        dec.clear();
        // Decoded without its padding (optional in base64url; `%3D`, in a URL-encoded token,
        // would not decode); an unchanged segment is written back as it came, padding and all.
        // A standard-alphabet payload (see `jwt`) is decoded the same way.
        let decoded = crate::b64::decode_any(crate::jwt::unpadded(seg), dec);
        let members = &mut *buf.members;
        // One strict pass validates and splits. It recurses and stops at `MAX_DEPTH`;
        // `serde_json` skips ignored values without a depth limit, so deeper payloads (rare,
        // hostile) take the slow check.
        let valid = decoded
            && (strict_members(dec, members)
                || (serde_json::from_slice::<serde::de::IgnoredAny>(dec).is_ok()
                    && dec.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
                    && object_members(dec, members)));
        if !valid {
            if seg != sig {
                out.extend_from_slice(sig);
                return 1;
            }
            out.extend_from_slice(seg);
            return 0;
        }
        let marker = self.rules.redacted_marker.as_bytes();
        let matched = if self.rules.conditions.is_empty() { 0 } else { self.match_conditions(dec, members) };
        if let Some(info) = info.as_deref_mut() {
            info.conditions = matched;
        }
        let mut changed = 0;
        json.clear();
        json.push(b'{');
        for m in members.iter() {
            let key_raw = &dec[m.key.clone()];
            let value = &dec[m.value.clone()];
            // A key without escapes is looked up as its bytes: rule names are UTF-8, so a key
            // that is not matches none of them, as its lossy text would not either.
            let unescaped;
            let key: &[u8] = if key_raw.contains(&b'\\') {
                unescaped = member_key(dec, m);
                unescaped.as_bytes()
            } else {
                key_raw
            };
            let action = self.claim_action_when(key, matched);
            if let Some(info) = info.as_deref_mut() {
                let text = member_key(dec, m);
                info.fill_one(&text, value, &self.rules);
                info.actions.push((text.into_owned(), action));
            }
            let is_string = value.first() == Some(&b'"');
            let string_value = || string_content(value);
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
            let already = || {
                // Markers and pseudonyms are ASCII, so an escape-free string is compared as its
                // bytes; a mask's shape is judged on the decoded text (as it was made from it).
                let bytes = if matches!(action, Action::Mask(_)) { None } else { escape_free(value) };
                is_string
                    && match bytes {
                        Some(inner) => self.is_scrubbed(inner, action),
                        None => string_value().is_some_and(|v| self.is_scrubbed(v.as_bytes(), action)),
                    }
            };
            match action {
                Action::Keep | Action::Drop => json.extend_from_slice(value),
                _ if already() => json.extend_from_slice(value),
                Action::Redact => {
                    json.push(b'"');
                    json.extend_from_slice(marker);
                    json.push(b'"');
                    changed += 1;
                }
                Action::Hash => {
                    let pseudo = self.pseudo.as_ref().expect("Scrubber::new requires a key when hash is used");
                    let input = if is_string { string_value() } else { None };
                    json.push(b'"');
                    pseudo.write(input.as_deref().map_or(value, str::as_bytes), json);
                    json.push(b'"');
                    changed += 1;
                }
                Action::Mask(spec) => {
                    let mut m = Vec::new();
                    match string_value() {
                        Some(v) => mask(v.as_bytes(), spec, &mut m),
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
            out.extend_from_slice(seg);
        } else {
            crate::b64::encode_extend(json, out);
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
    /// The payload's members.
    pub(crate) members: &'a mut Vec<Member>,
}

/// One member of a JSON object: the key's bytes (inside the quotes) and the value's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Member {
    /// The key's bytes, inside the quotes.
    pub(crate) key: std::ops::Range<usize>,
    /// The value's bytes.
    pub(crate) value: std::ops::Range<usize>,
}

/// The text of a (validated) JSON string value, quotes included in `value`: borrowed when it
/// holds no escape. `None` when it is not UTF-8 (as `serde_json` would refuse it).
pub(crate) fn string_content(value: &[u8]) -> Option<std::borrow::Cow<'_, str>> {
    match escape_free(value) {
        Some(inner) => std::str::from_utf8(inner).ok().map(Into::into),
        None => serde_json::from_slice::<String>(value).ok().map(Into::into),
    }
}

/// The bytes between the quotes of a (validated) JSON string value, when they hold no escape.
fn escape_free(value: &[u8]) -> Option<&[u8]> {
    let inner = value.get(1..value.len().checked_sub(1)?)?;
    // Inside a valid JSON string only `\` stops a `JsonPlain` run.
    (crate::runs::run_end(inner, 0, crate::runs::Class::JsonPlain) == inner.len()).then_some(inner)
}

/// A member's key, unescaped when it holds escapes.
fn member_key<'a>(dec: &'a [u8], m: &Member) -> std::borrow::Cow<'a, str> {
    let key_raw = &dec[m.key.clone()];
    if key_raw.contains(&b'\\') {
        match serde_json::from_slice::<String>(&dec[m.key.start - 1..m.key.end + 1]) {
            Ok(k) => k.into(),
            Err(_) => String::from_utf8_lossy(key_raw).into_owned().into(),
        }
    } else {
        match std::str::from_utf8(key_raw) {
            Ok(k) => k.into(),
            Err(_) => String::from_utf8_lossy(key_raw),
        }
    }
}

/// Validates `j` as one JSON object and splits it into `members` (cleared first), in one
/// strict pass (`format::object_members`, the grammar of `is_object`). `false` if it is not
/// such an object or is nested deeper than that walk goes.
pub(crate) fn strict_members(j: &[u8], members: &mut Vec<Member>) -> bool {
    members.clear();
    crate::format::object_members(j, |key, value| members.push(Member { key, value }))
}

/// Splits an already-validated JSON object into `members` (cleared first), at any depth.
/// `false` if it is not an object.
pub(crate) fn object_members(j: &[u8], members: &mut Vec<Member>) -> bool {
    members.clear();
    object_members_into(j, members).is_some()
}

fn object_members_into(j: &[u8], members: &mut Vec<Member>) -> Option<()> {
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
    if j.get(i) == Some(&b'}') {
        return Some(());
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
            Some(b'}') => return Some(()),
            _ => return None,
        }
    }
}

/// Index of the closing quote of a JSON string whose content starts at `i`.
fn string_end(j: &[u8], mut i: usize) -> Option<usize> {
    loop {
        i = crate::runs::run_end(j, i, crate::runs::Class::JsonPlain);
        match *j.get(i)? {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
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

/// Index just past the character starting at `i` (UTF-8 continuation bytes skipped).
fn next_char(v: &[u8], mut i: usize) -> usize {
    i += 1;
    while i < v.len() && v[i] & 0xC0 == 0x80 {
        i += 1;
    }
    i.min(v.len())
}

/// Characters in `v` (UTF-8 lead bytes; an invalid byte counts as one).
fn chars(v: &[u8]) -> usize {
    v.iter().filter(|&&b| b & 0xC0 != 0x80).count()
}

/// Bytes of the first `n` characters of `v`, stopping at a backslash or a `*`: a kept head never
/// holds half an escape sequence (`\u00e9`, `\"`), so a masked JSON string stays valid JSON, nor a
/// star that would blur the mask's own `***`.
fn head_len(v: &[u8], n: usize) -> usize {
    let (mut i, mut k) = (0, 0);
    while i < v.len() && k < n && v[i] != b'\\' && v[i] != b'*' {
        i = next_char(v, i);
        k += 1;
    }
    i
}

/// Start of the last `n` characters of `v`, moved forward past any escape sequence: a kept
/// tail never starts with an escaped byte (`"` of `\"`) nor holds a backslash.
fn tail_start(v: &[u8], n: usize) -> usize {
    if n == 0 {
        return v.len();
    }
    let (mut i, mut k) = (v.len(), 0);
    while i > 0 && k < n {
        i -= 1;
        while i > 0 && v[i] & 0xC0 == 0x80 {
            i -= 1;
        }
        k += 1;
    }
    let run = v[..i].iter().rev().take_while(|&&b| b == b'\\').count();
    if run % 2 == 1 && i < v.len() {
        i = next_char(v, i); // v[i] is escaped
    }
    if let Some(p) = v[i..].iter().rposition(|&b| b == b'\\') {
        i = if i + p + 1 < v.len() { next_char(v, i + p + 1) } else { v.len() };
    }
    // No `*` in a kept tail: the mask's own `***` must be the only stars, so it is recognised.
    if let Some(p) = v[i..].iter().rposition(|&b| b == b'*') {
        i += p + 1;
    }
    i
}

/// The known token prefix `v` starts with, if any ([`KNOWN_PREFIXES`]).
fn known_prefix(v: &[u8]) -> Option<usize> {
    KNOWN_PREFIXES.iter().find(|p| v.starts_with(p.as_bytes())).map(|p| p.len())
}

/// Whether `d` reads as an email domain: letters, digits, dots and hyphens, with a dot inside.
fn is_domain(d: &[u8]) -> bool {
    (3..=253).contains(&d.len())
        && d.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        && d[1..d.len() - 1].contains(&b'.')
        && d[0].is_ascii_alphanumeric()
        && d[d.len() - 1].is_ascii_alphanumeric()
}

/// Marks the start of an email mask: `****@`.
const EMAIL_MASK: &[u8] = b"****@";

/// Appends the mask of `value` (see [`Mask`]): the parts shown, cut at character boundaries
/// and never inside an escape sequence, around `***`. A value that is not more than twice as
/// long as what would be shown is masked whole.
pub(crate) fn mask(value: &[u8], m: Mask, out: &mut Vec<u8>) {
    let total = chars(value);
    if m.email {
        if let Some(at) = value.iter().rposition(|&b| b == b'@') {
            let (local, domain) = (&value[..at], &value[at + 1..]);
            if !local.is_empty() && is_domain(domain) {
                let h = head_len(local, m.first.into());
                if chars(local) > 2 * chars(&local[..h]) {
                    out.extend_from_slice(&local[..h]);
                }
                out.extend_from_slice(EMAIL_MASK);
                out.extend_from_slice(domain);
                return;
            }
        }
    }
    let h = match known_prefix(value).filter(|_| m.known_prefix) {
        Some(p) => p,
        None => head_len(value, m.first.into()),
    };
    let t = tail_start(value, m.last.into()).max(h);
    let shown = chars(&value[..h]) + chars(&value[t..]);
    if total > 2 * shown {
        out.extend_from_slice(&value[..h]);
        out.extend_from_slice(MASK_SUFFIX);
        out.extend_from_slice(&value[t..]);
    } else {
        out.extend_from_slice(MASK_SUFFIX);
    }
}

/// Whether `v` has the shape `mask` gives with `m`: then scrubbing it again must leave it.
/// A value shaped so shows no more than the mask itself would.
pub(crate) fn is_mask_output(v: &[u8], m: Mask) -> bool {
    let Some(i) = memchr::memmem::find(v, MASK_SUFFIX) else { return false };
    let (head, rest) = (&v[..i], &v[i + MASK_SUFFIX.len()..]);
    if m.email && v[i..].starts_with(EMAIL_MASK) {
        return chars(head) <= m.first.into() && is_domain(&v[i + EMAIL_MASK.len()..]);
    }
    let head_ok = chars(head) <= m.first.into() || (m.known_prefix && known_prefix(head) == Some(head.len()));
    head_ok && chars(rest) <= m.last.into() && !rest.contains(&b'*')
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
    /// The `[[jwt.conditions]]` the token matched: bit `i` for rule `i`.
    pub conditions: u64,
    /// Each claim's name and the action applied to it, in payload order (for `--explain`;
    /// names only, never values).
    pub actions: Vec<(String, Action)>,
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
        let mut m = Vec::new();
        assert!(object_members(j, &mut m));
        let get = |r: &std::ops::Range<usize>| std::str::from_utf8(&j[r.clone()]).unwrap();
        assert_eq!(m.len(), 3);
        assert_eq!((get(&m[0].key), get(&m[0].value)), ("a", "1"));
        assert_eq!((get(&m[1].key), get(&m[1].value)), ("b", r#"{"x":[1,"]}"]}"#));
        assert_eq!((get(&m[2].key), get(&m[2].value)), (r#"c\"d"#, r#""e\"f""#));
        assert!(!object_members(b"[1]", &mut m));
    }

    fn masked(v: &str, action: &str) -> String {
        let Action::Mask(m) = crate::rules::action::parse(action, "k", 4, false).unwrap() else { panic!() };
        let mut o = Vec::new();
        mask(v.as_bytes(), m, &mut o);
        let out = String::from_utf8(o).unwrap();
        assert!(is_mask_output(out.as_bytes(), m), "{action}: {out:?} must be recognised");
        out
    }

    #[test]
    fn mask_shows_at_most_half_of_the_value() {
        assert_eq!(masked("gho_abcdefghijkl", "mask:4"), "gho_***");
        assert_eq!(masked("short", "mask:4"), "***");
        assert_eq!(masked("12345678", "mask:4"), "***");
        assert_eq!(masked("123456789", "mask:4"), "1234***");
        assert_eq!(masked("é€abcdefgh", "mask:4"), "é€ab***");
        assert_eq!(masked("4111111111111111", "mask:last=4"), "***1111");
        assert_eq!(masked("4111111111111111", "mask:first=2,last=4"), "41***1111");
        assert_eq!(masked("abcdefghij", "mask:first=3,last=3"), "***");
        assert_eq!(masked("anything", "mask:0"), "***");
    }

    #[test]
    fn mask_keeps_known_prefixes_and_email_domains() {
        assert_eq!(masked("gho_16C7e42F292c6912E7710c838347Ae178B4a", "mask:prefix"), "gho_***");
        assert_eq!(masked("sk_live_4eC39HqLyjWDarjtT1zdp7dc", "mask:prefix"), "sk_live_***");
        assert_eq!(masked("ya29.a0AfH6SMBx3kq9", "mask:prefix,last=2"), "ya29.***q9");
        assert_eq!(masked("opaque-value-1234", "mask:prefix"), "***", "no known prefix, first=0");
        assert_eq!(masked("alice.smith@example.com", "mask:email"), "****@example.com");
        assert_eq!(masked("alice.smith@example.com", "mask:email,first=1"), "a****@example.com");
        assert_eq!(masked("al@example.com", "mask:email,first=1"), "****@example.com");
        assert_eq!(masked("not-an-email", "mask:email"), "***");
        assert_eq!(masked("x@localhost", "mask:email"), "***", "a domain needs a dot");
        assert_eq!(masked("a@b@evil\"x.com", "mask:email,last=2"), "***om", "not an email: last=2 applies");
    }

    #[test]
    fn mask_never_keeps_half_an_escape() {
        // Raw bytes of JSON string contents: what a secret-key value looks like in a JSON line.
        for (v, action) in [
            (r#"abc\"defghijklmnop"#, "mask:first=5,last=2"),
            (r#"abcdefghijklmn\"op"#, "mask:last=3"),
            (r#"abcdefghijklmn\\op"#, "mask:last=3"),
            (r#"abcdefghijklmn\u00e9"#, "mask:last=4"),
            (r#"\\\"abcdefghijklmnopq"#, "mask:first=4"),
            (r#"abcdefghijklmnop\\\""#, "mask:last=2"),
        ] {
            let out = masked(v, action);
            let json = format!("\"{out}\"");
            assert!(serde_json::from_str::<String>(&json).is_ok(), "{v} {action} -> {json}");
            assert!(!out.contains('\\'), "{v} {action} -> {out}");
        }
        assert_eq!(masked(r#"abcdefghijklmn\"op"#, "mask:last=3"), "***op");
    }

    proptest::proptest! {
        /// Any value, any mask: the output is recognised as that mask's (so a second scrub leaves
        /// it), shows at most half of the value, and a valid JSON string stays valid JSON.
        #[test]
        fn masks_are_recognised_bounded_and_keep_json_valid(
            v in proptest::collection::vec(proptest::prop_oneof![
                8 => proptest::char::range('a', 'z'),
                2 => proptest::sample::select(vec!['\\', '"', '@', '.', '%', 'é', '€', '*', 'u', '0']),
            ], 1..40),
            first in 0u8..8, last in 0u8..8, email: bool, known_prefix: bool,
        ) {
            let v: String = v.into_iter().collect();
            let m = Mask { first, last, email, known_prefix };
            let mut out = Vec::new();
            mask(v.as_bytes(), m, &mut out);
            proptest::prop_assert!(is_mask_output(&out, m), "{:?} -> {:?}", v, String::from_utf8_lossy(&out));
            let shown = chars(&out) - 3;
            let email_domain = email && out.windows(5).any(|w| w == EMAIL_MASK);
            proptest::prop_assert!(email_domain || shown * 2 < chars(v.as_bytes()).max(1) || shown == 0, "{:?} -> {:?}", v, String::from_utf8_lossy(&out));
            let as_json = |b: &[u8]| serde_json::from_slice::<String>(&[b"\"", b, b"\""].concat()).is_ok();
            if as_json(v.as_bytes()) {
                proptest::prop_assert!(as_json(&out), "{:?} -> {:?}", v, String::from_utf8_lossy(&out));
            }
        }
    }

    #[test]
    fn mask_recognition_follows_the_spec() {
        let m = |s: &str| match crate::rules::action::parse(s, "k", 4, false).unwrap() {
            Action::Mask(m) => m,
            _ => unreachable!(),
        };
        assert!(is_mask_output(b"***", m("mask:0")));
        assert!(is_mask_output(b"abcd***", m("mask:4")));
        assert!(!is_mask_output(b"abcde***", m("mask:4")));
        assert!(!is_mask_output(b"abcd***x", m("mask:4")));
        assert!(is_mask_output(b"***wxyz", m("mask:last=4")));
        assert!(!is_mask_output(b"******wxyz", m("mask:last=4")));
        assert!(is_mask_output(b"github_pat_***", m("mask:prefix")));
        assert!(is_mask_output(b"****@example.com", m("mask:email")));
        assert!(!is_mask_output(b"****@example.com", m("mask:4")) || chars(b"") == 0);
        assert!(!is_mask_output(b"hunter2", m("mask:4")));
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
        let old = Pseudonymizer::new(b"old key", "k0", 16).string(b"alice@example.com");
        assert!(!a.recognises(old.as_bytes()));
        let a = a.recognising(["k0"]);
        assert!(a.recognises(old.as_bytes()) && a.recognises(pa.as_bytes()));
        assert!(!a.recognises(b"k0:0123"), "hex length is checked for retired ids too");
    }
}
