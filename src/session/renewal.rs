//! Renewal: one re-login shared by every call that saw the session expire, and the state
//! that says whether a session may still be renewed.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use super::{Credentials, ExpiredSession, Origin, PasswordLogin, Session, SessionSlot};
use crate::auth::body::{LoginBody, decode_login};
use crate::error::{Error, ErrorKind, Matcher};
use crate::response::RawResponse;
use crate::secret::SecretString;
use tokio::sync::watch;
use tokio::time::Instant;

/// What became of renewing a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RenewalState {
    /// Renewable if it has a password login.
    Open,
    /// A logout is ending the session: never renew it then, or a call racing the logout
    /// would bring it back.
    Ending,
    /// Logging in again was refused (a changed password): report the 401 rather than
    /// repeat it for every waiting call, since failed logins count towards the lockout.
    Refused,
    /// Logging in again needs a two-factor code nobody supplied.
    NeedsCode,
}

impl RenewalState {
    const ALL: [Self; 4] = [Self::Open, Self::Ending, Self::Refused, Self::NeedsCode];
}

/// A [`RenewalState`] that calls on many tasks read and change without a lock. Private to
/// this module: every change is one of the transitions on [`Session`] below.
#[derive(Debug, Default)]
pub(super) struct RenewalCell(AtomicU8);

impl RenewalCell {
    fn get(&self) -> RenewalState {
        RenewalState::ALL[usize::from(self.0.load(Ordering::SeqCst))]
    }

    fn swap(&self, state: RenewalState) -> RenewalState {
        RenewalState::ALL[usize::from(self.0.swap(state as u8, Ordering::SeqCst))]
    }

    /// Moves from `from` to `to`; `false` when the state was something else.
    fn change(&self, from: RenewalState, to: RenewalState) -> bool {
        self.0
            .compare_exchange(from as u8, to as u8, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    }
}

impl Session {
    /// Where renewing this session stands.
    pub(crate) fn renewal_state(&self) -> RenewalState {
        self.renewal.get()
    }

    /// A logout starts ending the session: from here on a call that gets a 401 (the token
    /// is being revoked) must not log in again behind the logout's back. Returns the state
    /// it replaced, for [`Session::abort_logout`].
    pub(crate) fn begin_logout(&self) -> RenewalState {
        self.renewal.swap(RenewalState::Ending)
    }

    /// The logout failed and the session lives on, in the state it had before: a session
    /// whose re-login was refused stays refused, so a failed logout never earns one more
    /// failed login towards the server's lockout.
    pub(crate) fn abort_logout(&self, before: RenewalState) {
        self.renewal.change(RenewalState::Ending, before);
    }

    /// A re-login failed for good (`Refused` or `NeedsCode`); a session a logout is ending
    /// keeps that state.
    fn renewal_failed(&self, state: RenewalState) {
        self.renewal.change(RenewalState::Open, state);
    }
}

/// How a renewal ended.
pub(crate) enum Renewed {
    /// Replay the call with this session.
    Session(Arc<Session>),
    /// The session cannot be renewed (token session, re-login off, logged out meanwhile, or
    /// the password no longer works): return the 401 as it is.
    NotRenewable,
    /// Renewal needed the caller and could not complete, or the login could not be sent.
    Failed(Error),
}

/// A renewal's outcome as every caller that waited for it receives it.
#[derive(Clone)]
pub(super) enum Done {
    Session(Arc<Session>),
    NotRenewable,
    Failed(Arc<Error>),
}

impl Done {
    fn of(renewed: Renewed) -> Self {
        match renewed {
            Renewed::Session(session) => Self::Session(session),
            Renewed::NotRenewable => Self::NotRenewable,
            Renewed::Failed(error) => Self::Failed(Arc::new(error)),
        }
    }

    fn renewed(&self) -> Renewed {
        match self {
            Self::Session(session) => Renewed::Session(Arc::clone(session)),
            Self::NotRenewable => Renewed::NotRenewable,
            Self::Failed(error) => Renewed::Failed(Error::copy_of(error)),
        }
    }
}

/// The renewal under way, if any: its result, once it has one.
pub(super) type InFlight = std::sync::Mutex<Option<watch::Receiver<Option<Done>>>>;

/// Whether a renewal has neither finished nor died.
fn under_way(receiver: &watch::Receiver<Option<Done>>) -> bool {
    receiver.borrow().is_none() && receiver.has_changed().is_ok()
}

/// The longest a renewal may take unless the builder says otherwise: long enough for a
/// person to find their phone and type a code.
pub(crate) const RENEWAL_TIMEOUT: Duration = Duration::from_secs(300);

impl SessionSlot {
    /// Renews `stale` after a 401, once for all callers. The first caller that finds no
    /// renewal under way starts one as a task of its own (`task`, handed the stale session),
    /// and every caller, that one included, waits for its result. A caller that stops
    /// waiting (its deadline passed) leaves the renewal running: the hook keeps the time
    /// it needs (up to the renewal timeout), and the calls after it use the new session.
    pub(crate) async fn renew<T, Fut>(&self, stale: &Arc<Session>, task: T) -> Renewed
    where
        T: FnOnce(Arc<Session>) -> Fut,
        Fut: Future<Output = Renewed> + Send + 'static,
    {
        if stale.password_login.is_none() || !self.relogin {
            return Renewed::NotRenewable;
        }
        let mut receiver = {
            let mut in_flight = self
                .in_flight
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            match in_flight.as_ref().filter(|receiver| under_way(receiver)) {
                Some(receiver) => receiver.clone(),
                None => {
                    if let Some(answer) = self.before_renewing(stale) {
                        return answer;
                    }
                    let (sender, receiver) = watch::channel(None);
                    *in_flight = Some(receiver.clone());
                    let work = task(Arc::clone(stale));
                    tokio::spawn(async move {
                        let done = Done::of(work.await);
                        // Nobody may be waiting any more; the result is in place anyway.
                        let _ = sender.send(Some(done));
                    });
                    receiver
                }
            }
        };
        match receiver.wait_for(Option::is_some).await {
            Ok(done) => done.as_ref().map_or(Renewed::NotRenewable, Done::renewed),
            // The task ended without an answer: it panicked (in the hook, say), or the
            // runtime is shutting down.
            Err(_) => Renewed::Failed(Error::with_source(
                ErrorKind::SessionExpired,
                "the session's renewal ended without an answer",
            )),
        }
    }

    /// What to answer without logging in: `None` when a renewal should start.
    fn before_renewing(&self, stale: &Arc<Session>) -> Option<Renewed> {
        match self.get() {
            Some(current) if !Arc::ptr_eq(&current, stale) => {
                return Some(Renewed::Session(current));
            }
            None => return Some(Renewed::NotRenewable),
            Some(_) => {}
        }
        match stale.renewal_state() {
            RenewalState::Open => None,
            // A refused code is not the end: once the back-off has passed, the next call
            // that finds the session expired asks the hook again. Without a hook nobody
            // can supply a code, so the session stays expired.
            RenewalState::NeedsCode
                if self.hook.is_some() && self.refusals().may_ask_again(self.first_backoff) =>
            {
                None
            }
            RenewalState::NeedsCode => Some(Renewed::Failed(Error::new(ErrorKind::SessionExpired))),
            RenewalState::Ending | RenewalState::Refused => Some(Renewed::NotRenewable),
        }
    }

    /// The renewal itself, run by the task [`SessionSlot::renew`] starts, within the
    /// renewal timeout. Also returns a fresh session that lost a race with a login or a
    /// logout: nobody will use it, so the caller ends it on the server.
    pub(crate) async fn run_renewal<F, Fut>(
        &self,
        stale: &Arc<Session>,
        send_login: F,
    ) -> (Renewed, Option<Arc<Session>>)
    where
        F: FnOnce(Vec<u8>) -> Fut,
        Fut: Future<Output = Result<RawResponse, Error>>,
    {
        let Some(login) = stale.password_login.clone() else {
            return (Renewed::NotRenewable, None);
        };
        let two_factor = login.two_factor;
        let attempt = tokio::time::timeout(
            self.renewal_timeout,
            self.log_in_again(stale, login, send_login),
        )
        .await;
        let (outcome, orphan) = attempt.unwrap_or_else(|_| {
            tracing::warn!(
                timeout_ms = self.renewal_timeout.as_millis() as u64,
                "renewing the session took longer than its timeout"
            );
            let why = "renewing the session took longer than the renewal timeout";
            if two_factor {
                // Like an answer that came too late: ask again after the back-off.
                self.refusals().record(TIMED_OUT);
                let error = Error::with_source(ErrorKind::SessionExpired, why);
                (Renewed::Failed(error), None)
            } else {
                let error = Error::with_source(ErrorKind::Timeout, why);
                (Renewed::Failed(error), None)
            }
        });
        crate::metrics::renewal(matches!(outcome, Renewed::Session(_)));
        let failed = match &outcome {
            Renewed::Session(_) => None,
            Renewed::NotRenewable => Some(RenewalState::Refused),
            Renewed::Failed(error) if matches!(error.kind(), ErrorKind::SessionExpired) => {
                Some(RenewalState::NeedsCode)
            }
            // A transport failure may pass: the next 401 may try again.
            Renewed::Failed(_) => None,
        };
        if let Some(state) = failed {
            stale.renewal_failed(state);
        }
        (outcome, orphan)
    }

    /// One attempt at logging in again, asking the hook for a code where one is needed.
    async fn log_in_again<F, Fut>(
        &self,
        stale: &Arc<Session>,
        login: PasswordLogin,
        send_login: F,
    ) -> (Renewed, Option<Arc<Session>>)
    where
        F: FnOnce(Vec<u8>) -> Fut,
        Fut: Future<Output = Result<RawResponse, Error>>,
    {
        let user_id = stale.credentials.user_id.clone();
        let (login, code) = if login.two_factor {
            let Some(hook) = &self.hook else {
                tracing::warn!(user_id = %user_id, "session expired; a new two-factor code is needed");
                return (Renewed::Failed(Error::new(ErrorKind::SessionExpired)), None);
            };
            let (attempt, previous_refusal) = {
                let refusals = self.refusals();
                (refusals.count + 1, refusals.reason.clone())
            };
            let expired = ExpiredSession {
                user: login.user.clone(),
                user_id: user_id.clone(),
                attempt,
                previous_refusal,
            };
            let Some(fresh) = hook(expired).await else {
                self.refusals().record(NO_CODE);
                return (Renewed::Failed(Error::new(ErrorKind::SessionExpired)), None);
            };
            let login = match fresh.credentials {
                Some((user, password)) => PasswordLogin {
                    user,
                    password,
                    two_factor: true,
                },
                None => login,
            };
            (login, fresh.code)
        } else {
            (login, None)
        };
        tracing::info!(user_id = %user_id, user = %login.user, "session expired: logging in again");
        let body = LoginBody {
            user: Some(&login.user),
            password: Some(login.password.expose()),
            resume: None,
            code: code.as_ref().map(SecretString::expose),
        }
        .to_vec();
        let answer = match body {
            Ok(body) => send_login(body).await,
            Err(error) => Err(error),
        };
        let data = match answer.and_then(decode_login::<Error>) {
            Ok(data) => data,
            Err(error) => {
                let reason = error
                    .api_error()
                    .and_then(|api| api.error().map(str::to_owned));
                let failed = relogin_failed(error, login.two_factor);
                let needs_code = matches!(&failed, Renewed::Failed(e) if matches!(e.kind(), ErrorKind::SessionExpired));
                if needs_code && login.two_factor {
                    self.refusals()
                        .record(reason.as_deref().unwrap_or("unauthorized"));
                }
                return (failed, None);
            }
        };
        *self.refusals() = Refusals::default();
        let credentials = Credentials {
            user_id: data.user_id,
            token: data.auth_token,
            origin: Origin::Login,
        };
        let mut fresh = match Session::from_credentials(credentials) {
            Ok(session) => session,
            Err(error) => return (Renewed::Failed(error), None),
        };
        let two_factor = login.two_factor || code.is_some();
        fresh.password_login = Some(PasswordLogin {
            two_factor,
            ..login
        });
        tracing::info!(user_id = %fresh.credentials.user_id, "logged in again");
        let fresh = Arc::new(fresh);
        match self.swap_if(stale, Arc::clone(&fresh)) {
            Some(fresh) => (Renewed::Session(fresh), None),
            // A login or a logout replaced the stale session meanwhile: theirs stands, and
            // the token just obtained must not live on unused on the server.
            None => {
                tracing::info!(
                    "a login or logout won the race with the re-login; its token is ended"
                );
                let answer = self.get().map_or(Renewed::NotRenewable, Renewed::Session);
                (answer, Some(fresh))
            }
        }
    }
}

/// What the hook is told when its previous answer was `None` (it gave up).
const NO_CODE: &str = "no-code";
/// What the hook is told when its previous answer (or the login after it) did not come
/// within the renewal timeout.
const TIMED_OUT: &str = "timed-out";

/// The first wait after a refused code, unless the builder sets another; it doubles with
/// every refusal in a row.
pub(crate) const FIRST_BACKOFF: Duration = Duration::from_secs(1);
/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(300);
/// After `totp-max-attempts` (too many wrong emailed codes: `EmailCheck` in
/// `apps/meteor/app/2fa/server/code/`, 5 by default, until a new code is issued) asking a
/// person for a code at once only wastes it.
const MAX_ATTEMPTS_BACKOFF: Duration = Duration::from_secs(60);
/// Rocket.Chat blocks a user's logins (`error-login-blocked-for-user`, HTTP 401) after 10
/// failed attempts within 5 minutes, and an IP after 50 (`Block_Multiple_Failed_Logins_*`
/// in `apps/meteor/server/settings/accounts.ts`, checked by
/// `apps/meteor/server/lib/auth/restrictLoginAttempts.ts`; wrong two-factor codes count as
/// failures). Once blocked, nothing is tried again for the whole block. The doubling
/// back-off keeps a bot answering wrong codes as fast as it can at 9 failures in any 5
/// minutes, under the block.
const BLOCKED_BACKOFF: Duration = Duration::from_secs(300);

/// Refused attempts in a row at renewing a two-factor session, for the back-off and to tell
/// the hook why its previous answer failed.
#[derive(Debug, Default)]
pub(super) struct Refusals {
    count: u32,
    last: Option<Instant>,
    reason: Option<String>,
}

impl Refusals {
    fn record(&mut self, reason: &str) {
        self.count = self.count.saturating_add(1);
        self.last = Some(Instant::now());
        self.reason = Some(reason.to_owned());
    }

    /// How long to wait after the last refusal before the hook is asked again.
    fn backoff(&self, first: Duration) -> Duration {
        let doubled = first.saturating_mul(1 << self.count.saturating_sub(1).min(16));
        let floor = match self.reason.as_deref() {
            Some("totp-max-attempts") => MAX_ATTEMPTS_BACKOFF,
            Some("error-login-blocked-for-user" | "error-login-blocked-for-ip") => BLOCKED_BACKOFF,
            _ => Duration::ZERO,
        };
        doubled.max(floor).min(MAX_BACKOFF)
    }

    fn may_ask_again(&self, first: Duration) -> bool {
        self.last
            .is_none_or(|last| last.elapsed() >= self.backoff(first))
    }
}

impl SessionSlot {
    fn refusals(&self) -> std::sync::MutexGuard<'_, Refusals> {
        self.refusals
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Whether the server's answer asks for a (new) second factor.
fn wants_code(error: &Error) -> bool {
    error.api_error().is_some_and(|api| {
        ["totp-required", "totp-invalid", "totp-max-attempts"]
            .iter()
            .any(|code| Matcher::Code(code).matches(api))
    })
}

/// A re-login that failed: a refused password gives the caller the original 401; a demand
/// for a second factor (or a two-factor session's refused code) is a `SessionExpired`.
fn relogin_failed(error: Error, two_factor: bool) -> Renewed {
    if wants_code(&error) || (two_factor && error.status().is_some_and(|s| s.as_u16() == 401)) {
        tracing::warn!("logging in again needs a new two-factor code");
        return Renewed::Failed(Error::with_source(ErrorKind::SessionExpired, error));
    }
    if error.status().is_some_and(|s| s.as_u16() == 401) {
        tracing::warn!("logging in again was refused; the password may have changed");
        return Renewed::NotRenewable;
    }
    Renewed::Failed(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn after(reasons: &[&str]) -> Refusals {
        let mut refusals = Refusals::default();
        for reason in reasons {
            refusals.record(reason);
        }
        refusals
    }

    #[test]
    fn the_back_off_doubles_is_capped_and_respects_the_servers_blocks() {
        let first = FIRST_BACKOFF;
        assert_eq!(
            after(&["totp-invalid"]).backoff(first),
            Duration::from_secs(1)
        );
        assert_eq!(
            after(&["totp-invalid"; 3]).backoff(first),
            Duration::from_secs(4)
        );
        assert_eq!(after(&["totp-invalid"; 40]).backoff(first), MAX_BACKOFF);
        assert_eq!(
            after(&["totp-max-attempts"]).backoff(first),
            MAX_ATTEMPTS_BACKOFF
        );
        assert_eq!(
            after(&["error-login-blocked-for-user"]).backoff(first),
            BLOCKED_BACKOFF
        );
        // Answering wrong as fast as allowed stays under Rocket.Chat's default block of 10
        // failed logins within 5 minutes.
        let mut refusals = Refusals::default();
        let mut at = Duration::ZERO;
        let mut failures = Vec::new();
        for _ in 0..30 {
            refusals.record("totp-invalid");
            failures.push(at);
            at += refusals.backoff(first);
        }
        for (i, start) in failures.iter().enumerate() {
            let within = failures[i..]
                .iter()
                .filter(|t| **t < *start + Duration::from_secs(300))
                .count();
            assert!(
                within < 10,
                "{within} failures within 5 minutes from {start:?}"
            );
        }
    }
}
