//! The two-step sign-in over real HTTPS against a server started in the test process.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn whole_login_flow_with_session_rotation_at_both_steps() {
    let server = Server::start().await;
    server.create_user("admin", true);
    let client = server.client();

    // Before anything: no session, /me refused.
    assert_eq!(
        client.get("/api/v1/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
    client.csrf().await;
    let anonymous = client.session_cookie().expect("csrf sets a cookie");

    // Step 1: the identifier changes.
    let (status, body) = client.login("admin", PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["next"], "setup");
    let pre_auth = client.session_cookie().unwrap();
    assert_ne!(pre_auth, anonymous, "session fixation at step 1");
    assert_eq!(
        client.get("/api/v1/me").await.status(),
        StatusCode::UNAUTHORIZED
    );

    // Setup: a QR code and a URI; a wrong code is refused.
    let response = client.post("/api/v1/auth/setup", json!({})).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let uri = body["otpauth_uri"].as_str().unwrap().to_string();
    assert!(uri.starts_with("otpauth://totp/Keygate:admin?"), "{uri}");
    assert!(body["qr_svg"].as_str().unwrap().contains("<path"));
    let wrong = if totp_at(&uri, now()) == "000000" {
        "111111"
    } else {
        "000000"
    };
    let response = client
        .post("/api/v1/auth/setup/confirm", json!({ "token": wrong }))
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    // The throttle wants a second after a failure.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    // A code accepted one step late records a drift of -1 (django-otp's sync), which would
    // shift the window the second login is checked against: enter it early in its step.
    let into_step = now() % 30;
    if into_step > 25 {
        tokio::time::sleep(std::time::Duration::from_secs(31 - into_step)).await;
    }
    let code = totp_at(&uri, now());
    let response = client
        .post("/api/v1/auth/setup/confirm", json!({ "token": code }))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["next"], "done");
    let verified = client.session_cookie().unwrap();
    assert_ne!(verified, pre_auth, "session fixation at step 2");

    // Verified: /me works, and the old identifiers are dead.
    let response = client.get("/api/v1/me").await;
    assert_eq!(response.status(), StatusCode::OK);
    let me: Value = response.json().await.unwrap();
    assert_eq!(me["user"]["username"], "admin");
    assert!(me["user"].get("password_hash").is_none());
    assert_eq!(me["devices"][0]["kind"], "totp");
    assert_eq!(me["devices"][0]["confirmed"], true);
    for old in [&anonymous, &pre_auth] {
        let stale = reqwest::Client::builder()
            .tls_backend_preconfigured(tls_config(&server.cert))
            .build()
            .unwrap();
        let response = stale
            .get(client.url("/api/v1/me"))
            .header("Cookie", format!("__Host-keygate_session={old}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }

    // Logout destroys the server-side session: replaying the cookie does not work.
    let response = client.post("/api/v1/auth/logout", json!({})).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let replay = reqwest::Client::builder()
        .tls_backend_preconfigured(tls_config(&server.cert))
        .build()
        .unwrap()
        .get(client.url("/api/v1/me"))
        .header("Cookie", format!("__Host-keygate_session={verified}"))
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::UNAUTHORIZED);

    // Second login: the device exists now, so the next step is the code.
    let (status, body) = client.login("ADMIN", PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["next"], "otp");
    // The code used at setup is refused (replay); the next step's code works.
    let response = client.otp(&code).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let next = totp_at(&uri, now() + 30);
    let response = client.otp(&next).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["next"], "done");
    assert_eq!(client.get("/api/v1/me").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn bad_credentials_get_one_generic_answer() {
    let server = Server::start().await;
    server.create_user("carol", false);
    let client = server.client();
    let (status, wrong_password) = client.login("carol", "not the password at all").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (status, unknown_user) = client.login("nobody", "not the password at all").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong_password, unknown_user);
    assert_eq!(wrong_password["error"], "invalid_credentials");
}
