//! Second-factor devices under `/api/v1/users/{id}/devices` and `/api/v1/devices/`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zeroize::Zeroizing;

use super::{DeviceKind, REDACTED};

/// A device as clients see it (no secret, no state).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Device {
    /// Id.
    pub id: i64,
    /// Owner.
    pub user_id: i64,
    /// Kind.
    pub kind: DeviceKind,
    /// Name chosen by the user.
    pub name: String,
    /// Usable for sign-in (a correct code was entered once).
    pub confirmed: bool,
    /// Creation time.
    pub created_at: i64,
    /// Last successful use.
    #[schema(required = true)]
    pub last_used_at: Option<i64>,
    /// Unused backup codes (backup-code devices only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining_codes: Option<u64>,
}

/// `POST /api/v1/users/{id}/devices`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AddDeviceRequest {
    /// Kind (`email` only when the server sends mail).
    pub kind: DeviceKind,
    /// Name.
    pub name: String,
}

/// `201` of `POST /api/v1/users/{id}/devices`: the device and what is shown only once.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct DeviceCreated {
    /// The device's id.
    pub id: i64,
    /// The device.
    pub device: Device,
    /// TOTP/HOTP: the `otpauth://` URI (it carries the secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub otpauth_uri: Option<Zeroizing<String>>,
    /// TOTP/HOTP: the URI as an inline SVG QR code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qr_svg: Option<String>,
    /// Backup codes: the ten codes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<String>>)]
    pub backup_codes: Option<Vec<Zeroizing<String>>>,
}

impl std::fmt::Debug for DeviceCreated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceCreated")
            .field("id", &self.id)
            .field("device", &self.device)
            .field("otpauth_uri", &self.otpauth_uri.as_ref().map(|_| REDACTED))
            .field(
                "backup_codes",
                &self.backup_codes.as_ref().map(|_| REDACTED),
            )
            .finish_non_exhaustive()
    }
}

/// The answer to `POST /api/v1/devices/{id}/regenerate`: ten new backup codes, shown once.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct BackupCodes {
    /// The codes.
    #[schema(value_type = Vec<String>)]
    pub backup_codes: Vec<Zeroizing<String>>,
}

impl std::fmt::Debug for BackupCodes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackupCodes")
            .field("backup_codes", &REDACTED)
            .finish()
    }
}
