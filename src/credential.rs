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
//! - values quoted with `"`, `'`, `\"`, or unquoted: to whitespace, punctuation inside
//!   included (`password=pa'ss;w|rd`), but for where the line's structure starts again: the
//!   next member of a list (`&next=1`, `; b=2`), a closer of an opener before the value
//!   (`(password=x)`, `msg="… password=x"`), a tag, an escaped line break ([`key_value`]).
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
    /// Not quoted: the value runs to whitespace, short of the structure after it (see
    /// [`key_value`]).
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

/// Bytes that ended every unquoted value before [`unquoted_end`]: ASCII whitespace and
/// `& ; , " ' ) ] } > < | \`. They still end a credential after a scheme word (a token68)
/// and an auth-param.
#[inline]
fn is_delim(b: u8) -> bool {
    !runs::is_in(Class::Unquoted, b)
}

/// Bytes that separate members: `a=1&b=2`, `a=1; b=2`, `a=1,b=2`, `a=1|b=2`.
#[inline]
fn is_separator(b: u8) -> bool {
    matches!(b, b'&' | b';' | b',' | b'|')
}

/// Punctuation that may end a value or follow it: the delimiters but `\`, and after them
/// `. : ! ? /` (`(password=x).`, `"password=x"/>`).
#[inline]
pub(crate) fn is_punct(b: u8) -> bool {
    matches!(
        b,
        b'&' | b';' | b',' | b'|' | b'"' | b'\'' | b')' | b']' | b'}' | b'>' | b'<' | b'.' | b':' | b'!' | b'?' | b'/'
    )
}

/// `v` without the punctuation it ends with (`null)` is `null`).
pub(crate) fn trim_punct_end(v: &[u8]) -> &[u8] {
    &v[..v.len() - v.iter().rev().take_while(|&&b| is_punct(b)).count()]
}

/// What a closing byte closes: `(`, `[`, `{`, `<` (an index into [`Openers`]' depths), or a
/// `"` or `'` string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Closer {
    Bracket(usize),
    Double,
    Single,
}

fn closer(b: u8) -> Option<Closer> {
    Some(match b {
        b')' => Closer::Bracket(0),
        b']' => Closer::Bracket(1),
        b'}' => Closer::Bracket(2),
        b'>' => Closer::Bracket(3),
        b'"' => Closer::Double,
        b'\'' => Closer::Single,
        _ => return None,
    })
}

/// What a stretch of a line holds open: unmatched `(`, `[`, `{` and `<`, and whether a `"` or
/// a `'` string is open (an odd number of them). A byte after a backslash counts for nothing,
/// and so do the values read before on the line (`Openers::pass_over`).
///
/// One per line (in `Scratch`): it is moved forward along the line as the scan finds keys, so
/// what is open before each value costs one pass over the line, however many keys it holds,
/// and nothing on lines where no value ends in a closer.
#[derive(Debug, Clone, Default)]
pub(crate) struct Openers {
    /// The position counted up to; the counts start at `from`.
    pos: usize,
    from: usize,
    depth: [u32; 4],
    double: bool,
    single: bool,
    escaped: bool,
    /// Values read before, in line order, not counted (`Openers::pass_over`); `next_skip`
    /// is the first that may lie at or after `pos`.
    skips: Vec<Range<usize>>,
    next_skip: usize,
}

impl Openers {
    /// Counting from `from` on.
    fn starting_at(from: usize) -> Openers {
        Openers { pos: from, from, ..Openers::default() }
    }

    /// Forgets the line (keeps the allocation): counting starts at 0 again.
    pub(crate) fn reset(&mut self) {
        self.skips.clear();
        self.rewind();
        self.from = 0;
        self.pos = 0;
    }

    /// Back to `from` with nothing counted; the skips stay.
    fn rewind(&mut self) {
        (self.pos, self.depth, self.double, self.single, self.escaped) = (self.from, [0; 4], false, false, false);
        self.next_skip = 0;
    }

    /// Counts up to `to` (from the start again when `to` lies behind), passing over the skips.
    fn advance(&mut self, line: &[u8], to: usize) {
        if to < self.pos {
            self.rewind();
        }
        while self.pos < to {
            while self.skips.get(self.next_skip).is_some_and(|r| r.end <= self.pos) {
                self.next_skip += 1;
            }
            let skip = self.skips.get(self.next_skip).filter(|r| r.start < to).cloned();
            let stop = skip.as_ref().map_or(to, |r| r.start.max(self.pos));
            self.count(&line[self.pos..stop]);
            self.pos = stop;
            if let Some(r) = skip {
                self.pos = r.end.min(to);
                self.escaped = false;
            }
        }
    }

    fn count(&mut self, bytes: &[u8]) {
        let mut i = 0;
        while i < bytes.len() {
            if self.escaped {
                self.escaped = false;
                i += 1;
                continue;
            }
            i = runs::run_end(bytes, i, Class::Unbracketed);
            let Some(&b) = bytes.get(i) else { break };
            i += 1;
            match b {
                b'\\' => self.escaped = true,
                b'(' => self.depth[0] += 1,
                b'[' => self.depth[1] += 1,
                b'{' => self.depth[2] += 1,
                b'<' => self.depth[3] += 1,
                b'"' => self.double = !self.double,
                b'\'' => self.single = !self.single,
                _ => {
                    if let Some(Closer::Bracket(k)) = closer(b) {
                        self.depth[k] = self.depth[k].saturating_sub(1);
                    }
                }
            }
        }
    }

    /// Notes `r`, a value read before, to pass over uncounted: its bytes
    /// open nothing for the keys after it. A value's bytes differ from one pass to the next (a
    /// `"` in a hashed value is gone once it is `k1:…`), so what is open before a later key
    /// must not depend on them. Noted only (counting stays lazy); nothing when `r` starts
    /// inside a value noted before.
    fn pass_over(&mut self, r: &Range<usize>) {
        if !r.is_empty() && self.skips.last().is_none_or(|l| r.start >= l.end) {
            self.skips.push(r.clone());
        }
    }

    /// Whether what `c` closes is open.
    fn is_open(&self, c: Closer) -> bool {
        match c {
            Closer::Bracket(k) => self.depth[k] > 0,
            Closer::Double => self.double,
            Closer::Single => self.single,
        }
    }
}

/// How far an unquoted value is read by the rule of [`key_value`]; past this many bytes the value ends at
/// the next delimiter, as every value did before (bounds the work per key on a long word
/// holding many keys).
pub const UNQUOTED_READ_MAX: usize = 4096;

/// Whether the next member of a list starts at `i`: a key and `=` (`next=1`, `user[name]=`,
/// `Path=/`), or a quoted key and `:` or `=` (`"user":`). Keys are at most 128 bytes.
fn member_at(line: &[u8], i: usize) -> bool {
    let mut k = i;
    let quote = match line.get(k) {
        Some(&q @ (b'"' | b'\'')) => {
            k += 1;
            Some(q)
        }
        _ => None,
    };
    let s = k;
    while k < line.len()
        && k - s < 128
        && (line[k].is_ascii_alphanumeric() || matches!(line[k], b'_' | b'-' | b'.' | b'[' | b']' | b'%'))
    {
        k += 1;
    }
    if k == s || !(line[s].is_ascii_alphanumeric() || line[s] == b'_') {
        return false;
    }
    match quote {
        Some(q) => line.get(k) == Some(&q) && matches!(line.get(k + 1), Some(b':' | b'=')),
        None => line.get(k) == Some(&b'='),
    }
}

/// Whether a markup tag starts at the `<` at `i`: `</name>`, `<name>`, `<name/>`.
fn tag_at(line: &[u8], i: usize) -> bool {
    let mut k = i + 1;
    if line.get(k) == Some(&b'/') {
        k += 1;
    }
    let s = k;
    while k < line.len()
        && k - s < 64
        && (line[k].is_ascii_alphanumeric() || matches!(line[k], b'_' | b'-' | b'.' | b':'))
    {
        k += 1;
    }
    k > s && line[s].is_ascii_alphabetic() && (line.get(k) == Some(&b'>') || line[k..].starts_with(b"/>"))
}

/// What a backslash at `i` inside an unquoted value is.
enum Escape {
    /// It ends the value: an escaped line break or tab (`\n`, `\r`, `\t`, `\u000a`), or an
    /// escaped quote that closes a string around the value (`\"` or `\'` before punctuation,
    /// a blank or the end of the line), or `\u0026` (`&`, as Go's JSON writes it) before the
    /// next member.
    End,
    /// Part of the value, `n` bytes long: `\\`, `\x22` (nginx), `\"s`, any other.
    Value(usize),
}

fn escape(line: &[u8], i: usize) -> Escape {
    let after_ends = |k: usize| line.get(k).is_none_or(|&b| b.is_ascii_whitespace() || is_punct(b) || b == b'\\');
    match line.get(i + 1) {
        Some(b'n' | b'r' | b't') => Escape::End,
        Some(b'"' | b'\'') => {
            if after_ends(i + 2) {
                Escape::End
            } else {
                Escape::Value(2)
            }
        }
        Some(b'\\') => Escape::Value(2),
        Some(b'u') => {
            let hex = line.get(i + 2..i + 6).filter(|h| h.iter().all(u8::is_ascii_hexdigit));
            let Some(h) = hex else { return Escape::Value(1) };
            let code = h.iter().fold(0u32, |n, &d| n * 16 + (d as char).to_digit(16).unwrap_or(0));
            match code {
                0..0x20 => Escape::End,
                0x26 if member_at(line, i + 6) => Escape::End,
                0x22 | 0x27 if after_ends(i + 6) => Escape::End,
                _ => Escape::Value(6),
            }
        }
        _ => Escape::Value(1),
    }
}

/// The end of an unquoted value starting at `start`; `ctx` counts what the line holds open
/// (see [`Openers`]).
///
/// The value runs to whitespace or the end of the line. It ends early only where the line's
/// structure plainly starts again, so punctuation inside a secret (`pa'ss`, `a;b|c`) is
/// redacted with it (fail closed), while lists and prose still end where they did:
///
/// 1. a backslash escape of a line break or tab, or of a quote closing the string around the
///    value (see [`Escape`]);
/// 2. in a run of punctuation (`is_punct`), at its first byte that is
///    - a separator (`& ; , |`) followed by the next member (`&next=1`, `;b=2`, `,"x":1`,
///      `&amp;next=1`) or by the end of the word (`secret, retrying`, `session=x; Path=/`);
///    - a closer (`) ] } > " '`) of an opener before the value (`(password=x)`, `msg="…
///      password=x"`) that the value itself does not hold (`password=f(x)` keeps its `)`; a
///      quote inside an unquoted value opens nothing), followed by the end of the word or by
///      a separator or tag later in the run (`"},"b":1`);
///    - a `<` that starts a tag (`</td>`);
/// 3. after [`UNQUOTED_READ_MAX`] bytes, at the next delimiter.
///
/// A value that starts with `marker` (the redaction marker; may be empty) ends after it.
///
/// Any other punctuation is part of the value.
fn unquoted_end(line: &[u8], start: usize, ctx: &mut Openers, marker: &[u8]) -> usize {
    // Scrubbed already: the scrubber leaves such a value alone, so it is not read on (on
    // scrubbed output every key would read its whole extent again).
    if !marker.is_empty() && line[start..].starts_with(marker) {
        return start + marker.len();
    }
    let limit = line.len().min(start + UNQUOTED_READ_MAX);
    let mut inner = Openers::starting_at(start);
    let mut j = start;
    loop {
        let d = runs::run_end(&line[..limit], j, Class::Unquoted);
        if d == line.len() {
            return d;
        }
        if d == limit {
            return runs::run_end(line, d, Class::Unquoted);
        }
        let b = line[d];
        if b.is_ascii_whitespace() {
            return d;
        }
        if b == b'\\' {
            match escape(line, d) {
                Escape::End => return d,
                Escape::Value(n) => j = d + n,
            }
            continue;
        }
        let mut e = d;
        while e < limit && is_punct(line[e]) {
            e += 1;
        }
        if e == limit && limit < line.len() {
            return runs::run_end(line, e, Class::Unquoted);
        }
        let word_ends = e == line.len()
            || line[e].is_ascii_whitespace()
            || (line[e] == b'\\' && matches!(escape(line, e), Escape::End));
        // Where a separator or a tag comes last in the run: a closer before it is structure.
        let last_structure = (d..e).rev().find(|&k| is_separator(line[k]) || (line[k] == b'<' && tag_at(line, k)));
        for p in d..e {
            let c = line[p];
            let ends = if is_separator(c) {
                word_ends
                    || member_at(line, p + 1)
                    || (c == b'&' && line[p + 1..].starts_with(b"amp;") && member_at(line, p + 5))
            } else if let Some(k) = closer(c) {
                // A quote also closes the string open around the value before punctuation
                // (`href="/r?token=x">link`), not before a letter or digit (`"password=pa"ss"`
                // keeps its inner quote); a bracket only at the end of a word or before more
                // structure (`f(x)y` keeps its `)`).
                let quote = matches!(k, Closer::Double | Closer::Single);
                let quote_ends = quote && line.get(p + 1).is_none_or(|b| !b.is_ascii_alphanumeric());
                (quote_ends || word_ends || last_structure.is_some_and(|s| s > p)) && {
                    ctx.advance(line, start);
                    inner.advance(line, p);
                    // A quote in an unquoted value opens nothing: the string around it closes.
                    ctx.is_open(k) && (quote || !inner.is_open(k))
                }
            } else {
                c == b'<' && !word_ends && tag_at(line, p)
            };
            if ends {
                return p;
            }
        }
        j = e;
    }
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
/// names (a namespace prefix allowed: `<ns1:Password>`), up to its end tag, markup inside
/// included (`<![CDATA[…]]>`, nested elements); without an end tag, up to the next tag, or to
/// the end of the line when the element goes on past it (fail closed). `None` for an empty
/// element.
fn xml_element_value(line: &[u8], key: Range<usize>) -> Option<Value> {
    let mut k = key.start;
    while k > 0 && (line[k - 1].is_ascii_alphanumeric() || matches!(line[k - 1], b'_' | b'-' | b'.' | b':')) {
        k -= 1;
    }
    if k == 0 || line[k - 1] != b'<' {
        return None;
    }
    let start = key.end + 1;
    // A quoted `"<token>"` is a placeholder word (a usage line, an argv list), not an element
    // (which a later end tag would show it is).
    let (before, after) = (&line[..k - 1], &line[start..]);
    if [&b"\""[..], b"\\\"", b"'"].iter().any(|q| before.ends_with(q) && after.starts_with(q))
        && memchr::memmem::find(after, b"</").is_none()
    {
        return None;
    }
    // The text up to the element's own end tag (`</password>`, markup inside included:
    // `abc<br/>def`); without one on the line, up to the next tag or the end of the line.
    // Requiring some `</` made a second pass read further once the first rewrote a `<` inside
    // (`<token>secret:"<`; fuzz `scrub_line`); the replacement holds no `<`, so the end tag
    // found first is found again.
    let name = &line[k..key.end];
    let own_end = memchr::memmem::find_iter(&line[start..], b"</")
        .find(|&n| line[start + n + 2..].strip_prefix(name).is_some_and(|r| r.first() == Some(&b'>')));
    let end = match own_end.or_else(|| memchr::memchr(b'<', &line[start..])) {
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
    if let Some(v) = argv_element_value(line, k, key.end) {
        return v;
    }
    let i = skip_blanks(line, key.end);
    if i == key.end || i >= line.len() {
        return None;
    }
    if let Some((q, vstart)) = open_quote(line, i) {
        let end = quoted_end(line, vstart, q);
        if is_usage_placeholder(&line[vstart..end]) {
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
    if first == b'-' || is_usage_placeholder(v) || FLAG_PROSE.contains(&v) {
        return None;
    }
    Some(Value { range: i..end, quote: Quote::None, json_number: false, url_encoded: false })
}

/// A flag's value that only stands for one: a placeholder ([`is_placeholder`]) or a usage
/// line's `<token>`.
fn is_usage_placeholder(v: &[u8]) -> bool {
    is_placeholder(v) || (v.first() == Some(&b'<') && v.ends_with(b">"))
}

/// A flag that is a whole element of an argv list, its value the next element: JSON
/// (`["mysql","--password","x"]`, also escaped inside a JSON string), Python's list repr
/// (`['deploy', '--token', 'x']`). `flag` is the flag word's start, `end` its end. `None` when
/// the flag is not such an element (the other forms apply); `Some(None)` when it is one with
/// no value after it (the last element, a number, another flag, a placeholder).
fn argv_element_value(line: &[u8], flag: usize, end: usize) -> Option<Option<Value>> {
    let (q, after) = open_quote(line, end)?;
    let opened = match q {
        Quote::Double | Quote::Single => flag.checked_sub(1).and_then(|o| open_quote(line, o)),
        Quote::EscapedDouble => flag.checked_sub(2).and_then(|o| open_quote(line, o)),
        Quote::None | Quote::Percent => None,
    };
    if opened.is_none_or(|(o, _)| o != q) {
        return None;
    }
    let i = skip_blanks(line, after);
    if line.get(i) != Some(&b',') {
        return None;
    }
    let Some((vq, vstart)) = open_quote(line, skip_blanks(line, i + 1)).filter(|(vq, _)| *vq == q) else {
        return Some(None);
    };
    let vend = quoted_end(line, vstart, vq);
    let v = &line[vstart..vend];
    if v.first().is_none_or(|&b| b == b'-') || is_usage_placeholder(v) {
        return Some(None);
    }
    Some(Some(Value { range: vstart..vend, quote: vq, json_number: false, url_encoded: false }))
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
/// An unquoted value runs to whitespace or the end of the line, punctuation inside it
/// included (fail closed: `password=pa'ss` is one value). It ends early only where the line's
/// structure plainly starts again: before the next member of a list (`?password=x&next=1`,
/// `a=1; token=x; b=2`, `"password=x","user":"bob"`), before a separator at the end of a word
/// (`password=x, retrying`), before a closer that balances an opener before the key
/// (`(password=x)`, `msg="login password=x"`) but not one the value holds (`password=f(x)`),
/// before a tag (`<td>password=x</td>`) and before an escaped line break, tab or closing quote
/// (`\n`, `\"`). `password=x.` keeps its full stop, as before. See `unquoted_end`.
///
/// The key is first taken past a suffix ([`key_end`]: `password_confirmation`). It must then
/// end: the next byte is a closing quote or bracket, whitespace or a separator. Any key
/// *ending* in the name matches (`db_password`), so the left side is not checked (but for a
/// bracket's opening `[` and a flag's dashes).
pub fn key_value(line: &[u8], key: Range<usize>) -> Option<Value> {
    key_value_in(line, key, &mut Openers::default(), b"")
}

/// [`key_value`] with the line's [`Openers`] (reused along the line by the scrubber); an
/// unquoted value starting with `marker` ends after it (see `unquoted_end`).
pub(crate) fn key_value_in(line: &[u8], key: Range<usize>, openers: &mut Openers, marker: &[u8]) -> Option<Value> {
    let v = key_value_at(line, key, openers, marker)?;
    openers.pass_over(&v.range);
    Some(v)
}

fn key_value_at(line: &[u8], key: Range<usize>, openers: &mut Openers, marker: &[u8]) -> Option<Value> {
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
            return key_value_at(line, key.start..i, openers, marker);
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
    // `private]`/`protected]` end a `var_dump` property's key (`["k":"Class":private]`), even
    // where the key named is a class name holding a secret name (fuzz `scrub_line`).
    if line[i..].starts_with(b"private]") || line[i..].starts_with(b"protected]") {
        return None;
    }
    let mut end = unquoted_end(line, i, openers, marker);
    if url {
        // In a URL-encoded context `%26` (`&`) ends the value too.
        let run = &line[i..end];
        if let Some(k) = memchr::memchr_iter(b'%', run).find(|&k| starts_with_ci(&run[k..], b"%26")) {
            end = i + k;
        }
    }
    let v = &line[i..end];
    // A placeholder keeps its trailing punctuation out of the question (`password=null)`).
    let bare = || trim_punct_end(v);
    if is_placeholder(v)
        || (v.last().is_some_and(|&b| is_punct(b)) && !bare().is_empty() && is_placeholder(bare()))
        || v.first().is_some_and(|&b| b == b'{' || b == b'[')
    {
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
    split_scheme_in(line, v, any_word, &mut Openers::default())
}

/// [`split_scheme`] with the line's [`Openers`], which pass over the credential.
pub(crate) fn split_scheme_in(
    line: &[u8],
    v: &Value,
    any_word: bool,
    openers: &mut Openers,
) -> Option<(Scheme, Value)> {
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
        // Otherwise it is a token68 (RFC 9110 §11.4: no punctuation but `-._~+/=`), which
        // still ends at the first delimiter: read on, a second pass would read an auth-param
        // list rewritten by the first (`Token a=b="`) as one credential and the `"` with it.
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
    openers.pass_over(&(cstart..end));
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
    fn an_unquoted_value_keeps_its_punctuation_and_ends_where_structure_starts() {
        for (line, want) in [
            ("password=pa'ss;w|rd,x)y]z}a<1>c\\d\"e f", "pa'ss;w|rd,x)y]z}a<1>c\\d\"e"),
            ("password=a&b&next=1", "a&b"),
            ("password=a;Path=/", "a"),
            ("password=a&amp;x=1", "a"),
            (r#""password=a","b":1"#, "a"),
            (r#"x "password=a",b"#, "a"),
            ("password=a, retrying", "a"),
            ("(password=a).", "a"),
            ("(password=f(x))", "f(x)"),
            ("password=f(x))", "f(x))"),
            ("<td>password=a</td>", "a"),
            ("password=a<b", "a<b"),
            (r"password=a\nb", "a"),
            (r"password=a\u0026x=1", "a"),
            (r"password=a\u0026b", r"a\u0026b"),
            (r"password=a\x22b", r"a\x22b"),
            (r#"{"m":"password=a\"}"}"#, "a"),
            (r#"password=a\"b"#, r#"a\"b"#),
        ] {
            assert_eq!(kv(line, "password").as_deref(), Some(want), "{line}");
        }
        // What is open before the value is counted once along the line, not per key.
        let line = "(a password=x) [b token=y] {c secret=z}";
        let mut openers = Openers::default();
        let got: Vec<&str> = ["password", "token", "secret"]
            .iter()
            .map(|k| {
                let at = line.find(k).unwrap();
                let v = key_value_in(line.as_bytes(), at..at + k.len(), &mut openers, b"").unwrap();
                line.get(v.range).unwrap()
            })
            .collect();
        assert_eq!(got, ["x", "y", "z"]);
    }

    #[test]
    fn an_unquoted_value_reads_at_most_so_far_then_ends_at_a_delimiter() {
        let long = "a'".repeat(UNQUOTED_READ_MAX);
        let line = format!("password={long} x");
        let v = kv(&line, "password").unwrap();
        assert!(v.len() > UNQUOTED_READ_MAX && v.len() < UNQUOTED_READ_MAX + 4, "{}", v.len());
    }

    #[test]
    fn members_and_tags_are_recognised() {
        for (s, yes) in [
            ("next=1", true),
            ("user[name]=x", true),
            (r#""x":1"#, true),
            ("'x'=1", true),
            ("x", false),
            ("=1", false),
            (r#""x"1"#, false),
            ("-x=1", false),
        ] {
            assert_eq!(member_at(s.as_bytes(), 0), yes, "{s}");
        }
        for (s, yes) in
            [("</td>", true), ("<br/>", true), ("<a>", true), ("<1>", false), ("<a", false), ("< a>", false)]
        {
            assert_eq!(tag_at(s.as_bytes(), 0), yes, "{s}");
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
