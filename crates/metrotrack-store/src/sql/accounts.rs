//! Labs, users and tokens written: what a name may be, what a clash says, and what the
//! audit log keeps.

use metrotrack_core::LabId;

use super::{Arg, Backend, SqlStore, execute, fetch_one, fetch_optional, is_unique_violation};
use crate::StoreError;
use crate::accounts::{ApiToken, Lab, NewToken, NewUser, User};

/// The columns of an API token (`t`) with its user's name, as [`ApiToken`] reads them.
pub(crate) const TOKEN_SELECT: &str = "select t.id, t.lab_id, t.name, t.role, t.user_id, \
     u.username, t.created_at, t.created_by, t.last_used_at, t.revoked_at, t.revoked_by \
     from api_tokens t left join users u on u.lab_id = t.lab_id and u.id = t.user_id";

/// The columns of a user, as [`User`] reads them.
pub(crate) const USER_COLUMNS: &str = "id, lab_id, username, role, created_at, created_by";

/// A lab code, trimmed, or why it is not one.
fn lab_code(code: &str) -> Result<&str, StoreError> {
    let code = code.trim();
    if code.is_empty() || code.len() > 32 {
        return Err(StoreError::Invalid(
            "a lab code is 1 to 32 characters".into(),
        ));
    }
    Ok(code)
}

/// A username, trimmed, or why it is not one.
fn username(name: &str) -> Result<&str, StoreError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 64 || name.contains(':') {
        return Err(StoreError::Invalid(
            "a username is 1 to 64 characters, without `:`".into(),
        ));
    }
    Ok(name)
}

/// A token's name, trimmed, or why it is not one.
fn token_name(name: &str) -> Result<&str, StoreError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(StoreError::Invalid(
            "a token name is 1 to 100 characters".into(),
        ));
    }
    Ok(name)
}

/// `error` as a [`StoreError::Conflict`] saying `taken` when it is a unique violation.
fn conflict(error: sqlx::Error, taken: impl FnOnce() -> String) -> StoreError {
    if is_unique_violation(&error) {
        StoreError::Conflict(taken())
    } else {
        error.into()
    }
}

impl<DB: Backend> SqlStore<DB> {
    /// Creates a lab with the seeded categories: see [`crate::Store::create_lab`].
    pub(crate) async fn add_lab(
        &self,
        code: &str,
        name: &str,
        by: &str,
    ) -> Result<Lab, StoreError> {
        let code = lab_code(code)?;
        let mut tx = self.begin_write().await?;
        let (id,): (i64,) = fetch_one(
            &mut tx,
            sqlx::query(
                "insert into labs (code, name, created_at) values ($1, $2, $3) returning id",
            )
            .arg(code)
            .arg(name)
            .arg(DB::now()),
        )
        .await
        .map_err(|e| match e {
            StoreError::Database(e) => conflict(e, || format!("lab {code:?} already exists")),
            e => e,
        })?;
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

    /// Creates a user: see [`crate::Store::create_user`].
    pub(crate) async fn add_user(
        &self,
        lab: LabId,
        user: &NewUser,
        by: &str,
    ) -> Result<User, StoreError> {
        let name = username(&user.username)?;
        let mut tx = self.begin_write().await?;
        let sql = format!(
            "insert into users (lab_id, username, password_hash, role, created_at, created_by)
             values ($1, $2, $3, $4, $5, $6) returning {USER_COLUMNS}"
        );
        let created: User = fetch_one(
            &mut tx,
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .arg(lab)
                .arg(name)
                .arg(user.password_hash.as_str())
                .arg(user.role.as_str())
                .arg(DB::now())
                .arg(by),
        )
        .await
        .map_err(|e| match e {
            StoreError::Database(e) => {
                conflict(e, || format!("the username {name:?} is taken in this lab"))
            }
            e => e,
        })?;
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

    /// Stores a token: see [`crate::Store::create_token`].
    pub(crate) async fn add_token(
        &self,
        lab: LabId,
        token: &NewToken,
        by: &str,
    ) -> Result<ApiToken, StoreError> {
        let name = token_name(&token.name)?;
        let mut tx = self.begin_write().await?;
        if let Some(user) = token.user_id {
            let owner: Option<(i64,)> = fetch_optional(
                &mut tx,
                sqlx::query("select lab_id from users where lab_id = $1 and id = $2")
                    .arg(lab)
                    .arg(user),
            )
            .await?;
            if owner.is_none() {
                return Err(StoreError::NotFound(format!("user {user}")));
            }
        }
        let (id,): (i64,) = fetch_one(
            &mut tx,
            sqlx::query(
                "insert into api_tokens
                     (lab_id, user_id, name, role, token_hash, created_at, created_by)
                 values ($1, $2, $3, $4, $5, $6, $7) returning id",
            )
            .arg(lab)
            .arg(token.user_id)
            .arg(name)
            .arg(token.role.as_str())
            .arg(token.token_hash.as_str())
            .arg(DB::now())
            .arg(by),
        )
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
        self.token(lab, id).await
    }

    /// A token of the lab.
    pub(crate) async fn token(&self, lab: LabId, id: i64) -> Result<ApiToken, StoreError> {
        let sql = format!("{TOKEN_SELECT} where t.lab_id = $1 and t.id = $2");
        let mut c = self.pool.acquire().await?;
        fetch_optional(
            &mut c,
            sqlx::query(sqlx::AssertSqlSafe(sql)).arg(lab).arg(id),
        )
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("token {id}")))
    }

    /// Revokes a token: see [`crate::Store::revoke_token`].
    pub(crate) async fn revoke(
        &self,
        lab: LabId,
        id: i64,
        by: &str,
    ) -> Result<ApiToken, StoreError> {
        let mut tx = self.begin_write().await?;
        // On PostgreSQL `for update`: two admins revoking at once revoke it once.
        let sql = format!(
            "select revoked_at from api_tokens where lab_id = $1 and id = $2{}",
            DB::FOR_UPDATE
        );
        let revoked: Option<(Option<chrono::DateTime<chrono::Utc>>,)> = fetch_optional(
            &mut tx,
            sqlx::query(sqlx::AssertSqlSafe(sql)).arg(lab).arg(id),
        )
        .await?;
        match revoked {
            None => return Err(StoreError::NotFound(format!("token {id}"))),
            Some((Some(at),)) => {
                return Err(StoreError::Invalid(format!(
                    "token {id} was already revoked at {at}"
                )));
            }
            Some((None,)) => {}
        }
        execute(
            &mut tx,
            sqlx::query(
                "update api_tokens set revoked_at = $1, revoked_by = $2
                 where lab_id = $3 and id = $4",
            )
            .arg(DB::now())
            .arg(by)
            .arg(lab)
            .arg(id),
        )
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
        self.token(lab, id).await
    }
}
