//! Fees pages (issue 11 items 1 and 2): a commissioner adds rates, a second person approves one
//! above its lot's maximum, asks what was paid on a past date, previews and confirms an uplift
//! against a base date, records payment bases and decides fee requests. Every form error is
//! shown against its field; every route checks the role.
use crate::common;

use axum::http::StatusCode;
use caremarket_core::access::{Permission, Role};
use caremarket_core::fees::{RateCategory, RateDraft, RateLevel};
use caremarket_core::register::ServiceKind;
use caremarket_core::register::framework::FrameworkDraft;
use caremarket_store::Actor;
use common::Client;
use jiff::civil::date;

/// Visible text of a page: tags dropped, whitespace collapsed.
fn text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let out = out
        .replace("&#x2f;", "/")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn has(page: &str, wants: &[&str]) {
    let t = text(page);
    for w in wants {
        assert!(t.contains(w), "missing {w:?} in: {}", &t[..t.len().min(4000)]);
    }
}

struct Fixture {
    standard_lot: String,
    other_lot: String,
    standard: String,
    other: String,
}

async fn fixture(c: &Client) -> Fixture {
    let a = Actor::system("test");
    let fw = c
        .store
        .create_contract_framework(
            &a,
            &FrameworkDraft {
                name: "Care at Home".into(),
                lots: vec!["Standard".into(), "Other".into()],
                starts_on: None,
                ends_on: None,
                kinds: vec![ServiceKind::HomeCare],
            },
        )
        .await
        .expect("framework");
    let f = c.store.contract_framework(&fw).await.expect("fw");
    let lot = |n: &str| f.lots.iter().find(|l| l.name == n).map(|l| l.id.clone()).expect("lot");
    let standard = c.store.create_provider(&a, None, "Standard Care Ltd", None, None).await.expect("p");
    let other = c.store.create_provider(&a, None, "Other Care Ltd", None, None).await.expect("p");
    Fixture { standard_lot: lot("Standard"), other_lot: lot("Other"), standard, other }
}

#[tokio::test]
async fn every_route_checks_the_role() {
    let mut c = Client::sqlite().await;
    let x = fixture(&c).await;
    let a = Actor::system("test");
    let (rate, _) = c
        .store
        .add_fee_rate(
            &a,
            &RateDraft {
                level: Some(RateLevel::Council),
                kind: Some(ServiceKind::HomeCare),
                category: Some(RateCategory::Hourly),
                lot_id: None,
                provider_id: None,
                amount: "22.96".into(),
                effective_from: Some(date(2024, 4, 1)),
                reason: String::new(),
            },
        )
        .await
        .expect("rate");
    let _ = x.other;
    let views = [
        "/fees".to_string(),
        format!("/fees/rates/{rate}"),
        "/fees/paid".into(),
        "/fees/uplifts".into(),
        "/fees/bases".into(),
        "/fees/requests".into(),
    ];
    let manages = ["/fees/rates/new", "/fees/uplifts/new", "/fees/requests/new"];
    let posts = [
        "/fees/rates/new".to_string(),
        format!("/fees/rates/{rate}/decision"),
        "/fees/uplifts/new".into(),
        "/fees/bases".into(),
        "/fees/requests/new".into(),
    ];
    for (i, role) in Role::ALL.into_iter().enumerate() {
        let email = format!("user{i}@test.gov.uk");
        let provider = (role == Role::Provider).then_some(x.standard.as_str());
        c.user(&email, role, provider).await;
        c.sign_in_as(&email).await;
        for path in &views {
            let r = c.get(path).await;
            let ok = role.can(Permission::ViewFees);
            assert_eq!(r.status == StatusCode::OK, ok, "{role:?} GET {path}: {}", r.status);
            if !ok {
                assert!(matches!(r.status, StatusCode::FORBIDDEN | StatusCode::SEE_OTHER), "{role:?} GET {path}: {}", r.status);
            }
        }
        for path in manages {
            let r = c.get(path).await;
            assert_eq!(r.status == StatusCode::OK, role.can(Permission::ManageFees), "{role:?} GET {path}: {}", r.status);
        }
        // A page with a form token, then each write refused unless the role keeps fees.
        c.get("/account/tokens").await;
        for path in &posts {
            let r = c.post_form(path, &[]).await;
            if role.can(Permission::ManageFees) {
                assert_ne!(r.status, StatusCode::FORBIDDEN, "{role:?} POST {path}");
            } else {
                assert!(matches!(r.status, StatusCode::FORBIDDEN | StatusCode::SEE_OTHER), "{role:?} POST {path}: {}", r.status);
            }
        }
        // The navigation offers Fees to those who may read them.
        let r = c.get(role.home()).await;
        assert_eq!(
            r.body.contains("href=\"&#x2f;fees\"") || r.body.contains("href=\"/fees\""),
            role.can(Permission::ViewFees),
            "{role:?} nav"
        );
        c.post_form("/sign-out", &[]).await;
    }
}

#[tokio::test]
async fn a_commissioner_keeps_rates_with_history_and_a_second_person_approves_one_above_the_maximum() {
    let mut c = Client::sqlite().await;
    let x = fixture(&c).await;
    c.user_named("first@test.gov.uk", "Fiona First", Role::Commissioner, None).await;
    c.user_named("second@test.gov.uk", "Sam Second", Role::Commissioner, None).await;
    c.sign_in_as("first@test.gov.uk").await;

    // Every problem named against its field.
    c.get("/fees/rates/new").await.assert_ok();
    let r = c
        .post_form(
            "/fees/rates/new",
            &[("amount", "abc"), ("effective_from-day", "31"), ("effective_from-month", "2"), ("effective_from-year", "2024")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    has(
        &r.body,
        &[
            "There is a problem",
            "Choose whose rate this is",
            "Choose the type of service",
            "Choose what the rate is paid for",
            "The rate must be an amount of money, like 22.96",
        ],
    );
    assert!(
        r.body.contains("href=\"#level\"") && r.body.contains("href=\"#amount\"") && r.body.contains("href=\"#effective_from-day\""),
        "links"
    );
    let council = |amount: &'static str, y: &'static str| {
        vec![
            ("level", "council"),
            ("kind", "home_care"),
            ("category", "hourly"),
            ("amount", amount),
            ("effective_from-day", "1"),
            ("effective_from-month", "4"),
            ("effective_from-year", y),
        ]
    };
    let r = c.post_form("/fees/rates/new", &council("21.50", "2023")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = c.post_form("/fees/rates/new", &council("22.96", "2024")).await;
    assert_eq!(r.location.as_deref(), Some("/fees?saved=approved"));
    let r = c.get("/fees?saved=approved").await;
    has(&r.body, &["Rate saved", "Council rate", "Home care", "Hourly rate", "£22.96 an hour", "1 April 2024", "2024/25"]);
    // The card as it stood on a past date.
    let r = c.get("/fees?kind=home_care&on-day=1&on-month=5&on-year=2023").await;
    r.assert_ok();
    has(&r.body, &["Rates in force on 1 May 2023 (financial year 2023/24)", "£21.50 an hour", "£22.96 an hour from 1 April 2024"]);
    let r = c.get("/fees?on-day=30&on-month=2&on-year=2023").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("href=\"#on-day\""), "the date error links to its input");
    // A second version from the same date is refused, naming the date.
    c.get("/fees/rates/new").await;
    let r = c.post_form("/fees/rates/new", &council("23.10", "2024")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    has(&r.body, &["There is already a version of this rate from 1 April 2024 (£22.96 an hour)"]);

    // A lot maximum of £20.31 (`004` §5.1), then a provider rate above it.
    let max = [
        ("level", "lot_maximum"),
        ("kind", "home_care"),
        ("category", "hourly"),
        ("lot_id", x.standard_lot.as_str()),
        ("amount", "20.31"),
        ("effective_from-day", "1"),
        ("effective_from-month", "4"),
        ("effective_from-year", "2024"),
    ];
    assert_eq!(c.post_form("/fees/rates/new", &max).await.status, StatusCode::SEE_OTHER);
    c.get("/fees/rates/new").await;
    let mut above = vec![
        ("level", "provider"),
        ("kind", "home_care"),
        ("category", "hourly"),
        ("lot_id", x.standard_lot.as_str()),
        ("provider_id", x.standard.as_str()),
        ("amount", "21.00"),
        ("effective_from-day", "1"),
        ("effective_from-month", "4"),
        ("effective_from-year", "2024"),
    ];
    let r = c.post_form("/fees/rates/new", &above).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    has(&r.body, &["The rate is above the lot's maximum of £20.31 an hour: give the reason"]);
    above.push(("reason", "Rural rounds agreed at panel"));
    let r = c.post_form("/fees/rates/new", &above).await;
    assert_eq!(r.location.as_deref(), Some("/fees?saved=awaiting"));
    let r = c.get("/fees?saved=awaiting").await;
    has(&r.body, &["a second person must approve it", "Awaiting a second approver", "Rural rounds agreed at panel"]);
    let id = c.store.fee_rates().await.expect("rates").into_iter().find(|r| r.version.amount_pence == 2100).expect("rate").version.id;
    // The proposer cannot approve it.
    c.get(&format!("/fees/rates/{id}")).await;
    let r = c.post_form(&format!("/fees/rates/{id}/decision"), &[("decision", "approve")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    has(&r.body, &["You proposed this rate: a different person must approve it"]);
    // What was paid before approval: the council's rate.
    let r = c.get(&format!("/fees/paid?provider_id={}&kind=home_care&on-day=1&on-month=5&on-year=2024", x.standard)).await;
    has(&r.body, &["Standard Care Ltd, home care, on 1 May 2024", "£22.96 an hour", "The council's rate (no rate of its own)"]);
    c.post_form("/sign-out", &[]).await;

    c.sign_in_as("second@test.gov.uk").await;
    c.get(&format!("/fees/rates/{id}")).await;
    let r = c.post_form(&format!("/fees/rates/{id}/decision"), &[("decision", "approve")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = c.get(r.location.as_deref().expect("to")).await;
    has(&r.body, &["Rate approved", "£21.00 an hour", "Approved", "Fiona First", "Sam Second"]);
    assert!(!text(&r.body).contains("@test.gov.uk"), "the rate's history shows email addresses, not names");
    // Now, and on past dates.
    let r = c.get(&format!("/fees/paid?provider_id={}&kind=home_care&on-day=1&on-month=5&on-year=2024", x.standard)).await;
    has(&r.body, &["£21.00 an hour", "The provider's own rate"]);
    let r = c.get(&format!("/fees/paid?provider_id={}&kind=home_care&on-day=1&on-month=5&on-year=2023", x.standard)).await;
    has(&r.body, &["£21.50 an hour", "1 April 2023", "2023/24"]);
    let r = c.get("/fees/paid?provider_id=&kind=&on-day=31&on-month=2&on-year=2024").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    has(&r.body, &["Choose the provider", "Choose the type of service"]);
    let _ = x.other_lot;
}

#[tokio::test]
async fn an_uplift_is_previewed_against_its_base_date_then_confirmed() {
    let mut c = Client::sqlite().await;
    let x = fixture(&c).await;
    let a = Actor::system("test");
    let add = |lot: &str, p: &str, amount: &str, from: jiff::civil::Date| RateDraft {
        level: Some(RateLevel::Provider),
        kind: Some(ServiceKind::HomeCare),
        category: Some(RateCategory::Hourly),
        lot_id: Some(lot.into()),
        provider_id: Some(p.into()),
        amount: amount.into(),
        effective_from: Some(from),
        reason: String::new(),
    };
    // April 2023 and November 2023 (5.7% on £20.26 = £21.41) versions for a standard provider.
    c.store.add_fee_rate(&a, &add(&x.standard_lot, &x.standard, "20.26", date(2023, 4, 1))).await.expect("r");
    c.store.add_fee_rate(&a, &add(&x.standard_lot, &x.standard, "21.41", date(2023, 11, 1))).await.expect("r");
    c.store.add_fee_rate(&a, &add(&x.other_lot, &x.other, "19.50", date(2023, 11, 1))).await.expect("r");
    c.user("commissioner@test.gov.uk", Role::Commissioner, None).await;
    c.sign_in_as("commissioner@test.gov.uk").await;

    c.get("/fees/uplifts/new").await.assert_ok();
    let r = c.post_form("/fees/uplifts/new", &[("method", "percent"), ("percent", "15.655"), ("action", "preview")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    has(
        &r.body,
        &[
            "Enter a name for the uplift",
            "Choose the type of service whose rates are uplifted",
            "The percentage must be a number of per cent with up to two decimal places",
            "Enter the date the uplift takes effect",
            "Enter the base date",
        ],
    );
    let form = [
        ("name", "2024/25 standard care at home providers"),
        ("kind", "home_care"),
        ("lots", x.standard_lot.as_str()),
        ("method", "percent"),
        ("percent", "15.6"),
        ("effective_from-day", "1"),
        ("effective_from-month", "4"),
        ("effective_from-year", "2024"),
        ("base_date-day", "1"),
        ("base_date-month", "4"),
        ("base_date-year", "2023"),
    ];
    let mut preview = form.to_vec();
    preview.push(("action", "preview"));
    let r = c.post_form("/fees/uplifts/new", &preview).await;
    r.assert_ok();
    // 15.6% on April 2023's £20.26, not on November's £21.41.
    let expected = (2026.0_f64 * 1.156).round() as i64;
    let new_rate = format!("£{}.{:02} an hour", expected / 100, expected % 100);
    has(
        &r.body,
        &[
            "Check the uplift: 2024/25 standard care at home providers",
            "15.6%",
            "1 April 2023",
            "£20.26 an hour",
            "£21.41 an hour",
            &new_rate,
            "Yearly cost",
            "rounded to the nearest penny, halves up",
        ],
    );
    assert!(!text(&r.body).contains("Other Care Ltd"), "only the standard lot");
    assert!(c.store.fee_uplifts().await.expect("uplifts").is_empty(), "a preview saves nothing");
    let mut confirm = form.to_vec();
    confirm.push(("action", "confirm"));
    let r = c.post_form("/fees/uplifts/new", &confirm).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = c.get(r.location.as_deref().expect("to")).await;
    has(&r.body, &["Uplift confirmed: 1 new rate from 1 April 2024", &new_rate, "15.6% on the rates in force on the base date"]);
    let r = c.get("/fees/uplifts").await;
    has(&r.body, &["2024/25 standard care at home providers", "15.6%"]);
    // The history keeps every version.
    let id = c.store.fee_rates().await.expect("rates").into_iter().find(|r| r.version.uplift_id.is_some()).expect("new").version.id;
    let r = c.get(&format!("/fees/rates/{id}")).await;
    has(&r.body, &[&new_rate, "£21.41 an hour", "£20.26 an hour", "Uplift: 2024/25 standard care at home providers"]);
    // Confirming again is refused on its date: the rate already has a version from then.
    let r = c.post_form("/fees/uplifts/new", &confirm).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    has(&r.body, &["already has a version from 1 April 2024"]);
}

#[tokio::test]
async fn payment_bases_and_fee_requests_through_the_pages() {
    let mut c = Client::sqlite().await;
    let x = fixture(&c).await;
    c.user("commissioner@test.gov.uk", Role::Commissioner, None).await;
    c.sign_in_as("commissioner@test.gov.uk").await;
    c.get("/fees/bases").await.assert_ok();
    let r = c.post_form("/fees/bases", &[("minimum_call_minutes", "abc"), ("second_carer", "share")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    has(
        &r.body,
        &[
            "Choose the provider",
            "Choose the type of service",
            "Choose what the contract pays on",
            "The minimum paid call length must be a whole number",
            "Enter the second carer's share",
            "Enter the date the basis takes effect",
        ],
    );
    let basis = [
        ("provider_id", x.standard.as_str()),
        ("kind", "home_care"),
        ("pay_on", "delivered_capped"),
        ("minimum_call_minutes", "30"),
        ("second_carer", "full_rate"),
        ("effective_from-day", "1"),
        ("effective_from-month", "6"),
        ("effective_from-year", "2024"),
    ];
    let r = c.post_form("/fees/bases", &basis).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = c.get("/fees/bases?saved=1").await;
    has(
        &r.body,
        &["Payment basis saved", "Standard Care Ltd", "Delivered time, capped at planned", "30 minutes", "At the full rate", "1 June 2024"],
    );

    c.get("/fees/requests/new").await.assert_ok();
    let r = c.post_form("/fees/requests/new", &[("requested", "-2")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    has(
        &r.body,
        &[
            "Choose the provider asking for the increase",
            "Choose which rate the provider wants increased",
            "The rate asked for cannot be negative",
            "Enter the date the request was received",
            "Enter the provider's reason for asking",
        ],
    );
    let req = [
        ("provider_id", x.standard.as_str()),
        ("kind", "home_care"),
        ("category", "hourly"),
        ("requested", "24.50"),
        ("received_on-day", "2"),
        ("received_on-month", "9"),
        ("received_on-year", "2024"),
        ("reason", "Fuel costs on rural rounds"),
    ];
    let r = c.post_form("/fees/requests/new", &req).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let to = r.location.clone().expect("to");
    let r = c.get(&to).await;
    has(&r.body, &["Saved", "Standard Care Ltd", "£24.50 an hour", "2 September 2024", "Fuel costs on rural rounds", "Open"]);
    let id = to.trim_start_matches("/fees/requests/").split('?').next().expect("id").to_string();
    let r = c.post_form(&format!("/fees/requests/{id}/decision"), &[("decision", "agree")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    has(&r.body, &["Enter the agreed rate", "Enter the date the agreed rate takes effect", "Enter the reason for the decision"]);
    let r = c
        .post_form(
            &format!("/fees/requests/{id}/decision"),
            &[
                ("decision", "agree"),
                ("amount", "23.75"),
                ("effective_from-day", "1"),
                ("effective_from-month", "10"),
                ("effective_from-year", "2024"),
                ("decision_reason", "Costs evidenced"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = c.get(&format!("/fees/requests/{id}?saved=1")).await;
    has(&r.body, &["Agreed", "£23.75 an hour from 1 October 2024", "Costs evidenced"]);
    let r = c.get(&format!("/fees/paid?provider_id={}&kind=home_care&on-day=1&on-month=10&on-year=2024", x.standard)).await;
    has(&r.body, &["£23.75 an hour", "The provider's own rate", "Delivered time, capped at planned"]);
}
