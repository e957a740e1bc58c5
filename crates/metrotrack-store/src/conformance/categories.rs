//! Categories kept by an admin: added, renamed, a cycle added from a date on.

use super::*;
use crate::CategoryNames;

fn names(code: &str, vi: &str, en: &str) -> CategoryNames {
    CategoryNames {
        code: CategoryCode::parse(code).expect("code"),
        name_vi: vi.into(),
        name_en: en.into(),
        legal_group2: true,
    }
}

/// An admin adds a category and renames another; adds a cycle from a date on (records
/// stored before keep their valid-until); a second cycle from the same date, a cycle of
/// an unknown category, a blank name and a cycle of 0 months are refused; each change is
/// audited with before and after.
pub async fn an_admin_keeps_the_categories<S: Store>(store: &S) {
    let lab = lab(store).await;
    let added = store
        .save_category(lab, &names("ake", " Ampe kìm ", "Clamp meter"), "admin")
        .await
        .expect("add");
    assert_eq!(
        (
            added.code.as_str(),
            added.name_vi.as_str(),
            added.cycles.len()
        ),
        ("AKE", "Ampe kìm", 0)
    );
    let audit = store.audit_log(lab, Page::first(1)).await.expect("audit");
    assert_eq!(
        (audit[0].action.as_str(), audit[0].subject.as_str()),
        ("category.add", "category:AKE")
    );
    assert_eq!(audit[0].detail["before"], serde_json::Value::Null);

    let valid = |r: &mut NewInspection| r.valid_until = Some(d("2028-10-01"));
    inspections(
        store,
        ImportMode::Strict,
        "sha-a",
        vec![row_with(2, "2023-10-01", "DHN", "W1", valid)],
    )
    .await;
    let renamed = store
        .save_category(
            lab,
            &names("DHN", "Đồng hồ đo nước lạnh", "Cold water meter"),
            "admin",
        )
        .await
        .expect("rename");
    assert_eq!(renamed.name_vi, "Đồng hồ đo nước lạnh");
    assert_eq!(renamed.cycles.len(), 1, "the seeded cycle stays");
    let audit = store.audit_log(lab, Page::first(1)).await.expect("audit");
    assert_eq!(audit[0].action, "category.rename");
    assert_eq!(audit[0].detail["before"]["name_vi"], "Đồng hồ nước");
    assert_eq!(audit[0].detail["after"]["name_vi"], "Đồng hồ đo nước lạnh");

    let code = CategoryCode::parse("DHN").expect("code");
    let rule = CycleRule {
        effective_from: d("2024-01-01"),
        months: 36,
    };
    let with = store
        .add_cycle(lab, &code, rule.clone(), "admin")
        .await
        .expect("cycle");
    assert_eq!(with.cycle_on(d("2023-12-31")), Some(60));
    assert_eq!(with.cycle_on(d("2024-01-01")), Some(36));
    let stored = store
        .inspections(lab, &InspectionFilter::default(), Page::first(10))
        .await
        .expect("inspections");
    assert_eq!(
        stored[0].valid_until,
        Some(d("2028-10-01")),
        "kept as stored"
    );
    let audit = store.audit_log(lab, Page::first(1)).await.expect("audit");
    assert_eq!(
        (audit[0].action.as_str(), &audit[0].detail["months"]),
        ("category.cycle", &serde_json::json!(36))
    );

    match store.add_cycle(lab, &code, rule.clone(), "admin").await {
        Err(StoreError::Conflict(m)) => assert_eq!(
            m,
            "category DHN already has a cycle from 2024-01-01 (36 months); cycles are kept \
             as history: add one from another date"
        ),
        other => panic!("the same cycle twice: {other:?}"),
    }
    let unknown = CategoryCode::parse("NOPE").expect("code");
    assert!(matches!(
        store.add_cycle(lab, &unknown, rule.clone(), "admin").await,
        Err(StoreError::NotFound(_))
    ));
    let zero = CycleRule {
        effective_from: d("2025-01-01"),
        months: 0,
    };
    assert!(matches!(
        store.add_cycle(lab, &code, zero, "admin").await,
        Err(StoreError::Invalid(_))
    ));
    match store
        .save_category(lab, &names("DHN", " ", "x"), "admin")
        .await
    {
        Err(StoreError::Invalid(m)) => assert_eq!(m, "name_vi: give a name of 1 to 200 characters"),
        other => panic!("a blank name: {other:?}"),
    }
    let listed = store.categories(lab).await.expect("categories");
    let dhn = listed.iter().find(|c| c.code == code).expect("DHN");
    assert_eq!(dhn.name_vi, "Đồng hồ đo nước lạnh");
    assert_eq!(dhn.cycles.len(), 2);
}
