//! Enrolment material for authenticator apps: the otpauth URI and its QR code as SVG.

use keygate_otp::{uri, Account, Kind, Secret};
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::store::Device;

/// The otpauth URI of a TOTP or HOTP device (contains the secret: show it once, never log it).
pub(crate) fn otpauth_uri(
    device: &Device,
    secret: &Secret,
    issuer: &str,
    account_name: &str,
) -> Result<Zeroizing<String>> {
    let kind = match device.kind {
        crate::store::DeviceKind::Totp => Kind::Totp,
        crate::store::DeviceKind::Hotp => Kind::Hotp,
        _ => {
            return Err(Error::Internal(
                "only TOTP and HOTP devices have a URI".into(),
            ))
        }
    };
    let account = Account::new(
        kind,
        secret.clone(),
        Some(issuer.to_string()),
        account_name,
        device.algorithm,
        device.digits,
        device.step,
        device.counter,
    )?;
    Ok(Zeroizing::new(uri::emit(&account)))
}

/// The QR code of `text` as an inline SVG element (no XML prolog, no style attributes, so it
/// can sit in a page under a strict CSP).
pub(crate) fn svg(text: &str) -> Result<String> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| Error::Internal(format!("QR encoding failed: {e}")))?;
    let image = code
        .render::<svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    let start = image.find("<svg").unwrap_or(0);
    Ok(image[start..].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::DeviceKind;

    #[test]
    fn uri_round_trips_through_the_engine() {
        let device = Device::new(1, DeviceKind::Totp, "phone".into(), 0);
        let secret = Secret::from_bytes(b"12345678901234567890".to_vec());
        let text = otpauth_uri(&device, &secret, "Keygate", "alice").unwrap();
        let account = uri::parse(&text).unwrap();
        assert_eq!(account.secret, secret);
        assert_eq!(account.issuer.as_deref(), Some("Keygate"));
        assert_eq!(account.name, "alice");
        let hotp = Device::new(1, DeviceKind::Hotp, "token".into(), 0);
        let text = otpauth_uri(&hotp, &secret, "Keygate", "alice").unwrap();
        assert!(text.starts_with("otpauth://hotp/"));
        assert!(text.contains("counter=0"));
    }

    #[test]
    fn svg_is_inline_and_style_free() {
        let image = svg("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP").unwrap();
        assert!(image.starts_with("<svg"));
        assert!(image.ends_with("</svg>"));
        assert!(!image.contains("style"));
        assert!(!image.contains("<?xml"));
    }
}
