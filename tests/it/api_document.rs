//! The OpenAPI document lists every JSON API route of the route table, with the
//! permission each one enforces.

use crate::common::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(openapi_document_matches_the_route_table);

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
