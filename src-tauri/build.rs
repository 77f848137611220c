//! Tauri's build step: the app's command permissions and the context `generate_context!` reads.

/// The commands the webview may call; each becomes an `allow-<name>` permission that
/// capabilities/default.json grants. Nothing else (no core plugin) is granted.
const COMMANDS: &[&str] = &[
    "is_unlocked",
    "unlock",
    "has_app_password",
    "set_app_password",
    "lock",
    "list_accounts",
    "add_links",
    "add_image",
    "add_screen",
    "delete_account",
    "edit_account",
    "set_favourite",
    "move_account",
    "account_qr",
    "add_clipboard",
    "check_manual",
    "add_manual",
    "settings",
    "hotp_next",
    "copy_code",
    "copy_text",
    "console_status",
    "console_start_embedded",
    "console_connect",
    "console_disconnect",
    "console_create_first_admin",
    "console_login",
    "console_verify",
    "console_begin_setup",
    "console_setup_add",
    "console_confirm_setup",
    "console_logout",
    "console_list_users",
    "console_create_user",
    "console_set_user_active",
    "console_reset_2fa",
    "console_list_devices",
    "console_add_device",
    "console_confirm_device",
    "console_delete_device",
    "console_regenerate_codes",
    "console_list_sessions",
    "console_revoke_session",
    "console_audit",
    "console_own_code",
    "first_codes_shown",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri-build failed");
}
