//! The floor under any filter at the end of a pipe: what a process that reads stdin and writes
//! it to stdout unchanged costs, with as little work per byte as a filter can do.
//!
//! ```text
//! cargo build --release --example floor
//! cat FILE | target/release/examples/floor MODE > /dev/null
//! ```
//!
//! Modes (each does the previous one's work plus its own):
//! - `copy`: reads 256 KiB at a time (logscrub's chunk size) and writes each read out whole;
//! - `lines`: also finds every line end (`memchr`), as a line-framing filter must;
//! - `eyj`: also searches every chunk for the one literal `eyJ` (`memchr::memmem`), the
//!   cheapest possible JWT prefilter (no `Bearer`, no key names, no case folding).
//!
//! `benches/floor.sh` runs these beside `cat | cat` and logscrub; `BENCHMARKS.md` explains
//! what the figures say about issue 3's targets. Not part of logscrub itself.

use std::io::{self, Read, Write};

fn main() -> io::Result<()> {
    let mode = std::env::args().nth(1).unwrap_or_else(|| "copy".into());
    let (lines, eyj) = match mode.as_str() {
        "copy" => (false, false),
        "lines" => (true, false),
        "eyj" => (true, true),
        other => {
            eprintln!("floor: unknown mode `{other}` (copy, lines, eyj)");
            std::process::exit(2);
        }
    };
    let finder = memchr::memmem::Finder::new(b"eyJ");
    let mut buf = vec![0u8; 256 * 1024];
    let (mut stdin, mut stdout) = (io::stdin().lock(), io::stdout().lock());
    // Counted so the searches cannot be optimised away; printed to stderr at the end.
    let (mut line_ends, mut hits) = (0u64, 0u64);
    loop {
        let n = match stdin.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let chunk = &buf[..n];
        if lines {
            line_ends += memchr::memchr_iter(b'\n', chunk).count() as u64;
        }
        if eyj {
            hits += finder.find_iter(chunk).count() as u64;
        }
        stdout.write_all(chunk)?;
    }
    stdout.flush()?;
    eprintln!("floor {mode}: {line_ends} line ends, {hits} eyJ");
    Ok(())
}
