//! The chain: the brand's public face, regions, stores, and the demo
//! sandboxes' switches.

use super::*;
use crate::dto::*;

endpoints! {
    area "chain";

    /// Whether the server and its database answer.
    HealthCheck: GET "/health", Public => Health;

    /// This API's OpenAPI 3.1 document (what `/api/docs` shows).
    OpenApiDocument: GET "/openapi.json", Public => Document;

    /// A brand's public face: name, colours, time zone, what is on.
    BrandInfo: GET "/brands/{slug}" (str), Public => BrandPublic, [BrandNotFound];

    /// Regions of the brand.
    ListRegions: GET "/hq/regions", Staff(CHAIN_READERS) => Vec<RegionView>;

    /// Creates a region.
    CreateRegion: POST "/hq/regions", Staff(HQ_ADMIN),
        body RegionInput => 201 RegionView, [AlreadyExists];

    /// Renames a region.
    RenameRegion: PUT "/hq/regions/{id}" (i64), Staff(HQ_ADMIN),
        body RegionInput => RegionView, [AlreadyExists];

    /// Deletes a region with no stores and no region manager.
    DeleteRegion: DELETE "/hq/regions/{id}" (i64), Staff(HQ_ADMIN) => 204 (), [RegionNotEmpty];

    /// Stores in the caller's scope.
    ListStores: GET "/hq/stores", Staff(ANY_STAFF) => Vec<StoreView>;

    /// Opens a store.
    CreateStore: POST "/hq/stores", Staff(HQ_ADMIN),
        body StoreInput => 201 StoreView, [AlreadyExists];

    /// One store in the caller's scope.
    GetStore: GET "/hq/stores/{id}" (i64), Staff(ANY_STAFF) => StoreView;

    /// Changes a store (HQ admin; its region manager and store manager
    /// some fields).
    UpdateStore: PUT "/hq/stores/{id}" (i64), Staff(STORE_EDITORS),
        body StoreInput => StoreView, [DefaultStoreClosed, AlreadyExists];

    /// Makes a store the brand's default home store for new members.
    MakeDefaultStore: POST "/hq/stores/{id}/make-default" (i64), Staff(HQ_ADMIN) => StoreView;

    /// Demo mode: what the payout sandbox does with the next submissions.
    PayoutSandbox: GET "/hq/sandbox/payout-mode", Staff(HQ_ADMIN) => SandboxMode, [NotFound];

    /// Demo mode: sets what the payout sandbox does (audited).
    SetPayoutSandbox: POST "/hq/sandbox/payout-mode", Staff(HQ_ADMIN),
        body SandboxMode => SandboxMode, [NotFound];

    /// Demo mode: how the gateway sandbox misbehaves.
    GatewaySandbox: GET "/hq/sandbox/gateway-switches", Staff(HQ_ADMIN) => GatewaySwitches, [NotFound];

    /// Demo mode: sets how the gateway sandbox misbehaves (audited).
    SetGatewaySandbox: PUT "/hq/sandbox/gateway-switches", Staff(HQ_ADMIN),
        body GatewaySwitches => GatewaySwitches, [NotFound];
}
