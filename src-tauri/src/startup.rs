//! Start-up timing: the window reports when its first codes are on screen, and the app logs it
//! with a wall-clock stamp so `scripts/bench-startup.sh` can measure launch → first code.

use std::sync::OnceLock;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

static STARTED: OnceLock<Instant> = OnceLock::new();
static SHOWN: OnceLock<()> = OnceLock::new();

/// Records the moment the app's code started running (call first thing in `run`).
pub(crate) fn mark_start() {
    STARTED.get_or_init(Instant::now);
}

/// The window showed its first codes: logs it once, with the Unix time in milliseconds.
#[tauri::command(async)]
pub(crate) fn first_codes_shown() {
    if SHOWN.set(()).is_err() {
        return;
    }
    let unix_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let since_start = STARTED.get().map(|t| t.elapsed().as_millis()).unwrap_or(0);
    tracing::info!(unix_ms, since_start_ms = since_start, "first codes shown");
    // Also on stdout, unformatted, for the benchmark script.
    println!(
        "keygate-desktop: first codes shown at {unix_ms} ms (unix), {since_start} ms after start"
    );
}
