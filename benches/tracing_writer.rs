//! Cost per event of `tracing_subscriber::fmt` with and without scrubbing.
//!
//! Every subscriber writes to `std::io::sink`, so only formatting and scrubbing are timed
//! (tracing-subscriber's `benches/fmt.rs` uses a `NoWriter` the same way). Cases: a clean
//! event, and the same event carrying a signed token in its `authorization` field. Before
//! timing, each setup's real output is captured once and checked: the token event must come out
//! redacted through the scrubbing setups, and the clean event must be unchanged.
//!
//! `cargo bench --bench tracing_writer --features tracing -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::io;
use std::sync::{Arc, Mutex};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use logscrub::tracing_writer::{ScrubFields, ScrubMakeWriter};
use rand::RngCore;
use rand::distributions::{Alphanumeric, DistString};
use tracing::{Dispatch, info};
use tracing_subscriber::fmt::MakeWriter;

/// An HS256 token with a random key and random claims.
fn mint() -> String {
    let mut key = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut key);
    let word = |n| Alphanumeric.sample_string(&mut rand::thread_rng(), n);
    let claims = serde_json::json!({
        "sub": format!("user-{}", word(12)),
        "email": format!("{}@mail.example", word(8)),
        "iss": "https://idp.example",
        "aud": "web",
        "exp": 1_900_000_000u64,
    });
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(&key)).expect("mint")
}

fn clean_event() {
    info!(user = "bob", status = 200, path = "/api/items/42", latency_ms = 12, "request served");
}

fn token_event(token: &str) {
    info!(authorization = %format_args!("Bearer {token}"), status = 200, path = "/api/items/42", "request served");
}

/// The setups compared, each over `w`.
fn setups<W>(w: W) -> Vec<(&'static str, Dispatch)>
where
    W: for<'a> MakeWriter<'a> + Clone + Send + Sync + 'static,
{
    use tracing_subscriber::fmt;
    vec![
        ("plain", Dispatch::new(fmt().with_ansi(false).with_writer(w.clone()).finish())),
        (
            "scrub_writer",
            Dispatch::new(fmt().with_ansi(false).with_writer(ScrubMakeWriter::with_default_rules(w.clone())).finish()),
        ),
        (
            "scrub_writer+fields",
            Dispatch::new(
                fmt()
                    .with_ansi(false)
                    .fmt_fields(ScrubFields::default())
                    .with_writer(ScrubMakeWriter::with_default_rules(w))
                    .finish(),
            ),
        ),
    ]
}

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
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

/// Checks what each setup really writes before anything is timed.
fn verify(token: &str) {
    let signature = token.rsplit('.').next().unwrap();
    for (i, (name, _)) in setups(Capture::default()).into_iter().enumerate() {
        let cap = Capture::default();
        let d = setups(cap.clone()).swap_remove(i).1;
        tracing::dispatcher::with_default(&d, || {
            clean_event();
            token_event(token);
        });
        let out = String::from_utf8(cap.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2, "{name}: {out}");
        assert!(lines[0].ends_with(r#"request served user="bob" status=200 path="/api/items/42" latency_ms=12"#));
        if name == "plain" {
            assert!(lines[1].contains(signature), "plain output keeps the token");
        } else {
            assert!(!lines[1].contains(signature) && lines[1].contains(".REDACTED"), "{name}: not redacted: {out}");
        }
    }
}

fn bench(c: &mut Criterion) {
    let token = mint();
    verify(&token);
    let mut group = c.benchmark_group("fmt_event");
    group.throughput(Throughput::Elements(1));
    for (name, dispatch) in setups(io::sink) {
        tracing::dispatcher::with_default(&dispatch, || {
            group.bench_function(format!("clean/{name}"), |b| b.iter(clean_event));
            group.bench_function(format!("token/{name}"), |b| b.iter(|| token_event(black_box(&token))));
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
