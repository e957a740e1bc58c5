//! A statement run through SQLite's C API, for the import's many-row inserts: rusqlite
//! binds every text as `SQLITE_TRANSIENT`, which makes SQLite allocate and copy each
//! value; a million-row import binds about twenty million texts. Here a text is bound
//! as `SQLITE_STATIC`, read in place from the row it belongs to: [`Raw::execute`] binds
//! a run's values, runs it and unbinds them before it returns, so no value is read
//! after its borrow ends.

#![allow(unsafe_code)]

use std::ffi::{CStr, c_int};
use std::marker::PhantomData;
use std::ptr::{self, NonNull};

use rusqlite::ffi;

/// A prepared statement of `conn`'s, finalized when dropped.
pub(super) struct Raw<'c> {
    stmt: NonNull<ffi::sqlite3_stmt>,
    db: *mut ffi::sqlite3,
    conn: PhantomData<&'c rusqlite::Connection>,
}

impl<'c> Raw<'c> {
    /// `sql` (one statement), prepared on `conn`.
    pub fn prepare(conn: &'c rusqlite::Connection, sql: &str) -> rusqlite::Result<Self> {
        let len = c_int::try_from(sql.len()).map_err(|_| rusqlite::Error::InvalidQuery)?;
        // SAFETY: `conn`'s handle is open for as long as `conn` is borrowed, and this
        // statement lives no longer ('c). SQLite reads `len` bytes of `sql`, which
        // need not end in NUL.
        unsafe {
            let db = conn.handle();
            let mut stmt = ptr::null_mut();
            let code =
                ffi::sqlite3_prepare_v2(db, sql.as_ptr().cast(), len, &mut stmt, ptr::null_mut());
            if code != ffi::SQLITE_OK {
                return Err(failure(db, code));
            }
            let stmt = NonNull::new(stmt).ok_or(rusqlite::Error::InvalidQuery)?;
            Ok(Self {
                stmt,
                db,
                conn: PhantomData,
            })
        }
    }

    /// Binds what `bind` binds (values that live at least as long as this call), runs
    /// the statement to its end and unbinds every value: the rows it changed.
    pub fn execute<'v>(
        &mut self,
        bind: impl FnOnce(&mut Bindings<'v>) -> rusqlite::Result<()>,
    ) -> rusqlite::Result<usize> {
        let stmt = self.stmt.as_ptr();
        // Whatever happens, a failure or a panic in `bind`, the statement is reset and
        // its values unbound before this returns, while every value bound is still
        // borrowed ('v outlives the call).
        let _unbind = Unbind(stmt);
        let mut bindings = Bindings {
            stmt,
            db: self.db,
            values: PhantomData,
        };
        bind(&mut bindings)?;
        // SAFETY: the statement is this one's, prepared and not finalized.
        unsafe {
            match ffi::sqlite3_step(stmt) {
                ffi::SQLITE_DONE => {
                    Ok(usize::try_from(ffi::sqlite3_changes64(self.db)).unwrap_or(usize::MAX))
                }
                ffi::SQLITE_ROW => Err(rusqlite::Error::ExecuteReturnedResults),
                code => Err(failure(self.db, code)),
            }
        }
    }
}

/// Resets a statement and unbinds its values when dropped.
struct Unbind(*mut ffi::sqlite3_stmt);

impl Drop for Unbind {
    fn drop(&mut self) {
        // SAFETY: a statement of a live `Raw`, which outlives this guard.
        unsafe {
            ffi::sqlite3_reset(self.0);
            ffi::sqlite3_clear_bindings(self.0);
        }
    }
}

impl Drop for Raw<'_> {
    fn drop(&mut self) {
        // SAFETY: the statement is this one's and is finalized once, here.
        unsafe {
            ffi::sqlite3_finalize(self.stmt.as_ptr());
        }
    }
}

/// The values of one run of a [`Raw`] statement, bound by place (from 1). A text
/// borrowed for `'v` is read in place; the statement is reset before `'v` ends.
pub(super) struct Bindings<'v> {
    stmt: *mut ffi::sqlite3_stmt,
    db: *mut ffi::sqlite3,
    values: PhantomData<&'v str>,
}

impl<'v> Bindings<'v> {
    /// Binds `value` (null for `None`) at `at`, read in place when the statement runs.
    pub fn text(&mut self, at: usize, value: Option<&'v str>) -> rusqlite::Result<()> {
        match value {
            None => self.null(at),
            // `v` outlives the statement's run: `Raw::execute` resets it first.
            Some(v) => self.text_with(at, v, ffi::SQLITE_STATIC()),
        }
    }

    /// Binds a copy of `value` at `at`: for a text made only to be bound.
    pub fn copy(&mut self, at: usize, value: &str) -> rusqlite::Result<()> {
        self.text_with(at, value, ffi::SQLITE_TRANSIENT())
    }

    pub fn int(&mut self, at: usize, value: i64) -> rusqlite::Result<()> {
        let at = place(at)?;
        // SAFETY: a live statement; an integer is copied.
        self.check(unsafe { ffi::sqlite3_bind_int64(self.stmt, at, value) })
    }

    pub fn null(&mut self, at: usize) -> rusqlite::Result<()> {
        let at = place(at)?;
        // SAFETY: a live statement.
        self.check(unsafe { ffi::sqlite3_bind_null(self.stmt, at) })
    }

    fn text_with(
        &mut self,
        at: usize,
        value: &str,
        destructor: ffi::sqlite3_destructor_type,
    ) -> rusqlite::Result<()> {
        let at = place(at)?;
        let len = i32::try_from(value.len()).map_err(|_| rusqlite::Error::InvalidQuery)?;
        // SAFETY: a live statement; SQLite reads `len` bytes of `value`, copied
        // (SQLITE_TRANSIENT) or, SQLITE_STATIC, only while the borrow lasts (`text`).
        let code = unsafe {
            ffi::sqlite3_bind_text(self.stmt, at, value.as_ptr().cast(), len, destructor)
        };
        self.check(code)
    }

    fn check(&self, code: c_int) -> rusqlite::Result<()> {
        if code == ffi::SQLITE_OK {
            Ok(())
        } else {
            // SAFETY: the statement's connection is open.
            Err(unsafe { failure(self.db, code) })
        }
    }
}

/// A place to bind at, as SQLite counts them.
fn place(at: usize) -> rusqlite::Result<c_int> {
    c_int::try_from(at).map_err(|_| rusqlite::Error::InvalidParameterCount(at, 0))
}

/// The error SQLite reports on `db` for `code`, with its extended code and message, as
/// rusqlite reports its own.
///
/// # Safety
/// `db` must be an open connection.
unsafe fn failure(db: *mut ffi::sqlite3, code: c_int) -> rusqlite::Error {
    // SAFETY: (the caller's) `db` is open; SQLite's message is a NUL-terminated text it
    // owns, copied here before any other call on the connection.
    unsafe {
        let extended = ffi::sqlite3_extended_errcode(db);
        let code = if extended & 0xff == code & 0xff {
            extended
        } else {
            code
        };
        let message = ffi::sqlite3_errmsg(db);
        let message =
            (!message.is_null()).then(|| CStr::from_ptr(message).to_string_lossy().into_owned());
        rusqlite::Error::SqliteFailure(ffi::Error::new(code), message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_unbind_their_values_and_failures_keep_their_code() {
        let conn = rusqlite::Connection::open_in_memory().expect("in-memory database");
        conn.execute_batch("create table t (a text not null unique, b integer)")
            .expect("table");
        let mut insert =
            Raw::prepare(&conn, "insert into t (a, b) values (?1, ?2)").expect("prepared");
        let first = String::from("read in place");
        let changed = insert.execute(|b| {
            b.text(1, Some(&first))?;
            b.int(2, 7)
        });
        assert_eq!(changed.expect("stored"), 1);
        drop(first);
        let again = insert.execute(|b| {
            b.copy(1, "read in place")?;
            b.int(2, 8)
        });
        let Err(rusqlite::Error::SqliteFailure(e, Some(message))) = again else {
            panic!("a second row with the same text is refused: {again:?}");
        };
        assert_eq!(e.extended_code, ffi::SQLITE_CONSTRAINT_UNIQUE, "{message}");
        // A run leaves nothing bound: with no value, `a` is null.
        let unbound = insert.execute(|b| b.int(2, 9));
        let Err(rusqlite::Error::SqliteFailure(e, _)) = unbound else {
            panic!("a run with no text is refused: {unbound:?}");
        };
        assert_eq!(e.extended_code, ffi::SQLITE_CONSTRAINT_NOTNULL);
        // Nor does a run whose binding panics.
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let text = String::from("dropped while unwinding");
            let _ = insert.execute(|b| {
                b.text(1, Some(&text))?;
                panic!("binding failed")
            });
        }));
        assert!(panicked.is_err());
        let after_panic = insert.execute(|b| b.int(2, 10));
        assert!(after_panic.is_err(), "{after_panic:?}");
        assert_eq!(insert.execute(|b| b.copy(1, "another")), Ok(1));
        drop(insert);
        let stored: Vec<(String, Option<i64>)> = conn
            .prepare("select a, b from t order by rowid")
            .and_then(|mut s| s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect())
            .expect("rows");
        assert_eq!(
            stored,
            [
                ("read in place".to_owned(), Some(7)),
                ("another".to_owned(), None)
            ]
        );
    }
}
