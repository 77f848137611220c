//! No secret in the database file, the log or any response after setup; API-key verify.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn no_secret_in_the_database_logs_or_responses() {
    let server = Server::start().await;
    let (admin, uri) = signed_in_admin(&server, "admin").await;
    let totp = secret_of(&uri);
    let response = admin
        .post(
            "/api/v1/users/1/devices",
            json!({ "kind": "hotp", "name": "token" }),
        )
        .await;
    let hotp_uri = response.json::<Value>().await.unwrap()["otpauth_uri"]
        .as_str()
        .unwrap()
        .to_string();
    let hotp = secret_of(&hotp_uri);
    let codes: Value = admin
        .post(
            "/api/v1/users/1/devices",
            json!({ "kind": "static", "name": "paper" }),
        )
        .await
        .json()
        .await
        .unwrap();
    let codes: Vec<String> = codes["backup_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    let key: Value = admin
        .post("/api/v1/api-keys", json!({ "name": "ci" }))
        .await
        .json()
        .await
        .unwrap();
    let api_key = key["key"].as_str().unwrap().to_string();
    let cookie = admin.session_cookie().unwrap();

    let mut secrets: Vec<(String, Vec<u8>)> = vec![
        ("password".into(), PASSWORD.as_bytes().to_vec()),
        ("totp key".into(), totp.expose().to_vec()),
        ("totp base32".into(), totp.to_base32().as_bytes().to_vec()),
        ("hotp key".into(), hotp.expose().to_vec()),
        ("hotp base32".into(), hotp.to_base32().as_bytes().to_vec()),
        ("api key".into(), api_key.as_bytes().to_vec()),
        ("session cookie".into(), cookie.as_bytes().to_vec()),
    ];
    for code in &codes {
        secrets.push((format!("backup code {code}"), code.as_bytes().to_vec()));
        secrets.push((
            format!("backup code {code} undashed"),
            code.replace('-', "").into_bytes(),
        ));
    }

    // Responses after setup, of every reading route.
    let mut seen = Vec::new();
    for path in [
        "/api/v1/me",
        "/api/v1/users",
        "/api/v1/users/1",
        "/api/v1/users/1/devices",
        "/api/v1/users/1/sessions",
        "/api/v1/audit",
        "/api/v1/api-keys",
    ] {
        let response = admin.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        seen.extend(response.bytes().await.unwrap());
    }
    let db = server.db_bytes();
    // Every server of this test binary logs into one buffer: none of them may log these.
    let log = log_text();
    assert!(
        log.contains("DEBUG") || log.contains("INFO"),
        "the log is empty"
    );
    for (name, secret) in &secrets {
        assert!(!contains(&db, secret), "{name} found in the database file");
        assert!(!contains(log.as_bytes(), secret), "{name} found in the log");
        if name != "session cookie" {
            assert!(!contains(&seen, secret), "{name} found in a response");
        }
    }
    // The process's standard output is checked by tests/cli_serve.rs.
}

#[tokio::test]
async fn api_keys_verify_codes_with_the_sign_in_rules() {
    let server = Server::start().await;
    let (admin, uri) = signed_in_admin(&server, "admin").await;
    server.create_user("frank", false);
    let frank = server.client();
    let frank_uri = frank.enroll("frank").await;

    let response = admin
        .post("/api/v1/api-keys", json!({ "name": "wiki" }))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.unwrap();
    let key = created["key"].as_str().unwrap().to_string();
    assert!(key.starts_with("kg_"));
    let id = created["api_key"]["id"].as_i64().unwrap();
    let listed: Value = admin.get("/api/v1/api-keys").await.json().await.unwrap();
    assert!(!listed.to_string().contains(&key));
    assert_eq!(listed[0]["prefix"], key[..10]);

    // The caller is another application: no cookie, no CSRF token.
    let app = reqwest::Client::builder()
        .tls_backend_preconfigured(tls_config(&server.cert))
        .build()
        .unwrap();
    let verify = |auth: Option<String>, body: Value| {
        let mut request = app.post(admin.url("/api/v1/verify")).json(&body);
        if let Some(auth) = auth {
            request = request.header("Authorization", auth);
        }
        request.send()
    };
    let bearer = Some(format!("Bearer {key}"));
    let code = totp_at(&frank_uri, now() + 30);

    let r = verify(None, json!({ "username": "frank", "token": code }))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = verify(
        Some("Bearer kg_wrong".into()),
        json!({ "username": "frank", "token": code }),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    let r = verify(
        bearer.clone(),
        json!({ "username": "frank", "token": code }),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap(), json!({ "ok": true }));

    // The same code again: a replay, refused.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let r = verify(
        bearer.clone(),
        json!({ "username": "frank", "token": code }),
    )
    .await
    .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap(), json!({ "ok": false }));
    // Now throttled (one failure): 429, as at sign-in... unless the second ticked over.
    let r = verify(
        bearer.clone(),
        json!({ "username": "frank", "token": "000000" }),
    )
    .await
    .unwrap();
    assert!(
        r.status() == StatusCode::TOO_MANY_REQUESTS || r.status() == StatusCode::OK,
        "{}",
        r.status()
    );
    // Unknown users are just "no".
    let r = verify(
        bearer.clone(),
        json!({ "username": "nobody", "token": "123456" }),
    )
    .await
    .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap(), json!({ "ok": false }));
    // Another user's code does not verify Frank.
    tokio::time::sleep(std::time::Duration::from_millis(4200)).await;
    let admin_code = totp_at(&uri, now() + 30);
    let r = verify(
        bearer.clone(),
        json!({ "username": "frank", "token": admin_code }),
    )
    .await
    .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap(), json!({ "ok": false }));

    let log: Value = admin
        .get("/api/v1/audit?action=verify")
        .await
        .json()
        .await
        .unwrap();
    assert!(log["total"].as_i64().unwrap() >= 4, "{log}");
    assert!(log.to_string().contains("verify.replayed"), "{log}");
    assert!(log.to_string().contains("api-key:wiki"), "{log}");

    // Revoked: refused.
    assert_eq!(
        admin
            .delete(&format!("/api/v1/api-keys/{id}"))
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    let r = verify(bearer, json!({ "username": "frank", "token": code }))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}
