//! The admin console's client side: the embedded Keygate server (started on 127.0.0.1 with its
//! own certificate, SQLite file and a master key kept in the OS keyring) or a remote one, and an
//! HTTPS client of the server's JSON API (`/api/v1/`) with one typed method per operation the
//! console offers. Every rule (2FA, throttling, who may do what) is the server's; this module
//! only carries requests and keeps the session cookie.

mod client;

use std::path::{Path, PathBuf};

use keygate_server::api::{
    AddDeviceRequest, AuditPage, AuditQuery, BackupCodes, CodeRequest, CreateUserRequest, Device,
    DeviceCreated, DeviceKind, Enrollment, LoginRequest, Me, Next, SessionEntry, SignInStep,
    TwoFactorReset, UpdateUserRequest, User, UserPage,
};
use keygate_server::crypto::MasterKey;
use keygate_server::{KeySource, Running, ServeConfig, TlsMode};
use reqwest::Method;
use serde::Serialize;
use zeroize::Zeroizing;

use self::client::ServerClient;
pub use self::client::{parse_fingerprint, Trust};
use crate::app::AccountView;
use crate::error::DesktopError;

/// The name of the embedded server's master key among the vault's application secrets.
pub const EMBEDDED_KEY_NAME: &str = "embedded-server-key";
/// Length of that key in bytes.
pub const EMBEDDED_KEY_LEN: usize = 32;

/// The embedded server: its handle and database.
struct Embedded {
    running: Running,
    db: PathBuf,
    fingerprint: String,
}

/// What the Console view shows about the connection.
#[derive(Debug, Clone, Serialize)]
pub struct ConsoleStatus {
    /// Connected to a server (embedded or remote).
    pub connected: bool,
    /// Its base URL.
    pub url: Option<String>,
    /// Whether it is the embedded server.
    pub embedded: bool,
    /// The embedded server's certificate fingerprint.
    pub fingerprint: Option<String>,
    /// The embedded server has no user yet: the app offers to create the first admin.
    pub needs_first_admin: bool,
    /// The signed-in user (both factors), if any.
    pub user: Option<User>,
}

/// The console's connection: at most one server at a time.
#[derive(Default)]
pub struct Console {
    embedded: Option<Embedded>,
    client: Option<ServerClient>,
    /// Who is signing in, to find their code in the authenticator.
    username: Option<String>,
    /// The issuer the server puts in its otpauth links (learnt at setup), likewise.
    issuer: Option<String>,
    /// The otpauth link of the device being enrolled at sign-in: kept here, not in the webview.
    enrolment: Option<Zeroizing<String>>,
}

impl Console {
    /// Starts the embedded server (once) on 127.0.0.1 with a self-signed certificate and its
    /// SQLite file under `data_dir/server`, and connects to it with that certificate pinned.
    pub async fn start_embedded(
        &mut self,
        data_dir: &Path,
        master_key: MasterKey,
    ) -> Result<ConsoleStatus, DesktopError> {
        if self.embedded.is_none() {
            self.disconnect().await;
            let mut config = ServeConfig::new(data_dir.join("server"));
            config.bind = "127.0.0.1:0".parse().expect("a literal address");
            config.tls = TlsMode::SelfSigned;
            config.key_source = KeySource::Provided(master_key);
            let db = config.db.clone();
            let running = keygate_server::start(config).await.map_err(|e| {
                DesktopError::Console(format!("the embedded server did not start: {e}"))
            })?;
            let fingerprint = running
                .tls
                .as_ref()
                .map(|tls| tls.fingerprint.clone())
                .ok_or_else(|| DesktopError::Console("the embedded server has no TLS".into()))?;
            let client = ServerClient::new(
                &running.url(),
                &Trust::Pinned(parse_fingerprint(&fingerprint)?),
            )?;
            tracing::info!(url = %running.url(), "embedded server started");
            self.client = Some(client);
            self.embedded = Some(Embedded {
                running,
                db,
                fingerprint,
            });
        }
        self.status().await
    }

    /// Connects to a remote server; `fingerprint` pins a self-signed certificate, otherwise the
    /// system's trust store decides. The server is asked for a CSRF token at once, so a wrong
    /// URL or certificate fails here.
    pub async fn connect(
        &mut self,
        url: &str,
        fingerprint: Option<&str>,
    ) -> Result<ConsoleStatus, DesktopError> {
        let trust = match fingerprint.map(str::trim).filter(|f| !f.is_empty()) {
            Some(text) => Trust::Pinned(parse_fingerprint(text)?),
            None => Trust::System,
        };
        let client = ServerClient::new(url, &trust)?;
        client.csrf_token().await?;
        self.disconnect().await;
        self.client = Some(client);
        self.status().await
    }

    /// Signs out (best effort), stops the embedded server if it runs, and forgets the server.
    pub async fn disconnect(&mut self) {
        if let Some(client) = self.client.take() {
            let _: Result<(), _> = client.act(Method::POST, "/api/v1/auth/logout").await;
        }
        self.username = None;
        if let Some(embedded) = self.embedded.take() {
            embedded.running.shutdown().await;
        }
    }

    fn client(&self) -> Result<&ServerClient, DesktopError> {
        self.client.as_ref().ok_or(DesktopError::NotConnected)
    }

    /// The connection and who is signed in.
    pub async fn status(&self) -> Result<ConsoleStatus, DesktopError> {
        let Some(client) = &self.client else {
            return Ok(ConsoleStatus {
                connected: false,
                url: None,
                embedded: false,
                fingerprint: None,
                needs_first_admin: false,
                user: None,
            });
        };
        let user = match client.get::<Me>("/api/v1/me", &[]).await {
            Ok(me) => Some(me.user),
            Err(DesktopError::Server { status: 401, .. }) => None,
            Err(err) => return Err(err),
        };
        let needs_first_admin = match &self.embedded {
            Some(embedded) if user.is_none() => {
                let db = embedded.db.clone();
                tokio::task::spawn_blocking(move || count_users(&db))
                    .await
                    .map_err(|e| DesktopError::Console(e.to_string()))??
                    == 0
            }
            _ => false,
        };
        Ok(ConsoleStatus {
            connected: true,
            url: Some(client.url()),
            embedded: self.embedded.is_some(),
            fingerprint: self.embedded.as_ref().map(|e| e.fingerprint.clone()),
            needs_first_admin,
            user,
        })
    }

    /// Creates the first superuser of the embedded server; refused once it has any user (from
    /// then on admins create users through the console, with 2FA).
    pub async fn create_first_admin(
        &self,
        username: &str,
        email: &str,
        password: Zeroizing<String>,
    ) -> Result<(), DesktopError> {
        let embedded = self.embedded.as_ref().ok_or_else(|| {
            DesktopError::Console("only the embedded server's first admin is created here".into())
        })?;
        let db = embedded.db.clone();
        let request = CreateUserRequest {
            username: username.trim().to_string(),
            email: email.trim().to_string(),
            password,
            display_name: String::new(),
            is_staff: true,
            is_superuser: true,
        };
        tokio::task::spawn_blocking(move || {
            if count_users(&db)? != 0 {
                return Err(DesktopError::Console(
                    "the embedded server already has users: sign in instead".into(),
                ));
            }
            let store = keygate_server::admin::open_store(&db).map_err(server_error)?;
            keygate_server::admin::create_user(&store, &request).map_err(server_error)?;
            Ok(())
        })
        .await
        .map_err(|e| DesktopError::Console(e.to_string()))?
    }

    /// Step one: the password. Returns the next step: a code ([`Next::Otp`]) or the enrolment
    /// of a first device ([`Next::Setup`]).
    pub async fn login(
        &mut self,
        username: &str,
        password: Zeroizing<String>,
    ) -> Result<Next, DesktopError> {
        let client = self.client()?;
        let body = LoginRequest {
            username: username.trim().to_string(),
            password,
        };
        let answer = client
            .send(Method::POST, "/api/v1/auth/login", Some(&body))
            .await?;
        let next = take_new_session(client, answer);
        self.username = Some(username.trim().to_string());
        Ok(next)
    }

    /// Step two: a code from the user's device. Returns [`Next::Done`].
    pub async fn verify_code(&self, token: &str) -> Result<Next, DesktopError> {
        let client = self.client()?;
        let answer = client
            .send(Method::POST, "/api/v1/auth/otp", Some(&code(token)))
            .await?;
        Ok(take_new_session(client, answer))
    }

    /// Step two for a user without a device: a new TOTP device to enrol. Its otpauth link stays
    /// here (see [`Self::enrolment_link`]); the answer carries only its QR picture.
    pub async fn begin_setup(&mut self) -> Result<Setup, DesktopError> {
        let answer: Enrollment = self
            .client()?
            .act(Method::POST, "/api/v1/auth/setup")
            .await?;
        if let Ok(account) = keygate_otp::uri::parse(&answer.otpauth_uri) {
            self.issuer = account.issuer.clone();
        }
        self.enrolment = Some(answer.otpauth_uri);
        Ok(Setup {
            device_id: answer.device_id,
            qr_svg: answer.qr_svg,
        })
    }

    /// The otpauth link of the device being enrolled at sign-in, to add it to the app's own
    /// authenticator.
    pub fn enrolment_link(&self) -> Option<&str> {
        self.enrolment.as_deref().map(String::as_str)
    }

    /// Confirms the enrolled device with its first code. Returns [`Next::Done`].
    pub async fn confirm_setup(&self, token: &str) -> Result<Next, DesktopError> {
        let client = self.client()?;
        let answer = client
            .send(
                Method::POST,
                "/api/v1/auth/setup/confirm",
                Some(&code(token)),
            )
            .await?;
        Ok(take_new_session(client, answer))
    }

    /// Signs out of the server (the connection stays).
    pub async fn logout(&self) -> Result<(), DesktopError> {
        let client = self.client()?;
        client
            .send::<(), ()>(Method::POST, "/api/v1/auth/logout", None)
            .await?;
        client.set_csrf(None);
        Ok(())
    }

    // The operations of a signed-in admin: one method per API call the console makes; the
    // server decides what the admin may do.

    /// One page (1 first) of the users whose name or email contains `query`.
    pub async fn list_users(&self, query: &str, page: u32) -> Result<UserPage, DesktopError> {
        let query = [
            ("query", query.trim().to_string()),
            ("page", page.max(1).to_string()),
        ];
        self.client()?.get("/api/v1/users", &query).await
    }

    /// Creates a user.
    pub async fn create_user(&self, user: &CreateUserRequest) -> Result<User, DesktopError> {
        self.client()?
            .send(Method::POST, "/api/v1/users", Some(user))
            .await
    }

    /// Activates or deactivates a user.
    pub async fn set_user_active(&self, user_id: i64, active: bool) -> Result<User, DesktopError> {
        let patch = UpdateUserRequest {
            is_active: Some(active),
            ..UpdateUserRequest::default()
        };
        self.client()?
            .send(
                Method::PATCH,
                &format!("/api/v1/users/{user_id}"),
                Some(&patch),
            )
            .await
    }

    /// Removes every device of a user and ends their sessions.
    pub async fn reset_2fa(&self, user_id: i64) -> Result<TwoFactorReset, DesktopError> {
        self.client()?
            .act(Method::POST, &format!("/api/v1/users/{user_id}/reset-2fa"))
            .await
    }

    /// A user's devices.
    pub async fn list_devices(&self, user_id: i64) -> Result<Vec<Device>, DesktopError> {
        self.client()?
            .get(&format!("/api/v1/users/{user_id}/devices"), &[])
            .await
    }

    /// Adds a device to a user: unconfirmed (TOTP, HOTP, email) until a code from it is
    /// entered, or a set of backup codes. The answer holds the device's secret (its otpauth
    /// link): the webview gets [`for_webview`] of it.
    pub async fn add_device(
        &self,
        user_id: i64,
        kind: DeviceKind,
        name: &str,
    ) -> Result<DeviceCreated, DesktopError> {
        let body = AddDeviceRequest {
            kind,
            name: name.trim().to_string(),
        };
        self.client()?
            .send(
                Method::POST,
                &format!("/api/v1/users/{user_id}/devices"),
                Some(&body),
            )
            .await
    }

    /// Confirms a new device with a code from it.
    pub async fn confirm_device(
        &self,
        device_id: i64,
        token: &str,
    ) -> Result<Device, DesktopError> {
        self.client()?
            .send(
                Method::POST,
                &format!("/api/v1/devices/{device_id}/confirm"),
                Some(&code(token)),
            )
            .await
    }

    /// Removes a device (and the sessions it verified).
    pub async fn delete_device(&self, device_id: i64) -> Result<(), DesktopError> {
        self.client()?
            .act(Method::DELETE, &format!("/api/v1/devices/{device_id}"))
            .await
    }

    /// A new set of backup codes for a backup code device (the old ones stop working).
    pub async fn regenerate_codes(&self, device_id: i64) -> Result<BackupCodes, DesktopError> {
        self.client()?
            .act(
                Method::POST,
                &format!("/api/v1/devices/{device_id}/regenerate"),
            )
            .await
    }

    /// A user's sessions, each marked whether it is this client's.
    pub async fn list_sessions(&self, user_id: i64) -> Result<Vec<SessionEntry>, DesktopError> {
        self.client()?
            .get(&format!("/api/v1/users/{user_id}/sessions"), &[])
            .await
    }

    /// Ends a session (the admin's own too: then they are signed out).
    pub async fn revoke_session(&self, session_id: i64) -> Result<(), DesktopError> {
        self.client()?
            .act(Method::DELETE, &format!("/api/v1/sessions/{session_id}"))
            .await
    }

    /// One page of the audit log, filtered (a blank filter matches everything).
    pub async fn audit(&self, filter: &AuditQuery) -> Result<AuditPage, DesktopError> {
        let mut query = vec![("page", filter.page.unwrap_or(1).max(1).to_string())];
        for (name, value) in [
            ("actor", &filter.actor),
            ("action", &filter.action),
            ("target", &filter.target),
        ] {
            if let Some(value) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                query.push((name, value.to_string()));
            }
        }
        self.client()?.get("/api/v1/audit", &query).await
    }

    /// Who is signing in and the issuer their device carries, to find their code in the
    /// authenticator.
    pub fn signing_in(&self) -> Option<(String, Option<String>)> {
        self.username
            .clone()
            .map(|user| (user, self.issuer.clone()))
    }
}

/// A rotated session's answer: keep its CSRF token, return its next step.
fn take_new_session(client: &ServerClient, answer: SignInStep) -> Next {
    client.set_csrf(Some(answer.csrf_token));
    answer.next
}

/// A code as the API takes it, without the spaces around it.
fn code(token: &str) -> CodeRequest {
    CodeRequest {
        token: Zeroizing::new(token.trim().to_string()),
    }
}

/// A first device to enrol at sign-in, as the webview sees it: its QR picture only.
#[derive(Debug, Clone, Serialize)]
pub struct Setup {
    /// The new device's id.
    pub device_id: i64,
    /// Its otpauth link as an SVG QR code, for a person to scan.
    pub qr_svg: String,
}

/// A new device as the webview sees it: the QR picture a person scans, never the otpauth link
/// in text form.
#[derive(Debug, Clone, Serialize)]
pub struct NewDeviceView {
    /// The device.
    pub device: Device,
    /// TOTP and HOTP: the QR code to scan.
    pub qr_svg: Option<String>,
    /// Backup codes: the codes, shown once.
    pub backup_codes: Option<Vec<Zeroizing<String>>>,
}

/// What the webview may see of a device just added.
pub fn for_webview(created: DeviceCreated) -> NewDeviceView {
    NewDeviceView {
        device: created.device,
        qr_svg: created.qr_svg,
        backup_codes: created.backup_codes,
    }
}

fn count_users(db: &Path) -> Result<i64, DesktopError> {
    let store = keygate_server::admin::open_store(db).map_err(server_error)?;
    use keygate_server::store::Store;
    let mut tx = store.read().map_err(server_error)?;
    Ok(tx.list_users("", 0, 1).map_err(server_error)?.total)
}

fn server_error(err: keygate_server::Error) -> DesktopError {
    match err {
        keygate_server::Error::BadRequest(m) | keygate_server::Error::Conflict(m) => {
            DesktopError::Console(m)
        }
        other => DesktopError::Console(other.to_string()),
    }
}

/// Picks the account named `username` (the issuer breaks ties) and returns its current code.
pub fn own_code(accounts: &[AccountView], username: &str, issuer: Option<&str>) -> Option<String> {
    let named: Vec<&AccountView> = accounts
        .iter()
        .filter(|a| a.code.is_some() && a.name.eq_ignore_ascii_case(username))
        .collect();
    let pick = match named.as_slice() {
        [one] => Some(*one),
        many => many.iter().copied().find(|a| {
            issuer.is_some_and(|i| {
                a.issuer
                    .as_deref()
                    .is_some_and(|ai| ai.eq_ignore_ascii_case(i))
            })
        }),
    };
    pick.and_then(|a| a.code.clone())
}

/// The embedded server's master key from the vault's application secrets.
pub fn master_key_from(secret: &keygate_otp::Secret) -> Result<MasterKey, DesktopError> {
    let bytes: [u8; EMBEDDED_KEY_LEN] = secret.expose().try_into().map_err(|_| {
        DesktopError::Console("the embedded server's key in the keyring is damaged".into())
    })?;
    Ok(MasterKey::from_bytes(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_webview_gets_no_otpauth_link() {
        let created = DeviceCreated {
            id: 3,
            device: Device {
                id: 3,
                user_id: 1,
                kind: DeviceKind::Totp,
                name: "phone".into(),
                confirmed: false,
                created_at: 0,
                last_used_at: None,
                remaining_codes: None,
            },
            otpauth_uri: Some(Zeroizing::new("otpauth://totp/x?secret=ABC".into())),
            qr_svg: Some("<svg/>".into()),
            backup_codes: None,
        };
        let shown = serde_json::to_value(for_webview(created)).unwrap();
        assert_eq!(shown["qr_svg"], "<svg/>");
        assert_eq!(shown["device"]["kind"], "totp");
        assert!(
            !shown.to_string().contains("otpauth"),
            "the link leaked: {shown}"
        );
        let setup = serde_json::to_value(Setup {
            device_id: 3,
            qr_svg: "<svg/>".into(),
        })
        .unwrap();
        assert_eq!(
            setup,
            serde_json::json!({"device_id": 3, "qr_svg": "<svg/>"})
        );
    }
}
