//! Administration from the command line (`keygate admin ...`) and the desktop app's embedded
//! server: the operations of [`crate::manage`] with no signed-in user, recorded in the audit
//! log as `cli`.

use std::path::Path;

use crate::api;
use crate::crypto::PasswordHasher;
use crate::error::{Error, Result};
use crate::manage::{self, CreateUser};
use crate::state::Caller;
use crate::store::{SqliteStore, Store};
use crate::validate;

/// Opens (creating and migrating if needed) the database at `db`.
pub fn open_store(db: &Path) -> Result<SqliteStore> {
    SqliteStore::open(db)
}

/// `keygate admin create-user`: creates a user (e.g. the first superuser).
pub fn create_user(store: &dyn Store, request: &CreateUser) -> Result<api::User> {
    manage::create_user(store, &PasswordHasher::owasp(), &Caller::local(), request).map(Into::into)
}

/// `keygate admin reset-2fa USER`: removes every device of the user and ends their sessions;
/// they set up a new device at their next sign-in. Returns the number of devices removed.
pub fn reset_2fa(store: &dyn Store, username: &str) -> Result<u64> {
    let user = store
        .read()?
        .user_by_key(&validate::username_key(username))?
        .ok_or_else(|| Error::BadRequest(format!("no user named {username:?}")))?;
    Ok(manage::reset_2fa(store, &Caller::local(), user.id)?.devices_removed)
}

/// How many users the database holds (the desktop app creates the first admin only in an
/// empty one).
pub fn count_users(store: &dyn Store) -> Result<i64> {
    store.read()?.count_users()
}

#[cfg(test)]
mod tests {
    use super::*;
    use zeroize::Zeroizing;

    #[test]
    fn create_then_reset() {
        let dir = tempfile::tempdir().unwrap();
        let store = open_store(&dir.path().join("k.db")).unwrap();
        assert_eq!(count_users(&store).unwrap(), 0);
        let request = CreateUser {
            username: "Root".into(),
            email: "root@example.com".into(),
            password: Zeroizing::new("a long enough password".into()),
            display_name: String::new(),
            is_staff: false,
            is_superuser: true,
        };
        let user = create_user(&store, &request).unwrap();
        assert!(user.is_superuser && user.is_staff);
        assert_eq!(count_users(&store).unwrap(), 1);
        let stored = store.read().unwrap().user(user.id).unwrap().unwrap();
        assert!(stored
            .password_hash
            .starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(matches!(
            create_user(
                &store,
                &CreateUser {
                    username: "root".into(),
                    ..request.clone()
                }
            ),
            Err(Error::Conflict(_))
        ));
        assert_eq!(reset_2fa(&store, "ROOT").unwrap(), 0);
        assert!(reset_2fa(&store, "nobody").is_err());
        let log = store
            .read()
            .unwrap()
            .list_audit(&Default::default(), 0, 10)
            .unwrap();
        let actions: Vec<_> = log.items.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["user.2fa_reset", "user.created"]);
    }
}
