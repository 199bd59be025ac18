//! The clean path allocates nothing: a counting global allocator over the scrubber.
//!
//! This is its own test binary because it installs a counting `#[global_allocator]`
//! (`stats_alloc`, which needs no `unsafe` of ours). The counts are process-wide, so the tests
//! run one at a time (a mutex) and each count is the minimum over a few rounds: a stray
//! allocation by the test harness's own threads cannot fail a check, while an allocation the
//! measured code makes on every call still shows in every round.
//!
//! - `Scrubber::scrub_buf` over 1000 clean lines: zero allocations once the [`Scratch`] has
//!   grown (its first call), also when clean lines hold decoy literals (`Session`, `/token`) that
//!   the scan reports and the verifiers reject.
//! - `Scrubber::scrub_line` on clean lines: zero allocations and `Cow::Borrowed`.
//! - `io::stream::scrub_stream` from a `&[u8]` into `io::sink()`: the same allocation count for
//!   1 MiB and 8 MiB of clean input (the framer and scratch buffers, once), and none at all when
//!   the framer and scratch are reused.

use std::alloc::System;
use std::borrow::Cow;
use std::io;
use std::sync::{Mutex, MutexGuard};

use logscrub::frame::{FrameConfig, Framer};
use logscrub::io::stream::scrub_stream;
use logscrub::{Rules, Scratch, Scrubber};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Allocations (including reallocations) made by `f`, the minimum over `rounds`. No warm-up:
/// callers warm up what they mean to.
fn allocations(rounds: usize, mut f: impl FnMut()) -> usize {
    (0..rounds)
        .map(|_| {
            let region = Region::new(GLOBAL);
            f();
            let c = region.change();
            c.allocations + c.reallocations
        })
        .min()
        .unwrap()
}

/// Clean log lines of several shapes; with `decoys`, some hold literals the scan reports.
fn clean_lines(n: usize, decoys: bool) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| {
            let line = match i % 5 {
                0 => format!("2025-03-14T09:12:{:02}.{i:03}Z INFO [order-service] Processing order {i} (items=3)", i % 60),
                1 => format!(
                    r#"{{"ts":"2025-03-14T09:12:44Z","level":"info","msg":"request served","http":{{"path":"/api/v1/orders/{i}","status":200}}}}"#
                ),
                2 => format!(
                    r#"10.0.{}.{} - - [14/Mar/2025:09:12:44 +0000] "GET /api/v1/items/{i} HTTP/1.1" 200 512 "-" "curl/8.5.0""#,
                    i % 256,
                    i % 200 + 1
                ),
                3 if decoys => format!("2025-03-14T09:12:44Z INFO Session {i:08x} expired after 30 minutes"),
                4 if decoys => format!(r#"10.0.0.{} - - [14/Mar/2025] "POST /oauth2/token HTTP/1.1" 200 812"#, i % 200 + 1),
                _ => format!("ts=2025-03-14T09:12:44Z level=debug msg=\"cache miss\" key=product:{i} version=1.2.{i}"),
            };
            line.into_bytes()
        })
        .collect()
}

fn buffer(lines: &[Vec<u8>]) -> Vec<u8> {
    let mut buf = Vec::new();
    for l in lines {
        buf.extend_from_slice(l);
        buf.push(b'\n');
    }
    buf
}

fn scrubber() -> Scrubber {
    Scrubber::new(&Rules::embedded()).expect("embedded rules")
}

#[test]
fn scrub_buf_over_clean_lines_allocates_nothing() {
    let _s = serial();
    let scrubber = scrubber();
    for decoys in [false, true] {
        let buf = buffer(&clean_lines(1000, decoys));
        let mut scratch = Scratch::default();
        // Warm-up: the first call grows the scratch buffers.
        assert!(scrubber.scrub_buf(&buf, &mut scratch).is_unchanged());
        let mut len = 0;
        let n = allocations(5, || {
            let out = scrubber.scrub_buf(&buf, &mut scratch);
            assert!(out.is_unchanged());
            len = out.len();
        });
        assert_eq!(len, buf.len());
        assert_eq!(scratch.take_stats().findings.total(), 0);
        assert_eq!(n, 0, "scrub_buf over 1000 clean lines (decoys: {decoys}) allocated");
    }
}

#[test]
fn scrub_line_on_clean_lines_allocates_nothing_and_borrows() {
    let _s = serial();
    let scrubber = scrubber();
    let lines = clean_lines(1000, true);
    let mut scratch = Scratch::default();
    for l in &lines {
        assert!(matches!(scrubber.scrub_line(l, &mut scratch), Cow::Borrowed(_)));
    }
    let mut borrowed = 0;
    let n = allocations(5, || {
        borrowed = 0;
        for l in &lines {
            if let Cow::Borrowed(out) = scrubber.scrub_line(l, &mut scratch) {
                assert_eq!(out, &l[..]);
                borrowed += 1;
            }
        }
    });
    assert_eq!(borrowed, lines.len(), "every clean line comes back borrowed");
    assert_eq!(n, 0, "scrub_line on clean lines allocated");
}

#[test]
fn scrub_stream_allocations_do_not_grow_with_input_size() {
    let _s = serial();
    let scrubber = scrubber();
    let block = buffer(&clean_lines(1000, true));
    let input = |mib: usize| -> Vec<u8> {
        let mut v = Vec::with_capacity(mib << 20);
        while v.len() + block.len() <= mib << 20 {
            v.extend_from_slice(&block);
        }
        v
    };
    let (small, large) = (input(1), input(8));
    // A fresh framer and scratch per run: their buffers are the only allocations. (Two rounds
    // each: the library is unoptimised here, and 8 MiB takes a while.)
    let fresh = |inp: &[u8]| {
        allocations(2, || {
            let mut framer = Framer::new(FrameConfig::default());
            let mut scratch = Scratch::default();
            let stats = scrub_stream(&scrubber, &mut framer, &mut scratch, &mut &inp[..], &mut io::sink(), None)
                .expect("in-memory I/O");
            assert_eq!(stats.bytes_out, inp.len() as u64);
            assert_eq!(stats.findings.total(), 0);
        })
    };
    let (a, b) = (fresh(&small), fresh(&large));
    eprintln!("scrub_stream with a fresh framer and scratch: {a} allocations for 1 MiB, {b} for 8 MiB");
    assert_eq!(a, b, "scrub_stream: {a} allocations for 1 MiB, {b} for 8 MiB");
    assert!(a > 0, "the counter sees the framer's buffer");
    assert!(a <= 8, "scrub_stream: {a} allocations for a fresh framer and scratch");

    // Reused, as across the inputs of one run: nothing at all.
    let mut framer = Framer::new(FrameConfig::default());
    let mut scratch = Scratch::default();
    scrub_stream(&scrubber, &mut framer, &mut scratch, &mut &small[..], &mut io::sink(), None).unwrap();
    let n = allocations(2, || {
        scrub_stream(&scrubber, &mut framer, &mut scratch, &mut &small[..], &mut io::sink(), None).unwrap();
    });
    assert_eq!(n, 0, "scrub_stream with a warm framer and scratch allocated");
}
