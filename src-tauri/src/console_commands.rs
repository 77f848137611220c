//! The Console's Tauri commands: a few lines each over [`crate::console::Console`].

use serde_json::Value;
use tauri::State;
use zeroize::Zeroizing;

use crate::app::{self, AddedView};
use crate::console::{self, Console, ConsoleStatus};
use crate::error::DesktopError;
use crate::AppState;

/// The console's managed state; async because requests await the network.
#[derive(Default)]
pub(crate) struct ConsoleState(pub(crate) tokio::sync::Mutex<Console>);

#[tauri::command]
pub(crate) async fn console_status(
    console: State<'_, ConsoleState>,
) -> Result<ConsoleStatus, DesktopError> {
    console.0.lock().await.status().await
}

/// Starts the embedded server, its master key kept in the OS keyring beside the vault's secrets.
#[tauri::command]
pub(crate) async fn console_start_embedded(
    state: State<'_, AppState>,
    console: State<'_, ConsoleState>,
) -> Result<ConsoleStatus, DesktopError> {
    let secret = state.with(|d| {
        Ok(d.vault()
            .app_secret(console::EMBEDDED_KEY_NAME, console::EMBEDDED_KEY_LEN)?)
    })?;
    let key = console::master_key_from(&secret)?;
    let dir = app::data_dir()?;
    console.0.lock().await.start_embedded(&dir, key).await
}

#[tauri::command]
pub(crate) async fn console_connect(
    console: State<'_, ConsoleState>,
    url: String,
    fingerprint: Option<String>,
) -> Result<ConsoleStatus, DesktopError> {
    console
        .0
        .lock()
        .await
        .connect(&url, fingerprint.as_deref())
        .await
}

#[tauri::command]
pub(crate) async fn console_disconnect(
    console: State<'_, ConsoleState>,
) -> Result<(), DesktopError> {
    console.0.lock().await.disconnect().await;
    Ok(())
}

#[tauri::command]
pub(crate) async fn console_create_first_admin(
    console: State<'_, ConsoleState>,
    username: String,
    email: String,
    password: String,
) -> Result<(), DesktopError> {
    let password = Zeroizing::new(password);
    console
        .0
        .lock()
        .await
        .create_first_admin(&username, &email, password)
        .await
}

#[tauri::command]
pub(crate) async fn console_login(
    console: State<'_, ConsoleState>,
    username: String,
    password: String,
) -> Result<String, DesktopError> {
    let password = Zeroizing::new(password);
    console.0.lock().await.login(&username, password).await
}

#[tauri::command]
pub(crate) async fn console_verify(
    console: State<'_, ConsoleState>,
    token: String,
) -> Result<String, DesktopError> {
    let token = Zeroizing::new(token);
    console.0.lock().await.verify_code(&token).await
}

#[tauri::command]
pub(crate) async fn console_begin_setup(
    console: State<'_, ConsoleState>,
) -> Result<Value, DesktopError> {
    let answer = console.0.lock().await.begin_setup().await?;
    Ok(console::for_webview(answer))
}

/// Adds the device being enrolled at sign-in to the app's own authenticator.
#[tauri::command]
pub(crate) async fn console_setup_add(
    state: State<'_, AppState>,
    console: State<'_, ConsoleState>,
) -> Result<Vec<AddedView>, DesktopError> {
    let link = console
        .0
        .lock()
        .await
        .enrolment_link()
        .map(|link| Zeroizing::new(link.to_string()))
        .ok_or_else(|| DesktopError::Console("no device is being set up".into()))?;
    state.with(|d| d.add_links(&link))
}

#[tauri::command]
pub(crate) async fn console_confirm_setup(
    console: State<'_, ConsoleState>,
    token: String,
) -> Result<String, DesktopError> {
    let token = Zeroizing::new(token);
    console.0.lock().await.confirm_setup(&token).await
}

#[tauri::command]
pub(crate) async fn console_logout(console: State<'_, ConsoleState>) -> Result<(), DesktopError> {
    console.0.lock().await.logout().await
}

#[tauri::command]
pub(crate) async fn console_call(
    console: State<'_, ConsoleState>,
    method: String,
    path: String,
    body: Option<Value>,
) -> Result<Value, DesktopError> {
    let answer = console.0.lock().await.call(&method, &path, body).await?;
    Ok(console::for_webview(answer))
}

/// The code of the signing-in admin's own account from the authenticator, if it holds one.
#[tauri::command]
pub(crate) async fn console_own_code(
    state: State<'_, AppState>,
    console: State<'_, ConsoleState>,
) -> Result<Option<String>, DesktopError> {
    let Some((username, issuer)) = console.0.lock().await.signing_in() else {
        return Ok(None);
    };
    let accounts = state.with(|d| d.list_now())?;
    Ok(console::own_code(&accounts, &username, issuer.as_deref()))
}
