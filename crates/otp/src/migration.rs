//! Google Authenticator's export format: `otpauth-migration://offline?data=…`, where `data` is
//! a base64 protobuf `MigrationPayload`. A large export is split over several QR codes
//! ("batches") that share a batch id; [`join`] puts them back together.
//!
//! The format has no period field, so only 30-second TOTP and HOTP accounts with 6 or 8 digits
//! can travel through it; [`emit`] refuses anything else instead of silently changing it.

use std::collections::BTreeMap;
use std::fmt;

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use percent_encoding::{percent_decode_str, utf8_percent_encode, NON_ALPHANUMERIC};
use prost::Message;
use zeroize::{Zeroize, Zeroizing};

use crate::account::DEFAULT_PERIOD;
use crate::{Account, Algorithm, Error, Kind, Result, Secret};

/// Accounts per QR code in [`emit`]: Google Authenticator itself stays around this size so that
/// phone cameras can still read the code off a laptop screen.
pub const DEFAULT_BATCH_LIMIT: usize = 5;

const SCHEME: &str = "otpauth-migration://";

/// Longest account label quoted back in an error message.
const QUOTE_LIMIT: usize = 40;

/// Google writes standard padded base64; hand-copied links lose the padding and keep odd
/// trailing bits, which carry no information, so neither is worth refusing a link over.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// The protobuf message in the `data` parameter (Google's `MigrationPayload`).
#[derive(Clone, PartialEq, Message)]
struct MigrationPayload {
    #[prost(message, repeated, tag = "1")]
    otp_parameters: Vec<OtpParameters>,
    #[prost(int32, tag = "2")]
    version: i32,
    #[prost(int32, tag = "3")]
    batch_size: i32,
    #[prost(int32, tag = "4")]
    batch_index: i32,
    #[prost(int32, tag = "5")]
    batch_id: i32,
}

/// One account of a `MigrationPayload`. Debug is written by hand so the secret never shows.
#[derive(Clone, PartialEq, Message)]
#[prost(skip_debug)]
struct OtpParameters {
    #[prost(bytes = "vec", tag = "1")]
    secret: Vec<u8>,
    #[prost(string, tag = "2")]
    name: String,
    #[prost(string, tag = "3")]
    issuer: String,
    #[prost(enumeration = "OtpAlgorithm", tag = "4")]
    algorithm: i32,
    #[prost(enumeration = "DigitCount", tag = "5")]
    digits: i32,
    #[prost(enumeration = "OtpType", tag = "6")]
    r#type: i32,
    #[prost(int64, tag = "7")]
    counter: i64,
}

impl fmt::Debug for OtpParameters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OtpParameters")
            .field(
                "secret",
                &format_args!("[redacted; {} bytes]", self.secret.len()),
            )
            .field("name", &self.name)
            .field("issuer", &self.issuer)
            .field("algorithm", &self.algorithm)
            .field("digits", &self.digits)
            .field("type", &self.r#type)
            .field("counter", &self.counter)
            .finish()
    }
}

impl Drop for OtpParameters {
    fn drop(&mut self) {
        self.secret.zeroize();
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
enum OtpAlgorithm {
    Unspecified = 0,
    Sha1 = 1,
    Sha256 = 2,
    Sha512 = 3,
    Md5 = 4,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
enum DigitCount {
    Unspecified = 0,
    Six = 1,
    Eight = 2,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
enum OtpType {
    Unspecified = 0,
    Hotp = 1,
    Totp = 2,
}

/// One QR code of an export: its accounts and where it sits in the export, so that [`join`]
/// can tell whether the user scanned all of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// The accounts of this QR code, in export order.
    pub accounts: Vec<Account>,
    /// Random id shared by all QR codes of one export.
    pub batch_id: i32,
    /// Position of this QR code in the export, 0-based.
    pub batch_index: i32,
    /// How many QR codes the export has (at least 1).
    pub batch_size: i32,
}

fn invalid(message: impl Into<String>) -> Error {
    Error::InvalidMigration(message.into())
}

fn quote(text: &str) -> String {
    let mut quoted: String = text.chars().take(QUOTE_LIMIT).collect();
    if text.chars().count() > QUOTE_LIMIT {
        quoted.push('…');
    }
    quoted
}

/// How an entry is named in error messages: `Issuer:name`, never anything from the secret.
fn label(issuer: &str, name: &str) -> String {
    let (issuer, name) = (issuer.trim(), name.trim());
    match (issuer.is_empty(), name.is_empty()) {
        (true, true) => "(unnamed)".to_string(),
        (true, false) => quote(name),
        (false, true) => quote(issuer),
        (false, false) => quote(&format!("{issuer}:{name}")),
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// Google sometimes stores the label `Issuer:name` as the name; the issuer field already says
/// who the issuer is, so the repeated prefix is noise.
fn strip_issuer_prefix<'a>(name: &'a str, issuer: &str) -> &'a str {
    let name = name.trim();
    let issuer = issuer.trim();
    if issuer.is_empty() {
        return name;
    }
    strip_prefix_ignore_case(name, issuer)
        .and_then(|rest| rest.strip_prefix(':'))
        .unwrap_or(name)
}

/// The raw `data` parameter of the link, still percent-encoded.
fn data_parameter(link: &str) -> Result<&str> {
    let link = link.trim();
    let rest = strip_prefix_ignore_case(link, SCHEME)
        .ok_or_else(|| invalid("it does not start with otpauth-migration://"))?;
    let query = rest
        .split_once('?')
        .map(|(_, query)| query)
        .ok_or_else(|| invalid("the data parameter is missing"))?;
    // Base64 never contains '#', so anything after one is a fragment, not data.
    let query = query.split_once('#').map_or(query, |(query, _)| query);
    query
        .split('&')
        .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
        .find(|(key, _)| key.trim().eq_ignore_ascii_case("data"))
        .map(|(_, value)| value)
        .ok_or_else(|| invalid("the data parameter is missing"))
}

/// The protobuf bytes behind the `data` parameter.
fn decode_data(raw: &str) -> Result<Zeroizing<Vec<u8>>> {
    let decoded = Zeroizing::new(percent_decode_str(raw).collect::<Vec<u8>>());
    // A '+' that went through form decoding comes back as a space; URL-safe base64 uses '-' and
    // '_'; line breaks come from copying wrapped text. All of these are the same data.
    let mut text: Zeroizing<Vec<u8>> = Zeroizing::new(Vec::with_capacity(decoded.len()));
    for &byte in decoded.iter() {
        match byte {
            b'\n' | b'\r' | b'\t' => {}
            b' ' => text.push(b'+'),
            b'-' => text.push(b'+'),
            b'_' => text.push(b'/'),
            other => text.push(other),
        }
    }
    if text.is_empty() {
        return Err(invalid("the data parameter is empty"));
    }
    BASE64
        .decode(text.as_slice())
        .map(Zeroizing::new)
        .map_err(|e| match e {
            base64::DecodeError::InvalidByte(offset, _) => invalid(format!(
                "the data parameter is not valid base64 (character {} is not allowed)",
                offset + 1
            )),
            _ => invalid("the data parameter is not valid base64 (it is cut short)"),
        })
}

/// Turns one protobuf entry into an account, applying Google's defaults for unset fields.
fn account_from(entry: &OtpParameters) -> Result<Account> {
    let shown = label(&entry.issuer, &entry.name);
    if entry.secret.is_empty() {
        return Err(invalid(format!(
            "the entry \"{shown}\" has an empty secret"
        )));
    }
    let algorithm = match OtpAlgorithm::try_from(entry.algorithm) {
        Ok(OtpAlgorithm::Unspecified | OtpAlgorithm::Sha1) => Algorithm::Sha1,
        Ok(OtpAlgorithm::Sha256) => Algorithm::Sha256,
        Ok(OtpAlgorithm::Sha512) => Algorithm::Sha512,
        Ok(OtpAlgorithm::Md5) => return Err(Error::Md5NotSupported(shown)),
        Err(_) => {
            return Err(invalid(format!(
                "the entry \"{shown}\" has an unknown algorithm (code {})",
                entry.algorithm
            )))
        }
    };
    let digits = match DigitCount::try_from(entry.digits) {
        Ok(DigitCount::Unspecified | DigitCount::Six) => 6,
        Ok(DigitCount::Eight) => 8,
        Err(_) => {
            return Err(invalid(format!(
                "the entry \"{shown}\" has an unknown digit count (code {})",
                entry.digits
            )))
        }
    };
    let (kind, counter) = match OtpType::try_from(entry.r#type) {
        Ok(OtpType::Unspecified | OtpType::Totp) => (Kind::Totp, 0),
        Ok(OtpType::Hotp) => {
            let counter = u64::try_from(entry.counter)
                .map_err(|_| invalid(format!("the entry \"{shown}\" has a negative counter")))?;
            (Kind::Hotp, counter)
        }
        Err(_) => {
            return Err(invalid(format!(
                "the entry \"{shown}\" has an unknown type (code {})",
                entry.r#type
            )))
        }
    };
    let issuer = Some(entry.issuer.trim().to_string()).filter(|i| !i.is_empty());
    let name = strip_issuer_prefix(&entry.name, &entry.issuer);
    Account::new(
        kind,
        Secret::from_bytes(entry.secret.as_slice()),
        issuer,
        name,
        algorithm,
        digits,
        DEFAULT_PERIOD,
        counter,
    )
}

/// Reads one `otpauth-migration://` link (one QR code of an export).
pub fn parse(link: &str) -> Result<Batch> {
    let bytes = decode_data(data_parameter(link)?)?;
    let payload = MigrationPayload::decode(bytes.as_slice()).map_err(|_| {
        invalid("the data parameter is not a Google Authenticator export (it does not decode)")
    })?;
    // Exports from tools other than Google Authenticator leave the batch fields unset; that is
    // a complete export in one QR code.
    let batch_size = if payload.batch_size == 0 {
        1
    } else {
        payload.batch_size
    };
    if batch_size < 0 || payload.batch_index < 0 || payload.batch_index >= batch_size {
        return Err(invalid(format!(
            "QR code number {} of {} does not exist",
            i64::from(payload.batch_index) + 1,
            batch_size
        )));
    }
    if payload.otp_parameters.is_empty() {
        return Err(invalid("the export contains no accounts"));
    }
    let accounts = payload
        .otp_parameters
        .iter()
        .map(account_from)
        .collect::<Result<Vec<_>>>()?;
    Ok(Batch {
        accounts,
        batch_id: payload.batch_id,
        batch_index: payload.batch_index,
        batch_size,
    })
}

/// Puts the QR codes of one or more exports back together, refusing an export of which a QR
/// code was not scanned (the user would silently lose accounts otherwise). Scanning the same
/// QR code twice is harmless. Exports come out in the order they were first seen.
pub fn join(batches: Vec<Batch>) -> Result<Vec<Account>> {
    let mut exports: Vec<Export> = Vec::new();
    for batch in batches {
        let position = exports.iter().position(|e| e.batch_id == batch.batch_id);
        let export = match position {
            Some(position) => &mut exports[position],
            None => {
                exports.push(Export {
                    batch_id: batch.batch_id,
                    size: batch.batch_size,
                    parts: BTreeMap::new(),
                });
                let last = exports.len() - 1;
                &mut exports[last]
            }
        };
        if export.size != batch.batch_size {
            return Err(invalid(format!(
                "the QR codes of export batch {} disagree on how many there are ({} and {})",
                batch.batch_id, export.size, batch.batch_size
            )));
        }
        if batch.batch_index < 0 || batch.batch_index >= batch.batch_size {
            return Err(invalid(format!(
                "QR code number {} of {} does not exist",
                i64::from(batch.batch_index) + 1,
                batch.batch_size
            )));
        }
        export
            .parts
            .entry(batch.batch_index)
            .or_insert(batch.accounts);
    }
    let mut accounts = Vec::new();
    for export in exports {
        if let Some(missing) = export.missing() {
            return Err(Error::MissingBatch {
                batch_id: export.batch_id,
                missing,
                size: export.size,
            });
        }
        accounts.extend(export.parts.into_values().flatten());
    }
    Ok(accounts)
}

/// Missing QR codes listed one by one before the rest is only counted: a corrupt batch size of
/// two billion must not become a two-billion-item error message.
const MISSING_LISTED: usize = 20;

/// The QR codes of one export scanned so far, by batch index.
struct Export {
    batch_id: i32,
    size: i32,
    parts: BTreeMap<i32, Vec<Account>>,
}

impl Export {
    /// The 1-based numbers of the QR codes not scanned, if any, as `2, 3` (walking the gaps
    /// between scanned indexes, so the cost does not depend on the claimed size).
    fn missing(&self) -> Option<String> {
        let mut listed: Vec<String> = Vec::new();
        let mut count: i64 = 0;
        let mut expected: i64 = 0;
        let ends = self
            .parts
            .keys()
            .map(|&index| i64::from(index))
            .chain(std::iter::once(i64::from(self.size)));
        for end in ends {
            count += end - expected;
            let room = MISSING_LISTED.saturating_sub(listed.len());
            listed.extend((expected..end).take(room).map(|i| (i + 1).to_string()));
            expected = end + 1;
        }
        if count == 0 {
            return None;
        }
        let mut missing = listed.join(", ");
        let unlisted = count - listed.len() as i64;
        if unlisted > 0 {
            missing.push_str(&format!(" and {unlisted} more"));
        }
        Some(missing)
    }
}

/// The name Google should store: the prefix is doubled when the name already starts with
/// `Issuer:`, because [`parse`] strips one such prefix.
fn export_name(account: &Account) -> String {
    match &account.issuer {
        Some(issuer) if strip_issuer_prefix(&account.name, issuer) != account.name.trim() => {
            format!("{issuer}:{}", account.name)
        }
        _ => account.name.clone(),
    }
}

fn not_exportable(account: &Account, reason: impl Into<String>) -> Error {
    Error::NotExportable {
        account: label(account.issuer.as_deref().unwrap_or(""), &account.name),
        reason: reason.into(),
    }
}

/// The protobuf entry for `account`, or why Google Authenticator cannot hold it.
fn entry_from(account: &Account) -> Result<OtpParameters> {
    let (otp_type, counter) = match account.kind {
        Kind::Totp if account.period == DEFAULT_PERIOD => (OtpType::Totp, 0),
        Kind::Totp => {
            return Err(not_exportable(
                account,
                format!(
                    "its period is {} seconds and the export only knows 30",
                    account.period
                ),
            ))
        }
        Kind::Hotp => {
            let counter = i64::try_from(account.counter)
                .map_err(|_| not_exportable(account, "its counter is too large"))?;
            (OtpType::Hotp, counter)
        }
        other => {
            return Err(not_exportable(
                account,
                format!("the export has no {other} accounts"),
            ))
        }
    };
    let digits = match account.digits {
        6 => DigitCount::Six,
        8 => DigitCount::Eight,
        other => {
            return Err(not_exportable(
                account,
                format!("it has {other} digits and the export only knows 6 or 8"),
            ))
        }
    };
    let algorithm = match account.algorithm {
        Algorithm::Sha1 => OtpAlgorithm::Sha1,
        Algorithm::Sha256 => OtpAlgorithm::Sha256,
        Algorithm::Sha512 => OtpAlgorithm::Sha512,
    };
    Ok(OtpParameters {
        secret: account.secret.expose().to_vec(),
        name: export_name(account),
        issuer: account.issuer.clone().unwrap_or_default(),
        algorithm: algorithm as i32,
        digits: digits as i32,
        r#type: otp_type as i32,
        counter,
    })
}

/// [`emit_with_limit`] with [`DEFAULT_BATCH_LIMIT`] accounts per QR code.
pub fn emit(accounts: &[Account], batch_id: i32) -> Result<Vec<String>> {
    emit_with_limit(accounts, batch_id, DEFAULT_BATCH_LIMIT)
}

/// Google Authenticator export links for `accounts`, at most `per_qr` per link (0 counts as 1)
/// so each QR code stays scannable. Fails, naming the account, if any account cannot be
/// represented, rather than export a code that would come out different. The links contain the
/// secrets: treat them as secrets.
pub fn emit_with_limit(accounts: &[Account], batch_id: i32, per_qr: usize) -> Result<Vec<String>> {
    let entries = accounts
        .iter()
        .map(entry_from)
        .collect::<Result<Vec<_>>>()?;
    let chunks: Vec<&[OtpParameters]> = entries.chunks(per_qr.max(1)).collect();
    let batch_size = i32::try_from(chunks.len())
        .map_err(|_| invalid("there are too many accounts for one export"))?;
    chunks
        .into_iter()
        .zip(0..batch_size)
        .map(|(chunk, batch_index)| {
            let payload = MigrationPayload {
                otp_parameters: chunk.to_vec(),
                version: 1,
                batch_size,
                batch_index,
                batch_id,
            };
            let bytes = Zeroizing::new(payload.encode_to_vec());
            let data = Zeroizing::new(BASE64.encode(bytes.as_slice()));
            Ok(format!(
                "{SCHEME}offline?data={}",
                utf8_percent_encode(&data, NON_ALPHANUMERIC)
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::uri;

    const HELLO: &[u8] = b"Hello!\xde\xad\xbe\xef";

    fn entry(name: &str, issuer: &str) -> OtpParameters {
        OtpParameters {
            secret: HELLO.to_vec(),
            name: name.into(),
            issuer: issuer.into(),
            algorithm: OtpAlgorithm::Sha1 as i32,
            digits: DigitCount::Six as i32,
            r#type: OtpType::Totp as i32,
            counter: 0,
        }
    }

    fn link_for(payload: &MigrationPayload) -> String {
        let data = BASE64.encode(payload.encode_to_vec());
        format!(
            "otpauth-migration://offline?data={}",
            utf8_percent_encode(&data, NON_ALPHANUMERIC)
        )
    }

    fn single(entries: Vec<OtpParameters>) -> MigrationPayload {
        MigrationPayload {
            otp_parameters: entries,
            version: 1,
            batch_size: 1,
            batch_index: 0,
            batch_id: -1_364_024_312,
        }
    }

    fn account(uri_text: &str) -> Account {
        uri::parse(uri_text).unwrap()
    }

    /// Bytes written out by hand from the schema, the way Google Authenticator produces them:
    /// one TOTP entry (secret "Hello!\xde\xad\xbe\xef", name "Example:alice@google.com",
    /// issuer "Example", SHA1, six digits, TOTP), version 1, batch 1 of 1, id 0x1234.
    #[test]
    fn parses_a_literal_google_link() {
        let link = "otpauth-migration://offline?data=CjUKCkhlbGxvId6tvu8SGEV4YW1wbGU6YWxpY2VAZ29vZ2xlLmNvbRoHRXhhbXBsZSABKAEwAhABGAEotCQ%3D";
        let bytes = concat!(
            "0a35",                                                 // entry, 53 bytes:
            "0a0a48656c6c6f21deadbeef",                             // secret
            "12184578616d706c653a616c69636540676f6f676c652e636f6d", // name
            "1a074578616d706c65",                                   // issuer
            "200128013002",                                         // SHA1, SIX, TOTP
            "1001180128b424",                                       // version, size, id
        );
        assert_eq!(
            data_encoding::HEXLOWER.encode(&decode_data(data_parameter(link).unwrap()).unwrap()),
            bytes
        );
        let batch = parse(link).unwrap();
        assert_eq!(
            (batch.batch_id, batch.batch_index, batch.batch_size),
            (0x1234, 0, 1)
        );
        assert_eq!(
            batch.accounts,
            vec![account(
                "otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example"
            )]
        );
        // The hand-written bytes are exactly what prost makes of the same message.
        let payload = MigrationPayload {
            batch_id: 0x1234,
            ..single(vec![entry("Example:alice@google.com", "Example")])
        };
        assert_eq!(link_for(&payload), link);
    }

    #[test]
    fn tolerates_mangled_encodings() {
        let payload = single(vec![entry("alice", "Example")]);
        let data = BASE64.encode(payload.encode_to_vec());
        let expected = parse(&link_for(&payload)).unwrap();
        let url_safe = data.replace('+', "-").replace('/', "_");
        for variant in [
            format!("OTPAUTH-MIGRATION://offline?data={data}"),
            format!(
                "  otpauth-migration://offline?data={}  ",
                data.replace('+', " ")
            ),
            format!(
                "otpauth-migration://offline?foo=bar&DATA={}#top",
                data.trim_end_matches('=')
            ),
            format!("otpauth-migration://offline?data={url_safe}"),
            format!(
                "otpauth-migration://offline?data={}",
                url_safe.trim_end_matches('=')
            ),
        ] {
            assert_eq!(parse(&variant).unwrap(), expected, "{variant}");
        }
    }

    #[test]
    fn md5_is_refused_by_name() {
        let mut md5 = entry("bob", "Corp");
        md5.algorithm = OtpAlgorithm::Md5 as i32;
        let err = parse(&link_for(&single(vec![md5]))).unwrap_err();
        assert_eq!(err, Error::Md5NotSupported("Corp:bob".into()));
    }

    #[test]
    fn digits_are_the_enum_not_a_number() {
        let mut eight = entry("x", "");
        eight.digits = DigitCount::Eight as i32;
        let batch = parse(&link_for(&single(vec![eight]))).unwrap();
        assert_eq!(batch.accounts[0].digits, 8);

        // A raw 6 or 8 is not a valid enum value: refuse rather than guess.
        let mut raw = entry("x", "");
        raw.digits = 8;
        let err = parse(&link_for(&single(vec![raw]))).unwrap_err();
        assert!(err.to_string().contains("unknown digit count"), "{err}");
    }

    #[test]
    fn unspecified_fields_take_the_defaults() {
        let bare = OtpParameters {
            secret: HELLO.to_vec(),
            name: "bare".into(),
            issuer: String::new(),
            algorithm: 0,
            digits: 0,
            r#type: 0,
            counter: 7,
        };
        let payload = MigrationPayload {
            otp_parameters: vec![bare],
            ..MigrationPayload::default()
        };
        let batch = parse(&link_for(&payload)).unwrap();
        assert_eq!((batch.batch_index, batch.batch_size), (0, 1));
        let a = &batch.accounts[0];
        assert_eq!(
            (a.kind, a.algorithm, a.digits, a.period, a.counter),
            (Kind::Totp, Algorithm::Sha1, 6, 30, 0)
        );
        assert_eq!((a.issuer.as_deref(), a.name.as_str()), (None, "bare"));
    }

    #[test]
    fn hotp_keeps_its_counter_and_sha2_is_kept() {
        let mut hotp = entry("h", "Bank");
        hotp.r#type = OtpType::Hotp as i32;
        hotp.counter = 42;
        let mut sha256 = entry("Site:s256", "site");
        sha256.algorithm = OtpAlgorithm::Sha256 as i32;
        let mut sha512 = entry("s512", "");
        sha512.algorithm = OtpAlgorithm::Sha512 as i32;
        sha512.digits = DigitCount::Eight as i32;
        let batch = parse(&link_for(&single(vec![hotp, sha256, sha512]))).unwrap();
        let summary: Vec<_> = batch
            .accounts
            .iter()
            .map(|a| (a.kind, a.name.as_str(), a.algorithm, a.digits, a.counter))
            .collect();
        assert_eq!(
            summary,
            vec![
                (Kind::Hotp, "h", Algorithm::Sha1, 6, 42),
                // The issuer prefix is dropped case-insensitively.
                (Kind::Totp, "s256", Algorithm::Sha256, 6, 0),
                (Kind::Totp, "s512", Algorithm::Sha512, 8, 0),
            ]
        );
    }

    #[test]
    fn a_different_prefix_stays_in_the_name() {
        let batch = parse(&link_for(&single(vec![entry("Tenant:alice", "Microsoft")]))).unwrap();
        assert_eq!(batch.accounts[0].name, "Tenant:alice");
    }

    #[test]
    fn bad_entries_are_clear_errors_without_the_secret() {
        let mut empty = entry("e", "Corp");
        empty.secret.clear();
        let mut negative = entry("n", "Corp");
        negative.r#type = OtpType::Hotp as i32;
        negative.counter = -1;
        let mut unknown_type = entry("t", "Corp");
        unknown_type.r#type = 9;
        let mut unknown_algorithm = entry("a", "Corp");
        unknown_algorithm.algorithm = -3;
        for (bad, expected) in [
            (empty, "\"Corp:e\" has an empty secret"),
            (negative, "\"Corp:n\" has a negative counter"),
            (unknown_type, "\"Corp:t\" has an unknown type (code 9)"),
            (
                unknown_algorithm,
                "\"Corp:a\" has an unknown algorithm (code -3)",
            ),
        ] {
            let err = parse(&link_for(&single(vec![bad]))).unwrap_err();
            assert!(matches!(err, Error::InvalidMigration(_)), "{err:?}");
            assert!(err.to_string().contains(expected), "{err}");
            assert!(!err.to_string().contains("Hello"), "{err}");
        }
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let long = "A".repeat(10_000);
        let inputs = [
            "",
            "otpauth-migration://",
            "otpauth-migration://offline",
            "otpauth-migration://offline?",
            "otpauth-migration://offline?data",
            "otpauth-migration://offline?data=",
            "otpauth-migration://offline?data=%",
            "otpauth-migration://offline?data=%ZZ",
            "otpauth-migration://offline?data=!!!!",
            "otpauth-migration://offline?data=A",
            "otpauth-migration://offline?data=AA==",
            "otpauth-migration://offline?data=CgA=",
            "otpauth-migration://offline?data=CjUKCkhlbGxvId6tvu8SGEV4YW1wbGU6",
            "otpauth-migration://offline?data=%FF%FE",
            "otpauth-migration://offline?data=a=b=c",
            "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP",
            "otpauth-migratio",
            "ötpauth-migration://offline?data=AA",
            &long,
        ];
        for input in inputs {
            match parse(input) {
                Err(Error::InvalidMigration(message)) => {
                    assert!(!message.is_empty());
                    assert!(!message.contains('\n'), "{message}");
                }
                other => panic!("{input:?} gave {other:?}"),
            }
        }
        let long_link = format!("otpauth-migration://offline?data={long}");
        assert!(matches!(parse(&long_link), Err(Error::InvalidMigration(_))));
    }

    #[test]
    fn impossible_batch_numbers_are_refused() {
        for (index, size) in [(1, 1), (-1, 2), (0, -2), (5, 3)] {
            let payload = MigrationPayload {
                batch_index: index,
                batch_size: size,
                ..single(vec![entry("x", "")])
            };
            let err = parse(&link_for(&payload)).unwrap_err();
            assert!(err.to_string().contains("does not exist"), "{err}");
        }
    }

    fn batch(id: i32, index: i32, size: i32, names: &[&str]) -> Batch {
        Batch {
            accounts: names
                .iter()
                .map(|n| Account::totp(Secret::from_bytes(HELLO), None, *n).unwrap())
                .collect(),
            batch_id: id,
            batch_index: index,
            batch_size: size,
        }
    }

    fn names(accounts: &[Account]) -> Vec<&str> {
        accounts.iter().map(|a| a.name.as_str()).collect()
    }

    #[test]
    fn join_reports_missing_qr_codes() {
        let err = join(vec![batch(7, 0, 4, &["a"]), batch(7, 3, 4, &["d"])]).unwrap_err();
        assert_eq!(
            err,
            Error::MissingBatch {
                batch_id: 7,
                missing: "2, 3".into(),
                size: 4
            }
        );
        assert_eq!(
            err.to_string(),
            "the Google Authenticator export batch 7 is incomplete: missing QR code(s) 2, 3 of 4"
        );
    }

    #[test]
    fn join_orders_by_index_and_tolerates_rescans() {
        let joined = join(vec![
            batch(9, 2, 3, &["e"]),
            batch(-4, 0, 1, &["other"]),
            batch(9, 0, 3, &["a", "b"]),
            batch(9, 2, 3, &["e"]),
            batch(9, 1, 3, &["c", "d"]),
        ])
        .unwrap();
        assert_eq!(names(&joined), ["a", "b", "c", "d", "e", "other"]);
        assert!(join(Vec::new()).unwrap().is_empty());
        let err = join(vec![batch(1, 0, 2, &["a"]), batch(1, 1, 3, &["b"])]).unwrap_err();
        assert!(err.to_string().contains("disagree"), "{err}");
        let err = join(vec![batch(1, 2, 2, &["a"])]).unwrap_err();
        assert!(err.to_string().contains("does not exist"), "{err}");
    }

    #[test]
    fn a_huge_batch_size_is_reported_briefly() {
        let err = join(vec![batch(3, 1, i32::MAX, &["a"])]).unwrap_err();
        let Error::MissingBatch { missing, size, .. } = err else {
            panic!("{err:?}");
        };
        assert_eq!(size, i32::MAX);
        assert!(
            missing.starts_with("1, 3, 4, ") && missing.ends_with(" and 2147483626 more"),
            "{missing}"
        );
    }

    fn representable() -> Vec<Account> {
        [
            "otpauth://totp/GitHub:alice?secret=GEZDGNBVGY3TQOJQ&issuer=GitHub",
            "otpauth://totp/bare?secret=JBSWY3DPEHPK3PXP",
            "otpauth://totp/S:x?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=S&algorithm=SHA256&digits=8",
            "otpauth://totp/Big?secret=JBSWY3DPEHPK3PXP&algorithm=SHA512",
            "otpauth://hotp/Bank:me?secret=JBSWY3DPEHPK3PXP&issuer=Bank&counter=123456789",
            "otpauth://hotp/zero?secret=JBSWY3DPEHPK3PXP&counter=0&digits=8",
            // Awkward names: a colon with no issuer, the issuer repeated, non-ASCII, spaces.
            "otpauth://totp/:a%3Ab?secret=JBSWY3DPEHPK3PXP",
            "otpauth://totp/Acme:Acme%3Aops?secret=JBSWY3DPEHPK3PXP&issuer=Acme",
            "otpauth://totp/Caf%C3%A9:j%C3%BCrgen%20m?secret=JBSWY3DPEHPK3PXP&issuer=Caf%C3%A9",
        ]
        .into_iter()
        .map(account)
        .collect()
    }

    #[test]
    fn round_trips_through_several_qr_codes() {
        let accounts = representable();
        let links = emit_with_limit(&accounts, 4242, 2).unwrap();
        assert_eq!(links.len(), 5);
        let batches: Vec<Batch> = links.iter().rev().map(|l| parse(l).unwrap()).collect();
        for b in &batches {
            assert_eq!((b.batch_id, b.batch_size), (4242, 5));
            assert!(b.accounts.len() <= 2);
        }
        assert_eq!(join(batches).unwrap(), accounts);

        let links = emit(&accounts, -1).unwrap();
        assert_eq!(links.len(), 2);
        let batches = links.iter().map(|l| parse(l)).collect::<Result<Vec<_>>>();
        assert_eq!(join(batches.unwrap()).unwrap(), accounts);

        assert!(emit(&[], 1).unwrap().is_empty());
        assert_eq!(emit_with_limit(&accounts[..2], 1, 0).unwrap().len(), 2);
    }

    #[test]
    fn emitted_links_look_like_googles() {
        let links = emit(&representable()[..1], 77).unwrap();
        let data = links[0]
            .strip_prefix("otpauth-migration://offline?data=")
            .unwrap();
        assert!(data.chars().all(|c| c.is_ascii_alphanumeric() || c == '%'));
        let bytes = decode_data(data).unwrap();
        let payload = MigrationPayload::decode(bytes.as_slice()).unwrap();
        assert_eq!(
            (
                payload.version,
                payload.batch_size,
                payload.batch_index,
                payload.batch_id
            ),
            (1, 1, 0, 77)
        );
        let e = &payload.otp_parameters[0];
        assert_eq!((e.name.as_str(), e.issuer.as_str()), ("alice", "GitHub"));
        assert_eq!((e.algorithm, e.digits, e.r#type), (1, 1, 2));
        assert!(!format!("{payload:?}").contains("72, 101"));
    }

    #[test]
    fn unrepresentable_accounts_are_named_in_the_error() {
        for (text, reason) in [
            (
                "otpauth://totp/Corp:long?secret=JBSWY3DPEHPK3PXP&issuer=Corp&period=60",
                "period is 60 seconds",
            ),
            (
                "otpauth://totp/Corp:seven?secret=JBSWY3DPEHPK3PXP&issuer=Corp&digits=7",
                "7 digits",
            ),
            (
                "otpauth://totp/Steam:gabe?secret=JBSWY3DPEHPK3PXP&issuer=Steam",
                "no steam accounts",
            ),
            (
                "otpauth://yaotp/Corp:ya?secret=JBSWY3DPEHPK3PXPJBSWY3DPEH&issuer=Corp",
                "no yaotp accounts",
            ),
            ("motp://Corp:m?secret=e3152afee62599c8", "no motp accounts"),
        ] {
            let accounts = vec![
                account("otpauth://totp/ok?secret=JBSWY3DPEHPK3PXP"),
                account(text),
            ];
            let err = emit(&accounts, 1).unwrap_err();
            assert!(matches!(err, Error::NotExportable { .. }), "{err:?}");
            let message = err.to_string();
            assert!(message.contains(reason), "{message}");
            assert!(message.contains(":"), "{message}");
            assert!(
                !message.contains("JBSW") && !message.contains("e315"),
                "{message}"
            );
        }
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn any_account() -> impl Strategy<Value = Option<Account>> {
            (
                proptest::collection::vec(any::<u8>(), 1..40),
                proptest::option::of("\\PC{0,12}"),
                "\\PC{0,16}",
                prop_oneof![
                    Just(Algorithm::Sha1),
                    Just(Algorithm::Sha256),
                    Just(Algorithm::Sha512)
                ],
                prop_oneof![Just(6u32), Just(8u32)],
                any::<bool>(),
                0..=i64::MAX as u64,
            )
                .prop_map(
                    |(secret, issuer, name, algorithm, digits, hotp, counter)| {
                        let kind = if hotp { Kind::Hotp } else { Kind::Totp };
                        Account::new(
                            kind,
                            Secret::from_bytes(secret),
                            issuer,
                            name,
                            algorithm,
                            digits,
                            30,
                            counter,
                        )
                        .ok()
                        .filter(|a| matches!(a.kind, Kind::Totp | Kind::Hotp))
                    },
                )
        }

        proptest! {
            #[test]
            fn emit_then_parse_is_identity(
                accounts in proptest::collection::vec(any_account(), 0..12),
                batch_id in any::<i32>(),
                per_qr in 1usize..6,
            ) {
                let accounts: Vec<Account> = accounts.into_iter().flatten().collect();
                let links = emit_with_limit(&accounts, batch_id, per_qr).unwrap();
                let batches = links.iter().map(|l| parse(l)).collect::<Result<Vec<_>>>().unwrap();
                prop_assert_eq!(join(batches).unwrap(), accounts);
            }
        }
    }
}
