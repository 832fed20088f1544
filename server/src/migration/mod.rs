//! Schema migrations, run at start (`serve`) and by the `migrate` subcommand.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::big_pk_auto;

mod m0001_foundation;
mod m0002_ledger;
mod m0003_money_settings;
mod m0004_gateway;
mod m0005_withdrawals;
mod m0006_hardening;
mod m0007_api_keys;
mod m0008_ledger_units;
mod m0009_payment_plan;
mod m0010_jobs;
mod m0011_member_payments;
mod m0012_audit_filters;
mod m0013_member_messages;
mod m0014_pin_reset;
mod m0015_member_closure;
mod m0016_cards;
mod m0017_card_orders;
mod m0018_coupons;
mod m0019_coupon_links;
mod m0020_refunded_coupon;
mod m0021_member_codes;
mod m0022_write_off_undo;
mod m0023_points;
mod m0024_levels;
mod m0025_points_holds_reminders;
mod m0026_points_sms;
mod m0027_sms_deliver_by;
mod m0028_sign_ins;
mod m0029_invites;
mod m0030_history_kinds;
mod m0031_wallet_rollup;

/// Every migration, in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_foundation::Migration),
            Box::new(m0002_ledger::Migration),
            Box::new(m0003_money_settings::Migration),
            Box::new(m0004_gateway::Migration),
            Box::new(m0005_withdrawals::Migration),
            Box::new(m0006_hardening::Migration),
            Box::new(m0007_api_keys::Migration),
            Box::new(m0008_ledger_units::Migration),
            Box::new(m0009_payment_plan::Migration),
            Box::new(m0010_jobs::Migration),
            Box::new(m0011_member_payments::Migration),
            Box::new(m0012_audit_filters::Migration),
            Box::new(m0013_member_messages::Migration),
            Box::new(m0014_pin_reset::Migration),
            Box::new(m0015_member_closure::Migration),
            Box::new(m0016_cards::Migration),
            Box::new(m0017_card_orders::Migration),
            Box::new(m0018_coupons::Migration),
            Box::new(m0019_coupon_links::Migration),
            Box::new(m0020_refunded_coupon::Migration),
            Box::new(m0021_member_codes::Migration),
            Box::new(m0022_write_off_undo::Migration),
            Box::new(m0023_points::Migration),
            Box::new(m0024_levels::Migration),
            Box::new(m0025_points_holds_reminders::Migration),
            Box::new(m0026_points_sms::Migration),
            Box::new(m0027_sms_deliver_by::Migration),
            Box::new(m0028_sign_ins::Migration),
            Box::new(m0029_invites::Migration),
            Box::new(m0030_history_kinds::Migration),
            Box::new(m0031_wallet_rollup::Migration),
        ]
    }
}

/// A name in the schema.
fn n(name: &'static str) -> Alias {
    Alias::new(name)
}

/// A table with a `BIGINT` auto-increment `id` primary key.
fn table(name: &'static str) -> TableCreateStatement {
    Table::create()
        .table(n(name))
        .if_not_exists()
        .col(big_pk_auto(n("id")))
        .take()
}

/// An index named `name` on `on (cols…)`.
fn index(name: &'static str, on: &'static str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(n(on)).if_not_exists();
    for c in cols {
        i.col(n(c));
    }
    i.take()
}
