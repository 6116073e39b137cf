//! Direct payments, spend import, monitoring and reclaims, the RPL with exit plans, ISFs, the PA
//! register and the rate tools' data: on every backend (SQLite; PostgreSQL when
//! CAREMARKET_TEST_POSTGRES_URL is set).

use caremarket_core::Date;
use caremarket_core::direct_payments::figures;
use caremarket_core::direct_payments::pa_register::Profile;
use caremarket_core::direct_payments::rpl::IsfDraft;
use caremarket_core::direct_payments::{BudgetPeriod, DpDraft};
use caremarket_core::register::{ContractStatus, ServiceKind};
use caremarket_core::versions::Version;
use caremarket_store::direct_payments::{DpFilter, NewDirectPayment, NewMonitoring, NewPaEntry, SpendRow};
use caremarket_store::register::NewService;
use caremarket_store::{Actor, AuditQuery, Store, StoreError};
use caremarket_testkit as testing;

fn d(s: &str) -> Date {
    s.parse().expect("date")
}

fn actor() -> Actor {
    Actor::system("test")
}

async fn mm_company(s: &Store, name: &str) -> String {
    let p = s.create_provider(&actor(), None, name, None, None).await.expect("provider");
    s.create_service(
        &actor(),
        &NewService {
            town: None,
            postcode: None,
            local_authority: None,
            registration_status: "not_registered".into(),
            contract_status: ContractStatus::RecognisedProviderList,
            ..caremarket_testkit::service(p.clone(), name, ServiceKind::MoneyManagement)
        },
    )
    .await
    .expect("service");
    p
}

fn draft(r: &str, area: &str, budget: i64, holding: &str, mm: Option<&str>, start: &str) -> NewDirectPayment {
    NewDirectPayment {
        draft: DpDraft {
            person_ref: r.into(),
            service_area: area.into(),
            is_child: false,
            budget_pence: budget,
            budget_period: BudgetPeriod::Weekly,
            holding: holding.parse().expect("holding"),
            mm_provider_id: mm.map(str::to_string),
            start_date: d(start),
        },
        officer_id: None,
        equality: Default::default(),
    }
}

/// The field of a refusal (the first, when core found several).
fn field_of(e: StoreError) -> String {
    match e {
        StoreError::Invalid(f) => f.field,
        StoreError::InvalidFields(fs) if !fs.is_empty() => fs.0[0].field.clone(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[tokio::test]
async fn direct_payments_record_end_and_refuse_bad_input() {
    for s in testing::all_backends().await.expect("backends") {
        let a = actor();
        let id = s.create_direct_payment(&a, &draft("AB123", "older_people", 25_000, "own_account", None, "2024-01-10")).await.expect("dp");
        // Negative budget, a name for a reference, a managed account without a company.
        assert_eq!(
            field_of(
                s.create_direct_payment(&a, &draft("AB124", "older_people", -100, "own_account", None, "2024-01-10"))
                    .await
                    .expect_err("neg")
            ),
            "budget"
        );
        assert_eq!(
            field_of(
                s.create_direct_payment(&a, &draft("Jane Smith", "older_people", 100, "own_account", None, "2024-01-10"))
                    .await
                    .expect_err("name")
            ),
            "person_ref"
        );
        assert_eq!(
            field_of(
                s.create_direct_payment(&a, &draft("AB125", "older_people", 100, "managed_account", None, "2024-01-10"))
                    .await
                    .expect_err("mm")
            ),
            "mm_provider_id"
        );
        // End before start is refused; a proper end with a reason is stored.
        assert_eq!(
            field_of(s.end_direct_payment(&a, &id, d("2023-12-31"), "deceased", Version::FIRST).await.expect_err("end")),
            "end_date"
        );
        assert_eq!(
            field_of(s.end_direct_payment(&a, &id, d("2024-06-30"), "nonsense", Version::FIRST).await.expect_err("reason")),
            "closure_reason"
        );
        s.end_direct_payment(&a, &id, d("2024-06-30"), "council_arranged", Version::FIRST).await.expect("end");
        let got = s.direct_payment(&id).await.expect("get");
        assert_eq!(got.end_date, Some(d("2024-06-30")));
        assert_eq!(got.closure_reason.as_deref(), Some("council_arranged"));
        let open = s.direct_payments(&DpFilter::default()).await.expect("list");
        assert_eq!(open.total, 0);
        let all =
            s.direct_payments(&DpFilter { status: Some("all".into()), q: Some("ab1".into()), ..Default::default() }).await.expect("list");
        assert_eq!(all.total, 1);
        // The audit names the record, not the person.
        let (entries, _) =
            s.audit_entries(&AuditQuery { entity_type: Some("direct_payment".into()), ..Default::default() }).await.expect("audit");
        assert_eq!(entries.len(), 2);
        assert!(entries.iter().all(|e| !e.summary.contains("AB123") && !e.after_json.clone().unwrap_or_default().contains("AB123")));
    }
}

#[tokio::test]
async fn spend_import_is_all_or_nothing_with_row_numbers() {
    for s in testing::all_backends().await.expect("backends") {
        let a = actor();
        let open =
            s.create_direct_payment(&a, &draft("CD200", "mental_health", 30_000, "prepaid_card", None, "2024-01-01")).await.expect("dp");
        let closed =
            s.create_direct_payment(&a, &draft("CD201", "older_people", 10_000, "own_account", None, "2024-01-01")).await.expect("dp");
        s.end_direct_payment(&a, &closed, d("2024-03-31"), "deceased", Version::FIRST).await.expect("end");
        let row = |n: usize, date: &str, dp: &str, amt: &str, cat: &str| SpendRow {
            row: n,
            date: date.into(),
            dp: dp.into(),
            amount: amt.into(),
            category: cat.into(),
            merchant_category: String::new(),
        };
        let bad = vec![
            row(2, "2024-02-01", &open, "120.00", "Personal Assistants"),
            row(3, "2024-04-15", "CD201", "50.00", "Activities"),
            row(4, "2024-02-01", "CD200", "abc", "Transport"),
            row(5, "2024-02-01", "CD200", "10", "Holidays"),
        ];
        let errs = s.import_spend(&a, "bad.csv", &bad).await.expect("ran").expect_err("bad rows");
        assert_eq!(errs.len(), 3, "{errs:?}");
        assert!(errs[0].starts_with("Row 3: the direct payment closed on 2024-03-31"), "{errs:?}");
        assert!(errs[1].starts_with("Row 4: 'amount'"));
        assert!(errs[2].starts_with("Row 5: 'category' must be one of Activities"));
        // Nothing was written.
        assert!(s.dp_spend(&open).await.expect("spend").1.is_empty());
        let good = vec![
            row(2, "2024-02-01", &open, "120.00", "Personal Assistants"),
            row(3, "2024-03-01", "CD201", "£1,050.50", "equipment and technology"),
            row(4, "2024-03-02", "cd200", "30", "Personal Assistants"),
        ];
        let done = s.import_spend(&a, "good.csv", &good).await.expect("ran").expect("imported");
        assert_eq!(done.rows, 3);
        assert_eq!(done.total_pence, 12_000 + 105_050 + 3_000);
        let by = s.spend_by_category(d("2024-01-01"), d("2024-12-31"), false).await.expect("by category");
        assert!(by.contains(&("personal_assistants".to_string(), 1, 15_000)));
        assert!(by.contains(&("equipment_technology".to_string(), 1, 105_050)));
        let areas = s.spend_by_area(d("2024-01-01"), d("2024-12-31"), false).await.expect("by area");
        assert!(areas.contains(&("mental_health".to_string(), 15_000)));
        // Ending before recorded spend is refused.
        assert_eq!(
            field_of(s.end_direct_payment(&a, &open, d("2024-02-15"), "other", Version::FIRST).await.expect_err("before spend")),
            "end_date"
        );
    }
}

#[tokio::test]
async fn monitoring_surplus_reclaims_and_due_lists() {
    for s in testing::all_backends().await.expect("backends") {
        let a = actor();
        let officer = s
            .create_user(
                &a,
                caremarket_store::users::NewUser {
                    email: "dpo@example.org",
                    display_name: "Dee Officer",
                    password: "long-enough-password",
                    role: caremarket_core::access::Role::DirectPaymentsOfficer,
                    provider_id: None,
                    must_change_password: false,
                },
            )
            .await
            .expect("user");
        let mut n = draft("EF300", "learning_disabilities", 25_000, "own_account", None, "2024-01-15");
        n.officer_id = Some(officer.id.clone());
        let id = s.create_direct_payment(&a, &n).await.expect("dp");
        // Due: check-in 3 months after start, review at 6 months.
        let due = s.monitoring_due(d("2024-05-01"), 90).await.expect("due");
        assert!(
            due.iter()
                .any(|x| x.kind == "check_in" && x.due == d("2024-04-15") && x.overdue && x.officer_name.as_deref() == Some("Dee Officer"))
        );
        assert!(due.iter().any(|x| x.kind == "review" && x.due == d("2024-07-15") && !x.overdue));
        s.record_monitoring(&a, &id, &NewMonitoring { kind: "check_in".into(), completed_on: Some(d("2024-04-20")), ..Default::default() })
            .await
            .expect("check-in");
        assert!(!s.monitoring_due(d("2024-05-01"), 90).await.expect("due").iter().any(|x| x.kind == "check_in"));
        // Financial monitoring: £3,400 held, 4 weeks of £250 allowed: £2,400 surplus.
        let fin = NewMonitoring {
            kind: "financial".into(),
            completed_on: Some(d("2024-10-01")),
            period_start: Some(d("2024-01-15")),
            period_end: Some(d("2024-09-30")),
            balance_pence: Some(340_000),
            requested_pence: Some(250_000),
            notes: None,
        };
        assert_eq!(field_of(s.record_monitoring(&a, &id, &fin).await.expect_err("over surplus")), "requested");
        let mid = s.record_monitoring(&a, &id, &NewMonitoring { requested_pence: Some(240_000), ..fin.clone() }).await.expect("fin");
        let recs = s.monitoring_for(&id).await.expect("records");
        let f = recs.iter().find(|r| r.kind == "financial").expect("financial");
        assert_eq!(f.surplus_pence, Some(240_000));
        assert_eq!(f.allowed_contingency_pence, Some(100_000));
        assert_eq!(field_of(s.record_returned(&a, &mid, 250_000, d("2024-10-20")).await.expect_err("too much")), "returned");
        s.record_returned(&a, &mid, 200_000, d("2024-10-20")).await.expect("returned");
        let (t, list) = s.reclaims(None).await.expect("reclaims");
        assert_eq!((t.requested_pence, t.returned_pence), (240_000, 200_000));
        assert_eq!(list.len(), 1);
        // A different allowed contingency changes the surplus.
        s.set_dp_contingency_weeks(&a, 8).await.expect("weeks");
        assert_eq!(s.dp_policy().await.expect("policy").contingency_weeks, 8);
    }
}

#[tokio::test]
async fn figures_come_from_records() {
    for s in testing::all_backends().await.expect("backends") {
        let a = actor();
        let mm = mm_company(&s, "Northmoor Money Management").await;
        s.create_direct_payment(&a, &draft("GH1", "older_people", 100, "own_account", None, "2023-01-01")).await.expect("dp");
        s.create_direct_payment(&a, &draft("GH2", "older_people", 100, "managed_account", Some(&mm), "2024-06-01")).await.expect("dp");
        let e = s.create_direct_payment(&a, &draft("GH3", "mental_health", 100, "prepaid_card", None, "2022-01-01")).await.expect("dp");
        s.end_direct_payment(&a, &e, d("2024-03-01"), "stopped_all_services", Version::FIRST).await.expect("end");
        let mut child = draft("GH4", "learning_disabilities", 100, "own_account", None, "2023-05-01");
        child.draft.is_child = true;
        s.create_direct_payment(&a, &child).await.expect("child");
        s.set_long_term_support(&a, 8).await.expect("lts");
        let f = figures::compute(&s.dp_facts().await.expect("facts"), d("2024-10-31"), s.long_term_support().await.expect("lts"), &[]);
        assert_eq!(f.adult_recipients, 2);
        assert_eq!(f.child_recipients, 1);
        assert_eq!(f.share_of_long_term_bp, Some(2_500));
        assert_eq!(f.starts_12m, 1);
        assert_eq!(f.ends_by_reason.get("stopped_all_services"), Some(&1));
        assert_eq!(f.own_budget_bp, 5_000);
    }
}

#[tokio::test]
async fn rpl_removal_opens_an_exit_plan_tracking_everyone() {
    for s in testing::all_backends().await.expect("backends") {
        let a = actor();
        let mm = mm_company(&s, "Acme Money Management").await;
        s.record_rpl_qa(&a, &mm, d("2024-02-01"), "meets", None).await.expect("qa");
        assert_eq!(field_of(s.record_rpl_qa(&a, &mm, d("2024-02-01"), "great", None).await.expect_err("bad result")), "result");
        let one =
            s.create_direct_payment(&a, &draft("IJ1", "older_people", 100, "managed_account", Some(&mm), "2023-01-01")).await.expect("dp");
        s.create_direct_payment(&a, &draft("IJ2", "older_people", 100, "managed_account", Some(&mm), "2023-01-01")).await.expect("dp");
        let isf = IsfDraft {
            person_ref: "IJ3".into(),
            provider_id: mm.clone(),
            budget_pence: 50_000,
            budget_period: BudgetPeriod::Monthly,
            start_date: d("2024-01-01"),
        };
        s.create_isf(&a, &isf).await.expect("isf");
        let companies = s.rpl_companies(d("2025-03-01")).await.expect("companies");
        assert_eq!(companies.len(), 1);
        assert!(companies[0].on_list && companies[0].qa_overdue);
        assert_eq!(companies[0].open_dps, 2);
        let plan_id = s.remove_from_rpl(&a, &mm, "Failed annual QA", true, d("2025-03-01"), Some(d("2025-06-01"))).await.expect("remove");
        let plan = s.exit_plan(&plan_id).await.expect("plan");
        assert_eq!(plan.items.len(), 3);
        assert_eq!(plan.open_items, 3);
        assert!(plan.items.iter().any(|i| i.source_id.as_deref() == Some(one.as_str())));
        // No longer on the list: new managed accounts there are refused.
        assert_eq!(
            field_of(
                s.create_direct_payment(&a, &draft("IJ4", "older_people", 100, "managed_account", Some(&mm), "2025-03-02"))
                    .await
                    .expect_err("off list")
            ),
            "mm_provider_id"
        );
        for i in &plan.items {
            s.update_exit_item(&a, &i.id, "Moved to a prepaid card", true, d("2025-04-01"), Version::FIRST).await.expect("update");
        }
        let plan = s.exit_plan(&plan_id).await.expect("plan");
        assert_eq!(plan.open_items, 0);
        assert_eq!(plan.closed_on.as_deref(), Some("2025-04-01"));
        assert_eq!(s.isfs().await.expect("isfs").len(), 1);
    }
}

fn pa_entry(kind: &str, name: &str, out: &str, slots: &[&str], skills: &[&str], gender: &str) -> NewPaEntry {
    NewPaEntry {
        kind: kind.into(),
        display_name: name.into(),
        email: format!("{}@example.org", name.to_lowercase().replace(' ', ".")),
        phone: None,
        outward_code: out.into(),
        hours_per_week: 12,
        profile: Profile {
            outward_code: out.into(),
            slots: slots.iter().map(|s| s.to_string()).collect(),
            skills: skills.iter().map(|s| s.to_string()).collect(),
            languages: ["english".to_string()].into_iter().collect(),
            gender: (kind == "pa").then(|| gender.to_string()),
            gender_preference: (kind == "employer").then(|| gender.to_string()),
            driving: false,
        },
        dbs_status: None,
        dbs_date: None,
        about: None,
    }
}

/// Every check the council requires, done today (issue 16 item 17).
async fn complete_checks(s: &Store, id: &str) {
    use caremarket_core::direct_payments::pa_checks::{DbsCheck, DbsType, PaChecks, Reference, Training};
    let today = caremarket_store::today();
    let c = PaChecks {
        dbs: Some(DbsCheck {
            dbs_type: DbsType::EnhancedBarredAdults,
            certificate_number: Some("001234567890".into()),
            issued_on: Some(today),
            update_service: false,
        }),
        references: (0..2)
            .map(|_| Reference {
                relationship: Some("employer".into()),
                received_on: Some(today),
                checked_on: Some(today),
                checked_by: None,
            })
            .collect(),
        training: ["care_certificate", "safeguarding_adults", "moving_handling"]
            .iter()
            .map(|c| Training { course: c.to_string(), completed_on: today })
            .collect(),
    };
    let v = s.pa_entry(id).await.expect("entry").version;
    s.save_pa_checks(&actor(), id, &c, caremarket_core::versions::Version::new(v).expect("version")).await.expect("checks");
}

#[tokio::test]
async fn pa_register_pending_approval_search_and_introductions() {
    for s in testing::all_backends().await.expect("backends") {
        let a = actor();
        let pending = s
            .register_pa(
                &Actor::system("public form"),
                &pa_entry("pa", "Pat Near", "OL1", &["mon_am", "tue_am"], &["dementia"], "female"),
                "public",
            )
            .await
            .expect("public");
        assert_eq!(s.pa_entry(&pending).await.expect("entry").status, "pending");
        assert_eq!(s.public_pa_registrations_on(caremarket_store::today()).await.expect("count"), 1);
        let far = s.register_pa(&a, &pa_entry("pa", "Pat Far", "OL16", &["mon_am"], &[], "female"), "officer").await.expect("officer");
        let emp = s
            .register_pa(&a, &pa_entry("employer", "Em Ployer", "OL1", &["mon_am", "tue_am"], &["dementia"], "any"), "officer")
            .await
            .expect("employer");
        // Full postcodes are refused.
        assert_eq!(
            field_of(
                s.register_pa(&a, &pa_entry("pa", "Full Post", "OL1 1AA", &["mon_am"], &[], "male"), "officer")
                    .await
                    .expect_err("postcode")
            ),
            "outward_code"
        );
        let wanted = s.pa_entry(&emp).await.expect("emp").profile();
        assert!(s.pa_search(&wanted).await.expect("search").is_empty(), "no PA has their checks done");
        complete_checks(&s, &far).await;
        let found = s.pa_search(&wanted).await.expect("search");
        assert_eq!(found.len(), 1, "pending entries are not offered");
        assert_eq!(found[0].0.id, far);
        assert!(s.approve_pa(&a, &pending).await.is_err(), "checks missing");
        complete_checks(&s, &pending).await;
        let before = s.pa_entry(&pending).await.expect("pa").version;
        s.approve_pa(&a, &pending).await.expect("approve");
        // Approving raises the entry's version, so a checks form opened before it is refused.
        assert_eq!(s.pa_entry(&pending).await.expect("pa").version, before + 1);
        let found = s.pa_search(&wanted).await.expect("search");
        assert_eq!(found.iter().map(|(p, _)| p.id.clone()).collect::<Vec<_>>(), vec![pending.clone(), far.clone()]);
        assert!(found[0].1.score > found[1].1.score);
        s.record_introduction(&a, &emp, &pending, d("2024-06-01")).await.expect("intro");
        assert!(s.record_introduction(&a, &pending, &emp, d("2024-06-01")).await.is_err());
        let before = s.pa_entry(&far).await.expect("pa").version;
        s.withdraw_pa(&a, &far, "Found work").await.expect("withdraw");
        assert_eq!(s.pa_entry(&far).await.expect("pa").version, before + 1, "withdrawing raises the version");
        assert!(s.record_introduction(&a, &emp, &far, d("2024-06-02")).await.is_err());
        let c = s.pa_counts(d("2024-12-01")).await.expect("counts");
        assert_eq!((c.employers, c.pas, c.pending, c.introductions, c.introductions_12m), (1, 1, 0, 1, 1));
        assert_eq!(s.introductions_for(&emp).await.expect("intros").len(), 1);
    }
}

#[tokio::test]
async fn rate_cards_and_gathered_fees() {
    for s in testing::all_backends().await.expect("backends") {
        let a = actor();
        let mut card = caremarket_core::direct_payments::pa_rates::default_cards().pop().expect("card");
        card.name = "Council card 2027".into();
        card.effective_from = d("2027-04-06");
        card.base_pence = 1_400;
        s.add_pa_rate_card(&a, &card).await.expect("card");
        let cards = s.pa_rate_cards().await.expect("cards");
        assert_eq!(cards.len(), 3);
        assert_eq!(cards.last().map(|c| c.name.as_str()), Some("Council card 2027"));
        card.base_pence = 900;
        assert_eq!(field_of(s.add_pa_rate_card(&a, &card).await.expect_err("below NLW")), "base");
        for (i, fee) in [2_200, 2_300, 2_400, 2_500, 2_600].iter().enumerate() {
            s.add_provider_fee(&a, None, &format!("Agency {i}"), "home_care", *fee, d("2024-05-01"), "phone survey").await.expect("fee");
        }
        assert_eq!(
            field_of(s.add_provider_fee(&a, None, "Agency X", "home_care", -5, d("2024-05-01"), "x").await.expect_err("neg")),
            "fee"
        );
        let fees = s.provider_fees("home_care", None).await.expect("fees");
        assert_eq!(fees.len(), 5);
        assert_eq!(fees[0].fee_pence, 2_200);
    }
}

fn link(hash: &str, expires_at: &str) -> caremarket_store::direct_payments::EmailLink {
    caremarket_store::direct_payments::EmailLink { token_hash: hash.into(), expires_at: expires_at.into() }
}

/// Issue 17 item 10: a public registration waits for its email address to be confirmed, the
/// caps count per address, domain and day, a link works once and not after it expires, and the
/// registrant leaves by a link.
#[tokio::test]
async fn pa_public_registration_confirmed_by_email_and_left_by_link() {
    use caremarket_core::direct_payments::pa_register::{CapReached, PaStatus, PublicCaps, PublicCounts};
    use caremarket_store::direct_payments::{Confirmation, LinkState, PublicRegistration};
    let later = "2999-01-01T00:00:00.000000Z";
    let past = "2000-01-01T00:00:00.000000Z";
    let today = caremarket_store::today();
    for s in testing::all_backends().await.expect("backends") {
        let caps = PublicCaps { per_day: 2, per_address: 2, per_domain: 3 };
        let pat = pa_entry("pa", "Pat Near", "OL1", &["mon_am"], &[], "female");
        let id = match s.register_pa_public(&pat, "client-a", &caps, &link("h1", later)).await.expect("register") {
            PublicRegistration::Registered { id } => id,
            other => panic!("{other:?}"),
        };
        let e = s.pa_entry(&id).await.expect("entry");
        assert_eq!(e.status, PaStatus::Unconfirmed);
        // The same email again: nothing stored.
        assert_eq!(
            s.register_pa_public(&pat, "client-b", &caps, &link("h2", later)).await.expect("again"),
            PublicRegistration::AlreadyRegistered
        );
        let kim = pa_entry("pa", "Kim Far", "OL2", &["mon_am"], &[], "female");
        assert!(matches!(
            s.register_pa_public(&kim, "client-a", &caps, &link("h3", past)).await.expect("kim"),
            PublicRegistration::Registered { .. }
        ));
        // client-a has sent two: a third from it is refused; example.org has had two of three.
        let lee = pa_entry("pa", "Lee Third", "OL3", &["mon_am"], &[], "male");
        assert_eq!(
            s.register_pa_public(&lee, "client-a", &caps, &link("h4", later)).await.expect("lee"),
            PublicRegistration::Refused(CapReached::Address)
        );
        assert_eq!(
            s.public_pa_counts(today, "client-a", "example.org").await.expect("counts"),
            PublicCounts { confirmed: 0, sent: 2, from_address: 2, at_domain: 2 }
        );
        assert!(matches!(
            s.register_pa_public(&lee, "client-c", &caps, &link("h5", later)).await.expect("lee"),
            PublicRegistration::Registered { .. }
        ));
        let max = pa_entry("pa", "Max Fourth", "OL3", &["mon_am"], &[], "male");
        assert_eq!(
            s.register_pa_public(&max, "client-d", &caps, &link("h6", later)).await.expect("max"),
            PublicRegistration::Refused(CapReached::Domain)
        );

        // Confirm: once; an expired link (Kim's) is refused and changes nothing.
        assert!(matches!(s.pa_email_link("h1", false).await.expect("link"), LinkState::Valid(_)));
        assert!(matches!(s.confirm_pa_by_link("h1", caps.per_day).await.expect("confirm"), Confirmation::Confirmed(_)));
        assert_eq!(s.pa_entry(&id).await.expect("entry").status, PaStatus::Pending);
        assert!(matches!(s.confirm_pa_by_link("h1", caps.per_day).await.expect("again"), Confirmation::Link(LinkState::Used)));
        assert!(matches!(s.confirm_pa_by_link("h3", caps.per_day).await.expect("expired"), Confirmation::Link(LinkState::Expired)));
        assert!(matches!(s.confirm_pa_by_link("nope", caps.per_day).await.expect("unknown"), Confirmation::Link(LinkState::Unknown)));
        assert_eq!(s.public_pa_registrations_on(today).await.expect("n"), 1);
        // The day's cap of confirmed registrations: with a cap of 1 Lee's confirmation waits.
        assert!(matches!(s.confirm_pa_by_link("h5", 1).await.expect("full"), Confirmation::Full));
        assert!(matches!(s.confirm_pa_by_link("h5", caps.per_day).await.expect("lee"), Confirmation::Confirmed(_)));

        // Leave by link: unknown email gets nothing; the entry's link withdraws it once.
        assert!(s.request_pa_leave("nobody@example.org", "client-a", 5, &link("l0", later)).await.expect("none").is_none());
        let e = s.request_pa_leave(" Pat.Near@Example.org ", "client-a", 5, &link("l1", later)).await.expect("leave").expect("entry");
        assert_eq!(e.id, id);
        assert!(matches!(s.withdraw_pa_by_link("l1").await.expect("withdraw"), LinkState::Valid(_)));
        let e = s.pa_entry(&id).await.expect("entry");
        assert_eq!((e.status, e.withdrawn_reason.as_deref()), (PaStatus::Withdrawn, Some("Withdrawn by the registrant by email link")));
        assert!(matches!(s.withdraw_pa_by_link("l1").await.expect("again"), LinkState::Used));
        // Every change is audited, and no audit row holds the email address.
        let (audit, _) = s.audit_entries(&AuditQuery { entity_type: Some("pa_entry".into()), ..Default::default() }).await.expect("audit");
        assert!(audit.iter().any(|a| a.summary == "Confirmed the email address of a PA register entry"));
        assert!(audit.iter().any(|a| a.summary == "Withdrew a PA register entry at the registrant's request"));
        assert!(audit.iter().all(|a| {
            let text = format!("{} {:?} {:?}", a.summary, a.before_json, a.after_json);
            !text.contains("pat.near@example.org")
        }));
        // A registration whose email could not be sent is removed.
        let max_id = match s.register_pa_public(&max, "client-e", &PublicCaps::default(), &link("h7", later)).await.expect("max") {
            PublicRegistration::Registered { id } => id,
            other => panic!("{other:?}"),
        };
        s.discard_unconfirmed_pa(&max_id).await.expect("discard");
        assert!(s.pa_entry(&max_id).await.is_err());
        assert!(matches!(s.pa_email_link("h7", false).await.expect("gone"), LinkState::Unknown));
    }
}

/// Naming the officer for many direct payments is one transaction: an unknown id or an officer
/// who cannot hold direct payments changes nothing; each change is audited (issue 16 item 9).
#[tokio::test]
async fn officers_are_assigned_all_or_nothing_and_audited() {
    for s in testing::all_backends().await.expect("backends") {
        let a = actor();
        let mut ids = Vec::new();
        for r in ["OF100", "OF101"] {
            ids.push(s.create_direct_payment(&a, &draft(r, "older_people", 10_000, "own_account", None, "2024-01-10")).await.expect("dp"));
        }
        let user = |email: &'static str, role| caremarket_store::users::NewUser {
            email,
            display_name: "Officer",
            password: "a long enough password 1",
            role,
            provider_id: None,
            must_change_password: false,
        };
        let dpo = s.create_user(&a, user("dpo@test", caremarket_core::access::Role::DirectPaymentsOfficer)).await.expect("dpo").id;
        let viewer = s.create_user(&a, user("viewer@test", caremarket_core::access::Role::Viewer)).await.expect("viewer").id;

        let with_unknown = vec![ids[0].clone(), "no-such-dp".to_string()];
        assert_eq!(field_of(s.assign_dp_officer(&a, &with_unknown, Some(&dpo)).await.expect_err("unknown")), "dp_id");
        assert_eq!(s.direct_payment(&ids[0]).await.expect("dp").officer_id, None, "nothing half done");
        assert_eq!(field_of(s.assign_dp_officer(&a, &ids, Some(&viewer)).await.expect_err("viewer")), "officer_id");
        assert_eq!(field_of(s.assign_dp_officer(&a, &[], Some(&dpo)).await.expect_err("none")), "dp_id");

        assert_eq!(s.assign_dp_officer(&a, &ids, Some(&dpo)).await.expect("assign"), 2);
        assert_eq!(s.assign_dp_officer(&a, &ids, Some(&dpo)).await.expect("again"), 0, "already theirs: nothing changes");
        assert_eq!(s.assign_dp_officer(&a, &ids[1..], None).await.expect("unassign"), 1);
        assert_eq!(s.direct_payment(&ids[0]).await.expect("dp").officer_id.as_deref(), Some(dpo.as_str()));
        assert_eq!(s.direct_payment(&ids[1]).await.expect("dp").officer_id, None);
        let (entries, _) = s.audit_entries(&AuditQuery { entity_id: Some(ids[1].clone()), ..Default::default() }).await.expect("audit");
        assert_eq!(entries.iter().filter(|e| e.summary.contains("officer")).count(), 2, "named, then taken off");

        // Each change raised the version (decision 25): ids[1] was named and taken off, so a
        // form opened before either is refused, writing nothing, and one at the version now is
        // applied.
        assert_eq!(s.direct_payment(&ids[1]).await.expect("dp").version, 3);
        let stale = s.set_dp_officer(&a, &ids[1], Some(&dpo), Version::FIRST).await.expect_err("stale");
        assert!(matches!(stale, StoreError::Stale { current: 3 }), "{stale:?}");
        let eq = caremarket_core::direct_payments::equality::Equality { ethnicity: None, religion: Some("none".into()) };
        let stale = s.set_dp_equality(&a, &ids[1], &eq, Version::FIRST).await.expect_err("stale");
        assert!(matches!(stale, StoreError::Stale { current: 3 }), "{stale:?}");
        let stale = s.end_direct_payment(&a, &ids[1], d("2024-06-30"), "deceased", Version::FIRST).await.expect_err("stale");
        assert!(matches!(stale, StoreError::Stale { current: 3 }), "{stale:?}");
        let (after, _) = s.audit_entries(&AuditQuery { entity_id: Some(ids[1].clone()), ..Default::default() }).await.expect("audit");
        assert_eq!(after.len(), entries.len(), "a refused save writes no audit entry");
        assert_eq!(s.direct_payment(&ids[1]).await.expect("dp").officer_id, None);
        let v3 = Version::new(3).expect("v");
        assert_eq!(s.set_dp_officer(&a, &ids[1], Some(&dpo), v3).await.expect("current"), 1);
        assert_eq!(s.direct_payment(&ids[1]).await.expect("dp").version, 4);
    }
}
