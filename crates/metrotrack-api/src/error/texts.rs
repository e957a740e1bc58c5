//! The problems' fixed texts, in Vietnamese and English: each type's `title`, and the
//! `detail`s the server gives without a handler (authentication, the request timeout,
//! a busy server, an address nothing answers, axum's own refusals rewritten by the
//! guard). Each is an exhaustive `match`, so a type without both texts does not compile.

use metrotrack_core::Lang;

use super::{ProblemType, Said};

impl ProblemType {
    /// The short summary of the type, in `lang`.
    pub fn title(self, lang: Lang) -> &'static str {
        match lang {
            Lang::Vi => match self {
                Self::BadRequest => "Yêu cầu không đúng định dạng",
                Self::Validation => "Có giá trị không hợp lệ trong yêu cầu",
                Self::Unauthorized => "Cần đăng nhập",
                Self::Forbidden => "Không được phép",
                Self::NotFound => "Không tìm thấy",
                Self::MethodNotAllowed => "Phương thức không được phép",
                Self::Conflict => "Xung đột với dữ liệu hiện có",
                Self::PayloadTooLarge => "Tệp hoặc nội dung gửi lên quá lớn",
                Self::UnsupportedMediaType => "Kiểu nội dung không được hỗ trợ",
                Self::ImportRefused => "Tệp nhập bị từ chối",
                Self::TooManyRequests => "Quá nhiều lần đăng nhập sai",
                Self::Timeout => "Yêu cầu mất quá nhiều thời gian",
                Self::Internal => "Lỗi hệ thống",
                Self::Busy => "Máy chủ đang bận",
                Self::Unavailable => "Chưa có chức năng này",
            },
            Lang::En => match self {
                Self::BadRequest => "The request is malformed",
                Self::Validation => "A value in the request is not valid",
                Self::Unauthorized => "Authentication required",
                Self::Forbidden => "Not allowed",
                Self::NotFound => "Not found",
                Self::MethodNotAllowed => "Method not allowed",
                Self::Conflict => "Conflict",
                Self::PayloadTooLarge => "The upload is too large",
                Self::UnsupportedMediaType => "Unsupported media type",
                Self::ImportRefused => "The import was refused",
                Self::TooManyRequests => "Too many failed attempts",
                Self::Timeout => "The request took too long",
                Self::Internal => "Internal error",
                Self::Busy => "The server is busy",
                Self::Unavailable => "Not available",
            },
        }
    }

    /// What the guard says when axum itself refused a request (a method the address does
    /// not take, a body it could not read, …) with no words of its own.
    pub fn generic_detail(self) -> Said {
        let (vi, en) = match self {
            Self::MethodNotAllowed => (
                "Địa chỉ này không nhận phương thức HTTP này; tiêu đề Allow liệt kê các \
                 phương thức được nhận.",
                "This address does not take this HTTP method; the Allow header lists the \
                 ones it takes.",
            ),
            Self::PayloadTooLarge => (
                "Nội dung gửi lên lớn hơn mức máy chủ nhận.",
                "The request's body is larger than the server accepts.",
            ),
            Self::NotFound => (
                "Không có gì ở địa chỉ này; xem /api/v1/openapi.json để biết các địa chỉ \
                 của API.",
                "There is nothing at this path; see /api/v1/openapi.json for the API.",
            ),
            Self::UnsupportedMediaType => (
                "Máy chủ không đọc được kiểu nội dung (Content-Type) đã gửi.",
                "The server does not read the Content-Type that was sent.",
            ),
            Self::Internal => (
                "Có lỗi ở phía máy chủ; lỗi đã được ghi lại.",
                "Something went wrong on our side; it has been logged.",
            ),
            Self::Unauthorized => (
                "Hãy gửi một mã truy cập API hợp lệ dạng `Authorization: Bearer …` (hoặc tên \
                 đăng nhập và mật khẩu theo HTTP Basic).",
                "Send a valid API token as `Authorization: Bearer …` (or a username and \
                 password as HTTP Basic).",
            ),
            Self::Timeout => (
                "Yêu cầu không hoàn tất trong thời gian cho phép; chưa có gì thay đổi, trừ khi \
                 câu trả lời cho biết khác.",
                "The request did not finish in time; nothing was changed unless it says \
                 otherwise.",
            ),
            Self::BadRequest
            | Self::Validation
            | Self::Forbidden
            | Self::Conflict
            | Self::ImportRefused
            | Self::TooManyRequests
            | Self::Busy
            | Self::Unavailable => (
                "Máy chủ không đọc được yêu cầu này.",
                "The server could not read this request.",
            ),
        };
        Said::new(vi, en)
    }
}

/// What a store's "not found" names (`import batch 6`, `inspection 12`, …), in
/// Vietnamese; `None` for a thing not listed here.
pub(super) fn thing_vi(what: &str) -> Option<String> {
    const NAMES: [(&str, &str); 9] = [
        ("import batch ", "lô nhập số "),
        ("inspection ", "lần kiểm định số "),
        ("earthing test ", "lần đo tiếp địa số "),
        ("earthing point ", "điểm đo tiếp địa số "),
        ("instrument ", "phương tiện đo số "),
        ("category ", "loại phương tiện đo "),
        ("user ", "người dùng "),
        ("token ", "mã truy cập số "),
        ("a plan target of ", "chỉ tiêu kế hoạch "),
    ];
    NAMES.iter().find_map(|(en, vi)| {
        let rest = what.strip_prefix(en)?;
        // A plan target names its metric and period in codes (`inspections for 2023-10`).
        let rest = rest.replace(" for ", " cho ");
        Some(format!("{vi}{rest}"))
    })
}

/// 400: the query or path value `value` of `name` cannot be read (`why`, in English).
pub fn unreadable(name: &str, value: &str, why: impl std::fmt::Display) -> super::ApiError {
    let vi = match name {
        "period" => format!(
            "{value:?} không phải là kỳ báo cáo. Hãy viết 2023-10 (tháng), 2023-Q4 (quý), \
             2023-H2 (nửa năm) hoặc 2023 (năm)."
        ),
        "scheme" => {
            format!("{value:?} không phải là cách tính kỳ; hãy dùng decree09 hoặc calendar.")
        }
        "metric" => format!(
            "{value:?} không phải là chỉ tiêu; hãy dùng instruments_inspected, inspections \
             hoặc earthing_points_measured."
        ),
        "lang" => format!("{value:?} không phải là một ngôn ngữ; hãy dùng vi hoặc en."),
        "category" => format!(
            "{value:?} không phải là mã loại phương tiện đo: một mã gồm 1 đến 16 chữ cái, \
             chữ số, `-` hoặc `_`."
        ),
        "mode" => format!("{value:?} không hợp lệ; hãy dùng strict, partial hoặc dry_run."),
        "encoding" => format!(
            "{value:?} không phải là bảng mã được nhận; hãy dùng utf-8, utf-16le, utf-16be \
             hoặc windows-1258."
        ),
        "date_order" => format!(
            "{value:?} không phải là thứ tự ngày được nhận; hãy dùng dmy (15/09/2023) hoặc \
             ymd (2023/09/15)."
        ),
        "delimiter" => {
            format!("{value:?} không phải là dấu phân cách; hãy dùng ',', ';' hoặc 'tab'.")
        }
        _ => format!(
            "không đọc được giá trị {value:?}; các giá trị được nhận có trong tài liệu API \
             (/api/docs)."
        ),
    };
    super::bad_request(Said {
        vi: format!("{name}: {vi}"),
        en: format!("{name}: {why}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_has_a_vietnamese_and_an_english_title() {
        for kind in ProblemType::ALL {
            let (vi, en) = (kind.title(Lang::Vi), kind.title(Lang::En));
            assert!(!vi.is_empty() && !en.is_empty(), "{kind:?}");
            assert_ne!(vi, en, "{kind:?} is not translated");
            let generic = kind.generic_detail();
            assert_ne!(generic.vi, generic.en, "{kind:?}");
        }
    }

    #[test]
    fn store_names_read_in_vietnamese() {
        assert_eq!(thing_vi("import batch 6").as_deref(), Some("lô nhập số 6"));
        assert_eq!(
            thing_vi("inspection 12").as_deref(),
            Some("lần kiểm định số 12")
        );
        assert_eq!(thing_vi("something else"), None);
    }
}
