//! Load figure for the sidecar: lines/s and MiB/s through a Unix socket and a TCP input, and
//! the sidecar's memory under that load.
//!
//! ```sh
//! cargo run --release --example sidecar_load -- [LINES_PER_WRITER] [WRITERS] [TOKEN_EVERY]
//! ```
//!
//! The example starts itself again as a child process running [`logscrub::sidecar::run`] (the
//! `logscrub serve` entry point) with a Unix socket input, a TCP input and `file:/dev/null` as
//! output, so what is measured is read → frame → scrub → queue → write, not a disk, and the
//! memory figure (`VmHWM` of the child) is the sidecar's alone. For each input, `WRITERS`
//! clients (default 4) send `LINES_PER_WRITER` lines (default 250 000) as fast as the sidecar
//! takes them; one line in `TOKEN_EVERY` (default 50: 2 %) carries a freshly minted JWT, the
//! rest are access-log lines.
//! Timing stops when `/metrics` shows every line written (`logscrub_lines_out_total`).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn token() -> String {
    let secret: [u8; 32] = rand::random();
    let claims = serde_json::json!({"sub": "user-42", "email": "a@example.test", "exp": 4_102_444_800u64});
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(&secret),
    )
    .expect("mint")
}

fn corpus(lines: usize, writer: usize, token: &str, every: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(lines * 120);
    for i in 0..lines {
        if i % every == every / 2 {
            writeln!(v, "w{writer} {i} 10.0.0.{} GET /api/v1/orders Authorization: Bearer {token} 200", i % 256)
        } else {
            writeln!(
                v,
                "w{writer} {i} 10.0.0.{} - - \"GET /static/app.{}.js HTTP/1.1\" 200 5123 \"-\" \"Mozilla/5.0\"",
                i % 256,
                i % 97
            )
        }
        .expect("vec write");
    }
    v
}

/// `GET /metrics` with a throwaway HTTP/1.1 client.
fn scrape(addr: SocketAddr) -> String {
    let Ok(mut s) = TcpStream::connect(addr) else { return String::new() };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    if s.write_all(b"GET /metrics HTTP/1.1\r\nHost: load\r\nConnection: close\r\n\r\n").is_err() {
        return String::new();
    }
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    while let Ok(n) = s.read(&mut chunk) {
        if n == 0 || buf.len() > 4 << 20 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    String::from_utf8_lossy(&buf).into_owned()
}

fn metric(text: &str, sample: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(sample).and_then(|v| v.strip_prefix(' ')))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn status_kib(pid: u32, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| l.strip_prefix(key).map(|v| v.trim().trim_end_matches("kB").trim().to_string()))
        })
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--serve") {
        let cfg = logscrub::sidecar::SidecarConfig::from_path(std::path::Path::new(&args[2])).expect("config");
        if let Err(e) = logscrub::sidecar::run(cfg, None) {
            eprintln!("logscrub: {e}");
            std::process::exit(1);
        }
        return;
    }
    let per_writer: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(250_000);
    let writers: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(4);
    let every: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(50).max(1);

    let dir = tempfile::tempdir().expect("tempdir");
    let sock = dir.path().join("load.sock");
    let (tcp_port, metrics_port) = (free_port(), free_port());
    let config = dir.path().join("load.toml");
    std::fs::write(
        &config,
        format!(
            "metrics_addr = \"127.0.0.1:{metrics_port}\"\n\
             [inputs.unix]\nspec = \"unix:{}\"\n\
             [inputs.tcp]\nspec = \"tcp:127.0.0.1:{tcp_port}\"\n\
             [outputs.null]\nspec = \"file:/dev/null\"\n",
            sock.display()
        ),
    )
    .expect("write config");
    let mut child = Command::new(std::env::current_exe().expect("exe"))
        .arg("--serve")
        .arg(&config)
        .env("LOGSCRUB_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("start the sidecar");
    let metrics_addr: SocketAddr = ([127, 0, 0, 1], metrics_port).into();
    let t_start = Instant::now();
    while !scrape(metrics_addr).starts_with("HTTP/1.1 200") {
        assert!(t_start.elapsed() < Duration::from_secs(10), "the sidecar did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    let idle_rss = status_kib(child.id(), "VmRSS:");

    let tok = token();
    let data: Vec<Vec<u8>> = (0..writers).map(|w| corpus(per_writer, w, &tok, every)).collect();
    let bytes: u64 = data.iter().map(|d| d.len() as u64).sum();
    let mut seen = 0;
    for kind in ["unix", "tcp"] {
        let t0 = Instant::now();
        std::thread::scope(|s| {
            for d in &data {
                let sock = &sock;
                s.spawn(move || {
                    if kind == "unix" {
                        UnixStream::connect(sock).expect("connect").write_all(d).expect("write");
                    } else {
                        TcpStream::connect(("127.0.0.1", tcp_port)).expect("connect").write_all(d).expect("write");
                    }
                });
            }
        });
        let total = (per_writer * writers) as u64 + seen;
        while metric(&scrape(metrics_addr), "logscrub_lines_out_total{output=\"null\"}") < total {
            assert!(t0.elapsed() < Duration::from_secs(600), "the sidecar stalled");
            std::thread::sleep(Duration::from_millis(5));
        }
        seen = total;
        let secs = t0.elapsed().as_secs_f64();
        let mib = bytes as f64 / (1024.0 * 1024.0);
        println!(
            "{kind:>4}: {writers} writers x {per_writer} lines ({mib:.0} MiB) in {secs:.2} s: {:.0} lines/s, {:.0} MiB/s",
            (per_writer * writers) as f64 / secs,
            mib / secs
        );
    }
    let text = scrape(metrics_addr);
    let jws = metric(&text, "logscrub_findings_total{input=\"unix\",kind=\"jws\"}")
        + metric(&text, "logscrub_findings_total{input=\"tcp\",kind=\"jws\"}");
    println!(
        "findings jws: {jws} (expected {}); sidecar RSS idle {} MiB, peak {} MiB",
        2 * writers * (0..per_writer).filter(|i| i % every == every / 2).count(),
        idle_rss / 1024,
        status_kib(child.id(), "VmHWM:") / 1024
    );
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let status = child.wait().expect("wait");
    assert!(status.success(), "the sidecar exited with {status:?}");
}
