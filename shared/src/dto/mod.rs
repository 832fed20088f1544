//! Request and response bodies of the API, a file per area. Instants
//! travel as RFC 3339 strings in UTC plus, where a person reads them, the
//! brand's local time. Everything is re-exported here: `shared::dto::X`.

use crate::money::{Fen, Quote};
use serde::{Deserialize, Serialize};

mod audit;
mod cards;
mod chain;
mod coupons;
mod gateway;
mod identity;
mod invites;
mod jobs;
mod ledger;
mod levels;
mod points;
mod query;
mod sign_in;
mod stored_value;
mod wallet;
mod write_offs;

pub use audit::*;
pub use cards::*;
pub use chain::*;
pub use coupons::*;
pub use gateway::*;
pub use identity::*;
pub use invites::*;
pub use jobs::*;
pub use ledger::*;
pub use levels::*;
pub use points::*;
pub use query::*;
pub use sign_in::*;
pub use stored_value::*;
pub use wallet::*;
pub use write_offs::*;
