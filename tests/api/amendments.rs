//! Amending, voiding and restoring over the API: each route by role and lab, the 422 and
//! 409 bodies, and the figures following.

use super::*;

/// A POST of `body` by `token`.
async fn post(s: &Server, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
    send(s.req(Method::POST, path, Some(token)).json(&body)).await
}

/// A technician token of lab A other than the uploader's.
async fn second_technician(s: &Server) -> String {
    let token = generate_token().expect("token");
    s.store
        .create_token(
            s.lab_a,
            &NewToken {
                name: "A-technician-2".into(),
                role: Role::Technician,
                user_id: None,
                token_hash: hash_token(&token),
            },
            "test",
        )
        .await
        .expect("token");
    token
}

#[tokio::test(flavor = "multi_thread")]
async fn amendments_and_voids_answer_each_role_and_lab() {
    let s = Server::start().await;
    let (status, batch) = s
        .upload(
            s.token('A', Role::Technician),
            "inspections",
            "demo/inspections-2023-10.csv",
            "",
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{batch}");
    let uploader = batch["uploaded_by"].as_str().expect("uploader").to_owned();
    let other_technician = second_technician(&s).await;
    let amend = |n: &str| json!({"reason": format!("note {n}"), "changes": {"notes": n}});
    let path = "/api/v1/inspections/1/amendments";

    let mut seen = Vec::new();
    for (who, token) in [
        ("A reader", s.token('A', Role::Reader)),
        ("A national", s.token('A', Role::National)),
        ("A other technician", other_technician.as_str()),
        ("B technician", s.token('B', Role::Technician)),
        ("B supervisor", s.token('B', Role::Supervisor)),
        ("B admin", s.token('B', Role::Admin)),
        ("A technician", s.token('A', Role::Technician)),
        ("A supervisor", s.token('A', Role::Supervisor)),
        ("A admin", s.token('A', Role::Admin)),
    ] {
        let (status, body) = post(&s, path, token, amend(who)).await;
        seen.push((who, status, body["version"].as_i64()));
    }
    assert_eq!(
        seen,
        [
            ("A reader", StatusCode::FORBIDDEN, None),
            ("A national", StatusCode::FORBIDDEN, None),
            ("A other technician", StatusCode::FORBIDDEN, None),
            ("B technician", StatusCode::NOT_FOUND, None),
            ("B supervisor", StatusCode::NOT_FOUND, None),
            ("B admin", StatusCode::NOT_FOUND, None),
            ("A technician", StatusCode::CREATED, Some(2)),
            ("A supervisor", StatusCode::CREATED, Some(3)),
            ("A admin", StatusCode::CREATED, Some(4)),
        ]
    );
    let (status, other) = post(&s, path, &other_technician, amend("x")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        other["detail"],
        "A technician amends and voids only the records of batches it uploaded or amended; \
         a supervisor may change any record of the lab."
    );

    let (status, versions) = s
        .get("/api/v1/inspections/1/versions", s.token('A', Role::Reader))
        .await;
    assert_eq!(status, StatusCode::OK);
    let seen: Vec<(Value, Value, Value)> = versions["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|v| {
            (
                v["version"].clone(),
                v["notes"].clone(),
                v["amend_reason"].clone(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (json!(1), Value::Null, Value::Null),
            (json!(2), json!("A technician"), json!("note A technician")),
            (json!(3), json!("A supervisor"), json!("note A supervisor")),
            (json!(4), json!("A admin"), json!("note A admin")),
        ]
    );
    assert_eq!(versions["items"][0]["uploaded_by"], uploader.as_str());
    let (status, _) = s
        .get("/api/v1/inspections/1/versions", s.token('B', Role::Reader))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Voiding one record: the same gates; then it is voided, once.
    let void = json!({"reason": "not our meter"});
    let path = "/api/v1/inspections/2/void";
    for token in [
        s.token('A', Role::Reader),
        s.token('A', Role::National),
        other_technician.as_str(),
    ] {
        assert_eq!(
            post(&s, path, token, void.clone()).await.0,
            StatusCode::FORBIDDEN
        );
    }
    let (status, _) = post(&s, path, s.token('B', Role::Admin), void.clone()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, voided) = post(&s, path, s.token('A', Role::Technician), void.clone()).await;
    assert_eq!(status, StatusCode::OK, "{voided}");
    assert_eq!(voided["void_reason"], "not our meter");
    assert!(voided["voided_at"].is_string());
    let (status, again) = post(&s, path, s.token('A', Role::Supervisor), void.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        again["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("inspection 2 was already voided at ")),
        "{again}"
    );

    // Restoring a batch: a supervisor's, of a voided batch.
    let restore = "/api/v1/imports/1/restore";
    let (status, body) = post(&s, restore, s.token('A', Role::Supervisor), json!({})).await;
    assert_eq!(
        (status, &body["detail"]),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            &json!("import batch 1 is not voided")
        )
    );
    let (status, _) = post(
        &s,
        "/api/v1/imports/1/void",
        s.token('A', Role::Supervisor),
        json!({"reason": "wrong lab"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = post(&s, restore, s.token('A', Role::Technician), json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = post(&s, restore, s.token('B', Role::Supervisor), json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, restored) = post(&s, restore, s.token('A', Role::Supervisor), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{restored}");
    assert_eq!(restored["voided_at"], Value::Null);
    let (_, achievement) = s
        .get(
            "/api/v1/achievement?period=2023-10",
            s.token('A', Role::Reader),
        )
        .await;
    assert_eq!(metric(&achievement, "inspections")["actual"], 496);
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_amendments_say_why_and_the_figures_follow_a_stored_one() {
    let s = Server::start().await;
    let technician = s.token('A', Role::Technician);
    let (status, _) = s
        .upload(
            technician,
            "inspections",
            "demo/inspections-2023-10.csv",
            "",
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let path = "/api/v1/inspections/1/amendments";

    let (status, body) = post(
        &s,
        path,
        technician,
        json!({"reason": "typo", "changes": {"inspected_on": "31/02/2023", "error_percent": "abc"}}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["type"], "https://metrotrack.dev/problems/validation");
    assert_eq!(
        body["detail"],
        "Nothing was changed: 2 value(s) are not acceptable; each problem names its field."
    );
    assert_eq!(
        body["problems"],
        json!([
            {"line": 0, "column": "inspected_on", "value": "31/02/2023",
             "code": "date.impossible",
             "args": {"written": "31/02/2023", "month": 2, "year": 2023, "days": 28, "year_first": false},
             "message": "31/02/2023 is not a date: February 2023 has 28 days; dates are read day-first (dd/mm/yyyy)"},
            {"line": 0, "column": "error_percent", "value": "abc",
             "code": "decimal.invalid", "args": {"written": "abc"},
             "message": "abc is not a number"},
        ])
    );
    let (status, body) = post(
        &s,
        path,
        technician,
        json!({"reason": "typo", "changes": {"colour": "red"}}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["problems"][0]["column"], "colour");
    for (body, detail) in [
        (
            json!({"reason": " ", "changes": {"notes": "x"}}),
            "reason: say why the record is amended (1 to 1000 characters).",
        ),
        (
            json!({"reason": "r", "changes": {}}),
            "changes: name at least one field to change.",
        ),
        (
            json!({"reason": "r", "changes": {"notes": ["x"]}}),
            "changes.notes: give the value as text, a number or null.",
        ),
    ] {
        let (status, problem) = post(&s, path, technician, body).await;
        assert_eq!(
            (status, &problem["detail"]),
            (StatusCode::UNPROCESSABLE_ENTITY, &json!(detail))
        );
    }

    // Inspection 3 holds certificate GCN-23-00005 (line 4).
    let (status, body) = post(
        &s,
        path,
        technician,
        json!({"reason": "typo", "changes": {"certificate_no": "GCN-23-00005"}}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["type"], "https://metrotrack.dev/problems/conflict");
    assert_eq!(
        body["detail"],
        "inspection 1 was not amended: its certificate number GCN-23-00005 is held by \
         inspection 3 (batch 1, line 4)"
    );
    let (_, versions) = s.get("/api/v1/inspections/1/versions", technician).await;
    assert_eq!(versions["items"].as_array().map(Vec::len), Some(1));

    // Moved from 15/09 (October under Decree 09) to 16/10 (November): the figures follow.
    let october = || async {
        let (_, a) = s
            .get(
                "/api/v1/achievement?period=2023-10&scheme=decree09",
                s.token('A', Role::Reader),
            )
            .await;
        metric(&a, "instruments_inspected")["actual"].clone()
    };
    assert_eq!(october().await, 467);
    let (status, amended) = post(
        &s,
        path,
        technician,
        json!({"reason": "ngày nhập sai", "changes": {"inspected_on": "2023-10-16"}}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{amended}");
    assert_eq!(
        (
            &amended["id"],
            &amended["version"],
            &amended["inspected_on"]
        ),
        (&json!(1), &json!(2), &json!("2023-10-16"))
    );
    assert_eq!(october().await, 466);
}
