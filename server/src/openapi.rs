//! The OpenAPI 3.1 document, made from the declarations in `shared::api`
//! (the same ones the server routes from and the apps call through), and
//! the page at `/api/docs` that shows it.
//!
//! Every object schema says `additionalProperties: false` (the server
//! refuses unknown fields), and every operation lists its 4xx answers with
//! the error envelope and the codes each status can carry.

use schemars::generate::{Contract, SchemaSettings};
use serde_json::{Map, Value, json};
use shared::ErrorCode;
use shared::api::{Access, Answer, Info, Method};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

/// The document, made once per process.
pub fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| build(&shared::api::all()))
}

/// The codes every endpoint of this shape can answer with, besides its own.
fn generic_codes(e: &Info) -> Vec<ErrorCode> {
    use ErrorCode::*;
    if e.access == Access::Gateway {
        // Answered in the gateway's own format (below), but for a body
        // above the limit, refused before the handler.
        return vec![PayloadTooLarge];
    }
    // A control character in the address is refused on every route.
    let mut codes = vec![MalformedRequest];
    match e.access {
        Access::Public | Access::Gateway => {}
        Access::Member => codes.push(Unauthenticated),
        Access::ActiveMember => codes.extend([Unauthenticated, MemberFrozen]),
        Access::Staff(_) => codes.extend([Unauthenticated, Forbidden]),
    }
    if e.path.contains('{') {
        codes.push(NotFound);
    }
    if e.has_query {
        codes.extend([MalformedRequest, InvalidField]);
    }
    if e.upload {
        codes.extend([InvalidField, PayloadTooLarge]);
    } else if e.has_body {
        codes.extend([
            MalformedRequest,
            InvalidField,
            UnknownField,
            PayloadTooLarge,
        ]);
    }
    if e.idempotent {
        codes.extend([
            IdempotencyKeyMissing,
            IdempotencyKeyReused,
            RequestInProgress,
            InvalidField,
        ]);
    }
    codes
}

/// Each picture type with a binary body.
fn images_content() -> Value {
    let binary = json!({ "schema": { "type": "string", "format": "binary" } });
    Value::Object(
        shared::api::IMAGE_TYPES
            .iter()
            .map(|t| (t.to_string(), binary.clone()))
            .collect(),
    )
}

fn code_name(code: ErrorCode) -> String {
    match serde_json::to_value(code) {
        Ok(Value::String(s)) => s,
        _ => format!("{code:?}"),
    }
}

/// The error envelope whose code is one of `codes`.
fn envelope(codes: &BTreeSet<String>) -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "additionalProperties": false,
                "required": ["code", "message"],
                "properties": {
                    "code": { "type": "string", "enum": codes },
                    "message": {
                        "type": "string",
                        "description": "For people, in the request's language (Accept-Language: zh-CN by default, en)."
                    },
                    "params": {
                        "type": "object",
                        "additionalProperties": { "type": "string" },
                        "description": "What the message is about (`field`, `reason`, `max`…), for programs."
                    }
                }
            }
        }
    })
}

fn status_text(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No content",
        400 => "Bad request",
        401 => "Not logged in, or the session or key is no longer valid",
        403 => "Not allowed",
        404 => "Not found (or outside the caller's scope)",
        409 => "Conflict with the current state",
        413 => "Body too large",
        415 => "Not JSON",
        422 => "Refused: see the code",
        429 => "Too many attempts",
        503 => "A partner service is not available",
        _ => "Error",
    }
}

/// `additionalProperties: false` on every object schema that lists its
/// properties and says nothing of others.
fn close_objects(v: &mut Value) {
    match v {
        Value::Object(map) => {
            if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                map.insert("additionalProperties".into(), Value::Bool(false));
            }
            for (_, child) in map.iter_mut() {
                close_objects(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(close_objects),
        _ => {}
    }
}

fn method_key(m: Method) -> &'static str {
    match m {
        Method::Get => "get",
        Method::Post => "post",
        Method::Put => "put",
        Method::Patch => "patch",
        Method::Delete => "delete",
    }
}

fn security(access: Access) -> Value {
    match access {
        Access::Public => json!([]),
        Access::Member | Access::ActiveMember => json!([{ "memberSession": [] }]),
        Access::Staff(_) => json!([{ "staffSession": [] }, { "apiKey": [] }]),
        Access::Gateway => json!([{ "gatewaySignature": [] }]),
    }
}

fn who(access: Access) -> String {
    match access {
        Access::Public => "Anyone.".into(),
        Access::Member => "A logged-in member.".into(),
        Access::ActiveMember => "A logged-in member who is not frozen.".into(),
        Access::Gateway => "The payment gateway (signed callback).".into(),
        Access::Staff(roles) => {
            let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            format!(
                "Staff (session or API key) with role {}; objects outside the caller's stores answer 404.",
                names.join(", ")
            )
        }
    }
}

fn operation(e: &Info, g: &mut schemars::SchemaGenerator) -> Value {
    let s = e.schemas;
    let mut params = Vec::new();
    if let (Some(start), Some(end)) = (e.path.find('{'), e.path.find('}')) {
        let name = &e.path[start + 1..end];
        let schema = s
            .path
            .map(|f| f(g).to_value())
            .unwrap_or(json!({"type": "string"}));
        params.push(json!({ "name": name, "in": "path", "required": true, "schema": schema }));
    }
    if let Some(f) = s.query {
        let q = f(g).to_value();
        let required: BTreeSet<String> = q["required"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        if let Some(props) = q["properties"].as_object() {
            for (name, schema) in props {
                let mut schema = schema.clone();
                let description = schema
                    .as_object_mut()
                    .and_then(|m| m.remove("description"))
                    .unwrap_or(Value::Null);
                let mut p = json!({
                    "name": name,
                    "in": "query",
                    "required": required.contains(name),
                    "schema": schema,
                });
                if !description.is_null() {
                    p["description"] = description;
                }
                params.push(p);
            }
        }
    }
    if e.access == Access::Gateway {
        for (name, what) in [
            (
                "tongka-pay-timestamp",
                "Unix seconds when the gateway signed",
            ),
            ("tongka-pay-nonce", "8 to 64 letters and digits, once only"),
            (
                "tongka-pay-signature",
                "HMAC-SHA256 over timestamp, nonce, path and body, hex",
            ),
        ] {
            params.push(json!({
                "name": name, "in": "header", "required": true, "description": what,
                "schema": { "type": "string" }
            }));
        }
    }
    if e.idempotent {
        params.push(json!({
            "name": "Idempotency-Key",
            "in": "header",
            "required": true,
            "description": "One key per intended operation, kept across retries: the same key and body happen once and answer the same.",
            "schema": { "type": "string", "minLength": 1, "maxLength": 128, "pattern": "^[!-~]+$" }
        }));
    }
    params.push(json!({
        "name": "Accept-Language",
        "in": "header",
        "required": false,
        "description": "Language of error messages: zh-CN (default) or en.",
        "schema": { "type": "string" }
    }));

    let mut responses = Map::new();
    let ok = match e.answer {
        Answer::Empty => json!({ "description": status_text(e.status) }),
        Answer::Csv => json!({
            "description": "A CSV file (UTF-8 with BOM), headed in the request's language.",
            "content": { "text/csv": { "schema": { "type": "string" } } }
        }),
        Answer::Image => json!({
            "description": "The picture, cached for good (Cache-Control: immutable).",
            "content": images_content()
        }),
        Answer::Json => {
            let schema = s.response.map(|f| f(g).to_value()).unwrap_or(json!({}));
            json!({
                "description": status_text(e.status),
                "content": { "application/json": { "schema": schema } }
            })
        }
    };
    responses.insert(e.status.to_string(), ok);

    let mut by_status: BTreeMap<u16, BTreeSet<String>> = BTreeMap::new();
    for code in generic_codes(e).into_iter().chain(e.errors.iter().copied()) {
        for &status in code.statuses() {
            by_status.entry(status).or_default().insert(code_name(code));
        }
    }
    for (status, codes) in &by_status {
        let list: Vec<&str> = codes.iter().map(String::as_str).collect();
        responses.insert(
            status.to_string(),
            json!({
                "description": format!("{}: {}", status_text(*status), list.join(", ")),
                "content": { "application/json": { "schema": envelope(codes) } }
            }),
        );
    }
    if e.access == Access::Gateway {
        // Refusals in the gateway's own answer format, never our envelope.
        let answer = s.response.map(|f| f(g).to_value()).unwrap_or(json!({}));
        for (status, why) in [
            (401, "Signature, timestamp or nonce refused"),
            (404, "No such order"),
            (409, "Nonce already used, or the order does not match"),
            (422, "Cannot be applied"),
            (500, "Not applied; the gateway retries"),
        ] {
            responses.insert(
                status.to_string(),
                json!({
                    "description": why,
                    "content": { "application/json": { "schema": answer } }
                }),
            );
        }
    } else {
        let internal: BTreeSet<String> = [code_name(ErrorCode::Internal)].into();
        responses.insert(
            "500".into(),
            json!({
                "description": "The server failed (logged with the request id); nothing was changed",
                "content": { "application/json": { "schema": envelope(&internal) } }
            }),
        );
    }

    let mut doc = e.doc.trim().to_string();
    doc.push_str("\n\n");
    doc.push_str(&who(e.access));
    // The first paragraph, on one line.
    let summary = e
        .doc
        .lines()
        .map(str::trim)
        .take_while(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let mut op = json!({
        "operationId": e.name,
        "tags": [e.area],
        "summary": summary,
        "description": doc,
        "security": security(e.access),
        "parameters": params,
        "responses": responses,
    });
    if let Access::Staff(roles) = e.access {
        op["x-roles"] = json!(roles.iter().map(|r| r.as_str()).collect::<Vec<_>>());
    }
    if e.upload {
        op["requestBody"] = json!({
            "required": true,
            "description": "The picture's bytes as they are (not a form), with its type.",
            "content": images_content()
        });
    } else if e.has_body
        && let Some(f) = s.body
    {
        op["requestBody"] = json!({
            "required": true,
            "content": { "application/json": { "schema": f(g).to_value() } }
        });
    }
    op
}

/// The document for `endpoints`.
pub fn build(endpoints: &[Info]) -> Value {
    let settings = SchemaSettings::draft2020_12().with(|s| {
        s.definitions_path = "/components/schemas".into();
        s.meta_schema = None;
        s.contract = Contract::Deserialize;
    });
    let mut g = settings.into_generator();
    let mut paths: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    for e in endpoints {
        paths
            .entry(e.path.to_string())
            .or_default()
            .insert(method_key(e.method).into(), operation(e, &mut g));
    }
    let schemas: Map<String, Value> = g.take_definitions(true).into_iter().collect();
    let mut doc = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Tongka API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": DESCRIPTION,
        },
        "servers": [{ "url": "/api" }],
        "tags": [
            { "name": "identity", "description": "Logins, profiles, staff accounts, members, the audit log." },
            { "name": "chain", "description": "The brand, regions, stores, demo sandboxes." },
            { "name": "stored_value", "description": "Stored value: paying, top-ups, refunds, 退卡, settings." },
            { "name": "wallet", "description": "Store wallets, 日结, cash hand-ins, withdrawals, messages." },
            { "name": "points", "description": "Points (积分): HQ's policy, a member's lots." },
        ],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "memberSession": {
                    "type": "http", "scheme": "bearer",
                    "description": "A member's session token from POST /brands/{slug}/member/login."
                },
                "staffSession": {
                    "type": "http", "scheme": "bearer",
                    "description": "A staff session token from POST /brands/{slug}/staff/login."
                },
                "apiKey": {
                    "type": "http", "scheme": "bearer",
                    "description": "An API key HQ admin created (tk_…), sent as `Authorization: Bearer tk_…`."
                },
                "gatewaySignature": {
                    "type": "apiKey", "in": "header", "name": "tongka-pay-signature",
                    "description": "The payment gateway's signature over timestamp, nonce and body."
                }
            }
        }
    });
    close_objects(&mut doc["components"]["schemas"]);
    close_objects(&mut doc["paths"]);
    doc
}

const DESCRIPTION: &str = "The API of Tongka (通卡), the membership system of a chain brand: \
members' stored value, stores' wallets, HQ's approvals.\n\n\
**Calling it.** JSON in and out; amounts are integers in fen (分). A member or staff member logs in \
and sends `Authorization: Bearer <token>`; a program (an ERP, a till) uses an API key HQ admin created \
in the merchant app (工作台 → API 密钥), sent the same way: `Authorization: Bearer tk_…`. A key acts \
with its role and stores and can never do more; every use is in the audit log as that key.\n\n\
**Moving value.** Operations that move money take an `Idempotency-Key` header: send one key per \
intended operation and keep it across retries; the same key and body happen once.\n\n\
**Errors.** Every error is `{\"error\": {\"code\", \"message\", \"params\"}}`; `code` is stable, \
`message` is in the request's language (`Accept-Language`: zh-CN by default, en). Unknown fields \
in a body are refused (422 `unknown_field`).";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_declared_endpoint_is_an_operation_with_closed_schemas() {
        let doc = document();
        assert_eq!(doc["openapi"], "3.1.0");
        let mut n = 0;
        for e in shared::api::all() {
            let op = &doc["paths"][e.path][method_key(e.method)];
            assert_eq!(
                op["operationId"],
                e.name,
                "{} {}",
                e.method.as_str(),
                e.path
            );
            n += 1;
        }
        assert_eq!(n, shared::api::all().len());
        // A request body the server reads field by field is closed.
        let login = &doc["components"]["schemas"]["StaffLoginRequest"];
        assert_eq!(login["additionalProperties"], false, "{login}");
        // A staff route lists 401 and 403 with their codes.
        let op = &doc["paths"]["/hq/withdrawals/{id}/approve"]["post"];
        let codes = &op["responses"]["403"]["content"]["application/json"]["schema"]["properties"]
            ["error"]["properties"]["code"]["enum"];
        assert!(
            codes
                .as_array()
                .is_some_and(|c| c.contains(&json!("own_request"))),
            "{op}"
        );
        assert!(op["responses"]["401"].is_object());
        // Pages are named by what they hold, whatever the order.
        assert!(
            doc["components"]["schemas"]["Page_of_AuditEntry"].is_object(),
            "{:?}",
            doc["components"]["schemas"]
                .as_object()
                .map(|m| m.keys().collect::<Vec<_>>())
        );
    }
}
