//! The benchmark's helpers: the server it starts, commands it runs, figures it times,
//! the log it generates, and how it prints numbers.

use super::*;

/// `metrotrack serve` on port 0, killed when dropped.
pub(super) struct Server {
    pub(super) child: Child,
    /// `http://127.0.0.1:PORT`.
    pub(super) base: String,
}

impl Server {
    /// Starts the server on `url` (its log to `log_file`) and waits for its address.
    pub(super) fn start(binary: &Path, url: &str, log_file: &Path, extra: &[&str]) -> Server {
        let log = fs::File::create(log_file).expect("create the server's log file");
        let mut child = Command::new(binary)
            .args(["--database-url", url, "serve", "--bind", "127.0.0.1:0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("start metrotrack serve");
        let stdout = child.stdout.take().expect("the server's stdout is piped");
        let mut lines = BufReader::new(stdout).lines();
        // It prints `metrotrack is serving http://ADDRESS` once listening.
        let base = lines.by_ref().map_while(Result::ok).find_map(|line| {
            line.strip_prefix("metrotrack is serving ")
                .map(|rest| rest.trim().to_owned())
        });
        let Some(base) = base else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "metrotrack serve stopped before printing its address; see {}",
                log_file.display()
            );
        };
        // Keep reading, so that the server never writes to a closed pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Server { child, base }
    }

    /// The server's peak resident set so far (`VmHWM`), in KiB.
    pub(super) fn peak_rss_kib(&self) -> u64 {
        fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .ok()
            .and_then(|status| {
                status
                    .lines()
                    .find_map(|l| l.strip_prefix("VmHWM:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            })
            .unwrap_or(0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `metrotrack --database-url URL ARGS…`; its standard output, or a panic with its
/// error.
pub(super) fn metrotrack(binary: &Path, url: &str, args: &[&str]) -> String {
    let out = Command::new(binary)
        .args(["--database-url", url])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run metrotrack");
    assert!(
        out.status.success(),
        "metrotrack {} failed: {}",
        args.join(" "),
        first_lines(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("metrotrack prints UTF-8")
}

/// Creates an API token with `role` on the database `url`; the token.
pub(super) fn create_token(binary: &Path, url: &str, name: &str, role: &str) -> String {
    let out = metrotrack(
        binary,
        url,
        &[
            "token", "create", "--name", name, "--role", role, "--user", "bench",
        ],
    );
    out.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .expect("token create prints the token on its last line")
        .trim()
        .to_owned()
}

pub(super) struct Figure {
    pub(super) median_ms: f64,
    pub(super) note: String,
}

/// Times `GET base+path`: one warm-up, then the median of 20 requests (3 when the
/// warm-up takes over 5 s).
pub(super) async fn time_figure(base: &str, token: &str, path: &str) -> Result<Figure, String> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
    let url = format!("{base}{path}");
    let get = || async {
        let response = client
            .get(&url)
            .bearer_auth(token)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| e.to_string())?;
        if !status.is_success() {
            let text: String = String::from_utf8_lossy(&body).chars().take(300).collect();
            return Err(format!("HTTP {status}: {text}"));
        }
        Ok(body)
    };
    let start = Instant::now();
    let warm = get().await?;
    let samples = if start.elapsed() > Duration::from_secs(5) {
        3
    } else {
        20
    };
    let mut times = Vec::with_capacity(samples);
    for _ in 0..samples {
        let start = Instant::now();
        get().await?;
        times.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    let mut note = bytes(warm.len());
    if let Ok(json) = serde_json::from_slice::<serde_json::Value>(&warm)
        && let Some(items) = json.get("items").and_then(|i| i.as_array())
    {
        note.push_str(&format!(", {} items", thousands(items.len() as u64)));
        if json.get("next_cursor").is_some_and(|c| !c.is_null()) {
            note.push_str(", more pages");
        }
    }
    if samples != 20 {
        note.push_str(&format!(", {samples} samples"));
    }
    Ok(Figure {
        median_ms: median(times.into_iter()).unwrap_or(0.0),
        note,
    })
}

pub(super) fn median(values: impl Iterator<Item = f64>) -> Option<f64> {
    let mut v: Vec<f64> = values.collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    Some(v[v.len() / 2])
}

/// `1234567` as `1,234,567`.
pub(super) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A response size: `312 B`, `6.1 kB`, `10.3 MB`.
pub(super) fn bytes(n: usize) -> String {
    match n {
        0..1_000 => format!("{n} B"),
        1_000..1_000_000 => format!("{:.1} kB", n as f64 / 1e3),
        _ => format!("{:.1} MB", n as f64 / 1e6),
    }
}

/// The first three lines of a process's error output, on one line.
pub(super) fn first_lines(stderr: &[u8]) -> String {
    String::from_utf8_lossy(stderr)
        .lines()
        .take(3)
        .collect::<Vec<_>>()
        .join(" | ")
}

pub(super) fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

pub(super) fn remove_db(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = fs::remove_file(PathBuf::from(p));
    }
}

pub(super) fn psql(url: &str, sql: &str) -> Result<(), String> {
    let out = Command::new("psql")
        .args(["-q", "-v", "ON_ERROR_STOP=1", url, "-c", sql])
        .stdout(Stdio::null())
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// Drops and creates `name` next to the database `admin_url` names; returns its URL.
pub(super) fn recreate_pg_database(admin_url: &str, name: &str) -> String {
    let _ = psql(
        admin_url,
        &format!("drop database if exists {name} with (force)"),
    );
    psql(admin_url, &format!("create database {name}")).expect("create a bench database");
    match admin_url.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => format!("{admin_url}/{name}"),
    }
}

/// Writes a deterministic inspections log of `rows` rows in the Excel shape.
pub(super) fn generate(path: &Path, rows: u64) -> std::io::Result<()> {
    pub(super) const CATEGORIES: &[(&str, &str, &str)] = &[
        ("CT1P", "EMIC", "DDS26"),
        ("CT1P", "Gelex", "CE-18"),
        ("CT3P", "EMIC", "Mk6N"),
        ("DHN", "Zenner", "MNK-N DN15"),
        ("DHN", "Sensus", "620C DN20"),
        ("CB", "Nhơn Hòa", "NHB-150"),
        ("HAK", "Omron", "HEM-7120"),
        ("TXM", "Bạch Kim", "TX-08"),
    ];
    pub(super) const TECHNICIANS: &[&str] = &[
        "Nguyễn Văn Hùng",
        "Trần Thị Mai",
        "Lê Quốc Bảo",
        "Phạm Minh Tuấn",
    ];
    pub(super) const OWNERS: &[&str] = &[
        "Điện lực Đông Hà",
        "Công ty Cấp nước Quảng Trị",
        "Bệnh viện Đa khoa tỉnh",
        "Hợp tác xã Vận tải Thành Công",
    ];
    let tmp = path.with_extension("partial");
    let mut out = BufWriter::with_capacity(1 << 20, fs::File::create(&tmp)?);
    writeln!(out, "{HEADER}")?;
    let start = NaiveDate::from_ymd_opt(2022, 12, 15).expect("date");
    let mut state: u64 = 0x2023_1015;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        state >> 33
    };
    for i in 0..rows {
        let r = next();
        // Every tenth row calibrates the instrument of the row five before it.
        let (instrument, kind) = if i % 10 == 9 {
            (i - 5, "Hiệu chuẩn")
        } else {
            (i, "Kiểm định")
        };
        let (code, maker, model) = CATEGORIES[(instrument % CATEGORIES.len() as u64) as usize];
        let date = start + chrono::Days::new((instrument * 7 + r % 3) % 365);
        let pass = r % 17 != 0;
        let result = if pass { "Đạt" } else { "Không đạt" };
        let error = format!("{},{:02}", r % 2, r % 100);
        let (cert, stamp) = if pass {
            (format!("GCN-{i:08}"), format!("T-{i:08}"))
        } else {
            (String::new(), String::new())
        };
        writeln!(
            out,
            "{};{};{code};{code}-{instrument:08};{model};{maker};{};{kind};Định kỳ;ĐLVN 39:2012;{result};{error};{cert};{stamp};;{};{};",
            i + 1,
            date.format("%d/%m/%Y"),
            OWNERS[(r % OWNERS.len() as u64) as usize],
            TECHNICIANS[(r % TECHNICIANS.len() as u64) as usize],
            TECHNICIANS[((r >> 3) % TECHNICIANS.len() as u64) as usize],
        )?;
    }
    out.flush()?;
    drop(out);
    fs::rename(tmp, path)
}
