//! The OpenAPI document lists every JSON API route of the route table, with the
//! permission each one enforces.

use crate::common::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    openapi_document_matches_the_route_table,
    every_post_declares_its_request_body
);

/// POST operations that read no body: logout and those whose handler takes nothing but
/// the path.
const NO_BODY: &[&str] = &[
    "/api/v1/logout",
    "/api/v1/capacity/trainings/{id}/delete",
    "/api/v1/community/consultations/{id}/delete",
    "/api/v1/funds/allocations/{id}/delete",
    "/api/v1/payment-anomalies/check",
];

async fn every_post_declares_its_request_body(backend: Backend) {
    let t = TestApp::start(backend).await;
    let doc = t.get("/api/v1/openapi.json").await.json();
    let schemas = &doc["components"]["schemas"];
    let mut checked = 0;
    for route in t.app.routes.iter().filter(|r| {
        r.method == "POST" && r.path.starts_with("/api/v1/") && !NO_BODY.contains(&r.path)
    }) {
        let body = &doc["paths"][route.path]["post"]["requestBody"];
        assert_eq!(body["required"], true, "POST {}: {body}", route.path);
        let content = body["content"]
            .as_object()
            .unwrap_or_else(|| panic!("POST {} declares no request body", route.path));
        assert_eq!(content.len(), 1, "POST {}: {body}", route.path);
        let (media, content) = content.iter().next().unwrap();
        assert!(
            media == "application/json" || media == "multipart/form-data",
            "POST {}: {media}",
            route.path
        );
        let reference = content["schema"]["$ref"].as_str().unwrap_or("");
        let name = reference
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("POST {}: schema is not a $ref: {body}", route.path));
        assert!(
            schemas[name]["properties"].is_object(),
            "POST {}: {name} is not in the components",
            route.path
        );
        checked += 1;
    }
    assert!(checked > 80, "only {checked} POST operations checked");
    // Every $ref anywhere in the schemas resolves (nested ones such as HazardForm).
    let text = schemas.to_string();
    for piece in text.split("\"#/components/schemas/").skip(1) {
        let name = piece.split('"').next().unwrap();
        assert!(schemas[name].is_object(), "dangling $ref {name}");
    }
    let application = &doc["paths"]["/api/v1/applications"]["post"]["requestBody"]["content"]["application/json"]
        ["schema"]["$ref"];
    assert_eq!(application, "#/components/schemas/ApplicationInput");
    let fields = &schemas["ApplicationInput"]["properties"];
    for field in [
        "community",
        "program",
        "m0_name",
        "m0_id",
        "reason",
        "consent",
    ] {
        assert_eq!(fields[field]["type"], "string", "ApplicationInput.{field}");
    }
    let review = &doc["paths"]["/api/v1/cases/{id}/review"]["post"]["requestBody"];
    assert_eq!(
        review["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/ReviewInput"
    );
    // A required field is required, a defaulted one is not.
    let step = &schemas["PayrollStep"];
    assert_eq!(step["required"], serde_json::json!(["version"]), "{step}");
    let upload = &doc["paths"]["/api/v1/compare/datasets"]["post"]["requestBody"]["content"];
    assert!(upload["multipart/form-data"].is_object(), "{upload}");
    t.finish().await;
}

async fn openapi_document_matches_the_route_table(backend: Backend) {
    let t = TestApp::start(backend).await;
    // No login needed: the document holds no data.
    let r = t.get("/api/v1/openapi.json").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.header("content-type").starts_with("application/json"));
    let doc = r.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."), "{doc}");
    for route in t
        .app
        .routes
        .iter()
        .filter(|r| r.path.starts_with("/api/v1/"))
    {
        let op = &doc["paths"][route.path][route.method.to_lowercase()];
        assert!(
            op.is_object(),
            "{} {} missing from the document",
            route.method,
            route.path
        );
        assert!(
            !op["summary"].as_str().unwrap_or("").is_empty(),
            "{} {} has no summary",
            route.method,
            route.path
        );
    }
    let act = &doc["paths"]["/api/v1/cases/{id}/actions"]["post"];
    assert_eq!(act["x-permission"], "assistance:household:read", "{act}");
    assert_eq!(
        act["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/ActInput"
    );
    assert!(act["responses"]["409"].is_object());
    assert_eq!(
        act["x-permission-by-action"]["approve"], "assistance:case:approve",
        "{act}"
    );
    assert_eq!(
        act["x-permission-by-action"]["accept"],
        "assistance:case:accept"
    );
    assert_eq!(act["parameters"][0]["name"], "id");
    let input = &doc["components"]["schemas"]["ActInput"]["properties"];
    for field in ["action", "version", "reason", "recommend", "exit_reason"] {
        assert!(input[field].is_object(), "ActInput.{field}: {input}");
    }
    assert_eq!(
        doc["paths"]["/api/v1/workbench"]["get"]["x-permission"],
        "assistance:household:read"
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["session"]["in"],
        "cookie"
    );
    t.finish().await;
}
