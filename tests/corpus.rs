//! The shared loghub sample logs hold no credential: every byte must come out as it went in,
//! CRLF endings and missing final newlines included.

use std::path::PathBuf;

use crate::util::{self, show};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus/loghub");

const FILES: [&str; 6] =
    ["Apache_2k.log", "HDFS_2k.log", "Linux_2k.log", "OpenSSH_2k.log", "OpenStack_2k.log", "Spark_2k.log"];

fn path(name: &str) -> PathBuf {
    PathBuf::from(CORPUS).join(name)
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(path(name)).unwrap_or_else(|e| panic!("{}: {e}", path(name).display()))
}

#[test]
fn corpus_is_complete() {
    // The file list above is the whole corpus, so a new file is not silently skipped.
    let mut on_disk: Vec<String> = std::fs::read_dir(CORPUS)
        .unwrap_or_else(|e| panic!("{CORPUS}: {e}"))
        .map(|e| e.expect("dir entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".log"))
        .collect();
    on_disk.sort();
    assert_eq!(on_disk, FILES, "corpus files on disk");
}

#[test]
fn corpus_keeps_crlf_and_missing_final_newlines() {
    // The properties the byte-identity tests rely on, so they test what they claim.
    let mut crlf = 0;
    let mut unterminated = 0;
    for name in FILES {
        let bytes = read(name);
        crlf += usize::from(bytes.windows(2).any(|w| w == b"\r\n"));
        unterminated += usize::from(!bytes.ends_with(b"\n"));
    }
    assert!(crlf >= 1, "no corpus file has CRLF endings");
    assert!(unterminated >= 1, "every corpus file ends with a newline");
}

/// Every line through `scrub_line` (split on `\n`, a trailing `\r` stays in the line).
fn lines_are_identical(name: &str) {
    let bytes = read(name);
    let mut bad = Vec::new();
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let got = util::scrub_line(line);
        if got != line {
            bad.push(util::diff_report(&format!("{name}:{}", i + 1), line, &got));
        }
    }
    assert!(bad.is_empty(), "{name}: {} line(s) changed{}", bad.len(), bad.iter().take(5).cloned().collect::<String>());
}

/// The whole file through `scrub_buf` and `Scrubbed::write_to`.
fn buffer_is_identical(name: &str) {
    let bytes = read(name);
    crate::eqnice!(bytes, util::scrub_buf(&bytes), "{name} through scrub_buf");
    crate::eqnice!(bytes, util::scrub_buf_written(&bytes), "{name} through write_to");
}

/// The whole file through the binary, as a file argument and on stdin.
fn cli_is_identical(name: &str) {
    let bytes = read(name);
    let sandbox = util::Sandbox::new();
    let run = sandbox.run([path(name)], b"");
    run.assert_code(0);
    if run.stdout() != bytes.as_slice() {
        panic!(
            "{}\n{}",
            util::diff_report(&format!("logscrub {name}"), &bytes, run.stdout()),
            show(run.stderr_str().as_bytes())
        );
    }
    let run = sandbox.run(["-"], &bytes);
    run.assert_code(0);
    crate::eqnice!(bytes, run.stdout(), "logscrub - < {name}");
}

macro_rules! corpus_tests {
    ($($module:ident: $file:expr;)*) => {
        $(
            mod $module {
                #[test]
                fn every_line_is_identical() {
                    super::lines_are_identical($file);
                }

                #[test]
                fn whole_buffer_is_identical() {
                    super::buffer_is_identical($file);
                }

                #[test]
                fn cli_output_is_identical() {
                    super::cli_is_identical($file);
                }
            }
        )*
    };
}

corpus_tests! {
    apache: "Apache_2k.log";
    hdfs: "HDFS_2k.log";
    linux: "Linux_2k.log";
    openssh: "OpenSSH_2k.log";
    openstack: "OpenStack_2k.log";
    spark: "Spark_2k.log";
}
