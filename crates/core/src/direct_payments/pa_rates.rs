//! The PA Rates Decision Making Tool (`000` Self-Directed Support: "identify an appropriate rate
//! of PA pay, based on needs and requirements"), and the direct payment hourly rate that funds
//! that pay with the employer's on-costs (our design, domain C6: what a DP officer needs next).
//!
//! A rate card is dated data: base pay and enhancements chosen by the council, and the
//! statutory figures for the tax year. Percentages are basis points (15% = 1,500 bp); money is
//! pence. Every line of the working is returned so the page can show it.

use super::{apply_bp, div_round};
use crate::Date;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateCard {
    pub name: String,
    /// The card applies from this date (the start of the tax year for statutory figures).
    pub effective_from: Date,
    /// Which tax year the statutory figures are for, shown with every result.
    pub statutory_year: String,
    /// National Living Wage (21 and over), pence an hour: PA pay never falls below it.
    pub national_living_wage_pence: i64,
    /// The council's base PA pay, pence an hour.
    pub base_pence: i64,
    /// Complexity enhancements: medium and high needs, basis points on the base.
    pub complexity_medium_bp: i64,
    pub complexity_high_bp: i64,
    /// Unsocial hours (evenings, nights, weekends): basis points on the base for those hours.
    pub unsocial_bp: i64,
    /// Driving the person (using the PA's car): pence an hour on top.
    pub driving_pence: i64,
    /// A sleep-in night: a flat amount.
    pub sleep_in_pence: i64,
    /// Employer (secondary Class 1) National Insurance: rate and the weekly secondary threshold.
    pub employer_ni_bp: i64,
    pub ni_threshold_weekly_pence: i64,
    /// Workplace pension: employer's minimum contribution on qualifying earnings above the
    /// lower limit (weekly).
    pub pension_bp: i64,
    pub pension_lower_weekly_pence: i64,
    /// Holiday pay: 5.6 weeks' statutory leave funded as 12.07% of pay.
    pub holiday_bp: i64,
    /// Employer's liability insurance a year (required when employing a PA).
    pub el_insurance_annual_pence: i64,
    /// Payroll service fee a year.
    pub payroll_annual_pence: i64,
    /// Employment Allowance a year: the employer NI it covers for an employer who claims it
    /// (individuals who employ a care or support worker may; £10,500 from 2025/26). Cards saved
    /// before this was kept read the 2025/26 figure.
    #[serde(default = "employment_allowance_2025")]
    pub employment_allowance_annual_pence: i64,
}

fn employment_allowance_2025() -> i64 {
    1_050_000
}

/// The shipped cards, newest last. Statutory figures, with their sources (docs/direct-payments.md):
/// - 2025/26 (from 6 April 2025; NLW from 1 April 2025): National Living Wage £12.21; employer
///   NI 15% above the secondary threshold of £5,000 a year (£96 a week); auto-enrolment
///   employer minimum 3% of qualifying earnings above £6,240 a year (£120 a week).
/// - 2026/27 (from 6 April 2026; NLW from 1 April 2026): National Living Wage £12.71; employer
///   NI 15% above £96 a week (the threshold is frozen to April 2028); pension 3% above £120 a week.
///
/// Holiday 12.07% (5.6 weeks / 46.4 weeks worked). Base pay, enhancements, insurance and
/// payroll are illustrative council choices to be replaced with the council's own.
pub fn default_cards() -> Vec<RateCard> {
    let card = |name: &str, from: Date, year: &str, nlw: i64, base: i64| RateCard {
        name: name.into(),
        effective_from: from,
        statutory_year: year.into(),
        national_living_wage_pence: nlw,
        base_pence: base,
        complexity_medium_bp: 500,
        complexity_high_bp: 1_000,
        unsocial_bp: 1_000,
        driving_pence: 50,
        sleep_in_pence: 10_000,
        employer_ni_bp: 1_500,
        ni_threshold_weekly_pence: 9_600,
        pension_bp: 300,
        pension_lower_weekly_pence: 12_000,
        holiday_bp: 1_207,
        el_insurance_annual_pence: 12_000,
        payroll_annual_pence: 18_000,
        employment_allowance_annual_pence: employment_allowance_2025(),
    };
    vec![
        card("Statutory defaults 2025/26", Date::constant(2025, 4, 6), "2025/26", 1_221, 1_275),
        card("Statutory defaults 2026/27", Date::constant(2026, 4, 6), "2026/27", 1_271, 1_325),
    ]
}

/// The card in force on `day`: the latest whose `effective_from` is on or before it (or the
/// earliest, for a date before all of them).
pub fn card_for(cards: &[RateCard], day: Date) -> Option<&RateCard> {
    cards
        .iter()
        .filter(|c| c.effective_from <= day)
        .max_by_key(|c| c.effective_from)
        .or_else(|| cards.iter().min_by_key(|c| c.effective_from))
}

/// A person's needs and requirements.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Needs {
    /// "standard", "medium" or "high".
    pub complexity: String,
    pub hours_per_week: i64,
    /// Of those hours, how many are unsocial (evenings, nights, weekends).
    pub unsocial_hours_per_week: i64,
    pub sleep_ins_per_week: i64,
    pub driving: bool,
    /// The employer claims Employment Allowance, which pays their employer NI up to the
    /// card's yearly amount.
    #[serde(default)]
    pub employment_allowance: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Line {
    pub label: String,
    pub how: String,
    pub per_hour_pence: i64,
    pub per_week_pence: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RateResult {
    pub card_name: String,
    pub statutory_year: String,
    pub pay_lines: Vec<Line>,
    pub pa_hourly_pence: i64,
    pub weekly_pay_pence: i64,
    pub oncost_lines: Vec<Line>,
    pub dp_hourly_pence: i64,
    pub dp_weekly_pence: i64,
    pub dp_annual_pence: i64,
    pub notes: Vec<String>,
}

/// The tool's form as typed (a GET: working out a rate changes nothing).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NeedsInput {
    pub complexity: String,
    pub hours_per_week: String,
    pub unsocial_hours_per_week: String,
    pub sleep_ins_per_week: String,
    pub driving: String,
    pub employment_allowance: String,
}

impl Needs {
    /// Read the form: blank unsocial hours and sleep-ins are none; anything but a whole number
    /// is refused by the range rules.
    pub fn parse(input: &NeedsInput) -> Result<Needs, crate::FieldErrors> {
        let int = |s: &str| s.trim().parse::<i64>().unwrap_or(-1);
        let optional = |s: &str| if s.trim().is_empty() { 0 } else { int(s) };
        let needs = Needs {
            complexity: input.complexity.clone(),
            hours_per_week: int(&input.hours_per_week),
            unsocial_hours_per_week: optional(&input.unsocial_hours_per_week),
            sleep_ins_per_week: optional(&input.sleep_ins_per_week),
            driving: input.driving == "1",
            employment_allowance: input.employment_allowance == "1",
        };
        crate::FieldErrors(validate(&needs)).into_result(needs)
    }
}

/// The new-card form as typed; the date read by the caller (`None` when it could not be).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CardInput {
    pub name: String,
    pub statutory_year: String,
    pub base: String,
    pub effective_from: Option<Date>,
}

impl CardInput {
    /// A council card from the form: the statutory figures of the card in force from its date
    /// among `cards`, with the council's base pay. Every failure at once.
    pub fn parse(&self, cards: &[RateCard]) -> Result<RateCard, crate::FieldErrors> {
        let mut e = crate::FieldErrors::new();
        if self.effective_from.is_none() {
            e.add("effective_from", "Enter the date the card applies from");
        }
        let base = e.check(super::parse_amount("base", "Base pay an hour", &self.base, false));
        if self.name.trim().is_empty() {
            e.add("name", "Enter a name for the rate card");
        }
        let (Some(from), Some(base)) = (self.effective_from, base) else { return Err(e) };
        let Some(template) = card_for(cards, from) else { return Err(e) };
        let card = RateCard::derive(template, &self.name, from, &self.statutory_year, base);
        if let Err(more) = card.check() {
            more.0.into_iter().for_each(|f| e.add(f.field, f.message));
        }
        e.into_result(card)
    }
}

impl RateCard {
    /// A council's card: the statutory figures of `template` (the card in force from `from`)
    /// with the council's name, base pay and, when given, its own tax-year label.
    pub fn derive(template: &RateCard, name: &str, from: Date, statutory_year: &str, base_pence: i64) -> RateCard {
        RateCard {
            name: name.trim().to_string(),
            effective_from: from,
            statutory_year: Some(statutory_year.trim().to_string())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| template.statutory_year.clone()),
            base_pence,
            ..template.clone()
        }
    }

    /// A card can be added when it has a name and pays at least the National Living Wage.
    pub fn check(&self) -> Result<(), crate::FieldErrors> {
        let mut e = crate::FieldErrors::new();
        if self.name.trim().is_empty() {
            e.add("name", "Enter a name for the rate card");
        }
        if self.base_pence <= 0 {
            e.add("base", "Enter base pay of more than £0 an hour");
        } else if self.base_pence < self.national_living_wage_pence {
            e.add("base", "Base pay must be at least the National Living Wage");
        }
        e.into_result(())
    }
}

pub fn validate(n: &Needs) -> Vec<crate::FieldError> {
    let mut e = Vec::new();
    if !matches!(n.complexity.as_str(), "standard" | "medium" | "high") {
        e.push(crate::FieldError::new("complexity", "Choose the complexity of the person's needs"));
    }
    if !(1..=168).contains(&n.hours_per_week) {
        e.push(crate::FieldError::new("hours_per_week", "Enter the hours of support a week, from 1 to 168"));
    }
    if n.unsocial_hours_per_week < 0 || n.unsocial_hours_per_week > n.hours_per_week.max(0) {
        e.push(crate::FieldError::new("unsocial_hours_per_week", "Unsocial hours must be between 0 and the hours a week"));
    }
    if !(0..=7).contains(&n.sleep_ins_per_week) {
        e.push(crate::FieldError::new("sleep_ins_per_week", "Enter sleep-in nights a week, from 0 to 7"));
    }
    e
}

fn line(label: &str, how: String, per_hour: i64, hours: i64) -> Line {
    Line { label: label.into(), how, per_hour_pence: per_hour, per_week_pence: per_hour * hours }
}

fn pct(bp: i64) -> String {
    super::figures::percent(bp)
}

/// PA pay and the DP rate for `needs` on `card`. Hourly figures are rounded to the penny at
/// each line; weekly on-costs are worked out on the week's pay (so thresholds apply correctly)
/// and then spread over the hours.
pub fn calculate(card: &RateCard, needs: &Needs) -> RateResult {
    let hours = needs.hours_per_week.max(1);
    let mut notes = Vec::new();
    let mut pay_lines = vec![line("Base pay", format!("{} card", card.name), card.base_pence, hours)];
    let complexity_bp = match needs.complexity.as_str() {
        "medium" => card.complexity_medium_bp,
        "high" => card.complexity_high_bp,
        _ => 0,
    };
    if complexity_bp > 0 {
        pay_lines.push(line(
            "Complexity enhancement",
            format!("{} of base pay for {} needs", pct(complexity_bp), needs.complexity),
            apply_bp(card.base_pence, complexity_bp),
            hours,
        ));
    }
    if needs.unsocial_hours_per_week > 0 {
        // Averaged over all hours so the PA has one hourly rate.
        let extra_week = apply_bp(card.base_pence, card.unsocial_bp) * needs.unsocial_hours_per_week;
        pay_lines.push(Line {
            label: "Unsocial hours enhancement".into(),
            how: format!("{} of base pay for {} of {hours} hours, averaged", pct(card.unsocial_bp), needs.unsocial_hours_per_week),
            per_hour_pence: div_round(extra_week, hours),
            per_week_pence: extra_week,
        });
    }
    if needs.driving {
        pay_lines.push(line("Driving", "Using the PA's own car".into(), card.driving_pence, hours));
    }
    let mut pa_hourly: i64 = pay_lines.iter().map(|l| l.per_hour_pence).sum();
    if pa_hourly < card.national_living_wage_pence {
        let top = card.national_living_wage_pence - pa_hourly;
        pay_lines.push(line("Raised to the National Living Wage", format!("{} minimum", card.statutory_year), top, hours));
        pa_hourly = card.national_living_wage_pence;
        notes.push("The card's pay was below the National Living Wage and has been raised to it.".into());
    }
    let mut weekly_pay = pa_hourly * hours;
    if needs.sleep_ins_per_week > 0 {
        let s = card.sleep_in_pence * needs.sleep_ins_per_week;
        pay_lines.push(Line {
            label: "Sleep-in nights".into(),
            how: format!(
                "{} at {} a night, spread over the hours",
                crate::text::count(needs.sleep_ins_per_week, "sleep-in", None),
                super::money(card.sleep_in_pence)
            ),
            per_hour_pence: div_round(s, hours),
            per_week_pence: s,
        });
        weekly_pay += s;
    }

    let mut on = Vec::new();
    let holiday_week = apply_bp(weekly_pay, card.holiday_bp);
    on.push(Line {
        label: "Holiday pay".into(),
        how: format!("{} of pay (5.6 weeks' statutory leave)", pct(card.holiday_bp)),
        per_hour_pence: div_round(holiday_week, hours),
        per_week_pence: holiday_week,
    });
    let gross = weekly_pay + holiday_week;
    let ni_week = apply_bp((gross - card.ni_threshold_weekly_pence).max(0), card.employer_ni_bp);
    on.push(Line {
        label: "Employer National Insurance".into(),
        how: format!(
            "{} of weekly pay above {} ({})",
            pct(card.employer_ni_bp),
            super::money(card.ni_threshold_weekly_pence),
            card.statutory_year
        ),
        per_hour_pence: div_round(ni_week, hours),
        per_week_pence: ni_week,
    });
    let mut allowance_week = 0;
    if ni_week == 0 {
        notes.push("Weekly pay is below the National Insurance secondary threshold: no employer NI is due.".into());
    } else if needs.employment_allowance {
        // The allowance is yearly: it pays the first £X of the year's employer NI, so a week
        // costs the year's NI beyond the allowance, spread over 52 weeks.
        let year = ni_week * 52;
        let covered = year.min(card.employment_allowance_annual_pence);
        let after_week = div_round(year - covered, 52);
        allowance_week = after_week - ni_week;
        on.push(Line {
            label: "Less Employment Allowance".into(),
            how: format!("{} a year of employer NI, claimed by the employer", super::money(card.employment_allowance_annual_pence)),
            per_hour_pence: div_round(allowance_week, hours),
            per_week_pence: allowance_week,
        });
        notes.push(format!(
            "Employment Allowance covers up to {} of employer NI a year across everyone the person employs; with other PAs on the same payroll, less of it is left for this one.",
            super::money(card.employment_allowance_annual_pence)
        ));
    }
    let pension_week = apply_bp((gross - card.pension_lower_weekly_pence).max(0), card.pension_bp);
    on.push(Line {
        label: "Workplace pension".into(),
        how: format!(
            "{} employer contribution on earnings above {} a week ({})",
            pct(card.pension_bp),
            super::money(card.pension_lower_weekly_pence),
            card.statutory_year
        ),
        per_hour_pence: div_round(pension_week, hours),
        per_week_pence: pension_week,
    });
    let el_week = div_round(card.el_insurance_annual_pence, 52);
    on.push(Line {
        label: "Employer's liability insurance".into(),
        how: format!("{} a year", super::money(card.el_insurance_annual_pence)),
        per_hour_pence: div_round(el_week, hours),
        per_week_pence: el_week,
    });
    let payroll_week = div_round(card.payroll_annual_pence, 52);
    on.push(Line {
        label: "Payroll service fee".into(),
        how: format!("{} a year", super::money(card.payroll_annual_pence)),
        per_hour_pence: div_round(payroll_week, hours),
        per_week_pence: payroll_week,
    });
    let dp_weekly = gross + ni_week + allowance_week + pension_week + el_week + payroll_week;
    RateResult {
        card_name: card.name.clone(),
        statutory_year: card.statutory_year.clone(),
        pay_lines,
        pa_hourly_pence: pa_hourly,
        weekly_pay_pence: weekly_pay,
        oncost_lines: on,
        dp_hourly_pence: div_round(dp_weekly, hours),
        dp_weekly_pence: dp_weekly,
        dp_annual_pence: dp_weekly * 52,
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn card() -> RateCard {
        default_cards().pop().expect("card")
    }

    #[test]
    fn employment_allowance_takes_the_year_s_employer_ni_up_to_its_amount() {
        let c = card();
        let needs = Needs { complexity: "standard".into(), hours_per_week: 37, ..Default::default() };
        let without = calculate(&c, &needs);
        let with = calculate(&c, &Needs { employment_allowance: true, ..needs.clone() });
        // Worked by hand: 37 hours at the card's base, holiday on top; NI 15% above £96 a week.
        let gross = c.base_pence * 37 + apply_bp(c.base_pence * 37, c.holiday_bp);
        let ni_week = apply_bp(gross - c.ni_threshold_weekly_pence, c.employer_ni_bp);
        assert!(ni_week * 52 < c.employment_allowance_annual_pence, "one PA's NI is within the allowance");
        assert_eq!(without.dp_weekly_pence - with.dp_weekly_pence, ni_week, "the allowance pays all of this PA's employer NI");
        let line = with.oncost_lines.iter().find(|l| l.label == "Less Employment Allowance").expect("the allowance is a line");
        assert_eq!(line.per_week_pence, -ni_week);
        assert!(without.oncost_lines.iter().all(|l| l.label != "Less Employment Allowance"));
        // A small allowance covers part of the year's NI only.
        let small = RateCard { employment_allowance_annual_pence: 52 * 1_000, ..c.clone() };
        let part = calculate(&small, &Needs { employment_allowance: true, ..needs });
        assert_eq!(without.dp_weekly_pence - part.dp_weekly_pence, 1_000);
    }

    #[test]
    fn a_card_saved_before_the_allowance_was_kept_reads_the_2025_figure() {
        let mut json = serde_json::to_value(card()).expect("json");
        json.as_object_mut().expect("object").remove("employment_allowance_annual_pence");
        let old: RateCard = serde_json::from_value(json).expect("old card");
        assert_eq!(old.employment_allowance_annual_pence, 1_050_000);
    }

    #[test]
    fn the_current_card_is_chosen_by_date() {
        let cards = default_cards();
        assert_eq!(card_for(&cards, Date::constant(2026, 11, 23)).map(|c| c.statutory_year.as_str()), Some("2026/27"));
        assert_eq!(card_for(&cards, Date::constant(2025, 5, 1)).map(|c| c.statutory_year.as_str()), Some("2025/26"));
        assert_eq!(card_for(&cards, Date::constant(2020, 1, 1)).map(|c| c.statutory_year.as_str()), Some("2025/26"));
    }

    #[test]
    fn every_line_is_shown_and_adds_up() {
        // 20 hours, standard needs: £13.25 an hour = £265.00 a week.
        let r = calculate(&card(), &Needs { complexity: "standard".into(), hours_per_week: 20, ..Default::default() });
        assert_eq!(r.pa_hourly_pence, 1_325);
        assert_eq!(r.weekly_pay_pence, 26_500);
        // Holiday 12.07% of £265 = £31.99 (31.9855 rounded).
        assert_eq!(r.oncost_lines[0].per_week_pence, 3_199);
        // NI: 15% of (£296.99 - £96) = £30.15 (30.1485).
        assert_eq!(r.oncost_lines[1].per_week_pence, 3_015);
        // Pension: 3% of (£296.99 - £120) = £5.31 (5.3097).
        assert_eq!(r.oncost_lines[2].per_week_pence, 531);
        // EL £120/52 = £2.31; payroll £180/52 = £3.46.
        assert_eq!(r.oncost_lines[3].per_week_pence, 231);
        assert_eq!(r.oncost_lines[4].per_week_pence, 346);
        assert_eq!(r.dp_weekly_pence, 26_500 + 3_199 + 3_015 + 531 + 231 + 346);
        assert_eq!(r.dp_hourly_pence, div_round(r.dp_weekly_pence, 20));
        assert_eq!(r.statutory_year, "2026/27");
    }

    #[test]
    fn enhancements_and_low_hours_below_thresholds() {
        let r = calculate(
            &card(),
            &Needs { complexity: "high".into(), hours_per_week: 10, unsocial_hours_per_week: 10, driving: true, ..Default::default() },
        );
        // 13.25 + 1.33 (10%) + 1.33 (10% unsocial, all hours) + 0.50 = 16.41
        assert_eq!(r.pa_hourly_pence, 1_641);
        let r = calculate(&card(), &Needs { complexity: "standard".into(), hours_per_week: 5, ..Default::default() });
        assert_eq!(r.oncost_lines[1].per_week_pence, 0);
        assert!(r.notes.iter().any(|n| n.contains("secondary threshold")));
    }

    #[test]
    fn pay_never_below_living_wage() {
        let mut c = card();
        c.base_pence = 1_000;
        let r = calculate(&c, &Needs { complexity: "standard".into(), hours_per_week: 10, ..Default::default() });
        assert_eq!(r.pa_hourly_pence, c.national_living_wage_pence);
    }

    #[test]
    fn needs_are_checked() {
        assert_eq!(validate(&Needs { complexity: "standard".into(), hours_per_week: 0, ..Default::default() })[0].field, "hours_per_week");
        assert_eq!(validate(&Needs { complexity: "x".into(), hours_per_week: 5, ..Default::default() })[0].field, "complexity");
    }

    #[test]
    fn the_form_is_read_into_needs() {
        let input = NeedsInput { complexity: "high".into(), hours_per_week: " 20 ".into(), driving: "1".into(), ..Default::default() };
        let n = Needs::parse(&input).expect("valid");
        assert_eq!((n.hours_per_week, n.unsocial_hours_per_week, n.sleep_ins_per_week, n.driving), (20, 0, 0, true));
        let e = Needs::parse(&NeedsInput { hours_per_week: "x".into(), sleep_ins_per_week: "9".into(), ..input }).expect_err("bad");
        assert_eq!(e.0.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(), ["hours_per_week", "sleep_ins_per_week"]);
    }

    #[test]
    fn council_cards_keep_the_statutory_figures() {
        let t = card();
        let c = RateCard::derive(&t, " Council 2027 ", Date::constant(2027, 4, 6), "", t.national_living_wage_pence + 100);
        assert_eq!((c.name.as_str(), c.statutory_year.as_str(), c.employer_ni_bp), ("Council 2027", "2026/27", t.employer_ni_bp));
        assert!(c.check().is_ok());
        let low = RateCard { base_pence: t.national_living_wage_pence - 1, ..c.clone() };
        assert_eq!(low.check().expect_err("below").0[0].message, "Base pay must be at least the National Living Wage");
        assert_eq!(RateCard { name: " ".into(), ..c }.check().expect_err("name").0[0].field, "name");
        let form = CardInput {
            name: "Council".into(),
            statutory_year: String::new(),
            base: "14.00".into(),
            effective_from: Some(Date::constant(2027, 4, 6)),
        };
        assert_eq!(form.parse(&default_cards()).map(|c| (c.base_pence, c.statutory_year)), Ok((1_400, "2026/27".to_string())));
        let e = CardInput { name: String::new(), base: "5".into(), ..form }.parse(&default_cards()).expect_err("bad");
        assert_eq!(
            e.0.iter().map(|f| f.message.as_str()).collect::<Vec<_>>(),
            ["Enter a name for the rate card", "Base pay must be at least the National Living Wage"]
        );
    }

    proptest! {
        #[test]
        fn dp_rate_covers_pay(hours in 1i64..80, unsocial in 0i64..80, sleeps in 0i64..7, high in proptest::bool::ANY) {
            let n = Needs { complexity: if high { "high".into() } else { "standard".into() }, hours_per_week: hours, unsocial_hours_per_week: unsocial.min(hours), sleep_ins_per_week: sleeps, driving: false, employment_allowance: false };
            let r = calculate(&card(), &n);
            prop_assert!(r.dp_weekly_pence >= r.weekly_pay_pence);
            prop_assert!(r.pa_hourly_pence >= card().national_living_wage_pence);
            let on: i64 = r.oncost_lines.iter().map(|l| l.per_week_pence).sum();
            prop_assert_eq!(r.dp_weekly_pence, r.weekly_pay_pence + on);
        }
    }
}
