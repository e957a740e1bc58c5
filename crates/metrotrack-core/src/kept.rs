//! A row's original observations read back from its batch's kept file (SPEC: records
//! as evidence). A CSV log's data rows are each one line of the file; the batch keeps
//! the file itself (compressed, in parts that begin at a line) and, for each record, the
//! line it came from. [`FileLayout`] says how the importer read those lines, so that the
//! observations a record shows are the file's own bytes read again, the way the importer
//! first read them, not a copy of them kept per row.

use serde::{Deserialize, Serialize};

use crate::text;

/// How a kept text file's data lines are read: its encoding, its delimiter, and which
/// of its columns are observations, under which header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileLayout {
    /// The file's text encoding, by its WHATWG label (`utf-8`, `windows-1258`): one
    /// where a line feed is the byte `0x0A` and nothing else.
    pub encoding: String,
    /// The byte between cells.
    pub delimiter: u8,
    /// The header's columns in the file's order: the header as written (NFC, trimmed)
    /// for a column whose cells are observations, `None` for one that is not (a
    /// row-number column, a column without a name).
    pub columns: Vec<Option<String>>,
}

/// Why a kept line could not be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeptLineError {
    #[error("the kept part beginning at line {first_line} does not reach line {line}")]
    NotInPart { first_line: u64, line: u64 },
    #[error("the kept file's encoding {0:?} is not one its lines can be read in")]
    Encoding(String),
    #[error("line {line} of the kept file is not a CSV record: {detail}")]
    NotARecord { line: u64, detail: String },
}

impl FileLayout {
    /// The observations written on line `line` of a kept file, read from one of its
    /// parts (`part`: its bytes, decompressed; `first_line`: the line it begins with),
    /// as (header as written, cell NFC and trimmed) for every non-empty observation,
    /// in the file's column order: what the importer read from that line.
    pub fn original_at(
        &self,
        part: &[u8],
        first_line: u64,
        line: u64,
    ) -> Result<Vec<(String, String)>, KeptLineError> {
        let bytes =
            line_of(part, first_line, line).ok_or(KeptLineError::NotInPart { first_line, line })?;
        let encoding = encoding_rs::Encoding::for_label(self.encoding.as_bytes())
            .filter(|e| e.is_ascii_compatible())
            .ok_or_else(|| KeptLineError::Encoding(self.encoding.clone()))?;
        let (text, _) = encoding.decode_without_bom_handling(bytes);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(self.delimiter)
            .from_reader(text.as_bytes());
        let mut record = csv::StringRecord::new();
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => record.clear(),
            Err(e) => {
                return Err(KeptLineError::NotARecord {
                    line,
                    detail: e.to_string(),
                });
            }
        }
        Ok(self
            .columns
            .iter()
            .zip(record.iter())
            .filter_map(|(header, cell)| Some((header.as_ref()?, text::clean(cell))))
            .filter(|(_, cell)| !cell.is_empty())
            .map(|(header, cell)| (header.clone(), cell))
            .collect())
    }
}

/// Line `line` of `part` (which begins with line `first_line`), without its line end
/// (LF or CRLF); `None` when the part ends before it.
fn line_of(part: &[u8], first_line: u64, line: u64) -> Option<&[u8]> {
    let skip = usize::try_from(line.checked_sub(first_line)?).ok()?;
    let start = if skip == 0 {
        0
    } else {
        part.iter()
            .enumerate()
            .filter(|&(_, &b)| b == b'\n')
            .nth(skip - 1)
            .map(|(at, _)| at + 1)?
    };
    let rest = part.get(start..)?;
    if rest.is_empty() {
        return None;
    }
    let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
    let line = &rest[..end];
    Some(line.strip_suffix(b"\r").unwrap_or(line))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(encoding: &str) -> FileLayout {
        FileLayout {
            encoding: encoding.into(),
            delimiter: b';',
            columns: vec![
                None,
                Some("Ngày".into()),
                Some("Kết quả".into()),
                Some("Ghi chú".into()),
            ],
        }
    }

    #[test]
    fn a_line_is_read_as_the_importer_read_it() {
        let part = "1;01/10/2023;Đạt;\r\n2;02/10/2023; Không đạt ;\"a; b\"\n3;03/10/2023";
        let l = layout("utf-8");
        assert_eq!(
            l.original_at(part.as_bytes(), 10, 11).expect("line 11"),
            vec![
                ("Ngày".to_owned(), "02/10/2023".to_owned()),
                ("Kết quả".to_owned(), "Không đạt".to_owned()),
                ("Ghi chú".to_owned(), "a; b".to_owned()),
            ]
        );
        assert_eq!(
            l.original_at(part.as_bytes(), 10, 10).expect("line 10"),
            vec![
                ("Ngày".to_owned(), "01/10/2023".to_owned()),
                ("Kết quả".to_owned(), "Đạt".to_owned()),
            ]
        );
        assert_eq!(
            l.original_at(part.as_bytes(), 10, 12).expect("last").len(),
            1
        );
        assert_eq!(
            l.original_at(part.as_bytes(), 10, 13),
            Err(KeptLineError::NotInPart {
                first_line: 10,
                line: 13
            })
        );
        assert!(l.original_at(part.as_bytes(), 10, 9).is_err());
    }

    #[test]
    fn windows_1258_is_decoded_and_composed() {
        // "Đạt" in Windows-1258: Đ (0xD0), a, combining dot below (0xF2), t.
        let part = b"7;01/10/2023;\xD0a\xF2t\n";
        let got = layout("windows-1258")
            .original_at(part, 7, 7)
            .expect("line");
        assert_eq!(got[1], ("Kết quả".to_owned(), "Đạt".to_owned()));
    }

    #[test]
    fn a_layout_in_utf16_is_refused() {
        assert!(matches!(
            layout("utf-16le").original_at(b"1;2\n", 1, 1),
            Err(KeptLineError::Encoding(_))
        ));
    }
}
