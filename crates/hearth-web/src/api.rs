//! The JSON API: the same use cases, the same authorisation, `application/problem+json` errors.

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Json;
use hearth_app::records::ListQuery;
use hearth_app::{AppError, Permission};
use serde_json::json;

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
}

/// An RFC 9457 problem response.
pub fn problem(status: StatusCode, code: &str, detail: &str) -> Response {
    let body = json!({
        "type": format!("https://hearth.invalid/problems/{code}"),
        "title": status.canonical_reason().unwrap_or(""),
        "status": status.as_u16(),
        "code": code,
        "detail": detail,
        "request_id": crate::layout::request_id(),
    });
    (status, [(header::CONTENT_TYPE, "application/problem+json")], body.to_string()).into_response()
}

fn error(e: AppError) -> Response {
    match e {
        AppError::NotFound => problem(StatusCode::NOT_FOUND, "not_found", "No such record"),
        AppError::Forbidden => problem(StatusCode::FORBIDDEN, "forbidden", "You do not have permission to do that"),
        AppError::Unauthenticated => problem(StatusCode::UNAUTHORIZED, "unauthenticated", "Sign in to use the API"),
        AppError::Conflict(m) => problem(StatusCode::CONFLICT, "conflict", &m),
        AppError::Invalid(errors) => {
            let mut r = problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid", "There is a problem with what was sent");
            let fields: serde_json::Map<String, serde_json::Value> = errors.0.into_iter().map(|(k, v)| (k, json!(v))).collect();
            let body = json!({"status": 422, "code": "invalid", "title": "Unprocessable Entity", "detail": "There is a problem with what was sent", "errors": fields, "request_id": crate::layout::request_id()});
            *r.body_mut() = axum::body::Body::from(body.to_string());
            r
        }
        AppError::Internal(d) => {
            tracing::error!(request_id = %crate::layout::request_id(), error = %d, "internal error");
            problem(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Something went wrong; quote the request id")
        }
    }
}

fn ok<T: serde::Serialize>(r: Result<T, AppError>) -> Response {
    match r {
        Ok(v) => Json(v).into_response(),
        Err(e) => error(e),
    }
}

fn page<T: serde::Serialize>(p: hearth_app::store::Page<T>) -> serde_json::Value {
    json!({ "total": p.total, "page": p.page, "per_page": p.per_page, "total_pages": p.total_pages(), "items": p.items })
}

async fn me(ctx: Ctx) -> Response {
    let u = ctx.principal.user();
    Json(json!({
        "username": u.username, "display_name": u.display_name, "role": ctx.principal.role().as_str(),
        "authority_id": ctx.principal.authority_id(),
    }))
    .into_response()
}

async fn providers(State(s): State<AppState>, ctx: Ctx, Query(q): Query<ListQuery>) -> Response {
    ok(s.app.list_providers(&ctx.principal, &q).await.map(page))
}

async fn provider(State(s): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Response {
    ok(s.app.provider(&ctx.principal, id).await)
}

async fn services(State(s): State<AppState>, ctx: Ctx, Query(q): Query<ListQuery>) -> Response {
    ok(s.app.list_services(&ctx.principal, &q).await.map(page))
}

async fn service(State(s): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Response {
    ok(s.app.service(&ctx.principal, id).await)
}

async fn property(State(s): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Response {
    ok(s.app.property(&ctx.principal, id).await)
}

async fn contracts(State(s): State<AppState>, ctx: Ctx, Query(q): Query<ListQuery>) -> Response {
    ok(s.app.list_contracts(&ctx.principal, &q).await.map(page))
}

async fn contract(State(s): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Response {
    let r = match s.app.contract(&ctx.principal, id).await {
        Ok(c) => {
            let services: Vec<i64> = s.app.contract_services(&ctx.principal, &c).await.unwrap_or_default().iter().map(|s| s.id).collect();
            let mut v = serde_json::to_value(&c).unwrap_or_default();
            v["service_ids"] = json!(services);
            Ok(v)
        }
        Err(e) => Err(e),
    };
    ok(r)
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
    let doc = json!({
        "openapi": "3.0.3",
        "info": {"title": "Hearth API", "version": "1", "description": "Provider and commissioning operations. Authorised by the same rules as the web pages: a record outside your organisation answers 404."},
        "servers": [{"url": "/api/v1"}],
        "components": {"securitySchemes": {"session": {"type": "apiKey", "in": "cookie", "name": "__Host-hearth-session", "description": "The session cookie of a signed-in user (named hearth-session when served over plain HTTP on loopback)."}}},
        "security": [{"session": []}],
        "paths": {
            "/me": get_op("The signed-in user", false),
            "/providers": get_op("Providers you may see", false),
            "/providers/{id}": get_op("One provider", true),
            "/services": get_op("Services you may see", false),
            "/services/{id}": get_op("One service", true),
            "/properties/{id}": get_op("One property", true),
            "/contracts": get_op("Contracts you may see", false),
            "/contracts/{id}": get_op("One contract, with its service ids", true)
        }
    });
    Json(doc).into_response()
}
