//! The HTTP→HTTPS redirect listener. The printed start-up lines, the refusal of plain HTTP on
//! a public address and `check --deploy` are about the `keygate` process: see
//! tests/cli_serve.rs.

mod common;

use common::*;
use reqwest::StatusCode;

#[tokio::test]
async fn plain_http_visitors_are_redirected_to_https() {
    let server = Server::start_with(Options {
        redirect_http: true,
        ..Options::default()
    })
    .await;
    let http_addr = server.running.redirect_addr.expect("redirect listener");
    let plain = reqwest::Client::builder()
        .tls_backend_preconfigured(tls_config(&server.cert))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = plain
        .get(format!("http://{http_addr}/api/v1/me?x=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::MOVED_PERMANENTLY);
    let port = server.port();
    assert_eq!(
        response.headers()["location"],
        format!("https://127.0.0.1:{port}/api/v1/me?x=1").as_str()
    );
    let response = plain
        .get(format!("http://{http_addr}/"))
        .header("Host", "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}
