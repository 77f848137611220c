//! The Keygate admin server: users, 2FA devices (TOTP, HOTP, backup codes, email codes),
//! server-side sessions, a hardened HTML console and a JSON API, over HTTPS.
//!
//! Inside, a request flows one way: extractor (the request context: state, caller, client,
//! time) → one operation (`manage`, or `auth` for the sign-in steps) → [`store`]. The JSON API
//! and the HTML console are two faces of the same operations, answering with the [`api`]
//! types; the OpenAPI document at `/api/openapi.json` is generated from those types.
//!
//! The public surface is what the command line and the desktop app use:
//! - [`start`] / [`serve`] / [`serve_blocking`] with a [`ServeConfig`]; [`check_deploy`];
//!   [`build_state`] and [`app`] for serving the router in-process (tests).
//! - [`api`]: the wire types of the JSON API, for clients.
//! - [`admin`]: what `keygate admin` does without a signed-in user.
//! - [`store`]: storage behind the [`store::Store`] trait (SQLite by default); [`crypto`]'s
//!   [`crypto::MasterKey`].
//!
//! The OTP logic itself is `keygate_otp`'s; this crate stores its state and applies it.

pub mod admin;
pub mod api;
pub mod crypto;
pub mod manage;
pub mod store;

mod auth;
mod config;
mod deploy;
mod error;
mod mail;
mod qr;
mod server;
mod state;
mod tls;
mod validate;
mod web;

pub use config::{
    load_master_key, KeyOrigin, KeySource, ServeConfig, Settings, SmtpConfig, SmtpSecurity, TlsMode,
};
pub use deploy::{check_deploy, Finding};
pub use error::{Error, Result};
pub use server::{build_state, init_logging, serve, serve_blocking, start, Running};
pub use tls::TlsSetup;
pub use web::{app, AppState};
