//! The Keygate admin server: users, 2FA devices (TOTP, HOTP, backup codes, email codes),
//! server-side sessions, a hardened HTML console and a JSON API, over HTTPS.
//!
//! - [`store`]: storage behind the [`store::Store`] trait (SQLite by default).
//! - [`auth`]: the two-step sign-in (password, then a device code) with throttling, replay
//!   detection and session rotation; [`manage`]: everything a signed-in user may do.
//! - [`web`]: the axum router ([`web::app`]), security layers, console and API.
//! - [`server`]: [`serve`] / [`start`] the listeners; [`deploy::check_deploy`]; [`admin`]
//!   operations for the command line.
//!
//! The OTP logic itself is `keygate_otp`'s; this crate stores its state and applies it.

pub mod admin;
pub mod api;
pub mod auth;
pub mod config;
pub mod crypto;
pub mod deploy;
pub mod error;
pub mod mail;
pub mod manage;
pub mod qr;
pub mod server;
pub mod state;
pub mod store;
pub mod tls;
pub mod validate;
pub mod web;

pub use config::{KeySource, ServeConfig, Settings, SmtpConfig, SmtpSecurity, TlsMode};
pub use deploy::{check_deploy, Finding};
pub use error::{Error, Result};
pub use server::{init_logging, serve, serve_blocking, start, Running};
pub use web::{app, AppState};
