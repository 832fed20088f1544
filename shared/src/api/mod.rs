//! Every endpoint of the API, declared once: method, path and its parameter,
//! query, request and response types, who may call it and the error codes
//! it answers with beyond the ones every endpoint of its kind has.
//!
//! The apps call through these declarations (`tongka_app::api`), the server
//! routes from them (`server::routes`), and the OpenAPI document is made
//! from them (with the `openapi` feature, which only the server enables).
//! A server test fails when an endpoint is declared and not routed or
//! routed and not declared.

use crate::dto::Role;
use crate::error::ErrorCode;
use serde::Serialize;
use serde::de::DeserializeOwned;

#[macro_use]
mod declare;

mod cards;
mod chain;
mod coupons;
mod identity;
mod invites;
mod levels;
mod points;
mod sign_in;
mod stored_value;
mod wallet;
mod write_offs;

pub use cards::*;
pub use chain::*;
pub use coupons::*;
pub use identity::*;
pub use invites::*;
pub use levels::*;
pub use points::*;
pub use sign_in::*;
pub use stored_value::*;
pub use wallet::*;
pub use write_offs::*;

/// An HTTP method the API uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    /// GET: reads, never changes anything.
    Get,
    /// POST: creates or acts.
    Post,
    /// PUT: replaces.
    Put,
    /// PATCH: changes some fields.
    Patch,
    /// DELETE: removes.
    Delete,
}

impl Method {
    /// The method's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

/// Who may call an endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone.
    Public,
    /// A logged-in member (a frozen one too: reading their own things).
    Member,
    /// A logged-in member who is not frozen.
    ActiveMember,
    /// Staff of these roles, by session or API key; a store or region
    /// outside the caller's scope answers 404.
    Staff(&'static [Role]),
    /// The payment gateway, by its signature.
    Gateway,
}

/// Every staff role.
pub const ANY_STAFF: &[Role] = &Role::ALL;

/// The docs page for integrators (an HTML page, not an operation), under
/// `/api`: a viewer of [`OpenApiDocument`].
pub const DOCS_PAGE: &str = "/docs";
/// HQ admin only.
pub const HQ_ADMIN: &[Role] = &[Role::HqAdmin];
/// HQ admin and HQ finance.
pub const HQ_MONEY: &[Role] = &[Role::HqAdmin, Role::HqFinance];
/// HQ finance only (money approvals).
pub const HQ_FINANCE: &[Role] = &[Role::HqFinance];
/// Roles that read across stores.
pub const CHAIN_READERS: &[Role] = &[Role::HqAdmin, Role::HqFinance, Role::RegionManager];
/// Roles that see a store's money: everyone but the clerk.
pub const MANAGERS: &[Role] = &[
    Role::HqAdmin,
    Role::HqFinance,
    Role::RegionManager,
    Role::StoreManager,
];
/// The store manager only.
pub const STORE_MANAGER: &[Role] = &[Role::StoreManager];
/// The counter: clerks and store managers.
pub const COUNTER: &[Role] = &[Role::StoreManager, Role::Clerk];
/// Who manages staff accounts: HQ admin, and a store manager their clerks.
pub const STAFF_ADMINS: &[Role] = &[Role::HqAdmin, Role::StoreManager];
/// Who edits a store: HQ admin, and its region and store managers (not
/// its region or whether it is open).
pub const STORE_EDITORS: &[Role] = &[Role::HqAdmin, Role::RegionManager, Role::StoreManager];
/// Who pays money back (refunds, 退卡): HQ and the store manager.
pub const MONEY_BACK: &[Role] = &[Role::HqAdmin, Role::HqFinance, Role::StoreManager];

/// Who issues coupons to members: HQ and the store manager.
pub const COUPON_ISSUERS: &[Role] = &[Role::HqAdmin, Role::HqFinance, Role::StoreManager];

/// What a successful answer carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// A JSON body of the response type.
    Json,
    /// No body (204).
    Empty,
    /// A CSV file (UTF-8 with BOM).
    Csv,
    /// A picture (PNG, JPEG or WebP), cached for good under its content
    /// hash.
    Image,
}

/// An endpoint's declaration, as data.
#[derive(Clone, Copy, Debug)]
pub struct Info {
    /// The declaration's name (its type), the OpenAPI operation id.
    pub name: &'static str,
    /// The area it belongs to (an OpenAPI tag).
    pub area: &'static str,
    /// HTTP method.
    pub method: Method,
    /// Path under `/api`, with `{name}` for its parameter.
    pub path: &'static str,
    /// Who may call it.
    pub access: Access,
    /// The success status.
    pub status: u16,
    /// What the success answer carries.
    pub answer: Answer,
    /// Whether it moves value and takes an `Idempotency-Key` header.
    pub idempotent: bool,
    /// Whether it takes a body (JSON unless `upload`).
    pub has_body: bool,
    /// Whether the body is a picture's bytes (PNG, JPEG or WebP) rather
    /// than JSON.
    pub upload: bool,
    /// Whether it takes a query string.
    pub has_query: bool,
    /// Error codes beyond the ones every endpoint of its kind has.
    pub errors: &'static [ErrorCode],
    /// What it does, for people.
    pub doc: &'static str,
    /// JSON schemas of its parts (the `openapi` feature).
    #[cfg(feature = "openapi")]
    pub schemas: Schemas,
}

/// Makes a part's JSON schema.
#[cfg(feature = "openapi")]
pub type SchemaFn = fn(&mut schemars::SchemaGenerator) -> schemars::Schema;

/// The JSON schemas of an endpoint's parts.
#[cfg(feature = "openapi")]
#[derive(Clone, Copy, Debug)]
pub struct Schemas {
    /// The path parameter's.
    pub path: Option<SchemaFn>,
    /// The query's (an object: each property one parameter).
    pub query: Option<SchemaFn>,
    /// The request body's.
    pub body: Option<SchemaFn>,
    /// The response body's.
    pub response: Option<SchemaFn>,
}

/// The schema of `T` (a reference where `T` is a named type).
#[cfg(feature = "openapi")]
pub fn schema_of<T: schemars::JsonSchema + ?Sized>(
    g: &mut schemars::SchemaGenerator,
) -> schemars::Schema {
    g.subschema_for::<T>()
}

/// The schema of `T` inlined (a query's properties are read one by one).
#[cfg(feature = "openapi")]
pub fn inline_schema_of<T: schemars::JsonSchema>(
    g: &mut schemars::SchemaGenerator,
) -> schemars::Schema {
    T::json_schema(g)
}

/// An endpoint: its declaration and its types.
pub trait Endpoint {
    /// The declaration.
    const INFO: Info;
    /// The path parameter: `()` for none, `i64` or `str`.
    type Path: PathArg + ?Sized;
    /// The query: `()` for none.
    type Query: Serialize;
    /// The JSON body: `()` for none.
    type Body: Serialize;
    /// The success answer's body: `()` for none.
    type Response: DeserializeOwned;

    /// The path under `/api` with its parameter filled in (percent-encoded).
    fn path(arg: &Self::Path) -> String {
        arg.fill(Self::INFO.path)
    }
}

/// A path parameter.
pub trait PathArg {
    /// `template` with its `{…}` segment replaced by this value.
    fn fill(&self, template: &str) -> String;
}

impl PathArg for () {
    fn fill(&self, template: &str) -> String {
        template.to_string()
    }
}

impl PathArg for i64 {
    fn fill(&self, template: &str) -> String {
        replace_param(template, &self.to_string())
    }
}

impl PathArg for str {
    fn fill(&self, template: &str) -> String {
        replace_param(template, &encode(self))
    }
}

impl PathArg for String {
    fn fill(&self, template: &str) -> String {
        self.as_str().fill(template)
    }
}

fn replace_param(template: &str, value: &str) -> String {
    match (template.find('{'), template.find('}')) {
        (Some(a), Some(b)) if a < b => format!("{}{value}{}", &template[..a], &template[b + 1..]),
        _ => template.to_string(),
    }
}

/// Percent-encodes a path segment or query value (RFC 3986 unreserved
/// characters stay).
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.push('%');
                out.push(HEX[(b >> 4) as usize] as char);
                out.push(HEX[(b & 15) as usize] as char);
            }
        }
    }
    out
}

/// The answer of a CSV export (the apps hand the bytes to the browser).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Csv;

impl<'de> serde::Deserialize<'de> for Csv {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(d).map(|_| Csv)
    }
}

#[cfg(feature = "openapi")]
impl schemars::JsonSchema for Csv {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Csv".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "contentMediaType": "text/csv" })
    }
}

/// The picture types an upload may be and an image answer is.
pub const IMAGE_TYPES: [&str; 3] = ["image/png", "image/jpeg", "image/webp"];

/// The largest picture an upload may be.
pub const MAX_IMAGE_BYTES: usize = 1024 * 1024;

/// The largest width or height of an uploaded picture, in pixels (read
/// from its header).
pub const MAX_IMAGE_SIDE: u32 = 4096;

/// The body of an upload: a picture's bytes, sent as they are with its
/// type (the apps send a file the person picked, not this value).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImageBytes;

impl Serialize for ImageBytes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_unit()
    }
}

/// The answer of a picture (the apps show it by its URL, never read it).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImageFile;

impl<'de> serde::Deserialize<'de> for ImageFile {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(d).map(|_| ImageFile)
    }
}

#[cfg(feature = "openapi")]
impl schemars::JsonSchema for ImageBytes {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ImageBytes".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "format": "binary" })
    }
}

#[cfg(feature = "openapi")]
impl schemars::JsonSchema for ImageFile {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ImageFile".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "format": "binary" })
    }
}

/// The answer of the OpenAPI document (any JSON object; the apps never read
/// it).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Document;

impl<'de> serde::Deserialize<'de> for Document {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(d).map(|_| Document)
    }
}

#[cfg(feature = "openapi")]
impl schemars::JsonSchema for Document {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "OpenApiDocument".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "object" })
    }
}

/// A body in a partner's own format (the gateway's signed callback), read
/// as bytes and checked by its signature; the apps never send it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Opaque;

impl Serialize for Opaque {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_unit()
    }
}

#[cfg(feature = "openapi")]
impl schemars::JsonSchema for Opaque {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "GatewayCallback".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "object",
            "description": "The gateway's callback in its own format, signed over timestamp, nonce and body."
        })
    }
}

/// Every declared endpoint.
pub fn all() -> Vec<Info> {
    [
        identity::ALL,
        chain::ALL,
        stored_value::ALL,
        wallet::ALL,
        cards::ALL,
        coupons::ALL,
        write_offs::ALL,
        points::ALL,
        levels::ALL,
        sign_in::ALL,
        invites::ALL,
    ]
    .concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_parameter_is_filled_in_and_encoded() {
        assert_eq!(StoreWallet::path(&7), "/staff/stores/7/wallet");
        assert_eq!(BrandInfo::path("a b/c"), "/brands/a%20b%2Fc");
        assert_eq!(MemberBalance::path(&()), "/member/balance");
    }

    #[test]
    fn no_two_declarations_share_a_method_and_path_or_a_name() {
        let all = all();
        let mut seen = std::collections::HashSet::new();
        let mut names = std::collections::HashSet::new();
        for e in &all {
            assert!(
                seen.insert((e.method, e.path)),
                "{} {}",
                e.method.as_str(),
                e.path
            );
            assert!(names.insert(e.name), "{}", e.name);
            assert!(e.path.starts_with('/'), "{}", e.path);
            assert!(!e.doc.is_empty(), "{} has no doc", e.name);
        }
    }
}
