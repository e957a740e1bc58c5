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
use metrotrack_core::Msg;
use sha2::{Digest, Sha256};

use crate::options::TextEncoding;

/// How much of the file is looked at to detect its encoding and delimiter.
pub(crate) const SNIFF_BYTES: usize = 64 * 1024;

/// Why the byte layers refused a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SourceError {
    TooLarge {
        limit: u64,
    },
    LineTooLong {
        line: u64,
        limit: usize,
        open_quote: bool,
    },
    Nul {
        line: u64,
    },
    Malformed {
        encoding: TextEncoding,
        offset: u64,
        /// The physical line of the bad bytes (0 until the line guard above knows it).
        line: u64,
        /// Whether the encoding was detected (not given, not from a byte-order mark).
        detected: bool,
    },
}

impl std::fmt::Display for SourceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.msg().render(metrotrack_core::Lang::En))
    }
}

impl std::error::Error for SourceError {}

impl SourceError {
    fn into_io(self) -> io::Error {
        io::Error::other(self)
    }

    /// The refusal as a catalogue message.
    pub(crate) fn msg(&self) -> Msg {
        match self {
            Self::TooLarge { limit } => Msg::FileTooLarge {
                limit_bytes: *limit,
            },
            Self::LineTooLong {
                line,
                limit,
                open_quote,
            } => Msg::RecordTooLong {
                line: *line,
                limit_bytes: *limit as u64,
                open_quote: *open_quote,
            },
            Self::Nul { line } => Msg::FileNul { line: *line },
            Self::Malformed {
                encoding,
                offset,
                line,
                detected,
            } => Msg::EncodingMalformed {
                encoding: encoding.to_string(),
                offset: *offset,
                line: *line,
                detected: *detected,
            },
        }
    }

    /// The refusal an I/O error carries, if it came from one of these layers.
    pub(crate) fn from_io(err: &io::Error) -> Option<&Self> {
        err.get_ref()?.downcast_ref::<Self>()
    }
}

/// `268435456` → `256 MiB`, `65536` → `64 KiB`, for messages.
#[cfg(test)]
pub(crate) fn human_bytes(n: u64) -> String {
    metrotrack_core::message::human_bytes(n, metrotrack_core::Lang::En)
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
/// A BOM decides; without one, [`sniff`] the head; `forced` overrides all. `None` when
/// the head is ASCII only and the file goes on: ASCII reads the same in UTF-8 and
/// Windows-1258, so [`Decoding`] decides at the first non-ASCII byte, wherever it is.
pub(crate) fn detect_encoding(
    head: &[u8],
    at_eof: bool,
    forced: Option<TextEncoding>,
) -> (Option<TextEncoding>, usize) {
    let bom = Encoding::for_bom(head)
        .and_then(|(enc, len)| TextEncoding::from_encoding(enc).map(|e| (e, len)));
    if let Some(forced) = forced {
        let bom_len = match bom {
            Some((enc, len)) if enc == forced => len,
            _ => 0,
        };
        return (Some(forced), bom_len);
    }
    if let Some((found, len)) = bom {
        return (Some(found), len);
    }
    match sniff(head, at_eof) {
        None if at_eof => (Some(TextEncoding::Utf8), 0),
        found => (found, 0),
    }
}

/// The 8-bit encoding of `window`, text without a BOM: `None` when it is ASCII only
/// (undecided); UTF-8 when it is valid UTF-8 (a character cut by the window's end is
/// allowed unless the file ends there), or when at least one whole multi-byte UTF-8
/// character comes before the first invalid byte (a damaged UTF-8 file, refused at the
/// damage rather than misread); otherwise Windows-1258.
pub(crate) fn sniff(window: &[u8], at_eof: bool) -> Option<TextEncoding> {
    let first = window.iter().position(|b| !b.is_ascii())?;
    let utf8 = match std::str::from_utf8(window) {
        Ok(_) => true,
        Err(e) => (e.error_len().is_none() && !at_eof) || e.valid_up_to() > first,
    };
    Some(if utf8 {
        TextEncoding::Utf8
    } else {
        TextEncoding::Windows1258
    })
}

/// The offset of the first byte no text file holds (NUL and the other C0 controls but
/// tab, line feed, vertical tab, form feed and carriage return), for 8-bit encodings.
pub(crate) fn binary_at(head: &[u8], encoding: Option<TextEncoding>) -> Option<usize> {
    match encoding {
        Some(TextEncoding::Utf16Le | TextEncoding::Utf16Be) => None,
        None | Some(TextEncoding::Utf8 | TextEncoding::Windows1258) => head
            .iter()
            .position(|&b| matches!(b, 0x00..=0x08 | 0x0E..=0x1F)),
    }
}

/// A hint for a binary file whose signature is known: spreadsheets saved as workbooks.
pub(crate) fn looks_like_old_excel(head: &[u8]) -> bool {
    head.starts_with(b"\xD0\xCF\x11\xE0")
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
///
/// Built undecided (`None`), it passes ASCII through until the first non-ASCII byte,
/// then [`sniff`]s the input buffer from there to choose UTF-8 or Windows-1258: the
/// ASCII before is the same text in both, so a file whose first 64 KiB are ASCII is read
/// right without being read twice (an upload stream cannot be).
pub(crate) struct Decoding<R> {
    inner: R,
    decoder: Option<Decoder>,
    encoding: Option<TextEncoding>,
    detected: bool,
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

/// Bytes of input decoded at a time, and the most the undecided reader looks at from
/// the first non-ASCII byte on.
const DECODE_INPUT_BYTES: usize = 16 * 1024;

impl<R: Read> Decoding<R> {
    /// `detected` says whether `encoding` was guessed (its refusals then say so).
    pub(crate) fn new(inner: R, encoding: Option<TextEncoding>, detected: bool) -> Self {
        Self {
            inner,
            decoder: encoding.map(|e| e.encoding().new_decoder_with_bom_removal()),
            encoding,
            detected,
            input: vec![0; DECODE_INPUT_BYTES].into_boxed_slice(),
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

    /// The encoding decided so far (`None`: ASCII only so far).
    pub(crate) fn encoding(&self) -> Option<TextEncoding> {
        self.encoding
    }

    fn read_input(&mut self) -> io::Result<usize> {
        loop {
            match self.inner.read(&mut self.input[self.in_len..]) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                other => return other,
            }
        }
    }

    /// Undecided: passes the buffered ASCII through; at the first non-ASCII byte, fills
    /// the buffer from it and decides the encoding.
    fn pass_ascii(&mut self) -> io::Result<()> {
        let pending = &self.input[self.in_pos..self.in_len];
        let ascii = pending
            .iter()
            .position(|b| !b.is_ascii())
            .unwrap_or(pending.len())
            .min(self.output.len());
        self.output[..ascii].copy_from_slice(&pending[..ascii]);
        self.out_pos = 0;
        self.out_len = ascii;
        self.in_pos += ascii;
        self.consumed += ascii as u64;
        if self.in_pos == self.in_len || ascii > 0 {
            return Ok(());
        }
        // At a non-ASCII byte: look at as much as the buffer holds from here.
        self.input.copy_within(self.in_pos..self.in_len, 0);
        self.in_len -= self.in_pos;
        self.in_pos = 0;
        while self.in_len < self.input.len() && !self.input_done {
            let n = self.read_input()?;
            self.in_len += n;
            self.input_done = n == 0;
        }
        let encoding =
            sniff(&self.input[..self.in_len], self.input_done).unwrap_or(TextEncoding::Utf8);
        self.encoding = Some(encoding);
        self.decoder = Some(encoding.encoding().new_decoder_without_bom_handling());
        Ok(())
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
                self.in_pos = 0;
                self.in_len = 0;
                let n = self.read_input()?;
                self.in_len = n;
                self.input_done = n == 0;
            }
            let last = self.input_done;
            let (Some(decoder), Some(encoding)) = (self.decoder.as_mut(), self.encoding) else {
                if last && self.in_pos == self.in_len {
                    self.finished = true;
                } else {
                    self.pass_ascii()?;
                }
                continue;
            };
            let (result, read, written) = decoder.decode_to_utf8_without_replacement(
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
                        encoding,
                        offset,
                        line: 0,
                        detected: self.detected,
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

/// Where a record starts, as the guard sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RecordStart {
    /// The physical line it starts on.
    pub line: u64,
    /// It ends on that same line, and every line end before it is a line feed (LF or
    /// CRLF): it is the whole of line `line` as the kept file's parts count lines, and
    /// can be read back from that line alone. A line end in a quoted cell makes it
    /// false for the record; a lone CR, for the record and every one after it.
    pub one_line: bool,
}

/// The records started, in order, as the guard sees them; the reader takes one per
/// record the parser returns (the guard has by then scanned the record's end). Holds at
/// most the parser's read-ahead.
pub(crate) type RecordStarts = Rc<RefCell<VecDeque<RecordStart>>>;

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
    /// The last byte scanned was a CR (so an LF now ends no new line).
    after_cr: bool,
    starts: RecordStarts,
    /// A lone CR was scanned: lines no longer count as line feeds do.
    lone_cr: bool,
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
            after_cr: false,
            starts: RecordStarts::default(),
            lone_cr: false,
            pending: None,
        }
    }

    pub(crate) fn get_ref(&self) -> &R {
        &self.inner
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
            // A line ends with LF, CRLF or a lone CR (old Mac Excel "CSV (Macintosh)").
            if b == b'\r' || (b == b'\n' && !self.after_cr) {
                self.line += 1;
            }
            // A lone CR ends a line no line feed counts; a line end in a quoted cell
            // is inside a record.
            self.lone_cr |= self.after_cr && b != b'\n';
            if (self.lone_cr || (matches!(b, b'\n' | b'\r') && self.state == Quoting::Quoted))
                && let Some(last) = self.starts.borrow_mut().back_mut()
            {
                last.one_line = false;
            }
            self.after_cr = b == b'\r';
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
                self.starts.borrow_mut().push_back(RecordStart {
                    line: self.line,
                    one_line: !self.lone_cr,
                });
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
        let n = match self.inner.read(buf) {
            Ok(n) => n,
            Err(e) => {
                // Text the decoder refuses is on the line the guard has reached.
                return Err(match SourceError::from_io(&e) {
                    Some(SourceError::Malformed {
                        encoding,
                        offset,
                        line: 0,
                        detected,
                    }) => SourceError::Malformed {
                        encoding: *encoding,
                        offset: *offset,
                        line: self.line,
                        detected: *detected,
                    }
                    .into_io(),
                    _ => e,
                });
            }
        };
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
mod tests;
