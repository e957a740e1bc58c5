//! Reading a list from the store a page at a time, and writing a whole export to a file.

use std::io::Write;

use metrotrack_core::{DueAfter, LabId, Lang};
use metrotrack_store::records::Page;
use metrotrack_store::{Store, StoreError};

use super::tables::{self, List, Table};
use super::{Cell, EXPORT_PAGE, ExportFormat, XlsxSheet, csv_bytes, csv_header};

/// Why an export could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot write the workbook: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("cannot write the export: {0}")]
    Io(#[from] std::io::Error),
    #[error(
        "the list has more rows than an Excel sheet holds (1,048,575 and the header); narrow it (a period, a category) or export it as CSV"
    )]
    TooManyRows,
}

/// A list's rows, read from the store a page at a time (keyset paging: each page starts
/// after the last row of the one before).
#[derive(Debug)]
pub struct Rows<S> {
    store: S,
    lab: LabId,
    list: List,
    lang: Lang,
    after: Option<i64>,
    due_after: Option<DueAfter>,
    done: bool,
}

impl<S: Store> Rows<S> {
    pub fn new(store: S, lab: LabId, list: List, lang: Lang) -> Self {
        Self {
            store,
            lab,
            list,
            lang,
            after: None,
            due_after: None,
            done: false,
        }
    }

    pub fn table(&self) -> &'static Table {
        self.list.table()
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// The next page's rows as cells; `None` once every row was given.
    pub async fn next(&mut self) -> Result<Option<Vec<Vec<Cell>>>, StoreError> {
        if self.done {
            return Ok(None);
        }
        let page = Page {
            limit: EXPORT_PAGE,
            after: self.after,
        };
        let lang = self.lang;
        let full = |n: usize| n >= EXPORT_PAGE as usize;
        let rows = match &self.list {
            List::Inspections(filter) => {
                let items = self.store.inspections(self.lab, filter, page).await?;
                self.done = !full(items.len());
                self.after = items.last().map(|r| r.id);
                items.iter().map(|r| tables::inspection(r, lang)).collect()
            }
            List::EarthingTests(filter) => {
                let items = self.store.earthing_tests(self.lab, filter, page).await?;
                self.done = !full(items.len());
                self.after = items.last().map(|r| r.id);
                items
                    .iter()
                    .map(|r| tables::earthing_test(r, lang))
                    .collect()
            }
            List::Instruments(filter) => {
                let items = self.store.instruments(self.lab, filter, page).await?;
                self.done = !full(items.len());
                self.after = items.last().map(|r| r.id);
                items.iter().map(|r| tables::instrument(r, lang)).collect()
            }
            List::Due { within, as_of } => {
                let items = self
                    .store
                    .due_list(
                        self.lab,
                        *within,
                        *as_of,
                        self.due_after.as_ref(),
                        EXPORT_PAGE,
                    )
                    .await?;
                self.done = !full(items.len());
                self.due_after = items.last().map(DueAfter::from);
                items.iter().map(|d| tables::due(d, lang)).collect()
            }
            List::Problems(batch) => {
                self.done = true;
                tables::problems(batch, lang)
            }
            List::Report(achievement) => {
                self.done = true;
                tables::report(achievement, lang)
            }
        };
        Ok(Some(rows))
    }
}

/// Writes the whole export to `out`: CSV as the pages come, or the workbook built in a
/// temporary file (on a blocking thread) and then copied.
pub async fn write_file<S: Store>(
    mut rows: Rows<S>,
    format: ExportFormat,
    out: &mut (impl Write + Send),
) -> Result<(), ExportError> {
    match format {
        ExportFormat::Csv => {
            out.write_all(&csv_header(rows.table(), rows.lang()))?;
            while let Some(page) = rows.next().await? {
                out.write_all(&csv_bytes(&page))?;
            }
        }
        ExportFormat::Xlsx => {
            let mut file = xlsx_file(rows).await?;
            std::io::copy(&mut file, out)?;
        }
    }
    out.flush()?;
    Ok(())
}

/// The whole workbook in a temporary file (removed when closed), rewound.
pub(crate) async fn xlsx_file<S: Store>(mut rows: Rows<S>) -> Result<std::fs::File, ExportError> {
    use std::io::{Seek, SeekFrom};
    let (table, lang) = (rows.table(), rows.lang());
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<Vec<Cell>>>(2);
    let writer = tokio::task::spawn_blocking(move || -> Result<std::fs::File, ExportError> {
        let mut sheet = XlsxSheet::new(table, lang)?;
        while let Some(page) = rx.blocking_recv() {
            sheet.write(&page)?;
        }
        let mut file = tempfile::tempfile()?;
        sheet.finish(&mut file)?;
        file.seek(SeekFrom::Start(0))?;
        Ok(file)
    });
    let mut read = Ok(());
    loop {
        match rows.next().await {
            Ok(Some(page)) => {
                if tx.send(page).await.is_err() {
                    // The writer stopped: its own error says why.
                    break;
                }
            }
            Ok(None) => break,
            Err(e) => {
                read = Err(e);
                break;
            }
        }
    }
    drop(tx);
    let written = writer
        .await
        .map_err(|e| std::io::Error::other(format!("the workbook writer stopped: {e}")))?;
    read?;
    written
}
