//! Two people saving one record (issue 17 item 6, decision 25): Dana and Eli sign in, open the
//! same form, and the tests of `versions_*.rs` check that the first save stands and the second is
//! refused with the notice a person reads.

use super::{Client, PASSWORD, Res, visible_text};
use axum::http::StatusCode;
use caremarket_core::access::Role;
use caremarket_core::register::ServiceKind;
use caremarket_store::register::NewService;
use caremarket_store::users::NewUser;
use caremarket_store::{Actor, AuditQuery, Store};

/// A council account; its id.
pub async fn person(store: &Store, email: &str, name: &str, role: Role) -> String {
    store
        .create_user(
            &Actor::system("test"),
            NewUser { email, display_name: name, password: PASSWORD, role, provider_id: None, must_change_password: false },
        )
        .await
        .expect("user")
        .id
}

/// Dana Officer and Eli Officer, both with `role`, at Testshire Council; their ids.
pub async fn two(store: &Store, role: Role) -> (String, String) {
    store.set_setting("council_name", "Testshire Council").await.expect("setting");
    let dana = person(store, "dana@test.gov.uk", "Dana Officer", role).await;
    let eli = person(store, "eli@test.gov.uk", "Eli Officer", role).await;
    (dana, eli)
}

pub async fn signed_in(store: &Store, email: &str) -> Client {
    let mut c = Client::new(store.clone());
    c.sign_in_as(email).await;
    c
}

/// Dana and Eli, each with the page at `path` open.
pub async fn both_open(store: &Store, path: &str) -> (Client, Client) {
    let mut dana = signed_in(store, "dana@test.gov.uk").await;
    let mut eli = signed_in(store, "eli@test.gov.uk").await;
    dana.get(path).await.assert_ok();
    eli.get(path).await.assert_ok();
    (dana, eli)
}

/// Dana and Eli, each with the page `page` open, whose form posts to `action` at version `at`
/// (`action#version_<key>` for one setting of a page that saves several).
pub async fn both_open_at(store: &Store, page: &str, action: &str, at: &str) -> (Client, Client) {
    let (dana, eli) = both_open(store, page).await;
    assert_eq!(dana.form_version(action).as_deref(), Some(at), "{action}");
    assert_eq!(eli.form_version(action).as_deref(), Some(at), "{action}");
    (dana, eli)
}

/// Entries of `action` on one record in the audit log.
pub async fn audited(store: &Store, entity_type: &str, id: &str, action: &str) -> usize {
    let q = AuditQuery { entity_type: Some(entity_type.into()), entity_id: Some(id.into()), limit: 100, ..Default::default() };
    store.audit_entries(&q).await.expect("audit").0.iter().filter(|e| e.action == action).count()
}

/// The refused save's page: 409, the notice naming Dana as who saved, and the rows that differ.
pub fn refused(r: &Res, differs: &[&str]) {
    refused_by(r, "Dana Officer", differs)
}

/// As [`refused`], naming `who` as who saved.
pub fn refused_by(r: &Res, who: &str, differs: &[&str]) {
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let text = visible_text(&r.body);
    assert!(text.contains("This record changed since you opened it"), "{text}");
    assert!(text.contains(&format!("{who} saved it at ")), "{text}");
    assert!(text.contains("Your changes have not been saved"), "{text}");
    for d in differs {
        assert!(text.contains(d), "{d:?} not in {text}");
    }
}

/// A residential care home of the council's area, spot purchased.
pub fn care_home(provider_id: &str, name: &str, registration_status: &str) -> NewService {
    NewService {
        town: None,
        postcode: None,
        local_authority: None,
        registration_status: registration_status.into(),
        beds: Some(20),
        ..caremarket_testkit::service(provider_id, name, ServiceKind::CareHomeResidential)
    }
}

/// Whether the page's form control with `value` (a radio, checkbox or option) is the one chosen.
pub fn chosen(body: &str, value: &str) -> bool {
    let needle = format!("value=\"{value}\"");
    body.split('<').filter(|t| t.starts_with("input") || t.starts_with("option")).any(|t| {
        let tag = t.split('>').next().unwrap_or("");
        tag.contains(&needle) && (tag.contains(" checked") || tag.contains(" selected"))
    })
}
