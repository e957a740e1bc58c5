//! What today's PostgreSQL tables cost to fill, whatever the import does (`--only
//! stages`, after the logged PostgreSQL import): the rows that import stored, copied
//! back out (`COPY … TO`, binary, in id order) and into empty twins of `instruments`
//! and `inspections` (`COPY … FROM`, binary: PostgreSQL's fastest way in, with no
//! staging, lookup, probe or trigger), first with no index, then with each index alone,
//! then with all of them; and each index built after the rows instead (`create index`
//! on the filled twin with none). Beside `psql \copy` of the log into the flat table,
//! timed in the same run, this is the floor of any import into these tables: the
//! indexes kept row by row, or every one built after the rows, which PostgreSQL can do
//! only on a table no reader sees until commit.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use super::support::*;
use super::{FLAT_TABLE, copy_flat};

/// The twin's name; its indexes are named `floor_0`, `floor_1`, ….
const TWIN: &str = "floor_twin";

/// One index of a table: its name and its definition made to apply to the twin.
struct Index {
    name: String,
    unique: bool,
    ddl: String,
}

/// Runs `sql` with psql; its rows' single column, one per line.
fn psql_rows(url: &str, sql: &str) -> Option<Vec<String>> {
    let out = Command::new("psql")
        .args(["-qAt", "-v", "ON_ERROR_STOP=1", url, "-c", sql])
        .output()
        .ok()?;
    out.status.success().then(|| {
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_owned)
            .collect()
    })
}

/// Seconds psql takes to run `sql`, if it succeeds.
fn timed_psql(url: &str, sql: &str) -> Option<f64> {
    let start = Instant::now();
    psql(url, sql).ok()?;
    Some(start.elapsed().as_secs_f64())
}

/// The indexes of `table`, each rewritten to build on the twin.
fn indexes(url: &str, table: &str) -> Option<Vec<Index>> {
    let rows = psql_rows(
        url,
        &format!(
            "select indexname || '|' || indexdef from pg_indexes \
             where schemaname = 'public' and tablename = '{table}' order by indexname"
        ),
    )?;
    rows.iter()
        .enumerate()
        .map(|(i, row)| {
            let (name, def) = row.split_once('|')?;
            let on = format!(" ON public.{table} ");
            if !def.contains(&on) {
                return None;
            }
            let ddl = def
                .replacen(&format!(" {name} "), &format!(" floor_{i} "), 1)
                .replacen(&on, &format!(" ON {TWIN} "), 1);
            Some(Index {
                name: name.to_owned(),
                unique: def.starts_with("CREATE UNIQUE"),
                ddl,
            })
        })
        .collect()
}

/// Seconds to copy `rows` (a binary `COPY` file) into a fresh twin of `table` with
/// `ddl` applied first.
fn copy_into_twin(url: &str, table: &str, ddl: &[&str], rows: &Path) -> Option<f64> {
    psql(
        url,
        &format!(
            "drop table if exists {TWIN}; create table {TWIN} (like {table} including defaults); {}",
            ddl.iter().map(|d| format!("{d};")).collect::<String>()
        ),
    )
    .ok()?;
    timed_psql(
        url,
        &format!(
            "\\copy {TWIN} from '{}' with (format binary)",
            rows.display()
        ),
    )
}

/// What filling `table` costs: with no index, with each alone and with all (row by
/// row), and each built after the rows.
struct TableCost {
    bare: f64,
    /// Per index: its name, whether unique, its cost kept row by row (over `bare`) and
    /// the seconds to build it after the rows.
    each: Vec<(String, bool, f64, f64)>,
    every: f64,
}

fn table_cost(url: &str, table: &str, rows: &Path) -> Option<TableCost> {
    let indexes = indexes(url, table)?;
    let bare = copy_into_twin(url, table, &[], rows)?;
    let mut each = Vec::new();
    for index in &indexes {
        let kept = copy_into_twin(url, table, &[&index.ddl], rows)?;
        each.push((index.name.clone(), index.unique, kept - bare, 0.0));
    }
    let all: Vec<&str> = indexes.iter().map(|i| i.ddl.as_str()).collect();
    let every = copy_into_twin(url, table, &all, rows)?;
    // Built after: the twin filled with none, then each index made on it.
    copy_into_twin(url, table, &[], rows)?;
    for (index, cost) in indexes.iter().zip(&mut each) {
        cost.3 = timed_psql(url, &index.ddl)?;
    }
    psql(url, &format!("drop table {TWIN}")).ok()?;
    Some(TableCost { bare, each, every })
}

/// Prints the floor of an import into the PostgreSQL database at `url` (where one
/// import of `log` has just been stored, in `import_secs`), beside `psql \copy` of the
/// same log into the flat table of a database next to `admin_url`.
pub(super) fn run(admin_url: &str, url: &str, log: &Path, dir: &Path, import_secs: f64) {
    let flat_url = recreate_pg_database(admin_url, "mt_bench_flat");
    let loader = psql(&flat_url, FLAT_TABLE)
        .ok()
        .and_then(|()| timed_psql(&flat_url, &copy_flat(log)));
    let Some(loader) = loader else {
        println!("psql \\copy into the flat table failed");
        return;
    };
    let mut costs = Vec::new();
    for table in ["instruments", "inspections"] {
        let rows = dir.join(format!("floor-{table}.bin"));
        let exported = psql(
            url,
            &format!(
                "\\copy (select * from {table} order by id) to '{}' with (format binary)",
                rows.display()
            ),
        );
        let cost = exported.ok().and_then(|()| table_cost(url, table, &rows));
        let _ = std::fs::remove_file(&rows);
        match cost {
            Some(cost) => costs.push((table, cost)),
            None => {
                println!("the copies of {table} into its twin failed");
                return;
            }
        }
    }
    println!();
    println!(
        "what today's tables cost to fill, PostgreSQL: the imported rows copied (COPY, binary, \
         id order) into empty twins"
    );
    println!(
        "{:<44} {:>12} {:>14}",
        "twin", "row by row s", "built after s"
    );
    for (table, cost) in &costs {
        println!(
            "{:<44} {:>12.2} {:>14}",
            format!("{table}, no index"),
            cost.bare,
            "—"
        );
        for (name, unique, kept, built) in &cost.each {
            let name = format!("+ {name}{}", if *unique { " (unique)" } else { "" });
            println!("{name:<44} {kept:>+12.2} {built:>14.2}");
        }
        println!(
            "{:<44} {:>12.2} {:>14.2}",
            format!("{table}, every index"),
            cost.every,
            cost.bare + cost.each.iter().map(|e| e.3).sum::<f64>()
        );
    }
    let bare: f64 = costs.iter().map(|(_, c)| c.bare).sum();
    let every: f64 = costs.iter().map(|(_, c)| c.every).sum();
    let built = |keep: &dyn Fn(bool) -> bool| -> f64 {
        bare + costs
            .iter()
            .flat_map(|(_, c)| &c.each)
            .filter(|e| keep(e.1))
            .map(|e| e.3)
            .sum::<f64>()
    };
    let unique_kept = bare
        + costs
            .iter()
            .flat_map(|(_, c)| &c.each)
            .filter(|e| e.1)
            .map(|e| e.2)
            .sum::<f64>();
    println!();
    println!("{:<64} {:>9} {:>8}", "both tables", "seconds", "ratio");
    let line = |what: &str, secs: f64| {
        println!("{what:<64} {secs:>9.2} {:>7.2}×", secs / loader);
    };
    line(
        "psql \\copy of the log (flat table, 1 unique index)",
        loader,
    );
    line("metrotrack import (the logged run above)", import_secs);
    line("every index kept row by row (today's floor)", every);
    line(
        "only the unique indexes (the rules), kept row by row",
        unique_kept,
    );
    line(
        "no index, every index built after the rows",
        built(&|_| true),
    );
    line(
        "no index, only the unique indexes built after",
        built(&|u| u),
    );
    line("no index at all", bare);
}
