//! Excel workbooks for the tests, written by a real spreadsheet writer (rust_xlsxwriter)
//! from the CSV logs in `fixtures/`.

use chrono::NaiveDate;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

/// The date columns and the number columns of the Vietnamese inspections log.
pub const VI_INSPECTION_DATES: [&str; 2] = ["Ngày kiểm định", "Hiệu lực đến"];
pub const VI_INSPECTION_NUMBERS: [&str; 1] = ["Sai số (%)"];

/// A workbook of one sheet holding a `;`-separated CSV log as a person keeps it in
/// Excel: the columns named in `dates` as date cells shown `d mmm yyyy`, those in
/// `numbers` and `STT` as number cells shown with one decimal (fewer than they hold),
/// the rest as text; then an empty, formatted trailing row.
pub fn workbook_of(csv_text: &str, dates: &[&str], numbers: &[&str]) -> Vec<u8> {
    let shown_date = Format::new().set_num_format("d mmm yyyy");
    let shown_number = Format::new().set_num_format("0.0");
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Tháng 10").expect("sheet name");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(b';')
        .from_reader(csv_text.trim_start_matches('\u{feff}').as_bytes());
    let mut header: Vec<String> = Vec::new();
    let mut last = 0;
    for (r, record) in reader.records().enumerate() {
        let record = record.expect("csv record");
        let row = u32::try_from(r).expect("row");
        last = row;
        if r == 0 {
            header = record.iter().map(str::to_owned).collect();
        }
        for (c, value) in record.iter().enumerate() {
            let col = u16::try_from(c).expect("col");
            let name = header.get(c).map_or("", String::as_str);
            // A date Excel does not take (31/02/2023) stays the text typed.
            let date = NaiveDate::parse_from_str(value, "%d/%m/%Y").ok();
            if let Some(date) = date.filter(|_| r > 0 && dates.contains(&name)) {
                let at = ExcelDateTime::parse_from_str(&date.to_string()).expect("excel date");
                sheet
                    .write_datetime_with_format(row, col, &at, &shown_date)
                    .expect("date cell");
            } else if r > 0 && !value.is_empty() && (numbers.contains(&name) || name == "STT") {
                let number: f64 = value.replace(',', ".").parse().expect("number");
                sheet
                    .write_number_with_format(row, col, number, &shown_number)
                    .expect("number cell");
            } else {
                sheet.write_string(row, col, value).expect("text cell");
            }
        }
    }
    sheet
        .write_blank(last + 1, 0, &shown_number)
        .expect("blank cell");
    sheet.write_string(last + 1, 3, " ").expect("space cell");
    workbook.save_to_buffer().expect("xlsx")
}
