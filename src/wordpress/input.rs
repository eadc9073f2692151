//! The bytes of an export as the XML parser reads them: always UTF-8, whatever the
//! file holds. Old exports mix encodings, so invalid UTF-8 becomes U+FFFD (counted)
//! instead of failing the import, and a file declared Latin-1 / Windows-1252 is
//! transcoded. Also counts the lines and raw bytes consumed, for messages and progress.

use std::io::{self, BufRead, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Bytes read from the file per refill.
const CHUNK: usize = 256 * 1024;
/// U+FFFD REPLACEMENT CHARACTER in UTF-8.
const REPLACEMENT: &[u8] = "\u{fffd}".as_bytes();

/// How the file's bytes become UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8, with invalid sequences replaced.
    Utf8,
    /// ISO-8859-1 / Windows-1252 (what old PHP sites declared), transcoded.
    Windows1252,
}

/// A `BufRead` over a file's bytes, yielding valid UTF-8.
pub struct Decoded<R> {
    inner: R,
    encoding: Option<Encoding>,
    out: Vec<u8>,
    pos: usize,
    /// The tail of the previous chunk: an incomplete UTF-8 sequence.
    carry: Vec<u8>,
    eof: bool,
    replaced: u64,
    /// Newlines in the bytes handed out and consumed so far.
    lines_consumed: u64,
    raw_read: Arc<AtomicU64>,
}

impl<R: Read> Decoded<R> {
    /// Wraps `inner`. The encoding is sniffed from the XML declaration on first read.
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            encoding: None,
            out: Vec::with_capacity(CHUNK + 16),
            pos: 0,
            carry: Vec::new(),
            eof: false,
            replaced: 0,
            lines_consumed: 0,
            raw_read: Arc::new(AtomicU64::new(0)),
        }
    }

    /// How many invalid byte sequences were replaced with U+FFFD so far.
    pub fn replaced(&self) -> u64 {
        self.replaced
    }

    /// The 1-based line of the next byte the parser will read.
    pub fn line(&self) -> u64 {
        self.lines_consumed + 1
    }

    /// A counter of raw bytes read from the file, for a progress bar on another thread.
    pub fn raw_counter(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.raw_read)
    }

    /// The encoding in use (known after the first read).
    pub fn encoding(&self) -> Option<Encoding> {
        self.encoding
    }

    fn refill(&mut self) -> io::Result<()> {
        self.out.clear();
        self.pos = 0;
        while self.out.is_empty() && !self.eof {
            let mut raw = std::mem::take(&mut self.carry);
            let start = raw.len();
            raw.resize(start + CHUNK, 0);
            let n = read_full(&mut self.inner, raw.get_mut(start..).unwrap_or_default())?;
            raw.truncate(start + n);
            self.raw_read.fetch_add(n as u64, Ordering::Relaxed);
            if n == 0 {
                self.eof = true;
            }
            let encoding = match self.encoding {
                Some(e) => e,
                None => {
                    let bom = raw.starts_with(b"\xEF\xBB\xBF");
                    if bom {
                        raw.drain(..3);
                    }
                    let e = if bom { Encoding::Utf8 } else { sniff(&raw) };
                    self.encoding = Some(e);
                    e
                }
            };
            match encoding {
                Encoding::Utf8 => self.push_utf8(&raw),
                Encoding::Windows1252 => push_1252(&mut self.out, &raw),
            }
        }
        Ok(())
    }

    /// Appends the valid UTF-8 of `raw`, replacing invalid sequences and keeping an
    /// incomplete sequence at the end for the next chunk.
    fn push_utf8(&mut self, mut raw: &[u8]) {
        loop {
            match std::str::from_utf8(raw) {
                Ok(_) => {
                    self.out.extend_from_slice(raw);
                    return;
                }
                Err(e) => {
                    let (valid, rest) = raw.split_at(e.valid_up_to());
                    self.out.extend_from_slice(valid);
                    match e.error_len() {
                        Some(bad) => {
                            self.out.extend_from_slice(REPLACEMENT);
                            self.replaced += 1;
                            raw = rest.get(bad..).unwrap_or_default();
                        }
                        None if !self.eof => {
                            self.carry.extend_from_slice(rest);
                            return;
                        }
                        None => {
                            self.out.extend_from_slice(REPLACEMENT);
                            self.replaced += 1;
                            return;
                        }
                    }
                }
            }
        }
    }
}

impl<R: Read> Read for Decoded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf.iter_mut().zip(available).for_each(|(to, from)| *to = *from);
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for Decoded<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos >= self.out.len() {
            self.refill()?;
        }
        Ok(self.out.get(self.pos..).unwrap_or_default())
    }

    fn consume(&mut self, amt: usize) {
        let end = (self.pos + amt).min(self.out.len());
        let consumed = self.out.get(self.pos..end).unwrap_or_default();
        self.lines_consumed += consumed.iter().filter(|&&b| b == b'\n').count() as u64;
        self.pos = end;
    }
}

/// Reads until `buf` is full or the input ends.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(buf.get_mut(filled..).unwrap_or_default()) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// The encoding named in an XML declaration at the start of `head`.
fn sniff(head: &[u8]) -> Encoding {
    let head = head.get(..512).unwrap_or(head);
    let Some(end) = head.windows(2).position(|w| w == b"?>") else { return Encoding::Utf8 };
    let decl = String::from_utf8_lossy(head.get(..end).unwrap_or_default()).to_ascii_lowercase();
    if !decl.trim_start().starts_with("<?xml") {
        return Encoding::Utf8;
    }
    let name = decl
        .split("encoding")
        .nth(1)
        .and_then(|rest| rest.trim_start().strip_prefix('='))
        .map(|rest| rest.trim_start().trim_start_matches(['"', '\'']))
        .map(|rest| rest.split(['"', '\'']).next().unwrap_or_default().trim().to_owned())
        .unwrap_or_default();
    match name.as_str() {
        "iso-8859-1" | "iso-8859-15" | "latin1" | "latin-1" | "windows-1252" | "cp1252" => Encoding::Windows1252,
        _ => Encoding::Utf8,
    }
}

/// Windows-1252's characters for bytes 0x80..=0x9F (ISO-8859-1 has C1 controls there,
/// which no blog meant); undefined positions map to U+FFFD.
const CP1252_HIGH: [char; 32] = [
    '€', '\u{fffd}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{fffd}', 'Ž', '\u{fffd}', '\u{fffd}',
    '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{fffd}', 'ž', 'Ÿ',
];

fn push_1252(out: &mut Vec<u8>, raw: &[u8]) {
    let mut tmp = [0u8; 4];
    for &b in raw {
        if b < 0x80 {
            out.push(b);
        } else {
            let c = match b {
                0x80..=0x9F => CP1252_HIGH.get(usize::from(b - 0x80)).copied().unwrap_or('\u{fffd}'),
                _ => char::from(b),
            };
            out.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
        }
    }
}

/// The 1-based line of byte `offset` of the decoded text of `file`.
pub fn line_of(file: &std::path::Path, offset: u64) -> io::Result<u64> {
    let mut decoded = Decoded::new(std::fs::File::open(file)?);
    let mut remaining = offset;
    while remaining > 0 {
        let buf = decoded.fill_buf()?;
        if buf.is_empty() {
            break;
        }
        let n = usize::try_from(remaining).unwrap_or(usize::MAX).min(buf.len());
        decoded.consume(n);
        remaining -= n as u64;
    }
    Ok(decoded.line())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> (String, u64) {
        let mut d = Decoded::new(bytes);
        let mut s = String::new();
        d.read_to_string(&mut s).unwrap_or_default();
        (s, d.replaced())
    }

    #[test]
    fn invalid_utf8_is_replaced_and_counted() {
        let (s, n) = decode(b"<a>caf\xE9 ok \xF0\x9F\x98\x80</a>");
        assert_eq!(s, "<a>caf\u{fffd} ok \u{1F600}</a>");
        assert_eq!(n, 1);
    }

    #[test]
    fn a_latin1_declaration_transcodes() {
        let (s, n) = decode(b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>caf\xE9 \x93q\x94</a>");
        assert!(s.ends_with("<a>café “q”</a>"), "{s}");
        assert_eq!(n, 0);
    }

    #[test]
    fn sequences_split_across_chunks_survive() {
        let mut bytes = vec![b'a'; CHUNK - 1];
        bytes.extend_from_slice("é€".as_bytes());
        let (s, n) = decode(&bytes);
        assert!(s.ends_with("aé€"));
        assert_eq!(n, 0);
    }

    #[test]
    fn byte_order_mark_is_dropped() {
        assert_eq!(decode(b"\xEF\xBB\xBF<a/>").0, "<a/>");
    }
}
