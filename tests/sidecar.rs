//! End-to-end tests of the sidecar (`logscrub serve`, src/sidecar/): real Unix and TCP sockets
//! on loopback, real files in a temp dir. Every loop is bounded in count and time.
//!
//! Tokens are minted per run (HS256 with a random secret); the expected output of each line is
//! what the library's own `scrub_line` makes of it, so the tests check delivery (every line,
//! once, in per-source order) and that the sidecar scrubbed with the rules it was given.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use logscrub::sidecar::{self, DropPolicy, InputConfig, InputSpec, OutputConfig, OutputSpec, SidecarConfig};
use logscrub::{Rules, Scratch, Scrubber};

// === helpers ===

/// A fresh HS256 token (random secret, random subject) for this run.
fn mint() -> String {
    let secret: [u8; 32] = rand::random();
    let claims = serde_json::json!({
        "sub": format!("user-{}", rand::random::<u32>()),
        "email": "someone@example.test",
        "iss": "https://idp.example.test",
        "exp": 4_102_444_800u64,
    });
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(&secret),
    )
    .expect("mint")
}

/// The token's signature: it must never come out.
fn signature(token: &str) -> &str {
    token.rsplit('.').next().unwrap()
}

fn line(writer: usize, seq: usize, token: &str) -> String {
    format!("w{writer} seq={seq} GET /api Authorization: Bearer {token} status=200")
}

/// What the library makes of `line` with the embedded rules.
fn scrubbed(line: &str) -> String {
    let s = Scrubber::new(&Rules::embedded()).unwrap();
    String::from_utf8(s.scrub_line(line.as_bytes(), &mut Scratch::default()).into_owned()).unwrap()
}

fn wait_until(what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn read_lines(path: &Path) -> Vec<String> {
    match std::fs::read(path) {
        Ok(b) => String::from_utf8(b).unwrap().lines().map(str::to_string).collect(),
        Err(_) => Vec::new(),
    }
}

fn wait_lines(path: &Path, n: usize, timeout: Duration) -> Vec<String> {
    wait_until(&format!("{n} lines in {}", path.display()), timeout, || read_lines(path).len() >= n);
    read_lines(path)
}

/// Checks that `got` holds, for each writer `w`, exactly `seq 0..counts[w]` in order, each line
/// scrubbed as the library scrubs it, and no signature anywhere.
fn assert_per_writer_order(got: &[String], counts: &[usize], token: &str) {
    let writers = counts.len();
    let want_tail = scrubbed(&line(0, 0, token)).split_once(" GET ").unwrap().1.to_string();
    let mut next = vec![0usize; writers];
    for l in got {
        assert!(!l.contains(signature(token)), "a signature leaked: {l}");
        let (head, tail) = l.split_once(" GET ").unwrap_or_else(|| panic!("mangled line: {l}"));
        assert_eq!(tail, want_tail, "not scrubbed as expected");
        let (w, seq) = head.split_once(" seq=").unwrap_or_else(|| panic!("mangled line: {l}"));
        let w: usize = w.trim_start_matches('w').parse().unwrap();
        let seq: usize = seq.parse().unwrap();
        assert_eq!(seq, next[w], "writer {w}: out of order or repeated");
        next[w] += 1;
    }
    assert_eq!(next, counts, "lines missing");
}

fn base_config(dir: &Path) -> SidecarConfig {
    SidecarConfig {
        outputs: vec![OutputConfig::new(OutputSpec::File(dir.join("out.log"))).named("out")],
        shutdown_timeout: Duration::from_secs(5),
        file_poll_interval: Duration::from_millis(50),
        glob_interval: Duration::from_millis(100),
        rules_poll_interval: Duration::from_millis(100),
        ..SidecarConfig::default()
    }
}

/// Writes `data` in pieces of varying size with short pauses, so lines straddle writes and
/// writers interleave.
fn write_trickle(w: &mut impl Write, data: &[u8], seed: usize) {
    let mut at = 0;
    let mut i = seed;
    while at < data.len() {
        let n = (1 + (i * 7919) % 3000).min(data.len() - at);
        w.write_all(&data[at..at + n]).unwrap();
        at += n;
        i += 1;
        if i % 16 == 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

fn payload(writer: usize, from: usize, to: usize, token: &str) -> Vec<u8> {
    let mut v = Vec::new();
    for seq in from..to {
        v.extend_from_slice(line(writer, seq, token).as_bytes());
        v.push(b'\n');
    }
    v
}

/// A minimal HTTP/1.1 client for the test: `(status, body)`.
fn http(addr: SocketAddr, method: &str, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(s, "{method} {path} HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let n = s.read(&mut chunk).unwrap();
        if n == 0 || buf.len() > 1 << 20 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let text = String::from_utf8(buf).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, body.to_string())
}

/// The value of one sample in a Prometheus text exposition.
fn metric(text: &str, sample: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(sample).and_then(|v| v.strip_prefix(' ')))
        .unwrap_or_else(|| panic!("no sample {sample} in:\n{text}"))
        .parse()
        .unwrap()
}

// === tests ===

#[test]
fn concurrent_unix_and_tcp_writers_each_line_arrives_scrubbed_once_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("app.sock");
    let mut cfg = base_config(dir.path());
    cfg.inputs = vec![
        InputConfig::new(InputSpec::Unix(sock.clone())).named("app"),
        InputConfig::new("tcp:127.0.0.1:0".parse().unwrap()).named("tcp"),
    ];
    let running = sidecar::spawn(cfg, None).unwrap();
    let tcp = running.tcp_addr("tcp").unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&sock).unwrap().permissions().mode() & 0o777, 0o600);

    let token = mint();
    let (writers, n) = (8, 400);
    std::thread::scope(|s| {
        for w in 0..writers {
            let (token, sock) = (&token, &sock);
            s.spawn(move || {
                let data = payload(w, 0, n, token);
                if w % 2 == 0 {
                    write_trickle(&mut UnixStream::connect(sock).unwrap(), &data, w);
                } else {
                    write_trickle(&mut TcpStream::connect(tcp).unwrap(), &data, w);
                }
            });
        }
    });
    let out = dir.path().join("out.log");
    wait_lines(&out, writers * n, Duration::from_secs(8));
    running.stop().unwrap();
    assert_per_writer_order(&read_lines(&out), &[n; 8], &token);
    assert!(!sock.exists(), "the socket file is removed at shutdown");
}

#[test]
fn a_partial_last_line_is_delivered_alone() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = base_config(dir.path());
    cfg.inputs = vec![InputConfig::new("tcp:0".parse().unwrap()).named("tcp")];
    let running = sidecar::spawn(cfg, None).unwrap();
    let addr = running.tcp_addr("tcp").unwrap();
    let mut a = TcpStream::connect(addr).unwrap();
    let mut b = TcpStream::connect(addr).unwrap();
    a.write_all(b"alpha without newline password=hunter2").unwrap();
    b.write_all(b"beta line\n").unwrap();
    drop(a);
    drop(b);
    let out = dir.path().join("out.log");
    let mut got = wait_lines(&out, 2, Duration::from_secs(5));
    running.stop().unwrap();
    got.sort();
    assert_eq!(got, vec!["alpha without newline password=[REDACTED]", "beta line"]);
}

#[test]
fn a_tcp_forward_target_that_goes_down_and_comes_back_loses_nothing() {
    let target = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = target.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = base_config(dir.path());
    cfg.inputs = vec![InputConfig::new("tcp:0".parse().unwrap()).named("tcp")];
    cfg.outputs = vec![OutputConfig::new(format!("tcp:127.0.0.1:{port}").parse().unwrap())];
    let running = sidecar::spawn(cfg, None).unwrap();
    let token = mint();

    // Phase 1: the target is up and reads 100 lines, then goes away.
    let first = std::thread::spawn(move || {
        let (conn, _) = target.accept().unwrap();
        conn.set_read_timeout(Some(Duration::from_secs(8))).unwrap();
        let mut got = Vec::new();
        for l in BufReader::new(conn).lines().take(100) {
            got.push(l.unwrap());
        }
        got // the connection and the listener close here
    });
    let mut client = TcpStream::connect(running.tcp_addr("tcp").unwrap()).unwrap();
    client.write_all(&payload(0, 0, 100, &token)).unwrap();
    let mut got = first.join().unwrap();
    assert_eq!(got.len(), 100);

    // Phase 2: lines arrive while the target is down.
    std::thread::sleep(Duration::from_millis(300));
    client.write_all(&payload(0, 100, 200, &token)).unwrap();
    wait_until("the output to report down", Duration::from_secs(5), || running.readiness().is_err());
    std::thread::sleep(Duration::from_millis(500));

    // Phase 3: the target comes back on the same port and gets the rest.
    let target = TcpListener::bind(("127.0.0.1", port)).unwrap();
    let (conn, _) = target.accept().unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(8))).unwrap();
    for l in BufReader::new(conn).lines().take(100) {
        got.push(l.unwrap());
    }
    wait_until("ready again", Duration::from_secs(5), || running.readiness().is_ok());
    let text = running.metrics_text();
    assert!(metric(&text, &format!("logscrub_output_errors_total{{output=\"tcp:127.0.0.1:{port}\"}}")) > 0);
    running.stop().unwrap();
    assert_per_writer_order(&got, &[200], &token);
}

#[test]
fn a_followed_file_is_read_across_rotation_and_truncation() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    let mut cfg = base_config(dir.path());
    cfg.inputs = vec![InputConfig::new(InputSpec::File(log.clone())).named("app")];
    let token = mint();
    let append = |data: &[u8]| {
        std::fs::OpenOptions::new().create(true).append(true).open(&log).unwrap().write_all(data).unwrap();
    };
    append(&payload(0, 0, 50, &token));
    let running = sidecar::spawn(cfg, None).unwrap();
    let out = dir.path().join("out.log");
    wait_lines(&out, 50, Duration::from_secs(5));

    // Rotation: more lines and a partial one land in the old file just before the rename.
    append(&payload(0, 50, 60, &token));
    append(b"old file tail without newline");
    std::fs::rename(&log, dir.path().join("app.log.1")).unwrap();
    append(&payload(1, 0, 20, &token));
    let got = wait_lines(&out, 81, Duration::from_secs(5));
    assert!(got.contains(&"old file tail without newline".to_string()));

    // Truncation (copytruncate): the file starts over.
    std::fs::OpenOptions::new().write(true).open(&log).unwrap().set_len(0).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    append(&payload(2, 0, 5, &token));
    wait_lines(&out, 86, Duration::from_secs(5));
    running.stop().unwrap();

    let got: Vec<String> = read_lines(&out).into_iter().filter(|l| !l.starts_with("old file tail")).collect();
    assert_per_writer_order(&got, &[60, 20, 5], &token);
}

#[test]
fn a_restart_resumes_from_the_saved_offset() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    let state = dir.path().join("state");
    let mut cfg = base_config(dir.path());
    cfg.inputs = vec![InputConfig::new(InputSpec::File(log.clone())).named("app")];
    cfg.state_dir = Some(state.clone());
    let token = mint();
    let append = |data: &[u8]| {
        std::fs::OpenOptions::new().create(true).append(true).open(&log).unwrap().write_all(data).unwrap();
    };
    append(&payload(0, 0, 100, &token));
    append(b"w0 seq=100 GET half a li");
    let out = dir.path().join("out.log");

    let running = sidecar::spawn(cfg.clone(), None).unwrap();
    wait_lines(&out, 100, Duration::from_secs(5));
    running.stop().unwrap();
    assert_eq!(read_lines(&out).len(), 100, "the partial line waits for its end");
    assert!(state.join("offsets.json").exists());

    // While it is down: the half line ends, more lines come.
    append(b"ne\n");
    append(&payload(0, 101, 150, &token));
    let running = sidecar::spawn(cfg, None).unwrap();
    let got = wait_lines(&out, 150, Duration::from_secs(5));
    std::thread::sleep(Duration::from_millis(300));
    running.stop().unwrap();
    let got_after = read_lines(&out);
    assert_eq!(got.len(), got_after.len(), "nothing repeated after the wait");
    assert_eq!(got_after.len(), 150);
    assert_eq!(got_after[100], "w0 seq=100 GET half a line");
    let seqs: Vec<usize> = got_after
        .iter()
        .map(|l| l.split_once(" seq=").unwrap().1.split(' ').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(seqs, (0..150).collect::<Vec<_>>());
}

#[test]
fn a_glob_finds_files_created_later() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("containers");
    std::fs::create_dir(&logs).unwrap();
    std::fs::write(logs.join("a.log"), b"a1 token=abc123secret\na2\n").unwrap();
    let mut cfg = base_config(dir.path());
    cfg.inputs = vec![InputConfig::new(InputSpec::File(logs.join("*.log"))).named("containers")];
    let running = sidecar::spawn(cfg, None).unwrap();
    let out = dir.path().join("out.log");
    wait_lines(&out, 2, Duration::from_secs(5));
    std::fs::write(logs.join("b.log"), b"b1\n").unwrap();
    std::fs::write(logs.join("c.txt"), b"not matched\n").unwrap();
    wait_lines(&out, 3, Duration::from_secs(5));
    std::thread::sleep(Duration::from_millis(300));
    running.stop().unwrap();
    let mut got = read_lines(&out);
    got.sort();
    assert_eq!(got, vec!["a1 token=[REDACTED]", "a2", "b1"]);
}

#[test]
fn metrics_health_and_readiness_respond_and_counters_move() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = base_config(dir.path());
    cfg.inputs = vec![InputConfig::new("tcp:0".parse().unwrap()).named("tcp")];
    cfg.metrics_addr = Some("127.0.0.1:0".parse().unwrap());
    let running = sidecar::spawn(cfg, None).unwrap();
    let addr = running.metrics_addr().unwrap();
    assert_eq!(http(addr, "GET", "/healthz"), (200, "ok\n".to_string()));
    // Inputs are bound when `spawn` returns; the output opens on its own task, so readiness
    // may lag by a moment (a loaded machine showed a 503 here): it must come, soon.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (code, body) = http(addr, "GET", "/readyz");
        if code == 200 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never ready: {code} {body}");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(http(addr, "GET", "/nope").0, 404);
    assert_eq!(http(addr, "POST", "/-/reload").0, 404, "reload over HTTP is off by default");

    let token = mint();
    let mut c = TcpStream::connect(running.tcp_addr("tcp").unwrap()).unwrap();
    let data = payload(0, 0, 10, &token);
    c.write_all(&data).unwrap();
    drop(c);
    wait_lines(&dir.path().join("out.log"), 10, Duration::from_secs(5));
    // The output counters move just after the write the file shows: wait for them too.
    wait_until("the output counters", Duration::from_secs(5), || {
        metric(&http(addr, "GET", "/metrics").1, "logscrub_lines_out_total{output=\"out\"}") == 10
    });
    let (status, text) = http(addr, "GET", "/metrics");
    assert_eq!(status, 200);
    assert_eq!(metric(&text, "logscrub_lines_in_total{input=\"tcp\"}"), 10);
    assert_eq!(metric(&text, "logscrub_bytes_in_total{input=\"tcp\"}"), data.len() as u64);
    assert_eq!(metric(&text, "logscrub_findings_total{input=\"tcp\",kind=\"jws\"}"), 10);
    assert!(metric(&text, "logscrub_claims_redacted_total{input=\"tcp\"}") >= 10);
    assert_eq!(metric(&text, "logscrub_lines_out_total{output=\"out\"}"), 10);
    assert!(metric(&text, "logscrub_bytes_out_total{output=\"out\"}") > 0);
    assert_eq!(metric(&text, "logscrub_dropped_lines_total{output=\"out\"}"), 0);
    assert_eq!(metric(&text, "logscrub_queue_lines{output=\"out\"}"), 0);
    assert_eq!(metric(&text, "logscrub_connections_total{input=\"tcp\"}"), 1);
    assert_eq!(metric(&text, "logscrub_reloads_total{result=\"ok\"}"), 0);
    assert!(!text.contains(signature(&token)));
    running.stop().unwrap();
}

/// Lays out a rules file as Kubernetes mounts a ConfigMap: `rules.toml -> ..data/rules.toml`,
/// `..data -> ..<version>`; a new version is swapped in by renaming a new `..data` link.
fn configmap_swap(dir: &Path, version: &str, text: &str) {
    use std::os::unix::fs::symlink;
    let v = dir.join(format!("..{version}"));
    std::fs::create_dir_all(&v).unwrap();
    std::fs::write(v.join("rules.toml"), text).unwrap();
    let tmp = dir.join("..data_tmp");
    let _ = std::fs::remove_file(&tmp);
    symlink(format!("..{version}"), &tmp).unwrap();
    std::fs::rename(&tmp, dir.join("..data")).unwrap();
    if !dir.join("rules.toml").exists() {
        symlink("..data/rules.toml", dir.join("rules.toml")).unwrap();
    }
}

#[test]
fn rules_reload_on_a_configmap_swap_and_invalid_rules_keep_the_old_ones() {
    let dir = tempfile::tempdir().unwrap();
    let cm = dir.path().join("cm");
    std::fs::create_dir(&cm).unwrap();
    let default = logscrub::rules::DEFAULT_RULES_TOML;
    configmap_swap(&cm, "v1", default);
    let mut cfg = base_config(dir.path());
    cfg.inputs = vec![InputConfig::new("tcp:0".parse().unwrap()).named("tcp")];
    cfg.metrics_addr = Some("127.0.0.1:0".parse().unwrap());
    cfg.reload_http = true;
    let running = sidecar::spawn(cfg, Some(cm.join("rules.toml"))).unwrap();
    let addr = running.tcp_addr("tcp").unwrap();
    let out = dir.path().join("out.log");
    let send = |l: &str| TcpStream::connect(addr).unwrap().write_all(format!("{l}\n").as_bytes()).unwrap();
    let reloads =
        |result: &str| metric(&running.metrics_text(), &format!("logscrub_reloads_total{{result=\"{result}\"}}"));

    send("one code=ZQX-123456");
    wait_lines(&out, 1, Duration::from_secs(5));

    let with_pattern =
        format!("{default}\n[[patterns]]\nname = \"zqx\"\nregex = 'ZQX-[0-9]{{6}}'\naction = \"redact\"\n");
    configmap_swap(&cm, "v2", &with_pattern);
    wait_until("a reload", Duration::from_secs(5), || reloads("ok") == 1);
    send("two code=ZQX-123456");
    wait_lines(&out, 2, Duration::from_secs(5));

    configmap_swap(&cm, "v3", "[[patterns]]\nname = \"broken\"\nregex = '('\n");
    wait_until("a failed reload", Duration::from_secs(5), || reloads("error") == 1);
    send("three code=ZQX-123456");
    wait_lines(&out, 3, Duration::from_secs(5));
    let err = running.reload().unwrap_err();
    assert!(err.contains("rules.toml:3:"), "{err}");
    let (status, body) = http(running.metrics_addr().unwrap(), "POST", "/-/reload");
    assert_eq!(status, 500);
    assert!(body.contains("rules.toml:3:"), "{body}");
    running.stop().unwrap();
    assert_eq!(read_lines(&out), vec!["one code=ZQX-123456", "two code=[REDACTED]", "three code=[REDACTED]"]);
}

#[test]
fn the_drop_policy_counts_what_it_drops() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = base_config(dir.path());
    cfg.inputs = vec![InputConfig::new("tcp:0".parse().unwrap()).named("tcp")];
    cfg.outputs = vec![OutputConfig::new(OutputSpec::Unix(dir.path().join("nobody.sock")))];
    cfg.drop_policy = DropPolicy::Drop;
    cfg.queue_lines = 10;
    cfg.shutdown_timeout = Duration::from_secs(1);
    let running = sidecar::spawn(cfg, None).unwrap();
    let mut c = TcpStream::connect(running.tcp_addr("tcp").unwrap()).unwrap();
    for i in 0..100 {
        writeln!(c, "line {i}").unwrap();
        std::thread::sleep(Duration::from_millis(1));
    }
    drop(c);
    let name = format!("unix:{}", dir.path().join("nobody.sock").display());
    wait_until("100 lines in", Duration::from_secs(5), || {
        metric(&running.metrics_text(), "logscrub_lines_in_total{input=\"tcp\"}") == 100
    });
    let text = running.metrics_text();
    let dropped = metric(&text, &format!("logscrub_dropped_lines_total{{output=\"{name}\"}}"));
    let queued = metric(&text, &format!("logscrub_queue_lines{{output=\"{name}\"}}"));
    assert!(dropped >= 80, "dropped {dropped}");
    assert!(queued <= 10, "queued {queued}");
    assert!(running.readiness().unwrap_err().contains("not connected"));
    match running.stop() {
        Err(sidecar::Error::Undrained { lines }) => assert!(lines > 0),
        other => panic!("expected an undrained stop, got {other:?}"),
    }
}

#[test]
fn a_line_longer_than_max_line_is_cut_and_its_token_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = base_config(dir.path());
    cfg.inputs = vec![InputConfig::new("tcp:0".parse().unwrap()).named("tcp")];
    cfg.max_line = 256 * 1024;
    let running = sidecar::spawn(cfg, None).unwrap();
    let token = mint();
    let mut long = "lorem ipsum ".repeat(30_000);
    long.push_str(&format!("Authorization: Bearer {token} "));
    long.push_str(&"dolor sit ".repeat(30_000));
    long.push('\n');
    let mut c = TcpStream::connect(running.tcp_addr("tcp").unwrap()).unwrap();
    c.write_all(long.as_bytes()).unwrap();
    c.write_all(b"next line\n").unwrap();
    drop(c);
    let out = dir.path().join("out.log");
    wait_until("the last line", Duration::from_secs(5), || read_lines(&out).last().is_some_and(|l| l == "next line"));
    let text = running.metrics_text();
    running.stop().unwrap();
    let got = read_lines(&out);
    assert!(got.len() >= 3, "cut into windows");
    assert!(got.iter().all(|l| l.len() <= 256 * 1024));
    let all = got.concat();
    assert!(!all.contains(signature(&token)));
    assert!(all.contains("Authorization: Bearer eyJ"), "the token stays whole in one window");
    assert!(metric(&text, "logscrub_long_line_cuts_total{input=\"tcp\"}") >= 2);
}

#[test]
fn config_file_errors_point_at_file_line_col() {
    let err = SidecarConfig::from_toml(
        "sidecar.toml",
        "drop_policy = \"block\"\n[inputs.app]\nspec = \"unix:/x\"\nmode = 1\n",
    )
    .unwrap_err()
    .to_string();
    assert!(err.starts_with("sidecar.toml:4:1: unknown field `mode`"), "{err}");
    let err = SidecarConfig::from_toml(
        "s.toml",
        "[outputs.a]\nspec = \"tcp:nohost\"\n[inputs.b]\nspec = \"stdin\"\noutputs = [\"zz\"]\n",
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("s.toml:2:8: outputs.a: output `tcp:nohost`"), "{err}");
    assert!(err.contains("s.toml:5:12: inputs.b: unknown output `zz`"), "{err}");
    let ok = SidecarConfig::from_toml(
        "ok.toml",
        "metrics_addr = \"127.0.0.1:9464\"\nsocket_mode = 0o660\n[inputs.app]\nspec = \"unix:/run/app.sock\"\n[outputs.next]\nspec = \"tcp:collector:5170\"\n",
    )
    .unwrap();
    assert_eq!(ok.socket_mode, 0o660);
    assert_eq!(ok.inputs[0].name, "app");
}

// === SIGTERM, in a child process (signals are process-wide) ===

const CHILD_ENV: &str = "LOGSCRUB_SIDECAR_TEST_CHILD_CONFIG";

/// Not a test by itself: the child process of `sigterm_mid_stream_drains_every_line` runs
/// `sidecar::run` here (with real signal handlers) when the environment says so.
#[test]
fn child_serve_entry() {
    let Ok(config) = std::env::var(CHILD_ENV) else { return };
    let cfg = SidecarConfig::from_path(Path::new(&config)).unwrap();
    let code = match sidecar::run(cfg, None) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("logscrub: {e}");
            1
        }
    };
    std::process::exit(code);
}

/// The child sidecar reads three clients into its queue, while its forward target (a Unix
/// socket served here) reads slowly; SIGTERM comes while most lines are still queued and the
/// clients are still connected. Every line must arrive, once, in order, within the deadline.
#[test]
fn sigterm_mid_stream_drains_every_line() {
    use std::os::unix::net::UnixListener;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("app.sock");
    let next = dir.path().join("next.sock");
    let config = dir.path().join("sidecar.toml");
    std::fs::write(
        &config,
        format!(
            "shutdown_timeout = 8\nqueue_lines = 100000\n[inputs.app]\nspec = \"unix:{}\"\n[outputs.next]\nspec = \"unix:{}\"\n",
            sock.display(),
            next.display()
        ),
    )
    .unwrap();

    // The forward target: slow until SIGTERM is sent, then as fast as it can, until EOF.
    let target = UnixListener::bind(&next).unwrap();
    let fast = Arc::new(AtomicBool::new(false));
    let received = Arc::new(AtomicUsize::new(0));
    let reader = {
        let (fast, received) = (fast.clone(), received.clone());
        std::thread::spawn(move || {
            let (mut conn, _) = target.accept().unwrap();
            conn.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
            let mut all = Vec::new();
            let mut chunk = vec![0u8; 64 * 1024];
            loop {
                let want = if fast.load(Ordering::Relaxed) { chunk.len() } else { 4096 };
                let n = conn.read(&mut chunk[..want]).unwrap();
                if n == 0 {
                    break;
                }
                all.extend_from_slice(&chunk[..n]);
                received.fetch_add(chunk[..n].iter().filter(|&&b| b == b'\n').count(), Ordering::Relaxed);
                if !fast.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
            String::from_utf8(all).unwrap().lines().map(str::to_string).collect::<Vec<_>>()
        })
    };

    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_serve_entry", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, &config)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until("the socket", Duration::from_secs(10), || UnixStream::connect(&sock).is_ok());

    let token = mint();
    let (writers, n) = (3, 20_000);
    let conns: Vec<UnixStream> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..writers)
            .map(|w| {
                let (sock, token) = (&sock, &token);
                s.spawn(move || {
                    let mut c = UnixStream::connect(sock).unwrap();
                    c.write_all(&payload(w, 0, n, token)).unwrap();
                    c // still open: the client has not hung up
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let t0 = Instant::now();
    let kill = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    let before = received.load(Ordering::Relaxed);
    fast.store(true, Ordering::Relaxed);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(t0.elapsed() < Duration::from_secs(15), "no exit after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    let elapsed = t0.elapsed();
    let mut stderr = Vec::new();
    let mut err_pipe = child.stderr.take().unwrap();
    let mut chunk = [0u8; 8192];
    while let Ok(n) = err_pipe.read(&mut chunk) {
        if n == 0 || stderr.len() > 1 << 20 {
            break;
        }
        stderr.extend_from_slice(&chunk[..n]);
    }
    let stderr = String::from_utf8_lossy(&stderr);
    drop(conns);
    assert!(status.success(), "exit {status:?}: {stderr}");
    assert!(elapsed < Duration::from_secs(9), "drained within the deadline ({elapsed:?})");
    let got = reader.join().unwrap();
    eprintln!("delivered before SIGTERM: {before} of {}; after the drain: {} in {elapsed:?}", writers * n, got.len());
    assert!(before < writers * n, "SIGTERM came mid-stream");
    assert_per_writer_order(&got, &[n; 3], &token);
    assert!(!stderr.contains(signature(&token)), "diagnostics never hold input");
}

// === the deploy/ examples stay valid ===

/// The text of a YAML literal block `key: |` (indented under it) in `yaml`.
fn yaml_block(yaml: &str, key: &str) -> String {
    let mut lines = yaml.lines().skip_while(|l| l.trim() != format!("{key}: |"));
    let head = lines.next().unwrap_or_else(|| panic!("no `{key}: |` block"));
    let indent = head.len() - head.trim_start().len() + 2;
    lines
        .take_while(|l| l.trim().is_empty() || l.len() - l.trim_start().len() >= indent)
        .map(|l| l.get(indent..).unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_deploy_examples_parse() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/k8s");
    let ds = std::fs::read_to_string(root.join("daemonset.yaml")).unwrap();
    let cfg = SidecarConfig::from_toml("daemonset.yaml serve.toml", &yaml_block(&ds, "serve.toml")).unwrap();
    assert_eq!(cfg.inputs[0].spec.to_string(), "file:/var/log/containers/*.log");
    let cm = std::fs::read_to_string(root.join("rules-configmap.yaml")).unwrap();
    Rules::from_toml("rules-configmap.yaml rules.toml", &yaml_block(&cm, "rules.toml")).unwrap();
}

/// With no input configured the sidecar reads stdin, and with only stdin it stops at its end
/// (after draining), like a pipe.
#[test]
fn stdin_to_stdout_runs_like_a_pipe_and_exits_at_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("pipe.toml");
    std::fs::write(&config, "shutdown_timeout = 5\n").unwrap();
    let token = mint();
    let input = payload(0, 0, 1000, &token);
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_serve_entry", "--nocapture", "--test-threads=1", "-q"])
        .env(CHILD_ENV, &config)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&input).unwrap());
    let mut out = Vec::new();
    let mut pipe = child.stdout.take().unwrap();
    let mut chunk = [0u8; 64 * 1024];
    let t0 = Instant::now();
    while let Ok(n) = pipe.read(&mut chunk) {
        if n == 0 || t0.elapsed() > Duration::from_secs(10) {
            break;
        }
        out.extend_from_slice(&chunk[..n]);
    }
    writer.join().unwrap();
    assert!(child.wait().unwrap().success());
    // The test harness of the child prints its own header first.
    let got: Vec<String> =
        String::from_utf8(out).unwrap().lines().filter(|l| l.starts_with('w')).map(str::to_string).collect();
    assert_per_writer_order(&got, &[1000], &token);
}

// === socket adversaries (issue 8), in a child process so its memory is its own ===

/// A sidecar in a child process (`child_serve_entry`), diagnostics at `trace` into a file.
/// Killed if the test fails before [`ChildServer::stop`].
struct ChildServer {
    child: Option<std::process::Child>,
    stderr: std::path::PathBuf,
}

/// A child server reading `unix:<dir>/app.sock` into `file:<dir>/out.log`, with metrics and
/// `max_connections`; returns once both the metrics address and the socket accept.
fn unix_server(max_connections: usize) -> (tempfile::TempDir, ChildServer, SocketAddr) {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("app.sock");
    let out = dir.path().join("out.log");
    let maddr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let server = ChildServer::start(
        dir.path(),
        &format!(
            "max_connections = {max_connections}\nshutdown_timeout = 5\nmetrics_addr = \"{maddr}\"\n[inputs.app]\nspec = \"unix:{}\"\n\
             [outputs.out]\nspec = \"file:{}\"\n",
            sock.display(),
            out.display()
        ),
    );
    wait_until("the metrics", Duration::from_secs(10), || TcpStream::connect(maddr).is_ok());
    wait_until("the socket", Duration::from_secs(10), || UnixStream::connect(&sock).is_ok());
    (dir, server, maddr)
}

impl ChildServer {
    fn start(dir: &Path, toml: &str) -> ChildServer {
        Self::start_with_umask(dir, toml, None)
    }

    /// With `umask`, the child runs under `sh -c 'umask … && exec …'`.
    fn start_with_umask(dir: &Path, toml: &str, umask: Option<&str>) -> ChildServer {
        let config = dir.join("serve.toml");
        std::fs::write(&config, toml).unwrap();
        let stderr = dir.join("stderr.log");
        let exe = std::env::current_exe().unwrap();
        let mut cmd = match umask {
            Some(m) => {
                let mut c = Command::new("sh");
                c.args(["-c", &format!("umask {m} && exec \"$0\" \"$@\"")]).arg(exe);
                c
            }
            None => Command::new(exe),
        };
        let child = cmd
            .args(["--exact", "child_serve_entry", "--nocapture", "--test-threads=1", "-q"])
            .env(CHILD_ENV, &config)
            .env("LOGSCRUB_LOG", "trace")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap();
        ChildServer { child: Some(child), stderr }
    }

    fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    /// A `/proc/<pid>/status` field in KiB (`VmRSS`, `VmHWM`: the peak resident set).
    fn kib(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        let line = status.lines().find(|l| l.starts_with(field)).unwrap_or_else(|| panic!("no {field}"));
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    /// SIGTERM, then the exit (which must be clean) and the diagnostics.
    fn stop(mut self) -> String {
        let mut child = self.child.take().unwrap();
        assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
        let t0 = Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            assert!(t0.elapsed() < Duration::from_secs(20), "no exit after SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        };
        let stderr = String::from_utf8_lossy(&std::fs::read(&self.stderr).unwrap()).into_owned();
        assert!(status.success(), "exit {status:?}: {stderr}");
        stderr
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// `n` random ASCII letters and digits.
fn alnum(n: usize) -> String {
    use rand::Rng;
    use rand::distributions::Alphanumeric;
    rand::thread_rng().sample_iter(Alphanumeric).take(n).map(char::from).collect()
}

/// 100 clients send a line one byte every 200 ms (2.2 s), then go silent; meanwhile 20 other
/// clients send 4,000 lines. The fast lines all arrive while the slow clients still trickle
/// (no head-of-line blocking); the slow ones stay open while they trickle (`--idle-timeout`
/// counts silence, not age), are closed about 1 s after their last byte, and their partial
/// lines come out scrubbed: `token=<secret>` redacted by its key, and a GitHub-token prefix cut
/// by the timeout (no rule matches it) replaced by the marker, fail closed. Memory stays flat.
#[test]
fn slow_clients_neither_block_others_nor_outlive_the_idle_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("app.sock");
    let out = dir.path().join("out.log");
    let server = ChildServer::start(
        dir.path(),
        &format!(
            "idle_timeout = 1\nshutdown_timeout = 5\n[inputs.app]\nspec = \"unix:{}\"\n[outputs.out]\nspec = \"file:{}\"\n",
            sock.display(),
            out.display()
        ),
    );
    wait_until("the socket", Duration::from_secs(10), || UnixStream::connect(&sock).is_ok());
    let rss_start = server.kib("VmRSS");

    let secret = alnum(6);
    let slow_line = format!("token={secret}");
    let ghp_tail = alnum(20);
    let mut slow: Vec<UnixStream> = (0..100).map(|_| UnixStream::connect(&sock).unwrap()).collect();
    let mut cut = UnixStream::connect(&sock).unwrap();
    cut.write_all(format!("cut ghp_{ghp_tail}").as_bytes()).unwrap();

    let token = mint();
    let (writers, n) = (20, 200);
    let t0 = Instant::now();
    let fast = std::thread::spawn({
        let (sock, token, out) = (sock.clone(), token.clone(), out.clone());
        move || {
            std::thread::sleep(Duration::from_millis(300));
            for w in 0..writers {
                UnixStream::connect(&sock).unwrap().write_all(&payload(w, 0, n, &token)).unwrap();
            }
            wait_lines(&out, writers * n, Duration::from_secs(10));
            t0.elapsed()
        }
    });
    let (mut rss_mid, mut last_byte) = (0, Instant::now());
    for (i, b) in slow_line.bytes().enumerate() {
        if i > 0 {
            std::thread::sleep(Duration::from_millis(200));
        }
        for c in &mut slow {
            c.write_all(&[b]).unwrap();
        }
        last_byte = Instant::now();
        if i == slow_line.len() / 2 {
            rss_mid = server.kib("VmRSS");
        }
    }
    let trickle = t0.elapsed();
    let fast_done = fast.join().unwrap();
    assert!(fast_done < trickle, "fast clients waited for slow ones: {fast_done:?} (trickle {trickle:?})");

    // Closed by the server about a second after the last byte, not before.
    let mut first_eof = None;
    for c in slow.iter_mut().chain([&mut cut]) {
        c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut buf = [0u8; 16];
        assert_eq!(c.read(&mut buf).unwrap(), 0, "the server closes an idle connection");
        first_eof.get_or_insert(last_byte.elapsed());
    }
    let first_eof = first_eof.unwrap();
    assert!(first_eof >= Duration::from_millis(900), "closed {first_eof:?} after the last byte");
    assert!(first_eof < Duration::from_secs(4), "closed {first_eof:?} after the last byte");

    let got = wait_lines(&out, writers * n + slow.len() + 1, Duration::from_secs(10));
    let rss_end = server.kib("VmRSS");
    let hwm = server.kib("VmHWM");
    let stderr = server.stop();
    let all = got.join("\n");
    assert!(!all.contains(&secret) && !all.contains(&ghp_tail), "a partial secret leaked");
    assert_eq!(got.iter().filter(|l| *l == "token=[REDACTED]").count(), slow.len());
    assert_eq!(got.iter().filter(|l| *l == "cut [REDACTED]").count(), 1, "the cut run is masked");
    let fast_lines: Vec<String> = got.iter().filter(|l| l.starts_with('w')).cloned().collect();
    assert_per_writer_order(&fast_lines, &[n; 20], &token);
    assert!(stderr.contains("closing an idle connection"), "{stderr}");
    for s in [&secret, &ghp_tail, &signature(&token).to_string()] {
        assert!(!stderr.contains(s.as_str()), "diagnostics hold input");
    }
    eprintln!(
        "slow clients: VmRSS {rss_start} KiB at start, {rss_mid} KiB mid-trickle (101 slow connections), \
         {rss_end} KiB at the end; VmHWM {hwm} KiB; fast lines done after {fast_done:?}, trickle {trickle:?}, \
         idle close {first_eof:?} after the last byte"
    );
    assert!(rss_mid < rss_start + 32 * 1024, "slow connections cost {} KiB", rss_mid - rss_start);
    assert!(hwm < 128 * 1024, "peak RSS {hwm} KiB");
}

/// A loopback port that was free a moment ago (for the child's metrics address).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Every label value in a metrics text: the configured names, finding kinds and reload
/// results, never anything read from a client.
fn assert_labels_are_names(text: &str, allowed: &[&str]) {
    for l in text.lines().filter(|l| !l.starts_with('#')) {
        let Some((_, labels)) = l.split_once('{') else { continue };
        let labels = labels.split_once('}').unwrap().0;
        for pair in labels.split(',') {
            let (k, v) = pair.split_once('=').unwrap();
            let v = v.trim_matches('"');
            let kinds = ["jws", "jwe", "unsecured", "bearer", "basic", "secret_key", "pattern", "ok", "error"];
            assert!(allowed.contains(&v) || kinds.contains(&v), "label {k}={v:?} in {l}");
        }
    }
}

/// `--max-connections 16`: 16 silent clients hold every slot; a 17th client's line waits in
/// the listen backlog (not refused, not read) while metrics still answer; when one slot frees,
/// it is served. Then 10,000 short connections from 32 threads (twice the limit at once) each
/// send one line: every line arrives, once, and peak RSS stays small.
#[test]
fn connections_beyond_the_limit_wait_and_ten_thousand_short_ones_all_get_through() {
    let (dir, server, maddr) = unix_server(16);
    let (sock, out) = (dir.path().join("app.sock"), dir.path().join("out.log"));
    let hwm_start = server.kib("VmHWM");

    let held: Vec<UnixStream> = (0..16).map(|_| UnixStream::connect(&sock).unwrap()).collect();
    wait_until("16 open connections", Duration::from_secs(5), || {
        metric(&http(maddr, "GET", "/metrics").1, "logscrub_connections{input=\"app\"}") == 16
    });
    let mut extra = UnixStream::connect(&sock).expect("a client beyond the limit can connect (backlog)");
    extra.write_all(b"queued line password=hunter2\n").unwrap();
    std::thread::sleep(Duration::from_millis(500));
    assert!(read_lines(&out).is_empty(), "a 17th connection was read while 16 were open");
    assert_eq!(http(maddr, "GET", "/healthz"), (200, "ok\n".to_string()), "metrics answer at the limit");
    drop(held);
    assert_eq!(wait_lines(&out, 1, Duration::from_secs(5)), ["queued line password=[REDACTED]"]);
    drop(extra);

    let (threads, per) = (32, 10_000 / 32 + 1);
    let total = threads * per;
    let token = mint();
    let t0 = Instant::now();
    std::thread::scope(|s| {
        for w in 0..threads {
            let (sock, token) = (&sock, &token);
            s.spawn(move || {
                for seq in 0..per {
                    let mut c = UnixStream::connect(sock).unwrap();
                    c.write_all(format!("{}\n", line(w, seq, token)).as_bytes()).unwrap();
                }
            });
        }
    });
    let got = wait_lines(&out, 1 + total, Duration::from_secs(60));
    let took = t0.elapsed();
    let hwm = server.kib("VmHWM");
    let text = http(maddr, "GET", "/metrics").1;
    // The probe that waited for the socket, 16 held, 1 queued, then the short ones.
    assert_eq!(metric(&text, "logscrub_connections_total{input=\"app\"}"), 1 + 16 + 1 + total as u64);
    assert_labels_are_names(&text, &["app", "out"]);
    assert!(!text.contains(signature(&token)) && !text.contains("hunter2"));
    let stderr = server.stop();
    assert!(!stderr.contains(signature(&token)) && !stderr.contains("hunter2"), "diagnostics hold input");
    let mut short: Vec<String> = got[1..].to_vec();
    // Connections of one writer may be accepted out of order: sort each writer's lines by seq.
    short.sort_by_key(|l| {
        let (w, rest) = l.split_once(" seq=").unwrap();
        (w.to_string(), rest.split_once(' ').unwrap().0.parse::<usize>().unwrap())
    });
    assert_per_writer_order(&short, &vec![per; threads], &token);
    eprintln!("{total} short connections in {took:?}; VmHWM {hwm_start} KiB after start, {hwm} KiB after");
    assert!(hwm < 128 * 1024, "peak RSS {hwm} KiB");
}

/// The soft limit on open files of this process.
fn open_files_limit() -> u64 {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap();
    let line = limits.lines().find(|l| l.starts_with("Max open files")).unwrap();
    line.split_whitespace().nth(3).unwrap().parse().unwrap_or(u64::MAX)
}

/// 10,000 connections open at once (`--max-connections 10000`), each sending one line and
/// staying open: all lines arrive, and peak RSS is recorded (each connection holds a 64 KiB
/// read buffer, mostly untouched). Scaled down when the open-file limit is lower.
#[test]
fn ten_thousand_open_connections_each_get_their_line_through() {
    let want = 10_000usize;
    let n = want.min(open_files_limit().saturating_sub(200) as usize);
    if n < want {
        eprintln!("open-file limit {}: {n} connections instead of {want}", open_files_limit());
    }
    let (dir, server, maddr) = unix_server(want);
    let (sock, out) = (dir.path().join("app.sock"), dir.path().join("out.log"));
    let hwm_start = server.kib("VmHWM");
    let token = mint();
    let t0 = Instant::now();
    let conns: Vec<UnixStream> = (0..n)
        .map(|i| {
            let mut c = UnixStream::connect(&sock).unwrap();
            c.write_all(format!("{}\n", line(0, i, &token)).as_bytes()).unwrap();
            c
        })
        .collect();
    let got = wait_lines(&out, n, Duration::from_secs(60));
    let took = t0.elapsed();
    let open = metric(&http(maddr, "GET", "/metrics").1, "logscrub_connections{input=\"app\"}");
    let (rss, hwm) = (server.kib("VmRSS"), server.kib("VmHWM"));
    drop(conns);
    wait_until("every connection closed", Duration::from_secs(10), || {
        metric(&http(maddr, "GET", "/metrics").1, "logscrub_connections{input=\"app\"}") == 0
    });
    let rss_after = server.kib("VmRSS");
    let stderr = server.stop();
    assert!(!stderr.contains(signature(&token)), "diagnostics hold input");
    assert_eq!(open, n as u64, "every connection open at once");
    let mut got = got;
    got.sort_by_key(|l| l.split_once(" seq=").unwrap().1.split_once(' ').unwrap().0.parse::<usize>().unwrap());
    assert_per_writer_order(&got, &[n], &token);
    eprintln!(
        "{n} open connections: lines through in {took:?}; VmHWM {hwm_start} KiB after start, VmRSS {rss} KiB \
         and VmHWM {hwm} KiB with all open, VmRSS {rss_after} KiB after they closed"
    );
    assert!(hwm < 512 * 1024, "peak RSS {hwm} KiB");
}

/// The socket file has its mode from the moment it appears at its path, whatever the umask
/// (it is bound in a private directory and renamed into place): run under `umask 000`, where a
/// socket bound in place would be connectable by anyone until its `chmod` (when it was, the
/// thread watching the path below saw mode 777 in one run of five). Nothing is left
/// beside it, a stale socket file is replaced, and a path that is not a socket is refused.
#[test]
fn the_socket_has_its_mode_under_any_umask_and_nothing_else_is_left() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("app.sock");
    // A stale socket from an earlier run (mode 0600 too, so that any other mode seen below is
    // the new socket's).
    drop(std::os::unix::net::UnixListener::bind(&sock).unwrap());
    std::fs::set_permissions(&sock, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = dir.path().join("out.log");
    let config = format!(
        "shutdown_timeout = 5\n[inputs.app]\nspec = \"unix:{}\"\n[outputs.out]\nspec = \"file:{}\"\n",
        sock.display(),
        out.display()
    );
    // Watches the path from before the server starts until it accepts: every socket seen
    // there must already have mode 0600.
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = std::thread::spawn({
        let (sock, done) = (sock.clone(), done.clone());
        move || {
            let mut seen = std::collections::BTreeSet::new();
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                if let Ok(m) = std::fs::symlink_metadata(&sock) {
                    seen.insert(format!("{:o}", m.permissions().mode() & 0o777));
                }
            }
            seen
        }
    });
    let server = ChildServer::start_with_umask(dir.path(), &config, Some("000"));
    wait_until("the socket", Duration::from_secs(10), || UnixStream::connect(&sock).is_ok());
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let seen = watcher.join().unwrap();
    assert_eq!(seen.into_iter().collect::<Vec<_>>(), ["600"], "modes seen at the socket path under umask 000");
    let mut names: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names, ["app.sock", "out.log", "serve.toml", "stderr.log"], "a private directory was left behind");
    server.stop();
    assert!(!sock.exists(), "the socket file is removed at shutdown");

    // A regular file where the socket should go is not replaced: the server does not start.
    std::fs::write(&sock, "not a socket").unwrap();
    let mut cfg = base_config(dir.path());
    cfg.inputs = vec![InputConfig::new(InputSpec::Unix(sock.clone())).named("app")];
    let err = sidecar::spawn(cfg, None).unwrap_err().to_string();
    assert!(err.contains("not a socket"), "{err}");
    assert_eq!(std::fs::read(&sock).unwrap(), b"not a socket");
}

/// `tcp:PORT` listens on loopback only; metrics are off unless an address is given.
#[test]
fn tcp_inputs_listen_on_loopback_by_default_and_metrics_are_off() {
    assert_eq!(SidecarConfig::default().metrics_addr, None);
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = base_config(dir.path());
    cfg.inputs = vec![InputConfig::new("tcp:0".parse().unwrap()).named("tcp")];
    let running = sidecar::spawn(cfg, None).unwrap();
    let addr = running.tcp_addr("tcp").unwrap();
    assert_eq!(addr.ip(), std::net::IpAddr::from([127, 0, 0, 1]), "{addr}");
    assert!(running.metrics_addr().is_none());
    running.stop().unwrap();
}
