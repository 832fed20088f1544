//! Schema migrations, run at start (`serve`) and by the `migrate` subcommand.

use sea_orm_migration::prelude::*;

mod m0001_foundation;
mod m0002_ledger;
mod m0003_money_settings;

/// Every migration, in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_foundation::Migration),
            Box::new(m0002_ledger::Migration),
            Box::new(m0003_money_settings::Migration),
        ]
    }
}
