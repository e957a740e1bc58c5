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

use argon2::password_hash::PasswordHasher;
use argon2::password_hash::phc::PasswordHash;
use argon2::{Algorithm, Argon2, Block, Params, Version};
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
    ApiError, ApiResult, busy, forbidden, not_found, said, too_many_requests, unauthorized,
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

/// Argon2id's memory per password check, in KiB (19 MiB: OWASP's first choice with
/// [`ARGON2_PASSES`] passes; the hashing threads bound how many run at once).
pub const ARGON2_MEMORY_KIB: u32 = 19 * 1024;
/// Argon2id's passes over its memory.
pub const ARGON2_PASSES: u32 = 2;
/// Argon2id's lanes: one (the hashing threads are the parallelism).
pub const ARGON2_LANES: u32 = 1;

/// Argon2id with the parameters above, written out rather than left to the crate's
/// defaults, so that an upgrade cannot change what a sign-in costs.
fn argon2() -> Argon2<'static> {
    let params = Params::new(ARGON2_MEMORY_KIB, ARGON2_PASSES, ARGON2_LANES, None)
        .unwrap_or(Params::DEFAULT);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password with Argon2id (the parameters above, random salt): a PHC string.
pub fn hash_password(password: &str) -> Result<String, String> {
    argon2()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// The most memory a stored hash may ask Argon2 for, in KiB (64 MiB): a hash asking for
/// more never verifies rather than costing that much on every try.
const MAX_VERIFY_KIB: u32 = 64 * 1024;

thread_local! {
    /// Argon2's working memory, kept by each thread that checks passwords and reused by
    /// every check: allocating and zeroing 19 MiB per check left the allocator holding
    /// tens of MiB more after each one.
    static ARGON2_MEMORY: std::cell::RefCell<Vec<Block>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Whether `password` matches the PHC `hash` (computed with the hash's own parameters,
/// in this thread's reused working memory).
pub(crate) fn verify_password(password: &str, hash: &str) -> bool {
    let Ok(hash) = PasswordHash::new(hash) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else {
        return false;
    };
    let Ok(params) = Params::try_from(&hash) else {
        return false;
    };
    if params.m_cost() > MAX_VERIFY_KIB {
        return false;
    }
    let Ok(algorithm) = Algorithm::try_from(hash.algorithm.as_str()) else {
        return false;
    };
    let version = match hash.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let blocks = params.block_count();
    let argon2 = Argon2::new(algorithm, version, params);
    let mut computed = vec![0u8; expected.as_bytes().len()];
    let done = ARGON2_MEMORY.with_borrow_mut(|memory| {
        if memory.len() < blocks {
            memory.resize(blocks, Block::default());
        }
        argon2.hash_password_into_with_memory(
            password.as_bytes(),
            salt.as_ref(),
            &mut computed,
            &mut memory[..blocks],
        )
    });
    done.is_ok() && same_bytes(&computed, expected.as_bytes())
}

/// Compares two byte strings in time independent of where they differ.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
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
            let role = self.role;
            Err(forbidden(said!(
                "Việc này cần vai trò {needed} (hoặc cao hơn); tài khoản này có vai trò {role}.",
                "This needs the {needed} role (or higher); this account is {role}."
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
            None if self.role.reads_every_lab() => Err(not_found(said!(
                "Không có phòng thí nghiệm {code:?}.",
                "There is no lab {code:?}."
            ))),
            _ => Err(forbidden(said!(
                "Tài khoản này chỉ xem được dữ liệu của phòng thí nghiệm của mình.",
                "This account reads only its own lab."
            ))),
        }
    }
}

/// What a run of failed sign-ins is counted against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Counted {
    /// One account (its normalised key) from one address; `""` for failing tokens.
    Pair(IpAddr, String),
    /// One account from anywhere: guesses spread over many addresses.
    Account(String),
    /// One address, whatever account: random usernames from one place.
    Address(IpAddr),
}

/// Failures of one [`Counted`] in the current window, and until when the next try waits.
#[derive(Debug, Clone, Copy)]
struct Failures {
    first: Instant,
    count: u32,
    wait_until: Instant,
}

/// Failed sign-ins, counted per address and account, per account and per address, with
/// a progressive delay: past its free failures, each further failure makes the next try
/// wait twice as long (1 s, 2 s, 4 s, … up to a cap) and a try before then is answered
/// 429 unchecked. A delay, not a lockout: the cap across addresses is short, so no one
/// can keep a user out for long by failing on their behalf, while guessing stays slow.
#[derive(Debug)]
pub(crate) struct Throttle {
    failures: Mutex<HashMap<Counted, Failures>>,
    /// Free failures of one account from one address (0: never throttles).
    max_failures: u32,
}

impl Throttle {
    /// The default number of free failures of one account from one address.
    pub(crate) const MAX_FAILURES: u32 = 10;
    /// Failures are forgotten this long after the first of a run.
    const WINDOW: Duration = Duration::from_secs(300);
    /// The longest wait for one account from one address.
    const PAIR_CAP: Duration = Duration::from_secs(300);
    /// The longest wait another address's failures can impose on an account, or many
    /// accounts' failures on one address.
    const SHARED_CAP: Duration = Duration::from_secs(30);
    /// Entries kept at most; expired ones are dropped first when full.
    const CAPACITY: usize = 100_000;

    /// A throttle allowing `max_failures` free failures per account and address per
    /// window, three times as many per account and per address (0: never throttles).
    pub(crate) fn new(max_failures: u32) -> Self {
        Self {
            failures: Mutex::new(HashMap::new()),
            max_failures,
        }
    }

    /// Free failures and the longest wait for one kind of count.
    fn limits(&self, counted: &Counted) -> (u32, Duration) {
        match counted {
            Counted::Pair(..) => (self.max_failures, Self::PAIR_CAP),
            Counted::Account(_) | Counted::Address(_) => {
                (self.max_failures.saturating_mul(3), Self::SHARED_CAP)
            }
        }
    }

    /// `Err(seconds left)` while any of `keys` must wait.
    fn check(&self, keys: &[Counted]) -> Result<(), u64> {
        if self.max_failures == 0 {
            return Ok(());
        }
        let Ok(map) = self.failures.lock() else {
            return Ok(());
        };
        let now = Instant::now();
        let left = keys
            .iter()
            .filter_map(|k| map.get(k))
            .filter(|f| now.duration_since(f.first) < Self::WINDOW)
            .map(|f| f.wait_until.saturating_duration_since(now))
            .max()
            .unwrap_or_default();
        if left.is_zero() {
            Ok(())
        } else {
            Err(left.as_secs_f64().ceil().max(1.0) as u64)
        }
    }

    /// Counts one failure against each of `keys`.
    fn fail(&self, keys: &[Counted]) {
        if self.max_failures == 0 {
            return;
        }
        let Ok(mut map) = self.failures.lock() else {
            return;
        };
        let now = Instant::now();
        if map.len() >= Self::CAPACITY {
            map.retain(|_, f| now.duration_since(f.first) < Self::WINDOW);
            if map.len() >= Self::CAPACITY {
                map.clear();
            }
        }
        for key in keys {
            let (free, cap) = self.limits(key);
            let entry = map.entry(key.clone()).or_insert(Failures {
                first: now,
                count: 0,
                wait_until: now,
            });
            if now.duration_since(entry.first) >= Self::WINDOW {
                *entry = Failures {
                    first: now,
                    count: 0,
                    wait_until: now,
                };
            }
            entry.count = entry.count.saturating_add(1);
            if entry.count >= free {
                let doublings = (entry.count - free).min(16);
                let wait = Duration::from_secs(1u64 << doublings).min(cap);
                entry.wait_until = now + wait;
            }
        }
    }

    /// Forgets the failures of `keys` (a sign-in that succeeded).
    fn succeed(&self, keys: &[Counted]) {
        if let Ok(mut map) = self.failures.lock() {
            for key in keys {
                map.remove(key);
            }
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
/// to lab LAB; blanks around either part (Unicode ones too: a no-break space is one) do
/// not count. The one reading of a login: the account lookup takes its `username` and
/// `lab_code`, and the throttle its [`LoginName::throttle_key`], so every spelling that
/// reaches an account is counted against that account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LoginName<'a> {
    pub(crate) username: &'a str,
    pub(crate) lab_code: Option<&'a str>,
}

impl<'a> LoginName<'a> {
    pub(crate) fn parse(login: &'a str) -> Self {
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

    /// The throttle's key once the lab is resolved (`None`: no such lab): the lab and
    /// the username, case-folded. The lookup matches the username exactly; folding
    /// here only counts more spellings together, never fewer.
    pub(crate) fn throttle_key(&self, lab: Option<LabId>) -> String {
        let username = self.username.to_lowercase();
        match lab {
            Some(lab) => format!("{username}@{lab}"),
            None => format!("{username}@?"),
        }
    }
}

/// Why a sign-in with a username and password failed.
#[derive(Debug)]
pub(crate) enum SignInError {
    /// Too many failures for this account or from this address: refused, unchecked,
    /// for this many more seconds.
    Throttled(u64),
    /// Too many password checks are waiting already: try again in this many seconds.
    Busy(u64),
    /// An unknown user, lab or a wrong password: one answer for all.
    Refused,
    /// The store failed.
    Failed(ApiError),
}

impl From<SignInError> for ApiError {
    fn from(e: SignInError) -> Self {
        match e {
            SignInError::Throttled(left) => too_many_requests(left),
            SignInError::Busy(left) => busy(left),
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
/// repeated failures for one account or from one address are refused before the
/// password is checked (see [`Throttle`]); the check itself waits for one of the few
/// hashing threads, or answers busy when too many wait.
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
    let key = name.throttle_key(lab);
    let counted = [
        Counted::Pair(ip, key.clone()),
        Counted::Account(key),
        Counted::Address(ip),
    ];
    app.throttle
        .check(&counted)
        .map_err(SignInError::Throttled)?;
    let credentials = match lab {
        Some(lab) => app.store.user_credentials(lab, name.username).await?,
        None => None,
    };
    let hash = credentials.as_ref().map(|c| c.password_hash.clone());
    let matches = app
        .hashing
        .run(move || {
            let known = hash.is_some();
            let hash = hash.unwrap_or_else(|| dummy_hash().to_owned());
            verify_password(&password, &hash) && known
        })
        .await
        .map_err(|_| SignInError::Busy(1))?;
    match credentials {
        Some(c) if matches => {
            // The address's count stays: one good sign-in does not excuse the rest.
            app.throttle.succeed(&counted[..2]);
            Ok(c.user)
        }
        _ => {
            app.throttle.fail(&counted);
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
                    state.throttle.succeed(&[Counted::Pair(ip, String::new())]);
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
                    let counted = [Counted::Pair(ip, String::new())];
                    state.throttle.fail(&counted);
                    state.throttle.check(&counted).map_err(too_many_requests)?;
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
    fn throttle_delays_progressively_per_pair_account_and_address() {
        let t = Throttle::new(Throttle::MAX_FAILURES);
        let ip = IpAddr::from([127, 0, 0, 1]);
        let other = IpAddr::from([10, 0, 0, 2]);
        let ann = |ip| {
            [
                Counted::Pair(ip, "ann@1".into()),
                Counted::Account("ann@1".into()),
                Counted::Address(ip),
            ]
        };
        for _ in 0..Throttle::MAX_FAILURES {
            assert!(t.check(&ann(ip)).is_ok());
            t.fail(&ann(ip));
        }
        // The pair waits a second; another account from the address and the account
        // from elsewhere do not.
        assert_eq!(t.check(&ann(ip)), Err(1));
        let bob = [
            Counted::Pair(ip, "bob@1".into()),
            Counted::Account("bob@1".into()),
            Counted::Address(ip),
        ];
        assert!(t.check(&bob).is_ok());
        assert!(t.check(&ann(other)).is_ok());
        // Each further failure doubles the wait, up to the cap.
        t.fail(&ann(ip));
        assert_eq!(t.check(&ann(ip)), Err(2));
        for _ in 0..20 {
            t.fail(&ann(ip));
        }
        assert_eq!(t.check(&ann(ip)), Err(Throttle::PAIR_CAP.as_secs()));
        // 31 failures for the account: from elsewhere it waits, at most the shared cap.
        let left = t.check(&ann(other)).expect_err("the account waits");
        assert!(left <= Throttle::SHARED_CAP.as_secs(), "{left}");
        // A success clears the account, not the address's count.
        t.succeed(&ann(ip)[..2]);
        assert!(t.check(&ann(other)).is_ok());
        assert!(t.check(&bob).is_err(), "the address still waits");
    }

    #[test]
    fn an_unthrottled_server_never_waits() {
        let t = Throttle::new(0);
        let k = [Counted::Address(IpAddr::from([127, 0, 0, 1]))];
        for _ in 0..100 {
            t.fail(&k);
        }
        assert!(t.check(&k).is_ok());
    }

    #[test]
    fn every_spelling_of_one_account_is_one_login_and_one_throttle_key() {
        let plain = LoginName::parse("u_admin");
        assert_eq!(plain.username, "u_admin");
        assert_eq!(plain.lab_code, None);
        for spelling in [
            "u_admin@default",
            " u_admin @default",
            "u_admin  @default",
            "u_admin\u{a0}@default",
            "u_admin@ default\t",
        ] {
            let name = LoginName::parse(spelling);
            assert_eq!(name.username, "u_admin", "{spelling:?}");
            assert_eq!(name.lab_code, Some("default"), "{spelling:?}");
            assert_eq!(name.throttle_key(Some(1)), plain.throttle_key(Some(1)));
        }
        // Any letter case: one count; another lab or no such lab: another.
        let upper = LoginName::parse("U_Admin");
        assert_eq!(plain.throttle_key(Some(1)), upper.throttle_key(Some(1)));
        assert_ne!(plain.throttle_key(Some(1)), plain.throttle_key(Some(2)));
        assert_ne!(plain.throttle_key(Some(1)), plain.throttle_key(None));
    }
}
