//! Backup codes, HOTP, device removal and 2FA reset.

mod common;

use std::time::Duration;

use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn backup_codes(client: &Client, user_id: i64) -> (i64, Vec<String>) {
    let response = client
        .post(
            &format!("/api/v1/users/{user_id}/devices"),
            json!({ "kind": "static", "name": "paper" }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    let codes: Vec<String> = body["backup_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    (body["id"].as_i64().unwrap(), codes)
}

#[tokio::test]
async fn backup_codes_work_once_each_and_regenerate_replaces_all() {
    let server = Server::start().await;
    let (admin, _) = signed_in_admin(&server, "admin").await;
    let (device_id, codes) = backup_codes(&admin, 1).await;
    assert_eq!(codes.len(), 10);
    for code in &codes {
        assert_eq!(code.len(), 11, "{code}");
        assert_eq!(&code[5..6], "-");
    }
    let unique: std::collections::HashSet<_> = codes.iter().collect();
    assert_eq!(unique.len(), 10);

    let client = server.client();
    client.login("admin", PASSWORD).await;
    assert_eq!(client.otp(&codes[0]).await.status(), StatusCode::OK);

    let client = server.client();
    client.login("admin", PASSWORD).await;
    assert_eq!(
        client.otp(&codes[0]).await.status(),
        StatusCode::UNAUTHORIZED
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    // Typed without the dash, in capitals: still the second code.
    let typed = codes[1].replace('-', "").to_uppercase();
    assert_eq!(client.otp(&typed).await.status(), StatusCode::OK);

    let devices: Value = client
        .get("/api/v1/users/1/devices")
        .await
        .json()
        .await
        .unwrap();
    let paper = devices
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == device_id)
        .unwrap();
    assert_eq!(paper["remaining_codes"], 8);

    let response = client
        .post(
            &format!("/api/v1/devices/{device_id}/regenerate"),
            json!({}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let fresh: Value = response.json().await.unwrap();
    let fresh = fresh["backup_codes"][0].as_str().unwrap().to_string();
    let other = server.client();
    other.login("admin", PASSWORD).await;
    assert_eq!(
        other.otp(&codes[2]).await.status(),
        StatusCode::UNAUTHORIZED
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(other.otp(&fresh).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn hotp_devices_confirm_then_count_forward() {
    let server = Server::start().await;
    let (admin, _) = signed_in_admin(&server, "admin").await;
    let response = admin
        .post(
            "/api/v1/users/1/devices",
            json!({ "kind": "hotp", "name": "yubikey" }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    let id = body["id"].as_i64().unwrap();
    let uri = body["otpauth_uri"].as_str().unwrap().to_string();
    assert!(uri.starts_with("otpauth://hotp/"));
    assert_eq!(body["device"]["confirmed"], false);
    let mut account = keygate_otp::uri::parse(&uri).unwrap();
    let code = |account: &keygate_otp::Account, counter: u64| {
        let mut a = account.clone();
        a.counter = counter;
        a.code_at(0).unwrap()
    };
    // Unconfirmed devices do not sign anyone in.
    let client = server.client();
    client.login("admin", PASSWORD).await;
    assert_eq!(
        client.otp(&code(&account, 0)).await.status(),
        StatusCode::UNAUTHORIZED
    );

    let response = admin
        .post(
            &format!("/api/v1/devices/{id}/confirm"),
            json!({ "token": code(&account, 0) }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let device: Value = response.json().await.unwrap();
    assert_eq!(device["confirmed"], true);

    tokio::time::sleep(Duration::from_millis(1100)).await;
    // Counter 0 is spent; 2 is within the look-ahead.
    account.counter = 0;
    assert_eq!(
        client.otp(&code(&account, 0)).await.status(),
        StatusCode::UNAUTHORIZED
    );
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(
        client.otp(&code(&account, 2)).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn removing_a_device_ends_the_sessions_it_verified_at_once() {
    let server = Server::start().await;
    let (by_totp, _) = signed_in_admin(&server, "admin").await;
    let (_, codes) = backup_codes(&by_totp, 1).await;
    let by_code = server.client();
    by_code.login("admin", PASSWORD).await;
    assert_eq!(by_code.otp(&codes[0]).await.status(), StatusCode::OK);

    let devices: Value = by_code
        .get("/api/v1/users/1/devices")
        .await
        .json()
        .await
        .unwrap();
    let totp_id = devices
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == "totp")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let static_id = devices
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == "static")
        .unwrap()["id"]
        .as_i64()
        .unwrap();

    let sessions: Value = by_code
        .get("/api/v1/users/1/sessions")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(sessions.as_array().unwrap().len(), 2);

    let response = by_code.delete(&format!("/api/v1/devices/{totp_id}")).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        by_totp.get("/api/v1/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(by_code.get("/api/v1/me").await.status(), StatusCode::OK);

    // Removing the device of one's own session signs oneself out.
    let response = by_code
        .delete(&format!("/api/v1/devices/{static_id}"))
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        by_code.get("/api/v1/me").await.status(),
        StatusCode::UNAUTHORIZED
    );

    // No device left: the next sign-in goes to setup.
    let (_, body) = server.client().login("admin", PASSWORD).await;
    assert_eq!(body["next"], "setup");
}

#[tokio::test]
async fn the_admin_reset_2fa_operation_ends_sessions() {
    let server = Server::start().await;
    let (admin, _) = signed_in_admin(&server, "admin").await;
    // What `keygate admin reset-2fa` calls; the command itself is run by
    // tests/cli_serve.rs. The name is matched case-insensitively.
    assert_eq!(server.reset_2fa("Admin"), 1, "removed 1 device");
    assert_eq!(
        admin.get("/api/v1/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let (_, body) = server.client().login("admin", PASSWORD).await;
    assert_eq!(body["next"], "setup");
}

#[tokio::test]
async fn superusers_manage_others_and_others_cannot() {
    let server = Server::start().await;
    let (admin, _) = signed_in_admin(&server, "admin").await;
    let response = admin
        .post(
            "/api/v1/users",
            json!({ "username": "erin", "email": "erin@example.com",
                    "password": PASSWORD, "is_staff": false }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let erin: Value = response.json().await.unwrap();
    let erin_id = erin["id"].as_i64().unwrap();
    let duplicate = admin
        .post(
            "/api/v1/users",
            json!({ "username": "ERIN", "email": "e2@example.com", "password": PASSWORD }),
        )
        .await;
    assert_eq!(duplicate.status(), StatusCode::CONFLICT);

    let found: Value = admin
        .get("/api/v1/users?query=eri")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found["total"], 1);
    assert_eq!(found["users"][0]["username"], "erin");

    let erin_client = server.client();
    erin_client.enroll("erin").await;
    // Erin is no staff: she cannot list users or touch the admin's devices.
    assert_eq!(
        erin_client.get("/api/v1/users").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        erin_client.get("/api/v1/users/1/devices").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        erin_client.delete("/api/v1/devices/1").await.status(),
        StatusCode::NOT_FOUND
    );

    // The admin resets Erin's 2FA: her session ends.
    let response = admin
        .post(&format!("/api/v1/users/{erin_id}/reset-2fa"), json!({}))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        erin_client.get("/api/v1/me").await.status(),
        StatusCode::UNAUTHORIZED
    );

    // Deactivating ends sessions and blocks sign-in with the generic answer.
    let erin_client = server.client();
    erin_client.enroll("erin").await;
    let response = admin
        .send(
            reqwest::Method::PATCH,
            &format!("/api/v1/users/{erin_id}"),
            Some(json!({ "is_active": false })),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        erin_client.get("/api/v1/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let (status, body) = server.client().login("erin", PASSWORD).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "invalid_credentials");
}
