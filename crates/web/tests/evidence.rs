//! Evidence files through the pages (issue 16 item 18): an officer adds a file to an action and
//! sees it listed (name, type, size, who, when) with a banner; a file that is not an accepted
//! type (whatever its name) or is too large is refused with a message naming it; the download is
//! an attachment with the detected type and nosniff; the action's provider sees and adds files
//! through the portal and cannot remove them, another provider gets "not found" for all of it;
//! an officer removes a file.
use crate::common;

use axum::http::StatusCode;
use caremarket_core::access::Role;
use caremarket_core::evidence::{SAMPLE_PNG, sample_pdf, size_in_words};
use caremarket_core::register::ServiceKind;
use caremarket_store::Actor;
use caremarket_store::quality::actions::NewAction;
use caremarket_store::register::NewService;
use common::{Client, visible_text};
use jiff::civil::date;

fn svc(provider_id: &str, name: &str) -> NewService {
    caremarket_testkit::service(provider_id, name, ServiceKind::HomeCare)
}

/// The id in `/evidence/files/{id}` of the first file link on a page.
fn first_file_id(html: &str) -> String {
    let at = html.find("/evidence/files/").expect("a file link") + "/evidence/files/".len();
    html[at..].chars().take_while(|c| c.is_ascii_hexdigit() || *c == '-').collect()
}

#[tokio::test]
async fn officers_and_the_actions_provider_attach_evidence_and_no_one_else_sees_it() {
    let settings = caremarket_web::WebSettings { max_evidence_bytes: 4096, ..common::test_settings() };
    let limit = settings.max_evidence_bytes;
    let evidence_dir = settings.evidence_dir.clone();
    let store = caremarket_testkit::sqlite().await.expect("store");
    store.set_setting("council_name", "Testshire Council").await.expect("setting");
    let mut officer = Client::with_settings(store.clone(), settings.clone());
    let a = Actor::system("test");
    let oak = store.create_provider(&a, None, "Oak Care Ltd", None, None).await.expect("p");
    let elm = store.create_provider(&a, None, "Elm Care Ltd", None, None).await.expect("p");
    let oak_svc = store.create_service(&a, &svc(&oak, "Oak Home Care")).await.expect("s");
    let action = store
        .create_action(
            &a,
            &NewAction {
                service_id: oak_svc,
                title: "Reduce late calls".into(),
                detail: None,
                owner: "Branch manager".into(),
                due_on: Some(date(2099, 1, 31)),
            },
        )
        .await
        .expect("action");
    officer.user_named("quality@test.gov.uk", "Priya Shah", Role::QualityOfficer, None).await;
    officer.user_named("manager@oak.test", "Owen Oakley", Role::Provider, Some(&oak)).await;
    officer.user_named("manager@elm.test", "Ellie Elm", Role::Provider, Some(&elm)).await;
    officer.sign_in_as("quality@test.gov.uk").await;
    let page = format!("/quality/actions/{action}");
    let upload = format!("/evidence/action/{action}");

    let r = officer.get(&page).await;
    r.assert_ok();
    let text = visible_text(&r.body);
    assert!(text.contains("Evidence No evidence files have been added to this action."), "{text}");
    assert!(text.contains("Add an evidence file"));

    // An officer adds a PNG (named .png, and it is one).
    let token = officer.csrf();
    let r = officer.post_file_bytes(&upload, &token, "evidence_file", "site photo.png", &SAMPLE_PNG).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location.as_deref(), Some(format!("{page}?evidence=added#evidence-files").as_str()));
    let r = officer.get(&format!("{page}?evidence=added")).await;
    r.assert_ok();
    let text = visible_text(&r.body);
    assert!(text.contains("Success Evidence file added"), "{text}");
    let today = caremarket_core::text::long_date(caremarket_store::today());
    let row = format!("site photo.png PNG image {} Priya Shah {today}", size_in_words(SAMPLE_PNG.len() as i64));
    assert!(text.contains(&row), "expected '{row}' in {text}");
    let file = first_file_id(&r.body);

    // Text called .pdf is refused by its content, naming the file; nothing is added.
    let token = officer.csrf();
    let r = officer.post_file_bytes(&upload, &token, "evidence_file", "minutes.pdf", b"name,notes\nA,late\n").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let text = visible_text(&r.body);
    assert!(text.contains("There is a problem The file minutes.pdf is not an accepted type"), "{text}");
    assert!(r.body.contains("<title>Error: "), "the title says there is an error");
    // Too large (a real PDF over the limit), naming the file and the limit.
    let mut big = sample_pdf("Big");
    big.resize(limit + 1, b' ');
    let token = officer.csrf();
    let r = officer.post_file_bytes(&upload, &token, "evidence_file", "big.pdf", &big).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let expected = format!("The file big.pdf is too large: it must be {} or smaller", size_in_words(limit as i64));
    assert!(visible_text(&r.body).contains(&expected), "{}", visible_text(&r.body));
    // No file chosen.
    let token = officer.csrf();
    let r = officer.post_file_bytes(&upload, &token, "evidence_file", "", b"").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(visible_text(&r.body).contains("Select a file"));
    assert_eq!(store.evidence_files(caremarket_core::evidence::RecordKind::Action, &action).await.expect("files").len(), 1);
    let on_disk = std::fs::read_dir(&evidence_dir).expect("evidence folder").count();
    assert_eq!(on_disk, 1, "refused files leave nothing on disk");

    // The download: the bytes as sent, an attachment of the detected type, never sniffed.
    let r = officer.get(&format!("/evidence/files/{file}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.bytes, SAMPLE_PNG.to_vec());
    assert_eq!(r.content_type.as_deref(), Some("image/png"));
    assert!(r.content_disposition.as_deref().unwrap_or("").starts_with("attachment; filename=\"site photo.png\""));
    assert_eq!(r.headers.get("x-content-type-options").and_then(|v| v.to_str().ok()), Some("nosniff"));

    // The action's provider sees the file in the portal, downloads it and adds one; it cannot
    // remove files.
    let mut oak_user = Client::with_settings(store.clone(), settings.clone());
    oak_user.sign_in_as("manager@oak.test").await;
    let r = oak_user.get(&format!("/portal/actions/{action}")).await;
    r.assert_ok();
    let text = visible_text(&r.body);
    assert!(text.contains(&row), "{text}");
    assert!(!r.body.contains("/remove"), "providers have no remove button");
    assert_eq!(oak_user.get(&format!("/evidence/files/{file}")).await.status, StatusCode::OK);
    let token = oak_user.csrf();
    let pdf = sample_pdf("Call log audit");
    let r = oak_user.post_file_bytes(&upload, &token, "evidence_file", "call log audit.pdf", &pdf).await;
    assert_eq!(r.location.as_deref(), Some(format!("/portal/actions/{action}?evidence=added#evidence-files").as_str()));
    let text = visible_text(&oak_user.get(&format!("/portal/actions/{action}?evidence=added")).await.body);
    assert!(text.contains("Evidence file added"));
    assert!(text.contains(&format!("call log audit.pdf PDF {} Owen Oakley", size_in_words(pdf.len() as i64))), "{text}");
    let token = oak_user.csrf();
    assert_eq!(
        oak_user.post_form_raw(&format!("/evidence/files/{file}/remove"), &[("csrf_token", &token)]).await.status,
        StatusCode::FORBIDDEN
    );

    // Another provider: not found, to read or to add.
    let mut elm_user = Client::with_settings(store.clone(), settings.clone());
    elm_user.sign_in_as("manager@elm.test").await;
    assert_eq!(elm_user.get(&format!("/evidence/files/{file}")).await.status, StatusCode::NOT_FOUND);
    let token = elm_user.csrf();
    let r = elm_user.post_file_bytes(&upload, &token, "evidence_file", "x.png", &SAMPLE_PNG).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(elm_user.get(&format!("/portal/actions/{action}")).await.status, StatusCode::NOT_FOUND);

    // The officer removes the first file: banner, gone from the page and the disk, audited.
    let token = officer.csrf();
    let r = officer.post_form_raw(&format!("/evidence/files/{file}/remove"), &[("csrf_token", &token)]).await;
    assert_eq!(r.location.as_deref(), Some(format!("{page}?evidence=removed#evidence-files").as_str()));
    let text = visible_text(&officer.get(&format!("{page}?evidence=removed")).await.body);
    assert!(text.contains("Evidence file removed"), "{text}");
    assert!(!text.contains("site photo.png") && text.contains("call log audit.pdf"), "{text}");
    assert_eq!(officer.get(&format!("/evidence/files/{file}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(std::fs::read_dir(&evidence_dir).expect("evidence folder").count(), 1);
    let audit = store
        .audit_entries(&caremarket_store::AuditQuery { entity_type: Some("evidence_file".into()), limit: 10, ..Default::default() })
        .await
        .expect("audit")
        .0;
    assert_eq!(audit.len(), 3, "two added, one removed");
    let _ = std::fs::remove_dir_all(&evidence_dir);
}

/// A cost of care return carries the provider's accounts: the provider attaches them in the
/// portal, a commissioner sees and downloads them on the return's page, another provider sees
/// nothing, and a role without cost of care figures cannot fetch them.
#[tokio::test]
async fn a_cost_of_care_return_carries_the_providers_accounts() {
    use caremarket_core::fees::cost_of_care::{CostReturnDraft, HOME_CARE_LINES};
    use caremarket_store::fees::cost_of_care::SentBy;
    let settings = common::test_settings();
    let evidence_dir = settings.evidence_dir.clone();
    let store = caremarket_testkit::sqlite().await.expect("store");
    store.set_setting("council_name", "Testshire Council").await.expect("setting");
    let a = Actor::system("test");
    let oak = store.create_provider(&a, None, "Oak Care Ltd", None, None).await.expect("p");
    let elm = store.create_provider(&a, None, "Elm Care Ltd", None, None).await.expect("p");
    let oak_svc = store.create_service(&a, &svc(&oak, "Oak Home Care")).await.expect("s");
    let today = caremarket_store::today();
    let year = caremarket_core::fees::cost_of_care::year_of(today);
    let draft = CostReturnDraft {
        kind: None,
        year: year.to_string(),
        amounts: HOME_CARE_LINES.iter().map(|l| (l.as_str().to_string(), "1.50".to_string())).collect(),
    };
    let (ret, _) = store.submit_cost_return(&a, &oak_svc, &draft, SentBy::Council, None, today).await.expect("return");
    let mut oak_user = Client::with_settings(store.clone(), settings.clone());
    oak_user.user_named("manager@oak.test", "Owen Oakley", Role::Provider, Some(&oak)).await;
    oak_user.user_named("manager@elm.test", "Ellie Elm", Role::Provider, Some(&elm)).await;
    oak_user.user_named("commissioner@test.gov.uk", "Cara Commissioner", Role::Commissioner, None).await;
    oak_user.user_named("quality@test.gov.uk", "Priya Shah", Role::QualityOfficer, None).await;

    // The provider attaches its accounts on its return's portal page.
    oak_user.sign_in_as("manager@oak.test").await;
    let portal_page = format!("/portal/cost-of-care/{ret}");
    let text = visible_text(&oak_user.get(&portal_page).await.body);
    assert!(text.contains("Evidence No evidence files have been added to this cost of care return."), "{text}");
    let accounts = sample_pdf("Oak Care accounts 2024");
    let token = oak_user.csrf();
    let r =
        oak_user.post_file_bytes(&format!("/evidence/cost_of_care_return/{ret}"), &token, "evidence_file", "accounts.pdf", &accounts).await;
    assert_eq!(r.location.as_deref(), Some(format!("{portal_page}?evidence=added#evidence-files").as_str()));
    let text = visible_text(&oak_user.get(&format!("{portal_page}?evidence=added")).await.body);
    let row = format!("accounts.pdf PDF {} Owen Oakley {}", size_in_words(accounts.len() as i64), caremarket_core::text::long_date(today));
    assert!(text.contains("Success Evidence file added") && text.contains(&row), "{text}");
    let file = first_file_id(&oak_user.get(&portal_page).await.body);

    // The commissioner sees it on the return's page and downloads the same bytes.
    let mut commissioner = Client::with_settings(store.clone(), settings.clone());
    commissioner.sign_in_as("commissioner@test.gov.uk").await;
    let text = visible_text(&commissioner.get(&format!("/fees/cost-of-care/returns/{ret}")).await.body);
    assert!(text.contains(&row), "{text}");
    let r = commissioner.get(&format!("/evidence/files/{file}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.bytes, accounts);

    // A quality officer may not see cost of care figures, so not their evidence either; another
    // provider is told there is no such file.
    let mut quality = Client::with_settings(store.clone(), settings.clone());
    quality.sign_in_as("quality@test.gov.uk").await;
    assert_eq!(quality.get(&format!("/evidence/files/{file}")).await.status, StatusCode::FORBIDDEN);
    let mut elm_user = Client::with_settings(store.clone(), settings.clone());
    elm_user.sign_in_as("manager@elm.test").await;
    assert_eq!(elm_user.get(&format!("/evidence/files/{file}")).await.status, StatusCode::NOT_FOUND);
    let token = elm_user.csrf();
    let r = elm_user.post_file_bytes(&format!("/evidence/cost_of_care_return/{ret}"), &token, "evidence_file", "x.png", &SAMPLE_PNG).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(store.evidence_files(caremarket_core::evidence::RecordKind::CostOfCareReturn, &ret).await.expect("files").len(), 1);
    let _ = std::fs::remove_dir_all(&evidence_dir);
}
