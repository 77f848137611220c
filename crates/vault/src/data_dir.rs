//! Where the vault lives: `--data-dir`, else `KEYGATE_DATA_DIR`, else the platform's data
//! directory (XDG on Linux).

use std::ffi::OsString;
use std::path::PathBuf;

use crate::{Error, Result};

/// The environment variable that overrides the platform data directory.
pub const DATA_DIR_ENV: &str = "KEYGATE_DATA_DIR";

/// The data directory: `explicit` (the `--data-dir` option) if given, else `$KEYGATE_DATA_DIR`
/// if set and not empty, else `keygate` in the platform data directory
/// (`$XDG_DATA_HOME/keygate` or `~/.local/share/keygate` on Linux,
/// `~/Library/Application Support/keygate` on macOS, `%APPDATA%\keygate` on Windows).
pub fn resolve_data_dir(explicit: Option<PathBuf>) -> Result<PathBuf> {
    resolve(
        explicit,
        std::env::var_os(DATA_DIR_ENV),
        directories::BaseDirs::new().map(|dirs| dirs.data_dir().to_path_buf()),
    )
}

fn resolve(
    explicit: Option<PathBuf>,
    env: Option<OsString>,
    platform: Option<PathBuf>,
) -> Result<PathBuf> {
    if let Some(dir) = explicit.filter(|d| !d.as_os_str().is_empty()) {
        return Ok(dir);
    }
    if let Some(dir) = env.filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    platform
        .map(|dir| dir.join("keygate"))
        .ok_or(Error::NoDataDir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn option_beats_environment_beats_platform() {
        let platform = Some(PathBuf::from("/home/u/.local/share"));
        let env = Some(OsString::from("/env/dir"));
        assert_eq!(
            resolve(Some("/opt/dir".into()), env.clone(), platform.clone()).unwrap(),
            PathBuf::from("/opt/dir")
        );
        assert_eq!(
            resolve(None, env, platform.clone()).unwrap(),
            PathBuf::from("/env/dir")
        );
        assert_eq!(
            resolve(None, Some(OsString::new()), platform.clone()).unwrap(),
            PathBuf::from("/home/u/.local/share/keygate")
        );
        assert_eq!(
            resolve(Some(PathBuf::new()), None, platform).unwrap(),
            PathBuf::from("/home/u/.local/share/keygate")
        );
        let err = resolve(None, None, None).unwrap_err();
        assert!(err.to_string().contains("--data-dir"), "{err}");
    }

    #[test]
    fn explicit_directory_is_used_as_given() {
        assert_eq!(
            resolve_data_dir(Some("/tmp/kg".into())).unwrap(),
            PathBuf::from("/tmp/kg")
        );
    }
}
