//! Demo evidence files (issue 16 item 18): a PDF the demo provider sent on one of its open
//! actions, and a photo an officer added to the visit that raised an action. Written after the
//! council is generated, into the demo's own evidence folder.

use crate::DemoError;
use caremarket_core::evidence::{FileType, RecordKind, SAMPLE_PNG, sample_pdf};
use caremarket_store::evidence::NewEvidenceFile;
use caremarket_store::{Actor, Store};
use std::path::Path;

/// Add the demo's evidence files under `dir`; returns how many were added.
pub async fn seed_evidence(store: &Store, dir: &Path) -> Result<usize, DemoError> {
    let users = store.users().await?;
    let Some(provider_user) = users.iter().find(|u| u.email.starts_with("provider@")) else { return Ok(0) };
    let Some(provider_id) = provider_user.provider_id.as_deref() else { return Ok(0) };
    let officer = users.iter().find(|u| u.email.starts_with("quality@"));
    let actions = store.actions_for_provider(provider_id).await?;
    let mut added = 0;
    if let Some(a) = actions.iter().find(|a| a.accepted_on.is_none()) {
        let pdf = sample_pdf("Medication audit summary");
        let new = NewEvidenceFile {
            kind: RecordKind::Action,
            record_id: &a.id,
            name: "Medication audit summary.pdf",
            file_type: FileType::Pdf,
            bytes: &pdf,
        };
        store.add_evidence_file(&Actor::user(&provider_user.id, &provider_user.email), dir, &new).await?;
        added += 1;
    }
    if let (Some(officer), Some(visit_id)) = (officer, actions.iter().find_map(|a| a.visit_id.clone())) {
        let new = NewEvidenceFile {
            kind: RecordKind::Visit,
            record_id: &visit_id,
            name: "Medication room photo.png",
            file_type: FileType::Png,
            bytes: &SAMPLE_PNG,
        };
        store.add_evidence_file(&Actor::user(&officer.id, &officer.email), dir, &new).await?;
        added += 1;
    }
    Ok(added)
}
