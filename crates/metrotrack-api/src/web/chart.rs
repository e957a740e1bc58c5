//! The 12-month chart: hand-written SVG, actual as bars and plan as a line of markers.
//! Colours come from the stylesheet (classes), so the CSP needs no inline style.

use std::fmt::Write as _;

/// One month of the series.
#[derive(Debug, Clone)]
pub struct MonthPoint {
    pub label: String,
    pub actual: u64,
    pub target: Option<u64>,
    /// The month the dashboard shows: its bar is highlighted.
    pub current: bool,
}

/// A chart as the dashboard shows it: the drawing, and its figures as a table.
#[derive(Debug)]
pub struct Chart {
    pub title: String,
    pub svg: String,
    pub table: String,
}

const W: u64 = 720;
const H: u64 = 260;
const LEFT: u64 = 48;
const RIGHT: u64 = 12;
const TOP: u64 = 28;
const BOTTOM: u64 = 40;

/// Escapes text for SVG/HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A round axis maximum at or above `max`.
fn nice_max(max: u64) -> u64 {
    let max = max.max(1);
    let mut step = 1;
    while step * 10 < max {
        step *= 10;
    }
    for m in [1, 2, 5, 10] {
        if step * m >= max {
            return step * m;
        }
    }
    step * 10
}

/// An `<svg>` chart of `points` (up to 12 months).
pub fn month_chart(title: &str, points: &[MonthPoint], actual: &str, plan: &str) -> String {
    let top_value = nice_max(
        points
            .iter()
            .map(|p| p.actual.max(p.target.unwrap_or(0)))
            .max()
            .unwrap_or(0),
    );
    let plot_h = H - TOP - BOTTOM;
    let slots = 12u64.max(points.len() as u64);
    let slot = (W - LEFT - RIGHT) / slots;
    let y = |v: u64| TOP + plot_h - v.min(top_value) * plot_h / top_value;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" viewBox="0 0 {W} {H}" role="img" aria-label="{t}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>"#,
        t = esc(title)
    );
    for i in 0..=4u64 {
        let v = top_value * i / 4;
        let yy = y(v);
        let _ = write!(
            s,
            r#"<line class="grid" x1="{LEFT}" x2="{}" y1="{yy}" y2="{yy}"/><text class="axis" x="{}" y="{}" text-anchor="end">{v}</text>"#,
            W - RIGHT,
            LEFT - 6,
            yy + 4
        );
    }
    let mut plan_path = String::new();
    for (i, p) in points.iter().enumerate() {
        let x = LEFT + i as u64 * slot;
        let bar_w = slot * 6 / 10;
        let bx = x + (slot - bar_w) / 2;
        let by = y(p.actual);
        let class = if p.current { "bar current" } else { "bar" };
        let _ = write!(
            s,
            r#"<rect class="{class}" x="{bx}" y="{by}" width="{bar_w}" height="{}"><title>{}: {actual} {}{}</title></rect>"#,
            TOP + plot_h - by,
            esc(&p.label),
            p.actual,
            p.target
                .map(|t| format!(", {plan} {t}"))
                .unwrap_or_default(),
        );
        if p.actual > 0 {
            let _ = write!(
                s,
                r#"<text class="value" x="{}" y="{}" text-anchor="middle">{}</text>"#,
                x + slot / 2,
                by.saturating_sub(4).max(TOP - 2),
                p.actual
            );
        }
        let _ = write!(
            s,
            r#"<text class="axis" x="{}" y="{}" text-anchor="middle">{}</text>"#,
            x + slot / 2,
            H - BOTTOM + 16,
            esc(&p.label)
        );
        if let Some(t) = p.target {
            let (px, py) = (x + slot / 2, y(t));
            plan_path.push_str(&format!(
                "{}{px},{py} ",
                if plan_path.is_empty() { "M" } else { "L" }
            ));
            let _ = write!(
                s,
                r#"<circle class="plan-dot" cx="{px}" cy="{py}" r="4"><title>{}: {plan} {t}</title></circle>"#,
                esc(&p.label)
            );
        }
    }
    if !plan_path.is_empty() {
        let _ = write!(s, r#"<path class="plan" d="{}"/>"#, plan_path.trim_end());
    }
    let ly = H - 10;
    let _ = write!(
        s,
        r#"<rect class="bar" x="{LEFT}" y="{}" width="12" height="10"/><text class="axis" x="{}" y="{ly}">{}</text><circle class="plan-dot" cx="{}" cy="{}" r="4"/><text class="axis" x="{}" y="{ly}">{}</text></svg>"#,
        ly - 9,
        LEFT + 16,
        esc(actual),
        LEFT + 126,
        ly - 4,
        LEFT + 136,
        esc(plan)
    );
    s
}

/// The figures of `points` as an HTML table: month, actual, plan (— where none).
pub fn month_table(points: &[MonthPoint], month: &str, actual: &str, plan: &str) -> String {
    let mut s = format!(
        r#"<table class="chart-figures"><thead><tr><th scope="col">{}</th><th scope="col" class="num">{}</th><th scope="col" class="num">{}</th></tr></thead><tbody>"#,
        esc(month),
        esc(actual),
        esc(plan)
    );
    for p in points {
        let target = p.target.map_or_else(|| "—".to_owned(), |t| t.to_string());
        let _ = write!(
            s,
            r#"<tr{}><th scope="row">{}</th><td class="num">{}</td><td class="num">{target}</td></tr>"#,
            if p.current { r#" class="current""# } else { "" },
            esc(&p.label),
            p.actual
        );
    }
    s.push_str("</tbody></table>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_maxima_are_round() {
        assert_eq!(nice_max(0), 1);
        assert_eq!(nice_max(467), 500);
        assert_eq!(nice_max(13), 20);
        assert_eq!(nice_max(100), 100);
    }

    #[test]
    fn chart_escapes_and_draws_every_month() {
        let points: Vec<MonthPoint> = (1..=12)
            .map(|m| MonthPoint {
                label: m.to_string(),
                actual: m * 10,
                target: (m == 10).then_some(402),
                current: m == 10,
            })
            .collect();
        let svg = month_chart("<a&b>", &points, "Actual", "Plan");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("&lt;a&amp;b&gt;"));
        assert_eq!(svg.matches(r#"class="bar"#).count(), 13);
        assert!(svg.contains("bar current"));
        let table = month_table(&points, "Month", "Actual", "Plan");
        assert_eq!(table.matches("<tr").count(), 13);
        assert!(table.contains(r#"<tr class="current"><th scope="row">10</th><td class="num">100</td><td class="num">402</td>"#), "{table}");
        assert!(
            table
                .contains(r#"<th scope="row">1</th><td class="num">10</td><td class="num">—</td>"#),
            "{table}"
        );
    }
}
