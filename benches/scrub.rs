//! Throughput of the scrubber on in-memory buffers, per detector and for the whole path.
//!
//! Each input is ~4 MiB of mixed log lines (plain text, JSON, nginx access lines), generated
//! here from a fixed seed, in which a fraction of the lines (the density: 0, 0.02 or 0.5) carries
//! exactly one secret. Clean lines include decoys (`Session … expired`, `/oauth2/token`) that the
//! literal scan reports and the verifiers reject, as real logs do. Groups:
//!
//! - `scan`: the literal prefilter alone (`Scanner::find` over the whole buffer, counting
//!   candidates), over the `scrub_buf` input;
//! - `jwt`, `bearer`, `secret_key`: `Scrubber::scrub_buf` where every secret is of that one kind
//!   (a bare signed JWT; an opaque `Bearer` value; a `password` value);
//! - `scrub_buf`: the whole path over a mix of the three kinds;
//! - `scrub_line`: one clean line and one line carrying a JWT.
//!
//! JWTs are built at bench time: base64url of a JSON header (`RS256`, random `kid`), a payload
//! with `sub`, `email`, `iss`, `exp`, and 256 random bytes as signature. Before anything is
//! timed, every input is scrubbed once and its finding counts must equal what was inserted (and
//! the scan must report a candidate on exactly the secret and decoy lines), so a broken fast path
//! cannot post a good number.
//!
//! `cargo bench --bench scrub -- --warm-up-time 1 --measurement-time 3`

use std::borrow::Cow;
use std::hint::black_box;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use logscrub::scan::{LowerBlock, Scanner};
use logscrub::stats::FindingCounts;
use logscrub::{Rules, Scratch, Scrubber};
use rand::rngs::StdRng;
use rand::{Rng, RngCore, SeedableRng};

/// Size of each generated input.
const TARGET: usize = 4 * 1024 * 1024;
const DENSITIES: [f64; 3] = [0.0, 0.02, 0.5];
const SEED: u64 = 20_240_601;

const SERVICES: [&str; 8] =
    ["api-gateway", "order-service", "payment-service", "cart", "inventory", "search", "billing", "checkout"];
const PATHS: [&str; 8] = [
    "/api/v1/orders",
    "/api/v1/orders/{id}",
    "/api/v2/cart/items",
    "/api/v1/users/{id}",
    "/healthz",
    "/metrics",
    "/api/v1/products/{id}",
    "/static/js/app.{id}.js",
];
const AGENTS: [&str; 4] = [
    "Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0",
    "curl/8.5.0",
    "Go-http-client/1.1",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Safari/605.1.15",
];
const NAMES: [&str; 8] = ["james", "mary", "wei", "priya", "ahmed", "olga", "lars", "ana"];
const LEVELS: [&str; 4] = ["INFO", "INFO", "DEBUG", "WARN"];

/// What kind of secret the token lines of an input carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Jwt,
    Bearer,
    SecretKey,
    /// One of the three above per line, at random.
    Mixed,
}

/// A generated input and what was put into it.
struct Input {
    buf: Vec<u8>,
    /// Findings inserted, by kind.
    want: FindingCounts,
    /// Lines that carry a secret.
    token_lines: u64,
    /// Lines on which the literal scan must report a candidate (secrets and decoys).
    candidate_lines: u64,
}

struct Gen {
    rng: StdRng,
    /// Milliseconds since the epoch, for timestamps.
    t: u64,
}

impl Gen {
    fn new(seed: u64) -> Gen {
        Gen { rng: StdRng::seed_from_u64(seed), t: 1_741_910_400_000 }
    }

    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.rng.gen_range(0..xs.len())]
    }

    fn hex(&mut self, n: usize) -> String {
        (0..n).map(|_| char::from_digit(self.rng.gen_range(0..16), 16).unwrap()).collect()
    }

    /// Letters and digits, with at least one digit (so a value never reads as a prose word).
    fn word(&mut self, n: usize) -> String {
        const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let mut s: String = (0..n - 1).map(|_| char::from(ALNUM[self.rng.gen_range(0..ALNUM.len())])).collect();
        s.push(char::from(b'0' + self.rng.gen_range(0..10u8)));
        s
    }

    fn ip(&mut self) -> String {
        format!("10.{}.{}.{}", self.rng.gen_range(0..256), self.rng.gen_range(0..256), self.rng.gen_range(1..255))
    }

    fn email(&mut self) -> String {
        let (a, b) = (self.pick(&NAMES), self.pick(&NAMES));
        format!("{a}.{b}@example.com")
    }

    fn ts(&mut self) -> String {
        self.t += self.rng.gen_range(0..40);
        let (s, ms) = (self.t / 1000, self.t % 1000);
        format!("2025-03-14T{:02}:{:02}:{:02}.{ms:03}Z", (s / 3600) % 24, (s / 60) % 60, s % 60)
    }

    fn path(&mut self) -> String {
        let p = self.pick(&PATHS);
        let id = self.rng.gen_range(1..100_000).to_string();
        p.replace("{id}", &id)
    }

    /// A signed compact JWT: random `kid`, `sub`, `email`, `exp` and a 256-byte random signature.
    fn jwt(&mut self) -> String {
        let header = format!(r#"{{"alg":"RS256","typ":"JWT","kid":"{}"}}"#, self.hex(16));
        let payload = format!(
            r#"{{"sub":"user-{}","email":"{}","iss":"https://idp.example.com/","exp":{}}}"#,
            self.word(12),
            self.email(),
            1_900_000_000 + self.rng.gen_range(0..1_000_000u64),
        );
        let mut sig = [0u8; 256];
        self.rng.fill_bytes(&mut sig);
        format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(payload),
            URL_SAFE_NO_PAD.encode(sig)
        )
    }

    /// A clean line; `true` when it carries a decoy the scan reports.
    fn clean_line(&mut self, out: &mut String) -> bool {
        let ts = self.ts();
        let lvl = self.pick(&LEVELS);
        let svc = self.pick(&SERVICES);
        match self.rng.gen_range(0..20) {
            0..=7 => {
                let n = self.rng.gen_range(1000..99_999);
                let msg = match self.rng.gen_range(0..5) {
                    0 => format!("Processing order {n} for customer {} (items=3, total=42.17 EUR)", n / 7),
                    1 => format!("Cache miss for key product:{n}, loading from database"),
                    2 => format!("Request completed in {}ms with status 200", n % 900),
                    3 => format!("User {} logged in from {}", self.email(), self.ip()),
                    _ => format!("Published event order.created id={} partition=3 offset={n}", self.hex(32)),
                };
                out.push_str(&format!("{ts} {lvl:5} [{svc}] {msg}\n"));
                false
            }
            8 => {
                // Decoy: `Session` is a key name, but no value follows.
                out.push_str(&format!(
                    "{ts} {lvl:5} [{svc}] Session {} expired after 30 minutes of inactivity\n",
                    self.hex(32)
                ));
                true
            }
            9..=14 => {
                let path = self.path();
                out.push_str(&format!(
                    r#"{{"ts":"{ts}","level":"{}","service":"{svc}","msg":"request served","http":{{"method":"GET","path":"{path}","status":200,"bytes":{}}},"trace_id":"{}"}}"#,
                    lvl.to_ascii_lowercase(),
                    self.rng.gen_range(100..90_000),
                    self.hex(32),
                ));
                out.push('\n');
                false
            }
            15 => {
                // Decoy: `token` ends the path, then a space and `HTTP`.
                let ip = self.ip();
                out.push_str(&format!(
                    r#"{ip} - - [14/Mar/2025:09:12:44 +0000] "POST /oauth2/token HTTP/1.1" 200 812 "-" "{}" rt=0.0{}"#,
                    self.pick(&AGENTS),
                    self.rng.gen_range(10..99),
                ));
                out.push('\n');
                true
            }
            _ => {
                let (ip, path, agent) = (self.ip(), self.path(), self.pick(&AGENTS));
                out.push_str(&format!(
                    r#"{ip} - - [14/Mar/2025:09:12:44 +0000] "GET {path} HTTP/1.1" 200 {} "-" "{agent}" rt=0.0{}"#,
                    self.rng.gen_range(100..90_000),
                    self.rng.gen_range(10..99),
                ));
                out.push('\n');
                false
            }
        }
    }

    /// A line carrying exactly one secret of `kind`; returns the kind actually inserted.
    fn token_line(&mut self, kind: Kind, out: &mut String) -> Kind {
        let kind = match kind {
            Kind::Mixed => [Kind::Jwt, Kind::Bearer, Kind::SecretKey][self.rng.gen_range(0..3)],
            k => k,
        };
        let ts = self.ts();
        let svc = self.pick(&SERVICES);
        let (ip, path) = (self.ip(), self.path());
        let style = self.rng.gen_range(0..3);
        let line = match kind {
            Kind::Jwt => {
                let t = self.jwt();
                match style {
                    0 => format!("{ts} DEBUG [{svc}] verified credential {t} for {}", self.email()),
                    1 => format!(r#"{{"ts":"{ts}","level":"debug","service":"{svc}","jwt":"{t}","status":200}}"#),
                    _ => format!(r#"{ip} - - [14/Mar/2025:09:12:44 +0000] "GET {path}?jwt={t} HTTP/1.1" 200 512"#),
                }
            }
            Kind::Bearer => {
                let v = self.word(40);
                match style {
                    0 => format!("{ts} DEBUG [{svc}] outgoing headers: Authorization: Bearer {v}"),
                    1 => format!(
                        r#"{{"ts":"{ts}","level":"debug","service":"{svc}","headers":{{"authorization":"Bearer {v}"}}}}"#
                    ),
                    _ => format!(r#"{ip} - - [14/Mar/2025:09:12:44 +0000] "GET {path} HTTP/1.1" 200 512 "Bearer {v}""#),
                }
            }
            Kind::SecretKey | Kind::Mixed => {
                let v = self.word(16);
                match style {
                    0 => format!("ts={ts} level=info svc={svc} msg=\"db connect\" user=app db_password={v} host=db-1"),
                    1 => format!(r#"{{"ts":"{ts}","level":"info","service":"{svc}","user":"app","password":"{v}"}}"#),
                    _ => format!(
                        r#"{ip} - - [14/Mar/2025:09:12:44 +0000] "GET /login?user=app&password={v}&next=/ HTTP/1.1" 302 0"#
                    ),
                }
            }
        };
        out.push_str(&line);
        out.push('\n');
        kind
    }
}

/// ~[`TARGET`] bytes of lines, a `density` fraction of them carrying one secret of `kind`.
fn input(kind: Kind, density: f64) -> Input {
    let mut g = Gen::new(SEED);
    let mut s = String::with_capacity(TARGET + 4096);
    let mut want = FindingCounts::default();
    let (mut token_lines, mut candidate_lines) = (0, 0);
    while s.len() < TARGET {
        if density > 0.0 && g.rng.gen_bool(density) {
            match g.token_line(kind, &mut s) {
                Kind::Jwt => want.jws += 1,
                Kind::Bearer => want.bearer += 1,
                _ => want.secret_key += 1,
            }
            token_lines += 1;
            candidate_lines += 1;
        } else if g.clean_line(&mut s) {
            candidate_lines += 1;
        }
    }
    Input { buf: s.into_bytes(), want, token_lines, candidate_lines }
}

/// Scrubs `inp` once and checks the findings are exactly what was inserted.
fn verify(scrubber: &Scrubber, inp: &Input, what: &str) {
    let mut scratch = Scratch::default();
    let out = scrubber.scrub_buf(&inp.buf, &mut scratch).to_vec();
    let stats = scratch.take_stats();
    assert_eq!(stats.findings, inp.want, "{what}: findings");
    assert_eq!(stats.lines_changed, inp.token_lines, "{what}: lines changed");
    assert_eq!(out.len() == inp.buf.len(), inp.token_lines == 0, "{what}: output length");
}

/// Lines (by index) holding a scan candidate.
fn candidate_lines(scanner: &Scanner, buf: &[u8]) -> u64 {
    let starts: Vec<usize> = std::iter::once(0).chain(memchr::memchr_iter(b'\n', buf).map(|i| i + 1)).collect();
    let mut lines: Vec<usize> =
        scanner.candidates(buf).map(|c| starts.partition_point(|&s| s <= c.start) - 1).collect();
    lines.dedup();
    lines.len() as u64
}

/// Candidates in `buf`: the loop `Scrubber::scrub_buf` runs, without verifying.
fn count_candidates(scanner: &Scanner, buf: &[u8], block: &mut LowerBlock) -> usize {
    block.invalidate();
    let (mut n, mut at) = (0, 0);
    while let Some(c) = scanner.find(buf, at, block) {
        n += 1;
        at = c.end;
    }
    n
}

fn bench(c: &mut Criterion) {
    let rules = Rules::embedded();
    let scrubber = Scrubber::new(&rules).expect("embedded rules");
    let scanner = Scanner::new(&rules);

    // (group, density, input); the `scrub_buf` inputs mix the three kinds.
    let mut inputs: Vec<(&str, f64, Input)> = Vec::new();
    let kinds =
        [("jwt", Kind::Jwt), ("bearer", Kind::Bearer), ("secret_key", Kind::SecretKey), ("scrub_buf", Kind::Mixed)];
    for (name, kind) in kinds {
        for d in DENSITIES {
            let inp = input(kind, d);
            verify(&scrubber, &inp, &format!("{name}/{d}"));
            if d > 0.0 {
                assert!(inp.token_lines > 0, "{name}/{d}: no secret inserted");
            }
            if kind == Kind::Mixed {
                let lines = candidate_lines(&scanner, &inp.buf);
                assert_eq!(lines, inp.candidate_lines, "scan/{d}: lines with a candidate");
                if d > 0.0 {
                    assert!(inp.want.jws > 0 && inp.want.bearer > 0 && inp.want.secret_key > 0);
                }
            }
            inputs.push((name, d, inp));
        }
    }

    let mut g = c.benchmark_group("scan");
    let mut block = LowerBlock::default();
    for (_, d, inp) in inputs.iter().filter(|(n, _, _)| *n == "scrub_buf") {
        let n = count_candidates(&scanner, &inp.buf, &mut block);
        assert_eq!(n, scanner.candidates(&inp.buf).count(), "scan/{d}: the find loop and `candidates` agree");
        assert!(n as u64 >= inp.candidate_lines, "scan/{d}: candidates");
        g.throughput(Throughput::Bytes(inp.buf.len() as u64));
        g.bench_with_input(BenchmarkId::from_parameter(d), &inp.buf, |b, buf| {
            b.iter(|| count_candidates(&scanner, black_box(buf), &mut block))
        });
    }
    g.finish();

    let mut scratch = Scratch::default();
    for (group, _) in kinds {
        let mut g = c.benchmark_group(group);
        for (_, d, inp) in inputs.iter().filter(|(n, _, _)| *n == group) {
            g.throughput(Throughput::Bytes(inp.buf.len() as u64));
            g.bench_with_input(BenchmarkId::from_parameter(d), &inp.buf, |b, buf| {
                b.iter(|| scrubber.scrub_buf(black_box(buf), &mut scratch).len())
            });
        }
        g.finish();
    }

    let mut gen_ = Gen::new(SEED + 1);
    let mut clean = String::new();
    loop {
        clean.clear();
        if !gen_.clean_line(&mut clean) {
            break; // not a decoy
        }
    }
    let clean = clean.trim_end().as_bytes().to_vec();
    let mut token = String::new();
    gen_.token_line(Kind::Jwt, &mut token);
    let token = token.trim_end().as_bytes().to_vec();
    scratch.take_stats();
    assert!(matches!(scrubber.scrub_line(&clean, &mut scratch), Cow::Borrowed(_)));
    assert!(matches!(scrubber.scrub_line(&token, &mut scratch), Cow::Owned(_)));
    assert_eq!(scratch.take_stats().findings, FindingCounts { jws: 1, ..FindingCounts::default() });
    let mut g = c.benchmark_group("scrub_line");
    for (name, line) in [("clean", &clean), ("jwt", &token)] {
        g.throughput(Throughput::Bytes(line.len() as u64));
        g.bench_with_input(BenchmarkId::from_parameter(name), line, |b, line| {
            b.iter(|| scrubber.scrub_line(black_box(line), &mut scratch).len())
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
