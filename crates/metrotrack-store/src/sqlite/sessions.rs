//! Web sessions on SQLite.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::SqliteStore;
use super::accounts::user_from_row;
use crate::StoreError;
use crate::accounts::{NewSession, Session};

impl SqliteStore {
    pub(super) async fn create_session_impl(&self, s: &NewSession) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("delete from web_sessions where expires_at <= ?")
            .bind(s.created_at)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "insert into web_sessions (lab_id, user_id, session_hash, csrf_token, created_at, expires_at)
             values (?, ?, ?, ?, ?, ?)",
        )
        .bind(s.lab)
        .bind(s.user_id)
        .bind(&s.session_hash)
        .bind(&s.csrf_token)
        .bind(s.created_at)
        .bind(s.expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn session_impl(
        &self,
        session_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Session>, StoreError> {
        let row = sqlx::query(
            "select u.id, u.lab_id, u.username, u.role, u.created_at, u.created_by,
                    s.csrf_token, s.expires_at
             from web_sessions s join users u on u.id = s.user_id
             where s.session_hash = ? and s.expires_at > ?",
        )
        .bind(session_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(Session {
                user: user_from_row(&r)?,
                csrf_token: r.try_get("csrf_token")?,
                expires_at: r.try_get("expires_at")?,
            })
        })
        .transpose()
    }

    pub(super) async fn delete_session_impl(&self, session_hash: &str) -> Result<(), StoreError> {
        sqlx::query("delete from web_sessions where session_hash = ?")
            .bind(session_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
