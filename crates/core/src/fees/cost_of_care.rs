//! Cost of care (domain C7; issue 11 item 4): providers' cost-of-care returns, line by line, the
//! council's figures from them (count, median and quartiles per line and in total, beside the
//! council's rate) and a calculator that builds a price per hour from the same lines.
//!
//! Seeds: `000` ("a cost of care model", Care Cubed, "Fair Cost of Care analysis"), `004` §5.1
//! ("The council's rate is not far off the rate calculated as 'median' through the Fair Cost of
//! Care exercise"; "The existing cost model for home care will be used to establish the maximum
//! framework rates allowable").
//!
//! Home care is costed per contact hour, care homes per bed per week. The lines of each are
//! listed here once ([`CostModel::lines`]); the portal form, the CSV upload, the figures and the
//! calculator all read them from here. Money is integer pence.

use crate::direct_payments::money::{div_round, money};
use crate::quality::RowProblem;
use crate::register::ServiceKind;
use crate::{Date, FieldError, FieldErrors};
use serde::Serialize;

/// How a kind of service is costed: per contact hour (home care) or per bed a week (care homes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CostModel {
    PerHour,
    PerBedWeek,
}

impl CostModel {
    /// The model a kind of service is costed on; `None` for kinds with no cost-of-care return.
    pub fn of(kind: ServiceKind) -> Option<CostModel> {
        match kind {
            ServiceKind::HomeCare => Some(CostModel::PerHour),
            ServiceKind::CareHomeResidential | ServiceKind::CareHomeNursing => Some(CostModel::PerBedWeek),
            _ => None,
        }
    }

    /// The lines of a return, in the order a return lists them.
    pub fn lines(self) -> &'static [CostLine] {
        match self {
            CostModel::PerHour => &HOME_CARE_LINES,
            CostModel::PerBedWeek => &CARE_HOME_LINES,
        }
    }

    /// "an hour" or "a bed a week".
    pub fn unit(self) -> &'static str {
        match self {
            CostModel::PerHour => "an hour",
            CostModel::PerBedWeek => "a bed a week",
        }
    }

    /// A line's most, as a guard against typing a week's figure as an hour's or pence as pounds.
    pub fn line_maximum_pence(self) -> i64 {
        match self {
            CostModel::PerHour => 10_000,
            CostModel::PerBedWeek => 500_000,
        }
    }

    /// The rate card category the council's rate for this model is on (`core::fees::rates`).
    pub fn rate_category(self) -> super::RateCategory {
        match self {
            CostModel::PerHour => super::RateCategory::Hourly,
            CostModel::PerBedWeek => super::RateCategory::Weekly,
        }
    }
}

/// The kinds of service that send cost-of-care returns, in the order the figures show them.
pub const RETURN_KINDS: [ServiceKind; 3] = [ServiceKind::HomeCare, ServiceKind::CareHomeResidential, ServiceKind::CareHomeNursing];

/// One line of a cost-of-care return.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CostLine {
    // Home care, per contact hour.
    CareWorkerPay,
    TravelTime,
    Mileage,
    EmployerNationalInsurance,
    Pension,
    HolidayPay,
    Training,
    Supervision,
    BackOffice,
    RegistrationFees,
    Insurance,
    // Care homes, per bed per week.
    CareStaff,
    NursingStaff,
    OtherStaff,
    NonStaffCosts,
    ReturnOnCapital,
    // Both.
    ReturnOnOperations,
}

/// Home care's lines, per contact hour.
pub const HOME_CARE_LINES: [CostLine; 12] = [
    CostLine::CareWorkerPay,
    CostLine::TravelTime,
    CostLine::Mileage,
    CostLine::EmployerNationalInsurance,
    CostLine::Pension,
    CostLine::HolidayPay,
    CostLine::Training,
    CostLine::Supervision,
    CostLine::BackOffice,
    CostLine::RegistrationFees,
    CostLine::Insurance,
    CostLine::ReturnOnOperations,
];

/// Care homes' lines, per bed per week.
pub const CARE_HOME_LINES: [CostLine; 6] = [
    CostLine::CareStaff,
    CostLine::NursingStaff,
    CostLine::OtherStaff,
    CostLine::NonStaffCosts,
    CostLine::ReturnOnCapital,
    CostLine::ReturnOnOperations,
];

impl CostLine {
    pub const ALL: [CostLine; 17] = [
        CostLine::CareWorkerPay,
        CostLine::TravelTime,
        CostLine::Mileage,
        CostLine::EmployerNationalInsurance,
        CostLine::Pension,
        CostLine::HolidayPay,
        CostLine::Training,
        CostLine::Supervision,
        CostLine::BackOffice,
        CostLine::RegistrationFees,
        CostLine::Insurance,
        CostLine::CareStaff,
        CostLine::NursingStaff,
        CostLine::OtherStaff,
        CostLine::NonStaffCosts,
        CostLine::ReturnOnCapital,
        CostLine::ReturnOnOperations,
    ];

    /// The stored code, also the CSV's `line` value.
    pub fn as_str(self) -> &'static str {
        match self {
            CostLine::CareWorkerPay => "care_worker_pay",
            CostLine::TravelTime => "travel_time",
            CostLine::Mileage => "mileage",
            CostLine::EmployerNationalInsurance => "employer_national_insurance",
            CostLine::Pension => "pension",
            CostLine::HolidayPay => "holiday_pay",
            CostLine::Training => "training",
            CostLine::Supervision => "supervision",
            CostLine::BackOffice => "back_office",
            CostLine::RegistrationFees => "registration_fees",
            CostLine::Insurance => "insurance",
            CostLine::CareStaff => "care_staff",
            CostLine::NursingStaff => "nursing_staff",
            CostLine::OtherStaff => "other_staff",
            CostLine::NonStaffCosts => "non_staff_costs",
            CostLine::ReturnOnCapital => "return_on_capital",
            CostLine::ReturnOnOperations => "return_on_operations",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CostLine::CareWorkerPay => "Care worker pay (contact time)",
            CostLine::TravelTime => "Travel time",
            CostLine::Mileage => "Mileage",
            CostLine::EmployerNationalInsurance => "Employer National Insurance",
            CostLine::Pension => "Pension",
            CostLine::HolidayPay => "Holiday pay",
            CostLine::Training => "Training",
            CostLine::Supervision => "Supervision",
            CostLine::BackOffice => "Back office",
            CostLine::RegistrationFees => "Registration fees",
            CostLine::Insurance => "Insurance",
            CostLine::CareStaff => "Care staff",
            CostLine::NursingStaff => "Nursing staff",
            CostLine::OtherStaff => "Other staff",
            CostLine::NonStaffCosts => "Non-staff costs",
            CostLine::ReturnOnCapital => "Return on capital",
            CostLine::ReturnOnOperations => "Return on operations",
        }
    }

    /// What the line covers, for the form's hint.
    pub fn hint(self) -> &'static str {
        match self {
            CostLine::CareWorkerPay => "Pay for the hour spent with the person",
            CostLine::TravelTime => "Pay for time travelling between visits, for each contact hour",
            CostLine::Mileage => "Mileage or fares paid to care workers, for each contact hour",
            CostLine::EmployerNationalInsurance => "The employer's National Insurance contributions",
            CostLine::Pension => "The employer's pension contributions",
            CostLine::HolidayPay => "Pay for care workers' holidays",
            CostLine::Training => "Training, including the time care workers spend on it",
            CostLine::Supervision => "Supervision and spot checks",
            CostLine::BackOffice => "Office staff, premises, IT, telephones and other overheads",
            CostLine::RegistrationFees => "CQC registration fees",
            CostLine::Insurance => "Insurance",
            CostLine::CareStaff => "Care workers and senior care workers",
            CostLine::NursingStaff => "Registered nurses (0 for a home without nursing)",
            CostLine::OtherStaff => "Management, administration, catering, domestic and maintenance staff",
            CostLine::NonStaffCosts => "Food, utilities, medical supplies, repairs, insurance and other running costs",
            CostLine::ReturnOnCapital => "A return on the land, buildings and equipment",
            CostLine::ReturnOnOperations => "Surplus or profit on running the service",
        }
    }

    /// The label as it reads inside a sentence: "employer National Insurance", "mileage".
    pub fn label_in_sentence(self) -> String {
        let l = self.label();
        let mut c = l.chars();
        match c.next() {
            Some(f) => f.to_lowercase().chain(c).collect(),
            None => String::new(),
        }
    }

    /// A line named by its code or its label, ignoring case ("Mileage", "employer_national_insurance").
    pub fn parse(s: &str) -> Option<CostLine> {
        let t = s.trim();
        CostLine::ALL.into_iter().find(|l| l.as_str().eq_ignore_ascii_case(t) || l.label().eq_ignore_ascii_case(t))
    }
}

/// A financial year, held as the year it starts in (2025 is 1 April 2025 to 31 March 2026).
pub fn year_text(start: i32) -> String {
    format!("{start}/{:02}", (start + 1).rem_euclid(100))
}

/// The financial year a date falls in, as its start year.
pub fn year_of(d: Date) -> i32 {
    let y = i32::from(d.year());
    if d.month() >= 4 { y } else { y - 1 }
}

/// A financial year typed as "2025/26", "2025-26" or "2025": its start year, no later than the
/// year after `today`'s and no earlier than 2000.
pub fn parse_year(field: &str, raw: &str, today: Date) -> Result<i32, FieldError> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(FieldError::new(field, "Enter the financial year, like 2025/26"));
    }
    let bad = || FieldError::new(field, format!("The financial year must be written like 2025/26; found '{t}'"));
    let (start, end) = match t.split_once(['/', '-']) {
        Some((s, e)) => (s.trim(), Some(e.trim())),
        None => (t, None),
    };
    if start.len() != 4 || !start.chars().all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    let y: i32 = start.parse().map_err(|_| bad())?;
    if let Some(e) = end {
        let ok = match e.len() {
            2 => e.parse::<i32>().ok() == Some((y + 1).rem_euclid(100)),
            4 => e.parse::<i32>().ok() == Some(y + 1),
            _ => false,
        };
        if !ok {
            return Err(bad());
        }
    }
    let latest = year_of(today) + 1;
    if !(2000..=latest).contains(&y) {
        return Err(FieldError::new(field, format!("The financial year must be between 2000/01 and {}", year_text(latest))));
    }
    Ok(y)
}

/// A return as typed: which kind of service (from the service), the year as typed, and each
/// line's amount as typed, by line code.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CostReturnDraft {
    pub kind: Option<ServiceKind>,
    pub year: String,
    pub amounts: Vec<(String, String)>,
}

/// A checked return: every line of its model, in pence, and the total.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewCostReturn {
    pub kind: ServiceKind,
    pub model: CostModel,
    pub year: i32,
    pub lines: Vec<(CostLine, i64)>,
}

impl NewCostReturn {
    pub fn total_pence(&self) -> i64 {
        self.lines.iter().map(|(_, p)| p).sum()
    }
}

/// One line's amount in pounds, as typed into `field`: 0 or more, pence at most, no more than the
/// model's line maximum.
pub fn parse_line_amount(field: &str, line: CostLine, model: CostModel, raw: &str) -> Result<i64, FieldError> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(FieldError::new(field, format!("Enter the amount for {} (0 if none)", line.label_in_sentence())));
    }
    match crate::direct_payments::money::parse_money(t) {
        Some(v) if v < 0 => Err(FieldError::new(field, format!("{} cannot be negative; found '{t}'", line.label()))),
        Some(v) if v > model.line_maximum_pence() => Err(FieldError::new(
            field,
            format!(
                "{} of {} {} is more than {}: check it is {}, in pounds",
                line.label(),
                money(v),
                model.unit(),
                money(model.line_maximum_pence()),
                model.unit()
            ),
        )),
        Some(v) => Ok(v),
        None => Err(FieldError::new(field, format!("{} must be an amount of money, like 12.60; found '{t}'", line.label()))),
    }
}

impl CostReturnDraft {
    /// Check a return: a kind of service that sends returns, a financial year (see
    /// [`parse_year`]), and an amount for every line of its model and for no other line
    /// (each 0 or more; the total more than £0). Every problem is named by its field: `kind`,
    /// `year`, or the line's code.
    pub fn check(&self, today: Date) -> Result<NewCostReturn, FieldErrors> {
        let mut e = FieldErrors::new();
        let model = match self.kind {
            None => {
                e.add("kind", "Choose the service");
                None
            }
            Some(k) => match CostModel::of(k) {
                Some(m) => Some(m),
                None => {
                    e.add("kind", format!("{} does not send cost of care returns: only home care and care homes do", k.label()));
                    None
                }
            },
        };
        let year = e.check(parse_year("year", &self.year, today));
        let Some(model) = model else {
            return Err(e);
        };
        for (code, _) in &self.amounts {
            match CostLine::parse(code) {
                Some(l) if model.lines().contains(&l) => {}
                Some(l) => e.add(code.clone(), format!("{} is not a line of {} costs", l.label(), model_name(model))),
                None => e.add(code.clone(), format!("'{code}' is not a cost of care line")),
            }
        }
        let mut lines = Vec::new();
        for line in model.lines() {
            let raw = self.amounts.iter().find(|(c, _)| CostLine::parse(c) == Some(*line)).map(|(_, v)| v.as_str()).unwrap_or("");
            if let Some(v) = e.check(parse_line_amount(line.as_str(), *line, model, raw)) {
                lines.push((*line, v));
            }
        }
        if e.is_empty() && lines.iter().all(|(_, v)| *v == 0) {
            e.add(model.lines()[0].as_str(), "Enter the costs: every line is £0");
        }
        let (Some(kind), Some(year)) = (self.kind, year) else {
            return Err(e);
        };
        e.into_result(NewCostReturn { kind, model, year, lines })
    }
}

/// "home care" or "care home".
pub fn model_name(m: CostModel) -> &'static str {
    match m {
        CostModel::PerHour => "home care",
        CostModel::PerBedWeek => "care home",
    }
}

// ----- figures -----

/// A set of amounts summarised: how many, and the lower quartile, median and upper quartile.
///
/// The method is the "inclusive" linear interpolation between closest ranks (Hyndman and Fan's
/// type 7; what Excel's `QUARTILE.INC` and `MEDIAN` and R's and NumPy's defaults compute): sort
/// the n amounts, and the p-quantile sits at 0-based position h = (n − 1) × p, taking
/// x[⌊h⌋] + (h − ⌊h⌋) × (x[⌊h⌋ + 1] − x[⌊h⌋]). In pence, rounded to the nearest penny, halves up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Quartiles {
    pub count: usize,
    pub lower: i64,
    pub median: i64,
    pub upper: i64,
    pub min: i64,
    pub max: i64,
}

/// The 0-based ranks (in the sorted amounts) a quartile `q` (1 lower, 2 median, 3 upper) of `n`
/// amounts is worked from: one rank when it falls on an amount, two when it lies between.
pub fn quartile_ranks(n: usize, q: usize) -> Vec<usize> {
    if n == 0 {
        return Vec::new();
    }
    let pos4 = (n - 1) * q;
    let (k, r) = (pos4 / 4, pos4 % 4);
    if r == 0 { vec![k] } else { vec![k, k + 1] }
}

/// Quartile `q` (1, 2 or 3) of sorted amounts, by the method of [`Quartiles`].
fn quartile_of_sorted(sorted: &[i64], q: usize) -> i64 {
    let n = sorted.len();
    let pos4 = (n - 1) * q;
    let (k, r) = (pos4 / 4, (pos4 % 4) as i64);
    if r == 0 {
        return sorted[k];
    }
    div_round(4 * sorted[k] + r * (sorted[k + 1] - sorted[k]), 4)
}

/// The quartiles of `amounts` (in any order); `None` when there are none.
pub fn quartiles(amounts: &[i64]) -> Option<Quartiles> {
    if amounts.is_empty() {
        return None;
    }
    let mut s = amounts.to_vec();
    s.sort_unstable();
    Some(Quartiles {
        count: s.len(),
        lower: quartile_of_sorted(&s, 1),
        median: quartile_of_sorted(&s, 2),
        upper: quartile_of_sorted(&s, 3),
        min: s[0],
        max: s[s.len() - 1],
    })
}

/// One row of the figures: a line (or the total, `line: None`) with its quartiles.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FigureRow {
    pub line: Option<CostLine>,
    pub figures: Quartiles,
}

/// The figures for one kind of service and year from its returns' lines: a row per line of the
/// model, then the total. The total's quartiles are of the returns' totals (not the sum of the
/// lines' medians, which is not any return's cost).
pub fn figures(model: CostModel, returns: &[Vec<(CostLine, i64)>]) -> Vec<FigureRow> {
    let mut rows = Vec::new();
    for line in model.lines() {
        let amounts: Vec<i64> = returns.iter().filter_map(|r| r.iter().find(|(l, _)| l == line).map(|(_, v)| *v)).collect();
        if let Some(f) = quartiles(&amounts) {
            rows.push(FigureRow { line: Some(*line), figures: f });
        }
    }
    let totals: Vec<i64> = returns.iter().map(|r| r.iter().map(|(_, v)| v).sum()).collect();
    if let Some(f) = quartiles(&totals) {
        rows.push(FigureRow { line: None, figures: f });
    }
    rows
}

// ----- the calculator -----

/// What an officer types into the calculator, as typed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CalculatorInput {
    /// Care worker pay, pounds an hour.
    pub pay_rate: String,
    /// Minutes of travel for each contact hour.
    pub travel_minutes: String,
    /// Miles driven for each contact hour.
    pub miles: String,
    /// Pence paid a mile.
    pub pence_per_mile: String,
    /// Percentages.
    pub employer_ni: String,
    pub pension: String,
    pub holiday: String,
    /// Pounds for each contact hour.
    pub training: String,
    pub supervision: String,
    pub back_office: String,
    pub registration_fees: String,
    pub insurance: String,
    /// Percentage of all the other lines.
    pub margin: String,
}

/// The calculator's inputs, checked: pence, hundredths (minutes, miles, pence a mile) and basis
/// points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct CalculatorFacts {
    pub pay_rate_pence: i64,
    pub travel_minutes_x100: i64,
    pub miles_x100: i64,
    pub pence_per_mile_x100: i64,
    pub employer_ni_bp: i64,
    pub pension_bp: i64,
    pub holiday_bp: i64,
    pub training_pence: i64,
    pub supervision_pence: i64,
    pub back_office_pence: i64,
    pub registration_fees_pence: i64,
    pub insurance_pence: i64,
    pub margin_bp: i64,
}

/// A number of 0 or more with at most two decimal places, in hundredths ("12.5" is 1250).
pub fn parse_hundredths(field: &str, label: &str, example: &str, raw: &str, max_x100: i64) -> Result<i64, FieldError> {
    let t = raw.trim().trim_end_matches('%').trim().trim_start_matches('£');
    if t.is_empty() {
        let mut c = label.chars();
        let lower: String = c.next().map(|f| f.to_lowercase().chain(c).collect()).unwrap_or_default();
        return Err(FieldError::new(field, format!("Enter {lower} (0 if none)")));
    }
    let bad = || FieldError::new(field, format!("{label} must be a number with up to two decimal places, like {example}"));
    if t.starts_with('-') {
        return Err(FieldError::new(field, format!("{label} cannot be negative")));
    }
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    if (whole.is_empty() && frac.is_empty())
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
        || frac.len() > 2
        || whole.len() > 6
    {
        return Err(bad());
    }
    let w: i64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| bad())? };
    let f: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().map_err(|_| bad())? * 10,
        _ => frac.parse().map_err(|_| bad())?,
    };
    let v = w * 100 + f;
    if v > max_x100 {
        return Err(FieldError::new(field, format!("{label} must be {} or less", hundredths_text(max_x100))));
    }
    Ok(v)
}

/// Hundredths as the number they are: 1250 as "12.5", 1200 as "12", 1205 as "12.05".
pub fn hundredths_text(v: i64) -> String {
    let (w, f) = (v / 100, v % 100);
    if f == 0 {
        format!("{w}")
    } else if f % 10 == 0 {
        format!("{w}.{}", f / 10)
    } else {
        format!("{w}.{f:02}")
    }
}

impl CalculatorInput {
    /// Check every input, each error naming its field: amounts of money and numbers 0 or more
    /// with at most two decimal places; the pay rate more than £0; percentages at most 100;
    /// travel at most 60 minutes for each contact hour.
    pub fn check(&self) -> Result<CalculatorFacts, FieldErrors> {
        let mut e = FieldErrors::new();
        let pounds = |field: &str, label: &str, raw: &str| parse_hundredths(field, label, "12.60", raw, 10_000);
        let pct = |field: &str, label: &str, raw: &str| parse_hundredths(field, label, "8.5", raw, 10_000);
        let f = CalculatorFacts {
            pay_rate_pence: e.check(pounds("pay_rate", "The pay rate", &self.pay_rate)).unwrap_or(0),
            travel_minutes_x100: e
                .check(parse_hundredths("travel_minutes", "Travel minutes", "12", &self.travel_minutes, 6_000))
                .unwrap_or(0),
            miles_x100: e.check(parse_hundredths("miles", "Miles", "4.5", &self.miles, 10_000)).unwrap_or(0),
            pence_per_mile_x100: e
                .check(parse_hundredths("pence_per_mile", "Pence a mile", "45", &self.pence_per_mile, 100_000))
                .unwrap_or(0),
            employer_ni_bp: e.check(pct("employer_ni", "Employer National Insurance", &self.employer_ni)).unwrap_or(0),
            pension_bp: e.check(pct("pension", "Pension", &self.pension)).unwrap_or(0),
            holiday_bp: e.check(pct("holiday", "Holiday pay", &self.holiday)).unwrap_or(0),
            training_pence: e.check(pounds("training", "Training", &self.training)).unwrap_or(0),
            supervision_pence: e.check(pounds("supervision", "Supervision", &self.supervision)).unwrap_or(0),
            back_office_pence: e.check(pounds("back_office", "Back office", &self.back_office)).unwrap_or(0),
            registration_fees_pence: e.check(pounds("registration_fees", "Registration fees", &self.registration_fees)).unwrap_or(0),
            insurance_pence: e.check(pounds("insurance", "Insurance", &self.insurance)).unwrap_or(0),
            margin_bp: e.check(pct("margin", "Return on operations", &self.margin)).unwrap_or(0),
        };
        if e.0.iter().all(|x| x.field != "pay_rate") && f.pay_rate_pence == 0 {
            e.add("pay_rate", "The pay rate must be more than £0");
        }
        e.into_result(f)
    }
}

/// A price per contact hour built line by line (the home care lines, in their order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CalculatedPrice {
    pub lines: Vec<(CostLine, i64)>,
    pub total_pence: i64,
}

/// Build a price per contact hour. Each line is worked out in pence and rounded to the nearest
/// penny, halves up; later lines are worked out from the rounded lines above them, and the total
/// is the sum of the rounded lines:
/// - care worker pay = the pay rate (one contact hour);
/// - travel time = pay rate × travel minutes ÷ 60;
/// - mileage = miles × pence a mile;
/// - holiday pay = (care worker pay + travel time) × holiday %;
/// - employer National Insurance and pension = (care worker pay + travel time + holiday pay) × their %;
/// - training, supervision, back office, registration fees and insurance as entered;
/// - return on operations = the sum of all the lines above × its %.
pub fn calculate(f: &CalculatorFacts) -> CalculatedPrice {
    let pay = f.pay_rate_pence;
    let travel = div_round(f.pay_rate_pence * f.travel_minutes_x100, 60 * 100);
    let mileage = div_round(f.miles_x100 * f.pence_per_mile_x100, 100 * 100);
    let holiday = div_round((pay + travel) * f.holiday_bp, 10_000);
    let paid = pay + travel + holiday;
    let ni = div_round(paid * f.employer_ni_bp, 10_000);
    let pension = div_round(paid * f.pension_bp, 10_000);
    let before_margin = pay
        + travel
        + mileage
        + ni
        + pension
        + holiday
        + f.training_pence
        + f.supervision_pence
        + f.back_office_pence
        + f.registration_fees_pence
        + f.insurance_pence;
    let margin = div_round(before_margin * f.margin_bp, 10_000);
    let lines = vec![
        (CostLine::CareWorkerPay, pay),
        (CostLine::TravelTime, travel),
        (CostLine::Mileage, mileage),
        (CostLine::EmployerNationalInsurance, ni),
        (CostLine::Pension, pension),
        (CostLine::HolidayPay, holiday),
        (CostLine::Training, f.training_pence),
        (CostLine::Supervision, f.supervision_pence),
        (CostLine::BackOffice, f.back_office_pence),
        (CostLine::RegistrationFees, f.registration_fees_pence),
        (CostLine::Insurance, f.insurance_pence),
        (CostLine::ReturnOnOperations, margin),
    ];
    CalculatedPrice { total_pence: lines.iter().map(|(_, v)| v).sum(), lines }
}

// ----- a CSV of returns -----

/// One row of a returns CSV, its service found: the service's id, name and kind (or the row's
/// problem finding it), and the year, line and amount as typed.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvLine {
    pub row: usize,
    pub service: Result<(String, String, ServiceKind), RowProblem>,
    pub year: String,
    pub line: String,
    pub amount: String,
}

/// One row of a returns CSV as read (by `caremarket_ingest::uploads::cost_of_care`): how it
/// names its service, and its year, line and amount as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvRow {
    pub row: usize,
    pub service: Result<crate::quality::returns::ServiceKey, RowProblem>,
    pub year: String,
    pub line: String,
    pub amount: String,
}

/// The columns of a returns CSV, matched ignoring case: the service (by `service_id` or
/// `cqc_location_id`), then `year`, `line` and `amount` (pounds), one row per line.
pub const CSV_COLUMNS: [&str; 5] = ["service_id", "cqc_location_id", "year", "line", "amount"];

/// One return being gathered from a CSV: (service id, year), its first row, the service's name
/// and kind, and its lines with their rows.
type Group = ((String, i32), usize, String, ServiceKind, Vec<(CostLine, i64, usize)>);

/// Turn a CSV's rows into returns, all or none: every problem named by its row and column.
/// A row's service must send returns; its year is a financial year; its line a line of its
/// service's kind (not a second time in the same return); its amount 0 or more (see
/// [`parse_line_amount`]). A return (a service and year) missing a line is named on its first
/// row. Returns are in the order their first rows come.
pub fn plan_csv(rows: &[CsvLine], today: Date) -> Result<Vec<(String, NewCostReturn)>, Vec<RowProblem>> {
    use std::collections::BTreeMap;
    let mut problems = Vec::new();
    // (service id, year) -> (first row, service name, kind, lines with their rows)
    let mut groups: Vec<Group> = Vec::new();
    let mut index: BTreeMap<(String, i32), usize> = BTreeMap::new();
    for r in rows {
        let (sid, name, kind) = match &r.service {
            Ok(s) => s.clone(),
            Err(p) => {
                problems.push(p.clone());
                continue;
            }
        };
        let Some(model) = CostModel::of(kind) else {
            problems.push(RowProblem::new(
                r.row,
                "service_id",
                format!("is {name}, {}: only home care and care homes send cost of care returns", kind.label().to_lowercase()),
            ));
            continue;
        };
        let year = parse_year("year", &r.year, today);
        let line = match CostLine::parse(&r.line) {
            Some(l) if model.lines().contains(&l) => Ok(l),
            Some(_) => Err(format!(
                "'{}' is not a line of {} costs ({name} is {}): the lines are {}",
                r.line.trim(),
                model_name(model),
                kind.label().to_lowercase(),
                model.lines().iter().map(|l| l.as_str()).collect::<Vec<_>>().join(", ")
            )),
            None if r.line.trim().is_empty() => Err("is empty: name the line of the return".to_string()),
            None => Err(format!("'{}' is not a cost of care line", r.line.trim())),
        };
        let amount = match line {
            Ok(l) => parse_line_amount("amount", l, model, &r.amount),
            Err(_) => parse_line_amount("amount", CostLine::ReturnOnOperations, model, &r.amount),
        };
        let mut bad = false;
        if let Err(e) = &year {
            problems.push(RowProblem::new(r.row, "year", sentence_tail(&e.message)));
            bad = true;
        }
        if let Err(m) = &line {
            problems.push(RowProblem::new(r.row, "line", m.clone()));
            bad = true;
        }
        if let Err(e) = &amount {
            problems.push(RowProblem::new(r.row, "amount", sentence_tail(&e.message)));
            bad = true;
        }
        let (Ok(year), Ok(line), Ok(amount), false) = (year, line, amount, bad) else { continue };
        let key = (sid.clone(), year);
        let at = match index.get(&key) {
            Some(i) => *i,
            None => {
                groups.push((key.clone(), r.row, name.clone(), kind, Vec::new()));
                index.insert(key, groups.len() - 1);
                groups.len() - 1
            }
        };
        let g = &mut groups[at];
        if let Some((_, _, first)) = g.4.iter().find(|(l, _, _)| *l == line) {
            problems.push(RowProblem::new(
                r.row,
                "line",
                format!("repeats {} for {name}, {} (already on row {first})", line.label_in_sentence(), year_text(year)),
            ));
            continue;
        }
        g.4.push((line, amount, r.row));
    }
    let mut out = Vec::new();
    for ((sid, year), first_row, name, kind, lines) in groups {
        let Some(model) = CostModel::of(kind) else { continue };
        let missing: Vec<&str> = model.lines().iter().filter(|l| !lines.iter().any(|(x, _, _)| x == *l)).map(|l| l.as_str()).collect();
        if !missing.is_empty() {
            problems.push(RowProblem::new(
                first_row,
                "line",
                format!(
                    "the return for {name}, {} has no line{} {}: a return gives every line (0 if none)",
                    year_text(year),
                    if missing.len() == 1 { "" } else { "s" },
                    missing.join(", ")
                ),
            ));
            continue;
        }
        let ordered: Vec<(CostLine, i64)> =
            model.lines().iter().filter_map(|l| lines.iter().find(|(x, _, _)| x == l).map(|(x, v, _)| (*x, *v))).collect();
        if ordered.iter().all(|(_, v)| *v == 0) {
            problems.push(RowProblem::new(first_row, "amount", format!("every line of the return for {name}, {} is 0", year_text(year))));
            continue;
        }
        out.push((sid, NewCostReturn { kind, model, year, lines: ordered }));
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        problems.sort_by_key(|p| p.row);
        Err(problems)
    }
}

/// A form message made to read after a column's name: "The financial year must be ..." is
/// "must be ..."; "Mileage cannot be negative" is "cannot be negative".
fn sentence_tail(message: &str) -> String {
    if let Some(rest) = message.strip_prefix("Enter ") {
        return format!("is empty: enter {rest}");
    }
    match [" must ", " cannot "].iter().filter_map(|v| message.find(v)).min() {
        Some(i) => message[i + 1..].to_string(),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn each_model_has_its_own_lines_once() {
        assert_eq!(CostModel::of(ServiceKind::HomeCare), Some(CostModel::PerHour));
        assert_eq!(CostModel::of(ServiceKind::CareHomeNursing), Some(CostModel::PerBedWeek));
        assert_eq!(CostModel::of(ServiceKind::SupportedLiving), None);
        assert_eq!(CostModel::PerHour.lines().len(), 12);
        assert_eq!(CostModel::PerBedWeek.lines().len(), 6);
        for l in CostLine::ALL {
            assert_eq!(CostLine::parse(l.as_str()), Some(l));
            assert_eq!(CostLine::parse(&l.label().to_uppercase()), Some(l));
            let models = [CostModel::PerHour, CostModel::PerBedWeek].into_iter().filter(|m| m.lines().contains(&l)).count();
            assert!(models >= 1, "{l:?} belongs to no model");
        }
    }

    #[test]
    fn financial_years() {
        let today = date(2025, 12, 4);
        assert_eq!(parse_year("year", "2025/26", today), Ok(2025));
        assert_eq!(parse_year("year", "2025-2026", today), Ok(2025));
        assert_eq!(parse_year("year", " 2024 ", today), Ok(2024));
        assert_eq!(parse_year("year", "2026/27", today), Ok(2026));
        for bad in ["", "2025/27", "25/26", "2027/28", "1999/00", "abcd"] {
            assert_eq!(parse_year("year", bad, today).map_err(|e| e.field), Err("year".to_string()), "{bad}");
        }
        assert_eq!(year_text(2025), "2025/26");
        assert_eq!(year_text(1999), "1999/00");
        assert_eq!(year_of(date(2026, 3, 31)), 2025);
        assert_eq!(year_of(date(2026, 4, 1)), 2026);
    }

    fn draft(kind: ServiceKind, amounts: &[(&str, &str)]) -> CostReturnDraft {
        CostReturnDraft {
            kind: Some(kind),
            year: "2025/26".into(),
            amounts: amounts.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect(),
        }
    }

    #[test]
    fn a_return_has_every_line_of_its_kind_and_no_other() {
        let today = date(2025, 12, 4);
        let amounts = [
            ("care_staff", "420.50"),
            ("nursing_staff", "0"),
            ("other_staff", "180"),
            ("non_staff_costs", "210.25"),
            ("return_on_capital", "95"),
            ("return_on_operations", "48"),
        ];
        let r = draft(ServiceKind::CareHomeResidential, &amounts).check(today).expect("valid");
        assert_eq!(r.year, 2025);
        assert_eq!(r.total_pence(), 42050 + 18000 + 21025 + 9500 + 4800);
        // A line of home care's costs on a care home's return; a negative; a missing line.
        let mut bad: Vec<(&str, &str)> = amounts.to_vec();
        bad.push(("mileage", "1.00"));
        bad[0].1 = "-3";
        bad.remove(2);
        let e = draft(ServiceKind::CareHomeResidential, &bad).check(today).expect_err("bad");
        let fields: Vec<&str> = e.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["mileage", "care_staff", "other_staff"]);
        assert_eq!(e.0[0].message, "Mileage is not a line of care home costs");
        assert_eq!(e.0[1].message, "Care staff cannot be negative; found '-3'");
        // Not a kind that sends returns; every line £0; an hour's line typed as a week's.
        let e = draft(ServiceKind::DayServices, &[]).check(today).expect_err("kind");
        assert_eq!(e.0[0].field, "kind");
        let zeros: Vec<(&str, &str)> = amounts.iter().map(|(c, _)| (*c, "0")).collect();
        assert!(draft(ServiceKind::CareHomeNursing, &zeros).check(today).is_err());
        let e = draft(ServiceKind::HomeCare, &[("mileage", "450")]).check(today).expect_err("too much");
        assert!(e.0.iter().any(|e| e.field == "mileage" && e.message.contains("is more than £100.00")), "{e}");
    }

    /// Type 7 quantile worked in floating point straight from its definition, for comparison.
    fn type7(values: &[i64], p: f64) -> i64 {
        let mut s = values.to_vec();
        s.sort();
        let h = (s.len() - 1) as f64 * p;
        let lo = h.floor() as usize;
        let hi = (lo + 1).min(s.len() - 1);
        let v = s[lo] as f64 + (h - lo as f64) * (s[hi] - s[lo]) as f64;
        // Halves up: every fraction here is a multiple of 0.25, exact in binary.
        (v + 0.5).floor() as i64
    }

    #[test]
    fn quartiles_interpolate_between_closest_ranks() {
        // Eight hourly totals: sorted 2210, 2340, 2395, 2450, 2480, 2575, 2690, 2980.
        let v = [2450, 2210, 2980, 2395, 2690, 2340, 2575, 2480];
        let q = quartiles(&v).expect("some");
        // Median: between the 4th and 5th (2450 and 2480): 2465.
        assert_eq!(q.median, (2450 + 2480) / 2);
        // Lower: h = 7 × 0.25 = 1.75, 2340 + 0.75 × (2395 − 2340) = 2381.25 → 2381.
        assert_eq!(q.lower, 2381);
        // Upper: h = 5.25, 2575 + 0.25 × (2690 − 2575) = 2603.75 → 2604.
        assert_eq!(q.upper, 2604);
        assert_eq!((q.count, q.min, q.max), (8, 2210, 2980));
        for n in 1..=13 {
            let vals: Vec<i64> = (0..n).map(|i| 1000 + (i * 7919 % 13) * 37 + i).collect();
            let q = quartiles(&vals).expect("some");
            assert_eq!((q.lower, q.median, q.upper), (type7(&vals, 0.25), type7(&vals, 0.5), type7(&vals, 0.75)), "n = {n}");
        }
        // One amount is its own median and quartiles; halves round up.
        assert_eq!(quartiles(&[999]).map(|q| (q.lower, q.median, q.upper)), Some((999, 999, 999)));
        assert_eq!(quartiles(&[100, 101]).map(|q| q.median), Some(101));
        assert_eq!(quartiles(&[]), None);
        assert_eq!(quartile_ranks(8, 2), [3, 4]);
        assert_eq!(quartile_ranks(9, 2), [4]);
        assert_eq!(quartile_ranks(8, 1), [1, 2]);
    }

    #[test]
    fn the_total_is_the_quartiles_of_the_returns_totals() {
        let r = |a: i64, b: i64| vec![(CostLine::CareStaff, a), (CostLine::OtherStaff, b)];
        let returns = vec![r(40_000, 30_000), r(50_000, 10_000), r(45_000, 40_000)];
        let rows = figures(CostModel::PerBedWeek, &returns);
        let total = rows.last().expect("total");
        assert_eq!(total.line, None);
        // Totals 700, 600, 850: median 700, though the lines' medians sum to 450 + 300 = 750.
        assert_eq!(total.figures.median, 70_000);
        assert_eq!(rows[0].figures.median, 45_000);
        assert_eq!(rows.iter().find(|r| r.line == Some(CostLine::OtherStaff)).map(|r| r.figures.median), Some(30_000));
    }

    #[test]
    fn the_calculator_builds_a_price_line_by_line() {
        let input = CalculatorInput {
            pay_rate: "12.60".into(),
            travel_minutes: "12.5".into(),
            miles: "4.5".into(),
            pence_per_mile: "45".into(),
            employer_ni: "8.5".into(),
            pension: "3".into(),
            holiday: "12.07".into(),
            training: "0.35".into(),
            supervision: "0.4".into(),
            back_office: "3.90".into(),
            registration_fees: "0.10".into(),
            insurance: "0.15".into(),
            margin: "5".into(),
        };
        let f = input.check().expect("valid");
        let p = calculate(&f);
        // Worked here from the inputs, in pence, each line rounded half up.
        let pay = 1260;
        let travel = (1260.0_f64 * 12.5 / 60.0).round() as i64; // 262.5 → 263
        assert_eq!(travel, 263);
        let mileage = (4.5_f64 * 45.0).round() as i64; // 202.5 → 203
        let holiday = (((pay + travel) as f64) * 0.1207).round() as i64; // 1523 × 12.07% = 183.83 → 184
        let paid = pay + travel + holiday;
        let ni = ((paid as f64) * 0.085).round() as i64;
        let pension = ((paid as f64) * 0.03).round() as i64;
        let before = pay + travel + mileage + ni + pension + holiday + 35 + 40 + 390 + 10 + 15;
        let margin = ((before as f64) * 0.05).round() as i64;
        let want = [pay, travel, mileage, ni, pension, holiday, 35, 40, 390, 10, 15, margin];
        assert_eq!(p.lines.iter().map(|(_, v)| *v).collect::<Vec<_>>(), want);
        assert_eq!(p.total_pence, want.iter().sum::<i64>());
        assert_eq!(p.lines.iter().map(|(l, _)| *l).collect::<Vec<_>>(), HOME_CARE_LINES);
    }

    #[test]
    fn the_calculator_names_each_bad_input() {
        let e = CalculatorInput { pay_rate: "0".into(), travel_minutes: "90".into(), employer_ni: "-1".into(), ..Default::default() }
            .check()
            .expect_err("bad");
        let fields: Vec<&str> = e.0.iter().map(|e| e.field.as_str()).collect();
        assert!(fields.contains(&"pay_rate") && fields.contains(&"travel_minutes") && fields.contains(&"employer_ni"), "{fields:?}");
        assert!(fields.contains(&"margin"), "blank is refused: {fields:?}");
        assert_eq!(
            e.0.iter().find(|e| e.field == "employer_ni").map(|e| e.message.as_str()),
            Some("Employer National Insurance cannot be negative")
        );
    }

    fn csv(row: usize, sid: &str, kind: ServiceKind, year: &str, line: &str, amount: &str) -> CsvLine {
        CsvLine { row, service: Ok((sid.into(), format!("Home {sid}"), kind)), year: year.into(), line: line.into(), amount: amount.into() }
    }

    #[test]
    fn a_csv_is_all_or_nothing_and_names_each_bad_row() {
        let today = date(2025, 12, 4);
        let res = ServiceKind::CareHomeResidential;
        let mut rows: Vec<CsvLine> =
            CARE_HOME_LINES.iter().enumerate().map(|(i, l)| csv(i + 2, "h1", res, "2025/26", l.as_str(), "100")).collect();
        let plan = plan_csv(&rows, today).expect("good");
        assert_eq!(plan.len(), 1);
        assert_eq!(plan[0].1.total_pence(), 6 * 10_000);
        rows.push(csv(8, "h1", res, "2025/26", "Mileage", "3"));
        rows.push(csv(9, "h1", res, "2025/26", "care_staff", "-5"));
        rows.push(csv(10, "h2", res, "2025/26", "care_staff", "400"));
        rows.push(csv(11, "h1", res, "2025/26", "care_staff", "5"));
        let mut unknown = csv(12, "", res, "2025/26", "care_staff", "5");
        unknown.service = Err(RowProblem::new(12, "service_id", "'zz' is not a service in the register"));
        rows.push(unknown);
        let e = plan_csv(&rows, today).expect_err("bad");
        let got: Vec<(usize, &str)> = e.iter().map(|p| (p.row, p.field.as_str())).collect();
        assert_eq!(got, [(8, "line"), (9, "amount"), (10, "line"), (11, "line"), (12, "service_id")]);
        assert!(e[0].message.starts_with("'Mileage' is not a line of care home costs"), "{}", e[0].message);
        assert_eq!(e[1].message, "cannot be negative; found '-5'");
        assert!(e[2].message.contains("has no lines nursing_staff, other_staff"), "{}", e[2].message);
        assert!(e[3].message.starts_with("repeats care staff for Home h1, 2025/26 (already on row 2)"), "{}", e[3].message);
    }
}
