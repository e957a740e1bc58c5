//! Labs, users, tokens and the audit log.

use super::*;

/// Labs are created once per code, each with the seeded categories, and audited.
pub async fn labs_are_created_once_with_their_categories<S: Store>(store: &S) {
    let default = lab(store).await;
    let labs = store.labs().await.expect("labs");
    assert_eq!(labs.len(), 1);
    assert_eq!((labs[0].id, labs[0].code.as_str()), (default, "default"));
    let b = store
        .create_lab(" lab-b ", "Phòng thí nghiệm B", "admin")
        .await
        .expect("create lab");
    assert_eq!(
        (b.code.as_str(), b.name.as_str()),
        ("lab-b", "Phòng thí nghiệm B")
    );
    assert_ne!(b.id, default);
    assert_eq!(
        store.labs().await.expect("labs"),
        vec![labs[0].clone(), b.clone()]
    );
    assert!(matches!(
        store.create_lab("lab-b", "again", "admin").await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.create_lab("  ", "blank", "admin").await,
        Err(StoreError::Invalid(_))
    ));
    let seeded = store.categories(default).await.expect("categories");
    assert_eq!(store.categories(b.id).await.expect("categories"), seeded);
    let audit = store.audit_log(b.id, Page::first(10)).await.expect("audit");
    assert_eq!(audit.len(), 1);
    assert_eq!(
        (
            audit[0].action.as_str(),
            audit[0].actor.as_str(),
            audit[0].lab
        ),
        ("lab.create", "admin", b.id)
    );
    assert_eq!(audit[0].detail["code"], "lab-b");
}

/// Users are unique by name within a lab; their credentials are found by lab and name.
pub async fn users_are_unique_within_their_lab<S: Store>(store: &S) {
    let a = lab(store).await;
    let b = store
        .create_lab("lab-b", "B", "admin")
        .await
        .expect("lab")
        .id;
    let an = store
        .create_user(a, &new_user(" an ", Role::Technician), "admin")
        .await
        .expect("user");
    assert_eq!(
        (
            an.lab,
            an.username.as_str(),
            an.role,
            an.created_by.as_str()
        ),
        (a, "an", Role::Technician, "admin")
    );
    assert!(matches!(
        store
            .create_user(a, &new_user("an", Role::Reader), "admin")
            .await,
        Err(StoreError::Conflict(_))
    ));
    for bad in ["", "a:b"] {
        assert!(matches!(
            store
                .create_user(a, &new_user(bad, Role::Reader), "admin")
                .await,
            Err(StoreError::Invalid(_))
        ));
    }
    let other = store
        .create_user(b, &new_user("an", Role::Reader), "admin")
        .await
        .expect("the same name in another lab");
    let binh = store
        .create_user(a, &new_user("binh", Role::Supervisor), "admin")
        .await
        .expect("user");
    assert_eq!(store.users(a).await.expect("users"), vec![an.clone(), binh]);
    assert_eq!(store.users(b).await.expect("users"), vec![other.clone()]);
    let found = store
        .user_credentials(a, "an")
        .await
        .expect("credentials")
        .expect("found");
    assert_eq!(found.user, an);
    assert_eq!(
        found.password_hash,
        new_user(" an ", Role::Technician).password_hash
    );
    assert_eq!(
        store
            .user_credentials(b, "an")
            .await
            .expect("credentials")
            .map(|c| c.user),
        Some(other)
    );
    assert!(
        store
            .user_credentials(a, "nobody")
            .await
            .expect("credentials")
            .is_none()
    );
    let actions: Vec<String> = store
        .audit_log(a, Page::first(10))
        .await
        .expect("audit")
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(actions, vec!["user.create", "user.create"]);
}

/// Tokens are found by hash in any lab, listed with their user, touched, and revoked
/// once; the audit log pages newest first.
pub async fn tokens_are_found_touched_and_revoked<S: Store>(store: &S) {
    let a = lab(store).await;
    let b = store
        .create_lab("lab-b", "B", "admin")
        .await
        .expect("lab")
        .id;
    let an = store
        .create_user(a, &new_user("an", Role::Technician), "admin")
        .await
        .expect("user");
    let stranger = store
        .create_user(b, &new_user("chi", Role::Reader), "admin")
        .await
        .expect("user");
    let personal = store
        .create_token(
            a,
            &new_token("an's laptop", Role::Technician, Some(an.id), "h1"),
            "admin",
        )
        .await
        .expect("token");
    assert_eq!(
        (personal.lab, personal.name.as_str(), personal.role),
        (a, "an's laptop", Role::Technician)
    );
    assert_eq!(personal.username.as_deref(), Some("an"));
    assert_eq!(personal.actor(), "an");
    assert!(personal.last_used_at.is_none() && personal.revoked_at.is_none());
    let script = store
        .create_token(a, &new_token("nightly", Role::Reader, None, "h2"), "admin")
        .await
        .expect("token");
    assert_eq!(script.actor(), "token:nightly");
    assert!(matches!(
        store
            .create_token(
                a,
                &new_token("x", Role::Reader, Some(stranger.id), "h3"),
                "admin"
            )
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store
            .create_token(a, &new_token(" ", Role::Reader, None, "h4"), "admin")
            .await,
        Err(StoreError::Invalid(_))
    ));
    let b_token = store
        .create_token(
            b,
            &new_token("b", Role::Reader, Some(stranger.id), "h5"),
            "admin",
        )
        .await
        .expect("token");
    assert_eq!(
        store.tokens(a).await.expect("tokens"),
        vec![personal.clone(), script.clone()]
    );
    assert_eq!(
        store.tokens(b).await.expect("tokens"),
        vec![b_token.clone()]
    );
    assert_eq!(
        store.token_by_hash("h5").await.expect("by hash"),
        Some(b_token.clone())
    );
    assert!(
        store
            .token_by_hash("nope")
            .await
            .expect("by hash")
            .is_none()
    );

    let at = chrono::DateTime::parse_from_rfc3339("2024-05-01T08:30:00Z")
        .expect("time")
        .to_utc();
    store.touch_token(personal.id, at).await.expect("touch");
    let touched = store
        .token_by_hash("h1")
        .await
        .expect("by hash")
        .expect("found");
    assert_eq!(touched.last_used_at, Some(at));

    assert!(matches!(
        store.revoke_token(b, personal.id, "admin").await,
        Err(StoreError::NotFound(_))
    ));
    let revoked = store
        .revoke_token(a, personal.id, "boss")
        .await
        .expect("revoke");
    assert!(revoked.revoked_at.is_some());
    assert_eq!(revoked.revoked_by.as_deref(), Some("boss"));
    assert_eq!(
        store.token_by_hash("h1").await.expect("by hash"),
        Some(revoked.clone())
    );
    assert!(matches!(
        store.revoke_token(a, personal.id, "boss").await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store.revoke_token(a, script.id + 1000, "boss").await,
        Err(StoreError::NotFound(_))
    ));

    let audit = store.audit_log(a, Page::first(100)).await.expect("audit");
    let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        vec![
            "token.revoke",
            "token.create",
            "token.create",
            "user.create"
        ]
    );
    assert_eq!(audit[0].subject, format!("token:{}", personal.id));
    assert_eq!(audit[0].actor, "boss");
    assert_eq!(audit[1].detail["name"], "nightly");
    let first = store.audit_log(a, Page::first(2)).await.expect("audit");
    assert_eq!(first, audit[..2].to_vec());
    let next = store
        .audit_log(
            a,
            Page {
                limit: 2,
                after: Some(first[1].id),
            },
        )
        .await
        .expect("audit");
    assert_eq!(next, audit[2..].to_vec());
}

/// Every write is in the audit log, in order: an import, a plan change, a void.
pub async fn every_write_is_audited<S: Store>(store: &S) {
    let lab = lab(store).await;
    let batch = inspections(store, ImportMode::Strict, "sha-a", three_rows()).await;
    let target = metrotrack_core::PlanTarget::new(
        metrotrack_core::Metric::Inspections,
        None,
        metrotrack_core::PeriodSpec::parse("2023-10").expect("period"),
        5,
    )
    .expect("plan");
    store
        .set_plan(lab, &target, "supervisor")
        .await
        .expect("plan");
    store
        .void_batch(lab, batch.id.expect("id"), "supervisor", "test")
        .await
        .expect("void");
    let audit = store.audit_log(lab, Page::first(10)).await.expect("audit");
    let actions: Vec<&str> = audit.iter().rev().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["import", "plan.set", "import.void"]);
}
