//! Labs, users, API tokens and the audit log: who may do what, and what was done.

use chrono::{DateTime, Utc};
use metrotrack_core::LabId;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The role ladder is the core's: re-exported where the store's users look for it.
pub use metrotrack_core::{Role, UnknownRole};

/// A lab: every record, plan, user and token belongs to one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Lab {
    pub id: LabId,
    /// Short code, unique, used in URLs (`?lab=CODE`); the first lab is `default`.
    pub code: String,
    pub name: String,
}

/// A person who signs in with a username and password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct User {
    pub id: i64,
    #[sqlx(rename = "lab_id")]
    pub lab: LabId,
    pub username: String,
    #[sqlx(try_from = "String")]
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
#[derive(Clone, sqlx::FromRow)]
pub struct UserCredentials {
    #[sqlx(flatten)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct ApiToken {
    pub id: i64,
    #[sqlx(rename = "lab_id")]
    pub lab: LabId,
    pub name: String,
    #[sqlx(try_from = "String")]
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
#[derive(Clone, sqlx::FromRow)]
pub struct Session {
    #[sqlx(flatten)]
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
