//! The tray icon: Show, Lock, Quit. Optional: without a system tray the app runs without it.

use tauri::menu::{Menu, MenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager};

use crate::AppState;

/// Adds the tray icon; a failure (no tray, no indicator library) is reported and ignored.
pub(crate) fn install(app: &AppHandle) {
    // The Linux indicator library is loaded at run time and panics when it is missing.
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| build(app))) {
        Ok(Ok(())) => {}
        Ok(Err(err)) => eprintln!("keygate-desktop: no tray icon: {err}"),
        Err(_) => eprintln!("keygate-desktop: no tray icon: the system tray is unavailable"),
    }
}

fn build(app: &AppHandle) -> tauri::Result<()> {
    let show = MenuItem::with_id(app, "show", "Show", true, None::<&str>)?;
    let lock = MenuItem::with_id(app, "lock", "Lock", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
    let menu = Menu::with_items(app, &[&show, &lock, &quit])?;
    let mut builder = TrayIconBuilder::with_id("keygate")
        .tooltip("Keygate")
        .menu(&menu)
        .on_menu_event(|app, event| match event.id().as_ref() {
            "show" => show_window(app),
            "lock" => lock_vault(app),
            "quit" => app.exit(0),
            _ => {}
        });
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder.build(app)?;
    Ok(())
}

fn show_window(app: &AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

/// Drops the secrets; the window sees it on its next refresh (every second: it polls
/// `is_unlocked`), hides the codes and closes any dialog showing a secret.
fn lock_vault(app: &AppHandle) {
    let state = app.state::<AppState>();
    if let Err(err) = state.with(|d| {
        d.lock();
        Ok(())
    }) {
        eprintln!("keygate-desktop: could not lock: {err}");
    }
}
