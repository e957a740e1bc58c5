//! A new database: its lab, its categories, and migrating again.

use super::*;

/// A new database has the default lab and the seeded categories with their cycles.
pub async fn categories_are_seeded<S: Store>(store: &S) {
    let categories = store
        .categories(lab(store).await)
        .await
        .expect("categories");
    let mut codes: Vec<&str> = categories.iter().map(|c| c.code.as_str()).collect();
    codes.sort_unstable();
    let seeded = metrotrack_core::category::seed_categories();
    let mut seeded: Vec<&str> = seeded.iter().map(|c| c.code.as_str()).collect();
    seeded.sort_unstable();
    assert_eq!(codes, seeded, "{} categories", categories.len());
    let ct1p = categories
        .iter()
        .find(|c| c.code.as_str() == "CT1P")
        .expect("CT1P seeded");
    assert_eq!(ct1p.cycle_on(d("2023-10-01")), Some(60));
    assert_eq!(ct1p.name_vi, "Công tơ điện 1 pha");
    let txm = categories
        .iter()
        .find(|c| c.code.as_str() == "TXM")
        .expect("TXM");
    assert_eq!(txm.cycle_on(d("2023-10-01")), Some(18));
}

/// Migrating an up-to-date database again keeps its lab and categories as they are.
pub async fn migrating_again_changes_nothing<S: Store>(store: &S) {
    let before = store
        .categories(lab(store).await)
        .await
        .expect("categories");
    let lab_before = lab(store).await;
    store.migrate().await.expect("migrate again");
    assert_eq!(lab(store).await, lab_before);
    assert_eq!(
        store.categories(lab_before).await.expect("categories"),
        before
    );
}
