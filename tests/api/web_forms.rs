//! The web pages' forms: the upload, plans and void forms need the session's CSRF token
//! and the role the API asks for; refused, they answer 403 with a message page and
//! change nothing (read back through the API).

use super::web::{WebSession, alert, page};
use super::*;

const EXPIRED: &str = "The form has expired. Please try again.";
const FORBIDDEN: &str = "This account may not do this.";

/// The earthing demo log as uploaded in these tests: 19 lines, 18 records.
fn earthing() -> Vec<u8> {
    std::fs::read(fixture("demo/earthing-2023-10.csv")).expect("fixture")
}

/// Plan 2023-10 `instruments_inspected` = `target` through the page.
async fn set_plan(web: &WebSession, csrf: Option<&str>, target: &str) -> reqwest::Response {
    let mut pairs = vec![
        ("period", "2023-10"),
        ("metric", "instruments_inspected"),
        ("target", target),
    ];
    if let Some(csrf) = csrf {
        pairs.push(("csrf", csrf));
    }
    web.post("/plans", &pairs).await
}

async fn void(web: &WebSession, id: i64, csrf: Option<&str>) -> reqwest::Response {
    let mut pairs = vec![("reason", "wrong file"), ("confirm", "yes")];
    if let Some(csrf) = csrf {
        pairs.push(("csrf", csrf));
    }
    web.post(&format!("/imports/{id}/void"), &pairs).await
}

fn plan(target: u64) -> Vec<(String, String, u64)> {
    vec![("2023-10".into(), "instruments_inspected".into(), target)]
}

#[tokio::test(flavor = "multi_thread")]
async fn upload_plans_and_void_forms_need_the_csrf_token() {
    let s = Server::start().await;
    s.web_user("sue", Role::Supervisor).await;
    let web = s.sign_in("sue").await;
    let wrong = "f".repeat(web.csrf.len());

    // Upload: refused without the token and with another; nothing stored.
    for csrf in [None, Some(wrong.as_str()), Some("")] {
        let r = web.upload(csrf, "earthing", "e.csv", earthing()).await;
        let html = page(r, StatusCode::FORBIDDEN).await;
        assert_eq!(alert(&html), Some(EXPIRED), "{csrf:?}");
        assert_eq!(s.batches().await, Vec::<Value>::new(), "{csrf:?}");
    }
    let r = web
        .upload(Some(&web.csrf), "earthing", "e.csv", earthing())
        .await;
    let html = page(r, StatusCode::OK).await;
    assert!(html.contains("Stored as a new import batch."), "{html}");
    assert!(html.contains("id=\"count-inserted\">18<"), "{html}");
    let batches = s.batches().await;
    assert_eq!(batches.len(), 1);
    assert_eq!(batches[0]["inserted"], 18);
    assert_eq!(batches[0]["uploaded_by"], "sue");
    let id = batches[0]["id"].as_i64().expect("id");

    // Plans: set with the token; refused without it or with another, the plan unchanged.
    let r = set_plan(&web, Some(&web.csrf), "402").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/plans?year=2023");
    assert_eq!(s.plans_2023().await, plan(402));
    for csrf in [None, Some(wrong.as_str())] {
        let html = page(set_plan(&web, csrf, "999").await, StatusCode::FORBIDDEN).await;
        assert_eq!(alert(&html), Some(EXPIRED), "{csrf:?}");
        assert_eq!(s.plans_2023().await, plan(402), "{csrf:?}");
    }

    // Void: refused without the token or with another, the batch stays whole.
    for csrf in [None, Some(wrong.as_str())] {
        let html = page(void(&web, id, csrf).await, StatusCode::FORBIDDEN).await;
        assert_eq!(alert(&html), Some(EXPIRED), "{csrf:?}");
        assert_eq!(s.batches().await[0]["voided_at"], Value::Null, "{csrf:?}");
    }
    // Every refusal left the session as it was.
    assert!(web.signed_in().await);
    let r = void(&web, id, Some(&web.csrf)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()["location"],
        format!("/imports?voided={id}").as_str()
    );
    let batch = &s.batches().await[0];
    assert_eq!(batch["voided_by"], "sue");
    assert_eq!(batch["void_reason"], "wrong file");
}

/// Upload needs a technician, void and plans a supervisor; `national` only reads. Every
/// account below that is refused with the 403 message page, and nothing changes; the
/// roles that may, can.
#[tokio::test(flavor = "multi_thread")]
async fn web_forms_check_the_role() {
    let s = Server::start().await;
    for (name, role) in [
        ("rita", Role::Reader),
        ("tom", Role::Technician),
        ("sue", Role::Supervisor),
        ("ada", Role::Admin),
        ("nat", Role::National),
    ] {
        s.web_user(name, role).await;
    }
    let reader = s.sign_in("rita").await;
    let national = s.sign_in("nat").await;
    let technician = s.sign_in("tom").await;
    let supervisor = s.sign_in("sue").await;
    let admin = s.sign_in("ada").await;

    // Upload: the form page and the post, refused below technician.
    for web in [&reader, &national] {
        let html = page(web.get("/upload").await, StatusCode::FORBIDDEN).await;
        assert_eq!(alert(&html), Some(FORBIDDEN));
        assert!(!html.contains("id=\"upload-form\""));
        let r = web
            .upload(Some(&web.csrf), "earthing", "e.csv", earthing())
            .await;
        let html = page(r, StatusCode::FORBIDDEN).await;
        assert_eq!(alert(&html), Some(FORBIDDEN));
        assert_eq!(s.batches().await, Vec::<Value>::new());
    }
    let html = page(technician.get("/upload").await, StatusCode::OK).await;
    assert!(html.contains("id=\"upload-form\""));
    let r = technician
        .upload(Some(&technician.csrf), "earthing", "e.csv", earthing())
        .await;
    let html = page(r, StatusCode::OK).await;
    assert!(html.contains("Stored as a new import batch."), "{html}");
    let batches = s.batches().await;
    assert_eq!(batches.len(), 1);
    assert_eq!(batches[0]["uploaded_by"], "tom");
    let id = batches[0]["id"].as_i64().expect("id");

    // Plans and void: refused below supervisor.
    for web in [&reader, &national, &technician] {
        let html = page(web.get("/plans?year=2023").await, StatusCode::OK).await;
        assert!(!html.contains("id=\"plan-form\""), "no plan form offered");
        let html = page(
            set_plan(web, Some(&web.csrf), "5").await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_eq!(alert(&html), Some(FORBIDDEN));
        assert_eq!(s.plans_2023().await, vec![]);
        let html = page(void(web, id, Some(&web.csrf)).await, StatusCode::FORBIDDEN).await;
        assert_eq!(alert(&html), Some(FORBIDDEN));
        assert_eq!(s.batches().await[0]["voided_at"], Value::Null);
    }
    for (web, target) in [(&supervisor, 402), (&admin, 410)] {
        let html = page(web.get("/plans?year=2023").await, StatusCode::OK).await;
        assert!(html.contains("id=\"plan-form\""));
        let r = set_plan(web, Some(&web.csrf), &target.to_string()).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(s.plans_2023().await, plan(target));
    }
    let r = void(&supervisor, id, Some(&supervisor.csrf)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(s.batches().await[0]["voided_by"], "sue");
}

/// A rejected upload's problems read in Vietnamese on the Vietnamese page, and in English
/// on the English one; the batch page says when it was imported in the lab's time zone.
#[tokio::test]
async fn a_rejected_upload_reads_in_the_page_language() {
    let s = Server::start().await;
    s.web_user("tom", Role::Technician).await;
    let tom = s.sign_in("tom").await;
    let bad = std::fs::read(fixture("bad/impossible-date.csv")).expect("fixture");
    let r = tom
        .upload_in("vi", Some(&tom.csrf), "inspections", "bad.csv", bad.clone())
        .await;
    let html = page(r, StatusCode::OK).await;
    assert!(
        html.contains(
            "31/02/2023 không phải là ngày hợp lệ: tháng 2/2023 chỉ có 28 ngày; ngày được đọc theo thứ tự ngày/tháng/năm (dd/mm/yyyy)"
        ),
        "{html}"
    );
    assert!(
        html.contains("dòng 1, cột &#34;STT&#34;: cột số thứ tự được bỏ qua")
            || html.contains("dòng 1, cột &quot;STT&quot;: cột số thứ tự được bỏ qua"),
        "{html}"
    );
    assert!(!html.contains("is not a date"), "{html}");
    assert!(!html.contains("row-number column ignored"), "{html}");
    let r = tom
        .upload_in("en", Some(&tom.csrf), "inspections", "bad.csv", bad)
        .await;
    let html = page(r, StatusCode::OK).await;
    assert!(
        html.contains("31/02/2023 is not a date: February 2023 has 28 days"),
        "{html}"
    );
    assert!(!html.contains("không phải là ngày hợp lệ"), "{html}");

    // A stored batch: its page and the history give the time in UTC+7, saying so.
    let r = tom
        .upload_in("vi", Some(&tom.csrf), "earthing", "e.csv", earthing())
        .await;
    page(r, StatusCode::OK).await;
    let id = s.batches().await[0]["id"].as_i64().expect("id");
    let html = page(
        tom.get(&format!("/imports/{id}?lang=vi")).await,
        StatusCode::OK,
    )
    .await;
    assert!(html.contains("(UTC+7)"), "{html}");
    assert!(html.contains("Đo điện trở nối đất · chặt chẽ"), "{html}");
    assert!(!html.contains(" UTC ·"), "{html}");
    let html = page(
        tom.get("/records/earthing?period=2023-10&lang=vi").await,
        StatusCode::OK,
    )
    .await;
    // Decimal commas on the Vietnamese page.
    assert!(html.contains("<td class=\"num\">12,40</td>"), "{html}");
    assert!(!html.contains("<td class=\"num\">12.40</td>"), "{html}");
}
