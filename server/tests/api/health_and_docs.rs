//! The health check and the API's own description.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Db, expect_ok, on_both_databases, spawn_app};

on_both_databases!(
    the_health_check_answers_ok,
    the_openapi_document_describes_every_endpoint
);

async fn the_health_check_answers_ok(db: Db) {
    let app = spawn_app(db).await;

    let response = app.get("/healthz").await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.json::<serde_json::Value>().await.ok(),
        Some(json!({"status": "ok"}))
    );
}

async fn the_openapi_document_describes_every_endpoint(db: Db) {
    let app = spawn_app(db).await;

    let document = expect_ok(app.get("/api/v1/openapi.json").await).await;

    assert!(
        document["openapi"].as_str().is_some_and(|v| v.starts_with("3.")),
        "{document}"
    );
    for (method, path) in [
        ("post", "/api/v1/login"),
        ("post", "/api/v1/login/mfa"),
        ("post", "/api/v1/logout"),
        ("get", "/api/v1/me"),
        ("post", "/api/v1/me/mfa/totp/setup"),
        ("post", "/api/v1/me/mfa/totp/activate"),
        ("post", "/api/v1/me/mfa/totp/disable"),
        ("post", "/api/v1/me/mfa/recovery-codes"),
    ] {
        let operation = &document["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} is not described");
        assert!(
            operation["responses"].as_object().is_some_and(|r| !r.is_empty()),
            "{method} {path} has no responses"
        );
    }
    let schemas = &document["components"]["schemas"];
    for schema in [
        "LoginRequest",
        "LoginResponse",
        "ErrorBody",
        "MeResponse",
        "RecoveryCodesResponse",
    ] {
        assert!(schemas[schema].is_object(), "schema {schema} is missing");
    }
}
