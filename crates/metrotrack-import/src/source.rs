//! The byte layers under the CSV parser: counting and hashing the raw bytes, sniffing the
//! encoding and delimiter, decoding to UTF-8, and refusing a record past the line bound.
//!
//! Each layer is a small [`Read`] adapter, so a file is streamed through a fixed amount
//! of memory whatever its size. A layer that refuses input returns an [`io::Error`]
//! wrapping a [`SourceError`], which the reader turns into a fatal problem.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::io::{self, Read};
use std::rc::Rc;

use encoding_rs::{Decoder, DecoderResult, Encoding};
use sha2::{Digest, Sha256};

use crate::options::TextEncoding;

/// How much of the file is looked at to detect its encoding and delimiter.
pub(crate) const SNIFF_BYTES: usize = 64 * 1024;

/// Why the byte layers refused a file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SourceError {
    #[error("the file is larger than {}; split it into smaller files", human_bytes(*limit))]
    TooLarge { limit: u64 },
    #[error(
        "the record starting on line {line} is longer than {}{}",
        human_bytes(*limit as u64),
        if *open_quote { "; a quote (\") may have been left open" } else { "" }
    )]
    LineTooLong {
        line: u64,
        limit: usize,
        open_quote: bool,
    },
    #[error("this is not a text CSV file (a NUL character on line {line})")]
    Nul { line: u64 },
    #[error(
        "the file is not valid {encoding} text (bad bytes at byte {offset}); save it as UTF-8 CSV or give its encoding"
    )]
    Malformed { encoding: TextEncoding, offset: u64 },
}

impl SourceError {
    fn into_io(self) -> io::Error {
        io::Error::other(self)
    }

    /// The refusal an I/O error carries, if it came from one of these layers.
    pub(crate) fn from_io(err: &io::Error) -> Option<&Self> {
        err.get_ref()?.downcast_ref::<Self>()
    }
}

/// `268435456` → `256 MiB`, `65536` → `64 KiB`, for messages.
pub(crate) fn human_bytes(n: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else if n >= KIB && n.is_multiple_of(KIB) {
        format!("{} KiB", n / KIB)
    } else {
        format!("{n} bytes")
    }
}

/// Counts and hashes the raw bytes, refusing more than `limit` of them.
#[derive(Debug)]
pub(crate) struct Counting<R> {
    inner: R,
    hasher: Sha256,
    count: Rc<Cell<u64>>,
    limit: u64,
}

impl<R: Read> Counting<R> {
    pub(crate) fn new(inner: R, limit: u64) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
            count: Rc::new(Cell::new(0)),
            limit,
        }
    }

    /// A handle on the number of bytes read so far, readable while the layers above
    /// hold this reader.
    pub(crate) fn counter(&self) -> Rc<Cell<u64>> {
        Rc::clone(&self.count)
    }

    /// The SHA-256 (lower-case hex) and size of every byte read.
    pub(crate) fn finish(self) -> (String, u64) {
        (hex::encode(self.hasher.finalize()), self.count.get())
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let count = self.count.get();
        if count > self.limit {
            return Err(SourceError::TooLarge { limit: self.limit }.into_io());
        }
        // Never read more than one byte past the limit.
        let room = usize::try_from(self.limit - count)
            .unwrap_or(usize::MAX)
            .saturating_add(1);
        let want = buf.len().min(room);
        let n = self.inner.read(&mut buf[..want])?;
        self.hasher.update(&buf[..n]);
        let count = count + n as u64;
        self.count.set(count);
        if count > self.limit {
            return Err(SourceError::TooLarge { limit: self.limit }.into_io());
        }
        Ok(n)
    }
}

/// Reads up to `max` bytes; `true` when the input ended within them.
pub(crate) fn read_head<R: Read>(input: &mut R, max: usize) -> io::Result<(Vec<u8>, bool)> {
    let mut head = Vec::with_capacity(max.min(SNIFF_BYTES));
    let n = (&mut *input).take(max as u64).read_to_end(&mut head)?;
    Ok((head, n < max))
}

/// The encoding a file is in, and the length of its byte-order mark (0 when none).
/// A BOM decides; without one, UTF-8 when the head is valid UTF-8 (a character cut at
/// the end of the head is allowed), otherwise Windows-1258. `forced` overrides all.
pub(crate) fn detect_encoding(
    head: &[u8],
    at_eof: bool,
    forced: Option<TextEncoding>,
) -> (TextEncoding, usize) {
    let bom = Encoding::for_bom(head)
        .and_then(|(enc, len)| TextEncoding::from_encoding(enc).map(|e| (e, len)));
    if let Some(forced) = forced {
        let bom_len = match bom {
            Some((enc, len)) if enc == forced => len,
            _ => 0,
        };
        return (forced, bom_len);
    }
    if let Some(found) = bom {
        return found;
    }
    let utf8 = match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && !at_eof,
    };
    if utf8 {
        (TextEncoding::Utf8, 0)
    } else {
        (TextEncoding::Windows1258, 0)
    }
}

/// The offset of the first byte no text file holds (NUL and the other C0 controls but
/// tab, line feed, vertical tab, form feed and carriage return), for 8-bit encodings.
pub(crate) fn binary_at(head: &[u8], encoding: TextEncoding) -> Option<usize> {
    match encoding {
        TextEncoding::Utf16Le | TextEncoding::Utf16Be => None,
        TextEncoding::Utf8 | TextEncoding::Windows1258 => head
            .iter()
            .position(|&b| matches!(b, 0x00..=0x08 | 0x0E..=0x1F)),
    }
}

/// A hint for a binary file whose signature is known: spreadsheets saved as workbooks.
pub(crate) fn binary_hint(head: &[u8]) -> &'static str {
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"\xD0\xCF\x11\xE0") {
        "; it looks like an Excel workbook: save it as CSV first"
    } else {
        ""
    }
}

/// The delimiter of the first non-blank line of `text`: whichever of `,`, `;` and tab
/// occurs most often outside quotes (comma when none does). Without such a line, the
/// most frequent one anywhere (a file of blank `;;;` lines).
pub(crate) fn detect_delimiter(text: &str) -> u8 {
    const CANDIDATES: [u8; 3] = [b',', b';', b'\t'];
    let mut counts = [0usize; 3];
    let mut totals = [0usize; 3];
    let mut in_quotes = false;
    let mut content = false;
    for c in text.chars() {
        match c {
            '"' => {
                in_quotes = !in_quotes;
                content = true;
            }
            '\n' | '\r' if !in_quotes => {
                if content {
                    totals = counts;
                    break;
                }
                counts = [0; 3];
            }
            ',' | ';' | '\t' if !in_quotes => {
                if let Some(i) = CANDIDATES.iter().position(|&d| char::from(d) == c) {
                    counts[i] += 1;
                    totals[i] += 1;
                }
            }
            c if !c.is_whitespace() => content = true,
            _ => {}
        }
    }
    // No line with content: go by the delimiters seen anywhere.
    let counts = if content { counts } else { totals };
    let mut best = 0;
    for i in 1..CANDIDATES.len() {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    CANDIDATES[best]
}

/// Decodes a byte stream to UTF-8 as it is read, removing the encoding's BOM and
/// refusing malformed input rather than replacing it.
pub(crate) struct Decoding<R> {
    inner: R,
    decoder: Decoder,
    encoding: TextEncoding,
    input: Box<[u8]>,
    in_pos: usize,
    in_len: usize,
    input_done: bool,
    output: Box<[u8]>,
    out_pos: usize,
    out_len: usize,
    consumed: u64,
    finished: bool,
    pending: Option<SourceError>,
}

impl<R> std::fmt::Debug for Decoding<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decoding")
            .field("encoding", &self.encoding)
            .field("consumed", &self.consumed)
            .finish_non_exhaustive()
    }
}

impl<R: Read> Decoding<R> {
    pub(crate) fn new(inner: R, encoding: TextEncoding) -> Self {
        Self {
            inner,
            decoder: encoding.encoding().new_decoder_with_bom_removal(),
            encoding,
            input: vec![0; 16 * 1024].into_boxed_slice(),
            in_pos: 0,
            in_len: 0,
            input_done: false,
            output: vec![0; 32 * 1024].into_boxed_slice(),
            out_pos: 0,
            out_len: 0,
            consumed: 0,
            finished: false,
            pending: None,
        }
    }
}

impl<R: Read> Read for Decoding<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.out_pos < self.out_len {
                let n = buf.len().min(self.out_len - self.out_pos);
                buf[..n].copy_from_slice(&self.output[self.out_pos..self.out_pos + n]);
                self.out_pos += n;
                return Ok(n);
            }
            if let Some(err) = self.pending.clone() {
                return Err(err.into_io());
            }
            if self.finished || buf.is_empty() {
                return Ok(0);
            }
            if self.in_pos == self.in_len && !self.input_done {
                let n = loop {
                    match self.inner.read(&mut self.input) {
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        other => break other?,
                    }
                };
                self.in_pos = 0;
                self.in_len = n;
                self.input_done = n == 0;
            }
            let last = self.input_done;
            let (result, read, written) = self.decoder.decode_to_utf8_without_replacement(
                &self.input[self.in_pos..self.in_len],
                &mut self.output,
                last,
            );
            self.in_pos += read;
            self.consumed += read as u64;
            self.out_pos = 0;
            self.out_len = written;
            match result {
                DecoderResult::InputEmpty => self.finished = last,
                DecoderResult::OutputFull => {}
                DecoderResult::Malformed(bad, extra) => {
                    let offset = self
                        .consumed
                        .saturating_sub(u64::from(bad) + u64::from(extra));
                    self.pending = Some(SourceError::Malformed {
                        encoding: self.encoding,
                        offset,
                    });
                }
            }
        }
    }
}

/// Where the guard is in the CSV grammar, mirroring the parser's quoting rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quoting {
    FieldStart,
    Unquoted,
    Quoted,
    /// A `"` inside a quoted field: the field's end, or the first of a doubled quote.
    QuoteInQuoted,
}

/// The physical lines on which records start, in order, as the guard sees them; the
/// reader takes one per record the parser returns. Holds at most the parser's read-ahead.
pub(crate) type RecordStarts = Rc<RefCell<VecDeque<u64>>>;

/// Refuses a record (the bytes between line ends outside quotes) longer than `max`
/// bytes, and any NUL character, before the parser buffers it. Notes the physical line
/// each record starts on (the parser's own position lags behind blank lines and CRLF).
#[derive(Debug)]
pub(crate) struct RecordGuard<R> {
    inner: R,
    delimiter: u8,
    max: usize,
    state: Quoting,
    len: usize,
    line: u64,
    record_line: u64,
    at_record_start: bool,
    starts: RecordStarts,
    pending: Option<SourceError>,
}

impl<R: Read> RecordGuard<R> {
    pub(crate) fn new(inner: R, delimiter: u8, max: usize) -> Self {
        Self {
            inner,
            delimiter,
            max,
            state: Quoting::FieldStart,
            len: 0,
            line: 1,
            record_line: 1,
            at_record_start: true,
            starts: RecordStarts::default(),
            pending: None,
        }
    }

    /// The start lines of the records read so far and not yet taken.
    pub(crate) fn starts(&self) -> RecordStarts {
        Rc::clone(&self.starts)
    }

    /// Scans `bytes`; the index of the first refused byte and why.
    fn scan(&mut self, bytes: &[u8]) -> Option<(usize, SourceError)> {
        for (i, &b) in bytes.iter().enumerate() {
            if b == 0 {
                return Some((i, SourceError::Nul { line: self.line }));
            }
            if b == b'\n' {
                self.line += 1;
            }
            let ends_record = matches!(b, b'\n' | b'\r');
            let delimiter = b == self.delimiter;
            self.state = match self.state {
                Quoting::Quoted if b == b'"' => Quoting::QuoteInQuoted,
                Quoting::Quoted => Quoting::Quoted,
                Quoting::FieldStart if b == b'"' => Quoting::Quoted,
                Quoting::QuoteInQuoted if b == b'"' => Quoting::Quoted,
                _ if delimiter || ends_record => Quoting::FieldStart,
                _ => Quoting::Unquoted,
            };
            if ends_record && self.state == Quoting::FieldStart {
                self.len = 0;
                self.record_line = self.line;
                self.at_record_start = true;
                continue;
            }
            if self.at_record_start {
                // The parser skips empty lines; any other byte starts a record.
                self.at_record_start = false;
                self.starts.borrow_mut().push_back(self.line);
            }
            self.len += 1;
            if self.len > self.max {
                return Some((
                    i,
                    SourceError::LineTooLong {
                        line: self.record_line,
                        limit: self.max,
                        open_quote: self.state == Quoting::Quoted,
                    },
                ));
            }
        }
        None
    }
}

impl<R: Read> Read for RecordGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(err) = self.pending.clone() {
            return Err(err.into_io());
        }
        let n = self.inner.read(buf)?;
        match self.scan(&buf[..n]) {
            None => Ok(n),
            Some((at, err)) => {
                self.pending = Some(err.clone());
                if at == 0 { Err(err.into_io()) } else { Ok(at) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all<R: Read>(mut r: R) -> Result<Vec<u8>, SourceError> {
        let mut out = Vec::new();
        let mut buf = [0u8; 7];
        loop {
            match r.read(&mut buf) {
                Ok(0) => return Ok(out),
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) => return Err(SourceError::from_io(&e).cloned().expect("ours")),
            }
        }
    }

    #[test]
    fn counting_hashes_and_refuses_past_the_limit() {
        let data = b"abc".as_slice();
        let mut c = Counting::new(data, 10);
        assert_eq!(read_all(&mut c), Ok(b"abc".to_vec()));
        let (sha, size) = c.finish();
        assert_eq!(size, 3);
        assert_eq!(
            sha,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let big = vec![b'x'; 100];
        let mut c = Counting::new(big.as_slice(), 10);
        assert_eq!(read_all(&mut c), Err(SourceError::TooLarge { limit: 10 }));
        assert!(c.finish().1 <= 11);
    }

    #[test]
    fn encoding_detection() {
        assert_eq!(
            detect_encoding(b"\xEF\xBB\xBFa", true, None),
            (TextEncoding::Utf8, 3)
        );
        assert_eq!(
            detect_encoding(b"\xFF\xFEa\0", true, None),
            (TextEncoding::Utf16Le, 2)
        );
        assert_eq!(
            detect_encoding(b"\xFE\xFF\0a", true, None),
            (TextEncoding::Utf16Be, 2)
        );
        assert_eq!(
            detect_encoding("Ngày".as_bytes(), true, None),
            (TextEncoding::Utf8, 0)
        );
        // A character cut by the end of the sniffed head is still UTF-8…
        let cut = &"Ngà".as_bytes()[..3];
        assert_eq!(detect_encoding(cut, false, None), (TextEncoding::Utf8, 0));
        // …but not when the file really ends there.
        assert_eq!(
            detect_encoding(cut, true, None),
            (TextEncoding::Windows1258, 0)
        );
        assert_eq!(
            detect_encoding(b"Ng\xE0y", true, None),
            (TextEncoding::Windows1258, 0)
        );
        assert_eq!(
            detect_encoding(b"\xEF\xBB\xBFa", true, Some(TextEncoding::Utf8)),
            (TextEncoding::Utf8, 3)
        );
        assert_eq!(
            detect_encoding(b"abc", true, Some(TextEncoding::Windows1258)),
            (TextEncoding::Windows1258, 0)
        );
    }

    #[test]
    fn delimiter_is_the_most_frequent_outside_quotes() {
        assert_eq!(detect_delimiter("a,b,c\n1;2;3;4;5"), b',');
        assert_eq!(detect_delimiter("a;b;c,d\n"), b';');
        assert_eq!(detect_delimiter("a\tb\tc"), b'\t');
        assert_eq!(detect_delimiter("\"a;b;c\",d\n"), b',');
        assert_eq!(detect_delimiter("\r\n;;;\r\na;b\r\n"), b';');
        assert_eq!(detect_delimiter("only"), b',');
        assert_eq!(detect_delimiter("\r\n;;;\r\n  \n"), b';');
    }

    #[test]
    fn decoding_streams_and_refuses_malformed_input() {
        let bytes = [b"\xFF\xFE".as_slice(), &[b'a', 0, 0xA1, 0x1E]].concat();
        let got = read_all(Decoding::new(bytes.as_slice(), TextEncoding::Utf16Le));
        assert_eq!(got, Ok("aạ".as_bytes().to_vec()));
        let bad = b"ok\xFFno".as_slice();
        assert_eq!(
            read_all(Decoding::new(bad, TextEncoding::Utf8)),
            Err(SourceError::Malformed {
                encoding: TextEncoding::Utf8,
                offset: 2
            })
        );
    }

    #[test]
    fn guard_counts_records_not_quoted_lines() {
        let text = b"a;\"x\ny\";b\nccccc\n";
        assert!(read_all(RecordGuard::new(text.as_slice(), b';', 9)).is_ok());
        assert_eq!(
            read_all(RecordGuard::new(text.as_slice(), b';', 8)),
            Err(SourceError::LineTooLong {
                line: 1,
                limit: 8,
                open_quote: false
            })
        );
        let open = b"a;\"xxxxxxxxxxxxxxxxxxxxx\n\n\n\n";
        assert_eq!(
            read_all(RecordGuard::new(open.as_slice(), b';', 10)),
            Err(SourceError::LineTooLong {
                line: 1,
                limit: 10,
                open_quote: true
            })
        );
        // A stray quote inside an unquoted field opens nothing.
        let inch = b"5\" pipe;x\nab\nab\nab\n";
        assert!(read_all(RecordGuard::new(inch.as_slice(), b';', 9)).is_ok());
        assert_eq!(
            read_all(RecordGuard::new(b"a\nb\0".as_slice(), b';', 8)),
            Err(SourceError::Nul { line: 2 })
        );
    }

    #[test]
    fn guard_notes_where_records_start() {
        let text = b"h\r\n\r\na;\"x\ny\"\r\n;;\nlast";
        let guard = RecordGuard::new(text.as_slice(), b';', 100);
        let starts = guard.starts();
        assert!(read_all(guard).is_ok());
        assert_eq!(Vec::from(starts.take()), [1, 3, 5, 6]);
    }

    #[test]
    fn human_sizes() {
        assert_eq!(human_bytes(256 << 20), "256 MiB");
        assert_eq!(human_bytes(64 << 10), "64 KiB");
        assert_eq!(human_bytes(100), "100 bytes");
    }
}
