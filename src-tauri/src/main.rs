//! The Keygate desktop app's executable: everything is in the library (`keygate_desktop::run`).

// Hides the console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    keygate_desktop::run();
}
