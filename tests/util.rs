//! Shared helpers: one scrubber per process, readable failure output, and a sandbox for running
//! the binary.

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use logscrub::{Rules, Scratch, Scrubber};

/// The scrubber built from the embedded default rules, shared by every test.
pub fn scrubber() -> &'static Scrubber {
    static SCRUBBER: OnceLock<Scrubber> = OnceLock::new();
    SCRUBBER.get_or_init(|| Scrubber::new(&Rules::embedded()).expect("default rules build"))
}

/// `scrub_line` with the default rules, as an owned buffer.
pub fn scrub_line(line: &[u8]) -> Vec<u8> {
    let mut scratch = Scratch::default();
    scrubber().scrub_line(line, &mut scratch).into_owned()
}

/// `scrub_buf` with the default rules, as an owned buffer.
pub fn scrub_buf(buf: &[u8]) -> Vec<u8> {
    let mut scratch = Scratch::default();
    scrubber().scrub_buf(buf, &mut scratch).to_vec()
}

/// `scrub_buf` through `Scrubbed::write_to`, to exercise the piecewise writer too.
pub fn scrub_buf_written(buf: &[u8]) -> Vec<u8> {
    let mut scratch = Scratch::default();
    let mut out = Vec::new();
    scrubber().scrub_buf(buf, &mut scratch).write_to(&mut out).expect("writing to a Vec cannot fail");
    out
}

/// Bytes shown for a human: printable ASCII as is, everything else escaped.
pub fn show(bytes: &[u8]) -> String {
    bytes.escape_ascii().to_string()
}

/// A failure report with expected and got blocks, as ripgrep's `eqnice!` prints.
/// Long buffers are shown around their first difference only.
pub fn diff_report(what: &str, expected: &[u8], got: &[u8]) -> String {
    const WINDOW: usize = 400;
    let first_diff = expected.iter().zip(got).position(|(a, b)| a != b).unwrap_or(expected.len().min(got.len()));
    let clip = |b: &[u8]| -> String {
        if b.len() <= 2 * WINDOW {
            return show(b);
        }
        let start = first_diff.saturating_sub(WINDOW / 2).min(b.len());
        let end = (first_diff + WINDOW).min(b.len());
        format!("[... {start} bytes ...]{}[... {} bytes ...]", show(&b[start..end]), b.len() - end)
    };
    let mut s = String::new();
    let _ = writeln!(s, "\n{what}");
    let _ = writeln!(s, "===== expected ({} bytes) =====", expected.len());
    let _ = writeln!(s, "{}", clip(expected));
    let _ = writeln!(s, "===== got ({} bytes) =====", got.len());
    let _ = writeln!(s, "{}", clip(got));
    if expected != got {
        let _ = writeln!(s, "===== first difference at byte {first_diff} =====");
    }
    s
}

/// Asserts two byte strings are equal, printing both readably when not.
#[macro_export]
macro_rules! eqnice {
    ($expected:expr, $got:expr $(,)?) => {
        $crate::eqnice!($expected, $got, "bytes differ")
    };
    ($expected:expr, $got:expr, $($what:tt)+) => {
        match (&$expected, &$got) {
            (expected, got) => {
                let expected: &[u8] = ::std::convert::AsRef::<[u8]>::as_ref(expected);
                let got: &[u8] = ::std::convert::AsRef::<[u8]>::as_ref(got);
                if expected != got {
                    panic!("{}", $crate::util::diff_report(&format!($($what)+), expected, got));
                }
            }
        }
    };
}

/// Whether `needle` occurs in `hay`.
pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

// ---- running the binary --------------------------------------------------------------------------

/// Path of the built binary.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_logscrub")
}

/// A temporary working directory for one CLI test.
pub struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        Sandbox { dir: tempfile::Builder::new().prefix("logscrub-test-").tempdir().expect("temp dir") }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `name` (relative to the sandbox) and returns its full path.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.dir.path().join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("create dirs");
        }
        std::fs::write(&p, contents).expect("write fixture");
        p
    }

    pub fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.dir.path().join(name)).expect("read output file")
    }

    /// The binary, run in this sandbox, with no `LOGSCRUB_*` variable inherited.
    pub fn cmd<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = Command::new(bin());
        cmd.current_dir(self.dir.path()).args(args);
        for (key, _) in std::env::vars_os() {
            let k = key.to_string_lossy();
            if k.starts_with("LOGSCRUB_") || k == "RUST_LOG" {
                cmd.env_remove(&key);
            }
        }
        cmd
    }

    /// Runs the binary with `stdin` as its standard input and waits for it.
    pub fn run<I, S>(&self, args: I, stdin: &[u8]) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        run_cmd(self.cmd(args), stdin)
    }
}

/// Runs a prepared command with `stdin` and collects its output.
pub fn run_cmd(mut cmd: Command, stdin: &[u8]) -> Run {
    use std::io::Write as _;
    let description = format!("{cmd:?}");
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {description}: {e}"));
    let mut pipe = child.stdin.take().expect("stdin piped");
    let input = stdin.to_vec();
    // Feed stdin from a thread so a large input cannot deadlock against a full stdout pipe.
    let feeder = std::thread::spawn(move || {
        // The binary may exit without reading (bad flag): a broken pipe is fine.
        let _ = pipe.write_all(&input);
    });
    let output = child.wait_with_output().unwrap_or_else(|e| panic!("wait {description}: {e}"));
    feeder.join().expect("stdin feeder");
    Run { description, output }
}

/// One finished run of the binary.
pub struct Run {
    pub description: String,
    pub output: Output,
}

impl Run {
    pub fn code(&self) -> Option<i32> {
        self.output.status.code()
    }

    pub fn stdout(&self) -> &[u8] {
        &self.output.stdout
    }

    pub fn stderr_str(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// A readable dump of the run, for failure messages.
    pub fn dump(&self) -> String {
        format!(
            "command: {}\nexit: {:?}\n----- stdout -----\n{}\n----- stderr -----\n{}",
            self.description,
            self.code(),
            show(&self.output.stdout),
            self.stderr_str()
        )
    }

    /// Asserts the exit code, printing the whole run when it differs.
    #[track_caller]
    pub fn assert_code(&self, expected: i32) -> &Self {
        assert_eq!(self.code(), Some(expected), "expected exit code {expected}\n{}", self.dump());
        self
    }
}
