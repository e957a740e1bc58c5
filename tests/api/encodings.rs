//! Logs in UTF-16 BE (with its BOM) and in Windows-1258 uploaded over HTTP, as a
//! `text/csv` body and as the `file` field of a multipart form: the stored records are
//! exactly those of the UTF-8 log of the same content.

use unicode_normalization::UnicodeNormalization;

use super::*;

/// The demo month's logs, UTF-8: (kind, fixture).
const LOGS: [(&str, &str); 2] = [
    ("inspections", "demo/inspections-2023-10.csv"),
    ("earthing", "demo/earthing-2023-10.csv"),
];

/// UTF-16 big-endian with its byte-order mark, as Excel's "Unicode Text" on a
/// big-endian writer saves it.
fn utf16_be(text: &str) -> Vec<u8> {
    let mut bytes = vec![0xFE, 0xFF];
    bytes.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
    bytes
}

/// Tone marks Windows-1258 writes as combining characters after the letter.
const TONES: [char; 5] = ['\u{300}', '\u{301}', '\u{303}', '\u{309}', '\u{323}'];

/// Windows-1258 as Vietnamese Windows writes it: a letter the code page holds
/// precomposed stays one byte; otherwise the tone mark follows the letter it sits on
/// (`ạ` = `a` + combining dot below, `ễ` = `ê` + combining tilde).
fn windows_1258(text: &str) -> Vec<u8> {
    let encoding = encoding_rs::WINDOWS_1258;
    let mut decomposed = String::with_capacity(text.len());
    for c in text.chars() {
        let one = c.to_string();
        let (_, _, unmappable) = encoding.encode(&one);
        if !unmappable {
            decomposed.push(c);
            continue;
        }
        let parts: Vec<char> = one.nfd().collect();
        let base: String = parts.iter().filter(|p| !TONES.contains(p)).collect();
        decomposed.extend(base.nfc());
        decomposed.extend(parts.iter().filter(|p| TONES.contains(p)));
    }
    let (bytes, _, unmappable) = encoding.encode(&decomposed);
    assert!(
        !unmappable,
        "every character of the fixture fits Windows-1258"
    );
    assert_ne!(
        decomposed.nfc().collect::<String>(),
        decomposed,
        "some tone marks are written decomposed"
    );
    bytes.into_owned()
}

/// How the log is sent.
#[derive(Debug, Clone, Copy)]
enum Transport {
    Csv,
    Multipart,
}

/// Uploads `bytes` as a `kind` log; the batch must be stored whole.
async fn upload(s: &Server, kind: &str, bytes: Vec<u8>, transport: Transport) -> Value {
    let tech = s.token('A', Role::Technician);
    let request = s.req(
        Method::POST,
        &format!("/api/v1/imports?kind={kind}"),
        Some(tech),
    );
    let request = match transport {
        Transport::Csv => request.header("content-type", "text/csv").body(bytes),
        Transport::Multipart => request.multipart(reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name("log.csv"),
        )),
    };
    let (status, batch) = send(request).await;
    assert_eq!(status, StatusCode::CREATED, "{transport:?} {kind}: {batch}");
    assert_eq!(batch["rejected"], 0, "{batch}");
    assert_eq!(batch["duplicates"], 0, "{batch}");
    batch
}

/// Every stored inspection and earthing test, as the API lists them, without what
/// differs from one upload to another (ids, batch, time of storing).
async fn stored(s: &Server) -> (Vec<Value>, Vec<Value>) {
    let reader = s.token('A', Role::Reader);
    let mut lists = Vec::new();
    for path in [
        "/api/v1/inspections?limit=1000",
        "/api/v1/earthing-tests?limit=1000",
    ] {
        let (status, page) = s.get(path, reader).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(page["next_cursor"].is_null(), "one page holds all: {path}");
        let items: Vec<Value> = page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|item| {
                let mut item = item.clone();
                let fields = item.as_object_mut().expect("an object");
                for key in ["id", "batch_id", "created_at"] {
                    assert!(fields.remove(key).is_some(), "{key} in {path}");
                }
                item
            })
            .collect();
        lists.push(items);
    }
    let earthing = lists.pop().expect("earthing tests");
    let inspections = lists.pop().expect("inspections");
    (inspections, earthing)
}

/// Uploads the demo logs, each encoded by `encode`, to a fresh server; returns what is
/// stored and the batches' `(rows, inserted)`.
async fn store_encoded(
    encode: fn(&str) -> Vec<u8>,
    transport: Transport,
) -> ((Vec<Value>, Vec<Value>), Vec<(Value, Value)>) {
    let s = Server::start().await;
    let mut counts = Vec::new();
    for (kind, file) in LOGS {
        let text = std::fs::read_to_string(fixture(file)).expect("UTF-8 fixture");
        let batch = upload(&s, kind, encode(&text), transport).await;
        counts.push((batch["rows"].clone(), batch["inserted"].clone()));
    }
    (stored(&s).await, counts)
}

#[tokio::test(flavor = "multi_thread")]
async fn utf16_be_and_windows_1258_logs_store_the_same_records_as_utf8() {
    let utf8: fn(&str) -> Vec<u8> = |t| t.as_bytes().to_vec();
    let (reference, counts) = store_encoded(utf8, Transport::Csv).await;
    assert_eq!(
        counts,
        [(json!(507), json!(507)), (json!(18), json!(18))],
        "the whole demo month"
    );
    assert_eq!((reference.0.len(), reference.1.len()), (507, 18));
    // The fixture's Vietnamese reads back precomposed (NFC), as it was written.
    let lqd = reference
        .1
        .iter()
        .find(|t| t["point_code"] == "Đ1" && t["tested_on"] == "2023-10-11")
        .expect("the Lê Quý Đôn retest");
    assert_eq!(lqd["site"], "Trường THPT Lê Quý Đôn", "{lqd}");
    for (name, encode) in [
        ("UTF-16 BE", utf16_be as fn(&str) -> Vec<u8>),
        ("Windows-1258", windows_1258),
    ] {
        for transport in [Transport::Csv, Transport::Multipart] {
            let (records, batch_counts) = store_encoded(encode, transport).await;
            assert_eq!(batch_counts, counts, "{name} {transport:?}");
            for (what, got, want) in [
                ("inspections", &records.0, &reference.0),
                ("earthing tests", &records.1, &reference.1),
            ] {
                assert_eq!(got.len(), want.len(), "{name} {transport:?} {what}");
                for (g, w) in got.iter().zip(want) {
                    assert_eq!(g, w, "{name} {transport:?} {what}");
                }
            }
        }
    }
}

/// On one server, the same month in another encoding is a different file (a batch of
/// its own) whose every row is a duplicate of the UTF-8 upload: nothing new is stored.
#[tokio::test(flavor = "multi_thread")]
async fn an_encoded_log_after_the_utf8_one_is_all_duplicates() {
    let s = Server::start().await;
    let text = std::fs::read_to_string(fixture(LOGS[0].1)).expect("UTF-8 fixture");
    upload(&s, "inspections", text.clone().into_bytes(), Transport::Csv).await;
    let before = stored(&s).await;
    for bytes in [utf16_be(&text), windows_1258(&text)] {
        let (status, batch) = send(
            s.req(
                Method::POST,
                "/api/v1/imports?kind=inspections",
                Some(s.token('A', Role::Technician)),
            )
            .header("content-type", "text/csv")
            .body(bytes),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{batch}");
        assert_eq!(
            (&batch["rows"], &batch["inserted"], &batch["duplicates"]),
            (&json!(507), &json!(0), &json!(507)),
            "{batch}"
        );
        assert_eq!(batch["problems"], json!([]), "{batch}");
    }
    assert_eq!(stored(&s).await, before);
}
