//! The Console's Tauri commands: a few lines each over [`crate::console::Console`], one per
//! operation, so each has its own permission (capabilities/default.json grants them).

use keygate_server::api::{
    AuditPage, AuditQuery, BackupCodes, CreateUserRequest, Device, DeviceKind, Next, SessionEntry,
    TwoFactorReset, User, UserPage,
};
use tauri::State;
use zeroize::Zeroizing;

use crate::app::{self, AddedView};
use crate::console::{self, Console, ConsoleStatus, NewDeviceView, Setup};
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
) -> Result<Next, DesktopError> {
    let password = Zeroizing::new(password);
    console.0.lock().await.login(&username, password).await
}

#[tauri::command]
pub(crate) async fn console_verify(
    console: State<'_, ConsoleState>,
    token: String,
) -> Result<Next, DesktopError> {
    let token = Zeroizing::new(token);
    console.0.lock().await.verify_code(&token).await
}

#[tauri::command]
pub(crate) async fn console_begin_setup(
    console: State<'_, ConsoleState>,
) -> Result<Setup, DesktopError> {
    console.0.lock().await.begin_setup().await
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
) -> Result<Next, DesktopError> {
    let token = Zeroizing::new(token);
    console.0.lock().await.confirm_setup(&token).await
}

#[tauri::command]
pub(crate) async fn console_logout(console: State<'_, ConsoleState>) -> Result<(), DesktopError> {
    console.0.lock().await.logout().await
}

// The signed-in admin's operations. Arguments keep their snake_case names in the webview.

#[tauri::command(rename_all = "snake_case")]
pub(crate) async fn console_list_users(
    console: State<'_, ConsoleState>,
    query: String,
    page: u32,
) -> Result<UserPage, DesktopError> {
    console.0.lock().await.list_users(&query, page).await
}

#[tauri::command(rename_all = "snake_case")]
pub(crate) async fn console_create_user(
    console: State<'_, ConsoleState>,
    user: CreateUserRequest,
) -> Result<User, DesktopError> {
    console.0.lock().await.create_user(&user).await
}

#[tauri::command(rename_all = "snake_case")]
pub(crate) async fn console_set_user_active(
    console: State<'_, ConsoleState>,
    user_id: i64,
    active: bool,
) -> Result<User, DesktopError> {
    console
        .0
        .lock()
        .await
        .set_user_active(user_id, active)
        .await
}

#[tauri::command(rename_all = "snake_case")]
pub(crate) async fn console_reset_2fa(
    console: State<'_, ConsoleState>,
    user_id: i64,
) -> Result<TwoFactorReset, DesktopError> {
    console.0.lock().await.reset_2fa(user_id).await
}

#[tauri::command(rename_all = "snake_case")]
pub(crate) async fn console_list_devices(
    console: State<'_, ConsoleState>,
    user_id: i64,
) -> Result<Vec<Device>, DesktopError> {
    console.0.lock().await.list_devices(user_id).await
}

/// Adds a device to a user; the webview gets its QR picture or backup codes, never its link.
#[tauri::command(rename_all = "snake_case")]
pub(crate) async fn console_add_device(
    console: State<'_, ConsoleState>,
    user_id: i64,
    kind: DeviceKind,
    name: String,
) -> Result<NewDeviceView, DesktopError> {
    let added = console
        .0
        .lock()
        .await
        .add_device(user_id, kind, &name)
        .await?;
    Ok(console::for_webview(added))
}

#[tauri::command(rename_all = "snake_case")]
pub(crate) async fn console_confirm_device(
    console: State<'_, ConsoleState>,
    device_id: i64,
    token: String,
) -> Result<Device, DesktopError> {
    let token = Zeroizing::new(token);
    console
        .0
        .lock()
        .await
        .confirm_device(device_id, &token)
        .await
}

#[tauri::command(rename_all = "snake_case")]
pub(crate) async fn console_delete_device(
    console: State<'_, ConsoleState>,
    device_id: i64,
) -> Result<(), DesktopError> {
    console.0.lock().await.delete_device(device_id).await
}

#[tauri::command(rename_all = "snake_case")]
pub(crate) async fn console_regenerate_codes(
    console: State<'_, ConsoleState>,
    device_id: i64,
) -> Result<BackupCodes, DesktopError> {
    console.0.lock().await.regenerate_codes(device_id).await
}

#[tauri::command(rename_all = "snake_case")]
pub(crate) async fn console_list_sessions(
    console: State<'_, ConsoleState>,
    user_id: i64,
) -> Result<Vec<SessionEntry>, DesktopError> {
    console.0.lock().await.list_sessions(user_id).await
}

#[tauri::command(rename_all = "snake_case")]
pub(crate) async fn console_revoke_session(
    console: State<'_, ConsoleState>,
    session_id: i64,
) -> Result<(), DesktopError> {
    console.0.lock().await.revoke_session(session_id).await
}

#[tauri::command(rename_all = "snake_case")]
pub(crate) async fn console_audit(
    console: State<'_, ConsoleState>,
    filter: AuditQuery,
) -> Result<AuditPage, DesktopError> {
    console.0.lock().await.audit(&filter).await
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
