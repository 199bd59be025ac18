//! `logscrub::tracing_writer` under real `tracing_subscriber::fmt` subscribers.
//!
//! Every token, password and session id is minted at test time (HS256 with a random key and
//! random claim values); nothing secret-looking is in this file. Each test captures what a
//! subscriber writes through a `MakeWriter` over `Arc<Mutex<Vec<u8>>>` (tracing-subscriber's
//! own `MockMakeWriter` pattern) under a scoped default subscriber, then asserts that nothing
//! secret remains and that the rest of each event — level, target, span, other fields, message
//! text — is intact.
//!
//! This is its own test binary because it installs a counting global allocator
//! (`stats_alloc`, which needs no `unsafe` of ours) for the zero-allocation checks.

use std::alloc::System;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use b64::Engine as _;
use b64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use logscrub::tracing_writer::{ScrubFields, ScrubMakeWriter, ScrubWriter, default_scrubber};
use rand::distributions::{Alphanumeric, DistString};
use rand::{Rng, RngCore};
use serde_json::{Value, json};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use tracing::{Dispatch, Level, info, info_span, warn};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::DefaultFields;
use tracing_subscriber::fmt::writer::MakeWriterExt;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Tests run one at a time, so the allocation counts see only their own thread's work.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

// === minted secrets ===

/// A signed ID token and the other secrets of one test run.
struct Secrets {
    /// `header.payload.signature`.
    token: String,
    header: String,
    payload: String,
    signature: String,
    /// Claim values the default rules redact.
    sub: String,
    email: String,
    /// A claim value the default rules keep.
    iss: String,
    /// An opaque bearer token, a password and a session id.
    opaque: String,
    password: String,
    session: String,
}

fn random_word(n: usize) -> String {
    Alphanumeric.sample_string(&mut rand::thread_rng(), n)
}

fn mint() -> Secrets {
    let mut rng = rand::thread_rng();
    let mut key = [0u8; 32];
    rng.fill_bytes(&mut key);
    let sub = format!("user-{}", random_word(12));
    let email = format!("{}@{}.example", random_word(8).to_lowercase(), random_word(6).to_lowercase());
    let iss = format!("https://idp-{}.example", random_word(6).to_lowercase());
    let claims = json!({
        "sub": sub,
        "email": email,
        "name": random_word(10),
        "iss": iss,
        "aud": "web",
        "iat": 1_700_000_000u64,
        "exp": 1_700_000_000u64 + rng.gen_range(600..86_400u64),
        "nonce": random_word(16),
    });
    let token =
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(&key)).expect("mint");
    let mut parts = token.split('.').map(str::to_owned);
    let (header, payload, signature) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
    Secrets {
        token,
        header,
        payload,
        signature,
        sub,
        email,
        iss,
        opaque: format!("at_{}", random_word(32)),
        password: format!("pw{}", random_word(14)),
        session: random_word(26),
    }
}

/// Logs the secrets in a message, event fields and span fields, among innocent content.
fn log_secrets(s: &Secrets) {
    let span = info_span!("request", request_id = 42, id_token = %s.token, session = %s.session);
    let _enter = span.enter();
    info!(authorization = %format!("Bearer {}", s.token), user = "bob", status = 200, "accepted login for {}", "bob");
    warn!(retry = 3, "refreshing, old token was {}", s.token);
    info!(password = %s.password, attempt = 1, "password check");
    info!(authorization = %format!("Bearer {}", s.opaque), path = "/api/items", "proxied");
}

/// Asserts nothing secret survived, and the innocent parts did.
fn assert_scrubbed(what: &str, out: &str, s: &Secrets) {
    let show = || format!("--- {what} output ---\n{out}\n---");
    assert!(!out.is_empty(), "{what}: no output");
    for (name, secret) in [
        ("signature", &s.signature),
        ("payload", &s.payload),
        ("sub", &s.sub),
        ("email", &s.email),
        ("opaque bearer", &s.opaque),
        ("password", &s.password),
        ("session", &s.session),
    ] {
        assert!(!out.contains(secret.as_str()), "{what}: the {name} survived\n{}", show());
    }
    // Every token left in the output is a scrubbed one: same header, redacted claims.
    let mut tokens = 0;
    for (at, _) in out.match_indices(s.header.as_str()) {
        let rest = out.get(at..).unwrap();
        let tok = rest.split(|c: char| !(c.is_ascii_alphanumeric() || "-_.".contains(c))).next().unwrap();
        let parts: Vec<&str> = tok.split('.').collect();
        assert_eq!(parts.len(), 3, "{what}: a token lost its shape: {tok}\n{}", show());
        assert_eq!(parts[2], "REDACTED", "{what}: signature marker\n{}", show());
        let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["sub"], "[REDACTED]", "{what}");
        assert_eq!(claims["email"], "[REDACTED]", "{what}");
        assert_eq!(claims["iss"], s.iss.as_str(), "{what}: kept claims stay");
        tokens += 1;
    }
    assert!(tokens >= 2, "{what}: the token header should survive in message and fields ({tokens})\n{}", show());
    for keep in ["INFO", "WARN", "tracing_writer", "request", "42", "bob", "200", "/api/items", "3", "1"] {
        assert!(out.contains(keep), "{what}: lost {keep:?}\n{}", show());
    }
    for text in ["accepted login for bob", "refreshing, old token was ", "password check", "proxied"] {
        assert!(out.contains(text), "{what}: lost message {text:?}\n{}", show());
    }
    assert!(out.contains("Bearer [REDACTED]"), "{what}: scheme word kept\n{}", show());
}

// === capture ===

/// tracing-subscriber's `MockMakeWriter`: every write appends to a shared buffer; `writes`
/// counts `write` calls.
#[derive(Clone, Default)]
struct Capture {
    buf: Arc<Mutex<Vec<u8>>>,
    writes: Arc<AtomicUsize>,
}

impl Capture {
    fn text(&self) -> String {
        String::from_utf8(self.buf.lock().unwrap().clone()).expect("utf-8 output")
    }
    fn writes(&self) -> usize {
        self.writes.load(Ordering::SeqCst)
    }
}

impl io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.buf.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Capture {
        self.clone()
    }
}

fn scrubbing(cap: &Capture) -> ScrubMakeWriter<Capture> {
    ScrubMakeWriter::with_default_rules(cap.clone())
}

/// The formats under test, each writing to `w`.
fn formats<W>(w: W) -> Vec<(&'static str, Dispatch)>
where
    W: for<'a> MakeWriter<'a> + Clone + Send + Sync + 'static,
{
    use tracing_subscriber::fmt;
    vec![
        ("full", Dispatch::new(fmt().with_ansi(false).with_writer(w.clone()).finish())),
        ("full+ansi", Dispatch::new(fmt().with_ansi(true).with_writer(w.clone()).finish())),
        ("compact", Dispatch::new(fmt().compact().with_ansi(false).with_writer(w.clone()).finish())),
        ("compact+ansi", Dispatch::new(fmt().compact().with_ansi(true).with_writer(w.clone()).finish())),
        ("pretty", Dispatch::new(fmt().pretty().with_ansi(false).with_writer(w.clone()).finish())),
        ("pretty+ansi", Dispatch::new(fmt().pretty().with_ansi(true).with_writer(w.clone()).finish())),
        ("json", Dispatch::new(fmt().json().with_current_span(true).with_span_list(true).with_writer(w).finish())),
    ]
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c == '\x1b' && it.peek() == Some(&'[') {
            for d in it.by_ref() {
                if ('@'..='~').contains(&d) && d != '[' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

// === the writer, per format ===

#[test]
fn every_fmt_format_is_scrubbed_and_otherwise_intact() {
    let _s = serial();
    let s = mint();
    for (name, _) in formats(Capture::default()) {
        let cap = Capture::default();
        let dispatch = formats(scrubbing(&cap)).into_iter().find(|(n, _)| *n == name).unwrap().1;
        tracing::dispatcher::with_default(&dispatch, || log_secrets(&s));
        let out = cap.text();
        assert_scrubbed(name, &strip_ansi(&out), &s);
        assert_eq!(cap.writes(), 4, "{name}: one write per event, scrubbed or not");
    }
}

#[test]
fn json_events_stay_valid_json_with_their_fields() {
    let _s = serial();
    let s = mint();
    let cap = Capture::default();
    let sub = tracing_subscriber::fmt()
        .json()
        .with_current_span(true)
        .with_span_list(true)
        .with_writer(scrubbing(&cap))
        .finish();
    tracing::subscriber::with_default(sub, || log_secrets(&s));
    let out = cap.text();
    assert_scrubbed("json", &out, &s);
    let events: Vec<Value> = out.lines().map(|l| serde_json::from_str(l).expect("valid JSON line")).collect();
    assert_eq!(events.len(), 4);
    let e = &events[0];
    assert_eq!(e["level"], "INFO");
    assert_eq!(e["target"], "tracing_writer");
    assert_eq!(e["fields"]["message"], "accepted login for bob");
    assert_eq!(e["fields"]["user"], "bob");
    assert_eq!(e["fields"]["status"], 200);
    assert_eq!(e["span"]["name"], "request");
    assert_eq!(e["span"]["request_id"], 42);
    assert_eq!(e["span"]["session"], "[REDACTED]");
    assert!(e["span"]["id_token"].as_str().unwrap().ends_with(".REDACTED"));
    assert_eq!(events[1]["level"], "WARN");
    assert_eq!(events[1]["fields"]["retry"], 3);
    assert_eq!(events[2]["fields"]["password"], "[REDACTED]");
    assert_eq!(events[2]["fields"]["attempt"], 1);
    assert_eq!(events[3]["fields"]["authorization"], "Bearer [REDACTED]");
}

#[test]
fn clean_events_are_byte_identical_to_plain_fmt() {
    let _s = serial();
    let clean = || {
        let span = info_span!("job", id = 7, host = "db-1.example.com");
        let _enter = span.enter();
        info!(version = "1.2.3", file = "app.tar.gz", elapsed_ms = 12.5, "started {} workers", 4);
        warn!(retries = 2, reason = ?Some("timeout"), "slow upstream");
        info!(r#type = "batch", ok = true, "done\twith \"quotes\" and ünïcode");
    };
    use tracing_subscriber::fmt;
    // (capture, scrub?, ansi?) -> subscriber
    type Build = fn(Capture, bool, bool) -> Dispatch;
    let builds: [(&str, Build); 5] = [
        ("full", |w, f, a| Dispatch::new(fmt().without_time().with_ansi(a).with_writer(ScrubOr(w, f)).finish())),
        ("compact", |w, f, a| {
            Dispatch::new(fmt().compact().without_time().with_ansi(a).with_writer(ScrubOr(w, f)).finish())
        }),
        ("pretty", |w, f, a| {
            Dispatch::new(fmt().pretty().without_time().with_ansi(a).with_writer(ScrubOr(w, f)).finish())
        }),
        ("json", |w, f, _| {
            Dispatch::new(fmt().json().with_span_list(true).without_time().with_writer(ScrubOr(w, f)).finish())
        }),
        ("full+ScrubFields", |w, f, a| {
            let b = fmt().without_time().with_ansi(a);
            if f {
                Dispatch::new(b.fmt_fields(ScrubFields::default()).with_writer(ScrubOr(w, f)).finish())
            } else {
                Dispatch::new(b.fmt_fields(DefaultFields::new()).with_writer(w).finish())
            }
        }),
    ];
    for (name, build) in builds {
        for ansi in [false, true] {
            let plain = Capture::default();
            tracing::dispatcher::with_default(&build(plain.clone(), false, ansi), clean);
            let scrubbed = Capture::default();
            tracing::dispatcher::with_default(&build(scrubbed.clone(), true, ansi), clean);
            assert!(!plain.text().is_empty());
            assert_eq!(plain.text(), scrubbed.text(), "{name} (ansi: {ansi}): clean output must be byte-identical");
        }
    }
}

/// A `MakeWriter` that is either plain or scrubbing, so both runs share one subscriber type.
#[derive(Clone)]
struct ScrubOr(Capture, bool);

impl<'a> MakeWriter<'a> for ScrubOr {
    type Writer = Box<dyn io::Write + 'a>;
    fn make_writer(&'a self) -> Self::Writer {
        if self.1 { Box::new(ScrubWriter::new(default_scrubber(), self.0.clone())) } else { Box::new(self.0.clone()) }
    }
}

// === fields ===

#[test]
fn scrub_fields_cleans_span_and_event_fields_even_with_colours() {
    let _s = serial();
    let s = mint();
    let cap = Capture::default();
    // Fields only, no writer scrubbing: field values must be clean on their own.
    let sub =
        tracing_subscriber::fmt().with_ansi(true).fmt_fields(ScrubFields::default()).with_writer(cap.clone()).finish();
    tracing::subscriber::with_default(sub, || {
        let span = info_span!("request", request_id = 42, id_token = %s.token, session = %s.session);
        let _enter = span.enter();
        info!(authorization = %format!("Bearer {}", s.token), user = "bob", status = 200, "accepted login for {}", "bob");
        info!(password = %s.password, db_password = 1234_5678u64, attempt = 1, "password check");
        info!(body = %format!(r#"{{"client_secret":"{}","grant":"code"}}"#, s.opaque), "token exchange");
    });
    let out = strip_ansi(&cap.text());
    for secret in [&s.signature, &s.payload, &s.session, &s.password, &s.opaque, &"12345678".to_string()] {
        assert!(!out.contains(secret.as_str()), "field secret survived:\n{out}");
    }
    for keep in [
        "request_id=42",
        "user=\"bob\"",
        "status=200",
        "attempt=1",
        "accepted login for bob",
        "password=[REDACTED]",
        "db_password=\"[REDACTED]\"",
        "session=[REDACTED]",
        "authorization=Bearer ",
        "\"grant\":\"code\"",
        "\"client_secret\":\"[REDACTED]\"",
    ] {
        assert!(out.contains(keep), "lost {keep:?}:\n{out}");
    }
    assert!(out.contains(&format!("id_token={}.", s.header)), "token header kept:\n{out}");
}

#[test]
fn scrub_fields_reads_suffixed_secret_names_as_the_scanner_does() {
    let _s = serial();
    let cap = Capture::default();
    let sub =
        tracing_subscriber::fmt().with_ansi(false).fmt_fields(ScrubFields::default()).with_writer(cap.clone()).finish();
    tracing::subscriber::with_default(sub, || {
        info!(password_hash = 1234_5678u64, password2 = 8765_4321u64, password_length = 12, token_count = 3, "reset");
    });
    let out = cap.text();
    for secret in ["12345678", "87654321"] {
        assert!(!out.contains(secret), "field secret survived:\n{out}");
    }
    for keep in ["password_hash=\"[REDACTED]\"", "password2=\"[REDACTED]\"", "password_length=12", "token_count=3"] {
        assert!(out.contains(keep), "lost {keep:?}:\n{out}");
    }
}

#[test]
fn pretty_span_fields_are_scrubbed_by_scrub_fields() {
    let _s = serial();
    let s = mint();
    let cap = Capture::default();
    let sub = tracing_subscriber::fmt()
        .pretty()
        .with_ansi(false)
        .fmt_fields(ScrubFields::with_default_rules(tracing_subscriber::fmt::format::PrettyFields::new()))
        .with_writer(scrubbing(&cap))
        .finish();
    tracing::subscriber::with_default(sub, || log_secrets(&s));
    assert_scrubbed("pretty+ScrubFields", &cap.text(), &s);
}

// === writers around and inside ===

#[test]
fn non_blocking_appender_gets_scrubbed_events() {
    let _s = serial();
    let s = mint();
    // Scrub on the logging thread, then hand off.
    let cap = Capture::default();
    let (nb, guard) = tracing_appender::non_blocking(cap.clone());
    let sub = tracing_subscriber::fmt().with_ansi(false).with_writer(ScrubMakeWriter::with_default_rules(nb)).finish();
    tracing::subscriber::with_default(sub, || log_secrets(&s));
    drop(guard); // flushes the worker
    assert_scrubbed("non_blocking(outer)", &cap.text(), &s);

    // Hand off, then scrub on the worker thread.
    let cap = Capture::default();
    let (nb, guard) = tracing_appender::non_blocking(ScrubWriter::new(default_scrubber(), cap.clone()));
    let sub = tracing_subscriber::fmt().with_ansi(false).with_writer(nb).finish();
    tracing::subscriber::with_default(sub, || log_secrets(&s));
    drop(guard);
    assert_scrubbed("non_blocking(inner)", &cap.text(), &s);
}

#[test]
fn make_writer_for_keeps_level_routing() {
    let _s = serial();
    let s = mint();
    let (warns, rest) = (Capture::default(), Capture::default());
    let inner = warns.clone().with_max_level(Level::WARN).or_else(rest.clone());
    let sub =
        tracing_subscriber::fmt().with_ansi(false).with_writer(ScrubMakeWriter::with_default_rules(inner)).finish();
    tracing::subscriber::with_default(sub, || log_secrets(&s));
    let (w, r) = (warns.text(), rest.text());
    assert_eq!(w.lines().count(), 1, "only the WARN event goes to the WARN writer:\n{w}");
    assert!(w.contains("WARN") && !w.contains("INFO"));
    assert_eq!(r.lines().count(), 3);
    assert!(!w.contains(&s.signature) && !r.contains(&s.signature) && !r.contains(&s.password));
}

#[test]
fn writes_without_newline_wait_for_flush() {
    let _s = serial();
    let s = mint();
    let cap = Capture::default();
    let mk = ScrubMakeWriter::with_default_rules(cap.clone());
    let mut w = mk.make_writer();
    let text = format!("a=1 Authorization: Bearer {} b=2", s.token);
    // Split the token across writes.
    let (x, y) = text.split_at(text.len() / 2);
    io::Write::write_all(&mut w, x.as_bytes()).unwrap();
    io::Write::write_all(&mut w, y.as_bytes()).unwrap();
    assert_eq!(cap.text(), "", "an unterminated line waits");
    io::Write::flush(&mut w).unwrap();
    let out = cap.text();
    assert!(out.starts_with("a=1 Authorization: Bearer ") && out.ends_with(".REDACTED b=2"), "{out}");
    io::Write::write_all(&mut w, format!("tail {}", s.token).as_bytes()).unwrap();
    drop(w);
    let out = cap.text();
    assert!(!out.contains(&s.signature) && out.ends_with(".REDACTED"), "drop writes the tail scrubbed: {out}");
}

// === allocations ===

/// Allocations (including reallocations) made by `f`: the minimum over a few rounds, so a
/// stray allocation by the test harness's own threads cannot fail the check.
fn allocations(mut f: impl FnMut()) -> usize {
    f(); // warm up thread-locals and lazily built state
    (0..5)
        .map(|_| {
            let region = Region::new(GLOBAL);
            f();
            let c = region.change();
            c.allocations + c.reallocations
        })
        .min()
        .unwrap()
}

#[test]
fn clean_events_cost_no_allocation_in_the_writer() {
    let _s = serial();
    // What the fmt layer hands over for one event, pre-formatted, so only scrubbing is measured.
    let event: &[u8] = b"2025-01-01T00:00:00.000000Z  INFO request{request_id=42 host=db-1.example.com}: \
        tracing_writer: started 4 workers version=\"1.2.3\" file=\"app.tar.gz\" elapsed_ms=12.5\n";
    let coloured: &[u8] = b"\x1b[2m2025-01-01T00:00:00Z\x1b[0m \x1b[32m INFO\x1b[0m \x1b[1mrequest\x1b[0m: \
        \x1b[2mtracing_writer\x1b[0m: started \x1b[3mversion\x1b[0m\x1b[2m=\x1b[0m\"1.2.3\"\n";
    // The counter sees this thread's allocations.
    assert!(allocations(|| drop(std::hint::black_box(Vec::<u8>::with_capacity(8)))) >= 1);
    let mk = ScrubMakeWriter::with_default_rules(io::sink);
    for input in [event, coloured] {
        let n = allocations(|| {
            for _ in 0..100 {
                let mut w = mk.make_writer();
                io::Write::write_all(&mut w, input).unwrap();
            }
        });
        assert_eq!(n, 0, "clean events must not allocate: {}", String::from_utf8_lossy(input));
    }
    // A token event allocates (the scrubbed copy), but is still scrubbed.
    let s = mint();
    let dirty = format!("INFO msg authorization=\"Bearer {}\"\n", s.token);
    let cap = Capture::default();
    io::Write::write_all(&mut ScrubMakeWriter::with_default_rules(cap.clone()).make_writer(), dirty.as_bytes())
        .unwrap();
    assert!(!cap.text().contains(&s.signature));
}

#[test]
fn scrubbing_adds_no_allocation_to_a_clean_fmt_event() {
    let _s = serial();
    let event = || {
        info!(version = "1.2.3", file = "app.tar.gz", elapsed_ms = 12.5, "started {} workers", 4);
    };
    let count = |d: Dispatch| {
        tracing::dispatcher::with_default(&d, || {
            allocations(|| {
                for _ in 0..50 {
                    event();
                }
            })
        })
    };
    use tracing_subscriber::fmt;
    let plain = count(Dispatch::new(fmt().with_writer(io::sink).finish()));
    let scrubbed = count(Dispatch::new(fmt().with_writer(ScrubMakeWriter::with_default_rules(io::sink)).finish()));
    assert_eq!(scrubbed, plain, "the writer adds allocations to clean events");
    let plain = count(Dispatch::new(fmt().fmt_fields(DefaultFields::new()).with_writer(io::sink).finish()));
    let fields = count(Dispatch::new(
        fmt().fmt_fields(ScrubFields::default()).with_writer(ScrubMakeWriter::with_default_rules(io::sink)).finish(),
    ));
    assert_eq!(fields, plain, "ScrubFields adds allocations to clean events");
}

#[test]
fn random_noise_never_trips_the_writer() {
    let _s = serial();
    // Random printable text without secrets passes unchanged, however it is split.
    let mut rng = rand::thread_rng();
    for _ in 0..200 {
        let n = rng.gen_range(0..300);
        let line: String = (0..n)
            .map(|_| {
                let c = rng.gen_range(0..40u8);
                match c {
                    0 => ' ',
                    1 => '\n',
                    2 => '.',
                    _ => (b'a' + (c % 26)) as char,
                }
            })
            .collect();
        let cut = rng.gen_range(0..=line.len());
        let cap = Capture::default();
        {
            let mk = scrubbing(&cap);
            let mut w = mk.make_writer();
            io::Write::write_all(&mut w, &line.as_bytes()[..cut]).unwrap();
            io::Write::write_all(&mut w, &line.as_bytes()[cut..]).unwrap();
        }
        assert_eq!(cap.text(), line);
    }
}
