//! Council single sign-on (issue 17 item 8) in the store, on every backend: group mappings kept
//! and audited, a person matched by their provider link or verified email or made at first
//! sign-in, their role from their groups, and the refusals.

use caremarket_core::access::Role;
use caremarket_store::single_sign_on::{Identity, Refusal, SignInOutcome};
use caremarket_store::users::NewUser;
use caremarket_store::{Actor, AuditQuery, Store, StoreError};
use caremarket_testkit as testing;

const ISSUER: &str = "https://login.example.test/council";

async fn backends() -> Vec<Store> {
    testing::all_backends().await.expect("backends")
}

fn admin() -> Actor {
    Actor::user("admin-id", "admin@test.gov.uk")
}

fn groups(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

fn person<'a>(subject: &'a str, email: &'a str, groups: &'a [String]) -> Identity<'a> {
    Identity { issuer: ISSUER, subject, email: Some(email), email_verified: true, name: Some("Sam Okafor"), groups }
}

async fn audit(store: &Store, entity_type: &str) -> Vec<caremarket_store::AuditEntry> {
    store
        .audit_entries(&AuditQuery { entity_type: Some(entity_type.into()), entity_id: None, actor: None, limit: 50, offset: 0 })
        .await
        .expect("audit")
        .0
}

fn signed_in(outcome: SignInOutcome) -> (caremarket_store::users::User, bool) {
    match outcome {
        SignInOutcome::SignedIn { user, created } => (user, created),
        SignInOutcome::Refused(r) => panic!("expected sign-in, refused: {r:?}"),
    }
}

fn refused(outcome: SignInOutcome) -> Refusal {
    match outcome {
        SignInOutcome::Refused(r) => r,
        SignInOutcome::SignedIn { user, .. } => panic!("expected a refusal, signed in as {}", user.email),
    }
}

#[tokio::test]
async fn group_mappings_are_kept_replaced_removed_and_audited() {
    for store in backends().await {
        let name = store.backend().name();
        store.map_group(&admin(), " care-commissioning ", Role::Commissioner).await.expect("map");
        store.map_group(&admin(), "quality-team", Role::QualityOfficer).await.expect("map");
        // Mapping a group again replaces its role.
        store.map_group(&admin(), "quality-team", Role::Viewer).await.expect("remap");
        let kept: Vec<(String, Role)> = store.sign_in_groups().await.expect("list").into_iter().map(|m| (m.group, m.role)).collect();
        assert_eq!(
            kept,
            vec![("care-commissioning".to_string(), Role::Commissioner), ("quality-team".to_string(), Role::Viewer)],
            "{name}"
        );

        store.unmap_group(&admin(), "care-commissioning").await.expect("unmap");
        let kept: Vec<String> = store.sign_in_groups().await.expect("list").into_iter().map(|m| m.group).collect();
        assert_eq!(kept, vec!["quality-team".to_string()], "{name}");

        let entries = audit(&store, "sign_in_group").await;
        let summaries: Vec<&str> = entries.iter().map(|e| e.summary.as_str()).collect();
        assert_eq!(
            summaries,
            vec![
                "Removed sign-in group mapping",
                "Mapped sign-in group to Viewer",
                "Mapped sign-in group to Quality officer",
                "Mapped sign-in group to Commissioner"
            ],
            "{name}"
        );
        assert!(entries.iter().all(|e| e.actor_label == "admin@test.gov.uk"), "{name}");
    }
}

#[tokio::test]
async fn bad_mappings_are_refused_naming_the_field_and_nothing_is_kept() {
    for store in backends().await {
        let name = store.backend().name();
        let field = |e: StoreError| match e {
            StoreError::Invalid(fe) => (fe.field, fe.message),
            other => panic!("{name}: expected a refusal, got {other:?}"),
        };
        let (f, m) = field(store.map_group(&admin(), "   ", Role::Viewer).await.expect_err("empty"));
        assert_eq!((f.as_str(), m.as_str()), ("group", "Enter the group's name or id, as your identity provider sends it"));
        let (f, m) = field(store.map_group(&admin(), &"g".repeat(201), Role::Viewer).await.expect_err("long"));
        assert_eq!((f.as_str(), m.as_str()), ("group", "Group must be 200 characters or fewer"));
        let (f, _) = field(store.map_group(&admin(), "bad\0group", Role::Viewer).await.expect_err("nul"));
        assert_eq!(f, "group");
        let (f, _) = field(store.map_group(&admin(), "providers", Role::Provider).await.expect_err("provider"));
        assert_eq!(f, "role");
        let (f, m) = field(store.unmap_group(&admin(), "never-mapped").await.expect_err("unknown"));
        assert_eq!((f.as_str(), m.as_str()), ("group", "No role is mapped to the group never-mapped"));
        assert!(store.sign_in_groups().await.expect("list").is_empty(), "{name}");
        assert!(audit(&store, "sign_in_group").await.is_empty(), "{name}");
    }
}

#[tokio::test]
async fn first_sign_in_makes_an_account_with_the_mapped_role_and_later_ones_find_it_by_subject() {
    for store in backends().await {
        let name = store.backend().name();
        store.map_group(&admin(), "care-commissioning", Role::Commissioner).await.expect("map");
        let g = groups(&["all-staff", "care-commissioning"]);
        let (user, created) = signed_in(store.single_sign_on(&person("sub-1", "Sam.Okafor@Council.example", &g)).await.expect("sso"));
        assert!(created, "{name}");
        assert_eq!(user.email, "sam.okafor@council.example", "{name}");
        assert_eq!(user.display_name, "Sam Okafor", "{name}");
        assert_eq!(user.role, Role::Commissioner, "{name}");
        assert!(user.active && !user.must_change_password && user.last_sign_in_at.is_some(), "{name}");
        assert_eq!(store.user_identities(&user.id).await.expect("links"), vec![(ISSUER.to_string(), "sub-1".to_string())]);
        // No password signs in to an account made by single sign-on.
        assert!(store.authenticate("sam.okafor@council.example", "!single-sign-on").await.expect("auth").is_none(), "{name}");

        // The email changed at the provider: the subject still finds the same account.
        let (again, created) = signed_in(store.single_sign_on(&person("sub-1", "sam.o@council.example", &g)).await.expect("sso"));
        assert!(!created, "{name}");
        assert_eq!(again.id, user.id, "{name}");
        assert_eq!(store.count_users().await.expect("count"), 1, "{name}");

        let entries = audit(&store, "user").await;
        let summaries: Vec<&str> = entries.iter().map(|e| e.summary.as_str()).collect();
        assert_eq!(
            summaries,
            vec!["Signed in with single sign-on", "Signed in with single sign-on", "Created Commissioner account at first single sign-on"],
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_local_account_is_matched_by_verified_email_and_its_role_follows_the_groups() {
    for store in backends().await {
        let name = store.backend().name();
        let local = store
            .create_user(
                &admin(),
                NewUser {
                    email: "jo.bloggs@council.example",
                    display_name: "Jo Bloggs",
                    password: "kettle orbit lantern",
                    role: Role::Viewer,
                    provider_id: None,
                    must_change_password: false,
                },
            )
            .await
            .expect("user");
        store.map_group(&admin(), "quality-team", Role::QualityOfficer).await.expect("map");
        store.map_group(&admin(), "it-admins", Role::Admin).await.expect("map");

        // Two mapped groups: the more trusted role (first in Role::ALL) wins, whatever the order.
        let g = groups(&["quality-team", "it-admins"]);
        let (user, created) = signed_in(store.single_sign_on(&person("sub-jo", "JO.BLOGGS@council.example", &g)).await.expect("sso"));
        assert!(!created, "{name}");
        assert_eq!(user.id, local.id, "{name}");
        assert_eq!(user.role, Role::Admin, "{name}");
        assert_eq!(user.display_name, "Jo Bloggs", "{name}: the local name is kept");

        let g = groups(&["quality-team"]);
        let (user, _) = signed_in(store.single_sign_on(&person("sub-jo", "jo.bloggs@council.example", &g)).await.expect("sso"));
        assert_eq!(user.role, Role::QualityOfficer, "{name}");
        let entry = audit(&store, "user").await.into_iter().next().expect("audited");
        assert_eq!(entry.summary, "Signed in with single sign-on; role changed from Administrator to Quality officer by their groups");

        // Local passwords still work.
        assert!(store.authenticate("jo.bloggs@council.example", "kettle orbit lantern").await.expect("auth").is_some(), "{name}");
    }
}

#[tokio::test]
async fn refusals_no_mapped_group_unverified_email_and_deactivated() {
    for store in backends().await {
        let name = store.backend().name();
        store.map_group(&admin(), "care-commissioning", Role::Commissioner).await.expect("map");
        let mapped = groups(&["care-commissioning"]);
        let unmapped = groups(&["finance"]);

        assert_eq!(
            refused(store.single_sign_on(&person("s1", "a@council.example", &unmapped)).await.expect("sso")),
            Refusal::NoMappedGroup
        );
        assert_eq!(refused(store.single_sign_on(&person("s1", "a@council.example", &[])).await.expect("sso")), Refusal::NoMappedGroup);
        let unverified = Identity { email_verified: false, ..person("s2", "b@council.example", &mapped) };
        assert_eq!(refused(store.single_sign_on(&unverified).await.expect("sso")), Refusal::EmailNotVerified);
        let no_email = Identity { email: None, ..person("s3", "c@council.example", &mapped) };
        assert_eq!(refused(store.single_sign_on(&no_email).await.expect("sso")), Refusal::EmailNotVerified);
        assert_eq!(store.count_users().await.expect("count"), 0, "{name}: nothing made for a refused person");

        let (user, _) = signed_in(store.single_sign_on(&person("s4", "d@council.example", &mapped)).await.expect("sso"));
        store.set_user_active(&admin(), &user.id, false).await.expect("deactivate");
        assert_eq!(refused(store.single_sign_on(&person("s4", "d@council.example", &mapped)).await.expect("sso")), Refusal::Deactivated);
        // A deactivated account found by email is refused too, and not linked.
        let other = Identity { subject: "s5", ..person("s5", "d@council.example", &mapped) };
        assert_eq!(refused(store.single_sign_on(&other).await.expect("sso")), Refusal::Deactivated);
        assert_eq!(store.user_identities(&user.id).await.expect("links").len(), 1, "{name}");
        let reloaded = store.user(&user.id).await.expect("user");
        assert!(!reloaded.active, "{name}");
    }
}
