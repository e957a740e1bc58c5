//! The audit log (supervisors and admins), users and tokens (admins).

use axum::extract::State;
use axum::http::StatusCode;
use metrotrack_store::Store;
use metrotrack_store::accounts::{NewToken, NewUser, Role};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::{
    MIN_PASSWORD_CHARS, generate_password, generate_token, hash_password, hash_token,
};
use crate::dto::{
    AuditPage, CreateToken, CreateUser, CreatedToken, CreatedUser, ProblemDetails, TokenDto,
    TokenList, UserList,
};
use crate::error::{ApiResult, Said, forbidden, internal, not_found, said, validation};
use crate::extract::{Json, Path, Query};
use crate::pagination::{finish, page};
use crate::routes::CommonErrors;
use crate::{AppState, Caller};

/// A page of the audit log.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Rows per page, 1 to 1000 (default 50).
    #[param(minimum = 1, maximum = 1000, example = 50)]
    pub limit: Option<u32>,
    /// The previous page's `next_cursor` (absent: the first page).
    pub cursor: Option<String>,
}

/// The lab's audit log, newest first: every import, void, plan, user and token change.
#[utoipa::path(
    get,
    path = "/api/v1/audit",
    tag = "admin",
    operation_id = "list_audit_entries",
    params(AuditParams),
    responses((status = 200, description = "A page of audit entries", body = AuditPage), CommonErrors),
)]
pub async fn audit<S: Store>(
    State(app): State<AppState<S>>,
    caller: Caller,
    Query(q): Query<AuditParams>,
) -> ApiResult<Json<AuditPage>> {
    caller.require(Role::Supervisor)?;
    let (p, limit) = page(q.limit, q.cursor.as_deref())?;
    let rows = app.store.audit_log(caller.lab, p).await?;
    let (rows, next_cursor) = finish(rows, limit, |r| r.id);
    Ok(Json(AuditPage {
        items: rows.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}

/// A role an admin may give over the API: anything but `national`, which only the
/// server's operator gives (`metrotrack user create … --role national`).
fn grantable(role: &str) -> ApiResult<Role> {
    let role: Role = role.parse().map_err(|e| {
        validation(Said {
            vi: format!(
                "role: {role:?} không phải là vai trò; hãy dùng reader, technician, \
                 supervisor hoặc admin."
            ),
            en: format!("role: {e}"),
        })
    })?;
    if role == Role::National {
        return Err(forbidden(said!(
            "Tài khoản cấp quốc gia được tạo trên máy chủ (`metrotrack user create`), không \
             qua API.",
            "National accounts are created on the server (`metrotrack user create`), not \
             over the API."
        )));
    }
    Ok(role)
}

/// The lab's users.
#[utoipa::path(
    get,
    path = "/api/v1/users",
    tag = "admin",
    operation_id = "list_users",
    responses((status = 200, description = "The users", body = UserList), CommonErrors),
)]
pub async fn users<S: Store>(
    State(app): State<AppState<S>>,
    caller: Caller,
) -> ApiResult<Json<UserList>> {
    caller.require(Role::Admin)?;
    let items = app.store.users(caller.lab).await?;
    Ok(Json(UserList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// Creates a user of the admin's lab; without a password one is generated and shown once.
#[utoipa::path(
    post,
    path = "/api/v1/users",
    tag = "admin",
    operation_id = "create_user",
    request_body = CreateUser,
    responses(
        (status = 201, description = "Created; a generated password is shown once", body = CreatedUser),
        (status = 409, description = "The username is taken", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Not accepted: the problem's `detail` names the field", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 415, description = "The body is not `application/json`", body = ProblemDetails, content_type = "application/problem+json"),
        CommonErrors,
    ),
)]
pub async fn create_user<S: Store>(
    State(app): State<AppState<S>>,
    caller: Caller,
    Json(body): Json<CreateUser>,
) -> ApiResult<(StatusCode, Json<CreatedUser>)> {
    caller.require(Role::Admin)?;
    let role = grantable(&body.role)?;
    let (password, generated) = match body.password {
        Some(p) if p.chars().count() >= MIN_PASSWORD_CHARS => (p, false),
        Some(_) => {
            return Err(validation(said!(
                "password: ít nhất {MIN_PASSWORD_CHARS} ký tự.",
                "password: at least {MIN_PASSWORD_CHARS} characters."
            )));
        }
        None => (generate_password().map_err(internal)?, true),
    };
    let secret = password.clone();
    let password_hash = tokio::task::spawn_blocking(move || hash_password(&secret))
        .await
        .map_err(internal)?
        .map_err(internal)?;
    let user = app
        .store
        .create_user(
            caller.lab,
            &NewUser {
                username: body.username,
                password_hash,
                role,
            },
            &caller.actor,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedUser {
            user: user.into(),
            password: generated.then_some(password),
        }),
    ))
}

/// The lab's tokens (never the tokens themselves).
#[utoipa::path(
    get,
    path = "/api/v1/tokens",
    tag = "admin",
    operation_id = "list_tokens",
    responses((status = 200, description = "The tokens (never the secrets)", body = TokenList), CommonErrors),
)]
pub async fn tokens<S: Store>(
    State(app): State<AppState<S>>,
    caller: Caller,
) -> ApiResult<Json<TokenList>> {
    caller.require(Role::Admin)?;
    let items = app.store.tokens(caller.lab).await?;
    Ok(Json(TokenList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// Creates an API token; the token is in this answer only (the server keeps its hash).
#[utoipa::path(
    post,
    path = "/api/v1/tokens",
    tag = "admin",
    operation_id = "create_token",
    request_body = CreateToken,
    responses(
        (status = 201, description = "Created; the token is in this answer only", body = CreatedToken),
        (status = 404, description = "No such user", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Not accepted: the problem's `detail` names the field", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 415, description = "The body is not `application/json`", body = ProblemDetails, content_type = "application/problem+json"),
        CommonErrors,
    ),
)]
pub async fn create_token<S: Store>(
    State(app): State<AppState<S>>,
    caller: Caller,
    Json(body): Json<CreateToken>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    caller.require(Role::Admin)?;
    let role = grantable(&body.role)?;
    if let Some(user_id) = body.user_id {
        let users = app.store.users(caller.lab).await?;
        let user = users.iter().find(|u| u.id == user_id).ok_or_else(|| {
            not_found(said!(
                "Không tìm thấy người dùng {user_id}.",
                "user {user_id} was not found."
            ))
        })?;
        if !user.role.at_least(role) {
            let (name, has) = (&user.username, user.role);
            return Err(validation(said!(
                "role: mã truy cập của {name} không được có vai trò cao hơn vai trò của người \
                 dùng đó ({has}).",
                "role: a token of {name} may not exceed its user's role ({has})."
            )));
        }
    }
    let token = generate_token().map_err(internal)?;
    let info = app
        .store
        .create_token(
            caller.lab,
            &NewToken {
                name: body.name,
                role,
                user_id: body.user_id,
                token_hash: hash_token(&token),
            },
            &caller.actor,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            token,
            info: info.into(),
        }),
    ))
}

/// Revokes a token: it fails from the next request on.
#[utoipa::path(
    post,
    path = "/api/v1/tokens/{id}/revoke",
    tag = "admin",
    operation_id = "revoke_token",
    params(("id" = i64, Path, description = "The token id")),
    responses(
        (status = 200, description = "Revoked", body = TokenDto),
        (status = 404, description = "No such token in the lab", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Already revoked", body = ProblemDetails, content_type = "application/problem+json"),
        CommonErrors,
    ),
)]
pub async fn revoke_token<S: Store>(
    State(app): State<AppState<S>>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<TokenDto>> {
    caller.require(Role::Admin)?;
    let token = app
        .store
        .revoke_token(caller.lab, id, &caller.actor)
        .await?;
    Ok(Json(token.into()))
}
