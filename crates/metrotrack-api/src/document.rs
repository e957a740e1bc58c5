//! The monthly report as the document the department signs: a Word file laid out as
//! Decree 30/2020/NĐ-CP sets administrative documents out (Appendix I): A4, Times New
//! Roman, the margins it gives, the issuing body beside the national motto, number and
//! symbol, place and date, the title, the body, "Nơi nhận" and the signature block.

use std::io::Cursor;

use chrono::{Datelike, FixedOffset, NaiveDate, Utc};
use docx_rs::{
    AlignmentType, Docx, LineSpacing, PageMargin, Paragraph, Run, RunFonts, SpecialIndentType,
    Table, TableCell, TableRow, VAlignType, WidthType,
};
use metrotrack_core::document::DocumentNumber;
use metrotrack_core::report::render_text;
use metrotrack_core::{
    Achievement, Category, CategoryCode, LabId, Lang, Metric, PeriodAchievement, PeriodSpec,
    ReportSettings, ReportTables, ReportingPeriod,
};
use metrotrack_store::{Store, StoreError};

/// The media type of a `.docx`.
pub const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

/// The report document as an answer's body, for the API's description.
#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)]
#[schema(
    value_type = String,
    format = Binary,
    content_media_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
)]
pub struct DocxFile(Vec<u8>);

/// Today's date in Vietnam (UTC+7 all year: no daylight saving), the default date a
/// report is signed.
pub fn today_in_vietnam() -> NaiveDate {
    let offset = FixedOffset::east_opt(7 * 3600).expect("UTC+7 is a valid offset");
    Utc::now().with_timezone(&offset).date_naive()
}

/// The font the decree prescribes.
const FONT: &str = "Times New Roman";
/// Twips (1/20 pt) in a millimetre.
const MM: f64 = 56.692;
/// A4 in twips.
const A4: (u32, u32) = (11906, 16838);
/// Sizes in half-points, within the decree's ranges: 14 pt body, title and motto
/// subline; 13 pt number and captions; 12 pt letterhead names, motto, tables and
/// "Nơi nhận"; 11 pt recipients.
const BODY: usize = 28;
const HEAD: usize = 26;
const SMALL: usize = 24;
const RECIPIENTS: usize = 22;

fn mm(v: f64) -> i32 {
    (v * MM).round() as i32
}

/// Everything the document shows of one period.
#[derive(Debug)]
pub struct ReportDocument<'a> {
    pub achievement: &'a PeriodAchievement,
    pub tables: &'a ReportTables,
    pub settings: &'a ReportSettings,
    /// The lab's name: the issuing body when the settings name none.
    pub lab_name: &'a str,
    pub categories: &'a [Category],
    /// The date it is signed ("Hà Nội, ngày 05 tháng 11 năm 2023").
    pub issued_on: NaiveDate,
    pub lang: Lang,
}

/// Reads what the document of `period` shows from the store (the lab's name among it)
/// and writes it.
pub async fn report_docx<S: Store>(
    store: &S,
    lab: LabId,
    period: ReportingPeriod,
    issued_on: NaiveDate,
    lang: Lang,
) -> Result<Vec<u8>, StoreError> {
    let lab_name = store
        .labs()
        .await?
        .into_iter()
        .find(|l| l.id == lab)
        .map(|l| l.name)
        .unwrap_or_default();
    let achievement = store.achievement(lab, period).await?;
    let tables = store.report_tables(lab, &period).await?;
    let settings = store.report_settings(lab).await?;
    let categories = store.categories(lab).await?;
    Ok(ReportDocument {
        achievement: &achievement,
        tables: &tables,
        settings: &settings,
        lab_name: &lab_name,
        categories: &categories,
        issued_on,
        lang,
    }
    .to_docx())
}

/// The document's fixed words in one language.
struct Words {
    motto: &'static str,
    motto_sub: &'static str,
    title: &'static str,
    recipients: &'static str,
    archive: &'static str,
    table1: &'static str,
    table2: &'static str,
    no: &'static str,
    category: &'static str,
    instruments: &'static str,
    inspections: &'static str,
    passed: &'static str,
    failed: &'static str,
    target: &'static str,
    percent: &'static str,
    total: &'static str,
    points: &'static str,
    tests: &'static str,
    over_limit: &'static str,
    no_records: &'static str,
    blank: &'static str,
}

const VI: Words = Words {
    motto: "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    motto_sub: "Độc lập - Tự do - Hạnh phúc",
    title: "BÁO CÁO",
    recipients: "Nơi nhận:",
    archive: "- Lưu: VT.",
    table1: "Bảng 1. Kiểm định, hiệu chuẩn phương tiện đo theo loại",
    table2: "Bảng 2. Đo điện trở nối đất hệ thống chống sét",
    no: "TT",
    category: "Loại phương tiện đo",
    instruments: "Số PTĐ",
    inspections: "Số lượt",
    passed: "Đạt",
    failed: "Không đạt",
    target: "Kế hoạch",
    percent: "Tỷ lệ (%)",
    total: "Tổng cộng",
    points: "Số điểm đo",
    tests: "Số lượt đo",
    over_limit: "Vượt giới hạn",
    no_records: "Không có bản ghi trong kỳ.",
    blank: "……………",
};

const EN: Words = Words {
    motto: "SOCIALIST REPUBLIC OF VIET NAM",
    motto_sub: "Independence - Freedom - Happiness",
    title: "REPORT",
    recipients: "To:",
    archive: "- Archive: Office.",
    table1: "Table 1. Verification and calibration of measuring instruments by category",
    table2: "Table 2. Earthing resistance of lightning-protection systems",
    no: "No.",
    category: "Category",
    instruments: "Instruments",
    inspections: "Inspections",
    passed: "Passed",
    failed: "Failed",
    target: "Plan",
    percent: "Percent",
    total: "Total",
    points: "Points",
    tests: "Tests",
    over_limit: "Over the limit",
    no_records: "No records in the period.",
    blank: "……………",
};

impl ReportDocument<'_> {
    fn words(&self) -> &'static Words {
        match self.lang {
            Lang::Vi => &VI,
            Lang::En => &EN,
        }
    }

    /// The document as a `.docx` file.
    pub fn to_docx(&self) -> Vec<u8> {
        let body_width = f64::from(A4.0) - f64::from(mm(30.0) + mm(15.0));
        let mut doc = Docx::new()
            .page_size(A4.0, A4.1)
            .page_margin(
                PageMargin::new()
                    .top(mm(20.0))
                    .bottom(mm(20.0))
                    .left(mm(30.0))
                    .right(mm(15.0))
                    .header(mm(10.0))
                    .footer(mm(10.0)),
            )
            .default_fonts(
                RunFonts::new()
                    .ascii(FONT)
                    .hi_ansi(FONT)
                    .east_asia(FONT)
                    .cs(FONT),
            )
            .default_size(BODY)
            .add_table(self.letterhead(body_width as usize));
        for p in self.title() {
            doc = doc.add_paragraph(p);
        }
        for p in self.body() {
            doc = doc.add_paragraph(p);
        }
        doc = doc
            .add_paragraph(caption(self.words().table1))
            .add_table(self.category_table(body_width as usize))
            .add_paragraph(caption(self.words().table2))
            .add_table(self.earthing_table(body_width as usize))
            .add_paragraph(Paragraph::new())
            .add_table(self.signature(body_width as usize));
        let mut out = Cursor::new(Vec::new());
        // Writing into memory fails only on a bug in the packer: say so rather than
        // hand out half a file.
        doc.build()
            .pack(&mut out)
            .expect("a .docx written into memory");
        out.into_inner()
    }

    /// The issuing body, number and symbol beside the national motto and the place and
    /// date: a table without borders, 2 columns.
    fn letterhead(&self, width: usize) -> Table {
        let w = self.words();
        let s = self.settings;
        let left_w = width * 38 / 100;
        let right_w = width - left_w;
        let issuing = if s.issuing_body.is_empty() {
            self.lab_name.to_uppercase()
        } else {
            s.issuing_body.to_uppercase()
        };
        let mut left = TableCell::new().width(left_w, WidthType::Dxa);
        for line in s.parent_body.lines() {
            left = left.add_paragraph(centred(Run::new().add_text(line.to_uppercase()), SMALL));
        }
        let lines: Vec<&str> = issuing.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let run = Run::new().add_text(*line).bold();
            // The decree draws a short line under the issuing body's name.
            let run = if i + 1 == lines.len() {
                run.underline("single")
            } else {
                run
            };
            left = left.add_paragraph(centred(run, SMALL));
        }
        let number = DocumentNumber {
            number: None,
            symbol: &s.symbol,
        };
        left = left.add_paragraph(spaced(centred(
            Run::new().add_text(number.to_string()),
            HEAD,
        )));
        let right = TableCell::new()
            .width(right_w, WidthType::Dxa)
            .add_paragraph(centred(Run::new().add_text(w.motto).bold(), SMALL))
            .add_paragraph(centred(
                Run::new().add_text(w.motto_sub).bold().underline("single"),
                BODY,
            ))
            .add_paragraph(spaced(centred(
                Run::new().add_text(self.place_and_date()).italic(),
                BODY,
            )));
        Table::without_borders(vec![TableRow::new(vec![left, right])])
            .set_grid(vec![left_w, right_w])
            .width(width, WidthType::Dxa)
    }

    /// "Hà Nội, ngày 05 tháng 11 năm 2023": a day below 10 and the months 1 and 2 take a
    /// leading zero, as the decree writes them.
    fn place_and_date(&self) -> String {
        let d = self.issued_on;
        let place = if self.settings.place.is_empty() {
            self.words().blank
        } else {
            self.settings.place.as_str()
        };
        match self.lang {
            Lang::Vi => {
                let month = if d.month() < 3 {
                    format!("{:02}", d.month())
                } else {
                    d.month().to_string()
                };
                format!(
                    "{place}, ngày {:02} tháng {month} năm {}",
                    d.day(),
                    d.year()
                )
            }
            Lang::En => format!("{place}, {}", d.format("%-d %B %Y")),
        }
    }

    /// "BÁO CÁO" and what it reports on.
    fn title(&self) -> Vec<Paragraph> {
        let spec = self.achievement.period.spec;
        let gist = match self.lang {
            Lang::Vi => format!(
                "Kết quả kiểm định, hiệu chuẩn phương tiện đo và đo điện trở nối đất {}",
                period_words_vi(spec)
            ),
            Lang::En => format!(
                "Verification and calibration of measuring instruments and earthing \
                 resistance measurements, {}",
                period_words_en(spec)
            ),
        };
        vec![
            Paragraph::new()
                .align(AlignmentType::Center)
                .line_spacing(LineSpacing::new().before(240))
                .add_run(Run::new().add_text(self.words().title).bold().size(BODY)),
            Paragraph::new()
                .align(AlignmentType::Center)
                .line_spacing(LineSpacing::new().after(240))
                .add_run(Run::new().add_text(gist).bold().size(BODY)),
        ]
    }

    /// The report's sentences, as the text report words them; its per-category lines
    /// are table 1 here.
    fn body(&self) -> Vec<Paragraph> {
        render_text(self.achievement, self.lang)
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with("- "))
            .map(|l| {
                Paragraph::new()
                    .align(AlignmentType::Both)
                    .indent(
                        None,
                        Some(SpecialIndentType::FirstLine(mm(10.0))),
                        None,
                        None,
                    )
                    .line_spacing(LineSpacing::new().after(120))
                    .add_run(Run::new().add_text(l).size(BODY))
            })
            .collect()
    }

    fn category_name(&self, code: &CategoryCode) -> String {
        self.categories
            .iter()
            .find(|c| &c.code == code)
            .map(|c| match self.lang {
                Lang::Vi => c.name_vi.clone(),
                Lang::En => c.name_en.clone(),
            })
            .unwrap_or_else(|| code.to_string())
    }

    /// The target and percent of `metric` in `category` (`None`: lab-wide), if planned.
    fn planned(&self, metric: Metric, category: Option<&CategoryCode>) -> (String, String) {
        let found: Option<&Achievement> = self
            .achievement
            .metrics
            .iter()
            .find(|a| a.metric == metric && a.category.as_ref() == category);
        match found {
            Some(a) => (
                a.target.map(|t| t.to_string()).unwrap_or_default(),
                a.percent.map(|p| p.to_string()).unwrap_or_default(),
            ),
            None => (String::new(), String::new()),
        }
    }

    /// Table 1: each category's instruments, inspections, passes, fails, and the plan of
    /// instruments inspected, then the totals.
    fn category_table(&self, width: usize) -> Table {
        let w = self.words();
        let cols = [6, 30, 9, 10, 9, 12, 12, 12];
        let grid: Vec<usize> = cols.iter().map(|c| width * c / 100).collect();
        let mut rows = vec![header_row(
            &[
                w.no,
                w.category,
                w.instruments,
                w.inspections,
                w.passed,
                w.failed,
                w.target,
                w.percent,
            ],
            &grid,
        )];
        for (i, r) in self.tables.categories.iter().enumerate() {
            let (target, percent) = self.planned(Metric::InstrumentsInspected, Some(&r.category));
            rows.push(data_row(
                &[
                    (i + 1).to_string(),
                    self.category_name(&r.category),
                    r.instruments.to_string(),
                    r.inspections.to_string(),
                    r.passed.to_string(),
                    r.failed.to_string(),
                    target,
                    percent,
                ],
                &grid,
                false,
            ));
        }
        if self.tables.categories.is_empty() {
            rows.push(TableRow::new(vec![
                cell(
                    w.no_records,
                    grid.iter().sum(),
                    AlignmentType::Center,
                    false,
                )
                .grid_span(grid.len()),
            ]));
        }
        let sum = |f: fn(&metrotrack_core::CategoryRow) -> u64| {
            self.tables
                .categories
                .iter()
                .map(f)
                .sum::<u64>()
                .to_string()
        };
        let (target, percent) = self.planned(Metric::InstrumentsInspected, None);
        let instruments = self
            .achievement
            .overall(Metric::InstrumentsInspected)
            .map(|a| a.actual.to_string())
            .unwrap_or_else(|| sum(|r| r.instruments));
        rows.push(data_row(
            &[
                String::new(),
                w.total.to_owned(),
                instruments,
                sum(|r| r.inspections),
                sum(|r| r.passed),
                sum(|r| r.failed),
                target,
                percent,
            ],
            &grid,
            true,
        ));
        Table::new(rows).set_grid(grid).width(width, WidthType::Dxa)
    }

    /// Table 2: earthing points measured, tests, points over their limit, and the plan.
    fn earthing_table(&self, width: usize) -> Table {
        let w = self.words();
        let grid: Vec<usize> = [20, 20, 20, 20, 20]
            .iter()
            .map(|c| width * c / 100)
            .collect();
        let e = &self.tables.earthing;
        let (target, percent) = self.planned(Metric::EarthingPointsMeasured, None);
        Table::new(vec![
            header_row(
                &[w.points, w.tests, w.over_limit, w.target, w.percent],
                &grid,
            ),
            data_row(
                &[
                    e.points.to_string(),
                    e.tests.to_string(),
                    e.points_over_limit.to_string(),
                    target,
                    percent,
                ],
                &grid,
                false,
            ),
        ])
        .set_grid(grid)
        .width(width, WidthType::Dxa)
    }

    /// "Nơi nhận" on the left, the signer's authority, title and name on the right.
    fn signature(&self, width: usize) -> Table {
        let w = self.words();
        let s = self.settings;
        let left_w = width / 2;
        let right_w = width - left_w;
        let mut left = TableCell::new()
            .width(left_w, WidthType::Dxa)
            .add_paragraph(
                Paragraph::new().add_run(
                    Run::new()
                        .add_text(w.recipients)
                        .bold()
                        .italic()
                        .size(SMALL),
                ),
            );
        // Each recipient ends with ";", the archive line with ".".
        for r in &s.recipients {
            let r = r
                .trim_start_matches('-')
                .trim()
                .trim_end_matches([';', '.']);
            let text = format!("- {r};");
            left = left.add_paragraph(
                Paragraph::new().add_run(Run::new().add_text(text).size(RECIPIENTS)),
            );
        }
        left = left.add_paragraph(
            Paragraph::new().add_run(Run::new().add_text(w.archive).size(RECIPIENTS)),
        );
        let title = if s.signer_title.is_empty() {
            w.blank.to_owned()
        } else {
            s.signer_title.to_uppercase()
        };
        let mut right = TableCell::new().width(right_w, WidthType::Dxa);
        for line in title.lines() {
            right = right.add_paragraph(centred(Run::new().add_text(line).bold(), BODY));
        }
        // Room for the signature and the seal.
        for _ in 0..3 {
            right = right.add_paragraph(Paragraph::new());
        }
        let name = if s.signer_name.is_empty() {
            w.blank
        } else {
            s.signer_name.as_str()
        };
        right = right.add_paragraph(centred(Run::new().add_text(name).bold(), BODY));
        // The block stays on one page.
        Table::without_borders(vec![TableRow::new(vec![left, right]).cant_split()])
            .set_grid(vec![left_w, right_w])
            .width(width, WidthType::Dxa)
    }
}

fn centred(run: Run, size: usize) -> Paragraph {
    Paragraph::new()
        .align(AlignmentType::Center)
        .add_run(run.size(size))
}

fn spaced(p: Paragraph) -> Paragraph {
    p.line_spacing(LineSpacing::new().before(120))
}

fn caption(text: &str) -> Paragraph {
    Paragraph::new()
        .line_spacing(LineSpacing::new().before(240).after(120))
        .add_run(Run::new().add_text(text).bold().italic().size(HEAD))
}

fn cell(text: &str, width: usize, align: AlignmentType, bold: bool) -> TableCell {
    let run = Run::new().add_text(text).size(SMALL);
    let run = if bold { run.bold() } else { run };
    TableCell::new()
        .width(width, WidthType::Dxa)
        .vertical_align(VAlignType::Center)
        .add_paragraph(Paragraph::new().align(align).add_run(run))
}

fn header_row(titles: &[&str], grid: &[usize]) -> TableRow {
    TableRow::new(
        titles
            .iter()
            .zip(grid)
            .map(|(t, w)| cell(t, *w, AlignmentType::Center, true))
            .collect(),
    )
}

/// A row of figures: the second column (a name) on the left, numbers centred.
fn data_row(values: &[String], grid: &[usize], bold: bool) -> TableRow {
    TableRow::new(
        values
            .iter()
            .zip(grid)
            .enumerate()
            .map(|(i, (v, w))| {
                let align = if i == 1 && values.len() > 5 {
                    AlignmentType::Left
                } else {
                    AlignmentType::Center
                };
                cell(v, *w, align, bold)
            })
            .collect(),
    )
}

const ROMAN: [&str; 4] = ["I", "II", "III", "IV"];

fn period_words_vi(spec: PeriodSpec) -> String {
    match spec {
        PeriodSpec::Month { year, month } => format!("tháng {month} năm {year}"),
        PeriodSpec::Quarter { year, quarter } => {
            format!("quý {} năm {year}", ROMAN[(quarter as usize - 1) % 4])
        }
        PeriodSpec::Half { year, half: 1 } => format!("6 tháng đầu năm {year}"),
        PeriodSpec::Half { year, .. } => format!("6 tháng cuối năm {year}"),
        PeriodSpec::Year { year } => format!("năm {year}"),
    }
}

fn period_words_en(spec: PeriodSpec) -> String {
    match spec {
        PeriodSpec::Month { year, month } => NaiveDate::from_ymd_opt(year, month, 1)
            .map(|d| d.format("%B %Y").to_string())
            .unwrap_or_else(|| spec.to_string()),
        PeriodSpec::Quarter { year, quarter } => format!("quarter {quarter} of {year}"),
        PeriodSpec::Half { year, half: 1 } => format!("first half of {year}"),
        PeriodSpec::Half { year, .. } => format!("second half of {year}"),
        PeriodSpec::Year { year } => format!("the year {year}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use metrotrack_core::Scheme;

    #[test]
    fn the_date_line_writes_leading_zeros_as_the_decree_does() {
        let achievement = PeriodAchievement {
            period: PeriodSpec::parse("2023-10")
                .expect("period")
                .resolve(Scheme::Decree09),
            metrics: vec![],
        };
        let tables = ReportTables::default();
        let settings = ReportSettings {
            place: "Hà Nội".into(),
            ..Default::default()
        };
        let mut doc = ReportDocument {
            achievement: &achievement,
            tables: &tables,
            settings: &settings,
            lab_name: "Lab",
            categories: &[],
            issued_on: NaiveDate::from_ymd_opt(2023, 2, 5).expect("date"),
            lang: Lang::Vi,
        };
        assert_eq!(doc.place_and_date(), "Hà Nội, ngày 05 tháng 02 năm 2023");
        doc.issued_on = NaiveDate::from_ymd_opt(2023, 11, 15).expect("date");
        assert_eq!(doc.place_and_date(), "Hà Nội, ngày 15 tháng 11 năm 2023");
        doc.lang = Lang::En;
        assert_eq!(doc.place_and_date(), "Hà Nội, 15 November 2023");
    }

    #[test]
    fn periods_are_worded_as_a_title_says_them() {
        let words = |s| period_words_vi(PeriodSpec::parse(s).expect("period"));
        assert_eq!(words("2023-10"), "tháng 10 năm 2023");
        assert_eq!(words("2023-Q4"), "quý IV năm 2023");
        assert_eq!(words("2023-H1"), "6 tháng đầu năm 2023");
        assert_eq!(words("2023"), "năm 2023");
    }
}
