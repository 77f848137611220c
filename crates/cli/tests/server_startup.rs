//! Start-up behaviour: the fingerprint on stdout, the HTTP→HTTPS redirect listener, refusing
//! plain HTTP on a public address, and `check-deploy`'s exit status.

mod common;

use common::*;
use reqwest::StatusCode;
use sha2::{Digest, Sha256};

#[tokio::test]
async fn the_printed_fingerprint_is_the_served_certificate() {
    let server = Server::start();
    let stdout = server.stdout.lock().unwrap().clone();
    let printed = stdout
        .lines()
        .find_map(|l| l.strip_prefix("keygate: certificate sha256 "))
        .expect("fingerprint printed")
        .to_string();
    let pem = std::fs::read(&server.cert).unwrap();
    use rustls::pki_types::pem::PemObject;
    let der = rustls::pki_types::CertificateDer::from_pem_slice(&pem).unwrap();
    let expected: Vec<String> = Sha256::digest(&der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect();
    assert_eq!(printed, expected.join(":"));
    // And the client that trusts exactly that certificate talks to the server.
    assert_eq!(
        server.client().get("/api/v1/auth/csrf").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn plain_http_visitors_are_redirected_to_https() {
    let server = Server::start_with(Options {
        args: vec!["--redirect-http".into(), "127.0.0.1:0".into()],
        ..Options::default()
    });
    let http_addr = {
        let mut found = None;
        for _ in 0..100 {
            found = server.stdout.lock().unwrap().lines().find_map(|l| {
                l.strip_prefix("keygate: redirecting http://")
                    .map(|rest| rest.trim_end_matches(" to HTTPS").to_string())
            });
            if found.is_some() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        found.expect("redirect address printed")
    };
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
    let port = server.host_port().rsplit_once(':').unwrap().1.to_string();
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

#[test]
fn plain_http_is_refused_on_a_public_address() {
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(BIN)
        .args(["serve", "--plain-http", "--bind", "0.0.0.0:0", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("needs TLS"), "{stderr}");
}

#[test]
fn check_deploy_fails_on_development_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(BIN)
        .args(["check", "--deploy", "--data-dir"])
        .arg(dir.path())
        .env_remove("KEYGATE_SECRET_KEY_FILE")
        .env_remove("KEYGATE_SECRET_KEY")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("tls.self_signed"), "{stdout}");
    assert!(stdout.contains("key.development"), "{stdout}");
}
