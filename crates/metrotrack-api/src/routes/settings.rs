//! The lab's report settings: the letterhead, signature block and recipients of the
//! report document, read by anyone of the lab and set by an admin.

use axum::extract::State;
use metrotrack_core::ReportSettings;
use metrotrack_store::Store;
use metrotrack_store::accounts::Role;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::dto::ProblemDetails;
use crate::error::ApiResult;
use crate::extract::Json;
use crate::routes::CommonErrors;
use crate::{AppState, Caller};

/// Who issues the report document and who signs it (Decree 30/2020/NĐ-CP).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "parent_body": "SỞ KHOA HỌC VÀ CÔNG NGHỆ TỈNH BẮC NINH",
    "issuing_body": "TRUNG TÂM KỸ THUẬT TIÊU CHUẨN ĐO LƯỜNG CHẤT LƯỢNG",
    "symbol": "TTKT",
    "place": "Bắc Ninh",
    "signer_title": "GIÁM ĐỐC",
    "signer_name": "Nguyễn Văn An",
    "recipients": ["Sở KH&CN (để b/c)", "Chi cục TCĐLCL"]
}))]
pub struct ReportSettingsDto {
    /// The governing body above the lab (cơ quan chủ quản); may be empty.
    #[schema(max_length = 200)]
    pub parent_body: String,
    /// The issuing body's name; empty: the lab's name.
    #[schema(max_length = 200)]
    pub issuing_body: String,
    /// The issuing body's abbreviation in the number `Số: …/BC-{symbol}`.
    #[schema(max_length = 200)]
    pub symbol: String,
    /// The place written before the date.
    #[schema(max_length = 200)]
    pub place: String,
    /// The signer's authority and title; a line break starts a new line.
    #[schema(max_length = 200)]
    pub signer_title: String,
    #[schema(max_length = 200)]
    pub signer_name: String,
    /// "Nơi nhận", one recipient each (at most 20).
    #[schema(max_items = 20)]
    pub recipients: Vec<String>,
}

impl From<ReportSettings> for ReportSettingsDto {
    fn from(s: ReportSettings) -> Self {
        Self {
            parent_body: s.parent_body,
            issuing_body: s.issuing_body,
            symbol: s.symbol,
            place: s.place,
            signer_title: s.signer_title,
            signer_name: s.signer_name,
            recipients: s.recipients,
        }
    }
}

impl From<ReportSettingsDto> for ReportSettings {
    fn from(s: ReportSettingsDto) -> Self {
        Self {
            parent_body: s.parent_body,
            issuing_body: s.issuing_body,
            symbol: s.symbol,
            place: s.place,
            signer_title: s.signer_title,
            signer_name: s.signer_name,
            recipients: s.recipients,
        }
    }
}

/// The report document's settings.
#[utoipa::path(
    get,
    path = "/api/v1/settings/report",
    tag = "figures",
    operation_id = "get_report_settings",
    responses(
        (status = 200, description = "The settings; all empty when none were set", body = ReportSettingsDto),
        CommonErrors,
    ),
)]
pub async fn report_settings<S: Store>(
    State(app): State<AppState<S>>,
    caller: Caller,
) -> ApiResult<Json<ReportSettingsDto>> {
    caller.require(Role::Reader)?;
    Ok(Json(app.store.report_settings(caller.lab).await?.into()))
}

/// Sets the report document's settings.
///
/// Every field is replaced; trimmed, empty recipients dropped. Admins only; audited with
/// before and after.
#[utoipa::path(
    put,
    path = "/api/v1/settings/report",
    tag = "figures",
    operation_id = "set_report_settings",
    request_body = ReportSettingsDto,
    responses(
        (status = 200, description = "The settings as stored", body = ReportSettingsDto),
        (status = 415, description = "The body is not `application/json`", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "A field too long, holding control characters, or too many recipients", body = ProblemDetails, content_type = "application/problem+json"),
        CommonErrors,
    ),
)]
pub async fn set_report_settings<S: Store>(
    State(app): State<AppState<S>>,
    caller: Caller,
    Json(body): Json<ReportSettingsDto>,
) -> ApiResult<Json<ReportSettingsDto>> {
    caller.require(Role::Admin)?;
    let stored = app
        .store
        .set_report_settings(caller.lab, &body.into(), &caller.actor)
        .await?;
    Ok(Json(stored.into()))
}
