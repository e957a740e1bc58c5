//! More of the pages' words, in Vietnamese and English: the due list's counts and
//! grouping, the error pages, the check-only upload's result, the earthing tests' filters
//! and the phone menu (issue 14). [`super::i18n`] holds the rest.

use metrotrack_core::Lang;

#[derive(Debug)]
pub struct Words {
    // The due list.
    pub due_overdue: &'static str,
    /// "Due within" … "days".
    pub due_within: &'static str,
    pub due_total: &'static str,
    pub group_by: &'static str,
    pub group_none: &'static str,
    pub group_owner: &'static str,
    pub no_owner: &'static str,
    pub instruments: &'static str,
    pub overdue_of_group: &'static str,
    /// The grouped list shows at most this many; "first … shown".
    pub grouped_cut: &'static str,
    // Error pages.
    pub not_found_title: &'static str,
    pub not_found_text: &'static str,
    pub busy_title: &'static str,
    /// "… try again in" N s.
    pub busy_text: &'static str,
    /// The database is busy with other writes (a large import); nothing was changed.
    pub database_busy_text: &'static str,
    pub internal_title: &'static str,
    pub internal_text: &'static str,
    pub back_home: &'static str,
    pub back_previous: &'static str,
    // The check-only upload.
    pub would_store: &'static str,
    pub would_reject: &'static str,
    // Earthing tests' filters.
    pub over_limit_only: &'static str,
    pub within_limit_only: &'static str,
    pub any_result: &'static str,
    // The phone menu.
    pub menu: &'static str,
}

pub const VI: Words = Words {
    due_overdue: "Quá hạn",
    due_within: "Đến hạn trong",
    due_total: "Tổng cộng",
    group_by: "Nhóm theo",
    group_none: "Không nhóm",
    group_owner: "Khách hàng (đơn vị sử dụng)",
    no_owner: "Chưa ghi đơn vị sử dụng",
    instruments: "phương tiện đo",
    overdue_of_group: "quá hạn",
    grouped_cut: "Chỉ hiện các phương tiện đầu tiên; tải tệp CSV/Excel để có đủ danh sách. Số đầu tiên hiện:",
    not_found_title: "Không tìm thấy",
    not_found_text: "Không có trang hoặc bản ghi này trong phòng thí nghiệm của bạn:",
    busy_title: "Máy chủ đang bận",
    busy_text: "Có quá nhiều lượt đăng nhập đang được kiểm tra. Vui lòng thử lại sau",
    database_busy_text: "Cơ sở dữ liệu đang bận với việc khác (một lần nhập lớn chẳng hạn); chưa có gì thay đổi. Vui lòng thử lại sau",
    internal_title: "Lỗi máy chủ",
    internal_text: "Trang không hiển thị được do lỗi phía máy chủ. Lỗi đã được ghi lại; vui lòng thử lại sau.",
    back_home: "Về trang tổng quan",
    back_previous: "Quay lại trang trước",
    would_store: "Sẽ lưu",
    would_reject: "Sẽ bị từ chối",
    over_limit_only: "Vượt giới hạn",
    within_limit_only: "Trong giới hạn",
    any_result: "Mọi kết quả",
    menu: "Trình đơn",
};

pub const EN: Words = Words {
    due_overdue: "Overdue",
    due_within: "Due within",
    due_total: "Total",
    group_by: "Group by",
    group_none: "No grouping",
    group_owner: "Customer (owner)",
    no_owner: "No owner recorded",
    instruments: "instruments",
    overdue_of_group: "overdue",
    grouped_cut: "Only the first instruments are shown; download the CSV/Excel file for the whole list. Shown:",
    not_found_title: "Not found",
    not_found_text: "There is no such page or record in your lab:",
    busy_title: "The server is busy",
    busy_text: "Too many sign-ins are being checked; please try again in",
    database_busy_text: "The database is busy with other work such as a large import; nothing was changed. Please try again in",
    internal_title: "Server error",
    internal_text: "The page could not be shown because of an error on our side. It has been logged; please try again later.",
    back_home: "Back to the dashboard",
    back_previous: "Back to the previous page",
    would_store: "Would be stored",
    would_reject: "Would be rejected",
    over_limit_only: "Over the limit",
    within_limit_only: "Within the limit",
    any_result: "Any result",
    menu: "Menu",
};

pub fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::Vi => &VI,
        Lang::En => &EN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every word is written in both languages, and the Vietnamese is not the English.
    #[test]
    fn every_word_is_in_both_languages() {
        let fields = |w: &Words| -> Vec<String> {
            format!("{w:?}")
                .split(", ")
                .map(|f| f.split_once(": ").map_or(f, |(_, v)| v).to_owned())
                .collect()
        };
        let (vi, en) = (fields(&VI), fields(&EN));
        assert_eq!(vi.len(), en.len());
        for (v, e) in vi.iter().zip(&en) {
            assert!(v != "\"\"" && e != "\"\"", "{v} / {e}");
            assert_ne!(v, e, "not translated");
        }
    }
}
