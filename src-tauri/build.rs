/// The commands the webview may call; each becomes an `allow-<name>` permission that
/// capabilities/default.json grants. Nothing else (no core plugin) is granted.
const COMMANDS: &[&str] = &[
    "is_unlocked",
    "unlock",
    "lock",
    "list_accounts",
    "add_links",
    "add_image",
    "add_screen",
    "delete_account",
    "rename_account",
    "hotp_next",
    "copy_code",
    "copy_text",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri-build failed");
}
