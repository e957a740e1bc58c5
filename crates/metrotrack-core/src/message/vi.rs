//! The catalogue's Vietnamese texts.

use super::*;

const SAVE_AGAIN_VI: &str = "hãy lưu lại từ Excel dưới dạng .xlsx hoặc CSV";

fn reading_vi(year_first: bool) -> &'static str {
    if year_first {
        "ngày viết năm trước được đọc theo dạng yyyy-mm-dd"
    } else {
        "ngày được đọc theo thứ tự ngày/tháng/năm (dd/mm/yyyy)"
    }
}

fn identifier_vi(kind: IdentifierKind) -> &'static str {
    match kind {
        IdentifierKind::SerialNumber => "số máy",
        IdentifierKind::PointCode => "mã điểm đo",
    }
}

impl Whence {
    pub(super) fn vi(&self) -> String {
        match self {
            Self::ThisFile { line } => format!("ở dòng {line} phía trên của chính tệp này"),
            Self::Batch { batch, line } => format!("từ lô nhập {batch}, dòng {line}"),
            Self::BatchOnly { batch } => format!("từ lô nhập {batch}"),
            Self::Direct => "nhập trực tiếp".to_owned(),
        }
    }
}

impl Msg {
    #[allow(clippy::too_many_lines)]
    pub(super) fn vi(&self) -> String {
        let b = |n: u64| human_bytes(n, Lang::Vi);
        match self {
            Self::DateHasTime { written, time } => {
                format!("{written} có kèm giờ ({time}); chỉ ghi ngày, ví dụ 15/09/2023")
            }
            Self::DateInvalid { written } => format!(
                "{written} không phải là ngày; hãy ghi ngày trước theo dạng dd/mm/yyyy, ví dụ 15/09/2023"
            ),
            Self::DateYearFirst { written, separator } => format!(
                "{written} ghi năm trước với dấu '{separator}'; ngày được đọc theo dạng dd/mm/yyyy hoặc ISO yyyy-mm-dd, nếu không hãy chọn thứ tự ngày ymd"
            ),
            Self::DateTwoDigitYear { written } => format!(
                "{written} ghi năm bằng hai chữ số; hãy ghi đủ bốn chữ số của năm, ví dụ 15/09/2023"
            ),
            Self::DateYearOutOfRange {
                written,
                year,
                min,
                max,
            } => format!(
                "{written} có năm {year}, không thể đúng; hãy ghi một năm từ {min} đến {max}"
            ),
            Self::DateNoSuchMonth {
                written,
                month,
                year_first,
            } => format!(
                "{written} không phải là ngày hợp lệ: không có tháng {month}; {}",
                reading_vi(*year_first)
            ),
            Self::DateImpossible {
                written,
                month,
                year,
                days,
                year_first,
            } => format!(
                "{written} không phải là ngày hợp lệ: tháng {month}/{year} chỉ có {days} ngày; {}",
                reading_vi(*year_first)
            ),
            Self::ValueUnknown { written, accepted } => {
                format!("{written} không thuộc các giá trị được chấp nhận: {accepted}")
            }
            Self::DecimalInvalid { written } => format!("{written} không phải là một số"),
            Self::DecimalAmbiguous { written } => format!(
                "{written} có dấu phân nhóm chữ số hoặc nhiều hơn một dấu thập phân; chỉ ghi một dấu thập phân, `.` hoặc `,` (ví dụ 1234,5)"
            ),
            Self::ResistanceNegative { written } => {
                format!("{written} là số âm; điện trở phải từ 0 Ω trở lên")
            }
            Self::IdentifierEmpty { kind } => format!("{} để trống", identifier_vi(*kind)),
            Self::IdentifierTooLong { kind, max } => {
                format!("{} dài quá {max} ký tự", identifier_vi(*kind))
            }
            Self::CategoryUnknown { written, known } => format!(
                "{written} không phải là loại phương tiện đo đã biết; hãy dùng mã hoặc tên của một trong các loại: {known}"
            ),
            Self::FieldRequired { column } => {
                format!("để trống; cột {column} là bắt buộc")
            }
            Self::FieldTooLong { limit_bytes } => format!(
                "dài quá {}, mức tối đa một ô được phép chứa",
                b(*limit_bytes)
            ),
            Self::ResultRequired {} => {
                "để trống; kiểm định phải có kết quả (Đạt / Không đạt, hoặc pass / fail)".to_owned()
            }
            Self::ValidUntilAfterFail {} => {
                "lần kiểm định không đạt thì không có hạn hiệu lực; hãy để trống ô này".to_owned()
            }
            Self::ValidUntilBeforeDate { valid_until, date } => format!(
                "hạn hiệu lực {valid_until} sớm hơn ngày kiểm định {date}"
            ),
            Self::RowTooManyFields { fields, width } => format!(
                "dòng có {fields} ô, tiêu đề có {width} cột; có dấu phân cách hoặc dấu ngoặc kép nào đặt sai chỗ không?"
            ),
            Self::RowUnreadable {} => "không đọc được dòng này".to_owned(),
            Self::InspectionInEarthingLog {} => {
                "dòng kiểm định nằm trong sổ đo điện trở nối đất".to_owned()
            }
            Self::EarthingInInspectionsLog {} => {
                "dòng đo điện trở nối đất nằm trong sổ kiểm định".to_owned()
            }
            Self::HeaderTooManyColumns { found, max } => format!(
                "dòng tiêu đề có {found} cột; tối đa chỉ được {max} cột"
            ),
            Self::ColumnDuplicate {
                first,
                second,
                field,
            } => format!(
                "hai cột {first:?} và {second:?} cùng có nghĩa là {field}; hãy giữ lại một cột"
            ),
            Self::RowNumberColumnIgnored {} => "cột số thứ tự được bỏ qua".to_owned(),
            Self::ColumnUnknown {} => "cột không nhận ra, được bỏ qua".to_owned(),
            Self::ColumnUnnamed { position } => format!(
                "cột thứ {position} không có tiêu đề; các giá trị trong cột được bỏ qua"
            ),
            Self::ColumnMissing {
                field,
                accepted,
                found,
            } => {
                let found = if found.is_empty() { "không có" } else { found };
                format!(
                    "thiếu cột bắt buộc {field} (các tiêu đề được chấp nhận: {accepted}); các tiêu đề có trong tệp: {found}"
                )
            }
            Self::LooksLikeEarthing { missing } => format!(
                "tệp này có vẻ là sổ đo điện trở nối đất: tiêu đề có đủ các cột của sổ đo điện trở nối đất nhưng tệp được tải lên như sổ kiểm định (thiếu {missing}); hãy chọn loại “đo điện trở nối đất” rồi tải lên lại"
            ),
            Self::LooksLikeInspections { missing } => format!(
                "tệp này có vẻ là sổ kiểm định: tiêu đề có đủ các cột của sổ kiểm định nhưng tệp được tải lên như sổ đo điện trở nối đất (thiếu {missing}); hãy chọn loại “kiểm định” rồi tải lên lại"
            ),
            Self::FileEmpty {} => "tệp trống: không có dòng tiêu đề".to_owned(),
            Self::FileTooLarge { limit_bytes } => format!(
                "tệp lớn hơn {}; hãy chia thành các tệp nhỏ hơn",
                b(*limit_bytes)
            ),
            Self::RecordTooLong {
                line,
                limit_bytes,
                open_quote,
            } => format!(
                "bản ghi bắt đầu ở dòng {line} dài quá {}{}",
                b(*limit_bytes),
                if *open_quote {
                    "; có thể một dấu ngoặc kép (\") chưa được đóng"
                } else {
                    ""
                }
            ),
            Self::FileNul { line } => {
                format!("đây không phải là tệp CSV dạng văn bản (có ký tự NUL ở dòng {line})")
            }
            Self::EncodingMalformed {
                encoding,
                offset,
                line,
                detected,
            } => format!(
                "{}văn bản không đúng bảng mã {encoding} (byte lỗi ở vị trí {offset}){}; hãy lưu tệp dưới dạng CSV UTF-8 hoặc cho biết bảng mã của tệp (tệp từ máy Windows tiếng Việt cũ dùng windows-1258: trên dòng lệnh, --encoding windows-1258)",
                if *line > 0 {
                    format!("dòng {line}: ")
                } else {
                    String::new()
                },
                if *detected {
                    ", dù đến đó tệp vẫn đọc được theo bảng mã này"
                } else {
                    ""
                }
            ),
            Self::EncodingNotUtf8 {} => "có văn bản không đúng UTF-8; hãy lưu tệp dưới dạng CSV UTF-8 hoặc cho biết bảng mã của tệp".to_owned(),
            Self::FileNotCsv { detail } => format!("không đọc được tệp dưới dạng CSV: {detail}"),
            Self::FileUnreadable { detail } => format!("không đọc được tệp: {detail}"),
            Self::FileBinary { offset, old_excel } => format!(
                "đây không phải là tệp CSV dạng văn bản (dữ liệu nhị phân ở byte {offset}){}",
                if *old_excel {
                    "; có vẻ đây là sổ Excel cũ (.xls): hãy lưu lại dưới dạng .xlsx hoặc CSV"
                } else {
                    ""
                }
            ),
            Self::DelimiterInvalid { delimiter } => format!(
                "{delimiter} không thể làm dấu phân cách; hãy dùng ',', ';' hoặc tab"
            ),
            Self::WorkbookNamedButNot {} => "tệp có đuôi của sổ bảng tính (.xlsx, .xls, .ods) nhưng không phải là sổ bảng tính; hãy lưu lại từ Excel dưới dạng .xlsx, hoặc đặt đuôi .csv nếu đó là văn bản CSV".to_owned(),
            Self::WorkbookNotReadable { detail } => format!(
                "tệp này không phải là sổ bảng tính (.xlsx, .xls, .ods) đọc được ({detail}); {SAVE_AGAIN_VI}"
            ),
            Self::WorkbookCorrupt { detail } => format!(
                "tệp này bắt đầu như một sổ Excel (.xlsx, tệp nén zip) nhưng không đọc được ({detail}); {SAVE_AGAIN_VI}"
            ),
            Self::WorkbookPartUnreadable { part, detail } => format!(
                "không đọc được phần {part} của sổ Excel ({detail}); {SAVE_AGAIN_VI}"
            ),
            Self::WorkbookTooLarge {
                limit_bytes,
                part,
                part_bytes,
            } => format!(
                "sổ Excel khi giải nén lớn hơn {} (riêng phần {part} đã là {}); hãy chia thành các sổ nhỏ hơn",
                b(*limit_bytes),
                b(*part_bytes)
            ),
            Self::WorkbookNoSheets {} => "sổ Excel không có trang tính nào".to_owned(),
            Self::WorkbookNoSuchSheet { wanted, sheets } => format!(
                "sổ Excel không có trang tính nào tên \"{wanted}\"; các trang tính của sổ: {}",
                quoted_list(sheets)
            ),
            Self::SheetUnreadable { sheet, detail } => {
                format!("không đọc được trang tính \"{sheet}\": {detail}")
            }
            Self::SheetUnreadablePast { sheet, row, detail } => format!(
                "không đọc được trang tính \"{sheet}\" sau hàng {row} ({detail}); {SAVE_AGAIN_VI}"
            ),
            Self::SheetEmpty { sheet } => {
                format!("trang tính \"{sheet}\" trống: không có dòng tiêu đề")
            }
            Self::SheetTooManyCells { sheet, max } => format!(
                "trang tính \"{sheet}\" có hơn {max} ô; hãy chia thành các sổ nhỏ hơn"
            ),
            Self::SheetTooManyColumns { sheet, cell, max } => format!(
                "trang tính \"{sheet}\", ô {cell}: một sổ ghi chép có tối đa {max} cột"
            ),
            Self::WorkbookRangeTooLarge {
                sheet,
                rows,
                columns,
                max_cells,
                max_columns,
            } => format!(
                "trang tính \"{sheet}\" khai báo {rows} hàng × {columns} cột; sổ .xls hoặc .ods được đọc toàn bộ vào bộ nhớ nên chỉ được có tối đa {max_cells} ô (mọi trang tính cộng lại) và {max_columns} cột: hãy xoá các hàng và cột trống sau phần ghi chép, hoặc lưu dưới dạng .xlsx hoặc CSV"
            ),
            Self::AmendmentUnknownField { fields } => format!(
                "không phải là trường của bản ghi này; các trường là: {fields}"
            ),
            Self::AmendmentUnreadable { detail } => match detail {
                Some(d) => format!("không đọc được bản ghi sau khi sửa: {d}"),
                None => "không đọc được bản ghi sau khi sửa".to_owned(),
            },
            Self::FormPeriodInvalid { written } => format!(
                "«{written}» không phải là kỳ báo cáo; hãy viết 2023-10 (tháng), 2023-Q1 (quý), 2023-H1 (nửa năm) hoặc 2023 (năm)"
            ),
            Self::FormYearOutOfRange { year } => {
                format!("năm {year} nằm ngoài khoảng 1900–9999")
            }
            Self::FormMetricUnknown { written } => {
                format!("«{written}» không phải là một chỉ tiêu")
            }
            Self::FormCategoryInvalid { written } => format!(
                "«{written}» không phải là mã loại phương tiện đo (1 đến 16 chữ cái, chữ số, `-` hoặc `_`)"
            ),
            Self::FormTargetInvalid { written } => format!(
                "«{written}»: kế hoạch phải là một số nguyên từ 1 trở lên"
            ),
            Self::FormKindUnknown { written } => {
                format!("«{written}» không phải là loại nhật ký; chọn kiểm định hoặc đo nối đất")
            }
            Self::FormNoFile {} => "chưa chọn tệp để tải lên".to_owned(),
            Self::PlanCategoryNotApplicable { metric } => format!(
                "{metric} đếm điểm đo nối đất nên không thể giới hạn theo loại phương tiện đo"
            ),
            Self::InspectionConflict {
                fields,
                stored,
                whence,
            } => format!(
                "mâu thuẫn với bản ghi đã lưu cho phương tiện đo, loại công việc và ngày này ({}): {} khác (đã lưu: {}); muốn sửa hãy dùng chức năng đính chính",
                whence.vi(),
                fields.join(", "),
                stored.as_deref().unwrap_or("trống")
            ),
            Self::TestConflict {
                fields,
                stored,
                whence,
            } => format!(
                "mâu thuẫn với kết quả đo đã lưu cho điểm đo và ngày này ({}): {} khác (đã lưu: {}); muốn sửa hãy dùng chức năng đính chính",
                whence.vi(),
                fields.join(", "),
                stored.as_deref().unwrap_or("trống")
            ),
            Self::NumberInUse {
                kind,
                number,
                whence,
            } => {
                let what = match kind {
                    NumberKind::Certificate => "giấy chứng nhận",
                    NumberKind::Stamp => "tem",
                };
                format!(
                    "số {what} {number} đã được dùng cho một lần kiểm định khác ({}); số {what} là duy nhất trong phòng thí nghiệm",
                    whence.vi()
                )
            }
            Self::InspectionClash {} => {
                "không lưu được: trùng với một lần kiểm định đã lưu".to_owned()
            }
            Self::TestClash {} => {
                "không lưu được: trùng với một kết quả đo nối đất đã lưu".to_owned()
            }
            Self::PointMissing {} => "không lưu được: không tìm thấy điểm đo nối đất".to_owned(),
        }
    }
}
