//! Targets that say what they cover (partial, quarter and year plans), plan deletion,
//! the lists behind each figure, and the dashboard's period picker (issue 14).

use super::web::page;
use super::*;

/// Lab A with the October 2023 demo logs: 467 instruments in 497 inspections, 13 points
/// in 15 tests (Decree 09 month 2023-10).
async fn october<S: Store>(s: &Server<S>) {
    let tech = s.token('A', Role::Technician);
    for (kind, file) in [
        ("inspections", "demo/inspections-2023-10.csv"),
        ("earthing", "demo/earthing-2023-10.csv"),
    ] {
        let (status, body) = s.upload(tech, kind, file, "").await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
}

impl<S: Store> Server<S> {
    async fn delete_plan(&self, token: &str, path: &str) -> (StatusCode, Value) {
        send(self.req(Method::DELETE, path, Some(token))).await
    }
}

/// (status, target, percent, planned_months, months_in_period, planned_target) of a
/// lab-wide figure.
fn plan_of(figure: &Value) -> (String, Value, Value, Value, Value, Value) {
    (
        figure["status"].as_str().unwrap_or_default().to_owned(),
        figure["target"].clone(),
        figure["percent"].clone(),
        figure["planned_months"].clone(),
        figure["months_in_period"].clone(),
        figure["planned_target"].clone(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn quarters_and_years_with_partial_and_full_targets() {
    let s = Server::start().await;
    october(&s).await;
    let sup = s.token('A', Role::Supervisor);
    let reader = s.token('A', Role::Reader);
    assert_eq!(
        s.set_plan(sup, "2023-10", "instruments_inspected", 402)
            .await,
        StatusCode::OK
    );
    // Only October is planned: the quarter and the year are partial, with no percent.
    let (status, q4) = s.get("/api/v1/achievement?period=2023-Q4", reader).await;
    assert_eq!(status, StatusCode::OK, "{q4}");
    assert_eq!(
        plan_of(metric(&q4, "instruments_inspected")),
        (
            "partial_target".to_owned(),
            Value::Null,
            Value::Null,
            json!(["2023-10"]),
            json!(3),
            json!(402)
        )
    );
    // Decree 09's fourth quarter (15/09–14/12) holds a few more than October's 467.
    let actual = metric(&q4, "instruments_inspected")["actual"]
        .as_u64()
        .expect("actual");
    assert!(actual >= 467, "{actual}");
    let percent = |target: u64| (actual * 100 + target / 2) / target;
    let (_, year) = s.get("/api/v1/achievement?period=2023", reader).await;
    assert_eq!(
        plan_of(metric(&year, "instruments_inspected")),
        (
            "partial_target".to_owned(),
            Value::Null,
            Value::Null,
            json!(["2023-10"]),
            json!(12),
            json!(402)
        )
    );
    // No plan at all stays no_target, without the partial fields.
    let points = metric(&q4, "earthing_points_measured");
    assert_eq!(points["status"], "no_target");
    assert!(points.get("planned_months").is_none(), "{points}");
    // Year to date: partial too.
    let (_, series) = s
        .get("/api/v1/achievement?year=2023&as_of=2023-12-31", reader)
        .await;
    let ytd = series["year_to_date"]
        .as_array()
        .expect("ytd")
        .iter()
        .find(|a| a["metric"] == "instruments_inspected" && a["category"].is_null())
        .expect("ytd figure");
    assert_eq!(
        plan_of(ytd),
        (
            "partial_target".to_owned(),
            Value::Null,
            Value::Null,
            json!(["2023-10"]),
            json!(12),
            json!(402)
        )
    );
    // The report says the plan is partial, never a percent of it.
    for (lang, partial) in [
        ("vi", "PTĐ các loại (kế hoạch mới có cho 1/3 tháng)"),
        ("en", "(plan set for 1 of 3 months)"),
    ] {
        let text = s
            .req(
                Method::GET,
                &format!("/api/v1/reports/2023-Q4?format=text&lang={lang}"),
                Some(reader),
            )
            .send()
            .await
            .expect("report")
            .text()
            .await
            .expect("text");
        assert!(text.contains(partial), "{text}");
        assert!(!text.contains('%'), "{text}");
    }

    // A target set for the quarter itself measures it: below, then achieved.
    assert_eq!(
        s.set_plan(sup, "2023-Q4", "instruments_inspected", 500)
            .await,
        StatusCode::OK
    );
    let (_, q4) = s.get("/api/v1/achievement?period=2023-Q4", reader).await;
    assert_eq!(
        plan_of(metric(&q4, "instruments_inspected")),
        (
            "below_target".to_owned(),
            json!(500),
            json!(percent(500)),
            Value::Null,
            Value::Null,
            Value::Null
        )
    );
    assert_eq!(
        s.set_plan(sup, "2023-Q4", "instruments_inspected", 450)
            .await,
        StatusCode::OK
    );
    let (_, q4) = s.get("/api/v1/achievement?period=2023-Q4", reader).await;
    assert_eq!(metric(&q4, "instruments_inspected")["status"], "achieved");
    assert_eq!(
        metric(&q4, "instruments_inspected")["percent"],
        percent(450)
    );
    // Every month of the quarter planned also measures it: their sum.
    for (month, target) in [("2023-10", 200), ("2023-11", 100), ("2023-12", 100)] {
        assert_eq!(
            s.set_plan(sup, month, "inspections", target).await,
            StatusCode::OK
        );
    }
    let (_, q4) = s.get("/api/v1/achievement?period=2023-Q4", reader).await;
    assert_eq!(
        (
            metric(&q4, "inspections")["status"].clone(),
            metric(&q4, "inspections")["target"].clone()
        ),
        (json!("achieved"), json!(400))
    );
    // A half-year target; the year's own target wins over its parts.
    assert_eq!(
        s.set_plan(sup, "2023-H2", "earthing_points_measured", 20)
            .await,
        StatusCode::OK
    );
    assert_eq!(
        s.set_plan(sup, "2023", "instruments_inspected", 5000).await,
        StatusCode::OK
    );
    let (_, h2) = s.get("/api/v1/achievement?period=2023-H2", reader).await;
    assert_eq!(
        plan_of(metric(&h2, "earthing_points_measured")).0,
        "below_target"
    );
    let (_, year) = s.get("/api/v1/achievement?period=2023", reader).await;
    assert_eq!(
        (
            metric(&year, "instruments_inspected")["status"].clone(),
            metric(&year, "instruments_inspected")["target"].clone()
        ),
        (json!("below_target"), json!(5000))
    );
    let (_, plans) = s.get("/api/v1/plans?year=2023", reader).await;
    let periods: Vec<&str> = plans["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|p| p["period"].as_str())
        .collect();
    assert!(
        periods.contains(&"2023-Q4") && periods.contains(&"2023-H2"),
        "{periods:?}"
    );
}

async fn plans_are_deleted<S: Store>(s: &Server<S>) {
    let sup = s.token('A', Role::Supervisor);
    assert_eq!(
        s.set_plan(sup, "2023-Q4", "inspections", 500).await,
        StatusCode::OK
    );
    let path = "/api/v1/plans/2023-Q4/inspections";
    let (status, _) = s.delete_plan(s.token('A', Role::Technician), path).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = s.delete_plan(s.token('B', Role::Supervisor), path).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "lab B has no such target");
    let (status, deleted) = s.delete_plan(sup, path).await;
    assert_eq!(status, StatusCode::OK, "{deleted}");
    assert_eq!(
        deleted,
        json!({"metric": "inspections", "category": null, "period": "2023-Q4", "target": 500})
    );
    let (status, problem) = s.delete_plan(sup, path).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
    let (status, _) = s
        .delete_plan(sup, "/api/v1/plans/2023-Q5/inspections")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, plans) = s
        .get("/api/v1/plans?year=2023", s.token('A', Role::Reader))
        .await;
    assert_eq!(plans["items"], json!([]));
    let (status, audit) = s.get("/api/v1/audit", s.token('A', Role::Admin)).await;
    assert_eq!(status, StatusCode::OK, "{audit}");
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(&actions[..2], ["plan.delete", "plan.set"], "{actions:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_supervisor_deletes_a_plan_on_sqlite() {
    plans_are_deleted(&Server::start().await).await;
}

#[cfg_attr(
    not(pg_tests),
    ignore = "needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL"
)]
#[tokio::test(flavor = "multi_thread")]
async fn a_supervisor_deletes_a_plan_on_postgres() {
    let Some(s) = Server::start_postgres().await else {
        panic!("needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL");
    };
    plans_are_deleted(&s).await;
}

/// Every item of every page of `path` (a list with `next_cursor`), and its totals.
async fn walk<S: Store>(s: &Server<S>, path: &str) -> (Vec<Value>, Vec<u64>, usize) {
    let reader = s.token('A', Role::Reader);
    let (mut items, mut totals, mut pages) = (Vec::new(), Vec::new(), 0);
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}&cursor={c}"),
            None => path.to_owned(),
        };
        let (status, page) = s.get(&url, reader).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        pages += 1;
        totals.push(page["total"].as_u64().expect("total"));
        items.extend(page["items"].as_array().expect("items").iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    (items, totals, pages)
}

#[tokio::test(flavor = "multi_thread")]
async fn each_figure_opens_what_it_counts() {
    let s = Server::start().await;
    october(&s).await;
    let (instruments, totals, pages) =
        walk(&s, "/api/v1/inspected-instruments?period=2023-10&limit=200").await;
    assert_eq!(pages, 3);
    assert!(totals.iter().all(|&t| t == 467), "{totals:?}");
    assert_eq!(instruments.len(), 467);
    let inspections: u64 = instruments
        .iter()
        .map(|i| i["inspections"].as_u64().expect("count"))
        .sum();
    assert_eq!(inspections, 497);
    let mut ids: Vec<i64> = instruments
        .iter()
        .map(|i| i["instrument"]["id"].as_i64().expect("id"))
        .collect();
    ids.dedup();
    assert_eq!(ids.len(), 467, "each instrument once");

    let (points, totals, _) = walk(&s, "/api/v1/measured-points?period=2023-10").await;
    assert_eq!((points.len(), totals[0]), (13, 13));
    let tests: u64 = points
        .iter()
        .map(|p| p["tests"].as_u64().expect("count"))
        .sum();
    assert_eq!(tests, 15);
    assert!(points[0]["point"]["site"].is_string());

    let reader = s.token('A', Role::Reader);
    for bad in [
        "/api/v1/inspected-instruments",
        "/api/v1/inspected-instruments?period=2023-Q7",
        "/api/v1/measured-points?period=2023-10&category=DHN",
    ] {
        let (status, problem) = s.get(bad, reader).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {problem}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_dashboard_says_what_a_figure_is_compared_with() {
    let s = Server::start().await;
    october(&s).await;
    s.web_user("sue", Role::Supervisor).await;
    let sue = s.sign_in("sue").await;
    let r = sue
        .post(
            "/plans",
            &[
                ("csrf", sue.csrf.as_str()),
                ("period", "2023-10"),
                ("metric", "instruments_inspected"),
                ("category", ""),
                ("target", "402"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // The quarter with only October planned says so, in both languages.
    let en = page(
        sue.get("/?period=2023-Q4&scheme=decree09&lang=en").await,
        StatusCode::OK,
    )
    .await;
    assert!(en.contains("plan set for 1 of 3 months (2023-10)"), "{en}");
    assert!(en.contains("Plan partly set"), "{en}");
    assert!(!en.contains("116 %"), "{en}");
    assert!(
        en.contains("Distinct instruments with at least one"),
        "{en}"
    );
    assert!(
        en.contains("href=\"/figures/instruments-inspected?period=2023-Q4&#38;scheme=decree09\""),
        "{en}"
    );
    let vi = page(
        sue.get("/?period=2023-Q4&scheme=decree09&lang=vi").await,
        StatusCode::OK,
    )
    .await;
    assert!(
        vi.contains("kế hoạch mới có cho 1/3 tháng (2023-10)"),
        "{vi}"
    );
    assert!(vi.contains("Kế hoạch chưa đủ các tháng"), "{vi}");
    // The month itself is measured against its own plan, and says so.
    let month = page(sue.get("/?period=2023-10&lang=en").await, StatusCode::OK).await;
    assert!(month.contains("116 %"), "{month}");
    assert!(
        month.contains("Compared with the plan set for 2023-10"),
        "{month}"
    );

    // The picker reaches a quarter, and shows it chosen.
    let picked = page(
        sue.get("/?kind=quarter&year=2023&month=01&quarter=4&half=1&scheme=calendar")
            .await,
        StatusCode::OK,
    )
    .await;
    assert!(
        picked.contains("2023-Q4 <small>(01/10/2023 – 31/12/2023)"),
        "{picked}"
    );
    assert!(
        picked.contains("<option value=\"quarter\" selected>"),
        "{picked}"
    );
    assert!(
        picked.contains("<option value=\"4\" selected>Q4</option>"),
        "{picked}"
    );
    let year = page(
        sue.get("/?kind=year&year=2023&month=01&quarter=1&half=1")
            .await,
        StatusCode::OK,
    )
    .await;
    assert!(
        year.contains("2023 <small>(15/12/2022 – 14/12/2023)"),
        "{year}"
    );

    // A period that does not parse is said so, in the page's language.
    let bad = page(
        sue.get("/?period=2023-Q7&lang=vi").await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(bad.contains("“2023-Q7” không phải là kỳ báo cáo"), "{bad}");
    let bad = page(
        sue.get("/?period=2023-Q7&lang=en").await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(bad.contains("“2023-Q7” is not a reporting period"), "{bad}");
    let bad = page(
        sue.get("/records/inspections?period=last-month").await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(bad.contains("is not a reporting period"), "{bad}");

    // Today's period is empty: the landing page links to the latest period with data.
    let landing = page(sue.get("/").await, StatusCode::OK).await;
    assert!(
        landing.contains("No records in this period yet."),
        "{landing}"
    );
    assert!(
        landing.contains("id=\"latest-period\" href=\"/?period=2023-12&#38;scheme=decree09\""),
        "{landing}"
    );

    // The lists behind the figures, with their counts.
    let list = page(
        sue.get("/figures/instruments-inspected?period=2023-10")
            .await,
        StatusCode::OK,
    )
    .await;
    assert!(list.contains("Total: <strong>467</strong>"), "{list}");
    assert!(list.contains("Next page"), "{list}");
    let points = page(
        sue.get("/figures/points-measured?period=2023-10&lang=vi")
            .await,
        StatusCode::OK,
    )
    .await;
    assert!(points.contains("Tổng số: <strong>13</strong>"), "{points}");
    let events = page(
        sue.get("/records/inspections?period=2023-10&lang=en").await,
        StatusCode::OK,
    )
    .await;
    assert!(events.contains("Total: <strong>497</strong>"), "{events}");
    let water = page(
        sue.get("/records/inspections?period=2023-10&category=DHN")
            .await,
        StatusCode::OK,
    )
    .await;
    assert!(water.contains("Total: <strong>"), "{water}");
    assert!(!water.contains("Total: <strong>497</strong>"), "{water}");
    let tests = page(
        sue.get("/records/earthing?period=2023-10").await,
        StatusCode::OK,
    )
    .await;
    assert!(tests.contains("Total: <strong>15</strong>"), "{tests}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_supervisor_deletes_a_plan_on_the_plans_page() {
    let s = Server::start().await;
    s.web_user("sue", Role::Supervisor).await;
    s.web_user("rita", Role::Reader).await;
    let sue = s.sign_in("sue").await;
    let set = |period: &'static str| {
        let sue = &sue;
        async move {
            sue.post(
                "/plans",
                &[
                    ("csrf", sue.csrf.as_str()),
                    ("period", period),
                    ("metric", "inspections"),
                    ("category", ""),
                    ("target", "30"),
                ],
            )
            .await
        }
    };
    assert_eq!(set("2023-Q4").await.status(), StatusCode::SEE_OTHER);
    assert_eq!(set("2023-H1").await.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        s.plans_2023().await,
        vec![
            ("2023-H1".to_owned(), "inspections".to_owned(), 30),
            ("2023-Q4".to_owned(), "inspections".to_owned(), 30)
        ]
    );
    let html = page(sue.get("/plans?year=2023").await, StatusCode::OK).await;
    assert_eq!(
        html.matches("action=\"/plans/delete\"").count(),
        2,
        "{html}"
    );
    let delete = |csrf: String, confirm: &'static str| {
        let sue = &sue;
        async move {
            sue.post(
                "/plans/delete",
                &[
                    ("csrf", csrf.as_str()),
                    ("period", "2023-Q4"),
                    ("metric", "inspections"),
                    ("category", ""),
                    ("confirm", confirm),
                ],
            )
            .await
        }
    };
    assert_eq!(
        delete("stale".to_owned(), "yes").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(s.plans_2023().await.len(), 2);
    // Unconfirmed: a page naming the plan, with the form that confirms; nothing deleted.
    let r = delete(sue.csrf.clone(), "").await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.expect("html");
    assert!(html.contains("id=\"confirm\""), "{html}");
    assert!(html.contains("2023-Q4"), "{html}");
    assert_eq!(s.plans_2023().await.len(), 2);
    let r = delete(sue.csrf.clone(), "yes").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/plans?year=2023&deleted=1");
    assert_eq!(
        s.plans_2023().await,
        vec![("2023-H1".to_owned(), "inspections".to_owned(), 30)]
    );
    let rita = s.sign_in("rita").await;
    let html = page(rita.get("/plans?year=2023").await, StatusCode::OK).await;
    assert!(!html.contains("/plans/delete"), "{html}");
    let r = rita
        .post(
            "/plans/delete",
            &[
                ("csrf", rita.csrf.as_str()),
                ("period", "2023-H1"),
                ("metric", "inspections"),
                ("category", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(s.plans_2023().await.len(), 1);
}
