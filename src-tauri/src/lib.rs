//! Keygate desktop app: thin Tauri 2 commands over [`app::Desktop`], which wraps the vault,
//! QR and OTP crates.

pub mod app;
pub mod console;
mod console_commands;
pub mod error;
pub mod manual;
mod startup;
mod tray;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use keygate_vault::KeyringStore;
use tauri::{Manager, State};
use zeroize::Zeroizing;

use crate::app::{AccountView, AddedView, Desktop, Settings};
use crate::error::DesktopError;
use crate::manual::ManualEntry;

/// How long a copied code stays on the clipboard.
const CLIPBOARD_CLEAR_AFTER: Duration = Duration::from_secs(30);

/// The managed state: the vault (opened on first use) and the clipboard owner.
#[derive(Default)]
pub(crate) struct AppState {
    desktop: Mutex<Option<Desktop<KeyringStore>>>,
    // On X11 the clipboard's content lives as long as its owner: keep one.
    clipboard: Arc<Mutex<Option<arboard::Clipboard>>>,
}

impl AppState {
    /// Runs `f` on the desktop state, opening the vault on first use. Commands run on the async
    /// runtime's few worker threads (as many as cores) and `f` blocks (keyring, SQLite, a
    /// screen scan, Argon2): `block_in_place` hands the worker's other tasks (the embedded
    /// server, console requests) to another thread meanwhile.
    pub(crate) fn with<T>(
        &self,
        f: impl FnOnce(&mut Desktop<KeyringStore>) -> Result<T, DesktopError>,
    ) -> Result<T, DesktopError> {
        let run = || {
            let mut guard = self.desktop.lock().unwrap_or_else(|e| e.into_inner());
            if guard.is_none() {
                let dir = app::data_dir()?;
                *guard = Some(Desktop::open(&dir, KeyringStore::new()?)?);
            }
            f(guard.as_mut().expect("opened above"))
        };
        // Outside the runtime (the tray's menu handler runs on the main thread) it just runs.
        match tokio::runtime::Handle::try_current() {
            Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
                tokio::task::block_in_place(run)
            }
            _ => run(),
        }
    }
}

// Every command is `async`: Tauri then runs it off the main thread, so a screen scan, an
// Argon2 hash or a keyring prompt never freezes the window.
#[tauri::command(async)]
fn is_unlocked(state: State<AppState>) -> Result<bool, DesktopError> {
    state.with(|d| Ok(d.is_unlocked()))
}

/// Unlocks, with the app password when one is set (wiped from memory once checked).
#[tauri::command(async)]
fn unlock(state: State<AppState>, password: Option<String>) -> Result<(), DesktopError> {
    let password = password.map(Zeroizing::new);
    state.with(|d| d.unlock_with(password.as_deref().map(String::as_str)))
}

#[tauri::command(async)]
fn has_app_password(state: State<AppState>) -> Result<bool, DesktopError> {
    state.with(|d| d.has_app_password())
}

/// Sets, changes or removes (`new` absent) the app password; `current` when one is set.
#[tauri::command(async)]
fn set_app_password(
    state: State<AppState>,
    current: Option<String>,
    new: Option<String>,
) -> Result<(), DesktopError> {
    let current = current.map(Zeroizing::new);
    let new = new.map(Zeroizing::new);
    state.with(|d| {
        d.set_app_password(
            current.as_deref().map(String::as_str),
            new.as_deref().map(String::as_str),
        )
    })
}

#[tauri::command(async)]
fn lock(state: State<AppState>) -> Result<(), DesktopError> {
    state.with(|d| {
        d.lock();
        Ok(())
    })
}

#[tauri::command(async)]
fn list_accounts(state: State<AppState>) -> Result<Vec<AccountView>, DesktopError> {
    state.with(|d| d.list_now())
}

#[tauri::command(async)]
fn add_links(state: State<AppState>, text: String) -> Result<Vec<AddedView>, DesktopError> {
    state.with(|d| d.add_links(&text))
}

#[tauri::command(async)]
fn add_image(state: State<AppState>, path: String) -> Result<Vec<AddedView>, DesktopError> {
    state.with(|d| d.add_image(&PathBuf::from(path.trim())))
}

#[tauri::command(async)]
fn add_screen(state: State<AppState>) -> Result<Vec<AddedView>, DesktopError> {
    state.with(|d| d.add_screen())
}

#[tauri::command(async)]
fn delete_account(state: State<AppState>, id: String) -> Result<(), DesktopError> {
    state.with(|d| d.delete(&id).map(|_| ()))
}

#[tauri::command(async)]
fn edit_account(
    state: State<AppState>,
    id: String,
    issuer: String,
    name: String,
    note: String,
) -> Result<(), DesktopError> {
    state.with(|d| d.edit(&id, &issuer, &name, &note).map(|_| ()))
}

#[tauri::command(async)]
fn set_favourite(state: State<AppState>, id: String, favourite: bool) -> Result<(), DesktopError> {
    state.with(|d| d.set_favourite(&id, favourite).map(|_| ()))
}

#[tauri::command(async)]
fn move_account(state: State<AppState>, id: String, position: u32) -> Result<(), DesktopError> {
    state.with(|d| d.move_account(&id, position))
}

/// The account's QR code as SVG; it holds the secret, so it is never logged.
#[tauri::command(async)]
fn account_qr(state: State<AppState>, id: String) -> Result<String, DesktopError> {
    state.with(|d| d.account_qr(&id))
}

#[tauri::command(async)]
fn add_clipboard(state: State<AppState>) -> Result<Vec<AddedView>, DesktopError> {
    state.with(|d| d.add_clipboard())
}

/// Checks a manual entry as it is typed: every field's problem, none when it can be added.
#[tauri::command(async)]
fn check_manual(entry: ManualEntry) -> Result<(), DesktopError> {
    entry.account().map(|_| ()).map_err(DesktopError::Fields)
}

#[tauri::command(async)]
fn add_manual(state: State<AppState>, entry: ManualEntry) -> Result<Vec<AddedView>, DesktopError> {
    state.with(|d| d.add_manual(&entry))
}

#[tauri::command(async)]
fn settings() -> Settings {
    Settings::from_env()
}

#[tauri::command(async)]
fn hotp_next(state: State<AppState>, id: String) -> Result<String, DesktopError> {
    state.with(|d| d.hotp_next(&id))
}

/// Copies an account's current code; clears the clipboard after 30 s if it still holds it.
#[tauri::command(async)]
fn copy_code(state: State<AppState>, id: String) -> Result<(), DesktopError> {
    let code = state.with(|d| d.code_now(&id))?;
    copy_and_clear_later(&state.clipboard, code)
}

/// Copies an HOTP code the UI already received from `hotp_next`.
#[tauri::command(async)]
fn copy_text(state: State<AppState>, text: String) -> Result<(), DesktopError> {
    copy_and_clear_later(&state.clipboard, text)
}

fn copy_and_clear_later(
    clipboard: &Arc<Mutex<Option<arboard::Clipboard>>>,
    code: String,
) -> Result<(), DesktopError> {
    {
        let mut guard = clipboard.lock().unwrap_or_else(|e| e.into_inner());
        if guard.is_none() {
            *guard = Some(
                arboard::Clipboard::new().map_err(|e| DesktopError::Clipboard(e.to_string()))?,
            );
        }
        guard
            .as_mut()
            .expect("created above")
            .set_text(code.clone())
            .map_err(|e| DesktopError::Clipboard(e.to_string()))?;
    }
    let clipboard = Arc::clone(clipboard);
    std::thread::spawn(move || {
        std::thread::sleep(CLIPBOARD_CLEAR_AFTER);
        let mut guard = clipboard.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(board) = guard.as_mut() {
            // Only clear what we put there: the user may have copied something else since.
            if board.get_text().ok().as_deref() == Some(code.as_str()) {
                let _ = board.clear();
            }
        }
    });
    Ok(())
}

/// Starts the app.
pub fn run() {
    startup::mark_start();
    keygate_server::init_logging();
    tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            // A second launch focuses the first instance's window.
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.unminimize();
                let _ = window.show();
                let _ = window.set_focus();
            }
        }))
        .manage(AppState::default())
        .manage(console_commands::ConsoleState::default())
        .setup(|app| {
            // A tray is a convenience: without one (no system tray, e.g. under Xvfb) the app runs.
            tray::install(app.handle());
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            is_unlocked,
            unlock,
            has_app_password,
            set_app_password,
            lock,
            list_accounts,
            add_links,
            add_image,
            add_screen,
            delete_account,
            edit_account,
            set_favourite,
            move_account,
            account_qr,
            add_clipboard,
            check_manual,
            add_manual,
            settings,
            hotp_next,
            copy_code,
            copy_text,
            console_commands::console_status,
            console_commands::console_start_embedded,
            console_commands::console_connect,
            console_commands::console_disconnect,
            console_commands::console_create_first_admin,
            console_commands::console_login,
            console_commands::console_verify,
            console_commands::console_begin_setup,
            console_commands::console_setup_add,
            console_commands::console_confirm_setup,
            console_commands::console_logout,
            console_commands::console_list_users,
            console_commands::console_create_user,
            console_commands::console_set_user_active,
            console_commands::console_reset_2fa,
            console_commands::console_list_devices,
            console_commands::console_add_device,
            console_commands::console_confirm_device,
            console_commands::console_delete_device,
            console_commands::console_regenerate_codes,
            console_commands::console_list_sessions,
            console_commands::console_revoke_session,
            console_commands::console_audit,
            console_commands::console_own_code,
            startup::first_codes_shown
        ])
        .run(tauri::generate_context!())
        .unwrap_or_else(|err| {
            eprintln!("keygate-desktop: {err}");
            std::process::exit(1);
        });
}
