//! Email codes through a real SMTP conversation with a sink started by the test.

mod common;

use std::time::Duration;

use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn email_codes_expire_and_are_told_apart_from_invalid_ones() {
    let sink = SmtpSink::start();
    let server = Server::start_with(Options {
        smtp_port: Some(sink.port),
        email_code_validity: Some(5),
        email_cooldown: Some(2),
        ..Options::default()
    })
    .await;
    let (admin, _) = signed_in_admin(&server, "admin").await;

    // Adding an email device mails a confirmation code.
    let response = admin
        .post(
            "/api/v1/users/1/devices",
            json!({ "kind": "email", "name": "inbox" }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    let id = body["id"].as_i64().unwrap();
    let message = sink.wait_for(1).await;
    assert!(message.contains("To: admin@example.com"), "{message}");
    let code = sink.code(1).await;
    assert!(code.bytes().all(|b| b.is_ascii_digit()));
    let response = admin
        .post(
            &format!("/api/v1/devices/{id}/confirm"),
            json!({ "token": code }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);

    // Sign in with an emailed code (once the resend cooldown since the last one is over).
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let client = server.client();
    let (_, body) = client.login("admin", PASSWORD).await;
    assert_eq!(body["next"], "otp");
    let response = client.post("/api/v1/auth/otp/email", json!({})).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let code = sink.code(2).await;
    // Resending at once is refused (cooldown).
    let response = client.post("/api/v1/auth/otp/email", json!({})).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key("retry-after"));

    let wrong = if code == "000000" { "111111" } else { "000000" };
    let response = client.otp(wrong).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_code");

    // The right code after its validity: "expired", not "invalid".
    tokio::time::sleep(Duration::from_millis(5300)).await;
    let response = client.otp(&code).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "expired_code");
    assert_ne!(
        body["message"],
        json!("Invalid code."),
        "expired must read differently"
    );

    // A new code in time works, once.
    let response = client.post("/api/v1/auth/otp/email", json!({})).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let code = sink.code(3).await;
    tokio::time::sleep(Duration::from_millis(2100)).await; // the throttle after two failures
    let response = client.otp(&code).await;
    assert_eq!(response.status(), StatusCode::OK);
    let again = server.client();
    again.login("admin", PASSWORD).await;
    assert_eq!(again.otp(&code).await.status(), StatusCode::UNAUTHORIZED);

    // Only hashes were stored.
    let db = server.db_bytes();
    for n in 1..=3 {
        let code = sink.code(n).await;
        assert!(
            !db.windows(6).any(|w| w == code.as_bytes()),
            "email code {n} in the database"
        );
    }
}

#[tokio::test]
async fn email_devices_need_a_configured_relay() {
    let server = Server::start().await;
    let (admin, _) = signed_in_admin(&server, "admin").await;
    let response = admin
        .post(
            "/api/v1/users/1/devices",
            json!({ "kind": "email", "name": "inbox" }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}
