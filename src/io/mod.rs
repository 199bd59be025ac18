//! Input and output: the only place (with the binary) where `io::Error` exists.
//!
//! - [`input`]: the inputs of a run, in order (`-` is stdin).
//! - [`stream`]: the read → frame → scrub → write loop for one input, single-threaded.
//! - [`parallel`]: the same loop with scrubbing spread over threads, output in input order.

pub mod input;
pub mod parallel;
pub mod stream;

use std::io::{self, IoSlice, Write};

/// Writes `pieces` in order with as few `write_vectored` calls as the writer allows (one
/// `writev` for a chunk's pieces, usually), so a rewritten chunk reaches the kernel without
/// first being copied into a buffer. A single piece goes through `write_all`.
///
/// `std`'s `Write::write_all_vectored` is unstable; this is the same loop on stable.
pub(crate) fn write_all_pieces<'a, W, I>(w: &mut W, pieces: I) -> io::Result<()>
where
    W: Write + ?Sized,
    I: ExactSizeIterator<Item = &'a [u8]>,
{
    if pieces.len() <= 1 {
        for p in pieces {
            w.write_all(p)?;
        }
        return Ok(());
    }
    let mut slices: Vec<IoSlice<'a>> = Vec::with_capacity(pieces.len());
    slices.extend(pieces.filter(|p| !p.is_empty()).map(IoSlice::new));
    let mut bufs = &mut slices[..];
    while !bufs.is_empty() {
        match w.write_vectored(bufs) {
            Ok(0) => return Err(io::Error::new(io::ErrorKind::WriteZero, "failed to write whole buffer")),
            Ok(n) => IoSlice::advance_slices(&mut bufs, n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Accepts at most `max` bytes and at most two slices per call, like a slow pipe.
    struct Stingy {
        got: Vec<u8>,
        max: usize,
        calls: usize,
    }

    impl Write for Stingy {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.write_vectored(&[IoSlice::new(b)])
        }
        fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
            self.calls += 1;
            if self.calls % 3 == 0 {
                return Err(io::ErrorKind::Interrupted.into());
            }
            let mut n = 0;
            for b in bufs.iter().take(2) {
                let take = b.len().min(self.max - n);
                self.got.extend_from_slice(&b[..take]);
                n += take;
                if take < b.len() {
                    break;
                }
            }
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn partial_and_interrupted_vectored_writes_keep_every_byte_in_order() {
        let pieces: Vec<Vec<u8>> = (0..50u8).map(|i| vec![i; usize::from(i % 7)]).collect();
        let want: Vec<u8> = pieces.concat();
        for max in [1, 2, 5, 64, 10_000] {
            let mut w = Stingy { got: Vec::new(), max, calls: 0 };
            write_all_pieces(&mut w, pieces.iter().map(Vec::as_slice)).unwrap();
            assert_eq!(w.got, want, "max {max}");
        }
    }
}
