//! The store's refusals (`StoreError::Invalid` and `Conflict`, written in English where
//! they arise) in Vietnamese: each known sentence as a template whose `{}`s are the
//! values it names, beside its Vietnamese. A sentence not listed here is said to be a
//! refusal, its English quoted, rather than left bare.

/// (English template, Vietnamese with `{0}`, `{1}`, … for the values in order).
const TEMPLATES: &[(&str, &str)] = &[
    (
        "import batch {} was already voided at {}",
        "Lô nhập số {0} đã bị hủy lúc {1}.",
    ),
    (
        "import batch {} is not voided",
        "Lô nhập số {0} chưa bị hủy.",
    ),
    (
        "inspection {} was already voided at {}",
        "Lần kiểm định số {0} đã bị hủy lúc {1}.",
    ),
    (
        "earthing test {} was already voided at {}",
        "Lần đo tiếp địa số {0} đã bị hủy lúc {1}.",
    ),
    (
        "inspection {} is voided: a voided record is not amended",
        "Lần kiểm định số {0} đã bị hủy: bản ghi đã hủy thì không sửa được.",
    ),
    (
        "earthing test {} is voided: a voided record is not amended",
        "Lần đo tiếp địa số {0} đã bị hủy: bản ghi đã hủy thì không sửa được.",
    ),
    (
        "earthing test {} stays with its point {}: record the other point's test in a log of its own",
        "Lần đo tiếp địa số {0} gắn với điểm đo {1}: hãy ghi phép đo của điểm kia trong một \
         sổ riêng.",
    ),
    (
        "token {} was already revoked at {}",
        "Mã truy cập số {0} đã bị thu hồi lúc {1}.",
    ),
    (
        "the same file is being imported at the same time; try again",
        "Cùng tệp này đang được nhập cùng lúc; xin thử lại.",
    ),
    (
        "{} cannot be narrowed to a category",
        "{0} không thu hẹp theo loại phương tiện đo được.",
    ),
    ("a target is at least 1", "Chỉ tiêu phải từ 1 trở lên."),
    (
        "{}: give a name of 1 to 200 characters",
        "{0}: hãy ghi tên dài từ 1 đến 200 ký tự.",
    ),
    (
        "months: a cycle is 1 to 240 months",
        "months: chu kỳ dài từ 1 đến 240 tháng.",
    ),
    (
        "category {} already has a cycle from {} ({} months); cycles are kept as history: add one from another date",
        "Loại {0} đã có chu kỳ từ {1} ({2} tháng); các chu kỳ được giữ làm lịch sử: hãy \
         thêm chu kỳ từ một ngày khác.",
    ),
    (
        "a lab code is 1 to 32 characters",
        "Mã phòng thí nghiệm dài từ 1 đến 32 ký tự.",
    ),
    (
        "a username is 1 to 64 characters, without `:`",
        "Tên đăng nhập dài từ 1 đến 64 ký tự, không có dấu `:`.",
    ),
    (
        "a token name is 1 to 100 characters",
        "Tên mã truy cập dài từ 1 đến 100 ký tự.",
    ),
    (
        "the username {} is taken in this lab",
        "Tên đăng nhập {0} đã có người dùng trong phòng thí nghiệm này.",
    ),
    ("lab {} already exists", "Phòng thí nghiệm {0} đã có."),
    ("an amendment needs a reason", "Cần ghi lý do sửa."),
    ("a void needs a reason", "Cần ghi lý do hủy."),
];

/// The store's refusal `why` in Vietnamese.
pub(super) fn refusal_vi(why: &str) -> String {
    TEMPLATES
        .iter()
        .find_map(|(en, vi)| {
            let values = matched(en, why)?;
            Some(
                values
                    .iter()
                    .enumerate()
                    .fold((*vi).to_owned(), |text, (i, v)| {
                        text.replace(&format!("{{{i}}}"), v)
                    }),
            )
        })
        .unwrap_or_else(|| format!("Máy chủ không thực hiện yêu cầu này (chi tiết: {why})."))
}

/// The values that fill the `{}`s of `template` to make `text`, if it does.
fn matched<'a>(template: &str, text: &'a str) -> Option<Vec<&'a str>> {
    let pieces: Vec<&str> = template.split("{}").collect();
    let (first, rest) = pieces.split_first()?;
    let mut left = text.strip_prefix(first)?;
    let mut values = Vec::new();
    for (i, piece) in rest.iter().enumerate() {
        // The last piece ends the text; any other is the next place it stands.
        let at = if i + 1 == rest.len() {
            left.strip_suffix(piece)?.len()
        } else {
            left.find(piece)?
        };
        values.push(&left[..at]);
        left = &left[at + piece.len()..];
    }
    left.is_empty().then_some(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stores_refusals_read_in_vietnamese() {
        assert_eq!(
            refusal_vi("import batch 6 was already voided at 2023-10-02T01:02:03+00:00"),
            "Lô nhập số 6 đã bị hủy lúc 2023-10-02T01:02:03+00:00."
        );
        assert_eq!(
            refusal_vi("import batch 6 is not voided"),
            "Lô nhập số 6 chưa bị hủy."
        );
        assert_eq!(
            refusal_vi("the username \"tom\" is taken in this lab"),
            "Tên đăng nhập \"tom\" đã có người dùng trong phòng thí nghiệm này."
        );
        assert_eq!(
            refusal_vi(
                "category TXM already has a cycle from 2023-01-01 (12 months); cycles are \
                 kept as history: add one from another date"
            ),
            "Loại TXM đã có chu kỳ từ 2023-01-01 (12 tháng); các chu kỳ được giữ làm lịch \
             sử: hãy thêm chu kỳ từ một ngày khác."
        );
        assert_eq!(
            refusal_vi("a target is at least 1"),
            "Chỉ tiêu phải từ 1 trở lên."
        );
        assert_eq!(
            refusal_vi("a target is at least 12"),
            "Máy chủ không thực hiện yêu cầu này (chi tiết: a target is at least 12)."
        );
    }
}
