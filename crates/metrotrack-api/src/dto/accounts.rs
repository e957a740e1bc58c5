//! Users, tokens and the audit log.

use chrono::{DateTime, Utc};
use metrotrack_store::accounts::{ApiToken, AuditEntry, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::GrantableRole;

page_of!(
    AuditPage,
    AuditDto,
    "A page of the audit log, newest first."
);

/// A user.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UserDto {
    pub id: i64,
    pub username: String,
    /// `reader`, `technician`, `supervisor`, `admin` or `national`.
    pub role: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

impl From<User> for UserDto {
    fn from(u: User) -> Self {
        Self {
            id: u.id,
            username: u.username,
            role: u.role.to_string(),
            created_at: u.created_at,
            created_by: u.created_by,
        }
    }
}

/// The lab's users.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UserList {
    pub items: Vec<UserDto>,
}

/// `POST /api/v1/users`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    #[schema(min_length = 1, max_length = 64)]
    pub username: String,
    /// `reader`, `technician`, `supervisor` or `admin`.
    #[schema(value_type = GrantableRole)]
    pub role: String,
    /// At least 12 characters; when absent one is generated and returned once.
    #[serde(default)]
    #[schema(min_length = 12)]
    pub password: Option<String>,
}

/// A created user, with the generated password when none was given (shown once).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreatedUser {
    pub user: UserDto,
    pub password: Option<String>,
}

/// An API token as listed (never the token itself).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TokenDto {
    pub id: i64,
    pub name: String,
    pub role: String,
    pub user_id: Option<i64>,
    pub username: Option<String>,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_by: Option<String>,
}

impl From<ApiToken> for TokenDto {
    fn from(t: ApiToken) -> Self {
        Self {
            id: t.id,
            name: t.name,
            role: t.role.to_string(),
            user_id: t.user_id,
            username: t.username,
            created_at: t.created_at,
            created_by: t.created_by,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
            revoked_by: t.revoked_by,
        }
    }
}

/// The lab's tokens.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TokenList {
    pub items: Vec<TokenDto>,
}

/// `POST /api/v1/tokens`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// `reader`, `technician`, `supervisor` or `admin`.
    #[schema(value_type = GrantableRole)]
    pub role: String,
    /// The user the token acts for; its role may not exceed theirs.
    #[serde(default)]
    pub user_id: Option<i64>,
}

/// A created token: `token` is shown this once; only its hash is kept.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreatedToken {
    pub token: String,
    pub info: TokenDto,
}

/// One entry of the audit log.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditDto {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub subject: String,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

impl From<AuditEntry> for AuditDto {
    fn from(a: AuditEntry) -> Self {
        Self {
            id: a.id,
            at: a.at,
            actor: a.actor,
            action: a.action,
            subject: a.subject,
            detail: a.detail,
        }
    }
}
