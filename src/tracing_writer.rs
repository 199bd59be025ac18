//! In-process scrubbing for Rust services that log with [`tracing`]: a [`MakeWriter`] wrapper
//! that scrubs every formatted event before it reaches the real writer, and a field-visitor
//! wrapper that scrubs span and event field values as they are recorded.
//!
//! Needs the crate feature `tracing` (not on by default); it adds `tracing` and
//! `tracing-subscriber` (with only its `fmt` feature) to the library.
//!
//! # Setup
//!
//! ```
//! use logscrub::tracing_writer::ScrubMakeWriter;
//!
//! tracing_subscriber::fmt()
//!     .with_writer(ScrubMakeWriter::with_default_rules(std::io::stdout))
//!     .init();
//!
//! tracing::info!(authorization = "Bearer abc123def456", user = "bob", "request accepted");
//! // stdout: … INFO rust_out: request accepted authorization="Bearer [REDACTED]" user="bob"
//! ```
//!
//! `ScrubMakeWriter` wraps *any* [`MakeWriter`] — `std::io::stdout`, a file, a
//! [`tracing_appender`] rolling or `non_blocking` writer, a level-filtered combinator — and
//! forwards both [`MakeWriter::make_writer`] and [`MakeWriter::make_writer_for`], so the inner
//! writer's per-level routing keeps working. It works with every `fmt` format (full, compact,
//! pretty, JSON) because it scrubs bytes, the same way the `logscrub` binary does.
//!
//! [`tracing_appender`]: https://docs.rs/tracing-appender
//!
//! # How the writer works
//!
//! The `fmt` layer formats each event into a thread-local buffer, then calls `make_writer_for`
//! and [`Write::write_all`] once with the whole event. [`ScrubWriter::write_all`] scrubs the
//! complete lines of that write ([`Scrubber::scrub_buf`]):
//!
//! - **clean event** (the common case): the input slice goes straight to the inner writer with
//!   one `write_all`. No copy, no heap allocation.
//! - **event with a finding**: the scrubbed event is assembled in a reused thread-local buffer
//!   and written with one `write_all`, so events from different threads never interleave.
//! - **ANSI colours** (`fmt()`'s default): field names are wrapped in escape codes
//!   (`ESC[3mpassword ESC[0m ESC[2m= ESC[0m…`), which would hide `key=value` pairs from the
//!   scanner. An event holding `ESC` is scanned without its colour codes; when something is found
//!   the scrubbed event is written *without* colours, otherwise the original bytes go out.
//! - **unterminated tail**: bytes after the last `\n` wait in the writer for the next `\n`, a
//!   [`flush`](Write::flush), or the writer's drop, and are then scrubbed. A tail longer than
//!   [`MAX_PENDING`] is written in pieces cut outside token runs; a single run longer than half of
//!   that is replaced by the marker and the rest of the run is dropped (fail closed).
//!
//! The [`Scratch`] lives in a thread-local `RefCell`, borrowed only while scrubbing — never
//! while the inner writer or a `Debug` impl runs. Should it be borrowed anyway (re-entrancy), a
//! fresh one is used instead of panicking, as the `fmt` layer does with its own buffer.
//!
//! # Field values: [`ScrubFields`]
//!
//! The writer sees formatted text. [`ScrubFields`] works one step earlier, on each recorded
//! field: it wraps a field formatter (a [`MakeVisitor`], e.g. [`DefaultFields`]) and redacts
//! values that are tokens or credentials, and values of fields whose *name* is a secret-bearing
//! key of the rules (`authorization`, `password`, `token`, `db_password`, …). Span fields are
//! formatted once, when the span is created, and stored: with `ScrubFields` they are stored
//! clean.
//!
//! ```
//! use logscrub::tracing_writer::{ScrubFields, ScrubMakeWriter};
//!
//! let subscriber = tracing_subscriber::fmt()
//!     .fmt_fields(ScrubFields::default())
//!     .with_writer(ScrubMakeWriter::with_default_rules(std::io::stdout))
//!     .finish();
//! tracing::subscriber::with_default(subscriber, || {
//!     let span = tracing::info_span!("login", password = "hunter2");
//!     let _enter = span.enter();
//!     tracing::info!(db_password = 1234, "connected");
//!     // … INFO login{password="[REDACTED]"}: rust_out: connected db_password="[REDACTED]"
//! });
//! ```
//!
//! Each value is checked the way the scanner would see it in the line `name="value"`, so the
//! rules' actions (`redact`, `mask`, `hash`) and exceptions (placeholders like `null` or `***`,
//! a `Bearer` word kept in front of its credential) apply exactly as in the binary. `Debug`
//! values are formatted once (with `{:?}`) and that text is what the inner visitor receives;
//! a visitor that would use the alternate form `{:#?}` gets the plain form.
//!
//! [`ScrubVisitor`] is the visitor itself: a `Layer` of your own (an exporter, a JSON layer)
//! can wrap its visitor in it to receive clean values.
//!
//! Use both: `ScrubFields` covers field values (the message included) whatever the colours;
//! the writer covers the whole line, including what `ScrubFields` never sees: event fields of the
//! JSON and pretty formatters, which record them with their own visitors, and anything written
//! outside fields.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::fmt::{self, Write as _};
use std::io::{self, Write};
use std::sync::{Arc, OnceLock};
use std::thread::LocalKey;

use tracing::Metadata;
use tracing::field::{Field, Visit};
use tracing_subscriber::field::{MakeVisitor, VisitFmt, VisitOutput};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::DefaultFields;

use crate::frame::{CONTEXT, is_run_byte};
use crate::{Action, BuildError, Rules, Scratch, Scrubber};

/// Most bytes an unterminated tail may hold in a [`ScrubWriter`] before part of it is written
/// out (1 MiB). Events written by the `fmt` layer always end in `\n` and never wait.
pub const MAX_PENDING: usize = 1 << 20;

/// Thread-local buffers larger than this are freed after use rather than kept.
const RETAIN: usize = 256 * 1024;

/// The scrubber for the embedded default rules, built once per process and shared.
///
/// ```
/// let a = logscrub::tracing_writer::default_scrubber();
/// let b = logscrub::tracing_writer::default_scrubber();
/// assert!(std::sync::Arc::ptr_eq(a, b));
/// ```
pub fn default_scrubber() -> &'static Arc<Scrubber> {
    static DEFAULT: OnceLock<Arc<Scrubber>> = OnceLock::new();
    DEFAULT.get_or_init(|| {
        // The embedded rules use no keyed hash, so no key is needed (a unit test checks it).
        Arc::new(Scrubber::new(&Rules::embedded()).expect("the embedded rules need no hash key"))
    })
}

// === thread-local buffers ===

thread_local! {
    /// Scratch for `scrub_buf` / `scrub_line`; borrowed only while scrubbing, never while user
    /// code (a `Debug` impl, an inner writer) runs.
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
    /// A scrubbed event, assembled for its single `write_all`.
    static OUT: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
    /// An event with its ANSI colour codes removed.
    static PLAIN: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
    /// The `name="value"` line a field value is checked as.
    static LINE: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
    /// A `Debug` / `Display` field value, formatted once.
    static TEXT: Cell<String> = const { Cell::new(String::new()) };
}

/// Runs `f` with this thread's scratch, or with a fresh one when it is already borrowed
/// (re-entrancy) or gone (thread teardown).
fn with_scratch<R>(f: impl FnOnce(&mut Scratch) -> R) -> R {
    let mut f = Some(f);
    let done = SCRATCH.try_with(|cell| {
        let mut scratch = cell.try_borrow_mut().ok()?;
        f.take().map(|f| f(&mut scratch))
    });
    match (done, f) {
        (Ok(Some(r)), _) => r,
        (_, Some(f)) => f(&mut Scratch::default()),
        (_, None) => unreachable!("`f` runs at most once and its result is returned"),
    }
}

/// Takes a buffer out of a thread-local cell (an empty one during teardown). Nothing stays
/// borrowed, so a nested call simply finds an empty buffer.
fn take_buf<T: Default + 'static>(key: &'static LocalKey<Cell<T>>) -> T {
    key.try_with(Cell::take).unwrap_or_default()
}

/// Puts a buffer back unless it grew past [`RETAIN`].
fn put_bytes(key: &'static LocalKey<Cell<Vec<u8>>>, buf: Vec<u8>) {
    if buf.capacity() <= RETAIN {
        let _ = key.try_with(|c| c.set(buf));
    }
}

// === impl ScrubMakeWriter ===

/// A [`MakeWriter`] that scrubs every event before the inner `MakeWriter`'s writer sees it.
///
/// ```
/// use std::sync::Arc;
/// use logscrub::tracing_writer::ScrubMakeWriter;
/// use tracing_subscriber::fmt::writer::MakeWriterExt;
///
/// // Custom rules, shared by every writer; warnings and errors to stderr, the rest to stdout.
/// let scrubber = Arc::new(logscrub::Scrubber::new(&logscrub::Rules::embedded())?);
/// let inner = std::io::stderr.with_max_level(tracing::Level::WARN).or_else(std::io::stdout);
/// let subscriber = tracing_subscriber::fmt().with_writer(ScrubMakeWriter::new(scrubber, inner)).finish();
/// # drop(subscriber);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct ScrubMakeWriter<M> {
    scrubber: Arc<Scrubber>,
    inner: M,
}

impl<M> ScrubMakeWriter<M> {
    /// Scrubs with `scrubber` everything written through `inner`.
    pub fn new(scrubber: Arc<Scrubber>, inner: M) -> Self {
        ScrubMakeWriter { scrubber, inner }
    }

    /// Scrubs with the embedded default rules ([`default_scrubber`]).
    pub fn with_default_rules(inner: M) -> Self {
        ScrubMakeWriter::new(Arc::clone(default_scrubber()), inner)
    }

    /// Scrubs with `rules`; fails only when they use `hash` and no key is configured.
    pub fn with_rules(rules: &Rules, inner: M) -> Result<Self, BuildError> {
        Ok(ScrubMakeWriter::new(Arc::new(Scrubber::new(rules)?), inner))
    }

    /// The scrubber in use.
    pub fn scrubber(&self) -> &Arc<Scrubber> {
        &self.scrubber
    }

    /// The wrapped `MakeWriter`.
    pub fn get_ref(&self) -> &M {
        &self.inner
    }
}

impl<'a, M> MakeWriter<'a> for ScrubMakeWriter<M>
where
    M: MakeWriter<'a>,
{
    type Writer = ScrubWriter<'a, M::Writer>;

    #[inline]
    fn make_writer(&'a self) -> Self::Writer {
        ScrubWriter::new(&self.scrubber, self.inner.make_writer())
    }

    #[inline]
    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> Self::Writer {
        ScrubWriter::new(&self.scrubber, self.inner.make_writer_for(meta))
    }
}

// === impl ScrubWriter ===

/// An [`io::Write`] that scrubs complete lines before writing them to `inner`.
///
/// Made per event by [`ScrubMakeWriter`]; also usable on its own around any writer (for
/// instance as the writer of `tracing_appender::non_blocking`, so scrubbing runs on the worker
/// thread). Bytes after the last `\n` wait for the next `\n`, [`flush`](Write::flush) or drop.
///
/// ```
/// use std::io::Write;
/// use logscrub::tracing_writer::{ScrubWriter, default_scrubber};
///
/// let mut out = Vec::new();
/// let mut w = ScrubWriter::new(default_scrubber(), &mut out);
/// w.write_all(b"GET /cb?access_token=s3cr3t&state=1\nok ")?;
/// w.write_all(b"password=hunter2")?; // no newline yet: waits
/// drop(w); // the tail is scrubbed and written on drop
/// assert_eq!(out, b"GET /cb?access_token=[REDACTED]&state=1\nok password=[REDACTED]");
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct ScrubWriter<'a, W: Write> {
    scrubber: &'a Scrubber,
    inner: W,
    /// An unterminated tail (no `\n` in it), waiting for the rest of its line.
    pending: Vec<u8>,
    /// A redacted over-long run continues: drop run bytes until a boundary byte.
    swallowing: bool,
    /// [`MAX_PENDING`]; smaller in tests.
    max_pending: usize,
}

impl<'a, W: Write> ScrubWriter<'a, W> {
    /// Scrubs with `scrubber` everything written to `inner`.
    #[inline]
    pub fn new(scrubber: &'a Scrubber, inner: W) -> Self {
        ScrubWriter { scrubber, inner, pending: Vec::new(), swallowing: false, max_pending: MAX_PENDING }
    }

    /// The inner writer.
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// The inner writer, mutably (bytes written to it directly are not scrubbed).
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }

    /// Bytes waiting for their line's end.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Scrubs and writes the unterminated tail, if any.
    fn write_pending(&mut self) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let res = emit(self.scrubber, &mut self.inner, &self.pending);
        self.pending.clear();
        // A finding that ran to the end of the tail may continue in the next write.
        self.swallowing = res?;
        Ok(())
    }

    /// The tail outgrew [`MAX_PENDING`] without a newline: write its head, cut outside the
    /// trailing token run and the key or scheme word before it.
    #[cold]
    fn relieve(&mut self) -> io::Result<()> {
        let p = &self.pending;
        let run_start = p.iter().rposition(|&b| !is_run_byte(b)).map_or(0, |i| i + 1);
        if p.len() - run_start > self.max_pending / 2 {
            // One run too long to hold: whatever it is, it does not go out (fail closed).
            emit(self.scrubber, &mut self.inner, &p[..run_start])?;
            self.inner.write_all(self.scrubber.rules().redacted_marker().as_bytes())?;
            self.pending.clear();
            self.swallowing = true;
            return Ok(());
        }
        let cut = safe_cut(p, run_start.saturating_sub(CONTEXT));
        if cut == 0 {
            // The head is one long run: redact it, keep what follows.
            let end = p.iter().position(|&b| !is_run_byte(b)).unwrap_or(p.len());
            self.inner.write_all(self.scrubber.rules().redacted_marker().as_bytes())?;
            self.pending.drain(..end);
            return Ok(());
        }
        let touched = emit(self.scrubber, &mut self.inner, &p[..cut])?;
        self.pending.drain(..cut);
        if touched {
            let rest = self.pending.iter().position(|&b| !is_run_byte(b)).unwrap_or(self.pending.len());
            self.pending.drain(..rest);
        }
        Ok(())
    }
}

// Auth-scheme words that may stand between a key and its credential: the core's list.
use crate::credential::SCHEMES;

/// A cut at a word start at or before `limit` such that the word before the cut is not context
/// for the word after it: a separator holding `:` (`key: v`, `"key":"v"`), a word ending in
/// `=` (`key= v`) or an auth-scheme word (`Bearer v`). Walks back at most [`CONTEXT`] bytes,
/// then takes the nearest word start. 0 when there is none.
fn safe_cut(p: &[u8], limit: usize) -> usize {
    let floor = limit.saturating_sub(CONTEXT);
    let mut c = limit;
    loop {
        let Some(b) = p[..c].iter().rposition(|&b| !is_run_byte(b)) else { return 0 };
        c = b + 1;
        if c <= floor {
            return c;
        }
        // p[w..s] is the word before the cut, p[s..c] the separator after it.
        let s = p[..c].iter().rposition(|&b| is_run_byte(b)).map_or(0, |i| i + 1);
        let w = p[..s].iter().rposition(|&b| !is_run_byte(b)).map_or(0, |i| i + 1);
        let (word, sep) = (&p[w..s], &p[s..c]);
        let context =
            sep.contains(&b':') || word.last() == Some(&b'=') || SCHEMES.iter().any(|k| word.eq_ignore_ascii_case(k));
        if !context {
            return c;
        }
        if w == 0 {
            return 0;
        }
        c = w;
    }
}

impl<W: Write> Write for ScrubWriter<'_, W> {
    /// Takes the whole buffer (as `write_all` does) and returns its length.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_all(buf)?;
        Ok(buf.len())
    }

    fn write_all(&mut self, mut buf: &[u8]) -> io::Result<()> {
        if self.swallowing {
            let n = buf.iter().position(|&b| !is_run_byte(b)).unwrap_or(buf.len());
            buf = &buf[n..];
            if buf.is_empty() {
                return Ok(());
            }
            self.swallowing = false;
        }
        if buf.is_empty() {
            return Ok(());
        }
        let Some(nl) = memchr::memrchr(b'\n', buf) else {
            self.pending.extend_from_slice(buf);
            return if self.pending.len() > self.max_pending { self.relieve() } else { Ok(()) };
        };
        let (lines, rest) = buf.split_at(nl + 1);
        if self.pending.is_empty() {
            // The fmt layer's case: one whole event per write.
            emit(self.scrubber, &mut self.inner, lines)?;
        } else {
            self.pending.extend_from_slice(lines);
            let res = emit(self.scrubber, &mut self.inner, &self.pending);
            self.pending.clear();
            res?;
        }
        if !rest.is_empty() {
            self.pending.extend_from_slice(rest);
            if self.pending.len() > self.max_pending {
                self.relieve()?;
            }
        }
        Ok(())
    }

    /// Scrubs and writes a waiting tail, then flushes the inner writer.
    fn flush(&mut self) -> io::Result<()> {
        self.write_pending()?;
        self.inner.flush()
    }
}

impl<W: Write> Drop for ScrubWriter<'_, W> {
    /// Scrubs and writes a waiting tail (errors are ignored, as `BufWriter` does).
    fn drop(&mut self) {
        let _ = self.write_pending();
    }
}

/// Scrubs `buf` and writes the result to `inner` with one `write_all`. Returns whether the
/// last finding ran up to the end of `buf`.
fn emit<W: Write + ?Sized>(scrubber: &Scrubber, inner: &mut W, buf: &[u8]) -> io::Result<bool> {
    let ansi = memchr::memchr(0x1b, buf).is_some();
    let mut plain = if ansi { take_buf(&PLAIN) } else { Vec::new() };
    let src = if ansi {
        strip_ansi(buf, &mut plain);
        &plain[..]
    } else {
        buf
    };
    let mut out = take_buf(&OUT);
    let found = with_scratch(|scratch| {
        let s = scrubber.scrub_buf(src, scratch);
        if s.is_unchanged() {
            return Ok(None);
        }
        out.clear();
        s.write_to(&mut out)?;
        Ok::<_, io::Error>(Some(scratch.finding_touched_end()))
    });
    let res = match found {
        // Nothing found, or a rewrite to the same bytes (an already scrubbed token): the
        // original goes out, colours included.
        Ok(None) => inner.write_all(buf).map(|()| false),
        Ok(Some(_)) if ansi && out == plain => inner.write_all(buf).map(|()| false),
        Ok(Some(touched)) => inner.write_all(&out).map(|()| touched),
        Err(e) => Err(e),
    };
    put_bytes(&OUT, out);
    if ansi {
        put_bytes(&PLAIN, plain);
    }
    res
}

/// Copies `src` into `dst` without ANSI CSI sequences (`ESC [ params final`).
fn strip_ansi(src: &[u8], dst: &mut Vec<u8>) {
    dst.clear();
    let mut i = 0;
    while let Some(k) = memchr::memchr(0x1b, &src[i..]) {
        let esc = i + k;
        dst.extend_from_slice(&src[i..esc]);
        if src.get(esc + 1) != Some(&b'[') {
            dst.push(0x1b);
            i = esc + 1;
            continue;
        }
        let mut j = esc + 2;
        while j < src.len() && !(0x40..=0x7e).contains(&src[j]) {
            j += 1;
        }
        i = (j + 1).min(src.len());
    }
    dst.extend_from_slice(&src[i..]);
}

// === impl ScrubFields ===

/// A field formatter ([`MakeVisitor`]) that scrubs each field value before the inner one
/// formats it. With the `fmt` layer: `fmt().fmt_fields(ScrubFields::default())`.
///
/// `ScrubFields<M>` is a `FormatFields` whenever `M`'s visitor writes to a `fmt::Write`
/// (`DefaultFields`, `format::PrettyFields`, `field::MakeExt` combinators, [`format::debug_fn`]).
/// The JSON formatter needs its own `JsonFields` and records event fields itself: rely on
/// [`ScrubMakeWriter`] there.
///
/// [`format::debug_fn`]: tracing_subscriber::fmt::format::debug_fn
#[derive(Debug, Clone)]
pub struct ScrubFields<M = DefaultFields> {
    scrubber: Arc<Scrubber>,
    inner: M,
}

impl<M> ScrubFields<M> {
    /// Scrubs with `scrubber` the fields `inner` formats.
    pub fn new(scrubber: Arc<Scrubber>, inner: M) -> Self {
        ScrubFields { scrubber, inner }
    }

    /// Scrubs with the embedded default rules ([`default_scrubber`]).
    pub fn with_default_rules(inner: M) -> Self {
        ScrubFields::new(Arc::clone(default_scrubber()), inner)
    }
}

impl Default for ScrubFields<DefaultFields> {
    /// `DefaultFields` scrubbed with the default rules.
    fn default() -> Self {
        ScrubFields::with_default_rules(DefaultFields::new())
    }
}

impl<T, M> MakeVisitor<T> for ScrubFields<M>
where
    M: MakeVisitor<T>,
{
    type Visitor = ScrubVisitor<M::Visitor>;

    #[inline]
    fn make_visitor(&self, target: T) -> Self::Visitor {
        ScrubVisitor::new(Arc::clone(&self.scrubber), self.inner.make_visitor(target))
    }
}

// === impl ScrubVisitor ===

/// A [`Visit`] wrapper: values that hold a token or credential, and values of secret-named
/// fields, reach the inner visitor scrubbed. Clean values pass through unchanged (`&str` and
/// numbers as they came; `Debug` values as their `{:?}` text).
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use logscrub::tracing_writer::{ScrubVisitor, default_scrubber};
/// use tracing::field::{Field, Visit};
/// use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
///
/// /// A layer's own visitor, collecting `name=value` pairs.
/// #[derive(Default)]
/// struct Collect(Vec<String>);
/// impl Visit for Collect {
///     fn record_debug(&mut self, f: &Field, v: &dyn std::fmt::Debug) {
///         self.0.push(format!("{}={v:?}", f.name()));
///     }
/// }
///
/// struct Capture(Arc<Mutex<Vec<String>>>);
/// impl<S: tracing::Subscriber> Layer<S> for Capture {
///     fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
///         let mut visitor = ScrubVisitor::new(Arc::clone(default_scrubber()), Collect::default());
///         event.record(&mut visitor);
///         self.0.lock().unwrap().extend(visitor.into_inner().0);
///     }
/// }
///
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let subscriber = tracing_subscriber::registry().with(Capture(Arc::clone(&seen)));
/// tracing::subscriber::with_default(subscriber, || tracing::info!(password = "hunter2", user = "bob"));
/// assert_eq!(*seen.lock().unwrap(), ["password=\"[REDACTED]\"", "user=\"bob\""]);
/// ```
#[derive(Debug)]
pub struct ScrubVisitor<V> {
    scrubber: Arc<Scrubber>,
    inner: V,
}

impl<V> ScrubVisitor<V> {
    /// Wraps `inner`; values are scrubbed with `scrubber`.
    pub fn new(scrubber: Arc<Scrubber>, inner: V) -> Self {
        ScrubVisitor { scrubber, inner }
    }

    /// The wrapped visitor.
    pub fn into_inner(self) -> V {
        self.inner
    }

    /// Whether `name` ends in a secret-bearing key name of the rules, or in one and a suffix
    /// (ASCII case-insensitive, as the scanner matches keys: `db_password` and
    /// `password_confirmation` match `password`; `credential::key_names_secret`).
    fn is_secret_name(&self, name: &str) -> bool {
        self.scrubber
            .rules()
            .secret_keys()
            .iter()
            .filter(|g| g.action != Action::Keep)
            .flat_map(|g| &g.names)
            .any(|k| crate::credential::key_names_secret(name.as_bytes(), k.as_bytes()))
    }
}

impl<V: Visit> ScrubVisitor<V> {
    /// A non-string value of a secret-named field: formatted and scrubbed as a string.
    /// Returns `false` when the value may pass as it is.
    fn secret_scalar(&mut self, field: &Field, value: &dyn fmt::Display) -> bool {
        if !self.is_secret_name(field.name()) {
            return false;
        }
        let mut text = take_buf(&TEXT);
        text.clear();
        let _ = write!(text, "{value}");
        let scrubbed = scrub_value(&self.scrubber, field.name(), &text);
        if let Some(s) = &scrubbed {
            self.inner.record_str(field, s);
        }
        put_text(text);
        scrubbed.is_some()
    }
}

fn put_text(text: String) {
    if text.capacity() <= RETAIN {
        let _ = TEXT.try_with(|c| c.set(text));
    }
}

impl<V: Visit> Visit for ScrubVisitor<V> {
    fn record_str(&mut self, field: &Field, value: &str) {
        match scrub_value(&self.scrubber, field.name(), value) {
            Some(s) => self.inner.record_str(field, &s),
            None => self.inner.record_str(field, value),
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let mut text = take_buf(&TEXT);
        text.clear();
        let _ = write!(text, "{value:?}");
        match scrub_value(&self.scrubber, field.name(), &text) {
            Some(s) => self.inner.record_debug(field, &format_args!("{s}")),
            None => self.inner.record_debug(field, &format_args!("{text}")),
        }
        put_text(text);
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        // Check the message and its sources, as formatters print them.
        let mut text = take_buf(&TEXT);
        text.clear();
        let _ = write!(text, "{value}");
        let mut source = value.source();
        while let Some(s) = source {
            let _ = write!(text, ": {s}");
            source = s.source();
        }
        match scrub_value(&self.scrubber, field.name(), &text) {
            Some(s) => self.inner.record_debug(field, &format_args!("{s}")),
            None => self.inner.record_error(field, value),
        }
        put_text(text);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if !self.secret_scalar(field, &value) {
            self.inner.record_i64(field, value);
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        if !self.secret_scalar(field, &value) {
            self.inner.record_u64(field, value);
        }
    }

    fn record_i128(&mut self, field: &Field, value: i128) {
        if !self.secret_scalar(field, &value) {
            self.inner.record_i128(field, value);
        }
    }

    fn record_u128(&mut self, field: &Field, value: u128) {
        if !self.secret_scalar(field, &value) {
            self.inner.record_u128(field, value);
        }
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        if !self.secret_scalar(field, &value) {
            self.inner.record_f64(field, value);
        }
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        // `true` / `false` are placeholders, never secrets.
        self.inner.record_bool(field, value);
    }

    fn record_bytes(&mut self, field: &Field, value: &[u8]) {
        if self.is_secret_name(field.name()) {
            self.inner.record_str(field, self.scrubber.rules().redacted_marker());
        } else {
            self.inner.record_bytes(field, value);
        }
    }
}

impl<V: VisitOutput<O>, O> VisitOutput<O> for ScrubVisitor<V> {
    fn finish(self) -> O {
        self.inner.finish()
    }
}

impl<V: VisitFmt> VisitFmt for ScrubVisitor<V> {
    fn writer(&mut self) -> &mut dyn fmt::Write {
        self.inner.writer()
    }
}

/// Scrubs one field value as the scanner sees it in the line `name="value"` (with `\`, `"`,
/// CR and LF escaped). `None` when nothing was found.
fn scrub_value(scrubber: &Scrubber, name: &str, value: &str) -> Option<String> {
    let mut line = take_buf(&LINE);
    line.clear();
    line.extend_from_slice(name.as_bytes());
    line.extend_from_slice(b"=\"");
    let prefix = line.len();
    escape_into(value.as_bytes(), &mut line);
    line.push(b'"');
    let scrubbed = with_scratch(|scratch| match scrubber.scrub_line(&line, scratch) {
        Cow::Borrowed(_) => None,
        Cow::Owned(out) => {
            let inside = out
                .strip_prefix(&line[..prefix])
                .and_then(|v| v.strip_suffix(b"\""))
                .map(unescape)
                // The frame itself changed: keep nothing of the value (fail closed).
                .unwrap_or_else(|| scrubber.rules().redacted_marker().as_bytes().to_vec());
            Some(String::from_utf8_lossy(&inside).into_owned())
        }
    });
    put_bytes(&LINE, line);
    scrubbed
}

fn escape_into(value: &[u8], out: &mut Vec<u8>) {
    for &b in value {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'"' => out.extend_from_slice(b"\\\""),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            _ => out.push(b),
        }
    }
}

fn unescape(v: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len());
    let mut it = v.iter().copied();
    while let Some(b) = it.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        match it.next() {
            Some(b'n') => out.push(b'\n'),
            Some(b'r') => out.push(b'\r'),
            Some(c) => out.push(c),
            None => out.push(b'\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scrub_through_writer(chunks: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut w = ScrubWriter::new(default_scrubber(), &mut out);
            for c in chunks {
                w.write_all(c).unwrap();
            }
        }
        out
    }

    #[test]
    fn embedded_rules_need_no_key() {
        assert!(!Rules::embedded().uses_hash());
        let _ = default_scrubber();
    }

    #[test]
    fn clean_lines_pass_byte_identical() {
        let input: &[u8] = b"version 1.2.3 on example.com\n\nline two\r\n";
        assert_eq!(scrub_through_writer(&[input]), input);
    }

    #[test]
    fn tail_waits_for_newline_across_writes() {
        let out = scrub_through_writer(&[b"a pass", b"word=hun", b"ter2 b\nc password", b"=x"]);
        assert_eq!(out, b"a password=[REDACTED] b\nc password=[REDACTED]");
    }

    #[test]
    fn flush_writes_the_tail_scrubbed() {
        let mut out = Vec::new();
        let mut w = ScrubWriter::new(default_scrubber(), &mut out);
        w.write_all(b"token=abc123").unwrap();
        assert_eq!(w.pending(), 12);
        w.flush().unwrap();
        assert_eq!(w.pending(), 0);
        drop(w);
        assert_eq!(out, b"token=[REDACTED]");
    }

    #[test]
    fn ansi_coloured_key_value_is_found() {
        let line = b"\x1b[2m2024\x1b[0m \x1b[32m INFO\x1b[0m \x1b[3mpassword\x1b[0m\x1b[2m=\x1b[0m\"hunter2\" \x1b[3mn\x1b[0m\x1b[2m=\x1b[0m1\n";
        let out = scrub_through_writer(&[line]);
        assert_eq!(out, b"2024  INFO password=\"[REDACTED]\" n=1\n");
        let clean = b"\x1b[32m INFO\x1b[0m \x1b[3mn\x1b[0m\x1b[2m=\x1b[0m1\n";
        assert_eq!(scrub_through_writer(&[clean]), clean, "clean coloured events keep their colours");
    }

    /// A JWS built at run time from JSON (not a real token).
    fn jws() -> String {
        use base64::Engine as _;
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let sig: Vec<u8> = (0u8..32).map(|i| i.wrapping_mul(37).wrapping_add(11)).collect();
        format!(
            "{}.{}.{}",
            e.encode(br#"{"alg":"HS256","typ":"JWT"}"#),
            e.encode(br#"{"sub":"user-1","iss":"https://idp.example"}"#),
            e.encode(sig)
        )
    }

    #[test]
    fn coloured_event_with_an_already_scrubbed_token_keeps_its_colours() {
        let tok = jws();
        let line = format!("\x1b[32m INFO\x1b[0m got {tok} \x1b[3mn\x1b[0m\x1b[2m=\x1b[0m1\n");
        let once = String::from_utf8(scrub_through_writer(&[line.as_bytes()])).unwrap();
        assert!(!once.contains(tok.rsplit('.').next().unwrap()) && !once.contains('\x1b'), "{once}");
        let scrubbed_tok = once.split(' ').find(|w| w.ends_with(".REDACTED")).unwrap();
        let coloured = line.replace(&tok, scrubbed_tok);
        assert_eq!(scrub_through_writer(&[coloured.as_bytes()]), coloured.as_bytes());
    }

    #[test]
    fn nested_scratch_use_gets_a_fresh_one() {
        let s = default_scrubber();
        let out = with_scratch(|_outer| with_scratch(|inner| s.scrub_line(b"token=abc123", inner).into_owned()));
        assert_eq!(out, b"token=[REDACTED]");
    }

    #[test]
    fn strip_ansi_keeps_a_lone_escape() {
        let mut v = Vec::new();
        strip_ansi(b"a\x1bb\x1b[1;2mc\x1b[", &mut v);
        assert_eq!(v, b"a\x1bbc");
    }

    #[test]
    fn long_unterminated_tail_is_bounded_and_scrubbed() {
        // Each chunk holds secrets in context forms that must not be cut apart; padding of every
        // length moves the cut across every position of the chunk.
        let forms: [&[u8]; 4] = [
            b"user=bob password=s3cr3tvalue Authorization: Bearer abcdef0123456789 ",
            b"{\"id\":1,\"api_key\": \"s3cr3tvalue\", \"auth\": \"Basic abcdef0123456789\"} ",
            b"token = s3cr3tvalue; Proxy-Authorization:\tBearer  abcdef0123456789, ok ",
            b"x password: s3cr3tvalue y Bearer abcdef0123456789 z ",
        ];
        for form in forms {
            for pad in 0..form.len() {
                let mut out = Vec::new();
                {
                    let mut w = ScrubWriter::new(default_scrubber(), &mut out);
                    w.max_pending = 4096;
                    w.write_all(&b"p ".repeat(pad)).unwrap();
                    for _ in 0..(3 * 4096 / form.len()) {
                        w.write_all(form).unwrap();
                        assert!(w.pending() <= 4096 + form.len());
                    }
                }
                let text = String::from_utf8(out).unwrap();
                for secret in ["s3cr3tvalue", "abcdef0123456789"] {
                    if let Some(at) = text.find(secret) {
                        let around = text.get(at.saturating_sub(200)..(at + 100).min(text.len()));
                        panic!("{secret} survived: …{}…", around.unwrap_or(secret));
                    }
                }
            }
        }
    }

    #[test]
    fn safe_cut_keeps_keys_and_schemes_with_their_values() {
        let p = b"a=1 Authorization: Bearer abcdef user=bob";
        let at = |w: &[u8]| p.windows(w.len()).position(|x| x == w).unwrap();
        assert_eq!(safe_cut(p, at(b"user")), at(b"user"));
        assert_eq!(safe_cut(p, at(b"abcdef")), at(b"Authorization"));
        assert_eq!(safe_cut(p, at(b"Bearer")), at(b"Authorization"));
        assert_eq!(safe_cut(p, at(b"Authorization")), at(b"Authorization"));
        assert_eq!(safe_cut(b"onlyonerun", 5), 0);
    }

    #[test]
    fn enormous_run_is_replaced_and_swallowed() {
        let mut out = Vec::new();
        {
            let mut w = ScrubWriter::new(default_scrubber(), &mut out);
            w.write_all(b"start ").unwrap();
            let run = vec![b'A'; 64 * 1024];
            for _ in 0..(MAX_PENDING / run.len() + 2) {
                w.write_all(&run).unwrap();
            }
            w.write_all(b"AAAA end\n").unwrap();
        }
        assert_eq!(out, b"start [REDACTED] end\n");
    }

    #[test]
    fn escape_round_trips() {
        let v = "a\\b\"c\nd\re \\n";
        let mut e = Vec::new();
        escape_into(v.as_bytes(), &mut e);
        assert_eq!(unescape(&e), v.as_bytes());
    }

    #[test]
    fn field_values_are_checked_in_key_context() {
        let s = default_scrubber();
        assert_eq!(scrub_value(s, "password", "hunter2").as_deref(), Some("[REDACTED]"));
        assert_eq!(scrub_value(s, "db_password", "hun\"ter").as_deref(), Some("[REDACTED]"));
        assert_eq!(scrub_value(s, "authorization", "Bearer abc123def").as_deref(), Some("Bearer [REDACTED]"));
        assert_eq!(scrub_value(s, "body", r#"{"password":"x1"}"#).as_deref(), Some(r#"{"password":"[REDACTED]"}"#));
        assert_eq!(scrub_value(s, "message", "all good"), None);
        assert_eq!(scrub_value(s, "password", "null"), None, "placeholders stay");
        assert_eq!(scrub_value(s, "token_count", "12"), None);
    }
}
