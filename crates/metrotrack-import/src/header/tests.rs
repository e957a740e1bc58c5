use super::*;
use proptest::prelude::*;

fn role(kind: LogKind, h: &str) -> Role {
    role_of(kind, h)
}

#[test]
fn vietnamese_and_canonical_headers_match() {
    use LogKind::*;
    let cases = [
        (Inspections, "Ngày kiểm định", Field::Date),
        (Inspections, "NGAY KIEM DINH", Field::Date),
        (Inspections, "ngay_kiem_dinh", Field::Date),
        (Inspections, "date", Field::Date),
        (Inspections, "Tên PTĐ", Field::Category),
        (Inspections, "Tên phương tiện đo", Field::Category),
        (Inspections, "Số seri", Field::SerialNumber),
        (Inspections, "Serial Number", Field::SerialNumber),
        (Inspections, "Kiểu/Mã hiệu", Field::Model),
        (Inspections, "Sai số (%)", Field::ErrorPercent),
        (Inspections, "error_percent", Field::ErrorPercent),
        (Inspections, "Kết luận", Field::Result),
        (Inspections, "Loại kiểm định", Field::VerificationType),
        (Inspections, "Hình thức", Field::Kind),
        (Inspections, "Hiệu lực đến", Field::ValidUntil),
        (Earthing, "Điện trở (Ω)", Field::ResistanceOhm),
        (Earthing, "Điện trở [ohm]", Field::ResistanceOhm),
        (Earthing, "Điện trở Ω", Field::ResistanceOhm),
        (Earthing, "resistance_ohm", Field::ResistanceOhm),
        (Earthing, "R (Ω)", Field::ResistanceOhm),
        (Earthing, "Giới hạn (Ω)", Field::LimitOhm),
        (Earthing, "limit_ohm", Field::LimitOhm),
        (Earthing, "Người đo", Field::Technician),
        (Earthing, "Vị trí đo", Field::Point),
        (Earthing, "Ngày đo", Field::Date),
    ];
    for (kind, written, field) in cases {
        assert_eq!(role(kind, written), Role::Field(field), "{written}");
    }
    assert_eq!(role(Inspections, "STT"), Role::RowNumber);
    assert_eq!(role(Inspections, "Số thứ tự"), Role::RowNumber);
    assert_eq!(role(Inspections, "#"), Role::RowNumber);
    assert_eq!(role(Inspections, "Màu sắc"), Role::Unknown);
    assert_eq!(role(Inspections, "(%)"), Role::Unknown);
    assert_eq!(role(Inspections, "  "), Role::Unnamed);
    // An earthing header means nothing in an inspections log.
    assert_eq!(role(Inspections, "Điện trở"), Role::Unknown);
}

#[test]
fn no_two_fields_share_a_header() {
    for kind in [LogKind::Inspections, LogKind::Earthing] {
        let mut seen: HashMap<String, Field> = HashMap::new();
        for s in fields_of(kind) {
            let keys = std::iter::once(s.field.canonical()).chain(s.aliases.iter().copied());
            for key in keys.map(header_key) {
                assert!(!ROW_NUMBER_KEYS.contains(&key.as_str()), "{key}");
                if let Some(other) = seen.insert(key.clone(), s.field) {
                    assert_eq!(other, s.field, "{kind}: {key} names two fields");
                }
            }
        }
    }
}

#[test]
fn missing_required_columns_are_all_named() {
    let err = Header::read(
        LogKind::Inspections,
        ["Ngày", "Số sản xuất", "Ghi chú"],
        1,
        256,
    )
    .expect_err("missing columns");
    let messages: Vec<&str> = err.iter().map(|p| p.message.as_str()).collect();
    assert_eq!(messages.len(), 3, "{messages:?}");
    assert!(messages[0].contains("required column category is missing"));
    assert!(messages[0].contains("Tên PTĐ"));
    assert!(messages[0].contains("\"Ngày\", \"Số sản xuất\", \"Ghi chú\""));
    assert!(messages[1].contains("kind"));
    assert!(messages[2].contains("technician"));
}

#[test]
fn duplicates_are_fatal_and_extras_warned() {
    let err = Header::read(
        LogKind::Earthing,
        ["Ngày đo", "Ngày", "Công trình", "Điểm đo", "R", "Người đo"],
        1,
        256,
    )
    .expect_err("duplicate");
    assert_eq!(err.len(), 1);
    assert!(err[0].message.contains("both mean date"), "{}", err[0]);

    let (header, warnings) = Header::read(
        LogKind::Earthing,
        [
            "STT",
            "Ngày đo",
            "",
            "Công trình",
            "Điểm đo",
            "R",
            "Người đo",
            "Màu",
            "",
            "",
        ],
        1,
        256,
    )
    .expect("header");
    assert_eq!(header.width(), 8);
    assert_eq!(header.column_of(Field::Site), Some((3, "Công trình")));
    let w: Vec<String> = warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        w,
        [
            "line 1, column \"STT\": row-number column ignored",
            "line 1: column 3 has no header; its values are ignored",
            "line 1, column \"Màu\": unknown column, ignored",
        ]
    );
}

#[test]
fn too_many_columns_is_fatal() {
    let cells = vec!["x"; 300];
    let err = Header::read(LogKind::Earthing, cells, 1, 256).expect_err("too wide");
    assert!(err[0].message.contains("300 columns"));
}

/// Writes `s` with random case, spacing and (sometimes) without diacritics.
fn variant(s: &str, upper: Vec<bool>, spaced: bool, strip: bool) -> String {
    use unicode_normalization::UnicodeNormalization;
    let base: String = if strip {
        s.nfd()
            .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
            .map(|c| match c {
                'đ' => 'd',
                'Đ' => 'D',
                c => c,
            })
            .collect()
    } else {
        s.to_owned()
    };
    let mut out = String::new();
    if spaced {
        out.push_str("  ");
    }
    for (i, c) in base.chars().enumerate() {
        if upper.get(i % upper.len().max(1)).copied().unwrap_or(false) {
            out.extend(c.to_uppercase());
        } else {
            out.extend(c.to_lowercase());
        }
        if c == ' ' && spaced {
            out.push_str("_ ");
        }
    }
    if spaced {
        out.push_str(" (%) ");
    }
    out
}

proptest! {
    #[test]
    fn every_alias_matches_in_any_case_spacing_and_accenting(
        kind_insp: bool,
        pick in 0usize..1000,
        upper in proptest::collection::vec(any::<bool>(), 1..8),
        spaced: bool,
        strip: bool,
    ) {
        let kind = if kind_insp { LogKind::Inspections } else { LogKind::Earthing };
        let all: Vec<(Field, &str)> = fields_of(kind)
            .iter()
            .flat_map(|s| std::iter::once(s.field.canonical()).chain(s.aliases.iter().copied()).map(move |a| (s.field, a)))
            .collect();
        let (field, alias) = all[pick % all.len()];
        let written = variant(alias, upper, spaced, strip);
        prop_assert_eq!(role_of(kind, &written), Role::Field(field), "{}", written);
    }
}
