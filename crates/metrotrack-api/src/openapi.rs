//! The OpenAPI 3 document, generated from the handlers' annotations and the DTOs.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::{dto, routes, upload};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "metrotrack API",
        description = "Records of a legal-metrology lab: CSV logs in, monthly achievement out.\n\n\
            Authenticate with `Authorization: Bearer <token>` (tokens: `metrotrack token create`) \
            or HTTP Basic with a username and password. Errors are RFC 9457 \
            `application/problem+json` with a stable `type` URI under \
            `https://metrotrack.dev/problems/`.",
    ),
    paths(
        routes::health,
        routes::metrics,
        upload::upload,
        routes::imports::list,
        routes::imports::show,
        routes::imports::file,
        routes::imports::void,
        routes::amendments::restore_import,
        routes::amendments::amend_inspection,
        routes::amendments::inspection_versions,
        routes::amendments::void_inspection,
        routes::amendments::amend_earthing_test,
        routes::amendments::earthing_test_versions,
        routes::amendments::void_earthing_test,
        routes::records::instruments,
        routes::records::instrument,
        routes::records::inspections,
        routes::records::inspection,
        routes::records::points,
        routes::records::point,
        routes::records::tests,
        routes::records::inspected_instruments,
        routes::records::measured_points,
        routes::figures::categories,
        routes::categories::set_category,
        routes::categories::create_cycle,
        routes::settings::report_settings,
        routes::settings::set_report_settings,
        routes::figures::plans,
        routes::figures::set_plan,
        routes::figures::delete_plan,
        routes::figures::achievement,
        routes::figures::report,
        routes::figures::due,
        routes::admin::audit,
        routes::admin::users,
        routes::admin::create_user,
        routes::admin::tokens,
        routes::admin::create_token,
        routes::admin::revoke_token,
    ),
    components(schemas(
        dto::ProblemDetails,
        dto::RowProblem,
        upload::UploadForm,
        upload::CsvLog,
        crate::document::DocxFile,
        dto::CsvExport,
        dto::XlsxExport,
        dto::KeptFile,
        dto::ExportFormatParam,
        // The words of the query and path parameters (named with `value_type`).
        dto::SchemeParam,
        dto::LangParam,
        dto::ReportFormatParam,
        dto::LogKindParam,
        dto::ImportModeParam,
        dto::DelimiterParam,
        dto::EncodingParam,
        dto::DateOrderParam,
        dto::InspectionKindParam,
        dto::OutcomeParam,
        dto::MetricParam,
    )),
    modifiers(&Security),
    security(("bearer" = []), ("basic" = [])),
    tags(
        (name = "imports", description = "Upload lab logs; import batches"),
        (name = "records", description = "Instruments, inspections, earthing points and tests"),
        (name = "figures", description = "Categories, plans, achievement, reports, due list"),
        (name = "admin", description = "Audit log, users and tokens"),
        (name = "meta", description = "Health"),
    ),
)]
struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Basic)),
        );
        // Each operation names its security itself (generators read it per operation):
        // a token or a username and password, unless the route says otherwise
        // (`/healthz` needs nothing).
        let either = vec![
            SecurityRequirement::new("bearer", Vec::<String>::new()),
            SecurityRequirement::new("basic", Vec::<String>::new()),
        ];
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                operation.security.get_or_insert_with(|| either.clone());
            }
        }
    }
}

/// The API's OpenAPI document.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
