//! Copying a code to the clipboard and clearing it 30 s later.
//!
//! On X11 and Wayland the clipboard is served by the process that set it, and a CLI exits at
//! once; so a detached copy of `keygate` (the hidden `clipboard-guard` command) takes the code on
//! its standard input, serves it, and clears it after the delay if it is still there.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use zeroize::Zeroizing;

use crate::error::CliError;

/// Seconds a copied code stays on the clipboard.
pub(crate) const CLEAR_AFTER_SECS: u64 = 30;

/// Overrides [`CLEAR_AFTER_SECS`] (tests use a shorter delay).
pub(crate) const CLEAR_AFTER_ENV: &str = "KEYGATE_CLIPBOARD_CLEAR_SECS";

/// The delay in force: the environment's, else 30 s.
pub(crate) fn clear_after_secs() -> u64 {
    std::env::var(CLEAR_AFTER_ENV)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(CLEAR_AFTER_SECS)
}

fn clipboard_error(e: arboard::Error) -> CliError {
    CliError::Usage(format!("cannot use the clipboard: {e}"))
}

/// Hands `code` to a detached guard process and returns once it holds the clipboard.
pub(crate) fn copy_and_clear_later(code: &str) -> Result<(), CliError> {
    let exe = std::env::current_exe().map_err(|source| CliError::Io {
        what: "cannot find the keygate executable",
        source,
    })?;
    let mut command = Command::new(exe);
    command
        .arg("clipboard-guard")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // Its own process group: a Ctrl-C in the terminal does not end it before it clears.
        command.process_group(0);
    }
    let mut child = command.spawn().map_err(|source| CliError::Io {
        what: "cannot start the clipboard guard",
        source,
    })?;
    let spawn_io = |source| CliError::Io {
        what: "cannot talk to the clipboard guard",
        source,
    };
    let mut stdin = child.stdin.take().expect("piped stdin");
    stdin.write_all(code.as_bytes()).map_err(spawn_io)?;
    drop(stdin);
    let mut ready = String::new();
    BufReader::new(child.stdout.take().expect("piped stdout"))
        .read_line(&mut ready)
        .map_err(spawn_io)?;
    if ready.trim() != "ready" {
        let _ = child.wait();
        return Err(CliError::Usage(
            "cannot use the clipboard (is a display available?)".into(),
        ));
    }
    Ok(())
}

/// The hidden `clipboard-guard` command: sets the clipboard to standard input, says `ready`,
/// keeps serving it, and clears it after [`clear_after_secs`] if it still holds the code.
pub(crate) fn guard() -> Result<(), CliError> {
    let mut code = Zeroizing::new(String::new());
    std::io::stdin()
        .read_to_string(&mut code)
        .map_err(|source| CliError::Io {
            what: "could not read standard input",
            source,
        })?;
    let mut clipboard = arboard::Clipboard::new().map_err(clipboard_error)?;
    clipboard.set_text(code.as_str()).map_err(clipboard_error)?;
    println!("ready");
    let _ = std::io::stdout().flush();
    std::thread::sleep(Duration::from_secs(clear_after_secs()));
    let still_ours = clipboard.get_text().is_ok_and(|current| current == *code);
    if still_ours {
        clipboard.clear().map_err(clipboard_error)?;
    }
    Ok(())
}
