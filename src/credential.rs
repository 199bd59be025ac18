//! Credential extents: where the secret value after `Bearer`/`Basic` or after a secret-bearing
//! key name starts and ends.
//!
//! These functions only *locate* values on a line (`&[u8]`, never assumed UTF-8); deciding what
//! to do with them is [`crate::rules`]' job, rewriting is the scrubber's.
//!
//! Forms recognised (keys match ASCII case-insensitively):
//! - `Bearer <v>` / `Basic <v>` after spaces, a tab, `%20` or `+` (URL-encoded);
//! - `key=value`, `key = value`, `key: value`, `key=>value`, `key%3Dvalue` (URL-encoded);
//! - `"key":"value"`, `'key': 'value'`, escaped JSON `\"key\":\"value\"`, `"key": 123`;
//! - `<key>value</key>` (XML);
//! - bracketed keys: `[key] => value` (PHP `print_r`: the rest of the line), `["key"]=>
//!   string(7) "value"` and `["key":protected]=> int(5)` (PHP `var_dump`), `user[key]=value`,
//!   `user%5Bkey%5D=value` and `$_POST['key'] = 'value'` (form parameters);
//! - command-line flags: `--key value`, `--key 'a b'`, `-key value` (not `-p`, not a following
//!   flag: `flag_value`);
//! - values quoted with `"`, `'`, `\"`, or unquoted up to the next delimiter.
//!
//! A key is a key word that ends in a secret name (`db_password`), or in a name and one of
//! [`SECRET_SUFFIXES`] (`password_confirmation`, `passwordHash`, `password2`): see
//! [`key_end`].
//!
//! Not credentials: an RFC 6750 challenge (`Bearer realm="x"`), prose (`Bearer authentication
//! failed`: a bare lowercase, capitalised or uppercase word), placeholders (`null`, `None`,
//! `***`) and values already scrubbed (see `Scrubber`).

use std::ops::Range;

use crate::runs::{self, Class};

/// How a value is quoted; the value range never includes its quotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quote {
    /// Not quoted: the value ends at the first delimiter.
    None,
    /// `"…"` (JSON, logfmt); backslash escapes inside.
    Double,
    /// `'…'`.
    Single,
    /// `\"…\"`: a JSON string inside a JSON string.
    EscapedDouble,
    /// `%22…%22`: URL-encoded quotes.
    Percent,
}

/// A located value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    /// The value bytes (quotes excluded).
    pub range: Range<usize>,
    /// Its quoting.
    pub quote: Quote,
    /// A bare JSON number after `"key":` (replacing it must add quotes).
    pub json_number: bool,
    /// Whether the value sits in a URL-encoded context (`%3D`, `%20`).
    pub url_encoded: bool,
}

/// Bytes that end an unquoted value.
#[inline]
fn is_delim(b: u8) -> bool {
    !runs::is_in(Class::Unquoted, b)
}

fn starts_with_ci(hay: &[u8], needle: &[u8]) -> bool {
    hay.len() >= needle.len() && hay[..needle.len()].eq_ignore_ascii_case(needle)
}

/// A bare word that reads as prose rather than a credential: letters only, and all lowercase,
/// all uppercase, or capitalised.
pub fn is_prose_word(v: &[u8]) -> bool {
    if v.is_empty() || !v.iter().all(u8::is_ascii_alphabetic) {
        return false;
    }
    let rest = &v[1..];
    v.iter().all(u8::is_ascii_lowercase)
        || v.iter().all(u8::is_ascii_uppercase)
        || rest.iter().all(u8::is_ascii_lowercase)
}

/// Placeholders that are not secrets: keep them so logs stay debuggable. `-` is the "no value"
/// of the common and combined access-log formats.
pub fn is_placeholder(v: &[u8]) -> bool {
    v.is_empty()
        || v.iter().all(|&b| b == b'*')
        || is_blank(v)
        || v == b"-"
        || [&b"null"[..], b"none", b"nil", b"undefined", b"true", b"false"].iter().any(|p| v.eq_ignore_ascii_case(p))
}

/// Whether `v` is only whitespace, raw or as the escapes `\n`, `\r`, `\t`: the same value read
/// from a JSON string (decoded) and from its raw text (escaped) must be judged alike, or a
/// second pass would redact what the first left (found by `fuzz/` target `format_docker`).
fn is_blank(v: &[u8]) -> bool {
    let mut i = 0;
    while i < v.len() {
        match v[i] {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'\\' if matches!(v.get(i + 1), Some(b'n' | b'r' | b't')) => i += 2,
            _ => return false,
        }
    }
    true
}

/// The first index at or after `i` that is not a space or tab.
fn skip_blanks(line: &[u8], mut i: usize) -> usize {
    while i < line.len() && (line[i] == b' ' || line[i] == b'\t') {
        i += 1;
    }
    i
}

/// Whether `line[i..]` starts with a tab written as a JSON escape (`\t`).
fn escaped_tab(line: &[u8], i: usize) -> bool {
    line.get(i..i + 2) == Some(&b"\\t"[..])
}

/// Skips one separator after an auth scheme: spaces/tabs (also a tab escaped as `\t`), `%20`
/// or a single `+`. Returns the position after it and whether it was URL-encoded, or `None`.
///
/// A JSON string is read raw unless an escape can hide a secret from the raw scan, so
/// `Authorization: JWT\tabc` must read as its decoded text does (`JWT`, a tab, the credential
/// `abc`): read as the value `JWT` alone, it left `abc` in clear, and a line walked decoded on
/// one pass and read raw on the next was redacted differently (found by `fuzz/` target
/// `format_json`).
fn scheme_separator(line: &[u8], mut i: usize) -> Option<(usize, bool)> {
    let start = i;
    loop {
        i = skip_blanks(line, i);
        if !escaped_tab(line, i) {
            break;
        }
        i += 2;
    }
    if i > start {
        return Some((i, false));
    }
    if starts_with_ci(&line[i..], b"%20") {
        let mut j = i + 3;
        while starts_with_ci(&line[j..], b"%20") {
            j += 3;
        }
        return Some((j, true));
    }
    if line.get(i) == Some(&b'+') {
        return Some((i + 1, true));
    }
    None
}

/// The credential after an auth scheme word found at `word` (e.g. `Bearer`, `Basic`).
///
/// The word must stand alone on its left (not a letter or digit before it) and be followed by a
/// separator and a `b64token` that is not prose and not an auth-param (`realm="…"`).
pub fn scheme_value(line: &[u8], word: Range<usize>) -> Option<Value> {
    if word.start > 0 && line[word.start - 1].is_ascii_alphanumeric() {
        return None;
    }
    let (vstart, url) = scheme_separator(line, word.end)?;
    let mut end = runs::run_end(line, vstart, if url { Class::B64TokenPct } else { Class::B64Token });
    while end < line.len() && line[end] == b'=' {
        end += 1;
    }
    if end == vstart {
        return None;
    }
    let v = &line[vstart..end];
    // `realm="x"` / `error=invalid_token`: an auth-param of a challenge, not a credential.
    // Any value counts, not only a token: `name=[REDACTED]` must read as it did before its
    // value was redacted, or a second pass would redact `name=` too (found by `fuzz/`). A
    // quote counts only when it opens a value: in `"Bearer YWJjZGU="}` it closes the string
    // around a credential with one `=` of padding.
    let opens_value = |i: usize| match line.get(i) {
        Some(b'"') => line.get(i + 1).is_some_and(|&c| !is_delim(c)),
        Some(&b) => !is_delim(b),
        None => false,
    };
    if v.last() == Some(&b'=')
        && v.iter().take(v.len() - 1).all(|b| b.is_ascii_alphanumeric() || *b == b'_')
        && opens_value(end)
    {
        return None;
    }
    if is_prose_word(v) || is_placeholder(v) {
        return None;
    }
    Some(Value { range: vstart..end, quote: Quote::None, json_number: false, url_encoded: url })
}

/// Finds the end of a quoted value starting at `i` (just after the opening quote).
/// An unterminated value runs to the end of the line (fail closed).
fn quoted_end(line: &[u8], i: usize, q: Quote) -> usize {
    match q {
        Quote::Double => {
            let mut j = i;
            while let Some(k) = memchr::memchr2(b'"', b'\\', &line[j.min(line.len())..]) {
                let at = j + k;
                if line[at] == b'"' {
                    return at;
                }
                j = at + 2;
            }
            line.len()
        }
        Quote::Single => memchr::memchr(b'\'', &line[i..]).map_or(line.len(), |k| i + k),
        Quote::EscapedDouble => {
            // Closes at `\"` preceded by an even number of further backslashes (`\\\"` is an
            // escaped quote inside the inner string).
            let mut j = i;
            while let Some(k) = memchr::memchr(b'"', &line[j..]) {
                let q = j + k;
                let mut bs = 0;
                while bs < q - i && line[q - 1 - bs] == b'\\' {
                    bs += 1;
                }
                if bs == 1 {
                    return q - 1;
                }
                if bs == 0 {
                    return q; // a bare quote ends the outer string: stop there
                }
                j = q + 1;
            }
            line.len()
        }
        Quote::Percent => memchr::memmem::find(&line[i..], b"%22").map_or(line.len(), |k| i + k),
        Quote::None => i,
    }
}

/// Parses an opening quote at `i`.
fn open_quote(line: &[u8], i: usize) -> Option<(Quote, usize)> {
    match line.get(i)? {
        b'"' => Some((Quote::Double, i + 1)),
        b'\'' => Some((Quote::Single, i + 1)),
        b'\\' if line.get(i + 1) == Some(&b'"') => Some((Quote::EscapedDouble, i + 2)),
        b'%' if starts_with_ci(&line[i..], b"%22") => Some((Quote::Percent, i + 3)),
        _ => None,
    }
}

/// Where a value starts after its key ([`after_separator`]).
struct ValueStart {
    /// The value's first byte.
    at: usize,
    /// The quote that closed the key, and the offset after it.
    key_quote: Option<(Quote, usize)>,
    /// The separator was URL-encoded (`%3D`, `%3A`).
    url: bool,
    /// The key was closed by a `]` (`[password] =>`, `user[password]=`, `["password"]=>`).
    bracket: bool,
    /// The separator was `=>` (Ruby, Perl, PHP).
    arrow: bool,
}

/// The first byte of the key word that holds the name starting at `start`: the run of
/// `[A-Za-z0-9_.-]` before it (`db_password`, `--password`, `user.token`).
fn key_word_start(line: &[u8], start: usize) -> usize {
    let mut k = start;
    while k > 0 && (line[k - 1].is_ascii_alphanumeric() || matches!(line[k - 1], b'_' | b'-' | b'.')) {
        k -= 1;
    }
    k
}

/// The offset after the `]` that closes a bracketed key at `i`, or `None`: `[password]` (PHP
/// `print_r`), `user[password]` and `user%5Bpassword%5D` (form parameters), and after a quoted
/// key (`key_quote`) `["password"]`, `['password']` and a `var_dump` property's visibility
/// (`["password":protected]`, `["password":"App\User":private]`). The key word must open
/// with the matching `[` (`%5B`; `["` when quoted).
fn bracket_close(line: &[u8], key: &Range<usize>, i: usize, key_quote: Option<(Quote, usize)>) -> Option<usize> {
    let k = key_word_start(line, key.start);
    if let Some((q, _)) = key_quote {
        let open: &[u8] = match q {
            Quote::Double => b"[\"",
            Quote::Single => b"['",
            _ => return None,
        };
        let rest = &line[i..];
        let visibility = if rest.starts_with(b":protected]") {
            ":protected".len()
        } else if rest.starts_with(b":\"") {
            // `:"Class":private]`: var_dump does not escape the class name.
            let close = memchr::memchr(b'"', &rest[2..])?;
            if !rest[2 + close + 1..].starts_with(b":private]") {
                return None;
            }
            2 + close + 1 + ":private".len()
        } else {
            0
        };
        // A property's visibility closes the key with or without the `["` before it: that `[`
        // may be inside a value rewritten before (`secret:"["secret":protected]`, where a
        // second pass would otherwise read `protected` as the value; fuzz `scrub_line`).
        if visibility == 0 && !line[..k].ends_with(open) {
            return None;
        }
        return (rest.get(visibility) == Some(&b']')).then_some(i + visibility + 1);
    }
    if line.get(i) == Some(&b']') && k > 0 && line[k - 1] == b'[' {
        return Some(i + 1);
    }
    if starts_with_ci(&line[i..], b"%5D") && k > 0 && line[k - 1] == b'%' && starts_with_ci(&line[k..], b"5B") {
        return Some(i + 3);
    }
    None
}

/// Where the value after the key name at `key` starts: past the key's closing quote or
/// bracket, the separator (`=`, `:`, `=>`, `%3D`, `%3A`; after a bracket only `=`, `=>` and
/// `%3D`, so a log prefix `[session]: started` is no key) and blanks. `None` without a
/// separator or a value.
fn after_separator(line: &[u8], key: &Range<usize>) -> Option<ValueStart> {
    let mut i = key.end;
    let key_quote = open_quote(line, i);
    if let Some((_, after)) = key_quote {
        i = after;
    }
    let close = bracket_close(line, key, i, key_quote);
    if let Some(after) = close {
        i = after;
    }
    let bracket = close.is_some();
    i = skip_blanks(line, i);
    let mut url = false;
    let mut arrow = false;
    match line.get(i)? {
        b'=' if line.get(i + 1) == Some(&b'>') => {
            i += 2;
            arrow = true;
        }
        b'=' => i += 1,
        b':' if !bracket => i += 1,
        b'%' if starts_with_ci(&line[i..], b"%3D") || !bracket && starts_with_ci(&line[i..], b"%3A") => {
            i += 3;
            url = true;
        }
        _ => return None,
    }
    if !url {
        i = skip_blanks(line, i);
    }
    (i < line.len()).then_some(ValueStart { at: i, key_quote, url, bracket, arrow })
}

/// Whether the value of the key at `key` opens a JSON array or object after a double-quoted
/// key (what [`nested_values`] reads, well formed or not).
pub(crate) fn opens_container(line: &[u8], key: Range<usize>) -> bool {
    let key = key.start..key_end(line, key.end);
    after_separator(line, &key).is_some_and(|v| {
        !v.url && !v.bracket && matches!(v.key_quote, Some((Quote::Double, _))) && matches!(line[v.at], b'{' | b'[')
    })
}

/// The scalar leaves of a JSON array or object that is the value of a double-quoted key
/// (`"password":["a","b"]`, `"token":{"access":"…","n":1}`), for [`key_value`]'s `None` on
/// nested JSON: every string (not the object keys) and every number in it, at any depth.
/// Returns them and the container's end; `None` when no well-formed JSON container starts
/// there. `true`, `false` and `null` are not secrets and are left out.
pub fn nested_values(line: &[u8], key: Range<usize>) -> Option<(Vec<Value>, usize)> {
    let key = key.start..key_end(line, key.end);
    let ValueStart { at: start, key_quote, url, bracket, .. } = after_separator(line, &key)?;
    if url || bracket || !matches!(key_quote, Some((Quote::Double, _))) || !matches!(line[start], b'{' | b'[') {
        return None;
    }
    let end = crate::format::value_end(line, start, 0)?;
    let mut out = Vec::new();
    let mut i = start;
    while i < end {
        match line[i] {
            b'"' => {
                let after = crate::format::string_end(line, i)?;
                if line.get(skip_blanks(line, after)) != Some(&b':') {
                    out.push(Value {
                        range: i + 1..after - 1,
                        quote: Quote::Double,
                        json_number: false,
                        url_encoded: false,
                    });
                }
                i = after;
            }
            b'-' | b'0'..=b'9' => {
                // Inside the container: it ends with `}` or `]`, which stops the run.
                let e = number_run_end(line, i);
                out.push(Value { range: i..e, quote: Quote::None, json_number: true, url_encoded: false });
                i = e;
            }
            _ => i += 1,
        }
    }
    Some((out, end))
}

/// End of the bare JSON number starting at `i` (a sign or digit): the run of digits, `.`,
/// `e`, `E`, `+` and `-` after it, not checked further (a malformed number is still the value).
fn number_run_end(line: &[u8], i: usize) -> usize {
    let n = line[i + 1..].iter().take_while(|&&b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    i + 1 + n.count()
}

/// The range of a JSON string value's content after a member key ending at `i`
/// (`: "…"`); `None` for any other value or an unterminated string.
pub(crate) fn string_member_value(line: &[u8], i: usize) -> Option<Range<usize>> {
    let i = i + line.get(i..)?.iter().take_while(|b| b.is_ascii_whitespace()).count();
    if line.get(i) != Some(&b':') {
        return None;
    }
    let i = i + 1 + line[i + 1..].iter().take_while(|b| b.is_ascii_whitespace()).count();
    if line.get(i) != Some(&b'"') {
        return None;
    }
    let end = memchr::memchr(b'"', &line[i + 1..])?;
    Some(i + 1..i + 1 + end)
}

/// `<password>value</password>` (SOAP and other XML bodies): the text of an element the key
/// names (a namespace prefix allowed: `<ns1:Password>`), up to the end tag; to the end of the
/// line when the element goes on past it (fail closed). `None` for an empty element or one
/// whose content starts with markup (`<password><![CDATA[…`, nested elements).
fn xml_element_value(line: &[u8], key: Range<usize>) -> Option<Value> {
    let mut k = key.start;
    while k > 0 && (line[k - 1].is_ascii_alphanumeric() || matches!(line[k - 1], b'_' | b'-' | b'.' | b':')) {
        k -= 1;
    }
    if k == 0 || line[k - 1] != b'<' {
        return None;
    }
    let start = key.end + 1;
    // The text up to the next tag (any: markup inside, `<b>`, ends it too), or the end of the
    // line. Requiring `</` made a second pass read further once the first rewrote a `<` inside
    // (`<token>secret:"<`; fuzz `scrub_line`).
    let end = match memchr::memchr(b'<', &line[start..]) {
        Some(n) => start + n,
        None => start + line[start..].trim_ascii_end().len(),
    };
    let v = &line[start..end];
    if v.trim_ascii().is_empty() || is_placeholder(v) {
        return None;
    }
    Some(Value { range: start..end, quote: Quote::None, json_number: false, url_encoded: false })
}

/// Suffixes that extend a secret key name into the name of another key holding the same
/// secret: typed again (`password_confirmation`, `passwordConfirm`, `password_repeat`,
/// `password_again`), another version of it (`password_new`, `passwordOld`), or a hash of it
/// that can be attacked offline (`password_hash`, `password_digest`). Besides these words, one
/// digit (`password2`, `new_password1`: Django's forms). A `_` or `-` may come before the
/// suffix, or nothing (`passwordHash`); the suffix must end the key. Longest first
/// (`confirmation` before `confirm`).
///
/// Why an allowlist of suffixes rather than more names in the rules: names match as the *end*
/// of a longer key (`db_password`), and the scanner looks for names only (`password` finds
/// `new_password_confirmation` as it finds `db_password`), so no literal is added to its
/// prefilter and a user's own names (`pin`, `otp_secret`) get the same suffixes. What is left
/// out is left out on purpose: `_id` (`api_key_id` names a key, it is not one), `_salt`
/// (stored beside the hash, not secret), `_policy`, `_length`, `_expired`, `_type`, `_count`,
/// `_timeout`, `less` (`passwordless`): anything not listed ends no key.
pub const SECRET_SUFFIXES: [&str; 8] = ["confirmation", "confirm", "repeat", "again", "new", "old", "hash", "digest"];

/// The shortest name that takes a suffix. Shorter names (`pwd`, `sig`) are found only with a
/// key terminator right after them (`pwd=`): `pwd_hash` is not their key.
pub const SUFFIXED_NAME_MIN: usize = 4;

/// Whether `b` continues a key word (so a name or suffix before it does not end the key).
fn continues_key(b: Option<&u8>) -> bool {
    b.is_some_and(|&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The end of the key whose secret name ends at `i`: past a [`SECRET_SUFFIXES`] suffix (or one
/// digit), with its optional `_` or `-`, when the suffix ends the key; else `i`.
pub fn key_end(line: &[u8], i: usize) -> usize {
    let mut j = i;
    if matches!(line.get(j), Some(b'_' | b'-')) {
        j += 1;
    }
    // Most keys end right at the name (`password=`): no suffix starts with anything but a
    // letter or a digit.
    let Some(rest) = line.get(j..).filter(|r| r.first().is_some_and(u8::is_ascii_alphanumeric)) else { return i };
    let n = if rest.first().is_some_and(u8::is_ascii_digit) {
        1
    } else {
        match SECRET_SUFFIXES.iter().find(|s| starts_with_ci(rest, s.as_bytes())) {
            Some(s) => s.len(),
            None => return i,
        }
    };
    if continues_key(line.get(j + n)) { i } else { j + n }
}

/// Whether a whole key (a JSON member's, a logfmt key, a tracing field name) names a secret
/// under the rule name `name`, as the scanner reads keys: it ends in `name` (`db_password`),
/// or, for names of [`SUFFIXED_NAME_MIN`] bytes or more, in `name` and a suffix
/// ([`SECRET_SUFFIXES`]: `password_confirmation`). ASCII case-insensitive.
pub fn key_names_secret(key: &[u8], name: &[u8]) -> bool {
    let ends_in_name = |k: &[u8]| k.len() >= name.len() && k[k.len() - name.len()..].eq_ignore_ascii_case(name);
    if ends_in_name(key) {
        return true;
    }
    if name.len() < SUFFIXED_NAME_MIN {
        return false;
    }
    let cut = if key.last().is_some_and(u8::is_ascii_digit) {
        1
    } else {
        match SECRET_SUFFIXES
            .iter()
            .find(|s| key.len() >= s.len() && key[key.len() - s.len()..].eq_ignore_ascii_case(s.as_bytes()))
        {
            Some(s) => s.len(),
            None => return false,
        }
    };
    let mut k = &key[..key.len() - cut];
    if let Some((b'_' | b'-', rest)) = k.split_last() {
        k = rest;
    }
    ends_in_name(k)
}

/// Words after a flag named in a sentence (`use --token to log in`, `--password is required`,
/// `pass --token or set TOKEN`): prose, not the flag's value.
const FLAG_PROSE: [&[u8]; 24] = [
    b"a",
    b"an",
    b"and",
    b"are",
    b"as",
    b"can",
    b"flag",
    b"for",
    b"if",
    b"in",
    b"instead",
    b"is",
    b"missing",
    b"must",
    b"not",
    b"of",
    b"on",
    b"option",
    b"or",
    b"required",
    b"requires",
    b"the",
    b"to",
    b"with",
];

/// `--password hunter2`, `--token 'a b'`, `-token abc` (Go's flag package): a command-line flag
/// whose word ends in the key name, and its value after blanks (process listings, audit and
/// CI logs). The word starts with one or two dashes and a letter or digit, after the line's
/// start, a blank or a quote. Not a value: nothing, another flag (`--password --verbose`,
/// anything starting with `-`), a usage placeholder (`--token <TOKEN>`), a word of prose
/// (`FLAG_PROSE`: `use --token to log in`). Not a flag: `--no-…`
/// and `--ask-…` (booleans by convention: `psql --no-password db`), short flags (`-p`, no
/// name). A quoted value runs to its quote; an unquoted one is the whole argument, up to a
/// blank, a quote, a backslash or a backquote (the end of a string around the command line).
fn flag_value(line: &[u8], key: &Range<usize>) -> Option<Value> {
    let k = key_word_start(line, key.start);
    let word = &line[k..key.end];
    let dashes = word.iter().take_while(|&&b| b == b'-').count();
    if !(1..=2).contains(&dashes) || !word.get(dashes).is_some_and(u8::is_ascii_alphanumeric) {
        return None;
    }
    if k > 0 && !matches!(line[k - 1], b' ' | b'\t' | b'"' | b'\'') {
        return None;
    }
    let name = &word[dashes..];
    if starts_with_ci(name, b"no-") || starts_with_ci(name, b"ask-") {
        return None;
    }
    let i = skip_blanks(line, key.end);
    if i == key.end || i >= line.len() {
        return None;
    }
    if let Some((q, vstart)) = open_quote(line, i) {
        let end = quoted_end(line, vstart, q);
        let v = &line[vstart..end];
        if is_placeholder(v) {
            return None;
        }
        return Some(Value { range: vstart..end, quote: q, json_number: false, url_encoded: q == Quote::Percent });
    }
    let end = line[i..]
        .iter()
        .position(|&b| b.is_ascii_whitespace() || matches!(b, b'"' | b'\'' | b'\\' | b'`'))
        .map_or(line.len(), |n| i + n);
    let v = &line[i..end];
    // Empty when another blank (`\r`, a form feed) follows the flag: no value.
    let &first = v.first()?;
    if first == b'-' || is_placeholder(v) || (first == b'<' && v.ends_with(b">")) || FLAG_PROSE.contains(&v) {
        return None;
    }
    Some(Value { range: i..end, quote: Quote::None, json_number: false, url_encoded: false })
}

/// A PHP `var_dump` value after `=>` at `i`: `string(7) "hunter2"` (the string; its byte
/// length says where it ends, since var_dump does not escape quotes; when the length does not
/// fit, the quote's usual end), `int(1234)` and `float(1.5)` (the number). `Some(None)` for
/// `NULL` and `bool(…)`, which are no secrets; `None` when no typed value starts at `i`.
fn var_dump_value(line: &[u8], i: usize) -> Option<Option<Value>> {
    let rest = &line[i..];
    if rest.starts_with(b"NULL") || rest.starts_with(b"bool(") {
        return Some(None);
    }
    let (open, is_string) = if rest.starts_with(b"string(") {
        (i + 7, true)
    } else if rest.starts_with(b"int(") {
        (i + 4, false)
    } else if rest.starts_with(b"float(") {
        (i + 6, false)
    } else {
        return None;
    };
    let close = open + memchr::memchr(b')', &line[open..])?;
    if !is_string {
        let r = open..close;
        return Some((!r.is_empty()).then_some(Value {
            range: r,
            quote: Quote::None,
            json_number: false,
            url_encoded: false,
        }));
    }
    let len: usize = std::str::from_utf8(&line[open..close]).ok()?.parse().ok()?;
    let (q, vstart) = open_quote(line, skip_blanks(line, close + 1))?;
    let end = match q {
        Quote::Double if line.get(vstart + len) == Some(&b'"') => vstart + len,
        _ => quoted_end(line, vstart, q),
    };
    let v = &line[vstart..end];
    Some((!is_placeholder(v)).then_some(Value { range: vstart..end, quote: q, json_number: false, url_encoded: false }))
}

/// End of a PHP `print_r` value starting at `i` (`[password] => hunter 2`): print_r writes
/// strings raw, one member a line, so the value is the rest of the line (fail closed), but
/// not a line break escaped inside a string around the dump (`\n`, `\r`), a control byte, the
/// next member of a dump collapsed onto one line (` [remember] => 1`), or the ` )` closing
/// arrays at its end; trailing blanks are left out.
fn print_r_end(line: &[u8], i: usize) -> usize {
    let mut end = line[i..]
        .iter()
        .enumerate()
        .position(|(n, &b)| b < 0x20 || b == b'\\' && matches!(line.get(i + n + 1), Some(b'n' | b'r')))
        .map_or(line.len(), |n| i + n);
    for n in memchr::memmem::find_iter(&line[i..end], b" [") {
        let name = i + n + 2;
        let close = name + line[name..end].iter().take_while(|&&b| b != b']' && b != b' ').count();
        if close > name && line[close..end].starts_with(b"] =>") {
            end = i + n;
            break;
        }
    }
    loop {
        let t = i + line[i..end].trim_ascii_end().len();
        if t >= i + 2 && &line[t - 2..t] == b" )" {
            end = t - 2;
        } else {
            return t;
        }
    }
}

/// The value of the key name found at `key` (e.g. the literal `password`).
///
/// The key is first taken past a suffix ([`key_end`]: `password_confirmation`). It must then
/// end: the next byte is a closing quote or bracket, whitespace or a separator. Any key
/// *ending* in the name matches (`db_password`), so the left side is not checked (but for a
/// bracket's opening `[` and a flag's dashes).
pub fn key_value(line: &[u8], key: Range<usize>) -> Option<Value> {
    let key = key.start..key_end(line, key.end);
    if line.get(key.end) == Some(&b'>') {
        return xml_element_value(line, key);
    }
    let Some(ValueStart { at: i, key_quote, url, bracket, arrow }) = after_separator(line, &key) else {
        return flag_value(line, &key);
    };
    if arrow {
        // `["password"]=> string(7) "…"` (var_dump), `'password' => string(7) "…"` (Xdebug).
        if let Some(v) = var_dump_value(line, i) {
            return v;
        }
    }
    if let Some((q, vstart)) = open_quote(line, i) {
        // `"id_token:":"v"`: the separator after the name was inside a quoted key (a quote
        // opens the key word), and this quote closes the key; the value follows the next
        // separator. (Read as a quoted
        // value, `:` would be redacted here and the key read differently once the value is
        // `[REDACTED]`, found by `fuzz/` target `format_docker`.)
        let k = key_word_start(line, key.start);
        let key_opened = line[..k].ends_with(&line[i..vstart]);
        if key_quote.is_none()
            && !bracket
            && key_opened
            && matches!(q, Quote::Double | Quote::Single | Quote::EscapedDouble)
            && matches!(line.get(skip_blanks(line, vstart)), Some(b':' | b'='))
        {
            return key_value(line, key.start..i);
        }
        let end = quoted_end(line, vstart, q);
        let v = &line[vstart..end];
        if is_placeholder(v) {
            return None;
        }
        return Some(Value {
            range: vstart..end,
            quote: q,
            json_number: false,
            url_encoded: url || q == Quote::Percent,
        });
    }
    let b = line[i];
    if bracket && arrow {
        // `[password] => hunter 2` (print_r). `Array` and `Foo Object` open a nested dump.
        let end = print_r_end(line, i);
        let v = &line[i..end];
        if is_placeholder(v) || v == b"Array" || v.ends_with(b" Object") {
            return None;
        }
        return Some(Value { range: i..end, quote: Quote::None, json_number: false, url_encoded: false });
    }
    if key_quote.is_some() && (b == b'{' || b == b'[') {
        return None; // nested JSON: its own keys are scanned separately
    }
    if key_quote.is_some() && (b.is_ascii_digit() || b == b'-') {
        let end = number_run_end(line, i);
        return Some(Value { range: i..end, quote: Quote::None, json_number: true, url_encoded: false });
    }
    let mut end = runs::run_end(line, i, Class::Unquoted);
    if url {
        // In a URL-encoded context `%26` (`&`) ends the value too.
        let run = &line[i..end];
        if let Some(k) = memchr::memchr_iter(b'%', run).find(|&k| starts_with_ci(&run[k..], b"%26")) {
            end = i + k;
        }
    }
    let v = &line[i..end];
    // `private]`/`protected]` end a `var_dump` property's key (`["k":"Class":private]`), even
    // where the key named is a class name holding a secret name (fuzz `scrub_line`).
    let visibility = matches!(v, b"private" | b"protected") && line.get(end) == Some(&b']');
    if visibility || is_placeholder(v) || v.first().is_some_and(|&b| b == b'{' || b == b'[') {
        return None;
    }
    Some(Value { range: i..end, quote: Quote::None, json_number: false, url_encoded: url })
}

/// Auth schemes whose word is kept when a secret key's value starts with one
/// (`Authorization: Bearer x` keeps `Bearer`). Framing and the tracing writer use the same list
/// to keep a scheme word with its credential across a cut.
pub(crate) const SCHEMES: [&[u8]; 14] = [
    b"bearer",
    b"basic",
    b"token",
    b"digest",
    b"negotiate",
    b"ntlm",
    b"apikey",
    b"dpop",
    b"mac",
    b"hmac",
    b"sso-key",
    b"key",
    b"oauth",
    b"aws4-hmac-sha256",
];

/// Which scheme a value starts with, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// `Bearer`.
    Bearer,
    /// `Basic`.
    Basic,
    /// Another scheme word.
    Other,
}

/// Splits `Scheme credentials` in a value: returns the scheme and the credential's range.
///
/// For an unquoted value the scheme word is the whole value and the credential is the next
/// run after a separator (`Authorization: Bearer xyz`); for a quoted value both are inside the
/// quotes. Returns `None` when the value does not start with a known scheme word.
///
/// With `any_word` (the key is an `Authorization` header, whose value is always `scheme
/// credentials`, RFC 9110 §11.4), any scheme word followed by a space counts
/// (`Authorization: JWT eyJ…`, `Authorization: SSWS 00a…`), not only the known scheme words.
pub fn split_scheme(line: &[u8], v: &Value, any_word: bool) -> Option<(Scheme, Value)> {
    let s = v.range.start;
    // No scheme word is longer than 32 characters: a longer run (a token's first segment) is
    // not read to its end.
    let max = line.len().min(s + 33);
    let mut w = s;
    while w < max && (line[w].is_ascii_alphanumeric() || line[w] == b'-') {
        w += 1;
    }
    let word = &line[s..w];
    // Lowercased once, then compared whole with each known word.
    let mut buf = [0u8; 33];
    let lower = &mut buf[..word.len()];
    lower.copy_from_slice(word);
    lower.make_ascii_lowercase();
    let lower = &*lower;
    let known = SCHEMES.contains(&lower);
    let other_word = any_word
        && (2..=32).contains(&word.len())
        && word[0].is_ascii_alphabetic()
        && (matches!(line.get(w), Some(b' ' | b'\t')) || escaped_tab(line, w));
    if !known && !other_word {
        return None;
    }
    let scheme = match lower {
        b"bearer" => Scheme::Bearer,
        b"basic" => Scheme::Basic,
        _ => Scheme::Other,
    };
    let (cstart, url) = scheme_separator(line, w)?;
    let limit = if v.quote == Quote::None { line.len() } else { v.range.end };
    if cstart >= limit {
        return None;
    }
    let mut end = cstart;
    if v.quote == Quote::None {
        end = runs::run_end(&line[..limit], end, Class::Unquoted);
        // `Digest username="bob", response="6629…"`: auth-params, not a token68. The whole
        // list is the credential (fail closed: `response` is derived from the password).
        if line[cstart..end].ends_with(b"=") && line.get(end) == Some(&b'"') {
            end = auth_params_end(line, cstart);
        }
    } else {
        end = limit;
    }
    if end == cstart {
        return None;
    }
    let cred = &line[cstart..end];
    if is_placeholder(cred) {
        // `Bearer ***` / `Bearer null`: a scheme with nothing secret after it (also what a mask
        // leaves): an empty value, so the whole `Bearer ***` is not taken for a secret.
        return Some((scheme, Value { range: cstart..cstart, quote: v.quote, json_number: false, url_encoded: url }));
    }
    Some((scheme, Value { range: cstart..end, quote: v.quote, json_number: false, url_encoded: url || v.url_encoded }))
}

/// End of an RFC 9110 auth-param list starting at `i`: `name=token` or `name="quoted"`, separated
/// by commas and spaces. Stops before the first byte that continues no parameter.
fn auth_params_end(line: &[u8], mut i: usize) -> usize {
    let mut end = i;
    loop {
        let name = i;
        while i < line.len() && (line[i].is_ascii_alphanumeric() || matches!(line[i], b'-' | b'_')) {
            i += 1;
        }
        if i == name || line.get(i) != Some(&b'=') {
            return end;
        }
        i += 1;
        if line.get(i) == Some(&b'"') {
            i += 1;
            while i < line.len() && line[i] != b'"' {
                i += if line[i] == b'\\' { 2 } else { 1 };
            }
            if i >= line.len() {
                return line.len(); // unterminated: the rest of the line (fail closed)
            }
            i += 1;
        } else {
            while i < line.len() && !is_delim(line[i]) {
                i += 1;
            }
        }
        end = i;
        while i < line.len() && matches!(line[i], b',' | b' ' | b'\t') {
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheme_words_are_listed_lowercase() {
        // `split_scheme` compares a lowercased word with them.
        assert!(SCHEMES.iter().all(|k| !k.iter().any(u8::is_ascii_uppercase) && k.len() <= 32));
        fn v(l: &str, any: bool) -> Option<(Scheme, &str)> {
            let line = l.as_bytes();
            split_scheme(
                line,
                &Value { range: 0..line.len(), quote: Quote::None, json_number: false, url_encoded: false },
                any,
            )
            .and_then(|(s, v)| Some((s, l.get(v.range)?)))
        }
        assert_eq!(v("BEARER abc", false), Some((Scheme::Bearer, "abc")));
        assert_eq!(v("Basic dXNlcg==", false), Some((Scheme::Basic, "dXNlcg==")));
        assert_eq!(v("AWS4-HMAC-SHA256 Credential=x", false).map(|r| r.0), Some(Scheme::Other));
        assert_eq!(v("Custom abc", false), None);
        assert_eq!(v("Custom abc", true), Some((Scheme::Other, "abc")));
        assert_eq!(v(&format!("{} abc", "A".repeat(32)), true).map(|r| r.1), Some("abc"));
        assert_eq!(v(&format!("{} abc", "A".repeat(33)), true), None);
    }

    #[test]
    fn auth_params_are_one_credential() {
        let l = br#"Digest username="bob", realm="x y", response="66\"29", qop=auth end"#;
        assert_eq!(&l[7..auth_params_end(l, 7)], &br#"username="bob", realm="x y", response="66\"29", qop=auth"#[..]);
        assert_eq!(auth_params_end(b"k=\"open", 0), 7);
    }

    fn kv(line: &str, key: &str) -> Option<String> {
        let at = line.find(key).unwrap();
        key_value(line.as_bytes(), at..at + key.len())
            .map(|v| String::from_utf8_lossy(&line.as_bytes()[v.range]).into_owned())
    }

    fn bearer(line: &str) -> Option<String> {
        let at = line.to_ascii_lowercase().find("bearer").unwrap();
        scheme_value(line.as_bytes(), at..at + 6)
            .map(|v| String::from_utf8_lossy(&line.as_bytes()[v.range]).into_owned())
    }

    #[test]
    fn blank_values_raw_or_escaped_are_placeholders() {
        for v in [&b" "[..], b"\n", b"\\n", b"\\r\\n\\t ", b"\t\\t"] {
            assert!(is_placeholder(v), "{}", v.escape_ascii());
        }
        for v in [&b"\\"[..], b"\\x", b"\\nx", b"a\\n", b"\\u0020"] {
            assert!(!is_placeholder(v), "{}", v.escape_ascii());
        }
    }

    #[test]
    fn a_separator_inside_a_quoted_key_is_part_of_the_key() {
        assert_eq!(kv(r#"{"id_token:":"abc","x":1}"#, "token").as_deref(), Some("abc"));
        assert_eq!(kv(r#"x 'token=' = 'abc' y"#, "token").as_deref(), Some("abc"));
        assert_eq!(kv(r#"{"log":"{\"id_token:\":\"abc\"}"}"#, "token").as_deref(), Some("abc"));
        assert_eq!(kv(r#"{"id_token:":"[REDACTED]"}"#, "token").as_deref(), Some("[REDACTED]"));
        // A quoted value that merely starts with a separator is still the value.
        assert_eq!(kv(r#"token=":abc""#, "token").as_deref(), Some(":abc"));
        assert_eq!(kv(r#"token: "abc""#, "token").as_deref(), Some("abc"));
    }

    #[test]
    fn bearer_values_in_their_usual_places() {
        assert_eq!(bearer("Authorization: Bearer abc.DEF_123-x~").as_deref(), Some("abc.DEF_123-x~"));
        assert_eq!(bearer("authorization: bearer  a1b2c3==,").as_deref(), Some("a1b2c3=="));
        assert_eq!(bearer("?h=Bearer%20a1b2c3&x").as_deref(), Some("a1b2c3"));
        assert_eq!(bearer("?h=Bearer+a1b2c3&x").as_deref(), Some("a1b2c3"));
    }

    #[test]
    fn challenges_and_prose_are_not_bearer_values() {
        assert_eq!(bearer(r#"WWW-Authenticate: Bearer realm="api", error="invalid_token""#), None);
        assert_eq!(bearer("WWW-Authenticate: Bearer error=invalid_token"), None);
        assert_eq!(bearer("Bearer authentication failed"), None);
        assert_eq!(bearer("Bearer Token missing"), None);
        assert_eq!(bearer("Bearer null"), None);
        assert_eq!(bearer("\"token_type\":\"Bearer\""), None);
        assert_eq!(bearer("xBearer abc123"), None);
    }

    #[test]
    fn a_quote_after_single_padding_closes_the_string_around_a_credential() {
        assert_eq!(bearer(r#"msg="Bearer YWJjZGU=" x"#).as_deref(), Some("YWJjZGU="));
        assert_eq!(bearer(r#"{"m":"Bearer YWJjZGU="}"#).as_deref(), Some("YWJjZGU="));
        assert_eq!(bearer(r#"Bearer realm="api""#), None);
        assert_eq!(bearer("Bearer realm=[REDACTED]"), None);
    }

    #[test]
    fn key_values_in_each_form() {
        assert_eq!(kv("a?access_token=xyz&b=1", "access_token").as_deref(), Some("xyz"));
        assert_eq!(kv(r#"{"password":"p\"w"}"#, "password").as_deref(), Some(r#"p\"w"#));
        assert_eq!(kv(r#"{"password" : "pw"}"#, "password").as_deref(), Some("pw"));
        assert_eq!(kv("{'password': 'pw'}", "password").as_deref(), Some("pw"));
        assert_eq!(kv(r#"msg="{\"token\":\"abc\"}""#, "token").as_deref(), Some("abc"));
        assert_eq!(kv("token=abc def", "token").as_deref(), Some("abc"));
        assert_eq!(kv("Cookie: session=abc; theme=dark", "session").as_deref(), Some("abc"));
        assert_eq!(kv("x=https%3A%2F%2Fh%3Faccess_token%3Dabc%26y", "access_token").as_deref(), Some("abc"));
        assert_eq!(kv(r#"{"password":12345}"#, "password").as_deref(), Some("12345"));
        assert_eq!(kv("password => 'pw'", "password").as_deref(), Some("pw"));
    }

    #[test]
    fn a_secret_suffix_extends_the_key() {
        for (line, end) in [
            ("password_confirmation=x", 21),
            ("passwordHash=x", 12),
            ("password-confirm=x", 16),
            ("password2=x", 9),
            ("password_new=x", 12),
            ("password_digest", 15),
        ] {
            assert_eq!(key_end(line.as_bytes(), 8), end, "{line}");
        }
        for line in [
            "password=x",
            "password",
            "password_policy=x",
            "passwordless=x",
            "password_hashed=x",
            "password12=x",
            "password_confirmation_required=x",
            "password_=x",
        ] {
            assert_eq!(key_end(line.as_bytes(), 8), 8, "{line}");
        }
        assert_eq!(kv("new_password_confirmation=abc&x=1", "password").as_deref(), Some("abc"));
        assert_eq!(kv(r#"{"passwordHash":"abc"}"#, "password").as_deref(), Some("abc"));
        assert_eq!(kv("<password_hash>abc</password_hash>", "password").as_deref(), Some("abc"));
        assert_eq!(kv("password_length=12", "password"), None);
        assert_eq!(kv("api_key_id=abc", "api_key"), None);
    }

    #[test]
    fn whole_keys_name_a_secret_by_name_or_by_name_and_suffix() {
        for key in
            ["password", "db_password", "PASSWORD_CONFIRMATION", "passwordHash", "new_password2", "password-digest"]
        {
            assert!(key_names_secret(key.as_bytes(), b"password"), "{key}");
        }
        for key in ["password_policy", "passwordless", "password12", "hash", "confirmation", "password_salt"] {
            assert!(!key_names_secret(key.as_bytes(), b"password"), "{key}");
        }
        // A short name takes no suffix: the scanner finds it only with a terminator after it.
        assert!(key_names_secret(b"PWD", b"pwd"));
        assert!(!key_names_secret(b"pwd_hash", b"pwd"));
    }

    #[test]
    fn a_flag_value_follows_blanks() {
        assert_eq!(kv("app --password hunter2 -v", "password").as_deref(), Some("hunter2"));
        assert_eq!(kv("app --password 'a b' -v", "password").as_deref(), Some("a b"));
        assert_eq!(kv("app --db-password a;b|c d", "password").as_deref(), Some("a;b|c"));
        assert_eq!(kv("app -token abc", "token").as_deref(), Some("abc"));
        assert_eq!(kv(r#"{"cmd":"app --token abc"}"#, "token").as_deref(), Some("abc"));
        assert_eq!(kv("app --password_confirmation abc", "password").as_deref(), Some("abc"));
        for (line, key) in [
            ("app --password --verbose", "password"),
            ("app --password", "password"),
            ("app --password  ", "password"),
            ("app ---password x", "password"),
            ("app x--password y", "password"),
            ("app password x", "password"),
            ("app --password-file /x", "password"),
            ("psql --no-password db", "password"),
            ("app --ask-password db", "password"),
            ("app --token <TOKEN>", "token"),
            ("app --token null", "token"),
            ("use --token to log in", "token"),
            ("error: --password is required", "password"),
        ] {
            assert_eq!(kv(line, key), None, "{line}");
        }
    }

    #[test]
    fn php_dumps_and_bracketed_keys_are_key_values() {
        assert_eq!(kv("    [password] => hunter 2 ", "password").as_deref(), Some("hunter 2"));
        assert_eq!(kv("Array ( [password] => a b [x] => 1 )", "password").as_deref(), Some("a b"));
        assert_eq!(kv("Array ( [x] => Array ( [password] => a b ) )", "password").as_deref(), Some("a b"));
        assert_eq!(kv(r"Array\n(\n    [password] => abc\n)\n", "password").as_deref(), Some("abc"));
        assert_eq!(kv(r#"["password"]=> string(3) "a"b" }"#, "password").as_deref(), Some(r#"a"b"#));
        assert_eq!(kv(r#"["password"]=> string(9) "abc""#, "password").as_deref(), Some("abc"));
        assert_eq!(kv(r#"["password":protected]=> int(42)"#, "password").as_deref(), Some("42"));
        assert_eq!(kv(r#"["password":"A\B":private]=> string(1) "x""#, "password").as_deref(), Some("x"));
        assert_eq!(kv("'password' => string(1) \"x\"", "password").as_deref(), Some("x"));
        assert_eq!(kv("user[password]=abc&x=1", "password").as_deref(), Some("abc"));
        assert_eq!(kv("user%5Bpassword%5D=abc&x=1", "password").as_deref(), Some("abc"));
        assert_eq!(kv("$_POST['password'] = 'abc'", "password").as_deref(), Some("abc"));
        for line in [
            "[password] => Array",
            "[password] => Foo Object",
            r#"["password"]=> NULL"#,
            r#"["password"]=> bool(true)"#,
            "[password]: x",
            "password] => x",
            "[password] x",
            r#"{"tags":["password"],"x":1}"#,
        ] {
            assert_eq!(kv(line, "password"), None, "{line}");
        }
    }

    #[test]
    fn non_values_are_skipped() {
        assert_eq!(kv("token_type=Bearer", "token"), None);
        assert_eq!(kv("Failed password for root", "password"), None);
        assert_eq!(kv(r#"{"token":null}"#, "token"), None);
        assert_eq!(kv(r#"{"authorization":{"a":1}}"#, "authorization"), None);
        assert_eq!(kv("password=***", "password"), None);
        assert_eq!(kv("/api/token/refresh", "token"), None);
    }

    #[test]
    fn scheme_is_split_off_key_values() {
        let line = b"Authorization: Bearer abc123 x";
        let v = key_value(line, 0..13).unwrap();
        let (s, c) = split_scheme(line, &v, false).unwrap();
        assert_eq!(s, Scheme::Bearer);
        assert_eq!(&line[c.range], b"abc123");
        let line = br#"{"authorization":"Basic dXNlcjpwdw=="}"#;
        let v = key_value(line, 2..15).unwrap();
        let (s, c) = split_scheme(line, &v, false).unwrap();
        assert_eq!(s, Scheme::Basic);
        assert_eq!(&line[c.range], b"dXNlcjpwdw==");
    }
}
