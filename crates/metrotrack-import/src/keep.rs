//! The uploaded file kept as evidence, as it is read: its raw bytes cut into parts of
//! about [`PART_BYTES`] that begin at a line, each compressed on its own (a gzip member),
//! so that a part can be read without those before it and the parts in order,
//! decompressed, are the file. A run of bytes without a line feed is cut all the same,
//! at [`MAX_PART_BYTES`]; in a workbook (a zip) line-feed bytes fall anywhere, and a
//! part's first line means nothing.

use std::io::{self, Read, Write};

use flate2::Compression;
use flate2::write::GzEncoder;

/// A part is cut at the first line end past this many raw bytes.
pub const PART_BYTES: usize = 1 << 20;
/// A part with no line end is cut here all the same.
pub const MAX_PART_BYTES: usize = 2 * PART_BYTES;

/// One compressed part of a kept file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePart {
    /// The line the part begins with: 1 for the first part, else the count of line-feed
    /// bytes before it, plus one (exact for UTF-8 and Windows-1258 text).
    pub first_line: u64,
    /// The part's bytes as one gzip member.
    pub data: Vec<u8>,
}

/// Reads through `inner`, handing each finished part of what was read to `on_part`.
/// Call [`Keeping::finish`] once reading is over to hand over the last part.
pub struct Keeping<R, F> {
    inner: R,
    on_part: F,
    encoder: GzEncoder<Vec<u8>>,
    /// Raw bytes in the part being written.
    in_part: usize,
    first_line: u64,
    lines: u64,
}

impl<R, F> std::fmt::Debug for Keeping<R, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keeping")
            .field("in_part", &self.in_part)
            .field("first_line", &self.first_line)
            .field("lines", &self.lines)
            .finish_non_exhaustive()
    }
}

impl<R, F: FnMut(FilePart)> Keeping<R, F> {
    pub fn new(inner: R, on_part: F) -> Self {
        Self {
            inner,
            on_part,
            encoder: new_encoder(),
            in_part: 0,
            first_line: 1,
            lines: 0,
        }
    }

    /// Hands over the part being written, if it holds any byte.
    pub fn finish(mut self) -> io::Result<()> {
        self.cut()
    }

    fn cut(&mut self) -> io::Result<()> {
        if self.in_part == 0 {
            return Ok(());
        }
        let data = std::mem::replace(&mut self.encoder, new_encoder()).finish()?;
        (self.on_part)(FilePart {
            first_line: self.first_line,
            data,
        });
        self.in_part = 0;
        self.first_line = self.lines + 1;
        Ok(())
    }

    fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.encoder.write_all(bytes)?;
        self.in_part += bytes.len();
        self.lines += bytes.iter().filter(|&&b| b == b'\n').count() as u64;
        Ok(())
    }

    /// Keeps `bytes`, cutting a part at the first line end past [`PART_BYTES`].
    fn keep(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        while !bytes.is_empty() {
            if self.in_part < PART_BYTES {
                let take = bytes.len().min(PART_BYTES - self.in_part);
                self.write(&bytes[..take])?;
                bytes = &bytes[take..];
                continue;
            }
            let room = MAX_PART_BYTES - self.in_part;
            match bytes[..bytes.len().min(room)]
                .iter()
                .position(|&b| b == b'\n')
            {
                Some(end) => {
                    self.write(&bytes[..=end])?;
                    bytes = &bytes[end + 1..];
                    self.cut()?;
                }
                None if bytes.len() >= room => {
                    self.write(&bytes[..room])?;
                    bytes = &bytes[room..];
                    self.cut()?;
                }
                None => {
                    self.write(bytes)?;
                    bytes = &[];
                }
            }
        }
        Ok(())
    }
}

fn new_encoder() -> GzEncoder<Vec<u8>> {
    GzEncoder::new(Vec::new(), Compression::fast())
}

impl<R: Read, F: FnMut(FilePart)> Read for Keeping<R, F> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.keep(&buf[..n])?;
        Ok(n)
    }
}

/// A kept part's bytes, decompressed.
pub fn unpack(part: &[u8]) -> io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(PART_BYTES + PART_BYTES / 4);
    flate2::read::GzDecoder::new(part).read_to_end(&mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(file: &[u8], read_size: usize) -> Vec<FilePart> {
        let mut parts = Vec::new();
        let mut keeping = Keeping::new(file, |p| parts.push(p));
        let mut buf = vec![0; read_size];
        while keeping.read(&mut buf).expect("read") > 0 {}
        keeping.finish().expect("finish");
        parts
    }

    #[test]
    fn parts_are_the_file_and_begin_at_their_line() {
        let line = "01/10/2023;CT1P;Đạt;0,22;Nguyễn Văn Hùng\n";
        let file = line.repeat(3 * PART_BYTES / line.len() + 7);
        for read_size in [1000, 8192, 1 << 20] {
            let parts = kept(file.as_bytes(), read_size);
            assert!(parts.len() >= 3, "{} parts", parts.len());
            let mut whole = Vec::new();
            for part in &parts {
                let bytes = unpack(&part.data).expect("unpack");
                let before = whole.iter().filter(|&&b| b == b'\n').count() as u64;
                assert_eq!(part.first_line, before + 1);
                assert!(whole.is_empty() || whole.ends_with(b"\n"));
                assert!(part.data.len() < bytes.len() / 3, "compressed");
                whole.extend(bytes);
            }
            assert_eq!(whole, file.as_bytes());
        }
    }

    #[test]
    fn a_file_without_line_ends_is_cut_by_size() {
        let file: Vec<u8> = (0..5 * PART_BYTES).map(|i| (i * 7 % 251) as u8).collect();
        let file: Vec<u8> = file
            .into_iter()
            .map(|b| if b == b'\n' { 0 } else { b })
            .collect();
        let parts = kept(&file, 65536);
        assert_eq!(parts.len(), 3);
        let whole: Vec<u8> = parts
            .iter()
            .flat_map(|p| unpack(&p.data).expect("unpack"))
            .collect();
        assert_eq!(whole, file);
        assert!(parts.iter().all(|p| p.first_line == 1));
    }

    #[test]
    fn an_empty_file_has_no_part() {
        assert!(kept(b"", 100).is_empty());
    }
}
