//! Who is calling: API tokens (`Authorization: Bearer mt_…`) and, for scripts and the
//! web pages, a username and password (HTTP Basic). Passwords are kept as Argon2id
//! hashes and tokens as SHA-256 hashes; neither is ever stored or logged in clear.
//!
//! Every failure answers the same 401 (see [`crate::error::unauthorized`]); repeated
//! failures from one address (and username) are refused with 429 for a while: a
//! throttled username is refused before its password is checked, while a valid token
//! still passes (only failing tokens get 429).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use base64::Engine as _;
use chrono::Utc;
use metrotrack_core::LabId;
use metrotrack_store::accounts::{Role, User};
use metrotrack_store::{Store, StoreError};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::error::{
    ApiError, ApiResult, forbidden, internal, not_found, too_many_requests, unauthorized,
};

/// Every token starts with this, so that a leaked one is easy to recognise.
pub(crate) const TOKEN_PREFIX: &str = "mt_";

/// A new random token: `mt_` and 32 random bytes in hex.
pub fn generate_token() -> std::io::Result<String> {
    let mut bytes = [0u8; 32];
    random(&mut bytes)?;
    Ok(format!("{TOKEN_PREFIX}{}", hex::encode(bytes)))
}

/// Fills `bytes` from the operating system's random source.
fn random(bytes: &mut [u8]) -> std::io::Result<()> {
    getrandom::fill(bytes).map_err(|e| std::io::Error::other(e.to_string()))
}

/// The SHA-256 of a token, lower-case hex: what the store keeps.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new random password: 20 characters from an unambiguous alphabet.
pub fn generate_password() -> std::io::Result<String> {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 20];
    random(&mut bytes)?;
    Ok(bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect())
}

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// Hashes a password with Argon2id (default parameters, random salt): a PHC string.
pub fn hash_password(password: &str) -> Result<String, String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Whether `password` matches the PHC `hash`.
pub(crate) fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    /// The caller's own lab: every write goes there.
    pub(crate) lab: LabId,
    pub(crate) role: Role,
    /// Recorded as the author of what the caller does.
    pub(crate) actor: String,
}

impl Caller {
    /// Refuses unless the caller's role reaches `needed` (a national account writes
    /// nothing and reads what readers read).
    pub(crate) fn require(&self, needed: Role) -> ApiResult<()> {
        if self.role.at_least(needed) && !(self.role == Role::National && needed != Role::Reader) {
            Ok(())
        } else {
            Err(forbidden(format!(
                "This needs the {needed} role (or higher); this account is {}.",
                self.role
            )))
        }
    }

    /// The lab a read applies to: the caller's own, or for a national account the lab
    /// named by `?lab=CODE`. Anyone else naming a lab other than their own gets 403.
    pub(crate) async fn read_lab<S: Store>(
        &self,
        store: &S,
        requested: Option<&str>,
    ) -> ApiResult<LabId> {
        let Some(code) = requested.map(str::trim).filter(|c| !c.is_empty()) else {
            return Ok(self.lab);
        };
        let labs = store.labs().await?;
        let lab = labs.iter().find(|l| l.code == code);
        match lab {
            Some(l) if l.id == self.lab => Ok(l.id),
            Some(l) if self.role.reads_every_lab() => Ok(l.id),
            None if self.role.reads_every_lab() => {
                Err(not_found(format!("There is no lab {code:?}.")))
            }
            _ => Err(forbidden("This account reads only its own lab.")),
        }
    }
}

/// Failed sign-ins remembered per (address, account): after [`Throttle::MAX_FAILURES`]
/// failures within [`Throttle::WINDOW`], the pair is refused until the window ends.
#[derive(Debug)]
pub(crate) struct Throttle {
    failures: Mutex<HashMap<(IpAddr, String), (Instant, u32)>>,
    max_failures: u32,
}

impl Throttle {
    /// The default number of failures allowed per window.
    pub(crate) const MAX_FAILURES: u32 = 10;
    const WINDOW: Duration = Duration::from_secs(300);
    /// Entries kept at most; expired ones are dropped first when full.
    const CAPACITY: usize = 100_000;

    /// A throttle allowing `max_failures` failures per window (0: never throttles).
    pub(crate) fn new(max_failures: u32) -> Self {
        Self {
            failures: Mutex::new(HashMap::new()),
            max_failures,
        }
    }

    /// `Err(seconds left)` while the pair is blocked.
    fn check(&self, ip: IpAddr, who: &str) -> Result<(), u64> {
        let Ok(map) = self.failures.lock() else {
            return Ok(());
        };
        if let Some((start, count)) = map.get(&(ip, who.to_owned())) {
            let elapsed = start.elapsed();
            if self.max_failures > 0 && *count >= self.max_failures && elapsed < Self::WINDOW {
                return Err((Self::WINDOW - elapsed).as_secs().max(1));
            }
        }
        Ok(())
    }

    fn fail(&self, ip: IpAddr, who: &str) {
        let Ok(mut map) = self.failures.lock() else {
            return;
        };
        if map.len() >= Self::CAPACITY {
            map.retain(|_, (start, _)| start.elapsed() < Self::WINDOW);
            if map.len() >= Self::CAPACITY {
                map.clear();
            }
        }
        let entry = map
            .entry((ip, who.to_owned()))
            .or_insert((Instant::now(), 0));
        if entry.0.elapsed() >= Self::WINDOW {
            *entry = (Instant::now(), 0);
        }
        entry.1 += 1;
    }

    fn succeed(&self, ip: IpAddr, who: &str) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(&(ip, who.to_owned()));
        }
    }
}

/// A PHC hash to verify against when the user does not exist, so that an unknown
/// username costs as much time as a wrong password.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("metrotrack-no-such-user").unwrap_or_default())
}

/// A sign-in name as typed, read once: `user` signs in to the default lab, `user@LAB`
/// to lab LAB; blanks around either part (Unicode ones too) do not count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct LoginName<'a> {
    username: &'a str,
    lab_code: Option<&'a str>,
}

impl<'a> LoginName<'a> {
    fn parse(login: &'a str) -> Self {
        let login = login.trim();
        match login.rsplit_once('@') {
            Some((user, code)) => Self {
                username: user.trim(),
                lab_code: Some(code.trim()),
            },
            None => Self {
                username: login,
                lab_code: None,
            },
        }
    }
}

/// The throttle's key for an account: every spelling that reaches the same account
/// (blanks, `@LAB` or not for the default lab, letter case) counts together.
fn throttle_key(username: &str, lab: Option<LabId>) -> String {
    let username = username.to_lowercase();
    match lab {
        Some(lab) => format!("{username}@{lab}"),
        None => format!("{username}@?"),
    }
}

/// Why a sign-in with a username and password failed.
#[derive(Debug)]
pub(crate) enum SignInError {
    /// Too many failures for this account from this address: refused, unchecked, for
    /// this many more seconds.
    Throttled(u64),
    /// An unknown user, lab or a wrong password: one answer for all.
    Refused,
    /// The store or the hashing thread failed.
    Failed(ApiError),
}

impl From<SignInError> for ApiError {
    fn from(e: SignInError) -> Self {
        match e {
            SignInError::Throttled(left) => too_many_requests(left),
            SignInError::Refused => unauthorized(),
            SignInError::Failed(e) => e,
        }
    }
}

impl From<StoreError> for SignInError {
    fn from(e: StoreError) -> Self {
        Self::Failed(e.into())
    }
}

/// Checks a username (`user` or `user@LAB`) and password: the one sign-in behind HTTP
/// Basic and the web login. An unknown user costs as much time as a wrong password;
/// after [`Throttle::MAX_FAILURES`] failures for one account from `ip`, the account is
/// refused before its password is checked.
pub(crate) async fn sign_in<S: Store>(
    app: &AppState<S>,
    login: &str,
    password: String,
    ip: IpAddr,
) -> Result<User, SignInError> {
    let name = LoginName::parse(login);
    let lab = match name.lab_code {
        Some(code) => app
            .store
            .labs()
            .await?
            .into_iter()
            .find(|l| l.code == code)
            .map(|l| l.id),
        None => Some(app.store.default_lab().await?),
    };
    let key = throttle_key(name.username, lab);
    app.throttle
        .check(ip, &key)
        .map_err(SignInError::Throttled)?;
    let credentials = match lab {
        Some(lab) => app.store.user_credentials(lab, name.username).await?,
        None => None,
    };
    let hash = credentials.as_ref().map(|c| c.password_hash.clone());
    let matches = tokio::task::spawn_blocking(move || {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| dummy_hash().to_owned());
        verify_password(&password, &hash) && known
    })
    .await
    .map_err(|e| SignInError::Failed(internal(e)))?;
    match credentials {
        Some(c) if matches => {
            app.throttle.succeed(ip, &key);
            Ok(c.user)
        }
        _ => {
            app.throttle.fail(ip, &key);
            Err(SignInError::Refused)
        }
    }
}

/// The address a request came from (unspecified when the server was not started with
/// connection info, as in-process tests do).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClientIp(pub(crate) IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(client_ip(parts)))
    }
}

fn client_ip(parts: &Parts) -> IpAddr {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.ip())
}

/// How long before `last_used_at` is written again for the same token.
const TOUCH_EVERY: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

impl<S: Store> FromRequestParts<AppState<S>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState<S>) -> ApiResult<Caller> {
        let ip = client_ip(parts);
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(unauthorized)?;
        let (scheme, credentials) = header.trim().split_once(' ').ok_or_else(unauthorized)?;
        let credentials = credentials.trim();
        if scheme.eq_ignore_ascii_case("bearer") {
            // A valid token always passes (tokens are 256 random bits: guessing is not a
            // threat, and a throttled address must not lock out its good tokens); failures
            // from an address that keeps failing answer 429 instead of 401.
            let token = state.store.token_by_hash(&hash_token(credentials)).await?;
            match token {
                Some(t) if t.revoked_at.is_none() => {
                    state.throttle.succeed(ip, "");
                    let stale = t
                        .last_used_at
                        .is_none_or(|at| Utc::now() - at > TOUCH_EVERY);
                    if stale {
                        // Best effort and off the request path: a long import holds the
                        // write lock, and a read must not wait for it.
                        let store = state.store.clone();
                        let id = t.id;
                        tokio::spawn(async move {
                            if let Err(e) = store.touch_token(id, Utc::now()).await {
                                tracing::debug!(error = %e, "could not note a token's use");
                            }
                        });
                    }
                    Ok(Caller {
                        lab: t.lab,
                        role: t.role,
                        actor: t.actor(),
                    })
                }
                _ => {
                    state.throttle.fail(ip, "");
                    state.throttle.check(ip, "").map_err(too_many_requests)?;
                    Err(unauthorized())
                }
            }
        } else if scheme.eq_ignore_ascii_case("basic") {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(credentials)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(unauthorized)?;
            let (login, password) = decoded.split_once(':').ok_or_else(unauthorized)?;
            let user = sign_in(state, login, password.to_owned(), ip).await?;
            Ok(Caller {
                lab: user.lab,
                role: user.role,
                actor: user.username,
            })
        } else {
            Err(unauthorized())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_prefixed_random_and_hashed() {
        let a = generate_token().expect("random");
        let b = generate_token().expect("random");
        assert!(a.starts_with(TOKEN_PREFIX) && a.len() == 3 + 64);
        assert_ne!(a, b);
        assert_eq!(hash_token(&a).len(), 64);
        assert_ne!(hash_token(&a), a);
    }

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let hash = hash_password("correct horse battery").expect("hash");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("wrong", &hash));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn national_reads_but_never_writes() {
        let caller = Caller {
            lab: 1,
            role: Role::National,
            actor: "n".into(),
        };
        assert!(caller.require(Role::Reader).is_ok());
        assert!(caller.require(Role::Technician).is_err());
    }

    #[test]
    fn throttle_blocks_after_repeated_failures() {
        let t = Throttle::new(Throttle::MAX_FAILURES);
        let ip = IpAddr::from([127, 0, 0, 1]);
        for _ in 0..Throttle::MAX_FAILURES {
            assert!(t.check(ip, "ann").is_ok());
            t.fail(ip, "ann");
        }
        assert!(t.check(ip, "ann").is_err());
        assert!(t.check(ip, "bob").is_ok());
    }

    #[test]
    fn every_spelling_of_one_account_is_one_login_and_one_throttle_key() {
        let plain = LoginName::parse("u_admin");
        assert_eq!(plain.username, "u_admin");
        assert_eq!(plain.lab_code, None);
        for spelling in [
            "u_admin@default",
            " u_admin @default",
            "u_admin\u{a0}@default",
            "u_admin@ default\t",
        ] {
            let name = LoginName::parse(spelling);
            assert_eq!(name.username, "u_admin", "{spelling:?}");
            assert_eq!(name.lab_code, Some("default"), "{spelling:?}");
        }
        // The default lab named or not, any letter case: one count.
        assert_eq!(
            throttle_key("u_admin", Some(1)),
            throttle_key("U_Admin", Some(1))
        );
        assert_ne!(
            throttle_key("u_admin", Some(1)),
            throttle_key("u_admin", Some(2))
        );
        assert_ne!(
            throttle_key("u_admin", Some(1)),
            throttle_key("u_admin", None)
        );
    }
}
