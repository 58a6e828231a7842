//! An append-only byte stream that stays in memory while it is small and
//! moves to an unnamed temporary file when it grows: the object writer
//! keeps every section's bytes and relocations in one, so what a compile
//! holds in memory does not grow with the program.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

/// Bytes a spool holds in memory before it moves to a file.
const IN_MEMORY: usize = 64 * 1024;

/// Buffer of a spool's file writes and of copying it out.
const CHUNK: usize = 32 * 1024;

pub(crate) struct Spool {
    /// The bytes not yet in the file (all of them while there is none).
    buf: Vec<u8>,
    file: Option<File>,
    /// Bytes in the file.
    flushed: u64,
}

impl Spool {
    pub fn new() -> Spool {
        Spool {
            buf: Vec::new(),
            file: None,
            flushed: 0,
        }
    }

    pub fn len(&self) -> u64 {
        self.flushed + self.buf.len() as u64
    }

    pub fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        let limit = if self.file.is_some() {
            CHUNK
        } else {
            IN_MEMORY
        };
        if self.buf.len() + bytes.len() > limit {
            self.flush()?;
            if bytes.len() >= CHUNK {
                return self.write_file(bytes);
            }
        }
        self.buf.extend_from_slice(bytes);
        Ok(())
    }

    /// Appends zeros up to a multiple of `align`; the offset reached.
    pub fn pad_to(&mut self, align: u64) -> io::Result<u64> {
        let len = self.len();
        let to = len.next_multiple_of(align.max(1));
        const ZEROS: [u8; 64] = [0; 64];
        let mut left = to - len;
        while left > 0 {
            let n = left.min(ZEROS.len() as u64);
            self.write(&ZEROS[..n as usize])?;
            left -= n;
        }
        Ok(to)
    }

    /// Writes what is buffered to the file (created on first use).
    fn flush(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let buf = std::mem::take(&mut self.buf);
        self.write_file(&buf)?;
        // Keep a buffer of the file-backed size, not the in-memory one.
        self.buf = buf;
        self.buf.clear();
        self.buf.shrink_to(CHUNK);
        Ok(())
    }

    fn write_file(&mut self, bytes: &[u8]) -> io::Result<()> {
        let file = match &mut self.file {
            Some(f) => f,
            None => self.file.insert(tempfile::tempfile()?),
        };
        injected_failure(self.flushed + bytes.len() as u64)?;
        file.write_all_at(bytes, self.flushed)?;
        self.flushed += bytes.len() as u64;
        Ok(())
    }

    /// Hands the whole stream, in order, to `out` in pieces.
    pub fn copy_to(&self, out: &mut dyn FnMut(&[u8]) -> io::Result<()>) -> io::Result<()> {
        if let Some(f) = &self.file {
            let mut piece = vec![0u8; CHUNK];
            let mut at = 0;
            while at < self.flushed {
                let n = (self.flushed - at).min(CHUNK as u64) as usize;
                f.read_exact_at(&mut piece[..n], at)?;
                out(&piece[..n])?;
                at += n as u64;
            }
        }
        out(&self.buf)
    }

    /// The stream's bytes `at..at + into.len()`.
    pub fn read_at(&self, into: &mut [u8], at: u64) -> io::Result<()> {
        let end = at + into.len() as u64;
        if end > self.len() {
            return Err(io::Error::other("read past the end of a spool"));
        }
        // The part in the file, then the part in memory.
        let in_file = self.flushed.saturating_sub(at).min(into.len() as u64) as usize;
        if in_file > 0 {
            let f = self
                .file
                .as_ref()
                .ok_or_else(|| io::Error::other("no spool file"))?;
            f.read_exact_at(&mut into[..in_file], at)?;
        }
        let rest = into.len() - in_file;
        if rest > 0 {
            let from = (at + in_file as u64 - self.flushed) as usize;
            into[in_file..].copy_from_slice(&self.buf[from..from + rest]);
        }
        Ok(())
    }

    /// Heap bytes the spool holds.
    pub fn held(&self) -> usize {
        self.buf.capacity()
    }
}

thread_local! {
    static FAIL_AFTER: std::cell::Cell<Option<u64>> = const { std::cell::Cell::new(None) };
}

/// Makes this thread's spool files fail (as a full disk does) once one of
/// them would hold more than `bytes` (`None`: never). For tests.
pub fn set_spool_fault(bytes: Option<u64>) {
    FAIL_AFTER.with(|f| f.set(bytes));
}

fn injected_failure(len: u64) -> io::Result<()> {
    match FAIL_AFTER.with(std::cell::Cell::get) {
        Some(limit) if len > limit => Err(io::Error::from_raw_os_error(28)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contents(s: &Spool) -> Vec<u8> {
        let mut v = Vec::new();
        s.copy_to(&mut |b| {
            v.extend_from_slice(b);
            Ok(())
        })
        .unwrap();
        v
    }

    #[test]
    fn keeps_order_across_memory_and_file() {
        let mut s = Spool::new();
        let mut want = Vec::new();
        for i in 0..5000u32 {
            let piece: Vec<u8> = (0..(i % 97) as u8).map(|b| b ^ i as u8).collect();
            s.write(&piece).unwrap();
            want.extend_from_slice(&piece);
            if i % 1000 == 0 {
                let big = vec![i as u8; 40_000];
                s.write(&big).unwrap();
                want.extend_from_slice(&big);
            }
        }
        assert!(s.file.is_some(), "{} bytes stayed in memory", s.len());
        assert!(s.held() <= IN_MEMORY);
        assert_eq!(s.len(), want.len() as u64);
        assert_eq!(contents(&s), want);
        for at in [
            0,
            1,
            65_535,
            65_536,
            100_000,
            s.flushed - 10,
            want.len() as u64 - 10,
        ] {
            let mut got = [0u8; 10];
            s.read_at(&mut got, at).unwrap();
            assert_eq!(got, want[at as usize..at as usize + 10]);
        }
    }

    #[test]
    fn pads_with_zeros() {
        let mut s = Spool::new();
        s.write(b"abc").unwrap();
        assert_eq!(s.pad_to(16).unwrap(), 16);
        assert_eq!(s.pad_to(16).unwrap(), 16);
        assert_eq!(contents(&s), b"abc\0\0\0\0\0\0\0\0\0\0\0\0\0");
    }

    #[test]
    fn a_full_disk_is_an_error() {
        set_spool_fault(Some(100_000));
        let mut s = Spool::new();
        let r = (0..100).try_for_each(|_| s.write(&[7u8; 4096]));
        set_spool_fault(None);
        assert_eq!(r.unwrap_err().raw_os_error(), Some(28));
    }
}
