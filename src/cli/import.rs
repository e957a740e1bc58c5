//! `metrotrack import inspections|earthing FILE...`

use std::fs::File;
use std::io::{BufReader, IsTerminal};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use metrotrack_api::ingest::ingest;
use metrotrack_core::{BatchOutcome, ImportBatch, ImportMode, Lang, LogKind};
use metrotrack_import::{DateOrder, Limits, ReadOptions, TextEncoding, WorkbookOptions};
use metrotrack_store::{BatchRequest, Store};

use super::{EXIT_USAGE, Format, LangArg, UserArg};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum KindArg {
    Inspections,
    Earthing,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ModeArg {
    /// Store nothing if any row is invalid.
    Strict,
    /// Store the valid rows and reject the others.
    Partial,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Which kind of log the files are.
    #[arg(value_enum)]
    kind: KindArg,
    /// The CSV files or workbooks (.xlsx, .xls, .ods); each becomes one batch.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// strict stores nothing if any row is invalid; partial stores the valid rows.
    #[arg(long, value_enum, default_value = "strict")]
    mode: ModeArg,
    /// Validate only: report every problem, store nothing.
    #[arg(long)]
    dry_run: bool,
    /// Field delimiter (`,`, `;` or `tab`); detected when not given.
    #[arg(long, value_parser = parse_delimiter)]
    delimiter: Option<u8>,
    /// Text encoding (utf-8, utf-16le, utf-16be, windows-1258); detected when not given.
    #[arg(long)]
    encoding: Option<TextEncoding>,
    /// How slashed dates are read: dmy (dd/mm/yyyy) or ymd (yyyy/mm/dd). Never month-first.
    #[arg(long, default_value = "dmy")]
    date_order: DateOrder,
    /// The sheet of a workbook (.xlsx, .xls, .ods) to read, by name; the first sheet when
    /// not given.
    #[arg(long, value_name = "NAME")]
    sheet: Option<String>,
    #[command(flatten)]
    user: UserArg,
    /// text: a summary and the problems; json: one batch object per file, one per line.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    #[command(flatten)]
    lang: LangArg,
    #[command(flatten)]
    limits: LimitArgs,
}

/// The bounds a file must keep to; past one it is refused before memory grows.
#[derive(Debug, Args)]
#[command(next_help_heading = "Bounds")]
struct LimitArgs {
    /// Largest file accepted, in bytes.
    #[arg(long, env = "METROTRACK_MAX_UPLOAD_BYTES", default_value_t = Limits::default().max_upload_bytes)]
    max_upload_bytes: u64,
    /// Longest field accepted, in bytes (a longer one is a row problem).
    #[arg(long, env = "METROTRACK_MAX_FIELD_BYTES", default_value_t = Limits::default().max_field_bytes)]
    max_field_bytes: usize,
    /// Longest record (a line, or several when a quoted field spans lines), in bytes.
    #[arg(long, env = "METROTRACK_MAX_LINE_BYTES", default_value_t = Limits::default().max_line_bytes)]
    max_line_bytes: usize,
    /// Most columns a header may have.
    #[arg(long, env = "METROTRACK_MAX_COLUMNS", default_value_t = Limits::default().max_columns)]
    max_columns: usize,
}

impl LimitArgs {
    fn limits(&self) -> Limits {
        Limits {
            max_upload_bytes: self.max_upload_bytes,
            max_field_bytes: self.max_field_bytes,
            max_line_bytes: self.max_line_bytes,
            max_columns: self.max_columns,
        }
    }
}

fn parse_delimiter(s: &str) -> Result<u8, String> {
    match s {
        "," | "comma" => Ok(b','),
        ";" | "semicolon" => Ok(b';'),
        "\t" | "tab" | "\\t" => Ok(b'\t'),
        other => Err(format!(
            "{other:?} is not a delimiter; use ',', ';' or 'tab'"
        )),
    }
}

pub async fn run<S: Store>(store: &S, args: ImportArgs) -> anyhow::Result<ExitCode> {
    let lab = store.default_lab().await?;
    let kind = match args.kind {
        KindArg::Inspections => LogKind::Inspections,
        KindArg::Earthing => LogKind::Earthing,
    };
    let mode = match (args.dry_run, args.mode) {
        (true, _) => ImportMode::DryRun,
        (false, ModeArg::Strict) => ImportMode::Strict,
        (false, ModeArg::Partial) => ImportMode::Partial,
    };
    let options = ReadOptions {
        delimiter: args.delimiter,
        encoding: args.encoding,
        date_order: args.date_order,
        limits: args.limits.limits(),
        workbook: WorkbookOptions {
            sheet: args.sheet.clone(),
            ..WorkbookOptions::default()
        },
        // `ingest` keeps the file, and says so.
        file_kept: false,
    };

    // Open every file first: a typo in the last name should not leave the first imported.
    let mut opened = Vec::with_capacity(args.files.len());
    for path in &args.files {
        match File::open(path).and_then(|f| f.metadata().map(|m| (f, m.len()))) {
            Ok((file, size)) => opened.push((path, file, size)),
            Err(e) => {
                eprintln!("error: cannot read {}: {e}", path.display());
                return Ok(ExitCode::from(EXIT_USAGE));
            }
        }
    }

    let mut refused = false;
    for (path, file, size) in opened {
        let request = BatchRequest {
            lab,
            kind,
            mode,
            file_name: file_name(path),
            uploaded_by: args.user.name(),
        };
        let mut options = options.clone();
        options.workbook.expected = WorkbookOptions::named_as_workbook(&path.to_string_lossy());
        let bar = progress_bar(size, args.format);
        let ticker = bar.clone();
        let batch = ingest(
            store,
            request,
            BufReader::new(file),
            options,
            move |bytes| ticker.set_position(bytes),
        )
        .await
        .with_context(|| format!("importing {}", path.display()))?;
        bar.finish_and_clear();
        refused |= matches!(batch.outcome, BatchOutcome::Refused)
            || (batch.outcome == BatchOutcome::DryRun && !batch.problems.is_empty());
        let lang = args.lang.lang;
        match args.format {
            Format::Json => println!("{}", serde_json::to_string(&in_lang(batch, lang))?),
            Format::Text => print!("{}", summary(path, &batch, lang)),
        }
    }
    Ok(if refused {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// A byte-count progress bar on a terminal; hidden otherwise (and for JSON output).
fn progress_bar(size: u64, format: Format) -> ProgressBar {
    if format == Format::Json || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(size);
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
    ) {
        bar.set_style(style);
    }
    bar
}

/// The batch with each problem's `message` in `lang` (codes and arguments kept).
pub(super) fn in_lang(mut batch: ImportBatch, lang: Lang) -> ImportBatch {
    for p in batch.problems.iter_mut().chain(batch.warnings.iter_mut()) {
        p.message = p.render(lang);
    }
    batch
}

/// The human summary of one file's import, in `lang`.
fn summary(path: &Path, batch: &ImportBatch, lang: Lang) -> String {
    use std::fmt::Write as _;
    let vi = lang == Lang::Vi;
    let mut out = String::new();
    let headline = match (batch.outcome, batch.id, vi) {
        (BatchOutcome::Stored, Some(id), false) => format!("stored as batch {id}"),
        (BatchOutcome::Stored, Some(id), true) => format!("đã lưu thành lô nhập {id}"),
        (BatchOutcome::AlreadyImported, Some(id), false) => {
            format!("already imported as batch {id} (same file): nothing new stored")
        }
        (BatchOutcome::AlreadyImported, Some(id), true) => {
            format!("tệp này đã được nhập thành lô {id}: không lưu thêm gì")
        }
        (BatchOutcome::Refused, _, false) if batch.mode == ImportMode::Strict => {
            "REFUSED (strict mode): nothing stored; fix the problems below and import again"
                .to_owned()
        }
        (BatchOutcome::Refused, _, true) if batch.mode == ImportMode::Strict => {
            "BỊ TỪ CHỐI (chế độ chặt chẽ): không lưu gì; hãy sửa các lỗi dưới đây rồi nhập lại"
                .to_owned()
        }
        (BatchOutcome::Refused, _, false) => "REFUSED: nothing stored".to_owned(),
        (BatchOutcome::Refused, _, true) => "BỊ TỪ CHỐI: không lưu gì".to_owned(),
        (BatchOutcome::DryRun, _, false) => "dry run: nothing stored".to_owned(),
        (BatchOutcome::DryRun, _, true) => "chỉ kiểm tra: không lưu gì".to_owned(),
        (_, None, false) => "nothing stored".to_owned(),
        (_, None, true) => "không lưu gì".to_owned(),
    };
    let _ = writeln!(out, "{}: {headline}", path.display());
    let counts = if vi {
        "  đã đọc {rows} dòng, lưu {inserted}, trùng {duplicates}, bị từ chối {rejected}"
    } else {
        "  rows read {rows}, inserted {inserted}, duplicates {duplicates}, rejected {rejected}"
    };
    let _ = writeln!(
        out,
        "{}",
        counts
            .replace("{rows}", &batch.rows.to_string())
            .replace("{inserted}", &batch.inserted.to_string())
            .replace("{duplicates}", &batch.duplicates.to_string())
            .replace("{rejected}", &batch.rejected.to_string())
    );
    let (problems, warnings) = if vi {
        ("lỗi", "cảnh báo")
    } else {
        ("problems", "warnings")
    };
    for (title, list) in [(problems, &batch.problems), (warnings, &batch.warnings)] {
        if !list.is_empty() {
            let _ = writeln!(out, "  {title} ({}):", list.len());
            for p in list {
                let _ = writeln!(out, "    {}", p.describe(lang));
            }
        }
    }
    out
}
