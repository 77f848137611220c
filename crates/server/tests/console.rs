//! The HTML console through plain form posts, as a browser without JavaScript would.

mod common;

use common::*;
use reqwest::StatusCode;

/// Posts a form with the CSRF token in its `csrf_token` field.
async fn form(client: &Client, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let token = client.csrf().await;
    let mut all: Vec<(&str, &str)> = fields.to_vec();
    all.push(("csrf_token", &token));
    client
        .http
        .post(client.url(path))
        .form(&all)
        .send()
        .await
        .unwrap()
}

fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_string()
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("{start} not in page"))
        + start.len();
    let to = text[from..].find(end).unwrap() + from;
    &text[from..to]
}

#[tokio::test]
async fn sign_in_set_up_and_manage_through_the_console() {
    let server = Server::start().await;
    server.create_user("admin", true);
    let browser = server.client();

    let page = browser.get("/").await;
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&page), "/login");

    let page = browser.get("/login").await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = page.text().await.unwrap();
    let embedded = between(&html, "name=\"csrf_token\" value=\"", "\"").to_string();
    assert_eq!(
        embedded,
        browser.csrf().await,
        "the form carries the cookie's token"
    );

    // A wrong password re-renders the form with the generic message.
    let r = form(
        &browser,
        "/login",
        &[("username", "admin"), ("password", "nope nope nope")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Invalid username or password."));
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;

    // As a browser posts it under Referrer-Policy: no-referrer.
    let r = browser
        .http
        .post(browser.url("/login"))
        .header("Origin", "null")
        .header("Sec-Fetch-Site", "same-origin")
        .form(&[
            ("username", "admin"),
            ("password", PASSWORD),
            ("csrf_token", embedded.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/login/setup");

    // Setup shows the QR code and the key; reloading shows the same key.
    let html = browser.get("/login/setup").await.text().await.unwrap();
    assert!(html.contains("<svg"));
    let key = between(&html, "<code>", "</code>").to_string();
    let again = browser.get("/login/setup").await.text().await.unwrap();
    assert_eq!(between(&again, "<code>", "</code>"), key);
    let secret = keygate_otp::Secret::from_base32(&key).unwrap();
    let account = keygate_otp::Account::totp(secret, None, "admin").unwrap();
    // A wrong code re-renders setup; an immediate retry is throttled and says when to retry.
    let wrong = if account.code_at(now()).unwrap() == "000000" {
        "111111"
    } else {
        "000000"
    };
    let r = form(&browser, "/login/setup", &[("token", wrong)]).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = form(&browser, "/login/setup", &[("token", wrong)]).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.headers()["retry-after"], "1");
    assert!(r.text().await.unwrap().contains("Too many attempts"));
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let code = account.code_at(now()).unwrap();
    let r = form(&browser, "/login/setup", &[("token", &code)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/");

    let page = browser.get("/").await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()["cache-control"], "no-store");
    let html = page.text().await.unwrap();
    assert!(html.contains("Authenticator app"), "{html}");
    assert!(!html.contains(&key), "the key is shown again after setup");

    // Users: create one, find it, give it backup codes.
    let r = form(
        &browser,
        "/users",
        &[
            ("username", "grace"),
            ("email", "grace@example.com"),
            ("password", PASSWORD),
            ("is_staff", "on"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let grace_page = location(&r);
    assert!(grace_page.starts_with("/users/2"), "{grace_page}");
    let html = browser.get("/users?query=gra").await.text().await.unwrap();
    assert!(html.contains("grace@example.com"));
    assert!(!html.contains("admin@example.com"));
    let r = form(
        &browser,
        "/users/2/devices",
        &[("kind", "static"), ("name", "paper")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert_eq!(html.matches("<li><code>").count(), 10, "{html}");
    let html = browser.get("/users/2").await.text().await.unwrap();
    assert!(html.contains("10 left"), "{html}");

    // Reset Grace's 2FA and deactivate her.
    let r = form(&browser, "/users/2/reset-2fa", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = browser.get("/users/2").await.text().await.unwrap();
    assert!(html.contains("No devices."));
    let r = form(&browser, "/users/2/active", &[("active", "false")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = browser.get("/users/2").await.text().await.unwrap();
    assert!(html.contains("deactivated"));

    // Audit log with a filter; API keys shown once.
    let html = browser
        .get("/audit?action=user.")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("user.created") && html.contains("user.2fa_reset"));
    assert!(!html.contains("login.password.ok"));
    let r = form(&browser, "/api-keys", &[("name", "wiki")]).await;
    let html = r.text().await.unwrap();
    let api_key = between(&html, "<code class=\"secret\">", "</code>").to_string();
    assert!(api_key.starts_with("kg_"));
    let html = browser.get("/api-keys").await.text().await.unwrap();
    assert!(!html.contains(&api_key));

    // A form without its token is refused.
    let r = browser
        .http
        .post(browser.url("/api-keys"))
        .form(&[("name", "sneaky")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(r.text().await.unwrap().contains("CSRF check failed"));
    let r = browser.get("/no/such/page").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.text().await.unwrap().contains("<h1>404 Not Found</h1>"));

    // Sign out.
    let r = form(&browser, "/logout", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(browser.get("/").await.status(), StatusCode::SEE_OTHER);
}

const CONSOLE_ROUTES: &[(&str, &str)] = &[
    ("GET", "/"),
    ("POST", "/account/password"),
    ("POST", "/sessions/1/revoke"),
    ("GET", "/users"),
    ("POST", "/users"),
    ("GET", "/users/1"),
    ("POST", "/users/1/devices"),
    ("POST", "/users/1/reset-2fa"),
    ("POST", "/users/1/active"),
    ("POST", "/devices/1/confirm"),
    ("POST", "/devices/1/delete"),
    ("POST", "/devices/1/regenerate"),
    ("GET", "/audit"),
    ("GET", "/api-keys"),
    ("POST", "/api-keys"),
    ("POST", "/api-keys/1/revoke"),
];

#[tokio::test]
async fn no_console_page_before_the_second_factor() {
    let server = Server::start().await;
    let (admin, _) = signed_in_admin(&server, "admin").await;
    let half = server.client();
    let (_, body) = half.login("admin", PASSWORD).await;
    assert_eq!(body["next"], "otp");
    for (method, path) in CONSOLE_ROUTES {
        let response = if *method == "GET" {
            half.get(path).await
        } else {
            form(
                &half,
                path,
                &[
                    ("kind", "static"),
                    ("name", "x"),
                    ("username", "mallory"),
                    ("email", "m@example.com"),
                    ("password", PASSWORD),
                    ("active", "false"),
                    ("token", "123456"),
                    ("current_password", PASSWORD),
                    ("new_password", "another long password"),
                ],
            )
            .await
        };
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{method} {path}");
        assert_eq!(location(&response), "/login", "{method} {path}");
        assert!(response.headers().contains_key("content-security-policy"));
    }
    // The pre-auth session is sent on to the code step, and nothing changed.
    assert_eq!(location(&half.get("/login").await), "/login/otp");
    let users: serde_json::Value = admin.get("/api/v1/users").await.json().await.unwrap();
    assert_eq!(users["total"], 1);
    let keys: serde_json::Value = admin.get("/api/v1/api-keys").await.json().await.unwrap();
    assert_eq!(keys.as_array().unwrap().len(), 0);
}
