//! The words that make the pages usable without sight or mouse (skip link, names of
//! controls and regions, the chart's figures, announcements) and the confirmation of
//! destructive actions, in Vietnamese and English. Kept apart from [`super::i18n`]'s
//! page words so that each list stays short.

use metrotrack_core::Lang;

/// Every such text.
#[derive(Debug)]
pub struct AccessTexts {
    /// The page's description for search engines and link previews.
    pub meta_description: &'static str,
    pub skip: &'static str,
    pub main_nav: &'static str,
    pub chart_figures: &'static str,
    pub month: &'static str,
    pub status: &'static str,
    pub actions: &'static str,
    /// The per-row reason field: "Reason to void batch" + the batch's number.
    pub reason_for: &'static str,
    pub confirm_title: &'static str,
    pub confirm: &'static str,
    pub cancel: &'static str,
    /// "{n} records will leave the figures".
    pub void_batch_what: &'static str,
    pub restore_batch: &'static str,
    pub restore_batch_what: &'static str,
    pub void_record: &'static str,
    pub void_record_what: &'static str,
    pub delete_plan: &'static str,
    pub delete_plan_what: &'static str,
    pub voided_notice: &'static str,
    pub restored_notice: &'static str,
    pub deleted_notice: &'static str,
    pub upload_progress: &'static str,
}

pub const VI: AccessTexts = AccessTexts {
    meta_description: "metrotrack: hồ sơ kiểm định phương tiện đo và đo điện trở tiếp địa của phòng thí nghiệm, số liệu hoàn thành kế hoạch theo tháng, quý, năm.",
    skip: "Bỏ qua, đến nội dung chính",
    main_nav: "Điều hướng chính",
    chart_figures: "Số liệu của biểu đồ",
    month: "Tháng",
    status: "Trạng thái",
    actions: "Thao tác",
    reason_for: "Lý do hủy lô",
    confirm_title: "Xác nhận",
    confirm: "Xác nhận",
    cancel: "Quay lại, không thay đổi gì",
    void_batch_what: "bản ghi sẽ rời khỏi số liệu",
    restore_batch: "Khôi phục lô",
    restore_batch_what: "bản ghi sẽ trở lại số liệu",
    void_record: "Hủy bản ghi",
    void_record_what: "bản ghi này sẽ rời khỏi số liệu; các phiên bản vẫn được lưu",
    delete_plan: "Xoá kế hoạch",
    delete_plan_what: "chỉ tiêu này sẽ không còn được so sánh với số liệu",
    voided_notice: "Đã hủy lô",
    restored_notice: "Đã khôi phục lô",
    deleted_notice: "Đã xoá kế hoạch",
    upload_progress: "Tiến độ tải lên",
};

pub const EN: AccessTexts = AccessTexts {
    meta_description: "metrotrack: a legal-metrology lab's records of instrument inspections and earthing tests, and its achievement against plan by month, quarter and year.",
    skip: "Skip to main content",
    main_nav: "Main navigation",
    chart_figures: "The chart's figures",
    month: "Month",
    status: "Status",
    actions: "Actions",
    reason_for: "Reason to void batch",
    confirm_title: "Confirm",
    confirm: "Confirm",
    cancel: "Go back, change nothing",
    void_batch_what: "records will leave the figures",
    restore_batch: "Restore batch",
    restore_batch_what: "records will return to the figures",
    void_record: "Void record",
    void_record_what: "this record will leave the figures; its versions are kept",
    delete_plan: "Delete plan",
    delete_plan_what: "this target will no longer be compared with the figures",
    voided_notice: "Voided batch",
    restored_notice: "Restored batch",
    deleted_notice: "Deleted plan",
    upload_progress: "Upload progress",
};

/// The texts in `lang`.
pub fn access_texts(lang: Lang) -> &'static AccessTexts {
    match lang {
        Lang::Vi => &VI,
        Lang::En => &EN,
    }
}
