//! The JSON API: the same use cases, the same authorisation, `application/problem+json` errors.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::Json;
use hearth_app::records::ListQuery;
use hearth_app::{ForField, Permission};
use hearth_domain::directory::AvailablePlaces;
use serde_json::json;

mod payments;
mod types;

use types::{
    action_from, contract_from, property_from, provider_from, schedule_from, service_from, Action,
    Contract, Property, Provider, Schedule, Service,
};

use crate::error::{Page, WebError};
use crate::routes::{Access, RouteTable};
use crate::session::Ctx;
use crate::AppState;

const API: Access = Access::Signed(Permission::SignedIn);

pub fn register(t: &mut RouteTable) {
    t.get("/api/v1/openapi.json", Access::Public, get(openapi));
    t.get("/api/v1/me", API, get(me));
    t.get("/api/v1/providers", API, get(providers));
    t.get("/api/v1/providers/{id}", API, get(provider));
    t.get("/api/v1/services", API, get(services));
    t.get("/api/v1/services/{id}", API, get(service));
    t.get("/api/v1/properties/{id}", API, get(property));
    t.get("/api/v1/contracts", API, get(contracts));
    t.get("/api/v1/contracts/{id}", API, get(contract));
    t.get(
        "/api/v1/contracts/{id}/documents",
        API,
        get(contract_documents),
    );
    t.get("/api/v1/documents/{id}/file", API, get(document_file));
    t.get("/api/v1/services/{id}/schedules", API, get(schedules));
    t.post(
        "/api/v1/services/{id}/schedule-requests",
        PORTAL,
        post(new_schedule),
    );
    t.post(
        "/api/v1/schedules/{id}/update-requests",
        PORTAL,
        post(update_schedule),
    );
    t.add(
        "PUT",
        "/api/v1/services/{id}/available-places",
        PORTAL,
        put(available_places),
    );
    t.post(
        "/api/v1/services/{id}/detail-requests",
        PORTAL,
        post(detail_request),
    );
    t.get("/api/v1/requests", API, get(requests));
    t.get("/api/v1/requests/{id}", API, get(request));
    t.post("/api/v1/requests/{id}/approve", DECIDE, post(approve));
    t.post("/api/v1/requests/{id}/reject", DECIDE, post(reject));
    t.get("/api/v1/actions", API, get(actions));
    t.post("/api/v1/actions/{id}/done", PORTAL, post(action_done));
    payments::register(t);
}

const PORTAL: Access = Access::Signed(Permission::ProviderPortal);
const DECIDE: Access = Access::Signed(Permission::BackOfficeWrite);

/// Parses a JSON body, answering 400 problem+json (`bad_json`) when it is not the expected
/// JSON.
fn body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, WebError> {
    serde_json::from_slice(bytes).map_err(|e| {
        WebError::bad_request(
            "bad_json",
            &format!("The body must be JSON of the documented shape: {e}"),
        )
    })
}

/// 201 with `v` as JSON.
fn created<T: serde::Serialize>(v: T) -> Page {
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

async fn contract_documents(State(s): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Page {
    ok(s.app
        .contract_documents_of(&ctx.principal, id)
        .await
        .map(|docs| {
            docs.into_iter()
                .map(types::Document::from)
                .collect::<Vec<_>>()
        })?)
}

async fn document_file(State(s): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Page {
    let (d, bytes) = s.app.document_file(&ctx.principal, id).await?;
    Ok(crate::layout::download(
        "application/pdf",
        &d.filename,
        bytes,
    ))
}

#[derive(serde::Deserialize, Default)]
struct SchedulesQuery {
    #[serde(default)]
    ended: Option<bool>,
    #[serde(default)]
    page: Option<i64>,
}

async fn schedules(
    State(s): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<SchedulesQuery>,
) -> Page {
    let q = hearth_app::records::SchedulesQuery {
        include_ended: q.ended.unwrap_or(false),
        order: hearth_app::records::ScheduleOrder::Name,
        page: hearth_domain::paging::page(q.page),
        per_page: 100,
    };
    ok(s.app
        .service_schedules(&ctx.principal, id, q)
        .await
        .map(|p| types::Page::of(p, |r| -> Schedule { schedule_from!(r) }))?)
}

async fn new_schedule(
    State(s): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    bytes: axum::body::Bytes,
) -> Page {
    let input: hearth_app::requests::NewScheduleInput = body(&bytes)?;
    created(
        s.app
            .request_new_schedule(&ctx.principal, id, &input)
            .await
            .map(types::Request::from)?,
    )
}

async fn update_schedule(
    State(s): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    bytes: axum::body::Bytes,
) -> Page {
    let input: hearth_app::requests::UpdateScheduleInput = body(&bytes)?;
    created(
        s.app
            .request_schedule_update(&ctx.principal, id, &input)
            .await
            .map(types::Request::from)?,
    )
}

#[derive(serde::Deserialize)]
struct Places {
    available_places: Option<i64>,
}

async fn available_places(
    State(s): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    bytes: axum::body::Bytes,
) -> Page {
    let input: Places = body(&bytes)?;
    let places = input
        .available_places
        .map(AvailablePlaces::new)
        .transpose()
        .for_field("available_places")?;
    s.app
        .set_available_places(&ctx.principal, id, places)
        .await?;
    let sv = s.app.service(&ctx.principal, id).await?;
    ok(
        json!({"service_id": sv.id, "available_places": sv.available_places, "updated_at": sv.available_places_updated_at}),
    )
}

#[derive(serde::Deserialize)]
struct DetailRequest {
    #[serde(flatten)]
    details: hearth_app::requests::ServiceDetails,
    #[serde(default)]
    comment: String,
    /// Before the two flags were separate: `true` asks for both (kept for older clients).
    #[serde(default)]
    impairment_support: Option<bool>,
}

async fn detail_request(
    State(s): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    bytes: axum::body::Bytes,
) -> Page {
    let mut input: DetailRequest = body(&bytes)?;
    if input.impairment_support == Some(true) {
        input.details.visual_impairment_support = true;
        input.details.hearing_impairment_support = true;
    }
    created(
        s.app
            .request_service_details(&ctx.principal, id, &input.details, &input.comment)
            .await
            .map(types::Request::from)?,
    )
}

async fn requests(
    State(s): State<AppState>,
    ctx: Ctx,
    Query(q): Query<hearth_app::requests::RequestQuery>,
) -> Page {
    ok(s.app
        .list_requests(&ctx.principal, &q)
        .await
        .map(|l| l.into_iter().map(types::Request::from).collect::<Vec<_>>())?)
}

async fn request(State(s): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Page {
    let r = s.app.request(&ctx.principal, id).await?;
    let changes = s
        .app
        .request_changes(&r)
        .await?
        .into_iter()
        .map(|c| types::Change {
            field: c.label,
            old: c.old,
            new: c.new,
        })
        .collect();
    let mut v = types::Request::from(r);
    v.changes = Some(changes);
    ok(v)
}

#[derive(serde::Deserialize, Default)]
struct Remarks {
    #[serde(default)]
    remarks: String,
}

async fn approve(
    State(s): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    bytes: axum::body::Bytes,
) -> Page {
    let input: Remarks = if bytes.is_empty() {
        Remarks::default()
    } else {
        body(&bytes)?
    };
    // A login's temporary password is handed over once, in this answer, and never stored.
    ok(s.app
        .approve_request_with_handover(&ctx.principal, id, &input.remarks)
        .await
        .map(|(r, handover)| {
            let mut v = types::Request::from(r);
            v.handover = handover;
            v
        })?)
}

async fn reject(
    State(s): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    bytes: axum::body::Bytes,
) -> Page {
    let input: Remarks = body(&bytes)?;
    ok(s.app
        .reject_request(&ctx.principal, id, &input.remarks)
        .await
        .map(types::Request::from)?)
}

#[derive(serde::Deserialize, Default)]
struct ActionsQuery {
    #[serde(default)]
    mine: Option<bool>,
}

async fn actions(State(s): State<AppState>, ctx: Ctx, Query(q): Query<ActionsQuery>) -> Page {
    ok(s.app
        .list_actions(&ctx.principal, q.mine.unwrap_or(false), None)
        .await
        .map(|l| {
            l.into_iter()
                .map(|a| -> Action { action_from!(a) })
                .collect::<Vec<_>>()
        })?)
}

#[derive(serde::Deserialize)]
struct Note {
    note: String,
}

async fn action_done(
    State(s): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    bytes: axum::body::Bytes,
) -> Page {
    let input: Note = body(&bytes)?;
    ok(s.app
        .complete_action(&ctx.principal, id, &input.note)
        .await
        .map(|a| -> Action { action_from!(a) })?)
}

/// An RFC 9457 problem response (for answers made outside a handler: the guards, the
/// fallback, the edge). Handlers return a `WebError` instead.
pub fn problem(status: StatusCode, code: &str, detail: &str) -> Response {
    crate::error::problem(status, code, detail, &crate::layout::request_id())
}

/// 429 with `Retry-After`, as problem+json.
pub fn too_many(retry_after: i64) -> Response {
    let mut r = problem(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_requests",
        &format!(
            "Too many requests: try again in {}",
            crate::layout::plural(retry_after, "second", "seconds")
        ),
    );
    if let Ok(v) = axum::http::HeaderValue::from_str(&retry_after.max(1).to_string()) {
        r.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
    }
    r
}

/// 200 with `v` as JSON.
fn ok<T: serde::Serialize>(v: T) -> Page {
    Ok(Json(v).into_response())
}

async fn me(ctx: Ctx) -> Page {
    let u = &ctx.live.user;
    ok(json!({
        "username": u.username, "display_name": u.display_name, "role": ctx.principal.role().as_str(),
        "authority_id": ctx.principal.authority_id(),
    }))
}

async fn providers(State(s): State<AppState>, ctx: Ctx, Query(q): Query<ListQuery>) -> Page {
    ok(s.app
        .list_providers(&ctx.principal, &q)
        .await
        .map(|p| types::Page::of(p, |p| -> Provider { provider_from!(p) }))?)
}

async fn provider(State(s): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Page {
    ok(s.app
        .provider(&ctx.principal, id)
        .await
        .map(|p| -> Provider { provider_from!(p) })?)
}

async fn services(State(s): State<AppState>, ctx: Ctx, Query(q): Query<ListQuery>) -> Page {
    ok(s.app
        .list_services(&ctx.principal, &q)
        .await
        .map(|p| types::Page::of(p, |s| -> Service { service_from!(s) }))?)
}

async fn service(State(s): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Page {
    ok(s.app
        .service(&ctx.principal, id)
        .await
        .map(|s| -> Service { service_from!(s) })?)
}

async fn property(State(s): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Page {
    ok(s.app
        .property(&ctx.principal, id)
        .await
        .map(|p| -> Property { property_from!(p) })?)
}

async fn contracts(State(s): State<AppState>, ctx: Ctx, Query(q): Query<ListQuery>) -> Page {
    ok(s.app
        .list_contracts(&ctx.principal, &q)
        .await
        .map(|p| types::Page::of(p, |c| -> Contract { contract_from!(c, None) }))?)
}

async fn contract(State(s): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Page {
    let c = s.app.contract(&ctx.principal, id).await?;
    // A failure reading the contract's services is an error, not a contract with none.
    let services: Vec<i64> = s
        .app
        .contract_services(&ctx.principal, &c)
        .await?
        .iter()
        .map(|s| s.id)
        .collect();
    let v: Contract = contract_from!(c, Some(services));
    ok(v)
}

async fn openapi() -> Response {
    let get_op = |summary: &str, id_param: bool| {
        let mut op = json!({
            "summary": summary,
            "responses": {
                "200": {"description": "OK"},
                "401": {"description": "Not signed in", "content": {"application/problem+json": {}}},
                "404": {"description": "No such record, or not yours (answered the same way)", "content": {"application/problem+json": {}}}
            }
        });
        if id_param {
            op["parameters"] = json!([{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}]);
        } else {
            op["parameters"] = json!([
                {"name": "q", "in": "query", "schema": {"type": "string"}},
                {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}}
            ]);
        }
        json!({ "get": op })
    };
    let write_op = |summary: &str, schema: &str| {
        json!({ "post": {
            "summary": summary,
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}},
            "responses": {
                "201": {"description": "Created (requests)"},
                "200": {"description": "Done"},
                "400": {"description": "Not JSON of this shape", "content": {"application/problem+json": {}}},
                "404": {"description": "No such record, or not yours", "content": {"application/problem+json": {}}},
                "409": {"description": "Conflict", "content": {"application/problem+json": {}}},
                "422": {"description": "Invalid, with field errors", "content": {"application/problem+json": {}}}
            }
        }})
    };
    let string_props = |names: &[&str]| -> serde_json::Value {
        serde_json::Value::Object(
            names
                .iter()
                .map(|n| (n.to_string(), json!({"type": "string"})))
                .collect(),
        )
    };
    let schemas = json!({
        "NewScheduleInput": {"type": "object", "required": ["first_name", "last_name", "start_date", "units_per_week"], "properties": string_props(&[
            "level", "property_id", "title", "first_name", "last_name", "date_of_birth", "ethnicity", "address", "address2", "town",
            "postcode", "uprn", "ni_number", "hb_number", "tenancy_reference", "start_date", "units_per_week", "comment", "returning"])},
        "UpdateScheduleInput": {"type": "object", "required": ["units_per_week"], "properties": string_props(&["level", "units_per_week", "end_date", "end_reason", "new_service_id", "comment"])},
        "ServiceDetails": {"type": "object", "properties": {
            "public_name": {"type": "string"}, "description": {"type": "string"}, "languages": {"type": "string"}, "religions": {"type": "string"},
            "tenure": {"type": "string"}, "rural_urban": {"type": "string"}, "emergency_referrals": {"type": "boolean"}, "interpreter": {"type": "boolean"},
            "visual_impairment_support": {"type": "boolean"}, "hearing_impairment_support": {"type": "boolean"},
            "impairment_support": {"type": "boolean", "deprecated": true, "description": "true asks for both visual and hearing impairment support"},
            "waiting_list": {"type": "boolean"}, "support_tasks": {"type": "string"},
            "referral_routes": {"type": "string"}, "eligibility": {"type": "string"}, "comment": {"type": "string"}}},
        "Remarks": {"type": "object", "properties": {"remarks": {"type": "string"}}},
        "Note": {"type": "object", "required": ["note"], "properties": {"note": {"type": "string"}}}
    });
    let mut doc = json!({
        "openapi": "3.0.3",
        "info": {"title": "Hearth API", "version": "1", "description": "Provider and commissioning operations. Authorised by the same rules as the web pages: a record outside your organisation answers 404."},
        "servers": [{"url": "/api/v1"}],
        "components": {"schemas": schemas, "securitySchemes": {"token": {"type": "http", "scheme": "bearer", "description": "An API token made under Your account > API tokens; it acts as that user."}, "session": {"type": "apiKey", "in": "cookie", "name": "__Host-hearth-session", "description": "The session cookie of a signed-in user (named hearth-session when served over plain HTTP on loopback)."}}},
        "security": [{"token": []}, {"session": []}],
        "paths": {
            "/me": get_op("The signed-in user", false),
            "/providers": get_op("Providers you may see", false),
            "/providers/{id}": get_op("One provider", true),
            "/services": get_op("Services you may see", false),
            "/services/{id}": get_op("One service", true),
            "/properties/{id}": get_op("One property", true),
            "/contracts": get_op("Contracts you may see", false),
            "/contracts/{id}": get_op("One contract, with its service ids", true),
            "/contracts/{id}/documents": get_op("Documents of a contract, with signatures", true),
            "/documents/{id}/file": get_op("A document's PDF", true),
            "/services/{id}/schedules": get_op("Client schedules of a service (?ended=true for ended ones too)", true),
            "/services/{id}/schedule-requests": write_op("Request a new client schedule", "NewScheduleInput"),
            "/schedules/{id}/update-requests": write_op("Request an update of a schedule: level, units, end date and reason, or new_service_id for a change of service", "UpdateScheduleInput"),
            "/services/{id}/available-places": {"put": {"summary": "Set (or clear with null) the available places; saved at once", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}], "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "properties": {"available_places": {"type": "integer", "nullable": true, "minimum": 0}}}}}}, "responses": {"200": {"description": "Saved"}, "422": {"description": "Invalid, with field errors", "content": {"application/problem+json": {}}}}}},
            "/services/{id}/detail-requests": write_op("Request a change of the service's directory details", "ServiceDetails"),
            "/requests": get_op("Your requests (providers: ?months=N) or the approval queue (commissioning team)", false),
            "/requests/{id}": get_op("One request with what it changes", true),
            "/requests/{id}/approve": write_op("Approve a request (commissioning team); 409 when the record changed since", "Remarks"),
            "/requests/{id}/reject": write_op("Reject a request with remarks (commissioning team)", "Remarks"),
            "/actions": get_op("Actions set for your organisation (?mine=true for yours)", false),
            "/actions/{id}/done": write_op("Mark an action done with a note", "Note")
        }
    });
    if let (Some(paths), serde_json::Value::Object(more)) =
        (doc["paths"].as_object_mut(), payments::openapi_paths())
    {
        paths.extend(more);
    }
    Json(doc).into_response()
}
