//! Where an import's time goes (`--only stages`): one command-line import of the log into
//! a fresh SQLite database (and a fresh PostgreSQL one when reachable) with sqlx's
//! statement log on (`RUST_LOG=sqlx::query=debug`), and the SQLite import's own log of
//! the statements it runs straight on the connection (`metrotrack::direct=debug`, one
//! line per statement and chunk, in sqlx's fields), each statement's `elapsed` summed by
//! the stage it belongs to; the rest of the wall time is spent outside the database
//! (reading, validating, binding values, waiting on the other side). Then, on SQLite, what
//! each index of `inspections` costs: the imported rows copied (`insert … select`, in id
//! order) into an empty twin of the table holding that one index, against the twin with
//! none, and with the original observations and per-row creation time left out.
//!
//! Statement times are sqlx's own measure (SQLite: the worker thread's step loop;
//! PostgreSQL: the round trip); a statement's share is of the import's wall time. sqlx
//! does not log PostgreSQL's `COPY` into the staging table: it counts as outside.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use super::support::*;
use super::{Options, cli_import};

/// Seconds and statements, by stage.
type Stages = BTreeMap<&'static str, (f64, u64)>;

/// A statement's stage, from the first words of its SQL.
fn stage(sql: &str) -> &'static str {
    let sql =
        sql.trim_start()
            .to_ascii_lowercase()
            .replacen("insert or fail into", "insert into", 1);
    let starts = |p: &str| sql.starts_with(p);
    if starts("insert into inspections") || starts("insert into earthing_tests") {
        "inspections (or tests) stored"
    } else if starts("select id from instruments") {
        "instrument lookup (by key)"
    } else if sql.contains("insert into instruments") || sql.contains("insert into earthing_points")
    {
        "instruments (or points) first seen"
    } else if sql.contains("import_file_parts") {
        "the file kept"
    } else if starts("update instruments set due") || starts("update instruments i") {
        "due list upkeep"
    } else if sql.contains("inspection_tallies") || sql.contains("fold_inspection_tallies") {
        "tallies"
    } else if starts("create index") || starts("drop index") {
        "indexes built after the rows"
    } else if starts("commit") {
        "commit"
    } else if starts("select") && (sql.contains("source_line") || sql.contains("max(id)")) {
        "lines stored, skipped rows"
    } else {
        "other statements"
    }
}

/// Sums `elapsed_secs` of each statement in sqlx's log by stage.
fn sum_by_stage(log: &str) -> Stages {
    let mut sums = Stages::new();
    for line in log.lines() {
        let line = strip_ansi(line);
        // sqlx leaves `db.statement` empty when the summary is the whole statement.
        let Some(statement) = field(&line, "db.statement=\"")
            .filter(|s| !s.is_empty())
            .or_else(|| field(&line, "summary=\""))
        else {
            continue;
        };
        let Some(secs) = line
            .rsplit("elapsed_secs=")
            .next()
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<f64>().ok())
        else {
            continue;
        };
        let sql = statement
            .replace("\\n", " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let entry = sums.entry(stage(&sql)).or_default();
        entry.0 += secs;
        entry.1 += 1;
    }
    sums
}

/// The text after `key` up to the next unescaped quote.
fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let start = line.find(key)? + key.len();
    let rest = &line[start..];
    let mut escaped = false;
    for (i, c) in rest.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => return Some(&rest[..i]),
            _ => escaped = false,
        }
    }
    Some(rest)
}

fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// One logged import into `url`: its wall time and the sums by stage.
fn logged_import(
    binary: &Path,
    url: &str,
    log: &Path,
    limit: &str,
    dir: &Path,
    name: &str,
) -> Option<(f64, Stages)> {
    let log_file = dir.join(format!("stages-{name}.log"));
    let stderr = fs::File::create(&log_file).ok()?;
    let start = Instant::now();
    let status = cli_import(binary, url, log, limit)
        .env("RUST_LOG", "sqlx::query=debug,metrotrack::direct=debug")
        .stdout(Stdio::null())
        .stderr(stderr)
        .status()
        .ok()?;
    let wall = start.elapsed().as_secs_f64();
    if !status.success() {
        println!("{name}: the import failed; see {}", log_file.display());
        return None;
    }
    let text = fs::read_to_string(&log_file).ok()?;
    Some((wall, sum_by_stage(&text)))
}

fn print_stages(backend: &str, rows: u64, wall: f64, sums: &Stages) {
    println!();
    println!(
        "where the time goes: metrotrack import → {backend}, {} rows, {wall:.1} s",
        thousands(rows)
    );
    println!(
        "{:<52} {:>9} {:>8} {:>11}",
        "stage", "seconds", "share", "statements"
    );
    let mut inside = 0.0;
    let mut ordered: Vec<_> = sums.iter().collect();
    ordered.sort_by(|a, b| b.1.0.total_cmp(&a.1.0));
    for (stage, (secs, n)) in ordered {
        inside += secs;
        println!(
            "{stage:<52} {secs:>9.2} {:>7.1}% {:>11}",
            100.0 * secs / wall,
            thousands(*n)
        );
    }
    let outside = (wall - inside).max(0.0);
    println!(
        "{:<52} {outside:>9.2} {:>7.1}%",
        "outside the statements (read, validate, bind; COPY)",
        100.0 * outside / wall
    );
}

/// Indexes of `inspections` as the schema has them (migrations 0001 and 0002).
const INDEXES: [(&str, &str); 7] = [
    (
        "natural key",
        "create unique index x on t (lab_id, instrument_id, kind, inspected_on) where voided_at is null",
    ),
    (
        "certificate number",
        "create unique index x on t (lab_id, certificate_no) where certificate_no is not null and voided_at is null",
    ),
    (
        "stamp number",
        "create unique index x on t (lab_id, stamp_no) where stamp_no is not null and voided_at is null",
    ),
    (
        "metrics (lab, date, category, instrument)",
        "create index x on t (lab_id, inspected_on, category_code, instrument_id)",
    ),
    (
        "batch (batch, line)",
        "create index x on t (batch_id, source_line)",
    ),
    ("lab (lab, id)", "create index x on t (lab_id, id)"),
    (
        "instrument (instrument, date)",
        "create index x on t (instrument_id, inspected_on)",
    ),
];

/// Copies the inspections of `source` into an empty twin with `ddl` applied: seconds and
/// the twin's size in MiB.
fn copy_cost(
    source: &Path,
    dir: &Path,
    ddl: &str,
    names: &str,
    select: &str,
) -> Option<(f64, f64)> {
    let twin = dir.join("stages-twin.db");
    remove_db(&twin);
    let script = format!(
        "pragma journal_mode = wal;\npragma synchronous = normal;\npragma cache_size = -32768;\n\
         attach '{}' as s;\ncreate table t as select {names} from s.inspections where 0;\n\
         {ddl};\nbegin;\ninsert into t ({names}) select {select} from s.inspections order by id;\n\
         commit;\n",
        source.display()
    );
    let start = Instant::now();
    let mut child = Command::new("sqlite3")
        .arg(&twin)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .ok()?;
    use std::io::Write as _;
    child.stdin.take()?.write_all(script.as_bytes()).ok()?;
    let ok = child.wait().ok()?.success();
    let secs = start.elapsed().as_secs_f64();
    let size = fs::metadata(&twin).ok()?.len() as f64 / (1 << 20) as f64;
    remove_db(&twin);
    ok.then_some((secs, size))
}

/// The columns of `inspections` in `db`, with `blank` ones selected as null.
fn columns(db: &Path, blank: &[&str]) -> Option<String> {
    let out = Command::new("sqlite3")
        .arg(db)
        .arg("select name from pragma_table_info('inspections')")
        .output()
        .ok()?;
    let names = String::from_utf8(out.stdout).ok()?;
    let list: Vec<String> = names
        .lines()
        .map(|n| {
            if blank.contains(&n) {
                "null".to_owned()
            } else {
                n.to_owned()
            }
        })
        .collect();
    Some(list.join(", "))
}

fn print_index_costs(db: &Path, dir: &Path, rows: u64) {
    let (Some(all), Some(lean)) = (columns(db, &[]), columns(db, &["original", "created_at"]))
    else {
        println!("could not read the columns of {}", db.display());
        return;
    };
    println!();
    println!(
        "what each part of `inspections` costs, SQLite: its {} rows copied in id order into a twin",
        thousands(rows)
    );
    println!(
        "{:<48} {:>9} {:>10} {:>10}",
        "twin", "seconds", "+ seconds", "MiB"
    );
    let Some((base, base_mib)) = copy_cost(db, dir, "select 1", &all, &all) else {
        println!("the copy failed");
        return;
    };
    println!(
        "{:<48} {base:>9.2} {:>10} {base_mib:>10.0}",
        "no index (the baseline)", "—"
    );
    if let Some((secs, mib)) = copy_cost(db, dir, "select 1", &all, &lean) {
        println!(
            "{:<48} {secs:>9.2} {:>+10.2} {mib:>10.0}",
            "no index, without original values and created_at",
            secs - base
        );
    }
    for (name, ddl) in INDEXES {
        if let Some((secs, mib)) = copy_cost(db, dir, ddl, &all, &all) {
            println!(
                "{:<48} {secs:>9.2} {:>+10.2} {mib:>10.0}",
                format!("+ {name}"),
                secs - base
            );
        }
    }
    let every: Vec<String> = INDEXES
        .iter()
        .enumerate()
        .map(|(i, (_, ddl))| ddl.replacen(" x ", &format!(" x{i} "), 1))
        .collect();
    if let Some((secs, mib)) = copy_cost(db, dir, &every.join(";\n"), &all, &all) {
        println!(
            "{:<48} {secs:>9.2} {:>+10.2} {mib:>10.0}",
            "+ all seven",
            secs - base
        );
    }
}

pub(super) fn run(binary: &Path, dir: &Path, log: &Path, limit: &str, o: &Options, pg_ok: bool) {
    let db = dir.join("stages.db");
    remove_db(&db);
    if let Some((wall, sums)) = logged_import(binary, &sqlite_url(&db), log, limit, dir, "sqlite") {
        print_stages("SQLite", o.rows, wall, &sums);
        print_index_costs(&db, dir, o.rows);
    }
    if pg_ok {
        let url = recreate_pg_database(&o.postgres, "mt_bench_app");
        if let Some((wall, sums)) = logged_import(binary, &url, log, limit, dir, "postgres") {
            print_stages("PostgreSQL", o.rows, wall, &sums);
            super::floor::run(&o.postgres, &url, log, dir, wall);
        }
    }
}
