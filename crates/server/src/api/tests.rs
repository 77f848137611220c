use serde_json::json;
use zeroize::Zeroizing;

use super::*;

#[test]
fn requests_read_what_clients_send_with_defaults() {
    let body: ChangePasswordRequest =
        serde_json::from_value(json!({"current_password": "a", "new_password": "b"})).unwrap();
    assert_eq!(body.current_password.as_str(), "a");
    assert!(!body.end_other_sessions);
    let body: CreateUserRequest = serde_json::from_value(
        json!({"username": "alice", "email": "a@example.com", "password": "pw"}),
    )
    .unwrap();
    assert_eq!(body.display_name, "");
    assert!(!body.is_staff && !body.is_superuser);
    let patch: UpdateUserRequest = serde_json::from_value(json!({"is_active": false})).unwrap();
    assert_eq!(
        patch,
        UpdateUserRequest {
            is_active: Some(false),
            ..Default::default()
        }
    );
    let query: UserQuery = serde_json::from_value(json!({})).unwrap();
    assert_eq!(query, UserQuery::default());
    let device: AddDeviceRequest =
        serde_json::from_value(json!({"kind": "static", "name": "paper"})).unwrap();
    assert_eq!(device.kind, DeviceKind::Static);
    assert!(
        serde_json::from_value::<AddDeviceRequest>(json!({"kind": "sms", "name": "x"})).is_err()
    );
}

#[test]
fn session_entries_are_flat_with_a_current_flag() {
    let session = Session {
        id: 3,
        user_id: 1,
        device_id: None,
        verified: true,
        created_at: 10,
        last_seen: 11,
        password_at: 10,
        ip: "127.0.0.1".into(),
        user_agent: "test".into(),
    };
    let entry = SessionEntry {
        session,
        current: true,
    };
    let value = serde_json::to_value(&entry).unwrap();
    assert_eq!(value["id"], 3);
    assert_eq!(value["current"], true);
    assert!(value.get("session").is_none());
    let back: SessionEntry = serde_json::from_value(value).unwrap();
    assert_eq!(back, entry);
}

#[test]
fn optional_enrolment_material_is_left_out_when_absent() {
    let device = Device {
        id: 1,
        user_id: 1,
        kind: DeviceKind::Email,
        name: "mail".into(),
        confirmed: false,
        created_at: 0,
        last_used_at: None,
        remaining_codes: None,
    };
    let created = DeviceCreated {
        id: 1,
        device,
        otpauth_uri: None,
        qr_svg: None,
        backup_codes: None,
    };
    let value = serde_json::to_value(&created).unwrap();
    let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["device", "id"]);
    assert!(value["device"].get("remaining_codes").is_none());
    assert_eq!(value["device"]["last_used_at"], serde_json::Value::Null);
    assert_eq!(value["device"]["kind"], "email");
}

#[test]
fn debug_output_never_shows_a_secret() {
    let secret = "s3cret-value";
    let shown = [
        format!(
            "{:?}",
            LoginRequest {
                username: "alice".into(),
                password: Zeroizing::new(secret.into()),
            }
        ),
        format!(
            "{:?}",
            CodeRequest {
                token: Zeroizing::new(secret.into())
            }
        ),
        format!(
            "{:?}",
            VerifyRequest {
                username: "alice".into(),
                token: Zeroizing::new(secret.into()),
            }
        ),
        format!(
            "{:?}",
            ChangePasswordRequest {
                current_password: Zeroizing::new(secret.into()),
                new_password: Zeroizing::new(secret.into()),
                end_other_sessions: true,
            }
        ),
        format!(
            "{:?}",
            CreateUserRequest {
                username: "alice".into(),
                email: "a@example.com".into(),
                password: Zeroizing::new(secret.into()),
                display_name: String::new(),
                is_staff: false,
                is_superuser: false,
            }
        ),
        format!(
            "{:?}",
            Enrollment {
                device_id: 1,
                otpauth_uri: Zeroizing::new(secret.into()),
                qr_svg: secret.into(),
            }
        ),
        format!(
            "{:?}",
            BackupCodes {
                backup_codes: vec![Zeroizing::new(secret.into())]
            }
        ),
        format!(
            "{:?}",
            CsrfToken {
                token: secret.into()
            }
        ),
        format!(
            "{:?}",
            SignInStep {
                next: Next::Done,
                csrf_token: secret.into(),
                notices: Vec::new(),
            }
        ),
    ];
    for text in shown {
        assert!(!text.contains(secret), "{text}");
        assert!(text.contains(REDACTED), "{text}");
    }
}
