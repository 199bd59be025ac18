//! Counters and gauges, rendered in the Prometheus text format.
//!
//! Every counter is an atomic added to once per batch (the scrubber's [`Stats`] are drained per
//! read, never per line). Labels are bounded: inputs and outputs are labelled by their
//! configured name, never per connection or per file.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering::Relaxed};

use tokio::sync::Semaphore;

use crate::stats::Stats;

/// The seven finding kinds, in [`crate::stats::FindingCounts::iter`] order.
const KINDS: usize = 7;

/// Counters of one input.
#[derive(Debug, Default)]
pub(crate) struct InputMetrics {
    pub(crate) name: String,
    pub(crate) lines: AtomicU64,
    pub(crate) bytes: AtomicU64,
    pub(crate) lines_changed: AtomicU64,
    pub(crate) findings: [AtomicU64; KINDS],
    pub(crate) claims_redacted: AtomicU64,
    pub(crate) long_line_cuts: AtomicU64,
    pub(crate) oversized_runs: AtomicU64,
    pub(crate) connections_total: AtomicU64,
    pub(crate) connections: AtomicI64,
    pub(crate) files: AtomicI64,
    pub(crate) errors: AtomicU64,
}

impl InputMetrics {
    /// Adds one batch's counters.
    pub(crate) fn add(&self, s: &Stats) {
        self.lines.fetch_add(s.lines, Relaxed);
        self.bytes.fetch_add(s.bytes_in, Relaxed);
        self.lines_changed.fetch_add(s.lines_changed, Relaxed);
        for (i, (_, n)) in s.findings.iter().enumerate() {
            if n > 0 {
                self.findings[i].fetch_add(n, Relaxed);
            }
        }
        self.claims_redacted.fetch_add(s.claims_redacted, Relaxed);
    }
}

/// Counters of one output.
#[derive(Debug)]
pub(crate) struct OutputMetrics {
    pub(crate) name: String,
    pub(crate) lines: AtomicU64,
    pub(crate) bytes: AtomicU64,
    pub(crate) dropped: AtomicU64,
    pub(crate) errors: AtomicU64,
    /// Open (file, stdout) or connected (forwarders).
    pub(crate) ready: AtomicBool,
    /// The queue's line permits: depth = capacity - available.
    pub(crate) queue: Arc<Semaphore>,
    pub(crate) queue_cap: usize,
}

/// Everything `/metrics` shows, plus what `/readyz` decides on.
#[derive(Debug)]
pub(crate) struct Metrics {
    pub(crate) inputs: Vec<InputMetrics>,
    pub(crate) outputs: Vec<OutputMetrics>,
    pub(crate) reloads_ok: AtomicU64,
    pub(crate) reloads_error: AtomicU64,
    /// Every input is bound (listeners) or open.
    pub(crate) inputs_ready: AtomicBool,
    pub(crate) shutting_down: AtomicBool,
}

impl Metrics {
    pub(crate) fn new(inputs: Vec<String>, outputs: Vec<(String, Arc<Semaphore>, usize)>) -> Metrics {
        Metrics {
            inputs: inputs.into_iter().map(|name| InputMetrics { name, ..InputMetrics::default() }).collect(),
            outputs: outputs
                .into_iter()
                .map(|(name, queue, queue_cap)| OutputMetrics {
                    name,
                    lines: AtomicU64::new(0),
                    bytes: AtomicU64::new(0),
                    dropped: AtomicU64::new(0),
                    errors: AtomicU64::new(0),
                    ready: AtomicBool::new(false),
                    queue,
                    queue_cap,
                })
                .collect(),
            reloads_ok: AtomicU64::new(0),
            reloads_error: AtomicU64::new(0),
            inputs_ready: AtomicBool::new(false),
            shutting_down: AtomicBool::new(false),
        }
    }

    /// `Ok` when ready to take traffic, else the reason.
    pub(crate) fn readiness(&self) -> Result<(), String> {
        if self.shutting_down.load(Relaxed) {
            return Err("shutting down".to_string());
        }
        if !self.inputs_ready.load(Relaxed) {
            return Err("inputs not bound yet".to_string());
        }
        let down: Vec<&str> = self.outputs.iter().filter(|o| !o.ready.load(Relaxed)).map(|o| o.name.as_str()).collect();
        if down.is_empty() { Ok(()) } else { Err(format!("outputs not connected: {}", down.join(", "))) }
    }

    /// Lines waiting in every output queue.
    pub(crate) fn queued_lines(&self) -> u64 {
        self.outputs.iter().map(|o| o.queue_cap.saturating_sub(o.queue.available_permits()) as u64).sum()
    }

    /// The Prometheus text exposition (format 0.0.4).
    pub(crate) fn render(&self) -> String {
        let mut s = String::with_capacity(4096);
        let ins = &self.inputs;
        let outs = &self.outputs;
        family(&mut s, "logscrub_lines_in_total", "counter", "Lines read, by input.");
        for i in ins {
            sample(&mut s, "logscrub_lines_in_total", &[("input", &i.name)], i.lines.load(Relaxed));
        }
        family(&mut s, "logscrub_bytes_in_total", "counter", "Bytes read, by input.");
        for i in ins {
            sample(&mut s, "logscrub_bytes_in_total", &[("input", &i.name)], i.bytes.load(Relaxed));
        }
        family(&mut s, "logscrub_lines_changed_total", "counter", "Lines with at least one redaction, by input.");
        for i in ins {
            sample(&mut s, "logscrub_lines_changed_total", &[("input", &i.name)], i.lines_changed.load(Relaxed));
        }
        family(&mut s, "logscrub_findings_total", "counter", "Secrets found, by input and kind.");
        let zero = Stats::default();
        for i in ins {
            for (k, (kind, _)) in zero.findings.iter().enumerate() {
                let v = i.findings[k].load(Relaxed);
                sample(&mut s, "logscrub_findings_total", &[("input", &i.name), ("kind", kind)], v);
            }
        }
        family(&mut s, "logscrub_claims_redacted_total", "counter", "JWT claims redacted, hashed, masked or dropped.");
        for i in ins {
            sample(&mut s, "logscrub_claims_redacted_total", &[("input", &i.name)], i.claims_redacted.load(Relaxed));
        }
        family(&mut s, "logscrub_long_line_cuts_total", "counter", "Lines longer than max_line cut into windows.");
        for i in ins {
            sample(&mut s, "logscrub_long_line_cuts_total", &[("input", &i.name)], i.long_line_cuts.load(Relaxed));
        }
        family(
            &mut s,
            "logscrub_oversized_runs_redacted_total",
            "counter",
            "Token runs longer than a window whose rest was dropped (fail closed).",
        );
        for i in ins {
            let v = i.oversized_runs.load(Relaxed);
            sample(&mut s, "logscrub_oversized_runs_redacted_total", &[("input", &i.name)], v);
        }
        family(&mut s, "logscrub_connections_total", "counter", "Connections accepted, by input.");
        for i in ins {
            sample(&mut s, "logscrub_connections_total", &[("input", &i.name)], i.connections_total.load(Relaxed));
        }
        family(&mut s, "logscrub_connections", "gauge", "Open connections, by input.");
        for i in ins {
            sample_i(&mut s, "logscrub_connections", &[("input", &i.name)], i.connections.load(Relaxed));
        }
        family(&mut s, "logscrub_files_followed", "gauge", "Files being followed, by input.");
        for i in ins {
            sample_i(&mut s, "logscrub_files_followed", &[("input", &i.name)], i.files.load(Relaxed));
        }
        family(&mut s, "logscrub_input_errors_total", "counter", "Read, accept and open errors, by input.");
        for i in ins {
            sample(&mut s, "logscrub_input_errors_total", &[("input", &i.name)], i.errors.load(Relaxed));
        }
        family(&mut s, "logscrub_lines_out_total", "counter", "Lines written, by output.");
        for o in outs {
            sample(&mut s, "logscrub_lines_out_total", &[("output", &o.name)], o.lines.load(Relaxed));
        }
        family(&mut s, "logscrub_bytes_out_total", "counter", "Bytes written, by output.");
        for o in outs {
            sample(&mut s, "logscrub_bytes_out_total", &[("output", &o.name)], o.bytes.load(Relaxed));
        }
        family(&mut s, "logscrub_dropped_lines_total", "counter", "Lines dropped by the drop policy, by output.");
        for o in outs {
            sample(&mut s, "logscrub_dropped_lines_total", &[("output", &o.name)], o.dropped.load(Relaxed));
        }
        family(&mut s, "logscrub_output_errors_total", "counter", "Write, open and connect errors, by output.");
        for o in outs {
            sample(&mut s, "logscrub_output_errors_total", &[("output", &o.name)], o.errors.load(Relaxed));
        }
        family(&mut s, "logscrub_queue_lines", "gauge", "Lines waiting in the output queue, by output.");
        for o in outs {
            let depth = o.queue_cap.saturating_sub(o.queue.available_permits()) as u64;
            sample(&mut s, "logscrub_queue_lines", &[("output", &o.name)], depth);
        }
        family(&mut s, "logscrub_output_up", "gauge", "1 when the output is open or connected.");
        for o in outs {
            sample(&mut s, "logscrub_output_up", &[("output", &o.name)], u64::from(o.ready.load(Relaxed)));
        }
        family(&mut s, "logscrub_reloads_total", "counter", "Rule reloads, by result.");
        sample(&mut s, "logscrub_reloads_total", &[("result", "ok")], self.reloads_ok.load(Relaxed));
        sample(&mut s, "logscrub_reloads_total", &[("result", "error")], self.reloads_error.load(Relaxed));
        s
    }
}

fn family(s: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

fn labels(s: &mut String, name: &str, labels: &[(&str, &str)]) {
    s.push_str(name);
    if !labels.is_empty() {
        s.push('{');
        for (i, (k, v)) in labels.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            s.push_str(k);
            s.push_str("=\"");
            for c in v.chars() {
                match c {
                    '\\' => s.push_str("\\\\"),
                    '"' => s.push_str("\\\""),
                    '\n' => s.push_str("\\n"),
                    c => s.push(c),
                }
            }
            s.push('"');
        }
        s.push('}');
    }
}

fn sample(s: &mut String, name: &str, l: &[(&str, &str)], v: u64) {
    labels(s, name, l);
    let _ = writeln!(s, " {v}");
}

fn sample_i(s: &mut String, name: &str, l: &[(&str, &str)], v: i64) {
    labels(s, name, l);
    let _ = writeln!(s, " {v}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        let mut s = String::new();
        sample(&mut s, "m", &[("input", "a\"b\\c\nd")], 3);
        assert_eq!(s, "m{input=\"a\\\"b\\\\c\\nd\"} 3\n");
    }

    #[test]
    fn render_lists_every_family() {
        let m = Metrics::new(vec!["app".into()], vec![("out".into(), Arc::new(Semaphore::new(10)), 10)]);
        let mut st = Stats { lines: 2, bytes_in: 10, ..Stats::default() };
        st.findings.jws = 1;
        m.inputs[0].add(&st);
        let text = m.render();
        assert!(text.contains("logscrub_lines_in_total{input=\"app\"} 2\n"));
        assert!(text.contains("logscrub_findings_total{input=\"app\",kind=\"jws\"} 1\n"));
        assert!(text.contains("logscrub_queue_lines{output=\"out\"} 0\n"));
        assert!(text.contains("logscrub_reloads_total{result=\"error\"} 0\n"));
    }
}
