//! The OpenAPI document of the JSON API (`/api/v1/openapi.json`), built from the route
//! table every module declares: the same paths and the same permission each route
//! enforces, so the document cannot drift from what the server answers.

use utoipa::openapi::extensions::ExtensionsBuilder;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{ComponentsBuilder, Object, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, Paths, Ref};

use crate::auth::{Access, RouteInfo};

use super::openapi_bodies::{BODIES, body_of};
use super::openapi_summaries::SUMMARIES;

fn tag_of(path: &str) -> &'static str {
    let rest = path.trim_start_matches("/api/v1/");
    match rest.split('/').next().unwrap_or("") {
        "login" | "logout" | "me" => "auth",
        "users" => "admin",
        "audit" => "audit",
        "reports" => "reports",
        "capacity" => "capacity",
        "elderly" => "elderly",
        "relief" => "relief",
        "affairs" => "affairs",
        "community" => "community",
        "homecare" => "homecare",
        "funds" => "funds",
        "compare" => "compare",
        "payrolls" | "payment-anomalies" | "payment-recoveries" => "payments",
        "regions" => "regions",
        "households"
        | "cases"
        | "workbench"
        | "assistance-lists"
        | "applications"
        | "temporary-requests"
        | "temporary-grants"
        | "assistance-standards"
        | "assistance-parameters"
        | "assistance-exclusions" => "assistance",
        _ => "meta",
    }
}

fn schema_ref(name: &str) -> Ref {
    Ref::from_schema_name(name)
}

/// The 422 every operation with an input may answer.
fn invalid_input() -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description("输入有误（中文说明指出字段和修改方法）")
        .build()
}

/// The document for the API routes of `table`.
pub fn document(table: &[RouteInfo]) -> OpenApi {
    let mut paths = Paths::new();
    for route in table.iter().filter(|r| r.path.starts_with("/api/v1/")) {
        let method = match route.method {
            "POST" => HttpMethod::Post,
            "PUT" => HttpMethod::Put,
            "DELETE" => HttpMethod::Delete,
            _ => HttpMethod::Get,
        };
        let summary = SUMMARIES
            .iter()
            .find(|(m, p, _)| *m == route.method && *p == route.path)
            .map(|(_, _, s)| *s)
            .unwrap_or("");
        let permission = match route.access {
            Access::Public => "public".to_string(),
            Access::Session => "session".to_string(),
            Access::SignedIn => "signed-in".to_string(),
            Access::Perm(p) => p.to_string(),
        };
        let mut op = OperationBuilder::new()
            .summary(Some(summary))
            .operation_id(Some(format!(
                "{}_{}",
                route.method.to_lowercase(),
                route
                    .path
                    .trim_start_matches("/api/v1/")
                    .replace(['/', '{', '}', '.'], "_")
            )))
            .tag(tag_of(route.path))
            .extensions(Some(
                ExtensionsBuilder::new()
                    .add("x-permission", permission)
                    .build(),
            ))
            .response("200", ResponseBuilder::new().description("成功").build());
        for segment in route.path.split('/') {
            if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                let ty = if name == "code" {
                    Type::String
                } else {
                    Type::Integer
                };
                op = op.parameter(
                    ParameterBuilder::new()
                        .name(name)
                        .parameter_in(ParameterIn::Path)
                        .required(utoipa::openapi::Required::True)
                        .schema(Some(Object::with_type(ty))),
                );
            }
        }
        if route.path == "/api/v1/cases/{id}/actions" {
            // The route needs read access; each action then needs its own permission.
            let by_action: serde_json::Map<String, serde_json::Value> =
                crate::assistance::workflow::ACTIONS
                    .iter()
                    .map(|a| (a.code().to_string(), a.permission().into()))
                    .collect();
            op = op.extensions(Some(
                ExtensionsBuilder::new()
                    .add("x-permission", "assistance:household:read")
                    .add(
                        "x-permission-by-action",
                        serde_json::Value::Object(by_action),
                    )
                    .build(),
            ));
            op = op.response(
                "200",
                ResponseBuilder::new()
                    .description("已办理")
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(schema_ref("Acted")))
                            .build(),
                    )
                    .build(),
            );
        }
        if route.access != Access::Public {
            op = op
                .security(SecurityRequirement::new("session", Vec::<String>::new()))
                .response("401", ResponseBuilder::new().description("未登录").build())
                .response(
                    "403",
                    ResponseBuilder::new()
                        .description("角色无此权限，或非 GET 请求缺少 X-CSRF-Token")
                        .build(),
                );
        }
        if route.path.contains('{') {
            op = op.response(
                "404",
                ResponseBuilder::new()
                    .description("不存在或不在本辖区")
                    .build(),
            );
        }
        if let Some((_, _, media, name, _)) = body_of(route.method, route.path) {
            op = op
                .request_body(Some(
                    RequestBodyBuilder::new()
                        .content(
                            *media,
                            ContentBuilder::new().schema(Some(schema_ref(name))).build(),
                        )
                        .required(Some(utoipa::openapi::Required::True))
                        .build(),
                ))
                .response("422", invalid_input());
        }
        if route.method == "POST" && route.path.starts_with("/api/v1/cases") {
            op = op
                .response(
                    "409",
                    ResponseBuilder::new()
                        .description("案件状态不允许该操作，或版本已变化（请刷新后重试）")
                        .build(),
                )
                .response("422", invalid_input());
        }
        paths.add_path_operation(route.path, vec![method], op.build());
    }
    let mut components = ComponentsBuilder::new()
        .schema_from::<crate::assistance::transitions::Acted>()
        .schema_from::<crate::assistance::review::Reviewed>();
    for (_, _, _, name, build) in BODIES {
        let (schema, nested) = build();
        components = components.schema(*name, schema).schemas_from_iter(nested);
    }
    let components = components
        .security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "mz_session",
                "POST /api/v1/login 设置的会话 Cookie；非 GET 请求还须带 X-CSRF-Token 头",
            ))),
        )
        .build();
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("minzheng 民政业务平台 API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "与网页相同的权限和数据范围：每个接口的 x-permission 是所需权限，记录只在用户辖区内可见。",
                ))
                .build(),
        )
        .paths(paths)
        .components(Some(components))
        .build()
}
