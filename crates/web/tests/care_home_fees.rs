//! Care home fees pages (issue 11 item 3): a commissioner adds weekly fees and FNC rates,
//! records placements by case reference and reads each placement's weekly cost line by line,
//! per home and in total, each figure linked to the placements behind it. Only those who keep
//! fees change them; those who read fees read them; providers and viewers get nothing.
use crate::common;

use axum::http::StatusCode;
use caremarket_core::access::{Permission, Role};
use caremarket_core::fees::care_home_fees::{BedType, CareHomeFeeDraft, FncDraft, FundingBasis, PlacementDraft};
use caremarket_core::register::ServiceKind;
use caremarket_store::Actor;
use caremarket_store::register::NewService;
use common::{Client, visible_text};
use jiff::civil::date;

fn has(page: &str, wants: &[&str]) {
    let t = visible_text(page);
    for w in wants {
        assert!(t.contains(w), "missing {w:?} in: {}", &t[..t.len().min(6000)]);
    }
}

/// "£1,234.56" from pence, written here independently of the product's formatting.
fn gbp(p: i64) -> String {
    let pounds = p / 100;
    let whole = if pounds >= 1000 { format!("{},{:03}", pounds / 1000, pounds % 1000) } else { pounds.to_string() };
    format!("£{whole}.{:02}", p % 100)
}

async fn service(c: &Client, provider: &str, name: &str, kind: ServiceKind) -> String {
    c.store
        .create_service(
            &Actor::system("test"),
            &NewService {
                town: Some("Oldham".into()),
                postcode: Some("OL1 1AA".into()),
                local_authority: Some("Oldham".into()),
                beds: Some(40),
                ..caremarket_testkit::service(provider, name, kind)
            },
        )
        .await
        .expect("service")
}

struct Fixture {
    provider: String,
    oak: String,
    elm: String,
    home_care: String,
}

async fn fixture(c: &Client) -> Fixture {
    let a = Actor::system("test");
    let provider = c.store.create_provider(&a, None, "Oak Care Ltd", None, None).await.expect("provider");
    let oak = service(c, &provider, "Oak House", ServiceKind::CareHomeNursing).await;
    let elm = service(c, &provider, "Elm Lodge", ServiceKind::CareHomeResidential).await;
    let home_care = service(c, &provider, "Oak Home Care", ServiceKind::HomeCare).await;
    Fixture { provider, oak, elm, home_care }
}

#[tokio::test]
async fn every_route_checks_the_role() {
    let mut c = Client::sqlite().await;
    let x = fixture(&c).await;
    let a = Actor::system("test");
    c.store
        .add_care_home_fee(
            &a,
            &CareHomeFeeDraft {
                service_id: Some(x.elm.clone()),
                bed_type: Some(BedType::Residential),
                weekly: "800".into(),
                effective_from: Some(date(2024, 4, 1)),
            },
        )
        .await
        .expect("fee");
    let placement = c
        .store
        .record_care_home_placement(
            &a,
            &PlacementDraft {
                case_ref: "CH10001".into(),
                service_id: Some(x.elm.clone()),
                bed_type: Some(BedType::Residential),
                start_date: Some(date(2024, 5, 1)),
                funding: Some(FundingBasis::Gross),
                ..Default::default()
            },
        )
        .await
        .expect("placement");
    let views = [
        "/fees/care-homes".to_string(),
        format!("/fees/care-homes/homes/{}", x.elm),
        "/fees/care-homes/fnc".into(),
        "/fees/care-homes/placements".into(),
        format!("/fees/care-homes/placements/{placement}"),
    ];
    let manages = ["/fees/care-homes/fees/new", "/fees/care-homes/placements/new"];
    let posts = [
        "/fees/care-homes/fees/new".to_string(),
        "/fees/care-homes/fnc".into(),
        "/fees/care-homes/placements/new".into(),
        format!("/fees/care-homes/placements/{placement}/end"),
    ];
    for (i, role) in Role::ALL.into_iter().enumerate() {
        let email = format!("user{i}@test.gov.uk");
        let provider = (role == Role::Provider).then_some(x.provider.as_str());
        c.user(&email, role, provider).await;
        c.sign_in_as(&email).await;
        for path in &views {
            let r = c.get(path).await;
            let ok = role.can(Permission::ViewFees);
            assert_eq!(r.status == StatusCode::OK, ok, "{role:?} GET {path}: {}", r.status);
            if !ok {
                assert!(matches!(r.status, StatusCode::FORBIDDEN | StatusCode::SEE_OTHER), "{role:?} GET {path}: {}", r.status);
            }
            if ok {
                // The case reference is shown to those who read fees, on the pages about placements.
                if path.contains("placements") {
                    assert!(r.body.contains("CH10001"), "{role:?} {path}");
                }
            } else {
                assert!(!r.body.contains("CH10001"), "{role:?} {path} shows a case reference");
            }
        }
        for path in manages {
            let r = c.get(path).await;
            assert_eq!(r.status == StatusCode::OK, role.can(Permission::ManageFees), "{role:?} GET {path}: {}", r.status);
        }
        c.get("/account/tokens").await;
        for path in &posts {
            let r = c.post_form(path, &[]).await;
            if role.can(Permission::ManageFees) {
                assert_eq!(r.status, StatusCode::BAD_REQUEST, "{role:?} POST {path} (an empty form is refused on its fields)");
            } else {
                assert!(matches!(r.status, StatusCode::FORBIDDEN | StatusCode::SEE_OTHER), "{role:?} POST {path}: {}", r.status);
            }
        }
        // Nothing was written by any of those posts.
        assert_eq!(c.store.care_home_fees().await.expect("fees").len(), 1);
        assert_eq!(c.store.care_home_placements().await.expect("p").len(), 1);
        c.post_form("/sign-out", &[]).await;
    }
}

#[tokio::test]
async fn a_commissioner_adds_fees_and_a_nursing_placement_and_reads_its_weekly_cost_line_by_line() {
    let mut c = Client::sqlite().await;
    let x = fixture(&c).await;
    c.user_named("commissioner@test.gov.uk", "Cath Commissioner", Role::Commissioner, None).await;
    c.sign_in_as("commissioner@test.gov.uk").await;

    // The Fees section links here.
    let r = c.get("/fees").await;
    assert!(r.body.contains("href=\"&#x2f;fees&#x2f;care-homes\"") || r.body.contains("href=\"/fees/care-homes\""), "nav");

    // Bad input: every problem on its field, and nothing saved.
    c.get("/fees/care-homes/fees/new").await.assert_ok();
    let r = c
        .post_form(
            "/fees/care-homes/fees/new",
            &[
                ("service_id", &x.elm),
                ("bed_type", "nursing"),
                ("weekly", "-5"),
                ("effective_from-day", "1"),
                ("effective_from-month", "4"),
                ("effective_from-year", "2025"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    has(&r.body, &["There is a problem", "Elm Lodge is registered without nursing", "Weekly fee cannot be negative"]);
    assert!(r.body.contains("href=\"#bed_type\"") && r.body.contains("href=\"#weekly\""), "error links");
    let r = c
        .post_form(
            "/fees/care-homes/fees/new",
            &[
                ("service_id", &x.home_care),
                ("bed_type", "residential"),
                ("weekly", "0"),
                ("effective_from-day", "31"),
                ("effective_from-month", "2"),
                ("effective_from-year", "2025"),
            ],
        )
        .await;
    has(&r.body, &["Weekly fee must be more than £0", "The date the fee takes effect must be a real date"]);
    let r = c
        .post_form(
            "/fees/care-homes/fees/new",
            &[
                ("service_id", &x.home_care),
                ("bed_type", "residential"),
                ("weekly", "700"),
                ("effective_from-day", "1"),
                ("effective_from-month", "4"),
                ("effective_from-year", "2025"),
            ],
        )
        .await;
    has(&r.body, &["Oak Home Care is home care, not a care home: choose a care home"]);
    assert!(r.body.contains("href=\"#service_id\""));
    assert!(c.store.care_home_fees().await.expect("fees").is_empty());

    // Two years of the nursing fee: a new version, never an overwrite.
    let (fee_24, fee_25, fnc_25, contribution, top_up) = (98_500_i64, 104_250_i64, 25_406_i64, 21_045_i64, 5_000_i64);
    for (weekly, year) in [(fee_24, "2024"), (fee_25, "2025")] {
        let amount = format!("{}.{:02}", weekly / 100, weekly % 100);
        let r = c
            .post_form(
                "/fees/care-homes/fees/new",
                &[
                    ("service_id", &x.oak),
                    ("bed_type", "nursing"),
                    ("weekly", &amount),
                    ("effective_from-day", "1"),
                    ("effective_from-month", "4"),
                    ("effective_from-year", year),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", visible_text(&r.body));
        assert_eq!(r.location, Some(format!("/fees/care-homes/homes/{}?saved=fee", x.oak)));
    }
    let r = c.get(&format!("/fees/care-homes/homes/{}?saved=fee&on-day=1&on-month=6&on-year=2025", x.oak)).await;
    has(&r.body, &["Weekly fee saved", "Oak House", &format!("In force on 1 June 2025: {} a week from 1 April 2025", gbp(fee_25))]);
    has(&r.body, &[&gbp(fee_24), "2024/25", "2025/26", "Cath Commissioner"]);
    let r = c.get(&format!("/fees/care-homes/homes/{}?on-day=1&on-month=6&on-year=2024", x.oak)).await;
    has(&r.body, &[&format!("In force on 1 June 2024: {} a week from 1 April 2024", gbp(fee_24))]);
    // The same date again is refused on its field.
    c.get("/fees/care-homes/fees/new").await;
    let r = c
        .post_form(
            "/fees/care-homes/fees/new",
            &[
                ("service_id", &x.oak),
                ("bed_type", "nursing"),
                ("weekly", "990"),
                ("effective_from-day", "1"),
                ("effective_from-month", "4"),
                ("effective_from-year", "2025"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    has(&r.body, &[&format!("There is already a nursing fee for this home from 1 April 2025 ({} a week)", gbp(fee_25))]);

    // The FNC rate for 2025/26, kept on its own page.
    c.get("/fees/care-homes/fnc").await.assert_ok();
    let r = c.post_form("/fees/care-homes/fnc", &[("weekly", "abc")]).await;
    has(&r.body, &["Weekly FNC rate must be an amount of money", "Enter the date the rate takes effect"]);
    let r = c
        .post_form(
            "/fees/care-homes/fnc",
            &[
                ("weekly", "254.06"),
                ("effective_from-day", "1"),
                ("effective_from-month", "4"),
                ("effective_from-year", "2025"),
                ("source", "DHSC, 4 March 2025"),
            ],
        )
        .await;
    assert_eq!(r.location.as_deref(), Some("/fees/care-homes/fnc?saved=fnc"));
    let r = c.get("/fees/care-homes/fnc?saved=fnc").await;
    has(&r.body, &["FNC rate saved", &gbp(fnc_25), "2025/26", "DHSC, 4 March 2025"]);

    // A placement: a name is refused, the payer of a top-up is needed.
    c.get("/fees/care-homes/placements/new").await.assert_ok();
    let placement = |case_ref: &'static str, payer: &'static str| {
        vec![
            ("case_ref", case_ref.to_string()),
            ("service_id", x.oak.clone()),
            ("bed_type", "nursing".to_string()),
            ("start_date-day", "12".to_string()),
            ("start_date-month", "5".to_string()),
            ("start_date-year", "2025".to_string()),
            ("funding", "net".to_string()),
            ("contribution", "210.45".to_string()),
            ("top_up", "50.00".to_string()),
            ("top_up_payer", payer.to_string()),
        ]
    };
    let as_refs = |v: &Vec<(&'static str, String)>| v.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>();
    let bad = as_refs(&placement("Mary Smith", ""));
    let bad: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = c.post_form("/fees/care-homes/placements/new", &bad).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    has(&r.body, &["not their name", "Choose who pays the top-up"]);
    assert!(r.body.contains("href=\"#case_ref\"") && r.body.contains("href=\"#top_up_payer\""));
    assert!(c.store.care_home_placements().await.expect("none").is_empty());
    let good = as_refs(&placement("ch-20431", "son_or_daughter"));
    let good: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = c.post_form("/fees/care-homes/placements/new", &good).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", visible_text(&r.body));
    let at = r.location.clone().expect("location");
    let r = c.get(&format!("{at}&on-day=1&on-month=6&on-year=2025")).await;
    let council = fee_25 - fnc_25 - contribution;
    has(
        &r.body,
        &[
            "Placement recorded",
            "CH-20431 at Oak House",
            "Weekly cost on 1 June 2025",
            &format!("Gross weekly fee: Oak House, nursing, from 1 April 2025 (2025/26) {}", gbp(fee_25)),
            &format!("Less NHS Funded Nursing Care, paid to the home by the NHS (rate from 1 April 2025) {}", gbp(fnc_25)),
            &format!("Less the person's assessed contribution, collected by the home (the council pays net) {}", gbp(contribution)),
            &format!("The council's weekly cost {}", gbp(council)),
            &format!("Top-up: {} a week, paid to the home by son or daughter. This is not a council cost", gbp(top_up)),
            "nothing is rounded",
        ],
    );
    // Before the FNC rate's first version the nursing cost cannot be given, and says why.
    let r = c.get(&format!("{at}&on-day=1&on-month=6&on-year=2024")).await;
    has(&r.body, &["No weekly cost on this date. There is no FNC rate in force on this date."]);

    // A residential placement paid gross at Elm Lodge, with its fee.
    c.store
        .add_care_home_fee(
            &Actor::system("test"),
            &CareHomeFeeDraft {
                service_id: Some(x.elm.clone()),
                bed_type: Some(BedType::Residential),
                weekly: "812.00".into(),
                effective_from: Some(date(2025, 4, 1)),
            },
        )
        .await
        .expect("fee");
    let elm_fee = 81_200_i64;
    let second = c
        .store
        .record_care_home_placement(
            &Actor::system("test"),
            &PlacementDraft {
                case_ref: "CH30001".into(),
                service_id: Some(x.elm.clone()),
                bed_type: Some(BedType::Residential),
                start_date: Some(date(2025, 4, 20)),
                funding: Some(FundingBasis::Gross),
                ..Default::default()
            },
        )
        .await
        .expect("placement");

    // Per home and in total, each figure linking to the placements behind it.
    let r = c.get("/fees/care-homes?on-day=1&on-month=6&on-year=2025").await;
    has(
        &r.body,
        &[
            "Placements and weekly cost on 1 June 2025",
            &format!("Elm Lodge 1 placement {} {}", gbp(elm_fee), gbp(elm_fee)),
            &format!("Oak House 1 placement {} {}", gbp(fee_25), gbp(council)),
            &format!("All care homes 2 placements {} {}", gbp(fee_25 + elm_fee), gbp(council + elm_fee)),
            "£254.06 a week in force on 1 June 2025",
        ],
    );
    let link = format!("/fees/care-homes/placements?home={}&amp;on-day=1&amp;on-month=6&amp;on-year=2025", x.oak).replace('/', "&#x2f;");
    assert!(r.body.contains(&link), "the Oak House figures link to its placements");
    let r = c.get(&format!("/fees/care-homes/placements?home={}&on-day=1&on-month=6&on-year=2025", x.oak)).await;
    has(&r.body, &["Placements at Oak House on 1 June 2025", "CH-20431", "1 placement"]);
    assert!(!r.body.contains("CH30001"));
    let r = c.get("/fees/care-homes/placements?on-day=1&on-month=6&on-year=2025").await;
    has(
        &r.body,
        &[
            "2 placements",
            &format!("weekly council cost {}", gbp(council + elm_fee)),
            &format!("Top-ups paid by third parties: {}", gbp(top_up)),
        ],
    );

    // Ending a placement: refused before its start, then ended, with a banner.
    c.get(&format!("/fees/care-homes/placements/{second}")).await;
    let r = c
        .post_form(
            &format!("/fees/care-homes/placements/{second}/end"),
            &[("end_date-day", "1"), ("end_date-month", "4"), ("end_date-year", "2025")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    has(&r.body, &["The end date must be on or after the start date, 20 April 2025"]);
    let r = c
        .post_form(
            &format!("/fees/care-homes/placements/{second}/end"),
            &[("end_date-day", "31"), ("end_date-month", "5"), ("end_date-year", "2025")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = c.get(r.location.as_deref().expect("to")).await;
    has(&r.body, &["Placement ended", "31 May 2025"]);
    let r = c.get("/fees/care-homes?on-day=1&on-month=6&on-year=2025").await;
    has(&r.body, &[&format!("All care homes 1 placement {} {}", gbp(fee_25), gbp(council))]);

    // A bad date on a figures page names its field.
    let r = c.get("/fees/care-homes?on-day=40&on-month=1&on-year=2025").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    has(&r.body, &["The date must be a real date"]);

    // The FNC rate page refuses a second rate from the same date.
    let _ = c
        .store
        .add_fnc_rate(&Actor::system("test"), &FncDraft { weekly: "235.88".into(), effective_from: Some(date(2024, 4, 1)) }, "")
        .await;
    c.get("/fees/care-homes/fnc").await;
    let r = c
        .post_form(
            "/fees/care-homes/fnc",
            &[("weekly", "240"), ("effective_from-day", "1"), ("effective_from-month", "4"), ("effective_from-year", "2024")],
        )
        .await;
    has(&r.body, &["There is already an FNC rate from 1 April 2024 (£235.88 a week)"]);
}
