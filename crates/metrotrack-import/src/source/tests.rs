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
    use TextEncoding::*;
    assert_eq!(
        detect_encoding(b"\xEF\xBB\xBFa", true, None),
        (Some(Utf8), 3)
    );
    assert_eq!(
        detect_encoding(b"\xFF\xFEa\0", true, None),
        (Some(Utf16Le), 2)
    );
    assert_eq!(
        detect_encoding(b"\xFE\xFF\0a", true, None),
        (Some(Utf16Be), 2)
    );
    assert_eq!(
        detect_encoding("Ngày".as_bytes(), true, None),
        (Some(Utf8), 0)
    );
    // A character cut by the end of the sniffed head is still UTF-8…
    let cut = &"Ngà".as_bytes()[..3];
    assert_eq!(detect_encoding(cut, false, None), (Some(Utf8), 0));
    // …but not when the file really ends there.
    assert_eq!(detect_encoding(cut, true, None), (Some(Windows1258), 0));
    assert_eq!(
        detect_encoding(b"Ng\xE0y", true, None),
        (Some(Windows1258), 0)
    );
    // ASCII only: UTF-8 if that is all, undecided if the file goes on.
    assert_eq!(detect_encoding(b"date,site", true, None), (Some(Utf8), 0));
    assert_eq!(detect_encoding(b"date,site", false, None), (None, 0));
    assert_eq!(
        detect_encoding(b"\xEF\xBB\xBFa", true, Some(Utf8)),
        (Some(Utf8), 3)
    );
    assert_eq!(
        detect_encoding(b"abc", false, Some(Windows1258)),
        (Some(Windows1258), 0)
    );
}

#[test]
fn sniffing_refuses_to_misread_damaged_utf8() {
    use TextEncoding::*;
    assert_eq!(sniff(b"plain", false), None);
    assert_eq!(sniff("Đạt".as_bytes(), true), Some(Utf8));
    // Windows-1258: "Nguyê" + combining tilde + "n".
    assert_eq!(sniff(b"Nguy\xEA\xDEn", true), Some(Windows1258));
    // UTF-8 with one damaged byte after a whole UTF-8 character stays UTF-8, so
    // that the damage is refused where it is instead of the file being misread.
    assert_eq!(sniff(b"\xC4\x90a\xFFt", true), Some(Utf8));
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
    let got = read_all(Decoding::new(
        bytes.as_slice(),
        Some(TextEncoding::Utf16Le),
        false,
    ));
    assert_eq!(got, Ok("aạ".as_bytes().to_vec()));
    let bad = b"ok\xFFno".as_slice();
    assert_eq!(
        read_all(Decoding::new(bad, Some(TextEncoding::Utf8), false)),
        Err(SourceError::Malformed {
            encoding: TextEncoding::Utf8,
            offset: 2,
            line: 0,
            detected: false,
        })
    );
}

/// ASCII well past the buffer, then `tail`.
fn ascii_then(tail: &[u8]) -> Vec<u8> {
    let mut bytes = b"a;b\n".repeat(3 * DECODE_INPUT_BYTES / 4);
    bytes.extend_from_slice(tail);
    bytes
}

#[test]
fn undecided_decoding_chooses_at_the_first_non_ascii_byte() {
    // Windows-1258 after a long ASCII stretch: "Nguyê" + combining tilde + "n".
    let bytes = ascii_then(b"Nguy\xEA\xDEn\n");
    let mut decoding = Decoding::new(bytes.as_slice(), None, true);
    let mut out = Vec::new();
    decoding.read_to_end(&mut out).expect("decodes");
    assert_eq!(decoding.encoding(), Some(TextEncoding::Windows1258));
    let text = String::from_utf8(out).expect("utf-8 out");
    assert!(
        text.ends_with("Nguyê\u{303}n\n"),
        "{:?}",
        &text[text.len() - 20..]
    );
    assert_eq!(
        text.len(),
        bytes.len() + 2,
        "two 1-byte letters became 2-byte ones"
    );

    let bytes = ascii_then("Nguyễn\n".as_bytes());
    let mut decoding = Decoding::new(bytes.as_slice(), None, true);
    let mut out = Vec::new();
    decoding.read_to_end(&mut out).expect("decodes");
    assert_eq!(decoding.encoding(), Some(TextEncoding::Utf8));
    assert_eq!(out, bytes);

    let bytes = ascii_then(b"");
    let mut decoding = Decoding::new(bytes.as_slice(), None, true);
    let mut out = Vec::new();
    decoding.read_to_end(&mut out).expect("decodes");
    assert_eq!(decoding.encoding(), None);
    assert_eq!(out, bytes);
}

#[test]
fn the_guard_names_the_line_of_bad_text() {
    let bytes = ascii_then(&[&b"\xC4\x90\nok\nx"[..], b"\xFFy\n"].concat());
    let lines = bytes.iter().filter(|&&b| b == b'\n').count() as u64;
    let guarded = RecordGuard::new(Decoding::new(bytes.as_slice(), None, true), b';', 100);
    let err = read_all(guarded).expect_err("damaged UTF-8");
    let SourceError::Malformed { line, detected, .. } = err else {
        panic!("{err:?}");
    };
    assert_eq!(line, lines);
    assert!(detected);
    let message = err.to_string();
    assert!(
        message.starts_with(&format!("line {lines}: the text is not valid utf-8")),
        "{message}"
    );
    assert!(message.contains("--encoding windows-1258"), "{message}");
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
    let starts = starts.take();
    let lines: Vec<u64> = starts.iter().map(|s| s.line).collect();
    assert_eq!(lines, [1, 3, 5, 6]);
    // The record on line 3 runs onto line 4.
    let one_line: Vec<bool> = starts.iter().map(|s| s.one_line).collect();
    assert_eq!(one_line, [true, false, true, true]);
}

fn lines(starts: &RecordStarts) -> Vec<u64> {
    starts.borrow().iter().map(|s| s.line).collect()
}

#[test]
fn a_lone_cr_ends_a_line_too() {
    // Found by fuzzing: records split by a bare CR all started on the same line.
    let text = b"h\ra;b\r\rc\r\nd\n\"x\ry\"\re";
    let guard = RecordGuard::new(text.as_slice(), b';', 100);
    let starts = guard.starts();
    assert!(read_all(guard).is_ok());
    assert_eq!(lines(&starts), [1, 2, 4, 5, 6, 8]);
    // After the first lone CR no line is counted as the kept file counts lines.
    assert!(starts.borrow().iter().all(|s| !s.one_line));
    // A CRLF split across two reads is still one line end.
    let mut guard = RecordGuard::new(b"".as_slice(), b';', 100);
    assert!(guard.scan(b"h\r").is_none());
    assert!(guard.scan(b"\nx\n").is_none());
    assert_eq!(lines(&guard.starts()), [1, 2]);
    assert!(guard.starts().borrow().iter().all(|s| s.one_line));
}

#[test]
fn human_sizes() {
    assert_eq!(human_bytes(256 << 20), "256 MiB");
    assert_eq!(human_bytes(64 << 10), "64 KiB");
    assert_eq!(human_bytes(100), "100 bytes");
}
