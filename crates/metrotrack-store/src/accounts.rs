//! Labs, users, API tokens and the audit log: who may do what, and what was done.

use chrono::{DateTime, Utc};
use metrotrack_core::LabId;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What an account may do (SPEC §3). `reader` < `technician` < `supervisor` < `admin`
/// within its own lab; `national` reads every lab and writes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads the lab's records and figures.
    Reader,
    /// Also imports logs (and amends the records it created).
    Technician,
    /// Also sets plans, amends any record and voids batches.
    Supervisor,
    /// Also manages users, tokens and categories.
    Admin,
    /// Reads across labs.
    National,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Reader,
        Role::Technician,
        Role::Supervisor,
        Role::Admin,
        Role::National,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reader => "reader",
            Self::Technician => "technician",
            Self::Supervisor => "supervisor",
            Self::Admin => "admin",
            Self::National => "national",
        }
    }

    /// Rank within a lab's ladder; `national` ranks as a reader (it writes nothing).
    fn rank(self) -> u8 {
        match self {
            Self::Reader | Self::National => 0,
            Self::Technician => 1,
            Self::Supervisor => 2,
            Self::Admin => 3,
        }
    }

    /// Whether this role may do what `needed` may (within its own lab).
    pub fn at_least(self, needed: Role) -> bool {
        self.rank() >= needed.rank()
    }

    /// Whether this role reads labs other than its own.
    pub fn reads_every_lab(self) -> bool {
        self == Self::National
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A word that names no [`Role`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a role; use reader, technician, supervisor, admin or national")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let word = s.trim().to_ascii_lowercase();
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == word)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

/// A lab: every record, plan, user and token belongs to one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lab {
    pub id: LabId,
    /// Short code, unique, used in URLs (`?lab=CODE`); the first lab is `default`.
    pub code: String,
    pub name: String,
}

/// A person who signs in with a username and password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: i64,
    pub lab: LabId,
    pub username: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

/// A user to create. The password arrives already hashed (Argon2id PHC string): the
/// store never sees a password.
#[derive(Clone)]
pub struct NewUser {
    pub username: String,
    pub password_hash: String,
    pub role: Role,
}

impl fmt::Debug for NewUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewUser")
            .field("username", &self.username)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// A user with the hash to check a password against.
#[derive(Clone)]
pub struct UserCredentials {
    pub user: User,
    pub password_hash: String,
}

impl fmt::Debug for UserCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserCredentials")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// An API token as listed: never the token itself, which is shown once at creation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    pub id: i64,
    pub lab: LabId,
    pub name: String,
    pub role: Role,
    /// The user it acts for, if any.
    pub user_id: Option<i64>,
    pub username: Option<String>,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_by: Option<String>,
}

impl ApiToken {
    /// The name recorded as the author of what this token does.
    pub fn actor(&self) -> String {
        match &self.username {
            Some(user) => user.clone(),
            None => format!("token:{}", self.name),
        }
    }
}

/// A token to store: its SHA-256 (lower-case hex), never the token.
#[derive(Debug, Clone)]
pub struct NewToken {
    pub name: String,
    pub role: Role,
    pub user_id: Option<i64>,
    pub token_hash: String,
}

/// One entry of the append-only audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub lab: LabId,
    pub at: DateTime<Utc>,
    pub actor: String,
    /// `import.create`, `import.void`, `plan.set`, `user.create`, `token.create`, …
    pub action: String,
    /// What it was done to: `import_batch:12`, `user:3`, …
    pub subject: String,
    pub detail: serde_json::Value,
}

/// A web sign-in to store: the SHA-256 of the session id (the id itself lives only in
/// the browser's cookie), and the CSRF token its forms must carry.
#[derive(Clone)]
pub struct NewSession {
    pub session_hash: String,
    pub user_id: i64,
    pub lab: LabId,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl fmt::Debug for NewSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewSession")
            .field("user_id", &self.user_id)
            .field("lab", &self.lab)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// A live web session: who signed in, and the CSRF token of their forms.
#[derive(Clone)]
pub struct Session {
    pub user: User,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("user", &self.user)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}
