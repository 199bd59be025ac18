//! CRI (containerd, CRI-O) log lines and the reassembly of partial lines (Docker json-file
//! lines cut from one message are joined with the same groups).
//!
//! A CRI log line is `<RFC 3339 time> <stdout|stderr> <P|F> <message>`. The runtime cuts a long
//! message (containerd: at 16 KiB) into `P` (partial) lines and ends it with an `F` (full)
//! line. Lines of the two streams interleave, each stream's partials stay in order.
//!
//! This module holds the pure parts: the line parser, the per-stream [`Group`]s being joined,
//! the ordered output [`Queue`], and [`split_back`], which puts a scrubbed message back into
//! the original lines. The scrubbing itself happens in [`super`].

use std::collections::VecDeque;
use std::ops::Range;

/// A CRI stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stream {
    Stdout = 0,
    Stderr = 1,
}

impl Stream {
    /// The stream named at the start of `rest` (`stdout` or `stderr`), followed by `end`: a
    /// space in a CRI line, the closing quote in a Docker json-file line.
    pub(crate) fn named(rest: &[u8], end: u8) -> Option<Stream> {
        let stream = match rest.get(..6)? {
            b"stdout" => Stream::Stdout,
            b"stderr" => Stream::Stderr,
            _ => return None,
        };
        (rest.get(6) == Some(&end)).then_some(stream)
    }
}

/// A parsed CRI line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Line {
    pub(crate) stream: Stream,
    /// Tag `P`.
    pub(crate) partial: bool,
    /// End of the tag (the prefix `time stream tag` is `line[..tag_end]`).
    pub(crate) tag_end: usize,
    /// Start of the message (`tag_end + 1`, or `tag_end` when the line ends after the tag).
    pub(crate) content: usize,
}

/// Parses `^\d{4}-\d\d-\d\dT\S+ (stdout|stderr) [PF]( |$)`.
pub(crate) fn parse(line: &[u8]) -> Option<Line> {
    let d = |i: usize| line.get(i).is_some_and(u8::is_ascii_digit);
    if !(d(0) && d(1) && d(2) && d(3) && line.get(4) == Some(&b'-') && d(5) && d(6) && line.get(7) == Some(&b'-'))
        || !(d(8) && d(9) && line.get(10) == Some(&b'T'))
    {
        return None;
    }
    let sp = 11 + memchr::memchr(b' ', line.get(11..)?)?;
    if sp == 11 || line[11..sp].iter().any(u8::is_ascii_whitespace) {
        return None;
    }
    let stream = Stream::named(&line[sp + 1..], b' ')?;
    let tag = sp + 8;
    let partial = match line.get(tag)? {
        b'P' => true,
        b'F' => false,
        _ => return None,
    };
    let tag_end = tag + 1;
    let content = match line.get(tag_end) {
        None => tag_end,
        Some(b' ') => tag_end + 1,
        Some(_) => return None,
    };
    Some(Line { stream, partial, tag_end, content })
}

/// One line of a group: everything needed to write it back.
#[derive(Debug)]
pub(crate) struct Member {
    /// Its place in the output [`Queue`].
    pub(crate) seq: u64,
    /// `time stream tag`, without the space before the message.
    pub(crate) prefix: Vec<u8>,
    /// Whether a space followed the tag.
    pub(crate) sep: bool,
    /// Bytes of the joined message that came from this line.
    pub(crate) len: usize,
    /// Whether the line ended with `\n`.
    pub(crate) term: bool,
    /// Whether leading bytes were dropped (fail closed after a capped group).
    pub(crate) swallowed: bool,
    /// 1-based line number (for findings reports; 0 when not recorded).
    pub(crate) line_no: u64,
    /// A Docker json-file line's own parts (its `prefix` is then the line up to the `log`
    /// body); `None` for a CRI line.
    pub(crate) docker: Option<DockerLine>,
}

/// What a Docker json-file line of a group keeps besides its prefix: its `log` body as written
/// (put back byte for byte when its part of the message is unchanged) and the rest of the line
/// after the body (`","stream":"stdout","time":"…"}`).
#[derive(Debug)]
pub(crate) struct DockerLine {
    pub(crate) raw: Vec<u8>,
    pub(crate) suffix: Vec<u8>,
}

/// The partial lines of one stream joined so far.
#[derive(Debug, Default)]
pub(crate) struct Group {
    pub(crate) members: Vec<Member>,
    /// The joined message.
    pub(crate) msg: Vec<u8>,
    /// Bytes of the members' [`DockerLine`]s.
    pub(crate) kept: usize,
}

/// One output line, ready or waiting for its group.
#[derive(Debug)]
enum Item {
    Ready(Vec<u8>),
    Waiting,
}

/// Output held back while a group is open, in input order. Sequence numbers grow forever.
#[derive(Debug, Default)]
pub(crate) struct Queue {
    items: VecDeque<Item>,
    head: u64,
    /// Bytes of ready items.
    ready_bytes: usize,
}

impl Queue {
    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub(crate) fn push_ready(&mut self, bytes: Vec<u8>) {
        self.ready_bytes += bytes.len();
        self.items.push_back(Item::Ready(bytes));
    }

    /// Reserves a place; returns its sequence number.
    pub(crate) fn push_waiting(&mut self) -> u64 {
        self.items.push_back(Item::Waiting);
        self.head + self.items.len() as u64 - 1
    }

    pub(crate) fn set_ready(&mut self, seq: u64, bytes: Vec<u8>) {
        self.ready_bytes += bytes.len();
        let i = (seq - self.head) as usize;
        debug_assert!(matches!(self.items[i], Item::Waiting));
        self.items[i] = Item::Ready(bytes);
    }

    /// The front item when it is ready.
    pub(crate) fn pop_ready(&mut self) -> Option<Vec<u8>> {
        if !matches!(self.items.front(), Some(Item::Ready(_))) {
            return None;
        }
        self.head += 1;
        match self.items.pop_front() {
            Some(Item::Ready(b)) => {
                self.ready_bytes -= b.len();
                Some(b)
            }
            _ => unreachable!("checked above"),
        }
    }

    pub(crate) fn ready_bytes(&self) -> usize {
        self.ready_bytes
    }
}

/// Where a group is joined: one stream of CRI lines or of Docker json-file lines. The two
/// formats never join each other's messages (a Docker line amid a CRI stream's partials is a
/// line of its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Slot(usize);

impl Slot {
    pub(crate) fn cri(s: Stream) -> Slot {
        Slot(s as usize)
    }

    pub(crate) fn docker(s: Stream) -> Slot {
        Slot(2 + s as usize)
    }
}

const SLOTS: usize = 4;

/// Reassembly state of one input: a group per slot, fail-closed flags, the output queue.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub(crate) groups: [Option<Group>; SLOTS],
    /// Drop the leading token run of the slot's next message (after a capped group).
    pub(crate) swallow: [bool; SLOTS],
    pub(crate) queue: Queue,
}

impl State {
    pub(crate) fn pending(&self) -> bool {
        self.groups.iter().any(Option::is_some)
    }

    pub(crate) fn has_group(&self, s: Slot) -> bool {
        self.groups[s.0].is_some()
    }

    pub(crate) fn group_mut(&mut self, s: Slot) -> &mut Option<Group> {
        &mut self.groups[s.0]
    }

    pub(crate) fn swallow_mut(&mut self, s: Slot) -> &mut bool {
        &mut self.swallow[s.0]
    }

    /// Bytes held in memory: queued output, joined messages, and the Docker lines kept to be
    /// written back.
    pub(crate) fn held(&self) -> usize {
        self.queue.ready_bytes() + self.groups.iter().flatten().map(|g| g.msg.len() + g.kept).sum::<usize>()
    }

    /// The slot whose open group started first.
    pub(crate) fn oldest(&self) -> Option<Slot> {
        (0..SLOTS)
            .filter_map(|i| self.groups[i].as_ref().map(|g| (g.members[0].seq, Slot(i))))
            .min_by_key(|&(seq, _)| seq)
            .map(|(_, s)| s)
    }

    /// Forgets everything (a new input).
    pub(crate) fn reset(&mut self) {
        *self = State::default();
    }
}

/// Where the scrubbed message `new` is cut so that line `k` gets `new[cuts[k]..cuts[k + 1]]`.
///
/// `lens` are the original lines' message lengths (they add up to `old.len()`), `spans` the
/// ranges of `old` the scrubber rewrote (its findings), in any order. A cut in unchanged text
/// stays between the same bytes; a cut inside a rewritten secret moves to the end of its
/// replacement, so the replacement stays whole on the line where the secret began. When the
/// replacements cannot be located exactly (no spans, or a search mismatch), cuts before the
/// first change and after the last stay, and those in between move to the end of the changed
/// region.
pub(crate) fn split_back(old: &[u8], new: &[u8], lens: &[usize], spans: &[Range<usize>]) -> Vec<usize> {
    let mut bounds = Vec::with_capacity(lens.len() + 1);
    let mut acc = 0;
    bounds.push(0);
    for &l in lens {
        acc += l;
        bounds.push(acc);
    }
    debug_assert_eq!(acc, old.len());
    let map: Box<dyn Fn(usize) -> usize> = match locate(old, new, spans) {
        Some(edits) => Box::new(move |b: usize| {
            let mut delta: isize = 0;
            for (o, n) in &edits {
                if b <= o.start {
                    break;
                }
                if b < o.end {
                    return n.end;
                }
                delta += n.len() as isize - o.len() as isize;
            }
            (b as isize + delta) as usize
        }),
        None => {
            let max = old.len().min(new.len());
            let p = old.iter().zip(new).take_while(|(a, b)| a == b).count();
            let s = old.iter().rev().zip(new.iter().rev()).take(max - p).take_while(|(a, b)| a == b).count();
            let (ol, nl) = (old.len(), new.len());
            Box::new(move |b: usize| {
                if b <= p {
                    b
                } else if b >= ol - s {
                    b + nl - ol
                } else {
                    nl - s
                }
            })
        }
    };
    let mut cuts: Vec<usize> = Vec::with_capacity(bounds.len());
    for (k, &b) in bounds.iter().enumerate() {
        let c = if k == 0 {
            0
        } else if k == bounds.len() - 1 {
            new.len()
        } else {
            map(b).min(new.len())
        };
        let prev = cuts.last().copied().unwrap_or(0);
        cuts.push(c.max(prev));
    }
    cuts
}

/// Pairs each rewritten range of `old` with its replacement's range in `new`, or `None` when
/// the replacements cannot be located unambiguously.
fn locate(old: &[u8], new: &[u8], spans: &[Range<usize>]) -> Option<Vec<(Range<usize>, Range<usize>)>> {
    let mut sp: Vec<Range<usize>> = spans.iter().filter(|r| r.end <= old.len() && r.start < r.end).cloned().collect();
    if sp.is_empty() {
        return (old == new).then(Vec::new);
    }
    sp.sort_by_key(|r| r.start);
    // Merge overlapping and touching spans: with no unchanged byte between them, their
    // replacements cannot be told apart.
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(sp.len());
    for r in sp {
        match merged.last_mut() {
            Some(m) if r.start <= m.end => m.end = m.end.max(r.end),
            _ => merged.push(r),
        }
    }
    let mut edits = Vec::with_capacity(merged.len());
    let (mut o, mut prev) = (0usize, 0usize);
    for (i, r) in merged.iter().enumerate() {
        let gap = &old[prev..r.start];
        if new.get(o..o + gap.len())? != gap {
            return None;
        }
        o += gap.len();
        let next_start = merged.get(i + 1).map_or(old.len(), |n| n.start);
        let after = &old[r.end..next_start];
        let end = if i + 1 == merged.len() {
            let e = new.len().checked_sub(after.len())?;
            if e < o || &new[e..] != after {
                return None;
            }
            e
        } else {
            o + 1 + memchr::memmem::find(new.get(o + 1..)?, after)?
        };
        edits.push((r.clone(), o..end));
        o = end;
        prev = r.end;
    }
    Some(edits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_containerd_lines() {
        let l = parse(b"2024-05-01T10:00:00.123456789Z stdout P hello").unwrap();
        assert_eq!((l.stream, l.partial, l.content), (Stream::Stdout, true, 40));
        let l = parse(b"2024-05-01T10:00:00.1+02:00 stderr F ").unwrap();
        assert_eq!((l.stream, l.partial), (Stream::Stderr, false));
        assert_eq!(parse(b"2024-05-01T10:00:00Z stdout F").unwrap().content, 29);
        for bad in [
            &b"2024-05-01T10:00:00Z F no stream"[..],
            b"2024-05-01 10:00:00Z stdout F x",
            b"2024-05-01T10:00:00Z stdout X x",
            b"2024-05-01T10:00:00Z stdout Fx",
            b"2024-05-01T stdout F x",
            b"plain text",
        ] {
            assert!(parse(bad).is_none(), "{}", bad.escape_ascii());
        }
    }

    #[test]
    fn split_back_keeps_cuts_outside_secrets() {
        // old: "aa SECRET bb" split as "aa SE" | "CRET b" | "b"
        let old = b"aa SECRET bb";
        let new = b"aa [X] bb";
        let secret = 3..9;
        let cuts = split_back(old, new, &[5, 6, 1], std::slice::from_ref(&secret));
        assert_eq!(cuts, [0, 6, 8, 9]);
        assert_eq!(&new[0..6], b"aa [X]");
        assert_eq!(&new[6..8], b" b");
        // Two secrets, a cut between them in unchanged text.
        let old = b"k=AAAA mid k=BBBB end";
        let new = b"k=[R] mid k=[R] end";
        let cuts = split_back(old, new, &[9, 12], &[2..6, 13..17]);
        assert_eq!(&new[..cuts[1]], b"k=[R] mi");
        // Unknown spans: fall back to prefix and suffix.
        let cuts = split_back(old, new, &[3, 15, 3], &[]);
        assert_eq!(cuts, [0, 15, 16, 19]);
    }
}
