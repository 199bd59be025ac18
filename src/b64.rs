//! base64url for token segments: the unpadded URL-safe text JWTs use, decoded and encoded
//! without the general-purpose engine's per-call overhead.
//!
//! A JWT payload is a few hundred bytes, decoded once and (when a claim changes) encoded once
//! per token, so the `base64` crate's block loop rarely gets going and its bookkeeping
//! dominates: on the token-heavy bench corpus the two calls cost more than a fifth of the
//! payload rewrite. Here:
//!
//! - [`decode`]: text that is *plainly* valid — only URL-safe alphabet bytes, a length that is
//!   not 1 mod 4 — has its whole 4-character quanta decoded by `base64-simd` (SSSE3/AVX2,
//!   chosen at run time) and its last 2 or 3 characters through a table. Anything else
//!   (padding, the standard alphabet, a stray byte, a bad length) goes to
//!   [`crate::jwt::B64URL`], so the result is always what that engine gives (trailing bits are
//!   ignored by both: whole quanta have none, and the tail is decoded here).
//! - [`encode_extend`]: whole 3-byte groups by `base64-simd`, the last 1 or 2 bytes here; no
//!   padding, appended to a `Vec`.
//!
//! Both are checked against the `base64` crate by property tests.

use base64::Engine as _;

use crate::jwt::B64URL;
use crate::runs::{self, Class};

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Each alphabet byte's 6-bit value (other bytes: 0; [`decode`] checks the alphabet first).
static VALUE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 64 {
        t[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    t
};

/// `text` in the URL-safe alphabet: the `+` and `/` of standard base64 (which some libraries
/// wrongly emit in JWT segments) mapped to `-` and `_`; borrowed when there are none.
pub(crate) fn url_alphabet(text: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if !text.iter().any(|&b| b == b'+' || b == b'/') {
        return std::borrow::Cow::Borrowed(text);
    }
    let map = |b: u8| match b {
        b'+' => b'-',
        b'/' => b'_',
        b => b,
    };
    std::borrow::Cow::Owned(text.iter().map(|&b| map(b)).collect())
}

/// Appends the bytes `text` encodes to `out`; `false` (with `out` in an unspecified state) if
/// it is not base64url as [`crate::jwt::B64URL`] reads it.
pub(crate) fn decode(text: &[u8], out: &mut Vec<u8>) -> bool {
    plain(text, out) || B64URL.decode_vec(text, out).is_ok()
}

/// [`decode`] of a token segment in either alphabet: the `+` and `/` of standard base64 read
/// as `-` and `_` (see [`url_alphabet`]). Plain base64url text is checked as it is decoded.
pub(crate) fn decode_any(text: &[u8], out: &mut Vec<u8>) -> bool {
    plain(text, out) || decode(&url_alphabet(text), out)
}

/// Decodes `text` if it is *plainly* base64url (see the module docs), appending to `out`;
/// `false`, with `out` as it was, if it is not: the caller decides what else it may be.
fn plain(text: &[u8], out: &mut Vec<u8>) -> bool {
    let quads = text.len() / 4;
    let rest = &text[quads * 4..];
    if rest.len() == 1 || !rest.iter().all(|&b| runs::is_in(Class::B64Url, b)) {
        return false;
    }
    let start = out.len();
    out.resize(start + quads * 3 + rest.len().saturating_sub(1), 0);
    let (bulk, dst) = out[start..].split_at_mut(quads * 3);
    // base64-simd checks the alphabet of the whole quanta as it decodes them (they have no
    // trailing bits to judge); the tail was checked above and is decoded here.
    if base64_simd::URL_SAFE_NO_PAD.decode(&text[..quads * 4], base64_simd::Out::from_slice(bulk)).is_err() {
        out.truncate(start);
        return false;
    }
    if !rest.is_empty() {
        let v = |b: u8| u32::from(VALUE[b as usize]);
        let n = rest.iter().enumerate().fold(0u32, |n, (i, &b)| n | v(b) << (18 - 6 * i));
        dst.copy_from_slice(&n.to_be_bytes()[1..rest.len()]);
    }
    true
}

/// Appends the unpadded base64url encoding of `input` to `out`.
pub(crate) fn encode_extend(input: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    let tail = input.len() % 3;
    out.resize(start + input.len() / 3 * 4 + if tail == 0 { 0 } else { tail + 1 }, 0);
    let dst = &mut out[start..];
    let sym = |n: u32, shift: u32| ALPHABET[(n >> shift & 63) as usize];
    // Whole triples by SIMD, then the tail.
    let triples = input.len() / 3;
    let (bulk, dst) = dst.split_at_mut(triples * 4);
    let done = base64_simd::URL_SAFE_NO_PAD.encode(&input[..triples * 3], base64_simd::Out::from_slice(bulk));
    debug_assert_eq!(done.len(), triples * 4);
    let rest = &input[triples * 3..];
    if !rest.is_empty() {
        let n = rest.iter().enumerate().fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        let at = dst.len() - (tail + 1);
        for (k, d) in dst[at..].iter_mut().enumerate() {
            *d = sym(n, 18 - 6 * k as u32);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn round_trips_every_length_up_to_a_few_blocks() {
        for len in 0..70 {
            let input: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let mut enc = Vec::new();
            encode_extend(&input, &mut enc);
            assert_eq!(enc, B64URL.encode(&input).as_bytes(), "len {len}");
            let mut dec = vec![7u8]; // appends after what is there
            assert!(decode(&enc, &mut dec));
            assert_eq!(dec[1..], input[..], "len {len}");
        }
    }

    proptest! {
        #[test]
        fn encoding_agrees_with_the_base64_crate(input in proptest::collection::vec(any::<u8>(), 0..300)) {
            let mut enc = b"x".to_vec();
            encode_extend(&input, &mut enc);
            let want = B64URL.encode(&input);
            prop_assert_eq!(&enc[1..], want.as_bytes());
        }

        /// `decode_any` reads standard base64 as base64url, and whatever it rejects is
        /// rejected (the two paths agree: plain text decoded at once, the rest mapped first).
        #[test]
        fn decode_any_reads_either_alphabet(
            text in proptest::collection::vec(proptest::sample::select(
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/=.".to_vec()), 0..120),
        ) {
            let mut ours = b"x".to_vec();
            let ok = decode_any(&text, &mut ours);
            let mapped: Vec<u8> = text.iter().map(|&b| match b { b'+' => b'-', b'/' => b'_', b => b }).collect();
            let theirs = B64URL.decode(&mapped);
            prop_assert_eq!(ok, theirs.is_ok());
            if let Ok(t) = theirs {
                prop_assert_eq!(&ours[1..], &t[..]);
            }
        }

        /// Same verdict and bytes as the engine for alphabet text of any length, with or
        /// without a stray byte (padding, standard alphabet, dot, anything).
        #[test]
        fn decoding_agrees_with_the_base64_crate(
            text in proptest::collection::vec(proptest::sample::select(ALPHABET.to_vec()), 0..300),
            stray in proptest::option::of((any::<proptest::sample::Index>(), prop_oneof![
                Just(b'='), Just(b'+'), Just(b'/'), Just(b'.'), any::<u8>()])),
        ) {
            let mut text = text;
            if let Some((at, b)) = stray {
                let at = at.index(text.len() + 1);
                text.insert(at, b);
            }
            let mut ours = Vec::new();
            let ok = decode(&text, &mut ours);
            let theirs = B64URL.decode(&text);
            prop_assert_eq!(ok, theirs.is_ok());
            if let Ok(t) = theirs {
                prop_assert_eq!(ours, t);
            }
        }
    }
}
