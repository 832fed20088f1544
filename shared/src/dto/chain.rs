//! The chain: regions, stores, the member list, the audit log, paging and health.

use super::*;

/// A region.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct RegionView {
    /// Region id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Number of stores in it.
    pub store_count: i64,
}

/// Create or rename a region.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct RegionInput {
    /// Name.
    pub name: String,
}

/// A store.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct StoreView {
    /// Store id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Region id.
    pub region_id: i64,
    /// Region name.
    pub region_name: String,
    /// Street address.
    pub address: String,
    /// Phone.
    pub phone: String,
    /// Opening hours.
    pub hours: String,
    /// The brand's one default store.
    pub is_default: bool,
    /// Closed stores take no business.
    pub active: bool,
}

/// Create or edit a store.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct StoreInput {
    /// Name.
    pub name: String,
    /// Region id.
    pub region_id: i64,
    /// Street address.
    pub address: String,
    /// Phone.
    pub phone: String,
    /// Opening hours.
    pub hours: String,
    /// Open (true) or closed.
    pub active: bool,
}

/// A member in HQ's list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct MemberListItem {
    /// Member id.
    pub id: i64,
    /// Masked phone, `138****1234`.
    pub phone_masked: String,
    /// Name.
    pub name: String,
    /// Home store name.
    pub home_store: Option<String>,
    /// Registered at (RFC 3339).
    pub registered_at: String,
    /// Frozen.
    pub frozen: bool,
    /// Closed by the member (注销): kept for the records, nothing to act on.
    #[serde(default)]
    pub closed: bool,
}

/// A member as HQ's detail page shows them: the list's facts, the
/// birthday and what they hold.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct MemberDetail {
    /// The member as the list shows them.
    pub member: MemberListItem,
    /// Birthday `YYYY-MM-DD`, if given.
    pub birthday: Option<String>,
    /// Principal (refundable through 退卡).
    pub principal: crate::money::Fen,
    /// Bonus (taken back on 退卡).
    pub bonus: crate::money::Fen,
}

/// One page of a keyset-paged list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "openapi", schemars(rename = "Page_of_{T}"))]
pub struct Page<T> {
    /// The items, newest first.
    pub items: Vec<T>,
    /// Pass as `after` to get the next page; none at the end.
    pub next_cursor: Option<i64>,
}

/// Server health.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Health {
    /// `ok` when the database answers.
    pub status: String,
}
