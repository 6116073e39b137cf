use super::*;
use jiff::civil::date;

fn draft(pairs: &[(&str, &str)]) -> Draft {
    let mut d: Draft = [
        ("period", "2025-Q2"),
        ("care_workers", "40"),
        ("nurses", "0"),
        ("managers", "2"),
        ("other_staff", "3"),
        ("care_workers_fte", "31.5"),
        ("nurses_fte", "0"),
        ("managers_fte", "2"),
        ("other_staff_fte", "1.75"),
        ("vacancies", "5"),
        ("starters", "9"),
        ("leavers", "11"),
        ("zero_hours_staff", "30"),
        ("guaranteed_hours_staff", "10"),
        ("agency_hours", "120"),
        ("lowest_hourly_pay", "12.21"),
        ("sick_pay", "no"),
        ("care_certificate_percent", "63"),
        ("level2_percent", "42.5"),
        ("level3_percent", "20"),
        ("qualification_framework", "QCF"),
        ("medication_training_percent", "88"),
        ("asc_wds_complete", "yes"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in pairs {
        d.insert(k.to_string(), v.to_string());
    }
    d
}

const TODAY: (i16, i8, i8) = (2025, 11, 20);

fn today() -> Date {
    date(TODAY.0, TODAY.1, TODAY.2)
}

#[test]
fn a_full_return_is_read_and_its_rates_computed() {
    let r = check_return(&draft(&[]), today()).expect("valid");
    assert_eq!(r.period, Quarter { year: 2025, q: 2 });
    assert_eq!(r.staff(), 45);
    assert_eq!(r.fte(), 3150 + 200 + 175);
    assert_eq!(r.lowest_hourly_pay_pence, 1221);
    assert_eq!(r.level2_permille, 425);
    assert_eq!(r.qualification_framework, Framework::Qcf);
    // 5 vacancies of 50 posts; 11 leavers of 45 staff (24.44..% -> 24.4%).
    assert_eq!(r.vacancy_rate(), Some(100));
    assert_eq!(r.turnover(), Some(244));
    assert_eq!(r.zero_hours_share(), Some(667));
    assert_eq!(check_return(&to_draft(&r), today()).expect("round trip"), r);
}

#[test]
fn rqf_and_qcf_are_both_accepted_in_any_case() {
    for f in ["RQF", "rqf", "QCF", "qcf"] {
        assert!(check_return(&draft(&[("qualification_framework", f)]), today()).is_ok(), "{f}");
    }
    let e = check_return(&draft(&[("qualification_framework", "NVQ")]), today()).expect_err("NVQ");
    assert_eq!(e.0[0].field, "qualification_framework");
}

fn fields_of(d: Draft) -> Vec<String> {
    check_return(&d, today()).expect_err("refused").0.into_iter().map(|e| e.field).collect()
}

#[test]
fn bad_returns_are_refused_naming_the_field() {
    assert_eq!(fields_of(draft(&[("leavers", "46")])), ["leavers"]);
    assert_eq!(fields_of(draft(&[("nurses", "-1")])), ["nurses"]);
    assert_eq!(fields_of(draft(&[("level3_percent", "100.1")])), ["level3_percent"]);
    assert_eq!(fields_of(draft(&[("lowest_hourly_pay", "-0.01")])), ["lowest_hourly_pay"]);
    assert_eq!(fields_of(draft(&[("period", "2026-Q1")])), ["period"]);
    assert_eq!(fields_of(draft(&[("zero_hours_staff", "46")])), ["zero_hours_staff"]);
    assert_eq!(fields_of(draft(&[("guaranteed_hours_staff", "16")])), ["guaranteed_hours_staff"]);
    assert_eq!(fields_of(draft(&[("sick_pay", "maybe")])), ["sick_pay"]);
    assert_eq!(fields_of(draft(&[("care_workers_fte", "1.234")])), ["care_workers_fte"]);
    // Several at once, each named.
    assert_eq!(
        fields_of(draft(&[("nurses", "x"), ("vacancies", "-2"), ("level2_percent", "101")])),
        ["nurses", "vacancies", "level2_percent"]
    );
    let e = check_return(&draft(&[("leavers", "46")]), today()).expect_err("leavers");
    assert!(e.0[0].message.contains("Leavers"), "{}", e.0[0].message);
    // 100% and the current quarter are fine.
    assert!(check_return(&draft(&[("level3_percent", "100"), ("period", "2025-Q4")]), today()).is_ok());
}

#[test]
fn quarters_parse_and_label() {
    let q = Quarter::parse("period", "q3 2025", today()).expect("q3");
    assert_eq!((q.code(), q.label(), q.last_month()), ("2025-Q3".into(), "July to September 2025".into(), "2025-09".into()));
    assert_eq!(Quarter::parse("period", "2025 Q1", today()).map(|q| q.q), Ok(1));
    assert!(Quarter::parse("period", "2025-Q5", today()).is_err());
    assert_eq!(Quarter::of(date(2025, 12, 31)), Quarter { year: 2025, q: 4 });
    assert_eq!(Quarter { year: 2025, q: 1 }.previous(), Quarter { year: 2024, q: 4 });
    assert_eq!(Quarter { year: 2024, q: 1 }.last_day(), date(2024, 3, 31));
}

fn rates() -> Vec<LivingWageRate> {
    vec![
        LivingWageRate {
            year: "2024/25".into(),
            pence: 1260,
            london_pence: 1385,
            announced_on: date(2024, 10, 22),
            applies_from: date(2025, 5, 1),
        },
        LivingWageRate {
            year: "2023/24".into(),
            pence: 1200,
            london_pence: 1315,
            announced_on: date(2023, 10, 24),
            applies_from: date(2024, 5, 1),
        },
    ]
}

#[test]
fn the_living_wage_of_a_quarter_is_the_newest_applying_by_its_end() {
    assert_eq!(living_wage_for(&rates(), Quarter { year: 2025, q: 1 }).map(|r| r.pence), Some(1200));
    assert_eq!(living_wage_for(&rates(), Quarter { year: 2025, q: 2 }).map(|r| r.pence), Some(1260));
    assert_eq!(living_wage_for(&rates(), Quarter { year: 2024, q: 1 }), None);
}

fn facts(id: &str, provider: &str, staff: i64, zero: i64, pay: i64, asc: bool) -> ReturnFacts {
    let mut r = check_return(&draft(&[]), today()).expect("valid");
    r.care_workers = staff;
    r.nurses = 0;
    r.managers = 0;
    r.other_staff = 0;
    r.zero_hours_staff = zero;
    r.guaranteed_hours_staff = 0;
    r.lowest_hourly_pay_pence = pay;
    r.asc_wds_complete = asc;
    ReturnFacts { id: id.into(), provider_id: provider.into(), service_id: id.into(), r }
}

#[test]
fn zero_hours_mean_of_providers_beside_the_pooled_share() {
    // Provider a: two services, 10 of 10 and 0 of 30 on zero hours (a's share 25%);
    // provider b: 9 of 10 (90%). Mean of providers' shares: (25 + 90) / 2 = 57.5%;
    // pooled: 19 of 50 = 38%.
    let all = [facts("s1", "a", 10, 10, 1300, true), facts("s2", "a", 30, 0, 1250, false), facts("s3", "b", 10, 9, 1100, true)];
    let refs: Vec<&ReturnFacts> = all.iter().collect();
    let f = figures(&refs, &rates());
    assert_eq!(f.providers, 2);
    assert_eq!(f.staff, 50);
    assert_eq!(f.zero_hours_mean, Some(575));
    assert_eq!(f.zero_hours_pooled, Some(380));
    // Q2 2025's rate is £12.60: s2 (£12.50) and s3 (£11.00) are below it.
    assert_eq!(f.below_living_wage_returns, 2);
    assert_eq!(f.below_living_wage_care_workers, 40);
    assert_eq!(f.asc_wds_complete, Some(667));
    // Vacancies 5 per return: 15 of 65 posts.
    assert_eq!(f.vacancy_rate, Some((15 * 1000 + 65 / 2) / 65));
}

#[test]
fn mean_share_is_exact() {
    assert_eq!(mean_share([(1, 3), (1, 3), (1, 3)]), Some(333));
    assert_eq!(mean_share([(2, 3)]), Some(667));
    assert_eq!(mean_share([]), None);
    assert_eq!(mean_share([(1, 0)]), None);
    // Many providers with different staff counts (their common denominator would not fit).
    let many: Vec<(i64, i64)> = (1..=400).map(|w| (w / 3, w)).collect();
    let expected = (many.iter().map(|(p, w)| *p as f64 / *w as f64).sum::<f64>() / 400.0 * 1000.0).round() as i64;
    assert_eq!(mean_share(many), Some(expected));
}

#[test]
fn charter_has_twelve_elements_and_checks_a_provider() {
    assert_eq!(ELEMENTS.len(), 12);
    assert_eq!(ELEMENTS.iter().filter(|e| e.stage == 1).count(), 5);
    assert_eq!(ELEMENTS.iter().filter(|e| e.stage == 3).count(), 2);
    let a = facts("s1", "a", 10, 4, 1300, true);
    let checks = provider_checks(
        &[&a.r],
        &rates(),
        Some(VisitFacts { planned: 100, short_single: 3, short_double: 2, extra_care: 0 }),
        Some(crate::ecm::Continuity { persons: 10, visits: 100, by_usual: 85, mean_share_bp: Some(8_500) }),
    );
    let by: Vec<(&str, Status)> = checks.iter().map(|c| (c.key, c.status)).collect();
    assert_eq!(by, [("1.2", Status::NotMet), ("2.1", Status::Met), ("2.2", Status::Met), ("3.1", Status::Met), ("3.2", Status::NotMet)]);
    assert_eq!(checks[4].detail, "0 of 1 service offers occupational sick pay");
    assert_eq!(checks[0].detail, "3 of 100 planned visits are 15 minutes or less with one carer");
    let none = provider_checks(&[], &rates(), None, None);
    assert!(none.iter().all(|c| c.status == Status::NoRecords));
}

#[test]
fn profile_figures_are_checked_and_printed() {
    assert_eq!(check_profile("average_age", "43", "Skills for Care"), Ok((ProfileMeasure::AverageAge, 430, "Skills for Care".into())));
    assert_eq!(ProfileMeasure::AverageAge.text(430), "43 years");
    assert_eq!(ProfileMeasure::Female.text(790), "79%");
    assert_eq!(ProfileMeasure::WithinSector.text(445), "44.5%");
    let e = check_profile("female", "101", "").expect_err("bad");
    assert_eq!(e.0.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(), ["value", "source"]);
    assert_eq!(check_profile("shoe_size", "9", "x").expect_err("bad").0[0].field, "measure");
}

#[test]
fn extra_care_visits_are_left_out_of_the_no_short_visits_check() {
    let checks = provider_checks(&[], &[], Some(VisitFacts { planned: 40, short_single: 0, short_double: 0, extra_care: 12 }), None);
    let c = checks.iter().find(|c| c.key == "1.2").expect("1.2");
    assert_eq!(c.status, Status::Met);
    assert_eq!(c.detail, "None of 40 planned visits is 15 minutes or less with one carer; 12 visits at Extra Care schemes left out");
    let checks = provider_checks(&[], &[], Some(VisitFacts { planned: 0, short_single: 0, short_double: 0, extra_care: 1 }), None);
    let c = checks.iter().find(|c| c.key == "1.2").expect("1.2");
    assert_eq!(
        (c.status, c.detail.as_str()),
        (Status::NoRecords, "Every planned visit (1) is at an Extra Care scheme, where short visits are allowed")
    );
}

#[test]
fn a_years_living_wage_rate_is_checked_field_by_field() {
    let d = |s: &str| s.parse::<crate::Date>().ok();
    let r = check_living_wage_rate(" 2026/27 ", "13.90", "15.05", d("2026-10-22"), d("2027-05-01")).expect("valid");
    assert_eq!((r.year.as_str(), r.pence, r.london_pence), ("2026/27", 1390, 1505));
    let fields = |e: crate::FieldErrors| e.0.into_iter().map(|f| (f.field, f.message)).collect::<Vec<_>>();
    let e = fields(check_living_wage_rate("2026/28", "0", "12", d("2026-10-22"), d("2026-10-22")).expect_err("bad"));
    assert_eq!(
        e,
        vec![
            ("year".to_string(), "The year must be written like 2026/27: the first year and the next".to_string()),
            ("rate".to_string(), "The rate outside London must be more than £0".to_string()),
            ("applies_from".to_string(), "The date employers pay it from must be after the date it was announced".to_string()),
        ]
    );
    let e = fields(check_living_wage_rate("", "13.90", "13.00", None, None).expect_err("bad"));
    assert_eq!(e.iter().map(|(f, _)| f.as_str()).collect::<Vec<_>>(), vec!["year", "london_rate", "announced_on", "applies_from"], "{e:?}");
    assert_eq!(e[1].1, "The London rate cannot be lower than the rate outside London");
}
