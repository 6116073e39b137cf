//! The OpenAPI 3 document, generated from the handlers' and types' annotations so it cannot
//! drift from the code; snapshot-tested in `tests/api.rs`.

use super::dto;
use super::{contract_frameworks, figures, providers, reference, services};
use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The name of the security scheme in the document (also written out in `security` below).
pub const BEARER: &str = "api_token";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "caremarket API",
        description = "The provider and service register of the council's adult social care market: \
                       services with their CQC ratings and the council's contract details, providers, \
                       frameworks, areas and the market figures; and care homes' vacancy returns. Authenticate with an API token \
                       (`Authorization: Bearer <token>`) made on the API tokens page (/account/tokens). \
                       Errors are JSON: `{\"error\": ..., \"field\": ..., \"status\": ...}`.",
    ),
    paths(
        services::list,
        services::get,
        services::patch,
        providers::list,
        providers::get,
        reference::frameworks,
        contract_frameworks::get,
        contract_frameworks::create,
        contract_frameworks::update,
        contract_frameworks::add_member,
        contract_frameworks::remove_member,
        reference::areas,
        figures::market,
        crate::capacity::api::submit,
        crate::workforce::api_submit,
        document,
    ),
    components(schemas(
        dto::ErrorBody,
        dto::Service,
        dto::ServiceDetail,
        dto::ServicePage,
        dto::ServicePatch,
        dto::CurrentRatings,
        dto::RatingHistoryEntry,
        dto::Relationship,
        dto::Provider,
        dto::ProviderDetail,
        dto::ProviderPage,
        dto::Framework,
        dto::FrameworkList,
        dto::Lot,
        contract_frameworks::ContractFrameworkDetail,
        contract_frameworks::ContractLot,
        contract_frameworks::FrameworkMember,
        contract_frameworks::ContractFrameworkInput,
        contract_frameworks::ContractFrameworkUpdate,
        contract_frameworks::MemberInput,
        dto::Area,
        dto::AreaList,
        dto::MarketFigures,
        dto::KindFigures,
        dto::ContractFigure,
        dto::KindContractFigure,
        dto::NationalFigure,
        dto::RatingChange,
        dto::ServiceKindCode,
        dto::ContractStatusCode,
        dto::RatingCode,
        dto::RatingFilter,
        dto::SpecialismCode,
        dto::KeyQuestionCode,
        dto::RegistrationCode,
        crate::capacity::api::ReturnIn,
        crate::capacity::api::LineIn,
        crate::capacity::api::ReturnCreated,
        crate::workforce::ApiReturnIn,
        crate::workforce::ApiReturnCreated,
    )),
    modifiers(&BearerToken),
    security(("api_token" = [])),
    tags(
        (name = "services", description = "Services (CQC locations and services CQC does not regulate)"),
        (name = "providers", description = "Providers and their services"),
        (name = "reference", description = "Frameworks, lots and areas, for filters and changes"),
        (name = "frameworks", description = "Contract frameworks: create and change them, and put services on their lots"),
        (name = "figures", description = "The market figures on the dashboard"),
        (name = "capacity", description = "Care home vacancy returns from providers' and councils' own systems"),
        (name = "workforce", description = "Workforce returns from providers' and councils' own systems"),
        (name = "meta", description = "This document"),
    )
)]
pub struct ApiDoc;

struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API token from the API tokens page (/account/tokens), sent as `Authorization: Bearer <token>`."))
                    .build(),
            ),
        );
    }
}

/// The OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// This OpenAPI document. Needs no token.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    operation_id = "openapi_document",
    tag = "meta",
    security(()),
    responses((status = 200, description = "The OpenAPI 3 document", content_type = "application/json", body = Object))
)]
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(openapi())
}
