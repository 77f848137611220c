//! The request context every handler starts from: the state, who is asking (as the gate `A`
//! requires), the client and the time. Handlers extract it with their typed body, call one
//! operation through [`Ctx::run`], and answer with its typed result.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::extract::{session_cookie, ClientInfo, PreAuth, Verified, Visitor};
use super::AppState;
use crate::auth::Authenticated;
use crate::error::{Error, Result};
use crate::state::{now, Caller, Core};

/// Anyone, without looking up a session: the sign-in form, the CSRF token, API-key requests.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Anyone;

impl<S: Send + Sync> FromRequestParts<S> for Anyone {
    type Rejection = Error;

    async fn from_request_parts(_parts: &mut Parts, _state: &S) -> Result<Self> {
        Ok(Anyone)
    }
}

impl Gate for Anyone {
    fn auth(&self) -> Option<&Authenticated> {
        None
    }
}

/// Who may reach a handler: [`Verified`] (the default), [`PreAuth`], any [`Visitor`] (with
/// the session looked up), or [`Anyone`].
pub(crate) trait Gate: FromRequestParts<AppState, Rejection = Error> + Send {
    /// The session and user it carries, if any.
    fn auth(&self) -> Option<&Authenticated>;
}

impl Gate for Verified {
    fn auth(&self) -> Option<&Authenticated> {
        Some(&self.0)
    }
}

impl Gate for PreAuth {
    fn auth(&self) -> Option<&Authenticated> {
        Some(&self.0)
    }
}

impl Gate for Visitor {
    fn auth(&self) -> Option<&Authenticated> {
        self.auth.as_ref()
    }
}

/// The request context.
#[derive(Debug)]
pub(crate) struct Ctx<A = Verified> {
    /// The shared state.
    pub(crate) state: AppState,
    /// Who is asking.
    pub(crate) who: A,
    /// The session cookie's value, if any (the anonymous cookie of a sign-in form included).
    pub(crate) cookie: Option<String>,
    /// Who asks, from where and when, as the operations take it.
    pub(crate) caller: Caller,
}

impl<A: Gate> FromRequestParts<AppState> for Ctx<A> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let who = A::from_request_parts(parts, state).await?;
        let ClientInfo(client) = ClientInfo::from_request_parts(parts, state).await?;
        let caller = Caller {
            auth: who.auth().cloned(),
            client,
            now: now(),
        };
        Ok(Ctx {
            state: state.clone(),
            who,
            cookie: session_cookie(&parts.headers),
            caller,
        })
    }
}

impl<A> Ctx<A> {
    /// Runs an operation off the async threads (SQLite, Argon2 verification).
    pub(crate) async fn run<T, F>(&self, op: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Core, &Caller) -> Result<T> + Send + 'static,
    {
        let caller = self.caller.clone();
        self.state.blocking(move |core| op(core, &caller)).await
    }

    /// [`Ctx::run`] for an operation that hashes a password, holding a hashing slot.
    pub(crate) async fn run_hashing<T, F>(&self, op: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Core, &Caller) -> Result<T> + Send + 'static,
    {
        let caller = self.caller.clone();
        self.state.hashing(move |core| op(core, &caller)).await
    }

    /// The CSRF token bound to the session cookie (empty without one).
    pub(crate) fn csrf(&self) -> String {
        self.cookie
            .as_deref()
            .map(|c| self.state.core.keys.csrf_token(c))
            .unwrap_or_default()
    }
}

impl Ctx<Verified> {
    /// The verified session and user.
    pub(crate) fn auth(&self) -> &Authenticated {
        &self.who.0
    }
}
