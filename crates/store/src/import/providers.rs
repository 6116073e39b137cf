//! The providers an import's locations belong to, found a batch at a time (issue 18 item 1).
//!
//! An import used to read every CQC provider the register held before it began, and keep each
//! one it added: by CQC provider id, the provider's id and name. For a national file that is a
//! map of tens of thousands of providers, three strings each: the command line's import of
//! 500,000 locations peaked about 30 MiB higher with it, and its unchanged re-import about 40
//! (`/usr/bin/time`, benchmarks/import.md). Now each batch's providers are read with one query before the batch is
//! applied, after what the import queued has been written, so a provider an earlier batch added is
//! found in the register as the import wrote it.

use super::batch::Pending;
use super::stored::rows_where_in;
use crate::{Result, new_id};
use caremarket_core::register::CqcLocation;
use std::collections::HashMap;

/// A provider as the import refers to it: its id, and its name as last written (so a location
/// giving the same name again costs no statement).
struct Known {
    id: String,
    name: String,
}

#[derive(Default)]
pub(super) struct ProviderLookup {
    /// The providers of the batch being applied, by CQC provider id: those the register held when
    /// the batch was read, and those the batch added.
    batch: HashMap<String, Known>,
    /// Providers of locations without a CQC provider id, by location id: such a location gets a
    /// provider of its own, which no column of the register finds again, so a file repeating
    /// the location in a later batch finds it here. CQC's files give every location a provider
    /// id; a file without them is small.
    providerless: HashMap<String, Known>,
}

impl ProviderLookup {
    /// Read the providers of this batch's locations. Everything the import queued must have been
    /// written first (`Pending::flush`): a provider still queued is not found, and would be added
    /// twice.
    pub(super) async fn read_batch(&mut self, conn: &mut sqlx::AnyConnection, batch: &[CqcLocation]) -> Result<()> {
        self.batch.clear();
        let mut ids: Vec<&str> = batch.iter().filter_map(|l| l.provider_id.as_deref()).collect();
        ids.sort_unstable();
        ids.dedup();
        let rows: Vec<(String, String, String)> = rows_where_in(
            conn,
            "SELECT cqc_provider_id, id, name FROM providers WHERE cqc_provider_id IS NOT NULL",
            "cqc_provider_id",
            &ids,
        )
        .await?;
        self.batch.extend(rows.into_iter().map(|(cqc, id, name)| (cqc, Known { id, name })));
        Ok(())
    }

    /// The id of the location's provider, which is added (queued) if the register has none, or
    /// renamed if the file gives it a new name. `names` are CQC's provider names given with the
    /// file, for a provider the location does not name.
    pub(super) async fn ensure(
        &mut self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        pending: &mut Pending,
        loc: &CqcLocation,
        names: &HashMap<&str, &str>,
    ) -> Result<String> {
        let known = match &loc.provider_id {
            Some(provider_id) => self.batch.get_mut(provider_id),
            None => self.providerless.get_mut(&loc.location_id),
        };
        if let Some(known) = known {
            if let Some(name) = &loc.provider_name
                && *name != known.name
            {
                if !pending.rename_queued_provider(&known.id, name) {
                    sqlx::query("UPDATE providers SET name = $1 WHERE id = $2 AND name <> $1")
                        .bind(name)
                        .bind(known.id.as_str())
                        .execute(&mut **tx)
                        .await?;
                }
                known.name = name.clone();
            }
            return Ok(known.id.clone());
        }
        let id = new_id();
        let name = loc
            .provider_name
            .clone()
            .or_else(|| loc.provider_id.as_deref().and_then(|id| names.get(id)).map(|n| n.to_string()))
            .unwrap_or_else(|| loc.name.clone());
        pending.add_provider(&id, loc.provider_id.clone(), name.clone());
        let known = Known { id: id.clone(), name };
        match &loc.provider_id {
            Some(provider_id) => self.batch.insert(provider_id.clone(), known),
            None => self.providerless.insert(loc.location_id.clone(), known),
        };
        Ok(id)
    }
}
