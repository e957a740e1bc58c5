//! The report document: the lab's settings, and the period's tables.

use super::*;
use metrotrack_core::{CategoryRow, EarthingRow, ReportSettings};

/// An admin sets the letterhead (trimmed, empty recipients dropped) and reads it back;
/// a field too long is refused and changes nothing; each change is audited with before
/// and after; a lab without settings reads them empty.
pub async fn an_admin_keeps_the_report_settings<S: Store>(store: &S) {
    let lab = lab(store).await;
    assert_eq!(
        store.report_settings(lab).await.expect("read"),
        ReportSettings::default()
    );
    let wanted = ReportSettings {
        parent_body: "SỞ KHOA HỌC VÀ CÔNG NGHỆ".into(),
        issuing_body: " TRUNG TÂM KỸ THUẬT TIÊU CHUẨN ĐO LƯỜNG CHẤT LƯỢNG ".into(),
        symbol: "TTKT".into(),
        place: "Bắc Ninh".into(),
        signer_title: "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC".into(),
        signer_name: "Nguyễn Văn An".into(),
        recipients: vec![
            "Sở KH&CN (để b/c)".into(),
            "  ".into(),
            "Chi cục TCĐLCL".into(),
        ],
    };
    let stored = store
        .set_report_settings(lab, &wanted, "admin")
        .await
        .expect("set");
    assert_eq!(
        stored.issuing_body,
        "TRUNG TÂM KỸ THUẬT TIÊU CHUẨN ĐO LƯỜNG CHẤT LƯỢNG"
    );
    assert_eq!(
        stored.recipients,
        vec!["Sở KH&CN (để b/c)", "Chi cục TCĐLCL"]
    );
    assert_eq!(store.report_settings(lab).await.expect("read"), stored);
    let audit = store.audit_log(lab, Page::first(1)).await.expect("audit");
    assert_eq!(audit[0].action, "settings.report");
    assert_eq!(audit[0].detail["before"]["symbol"], "");
    assert_eq!(audit[0].detail["after"]["symbol"], "TTKT");

    let too_long = ReportSettings {
        place: "x".repeat(201),
        ..stored.clone()
    };
    let refused = store.set_report_settings(lab, &too_long, "admin").await;
    assert!(
        matches!(&refused, Err(StoreError::Invalid(why)) if why.contains("place")),
        "{refused:?}"
    );
    assert_eq!(store.report_settings(lab).await.expect("read"), stored);
}

/// The tables of a month: live inspections by category with distinct instruments,
/// passes and fails; earthing points with those whose latest test in the month is over
/// the limit. A voided batch leaves them; records outside the month do not count.
pub async fn report_tables_count_the_period<S: Store>(store: &S) {
    let lab = lab(store).await;
    let fail = |r: &mut NewInspection| r.result = Some(Outcome::Fail);
    inspections(
        store,
        ImportMode::Strict,
        "sha-tables",
        vec![
            row(2, "2023-10-02", "DHN", "W1"),
            row(3, "2023-10-20", "DHN", "W1"),
            row_with(4, "2023-10-03", "DHN", "W2", fail),
            row(5, "2023-10-04", "CT1P", "E1"),
            row(6, "2023-11-04", "CT1P", "E2"),
        ],
    )
    .await;
    let voided = inspections(
        store,
        ImportMode::Strict,
        "sha-voided",
        vec![row(2, "2023-10-05", "CT1P", "E9")],
    )
    .await;
    store
        .void_batch(lab, voided.id.expect("stored"), "admin", "wrong file")
        .await
        .expect("void");
    import(
        store,
        LogKind::Earthing,
        ImportMode::Strict,
        "sha-earth",
        vec![
            earthing(2, "2023-10-02", "Trường A", "P1", "25.5"),
            earthing(3, "2023-10-09", "Trường A", "P1", "4.15"),
            earthing(4, "2023-10-03", "Trường A", "P2", "12.40"),
            earthing(5, "2023-10-03", "Trường B", "P1", "3"),
            earthing(6, "2023-11-03", "Trường B", "P9", "30"),
        ],
    )
    .await;
    let october = PeriodSpec::parse("2023-10")
        .expect("period")
        .resolve(Scheme::Calendar);
    let tables = store.report_tables(lab, &october).await.expect("tables");
    let row = |code: &str, instruments, inspections, passed, failed| CategoryRow {
        category: CategoryCode::parse(code).expect("code"),
        instruments,
        inspections,
        passed,
        failed,
    };
    assert_eq!(
        tables.categories,
        vec![row("CT1P", 1, 1, 1, 0), row("DHN", 2, 3, 2, 1)]
    );
    assert_eq!(
        tables.earthing,
        EarthingRow {
            points: 3,
            tests: 4,
            points_over_limit: 1,
        },
        "P1's latest test (4.15 Ω) is under its limit; P2 (12.40 Ω) is over"
    );
}
