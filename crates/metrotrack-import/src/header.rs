//! The header row: which column holds which field.
//!
//! Headers match case-insensitively, ignoring diacritics, spaces, punctuation and a unit
//! suffix such as `(Ω)` or `(%)`; each field accepts its canonical English name and the
//! Vietnamese headers labs write (SPEC §2).

use std::collections::HashMap;

use metrotrack_core::{LogKind, Msg, Problem, text};

/// A field of a lab log, named by its canonical English header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Field {
    Date,
    Category,
    SerialNumber,
    Model,
    Manufacturer,
    Owner,
    Kind,
    VerificationType,
    Procedure,
    Result,
    ErrorPercent,
    CertificateNo,
    StampNo,
    ValidUntil,
    Technician,
    CheckedBy,
    Notes,
    Site,
    Point,
    ResistanceOhm,
    LimitOhm,
    System,
    Method,
    TesterSerial,
    Weather,
}

impl Field {
    /// The canonical header, as the English log template writes it.
    pub(crate) fn canonical(self) -> &'static str {
        match self {
            Self::Date => "date",
            Self::Category => "category",
            Self::SerialNumber => "serial_number",
            Self::Model => "model",
            Self::Manufacturer => "manufacturer",
            Self::Owner => "owner",
            Self::Kind => "kind",
            Self::VerificationType => "verification_type",
            Self::Procedure => "procedure",
            Self::Result => "result",
            Self::ErrorPercent => "error_percent",
            Self::CertificateNo => "certificate_no",
            Self::StampNo => "stamp_no",
            Self::ValidUntil => "valid_until",
            Self::Technician => "technician",
            Self::CheckedBy => "checked_by",
            Self::Notes => "notes",
            Self::Site => "site",
            Self::Point => "point",
            Self::ResistanceOhm => "resistance_ohm",
            Self::LimitOhm => "limit_ohm",
            Self::System => "system",
            Self::Method => "method",
            Self::TesterSerial => "tester_serial",
            Self::Weather => "weather",
        }
    }
}

/// A field a log kind reads, whether it is required, and the other headers that name it.
#[derive(Debug)]
pub(crate) struct FieldSpec {
    pub field: Field,
    pub required: bool,
    pub aliases: &'static [&'static str],
}

const fn spec(field: Field, required: bool, aliases: &'static [&'static str]) -> FieldSpec {
    FieldSpec {
        field,
        required,
        aliases,
    }
}

/// The columns of an inspections log.
pub(crate) const INSPECTION_FIELDS: &[FieldSpec] = &[
    spec(
        Field::Date,
        true,
        &[
            "Ngày kiểm định",
            "Ngày thực hiện",
            "Ngày",
            "Ngày KĐ",
            "Ngày hiệu chuẩn",
            "Ngày kiểm tra",
            "inspection date",
            "inspected on",
        ],
    ),
    spec(
        Field::Category,
        true,
        &[
            "Tên PTĐ",
            "Loại PTĐ",
            "Phương tiện đo",
            "Tên phương tiện đo",
            "Loại phương tiện đo",
            "PTĐ",
            "Loại",
            "Mã PTĐ",
            "instrument",
            "instrument category",
            "category code",
        ],
    ),
    spec(
        Field::SerialNumber,
        true,
        &[
            "Số sản xuất",
            "Số hiệu",
            "Số serial",
            "Số seri",
            "Số sêri",
            "Số SX",
            "serial",
            "serial no",
            "S/N",
        ],
    ),
    spec(
        Field::Model,
        false,
        &["Kiểu", "Mã hiệu", "Kiểu/Mã hiệu", "Kiểu loại", "Ký hiệu"],
    ),
    spec(
        Field::Manufacturer,
        false,
        &["Cơ sở sản xuất", "Nhà sản xuất", "Hãng sản xuất", "Hãng"],
    ),
    spec(
        Field::Owner,
        false,
        &[
            "Đơn vị sử dụng",
            "Khách hàng",
            "Chủ sở hữu",
            "Tên khách hàng",
            "customer",
        ],
    ),
    spec(
        Field::Kind,
        true,
        &["Hình thức", "Loại hình", "inspection kind"],
    ),
    spec(Field::VerificationType, false, &["Loại kiểm định"]),
    spec(
        Field::Procedure,
        false,
        &["Quy trình", "Quy trình kiểm định", "Quy trình áp dụng"],
    ),
    spec(
        Field::Result,
        false,
        &["Kết quả", "Kết luận", "Kết quả kiểm định"],
    ),
    spec(Field::ErrorPercent, false, &["Sai số", "error"]),
    spec(
        Field::CertificateNo,
        false,
        &[
            "Số GCN",
            "Số giấy chứng nhận",
            "GCN",
            "certificate",
            "certificate number",
        ],
    ),
    spec(
        Field::StampNo,
        false,
        &["Số tem", "Tem", "stamp", "stamp number"],
    ),
    spec(
        Field::ValidUntil,
        false,
        &[
            "Hiệu lực đến",
            "Có giá trị đến",
            "Hạn hiệu lực",
            "Hiệu lực",
            "Giá trị đến",
        ],
    ),
    spec(
        Field::Technician,
        true,
        &[
            "Người thực hiện",
            "Kiểm định viên",
            "Người kiểm định",
            "KĐV",
            "Người đo",
        ],
    ),
    spec(
        Field::CheckedBy,
        false,
        &[
            "Người soát lại",
            "Người kiểm tra",
            "Người soát xét",
            "checker",
        ],
    ),
    spec(Field::Notes, false, &["Ghi chú", "note", "remarks"]),
];

/// The columns of an earthing log.
pub(crate) const EARTHING_FIELDS: &[FieldSpec] = &[
    spec(
        Field::Date,
        true,
        &[
            "Ngày đo",
            "Ngày",
            "Ngày thực hiện",
            "Ngày kiểm tra",
            "test date",
            "tested on",
        ],
    ),
    spec(
        Field::Site,
        true,
        &["Công trình", "Địa điểm", "Tên công trình"],
    ),
    spec(
        Field::Point,
        true,
        &["Điểm đo", "Vị trí đo", "Mã điểm đo", "Vị trí", "point code"],
    ),
    spec(
        Field::ResistanceOhm,
        true,
        &[
            "Điện trở",
            "Điện trở nối đất",
            "Giá trị đo",
            "R",
            "Điện trở đo được",
            "resistance",
        ],
    ),
    spec(
        Field::LimitOhm,
        false,
        &["Giới hạn", "Giá trị yêu cầu", "Giá trị cho phép", "limit"],
    ),
    spec(Field::System, false, &["Hệ thống", "Loại hệ thống"]),
    spec(Field::Method, false, &["Phương pháp", "Phương pháp đo"]),
    spec(
        Field::TesterSerial,
        false,
        &["Số máy đo", "Thiết bị đo", "Máy đo", "tester"],
    ),
    spec(
        Field::Weather,
        false,
        &[
            "Thời tiết",
            "Điều kiện đất",
            "Điều kiện",
            "Thời tiết, điều kiện đất",
        ],
    ),
    spec(
        Field::Technician,
        true,
        &["Người đo", "Người thực hiện", "Kiểm định viên"],
    ),
    spec(Field::Notes, false, &["Ghi chú", "note", "remarks"]),
];

/// Headers of a row-number column (số thứ tự), ignored.
const ROW_NUMBER_KEYS: &[&str] = &["stt", "sothutu", "tt", "no", "rowno"];

/// The fields a log kind reads.
pub(crate) fn fields_of(kind: LogKind) -> &'static [FieldSpec] {
    match kind {
        LogKind::Inspections => INSPECTION_FIELDS,
        LogKind::Earthing => EARTHING_FIELDS,
    }
}

/// The log-kind guess: when the header lacks required columns of `kind` but has every
/// required column of the other kind, the one problem saying which kind it looks like.
fn other_kind_guess(kind: LogKind, columns: &[Column], missing: &[&FieldSpec]) -> Option<Msg> {
    let other = match kind {
        LogKind::Inspections => LogKind::Earthing,
        LogKind::Earthing => LogKind::Inspections,
    };
    let has: Vec<Field> = columns
        .iter()
        .filter_map(|c| match role_of(other, &c.written) {
            Role::Field(field) => Some(field),
            _ => None,
        })
        .collect();
    let complete = fields_of(other)
        .iter()
        .filter(|s| s.required)
        .all(|s| has.contains(&s.field));
    if !complete {
        return None;
    }
    let missing = missing
        .iter()
        .map(|s| s.field.canonical())
        .collect::<Vec<_>>()
        .join(", ");
    Some(match other {
        LogKind::Earthing => Msg::LooksLikeEarthing { missing },
        LogKind::Inspections => Msg::LooksLikeInspections { missing },
    })
}

/// The matching key of a header: a trailing `(…)` or `[…]` unit suffix removed, then
/// folded (diacritics, case, spaces and punctuation dropped).
pub(crate) fn header_key(written: &str) -> String {
    let trimmed = written.trim();
    let stripped = strip_suffix_group(trimmed);
    let key = text::fold(stripped);
    if key.is_empty() {
        text::fold(trimmed)
    } else {
        key
    }
}

fn strip_suffix_group(s: &str) -> &str {
    let open = match s.chars().last() {
        Some(')') => '(',
        Some(']') => '[',
        _ => return s,
    };
    match s.rfind(open) {
        Some(at) => s.get(..at).unwrap_or(s).trim_end(),
        None => s,
    }
}

/// What a header names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Field(Field),
    /// A row-number column (STT): ignored.
    RowNumber,
    /// A header that names nothing we read: ignored with a warning.
    Unknown,
    /// An empty header cell.
    Unnamed,
}

/// Reads one header cell for a log kind.
pub(crate) fn role_of(kind: LogKind, written: &str) -> Role {
    let trimmed = written.trim();
    if trimmed.is_empty() {
        return Role::Unnamed;
    }
    let key = header_key(trimmed);
    if trimmed == "#" || ROW_NUMBER_KEYS.contains(&key.as_str()) {
        return Role::RowNumber;
    }
    if key.is_empty() {
        return Role::Unknown;
    }
    let find = |key: &str| {
        fields_of(kind)
            .iter()
            .find(|s| {
                text::fold(s.field.canonical()) == key
                    || s.aliases.iter().any(|a| text::fold(a) == key)
            })
            .map(|s| Role::Field(s.field))
    };
    if let Some(role) = find(&key) {
        return role;
    }
    // A unit written without brackets: "Điện trở Ω", "resistance ohm".
    ["ohm", "ω", "om"]
        .iter()
        .filter_map(|unit| key.strip_suffix(unit))
        .filter(|rest| !rest.is_empty())
        .find_map(find)
        .unwrap_or(Role::Unknown)
}

/// One column of the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Column {
    /// The header as written (NFC, trimmed).
    pub written: String,
    pub role: Role,
}

/// The header row of a log, read.
#[derive(Debug, Clone)]
pub(crate) struct Header {
    /// The columns up to the last named one (trailing empty cells dropped).
    pub columns: Vec<Column>,
    index: HashMap<Field, usize>,
}

/// A header that a log cannot be read with: every reason, for the fatal list.
pub(crate) type HeaderProblems = Vec<Problem>;

impl Header {
    /// Each column's header as written if its cells are observations (a field or an
    /// unknown column, as [`crate::row::Row::original`] keeps them), else `None`.
    pub(crate) fn observed(&self) -> Vec<Option<String>> {
        self.columns
            .iter()
            .map(|c| matches!(c.role, Role::Field(_) | Role::Unknown).then(|| c.written.clone()))
            .collect()
    }

    /// Reads the header cells found on `line`. Returns the header and its warnings, or
    /// every fatal problem (missing required column, duplicate column, too many columns).
    pub(crate) fn read<'a>(
        kind: LogKind,
        cells: impl IntoIterator<Item = &'a str>,
        line: u64,
        max_columns: usize,
    ) -> Result<(Self, Vec<Problem>), HeaderProblems> {
        let mut written: Vec<String> = cells.into_iter().map(text::clean).collect();
        while written.last().is_some_and(String::is_empty) {
            written.pop();
        }
        if written.len() > max_columns {
            return Err(vec![Problem::new(
                line,
                None,
                None,
                Msg::HeaderTooManyColumns {
                    found: written.len(),
                    max: max_columns,
                },
            )]);
        }
        let columns: Vec<Column> = written
            .into_iter()
            .map(|w| Column {
                role: role_of(kind, &w),
                written: w,
            })
            .collect();

        let mut fatal = Vec::new();
        let mut warnings = Vec::new();
        let mut index: HashMap<Field, usize> = HashMap::new();
        for (i, column) in columns.iter().enumerate() {
            match column.role {
                Role::Field(field) => {
                    if let Some(&first) = index.get(&field) {
                        let first = columns.get(first).map_or("", |c| c.written.as_str());
                        fatal.push(Problem::new(
                            line,
                            Some(&column.written),
                            None,
                            Msg::ColumnDuplicate {
                                first: first.to_owned(),
                                second: column.written.clone(),
                                field: field.canonical().to_owned(),
                            },
                        ));
                    } else {
                        index.insert(field, i);
                    }
                }
                Role::RowNumber => warnings.push(Problem::new(
                    line,
                    Some(&column.written),
                    None,
                    Msg::RowNumberColumnIgnored {},
                )),
                Role::Unknown => warnings.push(Problem::new(
                    line,
                    Some(&column.written),
                    None,
                    Msg::ColumnUnknown {},
                )),
                Role::Unnamed => warnings.push(Problem::new(
                    line,
                    None,
                    None,
                    Msg::ColumnUnnamed { position: i + 1 },
                )),
            }
        }

        let found = columns
            .iter()
            .filter(|c| !c.written.is_empty())
            .map(|c| format!("{:?}", c.written))
            .collect::<Vec<_>>()
            .join(", ");
        let found = text::shorten(&found, 400);
        let missing: Vec<&FieldSpec> = fields_of(kind)
            .iter()
            .filter(|s| s.required && !index.contains_key(&s.field))
            .collect();
        if !missing.is_empty()
            && let Some(guess) = other_kind_guess(kind, &columns, &missing)
        {
            fatal.push(Problem::new(line, None, None, guess));
            return Err(fatal);
        }
        for spec in missing {
            let accepted = std::iter::once(spec.field.canonical())
                .chain(spec.aliases.iter().copied())
                .collect::<Vec<_>>()
                .join(", ");
            fatal.push(Problem::new(
                line,
                None,
                None,
                Msg::ColumnMissing {
                    field: spec.field.canonical().to_owned(),
                    accepted,
                    found: found.clone(),
                },
            ));
        }

        if fatal.is_empty() {
            Ok((Self { columns, index }, warnings))
        } else {
            Err(fatal)
        }
    }

    /// The column index and header as written of a field, when the log has it.
    pub(crate) fn column_of(&self, field: Field) -> Option<(usize, &str)> {
        let &i = self.index.get(&field)?;
        self.columns.get(i).map(|c| (i, c.written.as_str()))
    }

    /// (canonical name, header as written) of each field the header has, in column order.
    pub(crate) fn named_fields(&self) -> Vec<(String, String)> {
        self.columns
            .iter()
            .filter_map(|c| match c.role {
                Role::Field(field) => Some((field.canonical().to_owned(), c.written.clone())),
                _ => None,
            })
            .collect()
    }

    /// The number of columns the header names (trailing empty cells not counted).
    pub(crate) fn width(&self) -> usize {
        self.columns.len()
    }
}

#[cfg(test)]
mod tests;
