//! Tokens, passwords and sign-in throttling.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn tokens_passwords_and_throttling() {
    let s = Server::start().await;
    let admin = s.token('A', Role::Admin);
    // A token made over the API works, then fails at once when revoked.
    let (status, created) = send(
        s.req(Method::POST, "/api/v1/tokens", Some(admin))
            .json(&json!({"name": "script", "role": "reader"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let token = created["token"].as_str().expect("token").to_owned();
    assert!(token.starts_with("mt_"));
    let (status, _) = s.get("/api/v1/categories", &token).await;
    assert_eq!(status, StatusCode::OK);
    let (status, listed) = s.get("/api/v1/tokens", admin).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !listed.to_string().contains(&token),
        "tokens are never listed"
    );
    let id = created["info"]["id"].as_i64().expect("id");
    let (status, _) = send(s.req(
        Method::POST,
        &format!("/api/v1/tokens/{id}/revoke"),
        Some(admin),
    ))
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, revoked_body) = s.get("/api/v1/categories", &token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (_, unknown_body) = s.get("/api/v1/categories", "mt_nonsense").await;
    assert_eq!(
        revoked_body, unknown_body,
        "the same answer whatever the cause"
    );
    // National accounts are not given over the API.
    let (status, _) = send(
        s.req(Method::POST, "/api/v1/tokens", Some(admin))
            .json(&json!({"name": "n", "role": "national"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // A user signs in with HTTP Basic; a wrong password and an unknown user read alike.
    let (status, user) = send(s.req(Method::POST, "/api/v1/users", Some(admin)).json(
        &json!({"username": "ann", "role": "technician", "password": "correct horse battery"}),
    ))
    .await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    let basic = |u: &str, p: &str| {
        s.http
            .get(format!("{}/api/v1/imports", s.base))
            .basic_auth(u, Some(p))
    };
    assert_eq!(
        send(basic("ann", "correct horse battery")).await.0,
        StatusCode::OK
    );
    let (status, wrong) = send(basic("ann", "wrong password!")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (_, nobody) = send(basic("nobody", "wrong password!")).await;
    assert_eq!(wrong, nobody);
    let (status, _) = send(
        s.req(Method::POST, "/api/v1/users", Some(admin))
            .json(&json!({"username": "ann", "role": "reader"})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Repeated failures from one address are throttled.
    let mut last = StatusCode::OK;
    for _ in 0..12 {
        last = s.get("/api/v1/imports", "mt_guess").await.0;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    // ... which does not lock out a valid token from the same address.
    assert_eq!(s.get("/api/v1/imports", admin).await.0, StatusCode::OK);
    // A username that keeps failing is refused before its password is checked.
    for _ in 0..10 {
        let _ = send(basic("ann", "guess guess guess")).await;
    }
    assert_eq!(
        send(basic("ann", "correct horse battery")).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
}

/// Every spelling the lookup reaches one account by (`@default` or not, blanks around
/// it, a no-break space) counts against that account: wrong guesses spread over the
/// spellings are throttled as one, and the right password then waits too.
#[tokio::test(flavor = "multi_thread")]
async fn the_throttle_holds_across_spellings_of_one_account() {
    let s = Server::start().await;
    let admin = s.token('A', Role::Admin);
    let (status, user) = send(s.req(Method::POST, "/api/v1/users", Some(admin)).json(
        &json!({"username": "u_admin", "role": "supervisor", "password": "correct horse battery"}),
    ))
    .await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    let basic = |u: &str, p: &str| {
        s.http
            .get(format!("{}/api/v1/imports", s.base))
            .basic_auth(u, Some(p))
    };
    let spellings = [
        "u_admin",
        "u_admin @default",
        "u_admin  @default",
        "u_admin\u{a0}@default",
    ];
    // Each spelling signs in to the one account.
    for spelling in spellings {
        assert_eq!(
            send(basic(spelling, "correct horse battery")).await.0,
            StatusCode::OK,
            "{spelling:?}"
        );
    }
    // Ten wrong guesses over the four spellings: the eleventh try waits, whatever its
    // spelling, the right password included.
    for i in 0..10 {
        let (status, _) = send(basic(spellings[i % 4], "guess guess guess")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "guess {i}");
    }
    for spelling in spellings {
        let response = basic(spelling, "correct horse battery")
            .send()
            .await
            .expect("request");
        assert_eq!(
            response.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "{spelling:?}"
        );
        let wait: u64 = response.headers()["retry-after"]
            .to_str()
            .expect("text")
            .parse()
            .expect("seconds");
        assert!((1..=2).contains(&wait), "a short, growing delay: {wait}");
    }
    // Another account from the same address is not held up by it.
    let (status, _) = send(basic("someone-else", "guess guess guess")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Once the delay has passed, the right password works again.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(
        send(basic("u_admin", "correct horse battery")).await.0,
        StatusCode::OK
    );
}
