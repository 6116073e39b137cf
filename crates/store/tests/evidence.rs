//! Evidence files on both backends (issue 16 item 18): a file is kept under the evidence folder
//! by its id with its row (name, detected type, size, checksum, sender) and an audit record; a
//! record that does not exist takes no file and leaves nothing on disk; the owner of each kind of
//! record is its provider; removing deletes the row (audited) and the file.

use caremarket_core::evidence::{FileType, RecordKind, SAMPLE_PNG, sample_pdf, size_in_words};
use caremarket_core::register::ServiceKind;
use caremarket_store::evidence::{NewEvidenceFile, evidence_path};
use caremarket_store::quality::actions::NewAction;
use caremarket_store::register::NewService;
use caremarket_store::{Actor, AuditQuery, StoreError};
use sha2::{Digest, Sha256};
use std::path::PathBuf;

fn svc(provider_id: &str, name: &str) -> NewService {
    NewService { beds: Some(30), ..caremarket_testkit::service(provider_id, name, ServiceKind::CareHomeResidential) }
}

/// A folder of the test's own under the system's temporary folder.
fn temp_dir() -> PathBuf {
    std::env::temp_dir().join(format!("caremarket-evidence-test-{}", uuid::Uuid::now_v7()))
}

/// The files in a folder (names), sorted.
fn listing(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect(),
        Err(_) => Vec::new(),
    };
    v.sort();
    v
}

#[tokio::test]
async fn files_are_kept_with_their_row_and_removed_with_it() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let dir = temp_dir();
        let sys = Actor::system("test");
        let officer = Actor::user("officer-1", "quality@test.gov.uk");
        let provider = s.create_provider(&sys, None, "Oak Care Ltd", None, None).await.expect("provider");
        let home = s.create_service(&sys, &svc(&provider, "Oak House")).await.expect("service");
        let action = s
            .create_action(
                &officer,
                &NewAction {
                    service_id: home.clone(),
                    title: "Medication audits".into(),
                    detail: None,
                    owner: "Registered manager".into(),
                    due_on: Some(jiff::civil::date(2025, 8, 1)),
                },
            )
            .await
            .expect("action");

        // The owner of an action is its service's provider; an unknown record is not found.
        let owner = s.evidence_record_owner(RecordKind::Action, &action).await.expect("owner");
        assert_eq!(owner.provider_id.as_deref(), Some(provider.as_str()));
        for kind in RecordKind::ALL {
            assert!(matches!(s.evidence_record_owner(kind, "no-such-record").await, Err(StoreError::NotFound(_))));
        }

        let pdf = sample_pdf("Medication audit May");
        let png = SAMPLE_PNG.to_vec();
        let sent = [("audit may.pdf", &pdf), ("photo.png", &png)];
        let mut ids = Vec::new();
        for (name, bytes) in sent {
            let file_type = FileType::detect(bytes).expect("an accepted type");
            let new = NewEvidenceFile { kind: RecordKind::Action, record_id: &action, name, file_type, bytes };
            let f = s.add_evidence_file(&officer, &dir, &new).await.expect("added");
            assert_eq!(f.name, name);
            assert_eq!(f.size_bytes, bytes.len() as i64);
            assert_eq!(f.sha256, hex::encode(Sha256::digest(bytes)));
            assert_eq!(f.uploaded_by_label, "quality@test.gov.uk");
            assert_eq!(&std::fs::read(evidence_path(&dir, &f.id)).expect("kept"), bytes, "the file is kept as sent");
            ids.push(f.id);
        }
        let listed = s.evidence_files(RecordKind::Action, &action).await.expect("list");
        assert_eq!(listed.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(), ["audit may.pdf", "photo.png"], "oldest first");
        assert_eq!((listed[0].file_type, listed[1].file_type), (FileType::Pdf, FileType::Png));
        assert!(s.evidence_files(RecordKind::Visit, &action).await.expect("other kind").is_empty(), "kinds are kept apart");
        let mut expected = ids.clone();
        expected.sort();
        assert_eq!(listing(&dir), expected, "one file per row, named by its id, no temporary file left");

        // A record that does not exist takes no file: no row and nothing left on disk.
        let new =
            NewEvidenceFile { kind: RecordKind::Claim, record_id: "no-such-claim", name: "x.pdf", file_type: FileType::Pdf, bytes: &pdf };
        assert!(matches!(s.add_evidence_file(&officer, &dir, &new).await, Err(StoreError::NotFound(_))));
        assert_eq!(listing(&dir), expected);

        // Removing: the row, then the file; audited with the name, never the content.
        let removed = s.remove_evidence_file(&officer, &dir, &ids[0]).await.expect("removed");
        assert_eq!(removed.name, "audit may.pdf");
        assert_eq!(s.evidence_files(RecordKind::Action, &action).await.expect("list").len(), 1);
        assert_eq!(listing(&dir), vec![ids[1].clone()]);
        assert!(matches!(s.evidence_file(&ids[0]).await, Err(StoreError::NotFound(_))));
        assert!(matches!(s.remove_evidence_file(&officer, &dir, &ids[0]).await, Err(StoreError::NotFound(_))));

        let audit = s
            .audit_entries(&AuditQuery { entity_type: Some("evidence_file".into()), limit: 100, ..Default::default() })
            .await
            .expect("audit")
            .0;
        let mut actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
        actions.sort();
        assert_eq!(actions, ["evidence.add", "evidence.add", "evidence.remove"]);
        let added = audit.iter().find(|a| a.entity_id.as_deref() == Some(ids[1].as_str())).expect("audit of the png");
        assert_eq!(added.summary, format!("Evidence file photo.png (PNG image, {}) added to the action", size_in_words(png.len() as i64)));
        assert!(audit.iter().all(|a| !a.after_json.as_deref().unwrap_or("").contains("%PDF")), "no file content in the audit");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
