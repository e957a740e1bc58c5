//! Labs, users, tokens and the audit log on SQLite.

use chrono::{DateTime, Utc};
use metrotrack_core::LabId;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::{SqliteStore, corrupt, parse_stored};
use crate::StoreError;
use crate::accounts::{ApiToken, AuditEntry, Lab, NewToken, NewUser, Role, User, UserCredentials};
use crate::records::Page;

/// Whether a database error is a unique-index violation.
pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

fn role_of(row: &SqliteRow, column: &str) -> Result<Role, StoreError> {
    let text: String = row.try_get(column)?;
    parse_stored(column, &text)
}

pub(super) fn user_from_row(row: &SqliteRow) -> Result<User, StoreError> {
    Ok(User {
        id: row.try_get("id")?,
        lab: row.try_get("lab_id")?,
        username: row.try_get("username")?,
        role: role_of(row, "role")?,
        created_at: row.try_get("created_at")?,
        created_by: row.try_get("created_by")?,
    })
}

const TOKEN_SELECT: &str = "select t.id, t.lab_id, t.name, t.role, t.user_id, u.username,
            t.created_at, t.created_by, t.last_used_at, t.revoked_at, t.revoked_by
     from api_tokens t left join users u on u.id = t.user_id";

fn token_from_row(row: &SqliteRow) -> Result<ApiToken, StoreError> {
    Ok(ApiToken {
        id: row.try_get("id")?,
        lab: row.try_get("lab_id")?,
        name: row.try_get("name")?,
        role: role_of(row, "role")?,
        user_id: row.try_get("user_id")?,
        username: row.try_get("username")?,
        created_at: row.try_get("created_at")?,
        created_by: row.try_get("created_by")?,
        last_used_at: row.try_get("last_used_at")?,
        revoked_at: row.try_get("revoked_at")?,
        revoked_by: row.try_get("revoked_by")?,
    })
}

impl SqliteStore {
    pub(super) async fn labs_impl(&self) -> Result<Vec<Lab>, StoreError> {
        let rows = sqlx::query("select id, code, name from labs order by id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Lab {
                    id: r.try_get("id")?,
                    code: r.try_get("code")?,
                    name: r.try_get("name")?,
                })
            })
            .collect()
    }

    pub(super) async fn create_lab_impl(
        &self,
        code: &str,
        name: &str,
        by: &str,
    ) -> Result<Lab, StoreError> {
        let code = code.trim();
        if code.is_empty() || code.len() > 32 {
            return Err(StoreError::Invalid(
                "a lab code is 1 to 32 characters".into(),
            ));
        }
        let mut tx = self.begin_write().await?;
        let id: i64 = match sqlx::query_scalar(
            "insert into labs (code, name, created_at) values (?, ?, ?) returning id",
        )
        .bind(code)
        .bind(name)
        .bind(Utc::now())
        .fetch_one(&mut *tx)
        .await
        {
            Ok(id) => id,
            Err(e) if is_unique_violation(&e) => {
                return Err(StoreError::Conflict(format!("lab {code:?} already exists")));
            }
            Err(e) => return Err(e.into()),
        };
        Self::audit(
            &mut tx,
            id,
            by,
            "lab.create",
            &format!("lab:{id}"),
            serde_json::json!({"code": code, "name": name}),
        )
        .await?;
        tx.commit().await?;
        // The seeded categories, as every lab starts with.
        self.seed_labs().await?;
        Ok(Lab {
            id,
            code: code.to_owned(),
            name: name.to_owned(),
        })
    }

    pub(super) async fn create_user_impl(
        &self,
        lab: LabId,
        user: &NewUser,
        by: &str,
    ) -> Result<User, StoreError> {
        let username = user.username.trim();
        if username.is_empty() || username.chars().count() > 64 || username.contains(':') {
            return Err(StoreError::Invalid(
                "a username is 1 to 64 characters, without `:`".into(),
            ));
        }
        let mut tx = self.begin_write().await?;
        let row = match sqlx::query(
            "insert into users (lab_id, username, password_hash, role, created_at, created_by)
             values (?, ?, ?, ?, ?, ?)
             returning id, lab_id, username, role, created_at, created_by",
        )
        .bind(lab)
        .bind(username)
        .bind(&user.password_hash)
        .bind(user.role.as_str())
        .bind(Utc::now())
        .bind(by)
        .fetch_one(&mut *tx)
        .await
        {
            Ok(row) => row,
            Err(e) if is_unique_violation(&e) => {
                return Err(StoreError::Conflict(format!(
                    "the username {username:?} is taken in this lab"
                )));
            }
            Err(e) => return Err(e.into()),
        };
        let created = user_from_row(&row)?;
        Self::audit(
            &mut tx,
            lab,
            by,
            "user.create",
            &format!("user:{}", created.id),
            serde_json::json!({"username": created.username, "role": created.role}),
        )
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    pub(super) async fn users_impl(&self, lab: LabId) -> Result<Vec<User>, StoreError> {
        sqlx::query(
            "select id, lab_id, username, role, created_at, created_by from users
             where lab_id = ? order by id",
        )
        .bind(lab)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(user_from_row)
        .collect()
    }

    pub(super) async fn user_credentials_impl(
        &self,
        lab: LabId,
        username: &str,
    ) -> Result<Option<UserCredentials>, StoreError> {
        let row = sqlx::query(
            "select id, lab_id, username, role, created_at, created_by, password_hash
             from users where lab_id = ? and username = ?",
        )
        .bind(lab)
        .bind(username.trim())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(UserCredentials {
                user: user_from_row(&r)?,
                password_hash: r.try_get("password_hash")?,
            })
        })
        .transpose()
    }

    pub(super) async fn create_token_impl(
        &self,
        lab: LabId,
        token: &NewToken,
        by: &str,
    ) -> Result<ApiToken, StoreError> {
        let name = token.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(StoreError::Invalid(
                "a token name is 1 to 100 characters".into(),
            ));
        }
        let mut tx = self.begin_write().await?;
        if let Some(user) = token.user_id {
            let owner: Option<i64> =
                sqlx::query_scalar("select lab_id from users where id = ? and lab_id = ?")
                    .bind(user)
                    .bind(lab)
                    .fetch_optional(&mut *tx)
                    .await?;
            if owner.is_none() {
                return Err(StoreError::NotFound(format!("user {user}")));
            }
        }
        let id: i64 = sqlx::query_scalar(
            "insert into api_tokens (lab_id, user_id, name, role, token_hash, created_at, created_by)
             values (?, ?, ?, ?, ?, ?, ?) returning id",
        )
        .bind(lab)
        .bind(token.user_id)
        .bind(name)
        .bind(token.role.as_str())
        .bind(&token.token_hash)
        .bind(Utc::now())
        .bind(by)
        .fetch_one(&mut *tx)
        .await?;
        Self::audit(
            &mut tx,
            lab,
            by,
            "token.create",
            &format!("token:{id}"),
            serde_json::json!({"name": name, "role": token.role, "user_id": token.user_id}),
        )
        .await?;
        tx.commit().await?;
        self.token_impl(lab, id).await
    }

    async fn token_impl(&self, lab: LabId, id: i64) -> Result<ApiToken, StoreError> {
        let sql = format!("{TOKEN_SELECT} where t.lab_id = ? and t.id = ?");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(lab)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("token {id}")))?;
        token_from_row(&row)
    }

    pub(super) async fn tokens_impl(&self, lab: LabId) -> Result<Vec<ApiToken>, StoreError> {
        let sql = format!("{TOKEN_SELECT} where t.lab_id = ? order by t.id");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(lab)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(token_from_row)
            .collect()
    }

    pub(super) async fn token_by_hash_impl(
        &self,
        token_hash: &str,
    ) -> Result<Option<ApiToken>, StoreError> {
        let sql = format!("{TOKEN_SELECT} where t.token_hash = ?");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(token_from_row)
            .transpose()
    }

    pub(super) async fn touch_token_impl(
        &self,
        id: i64,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query("update api_tokens set last_used_at = ? where id = ?")
            .bind(at)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub(super) async fn revoke_token_impl(
        &self,
        lab: LabId,
        id: i64,
        by: &str,
    ) -> Result<ApiToken, StoreError> {
        let mut tx = self.begin_write().await?;
        let revoked: Option<Option<DateTime<Utc>>> =
            sqlx::query_scalar("select revoked_at from api_tokens where lab_id = ? and id = ?")
                .bind(lab)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        match revoked {
            None => return Err(StoreError::NotFound(format!("token {id}"))),
            Some(Some(at)) => {
                return Err(StoreError::Invalid(format!(
                    "token {id} was already revoked at {at}"
                )));
            }
            Some(None) => {}
        }
        sqlx::query(
            "update api_tokens set revoked_at = ?, revoked_by = ? where lab_id = ? and id = ?",
        )
        .bind(Utc::now())
        .bind(by)
        .bind(lab)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        Self::audit(
            &mut tx,
            lab,
            by,
            "token.revoke",
            &format!("token:{id}"),
            serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        self.token_impl(lab, id).await
    }

    pub(super) async fn audit_log_impl(
        &self,
        lab: LabId,
        page: Page,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query(
            "select id, lab_id, at, actor, action, subject, detail from audit_log
             where lab_id = ? and id < ? order by id desc limit ?",
        )
        .bind(lab)
        .bind(page.after.unwrap_or(i64::MAX))
        .bind(page.sql_limit())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let detail: String = r.try_get("detail")?;
                Ok(AuditEntry {
                    id: r.try_get("id")?,
                    lab: r.try_get("lab_id")?,
                    at: r.try_get("at")?,
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    subject: r.try_get("subject")?,
                    detail: serde_json::from_str(&detail)
                        .map_err(|e| corrupt(format_args!("audit_log.detail: {e}")))?,
                })
            })
            .collect()
    }
}
