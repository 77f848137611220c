//! Replayed codes (ASVS 2.8.4/2.8.5) and django-otp's exponential throttle with Retry-After.

mod common;

use std::time::Duration;

use common::*;
use reqwest::StatusCode;
use serde_json::Value;

fn retry_after(response: &reqwest::Response) -> u64 {
    response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn a_replayed_code_is_refused_audited_and_shown_at_next_login() {
    let server = Server::start().await;
    let (admin, uri) = signed_in_admin(&server, "admin").await;
    let used = totp_at(&uri, now()); // accepted at setup (or its neighbour step was)

    // An attacker who saw the code and the password tries it in another session.
    let attacker = server.client();
    let (status, _) = attacker.login("admin", PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    let response = attacker.otp(&used).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_code");
    assert_eq!(
        attacker.get("/api/v1/me").await.status(),
        StatusCode::UNAUTHORIZED
    );

    // It is in the audit log.
    let log: Value = admin
        .get("/api/v1/audit?action=login.otp.replayed")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(log["total"], 1, "{log}");
    assert_eq!(log["entries"][0]["target"], "admin");

    // The user is told at the next sign-in, once.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let user = server.client();
    user.login("admin", PASSWORD).await;
    let response = user.otp(&totp_at(&uri, now() + 30)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let notices = body["notices"].as_array().unwrap();
    assert_eq!(notices.len(), 1, "{body}");
    assert!(notices[0].as_str().unwrap().contains("used again"));

    let again = server.client();
    again.login("admin", PASSWORD).await;
    // Both neighbouring steps are used up now: a backup code gets in.
    let codes: Value = user
        .post(
            "/api/v1/users/1/devices",
            serde_json::json!({ "kind": "static", "name": "backup" }),
        )
        .await
        .json()
        .await
        .unwrap();
    let code = codes["backup_codes"][0].as_str().unwrap();
    let body: Value = again.otp(code).await.json().await.unwrap();
    assert_eq!(body["next"], "done");
    assert!(body["notices"].as_array().unwrap().is_empty(), "{body}");
}

// Throttle times are whole seconds (django-otp's arithmetic on Unix seconds), so a 1 s wait
// can be over at once; the checks start from the second failure, whose wait is 2 s.
#[tokio::test]
async fn password_failures_back_off_exponentially_with_retry_after() {
    let server = Server::start().await;
    server.create_user("dave", false);
    let client = server.client();
    let wrong = "definitely not it";

    let (status, _) = client.login("dave", wrong).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    tokio::time::sleep(Duration::from_millis(1150)).await;
    for expected_wait in [2, 4] {
        let (status, _) = client.login("dave", wrong).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let response = client
            .post(
                "/api/v1/auth/login",
                serde_json::json!({ "username": "dave", "password": PASSWORD }),
            )
            .await;
        // Even the right password is refused while throttled.
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        let wait = retry_after(&response);
        assert!(
            (expected_wait - 1..=expected_wait).contains(&wait),
            "wait {wait}, expected {expected_wait}"
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "throttled");
        tokio::time::sleep(Duration::from_millis(wait * 1000 + 150)).await;
    }
    // After the wait, the right password works.
    let (status, body) = client.login("dave", PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // An unknown user is throttled exactly the same way.
    let (status, _) = client.login("ghost", wrong).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    tokio::time::sleep(Duration::from_millis(1150)).await;
    let (status, _) = client.login("ghost", wrong).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = client.login("ghost", wrong).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
}

#[tokio::test]
async fn code_failures_are_throttled_too() {
    let server = Server::start().await;
    let (_, uri) = signed_in_admin(&server, "admin").await;
    let client = server.client();
    client.login("admin", PASSWORD).await;
    let good = totp_at(&uri, now() + 30);
    let bad = if good == "123456" { "654321" } else { "123456" };
    assert_eq!(client.otp(bad).await.status(), StatusCode::UNAUTHORIZED);
    tokio::time::sleep(Duration::from_millis(1150)).await;
    assert_eq!(client.otp(bad).await.status(), StatusCode::UNAUTHORIZED);
    let response = client.otp(&good).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait = retry_after(&response);
    assert!((1..=2).contains(&wait), "{wait}");
    tokio::time::sleep(Duration::from_millis(wait * 1000 + 150)).await;
    assert_eq!(client.otp(&good).await.status(), StatusCode::OK);
}
