//! Web sessions on PostgreSQL.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::PgStore;
use crate::StoreError;
use crate::accounts::{NewSession, Session, User};
use crate::sqlite::parse_stored;

impl PgStore {
    pub(super) async fn create_session_impl(&self, s: &NewSession) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("delete from web_sessions where expires_at <= $1")
            .bind(s.created_at)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "insert into web_sessions (lab_id, user_id, session_hash, csrf_token, created_at, expires_at)
             values ($1, $2, $3, $4, $5, $6)",
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
             from web_sessions s
             join users u on u.lab_id = s.lab_id and u.id = s.user_id
             where s.session_hash = $1 and s.expires_at > $2",
        )
        .bind(session_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            let role: String = r.try_get("role")?;
            Ok(Session {
                user: User {
                    id: r.try_get("id")?,
                    lab: r.try_get("lab_id")?,
                    username: r.try_get("username")?,
                    role: parse_stored("role", &role)?,
                    created_at: r.try_get("created_at")?,
                    created_by: r.try_get("created_by")?,
                },
                csrf_token: r.try_get("csrf_token")?,
                expires_at: r.try_get("expires_at")?,
            })
        })
        .transpose()
    }

    pub(super) async fn delete_session_impl(&self, session_hash: &str) -> Result<(), StoreError> {
        sqlx::query("delete from web_sessions where session_hash = $1")
            .bind(session_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
