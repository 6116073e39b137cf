//! Care home fees (issue 11 item 3; domain C7): the weekly fee each care home charges the
//! council per bed type, with its history; the NHS Funded Nursing Care (FNC) weekly rate per
//! financial year, which the NHS pays the home directly for a nursing placement; and placements,
//! held by case reference only, each with its weekly cost line by line.
//!
//! A fee or FNC rate is never overwritten: a change is a new version from the date it takes
//! effect, and the version in force on a date is the one with the latest effective date on or
//! before it. Money is integer pence throughout; every figure is a sum or difference of whole
//! pence, so nothing is ever rounded.
//!
//! The weekly cost of a placement on a date ([`weekly_cost`]):
//! - gross: the home's fee in force for the placement's bed type;
//! - less FNC, for a nursing bed type only (paid by the NHS, not the council);
//! - less the person's assessed contribution, where the council pays the home net (the home
//!   collects it from the person); where the council pays gross it pays the home the whole fee
//!   and collects the contribution itself, outside these figures;
//! - the council's weekly cost is what is left (never below £0);
//! - a third-party top-up is shown beside it: paid to the home by the third party, never a
//!   council cost.

use super::rates::long_date;
use crate::direct_payments::money::{money, parse_amount};
use crate::direct_payments::valid_person_ref;
use crate::register::ServiceKind;
use crate::{Date, FieldErrors};
use serde::Serialize;

/// The four bed types a care home fee is set for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BedType {
    Residential,
    ResidentialDementia,
    Nursing,
    NursingDementia,
}

impl BedType {
    pub const ALL: [BedType; 4] = [BedType::Residential, BedType::ResidentialDementia, BedType::Nursing, BedType::NursingDementia];
    pub fn as_str(self) -> &'static str {
        match self {
            BedType::Residential => "residential",
            BedType::ResidentialDementia => "residential_dementia",
            BedType::Nursing => "nursing",
            BedType::NursingDementia => "nursing_dementia",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            BedType::Residential => "Residential",
            BedType::ResidentialDementia => "Residential dementia",
            BedType::Nursing => "Nursing",
            BedType::NursingDementia => "Nursing dementia",
        }
    }
    /// Nursing bed types: only at a home registered with nursing, and FNC is deducted.
    pub fn is_nursing(self) -> bool {
        matches!(self, BedType::Nursing | BedType::NursingDementia)
    }
    pub fn parse(s: &str) -> Option<BedType> {
        BedType::ALL.into_iter().find(|b| b.as_str() == s)
    }
}

impl std::str::FromStr for BedType {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        BedType::parse(s).ok_or(())
    }
}

/// Who the council pays: the whole fee (gross), or the fee less the person's contribution (net).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FundingBasis {
    Gross,
    Net,
}

impl FundingBasis {
    pub const ALL: [FundingBasis; 2] = [FundingBasis::Gross, FundingBasis::Net];
    pub fn as_str(self) -> &'static str {
        match self {
            FundingBasis::Gross => "gross",
            FundingBasis::Net => "net",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            FundingBasis::Gross => "Gross: the council pays the home the whole fee and collects the person's contribution",
            FundingBasis::Net => "Net: the council pays the fee less the person's contribution, which the home collects",
        }
    }
    pub fn short(self) -> &'static str {
        match self {
            FundingBasis::Gross => "Gross",
            FundingBasis::Net => "Net",
        }
    }
    pub fn parse(s: &str) -> Option<FundingBasis> {
        FundingBasis::ALL.into_iter().find(|b| b.as_str() == s)
    }
}

impl std::str::FromStr for FundingBasis {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        FundingBasis::parse(s).ok_or(())
    }
}

/// Who pays a third-party top-up, as a relationship or role only: never a person's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TopUpPayer {
    SpouseOrPartner,
    SonOrDaughter,
    OtherRelative,
    Friend,
    Charity,
    OtherThirdParty,
}

impl TopUpPayer {
    pub const ALL: [TopUpPayer; 6] = [
        TopUpPayer::SpouseOrPartner,
        TopUpPayer::SonOrDaughter,
        TopUpPayer::OtherRelative,
        TopUpPayer::Friend,
        TopUpPayer::Charity,
        TopUpPayer::OtherThirdParty,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            TopUpPayer::SpouseOrPartner => "spouse_or_partner",
            TopUpPayer::SonOrDaughter => "son_or_daughter",
            TopUpPayer::OtherRelative => "other_relative",
            TopUpPayer::Friend => "friend",
            TopUpPayer::Charity => "charity",
            TopUpPayer::OtherThirdParty => "other_third_party",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            TopUpPayer::SpouseOrPartner => "Spouse or partner",
            TopUpPayer::SonOrDaughter => "Son or daughter",
            TopUpPayer::OtherRelative => "Another relative",
            TopUpPayer::Friend => "A friend",
            TopUpPayer::Charity => "A charity or benevolent fund",
            TopUpPayer::OtherThirdParty => "Another third party",
        }
    }
    pub fn parse(s: &str) -> Option<TopUpPayer> {
        TopUpPayer::ALL.into_iter().find(|b| b.as_str() == s)
    }
}

impl std::str::FromStr for TopUpPayer {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        TopUpPayer::parse(s).ok_or(())
    }
}

/// Whether a kind of service is a care home, and whether with nursing.
pub fn is_care_home(kind: ServiceKind) -> bool {
    matches!(kind, ServiceKind::CareHomeResidential | ServiceKind::CareHomeNursing)
}

/// One version of a home's weekly fee for a bed type.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CareHomeFee {
    pub id: String,
    pub service_id: String,
    pub bed_type: BedType,
    pub weekly_pence: i64,
    pub effective_from: Date,
}

/// One version of the FNC standard weekly rate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FncRate {
    pub id: String,
    pub weekly_pence: i64,
    pub effective_from: Date,
}

/// The fee `service_id` charges the council for `bed` on `on`: the latest version effective on
/// or before the date. `None` before its first version.
pub fn fee_in_force<'a>(fees: &'a [CareHomeFee], service_id: &str, bed: BedType, on: Date) -> Option<&'a CareHomeFee> {
    fees.iter().filter(|f| f.service_id == service_id && f.bed_type == bed && f.effective_from <= on).max_by_key(|f| f.effective_from)
}

/// The FNC rate in force on `on`.
pub fn fnc_in_force(rates: &[FncRate], on: Date) -> Option<&FncRate> {
    rates.iter().filter(|r| r.effective_from <= on).max_by_key(|r| r.effective_from)
}

/// The care home a fee or placement is for, as the register holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct HomeFacts {
    pub name: String,
    pub kind: ServiceKind,
}

/// Refuse a service that is not a care home (field `service_id`) and a nursing bed type at a
/// home without nursing (field `bed_type`).
fn check_home(e: &mut FieldErrors, home: Option<&HomeFacts>, bed: Option<BedType>, chosen: bool) {
    match home {
        None if chosen => e.add("service_id", "Choose a care home from the register"),
        None => e.add("service_id", "Choose the care home"),
        Some(h) if !is_care_home(h.kind) => {
            e.add("service_id", format!("{} is {}, not a care home: choose a care home", h.name, h.kind.label().to_lowercase()))
        }
        Some(h) => {
            if let Some(b) = bed.filter(|b| b.is_nursing())
                && h.kind != ServiceKind::CareHomeNursing
            {
                e.add(
                    "bed_type",
                    format!("{} is registered without nursing: choose a residential bed type, not {}", h.name, b.label().to_lowercase()),
                );
            }
        }
    }
}

/// A weekly fee as an officer types it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CareHomeFeeDraft {
    pub service_id: Option<String>,
    pub bed_type: Option<BedType>,
    pub weekly: String,
    pub effective_from: Option<Date>,
}

/// A checked fee version, ready to save.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCareHomeFee {
    pub service_id: String,
    pub bed_type: BedType,
    pub weekly_pence: i64,
    pub effective_from: Date,
}

impl CareHomeFeeDraft {
    /// Check a fee against its home (`home`, `None` when no such service) and every version
    /// already kept for it. Every problem is returned against its field: the home is a care
    /// home; a nursing bed type only at a home with nursing; a weekly fee more than £0; the date
    /// it takes effect; and no second version of the same home and bed type from the same date.
    pub fn check(&self, home: Option<&HomeFacts>, existing: &[CareHomeFee]) -> Result<NewCareHomeFee, FieldErrors> {
        let mut e = FieldErrors::new();
        let service_id = self.service_id.clone().filter(|s| !s.trim().is_empty());
        check_home(&mut e, home, self.bed_type, service_id.is_some());
        if self.bed_type.is_none() {
            e.add("bed_type", "Choose the bed type");
        }
        let weekly = e.check(parse_amount("weekly", "Weekly fee", &self.weekly, false));
        if self.effective_from.is_none() {
            e.add("effective_from", "Enter the date the fee takes effect");
        }
        let (Some(service_id), Some(bed_type), Some(weekly_pence), Some(from)) = (service_id, self.bed_type, weekly, self.effective_from)
        else {
            return Err(e);
        };
        if let Some(same) = existing.iter().find(|f| f.service_id == service_id && f.bed_type == bed_type && f.effective_from == from) {
            e.add(
                "effective_from",
                format!(
                    "There is already a {} fee for this home from {} ({} a week): fees are never overwritten, so choose another date",
                    bed_type.label().to_lowercase(),
                    long_date(from),
                    money(same.weekly_pence)
                ),
            );
        }
        e.into_result(NewCareHomeFee { service_id, bed_type, weekly_pence, effective_from: from })
    }
}

/// An FNC rate as an officer types it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FncDraft {
    pub weekly: String,
    pub effective_from: Option<Date>,
}

/// A checked FNC rate version.
#[derive(Debug, Clone, PartialEq)]
pub struct NewFncRate {
    pub weekly_pence: i64,
    pub effective_from: Date,
}

impl FncDraft {
    /// A weekly rate more than £0 from a date that has no version yet.
    pub fn check(&self, existing: &[FncRate]) -> Result<NewFncRate, FieldErrors> {
        let mut e = FieldErrors::new();
        let weekly = e.check(parse_amount("weekly", "Weekly FNC rate", &self.weekly, false));
        if self.effective_from.is_none() {
            e.add("effective_from", "Enter the date the rate takes effect");
        }
        let (Some(weekly_pence), Some(from)) = (weekly, self.effective_from) else {
            return Err(e);
        };
        if let Some(same) = existing.iter().find(|r| r.effective_from == from) {
            e.add(
                "effective_from",
                format!(
                    "There is already an FNC rate from {} ({} a week): rates are never overwritten, so choose another date",
                    long_date(from),
                    money(same.weekly_pence)
                ),
            );
        }
        e.into_result(NewFncRate { weekly_pence, effective_from: from })
    }
}

/// A placement as the cost rules need it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CareHomePlacement {
    pub id: String,
    /// The council's case reference: never a name.
    pub case_ref: String,
    pub service_id: String,
    pub bed_type: BedType,
    pub start_date: Date,
    /// The last day of the placement, once it has ended.
    pub end_date: Option<Date>,
    pub funding: FundingBasis,
    /// The person's assessed weekly contribution (net placements only; 0 for gross).
    pub contribution_pence: i64,
    pub top_up_pence: i64,
    pub top_up_payer: Option<TopUpPayer>,
}

impl CareHomePlacement {
    /// Whether the person is in the home on `on` (start and end days included).
    pub fn active_on(&self, on: Date) -> bool {
        self.start_date <= on && self.end_date.is_none_or(|e| e >= on)
    }
}

/// Longest case reference, as the rest of the system keeps them.
pub const CASE_REF_HINT: &str =
    "Enter the person's case reference (letters, numbers, - or /, up to 20 characters, with at least one number), not their name";

/// A placement as an officer types it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlacementDraft {
    pub case_ref: String,
    pub service_id: Option<String>,
    pub bed_type: Option<BedType>,
    pub start_date: Option<Date>,
    pub end_date: Option<Date>,
    pub funding: Option<FundingBasis>,
    pub contribution: String,
    pub top_up: String,
    pub top_up_payer: Option<TopUpPayer>,
}

/// A checked placement, ready to save.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCareHomePlacement {
    pub case_ref: String,
    pub service_id: String,
    pub bed_type: BedType,
    pub start_date: Date,
    pub end_date: Option<Date>,
    pub funding: FundingBasis,
    pub contribution_pence: i64,
    pub top_up_pence: i64,
    pub top_up_payer: Option<TopUpPayer>,
}

impl PlacementDraft {
    /// Check a placement against its home. Every problem is returned against its field: a case
    /// reference (never a name); a care home, with nursing for a nursing bed type; a start
    /// date, and an end date not before it; gross or net; for a net placement the person's
    /// assessed weekly contribution (£0 or more), and none for a gross one; a top-up of £0 or
    /// more, and who pays it when there is one (a relationship or role).
    pub fn check(&self, home: Option<&HomeFacts>) -> Result<NewCareHomePlacement, FieldErrors> {
        let mut e = FieldErrors::new();
        if !valid_person_ref(&self.case_ref) {
            e.add("case_ref", CASE_REF_HINT);
        }
        let service_id = self.service_id.clone().filter(|s| !s.trim().is_empty());
        check_home(&mut e, home, self.bed_type, service_id.is_some());
        if self.bed_type.is_none() {
            e.add("bed_type", "Choose the bed type");
        }
        if self.start_date.is_none() {
            e.add("start_date", "Enter the date the placement started");
        }
        if let (Some(s), Some(end)) = (self.start_date, self.end_date)
            && end < s
        {
            e.add("end_date", format!("The end date must be on or after the start date, {}", long_date(s)));
        }
        if self.funding.is_none() {
            e.add("funding", "Choose whether the council pays the home gross or net");
        }
        let contribution = match self.funding {
            Some(FundingBasis::Net) => e.check(parse_amount("contribution", "Assessed weekly contribution", &self.contribution, true)),
            Some(FundingBasis::Gross) if !self.contribution.trim().is_empty() => {
                e.add(
                    "contribution",
                    "Leave the contribution blank for a gross placement: the council collects it, so it is not deducted from the fee",
                );
                None
            }
            _ => Some(0),
        };
        let top_up =
            if self.top_up.trim().is_empty() { Some(0) } else { e.check(parse_amount("top_up", "Weekly top-up", &self.top_up, true)) };
        let payer = match (top_up, self.top_up_payer) {
            (Some(t), None) if t > 0 => {
                e.add("top_up_payer", "Choose who pays the top-up (a relationship or role, never a name)");
                None
            }
            (Some(0), Some(_)) => None,
            (_, p) => p,
        };
        let (Some(service_id), Some(bed_type), Some(start_date), Some(funding), Some(contribution_pence), Some(top_up_pence)) =
            (service_id, self.bed_type, self.start_date, self.funding, contribution, top_up)
        else {
            return Err(e);
        };
        e.into_result(NewCareHomePlacement {
            case_ref: crate::direct_payments::normalise_person_ref(&self.case_ref),
            service_id,
            bed_type,
            start_date,
            end_date: self.end_date,
            funding,
            contribution_pence,
            top_up_pence,
            top_up_payer: payer,
        })
    }
}

/// Why a placement's cost cannot be given on a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum CostGap {
    /// The home has no fee for the bed type in force that day.
    NoFee,
    /// A nursing placement, and no FNC rate in force that day.
    NoFnc,
}

impl CostGap {
    pub fn text(self) -> &'static str {
        match self {
            CostGap::NoFee => "The home has no fee for this bed type in force on this date",
            CostGap::NoFnc => "There is no FNC rate in force on this date",
        }
    }
}

/// A placement's weekly cost on a date, line by line, in pence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeeklyCost {
    pub on: Date,
    /// The home's fee in force for the bed type.
    pub fee: CareHomeFee,
    pub gross_pence: i64,
    /// FNC deducted (nursing only, else 0), and the rate version it came from.
    pub fnc_pence: i64,
    pub fnc: Option<FncRate>,
    /// The person's assessed contribution deducted (net placements only, else 0).
    pub contribution_pence: i64,
    /// Paid to the home by a third party: shown, never a council cost.
    pub top_up_pence: i64,
    /// Gross − FNC − contribution, never below 0.
    pub council_pence: i64,
    /// The contribution is more than the fee less FNC, so the council pays nothing this week.
    pub contribution_covers_fee: bool,
}

/// The weekly cost of `p` on `on` from the fees and FNC rates kept (see the module's rules).
pub fn weekly_cost(p: &CareHomePlacement, fees: &[CareHomeFee], fnc: &[FncRate], on: Date) -> Result<WeeklyCost, CostGap> {
    let fee = fee_in_force(fees, &p.service_id, p.bed_type, on).ok_or(CostGap::NoFee)?;
    let fnc_rate = if p.bed_type.is_nursing() { Some(fnc_in_force(fnc, on).ok_or(CostGap::NoFnc)?) } else { None };
    let gross = fee.weekly_pence;
    let fnc_pence = fnc_rate.map_or(0, |r| r.weekly_pence);
    let contribution = if p.funding == FundingBasis::Net { p.contribution_pence } else { 0 };
    let left = gross - fnc_pence - contribution;
    Ok(WeeklyCost {
        on,
        fee: fee.clone(),
        gross_pence: gross,
        fnc_pence,
        fnc: fnc_rate.cloned(),
        contribution_pence: contribution,
        top_up_pence: p.top_up_pence,
        council_pence: left.max(0),
        contribution_covers_fee: left < 0,
    })
}

/// Totals over a set of placements on a date: how many, the weekly gross fees and the
/// council's weekly cost of those with a cost, and how many have none (no fee or FNC rate).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CostTotals {
    pub placements: usize,
    pub gross_pence: i64,
    pub fnc_pence: i64,
    pub contribution_pence: i64,
    pub top_up_pence: i64,
    pub council_pence: i64,
    pub without_cost: usize,
}

impl CostTotals {
    pub fn add(&mut self, cost: &Result<WeeklyCost, CostGap>) {
        self.placements += 1;
        match cost {
            Ok(c) => {
                self.gross_pence += c.gross_pence;
                self.fnc_pence += c.fnc_pence;
                self.contribution_pence += c.contribution_pence;
                self.top_up_pence += c.top_up_pence;
                self.council_pence += c.council_pence;
            }
            Err(_) => self.without_cost += 1,
        }
    }
}

/// Per home (in the order of `homes`) and in total: the placements active on `on` and their
/// weekly costs. Homes with no placement that day are left out.
pub fn totals_by_home(
    placements: &[CareHomePlacement],
    fees: &[CareHomeFee],
    fnc: &[FncRate],
    on: Date,
) -> (Vec<(String, CostTotals)>, CostTotals) {
    let mut per: Vec<(String, CostTotals)> = Vec::new();
    let mut all = CostTotals::default();
    for p in placements.iter().filter(|p| p.active_on(on)) {
        let cost = weekly_cost(p, fees, fnc, on);
        all.add(&cost);
        match per.iter_mut().find(|(s, _)| *s == p.service_id) {
            Some((_, t)) => t.add(&cost),
            None => {
                let mut t = CostTotals::default();
                t.add(&cost);
                per.push((p.service_id.clone(), t));
            }
        }
    }
    (per, all)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn fee(id: &str, home: &str, bed: BedType, pence: i64, from: Date) -> CareHomeFee {
        CareHomeFee { id: id.into(), service_id: home.into(), bed_type: bed, weekly_pence: pence, effective_from: from }
    }
    fn fnc(pence: i64, from: Date) -> FncRate {
        FncRate { id: format!("fnc{pence}"), weekly_pence: pence, effective_from: from }
    }
    fn placement(bed: BedType, funding: FundingBasis, contribution: i64, top_up: i64) -> CareHomePlacement {
        CareHomePlacement {
            id: "p".into(),
            case_ref: "AB123".into(),
            service_id: "h1".into(),
            bed_type: bed,
            start_date: date(2024, 6, 1),
            end_date: None,
            funding,
            contribution_pence: contribution,
            top_up_pence: top_up,
            top_up_payer: (top_up > 0).then_some(TopUpPayer::SonOrDaughter),
        }
    }
    fn nursing_home() -> HomeFacts {
        HomeFacts { name: "Oak House".into(), kind: ServiceKind::CareHomeNursing }
    }
    fn residential_home() -> HomeFacts {
        HomeFacts { name: "Elm Lodge".into(), kind: ServiceKind::CareHomeResidential }
    }
    fn fields(e: FieldErrors) -> Vec<String> {
        e.0.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn the_fee_in_force_is_the_latest_version_on_or_before_the_date() {
        let fees = vec![
            fee("a", "h1", BedType::Nursing, 98_500, date(2024, 4, 1)),
            fee("b", "h1", BedType::Nursing, 104_250, date(2025, 4, 1)),
            fee("c", "h1", BedType::Residential, 80_000, date(2024, 4, 1)),
            fee("d", "h2", BedType::Nursing, 120_000, date(2024, 4, 1)),
        ];
        assert_eq!(fee_in_force(&fees, "h1", BedType::Nursing, date(2024, 3, 31)), None);
        assert_eq!(fee_in_force(&fees, "h1", BedType::Nursing, date(2024, 4, 1)).map(|f| f.id.as_str()), Some("a"));
        assert_eq!(fee_in_force(&fees, "h1", BedType::Nursing, date(2025, 3, 31)).map(|f| f.id.as_str()), Some("a"));
        assert_eq!(fee_in_force(&fees, "h1", BedType::Nursing, date(2025, 4, 1)).map(|f| f.id.as_str()), Some("b"));
        assert_eq!(fee_in_force(&fees, "h1", BedType::NursingDementia, date(2025, 4, 1)), None);
        let rates = vec![fnc(23_588, date(2024, 4, 1)), fnc(25_406, date(2025, 4, 1))];
        assert_eq!(fnc_in_force(&rates, date(2025, 3, 31)).map(|r| r.weekly_pence), Some(23_588));
        assert_eq!(fnc_in_force(&rates, date(2025, 4, 1)).map(|r| r.weekly_pence), Some(25_406));
        assert_eq!(fnc_in_force(&rates, date(2024, 1, 1)), None);
    }

    #[test]
    fn fnc_is_deducted_only_from_nursing_placements() {
        let (nursing_fee, residential_fee, fnc_rate) = (104_250, 82_000, 25_406);
        let fees = vec![
            fee("n", "h1", BedType::Nursing, nursing_fee, date(2025, 4, 1)),
            fee("nd", "h1", BedType::NursingDementia, nursing_fee + 5_000, date(2025, 4, 1)),
            fee("r", "h1", BedType::Residential, residential_fee, date(2025, 4, 1)),
        ];
        let rates = vec![fnc(fnc_rate, date(2025, 4, 1))];
        let on = date(2025, 6, 1);
        let c = weekly_cost(&placement(BedType::Nursing, FundingBasis::Gross, 0, 0), &fees, &rates, on).expect("cost");
        assert_eq!((c.gross_pence, c.fnc_pence, c.council_pence), (nursing_fee, fnc_rate, nursing_fee - fnc_rate));
        let c = weekly_cost(&placement(BedType::NursingDementia, FundingBasis::Gross, 0, 0), &fees, &rates, on).expect("cost");
        assert_eq!(c.council_pence, nursing_fee + 5_000 - fnc_rate);
        let c = weekly_cost(&placement(BedType::Residential, FundingBasis::Gross, 0, 0), &fees, &rates, on).expect("cost");
        assert_eq!((c.fnc_pence, c.council_pence, c.fnc), (0, residential_fee, None));
        // A nursing placement with no FNC rate that day has no cost, rather than a wrong one.
        assert_eq!(weekly_cost(&placement(BedType::Nursing, FundingBasis::Gross, 0, 0), &fees, &[], on), Err(CostGap::NoFnc));
        assert_eq!(
            weekly_cost(&placement(BedType::Nursing, FundingBasis::Gross, 0, 0), &fees, &rates, date(2025, 3, 1)),
            Err(CostGap::NoFee)
        );
    }

    #[test]
    fn net_deducts_the_contribution_gross_does_not_and_a_top_up_is_never_a_council_cost() {
        let (gross, fnc_rate, contribution, top_up) = (98_500, 23_588, 21_045, 5_000);
        let fees = vec![fee("n", "h1", BedType::Nursing, gross, date(2024, 4, 1))];
        let rates = vec![fnc(fnc_rate, date(2024, 4, 1))];
        let on = date(2024, 9, 30);
        let net = weekly_cost(&placement(BedType::Nursing, FundingBasis::Net, contribution, top_up), &fees, &rates, on).expect("net");
        assert_eq!(net.contribution_pence, contribution);
        assert_eq!(net.council_pence, gross - fnc_rate - contribution);
        assert_eq!(net.top_up_pence, top_up);
        // The same person paid gross: the contribution is not deducted here.
        let gross_p = weekly_cost(&placement(BedType::Nursing, FundingBasis::Gross, contribution, 0), &fees, &rates, on).expect("gross");
        assert_eq!((gross_p.contribution_pence, gross_p.council_pence), (0, gross - fnc_rate));
        // A contribution above the fee less FNC: the council pays nothing, and says so.
        let big = weekly_cost(&placement(BedType::Nursing, FundingBasis::Net, gross, 0), &fees, &rates, on).expect("big");
        assert_eq!((big.council_pence, big.contribution_covers_fee), (0, true));
    }

    #[test]
    fn totals_per_home_count_only_placements_active_on_the_date() {
        let fees = vec![
            fee("a", "h1", BedType::Residential, 80_000, date(2024, 4, 1)),
            fee("b", "h2", BedType::Residential, 90_000, date(2024, 4, 1)),
        ];
        let mut p1 = placement(BedType::Residential, FundingBasis::Net, 20_000, 0);
        let mut p2 = placement(BedType::Residential, FundingBasis::Gross, 0, 3_000);
        p2.service_id = "h2".into();
        let mut p3 = placement(BedType::Residential, FundingBasis::Gross, 0, 0);
        p3.end_date = Some(date(2024, 7, 31));
        let mut p4 = placement(BedType::ResidentialDementia, FundingBasis::Gross, 0, 0);
        p1.id = "1".into();
        p4.start_date = date(2024, 8, 1);
        let on = date(2024, 8, 1);
        let (per, all) = totals_by_home(&[p1, p2, p3, p4], &fees, &[], on);
        // p3 ended the day before; p4 starts that day but h1 has no dementia fee.
        assert_eq!(all.placements, 3);
        assert_eq!(all.without_cost, 1);
        assert_eq!(all.gross_pence, 80_000 + 90_000);
        assert_eq!(all.council_pence, (80_000 - 20_000) + 90_000);
        assert_eq!(all.top_up_pence, 3_000);
        assert_eq!(per.len(), 2);
        assert_eq!((per[0].0.as_str(), per[0].1.placements, per[0].1.council_pence), ("h1", 2, 80_000 - 20_000));
    }

    #[test]
    fn a_fee_is_for_a_care_home_with_nursing_for_nursing_beds_and_never_overlaps() {
        let good = CareHomeFeeDraft {
            service_id: Some("h1".into()),
            bed_type: Some(BedType::Nursing),
            weekly: "1,042.50".into(),
            effective_from: Some(date(2025, 4, 1)),
        };
        let f = good.check(Some(&nursing_home()), &[]).expect("valid");
        assert_eq!(f.weekly_pence, 104_250);
        let e = good.check(Some(&residential_home()), &[]).expect_err("no nursing");
        assert_eq!(fields(e.clone()), ["bed_type"]);
        assert!(e.0[0].message.starts_with("Elm Lodge is registered without nursing"), "{}", e.0[0].message);
        let home_care = HomeFacts { name: "Acme Home Care".into(), kind: ServiceKind::HomeCare };
        let e = good.check(Some(&home_care), &[]).expect_err("not a care home");
        assert_eq!(e.0[0].message, "Acme Home Care is home care, not a care home: choose a care home");
        for (bad, msg) in [("-5", "Weekly fee cannot be negative"), ("0", "Weekly fee must be more than £0"), ("", "Enter the weekly fee")]
        {
            let e = CareHomeFeeDraft { weekly: bad.into(), ..good.clone() }.check(Some(&nursing_home()), &[]).expect_err(bad);
            assert_eq!((e.0[0].field.as_str(), e.0[0].message.as_str()), ("weekly", msg));
        }
        let existing = vec![fee("x", "h1", BedType::Nursing, 99_000, date(2025, 4, 1))];
        let e = good.check(Some(&nursing_home()), &existing).expect_err("overlap");
        assert_eq!(fields(e.clone()), ["effective_from"]);
        assert!(e.0[0].message.contains("from 1 April 2025 (£990.00 a week)"), "{}", e.0[0].message);
        // Another bed type, or another date, is a new line or a new version.
        assert!(CareHomeFeeDraft { bed_type: Some(BedType::Residential), ..good.clone() }.check(Some(&nursing_home()), &existing).is_ok());
        let e = CareHomeFeeDraft::default().check(None, &[]).expect_err("empty");
        assert_eq!(fields(e), ["service_id", "bed_type", "weekly", "effective_from"]);
    }

    #[test]
    fn fnc_rates_are_versions() {
        let existing = vec![fnc(23_588, date(2024, 4, 1))];
        let r = FncDraft { weekly: "254.06".into(), effective_from: Some(date(2025, 4, 1)) }.check(&existing).expect("valid");
        assert_eq!(r.weekly_pence, 25_406);
        let e = FncDraft { weekly: "240".into(), effective_from: Some(date(2024, 4, 1)) }.check(&existing).expect_err("overlap");
        assert_eq!(fields(e), ["effective_from"]);
        let e = FncDraft { weekly: "-1".into(), effective_from: None }.check(&[]).expect_err("bad");
        assert_eq!(fields(e), ["weekly", "effective_from"]);
    }

    #[test]
    fn a_placement_is_a_case_reference_never_a_name() {
        let good = PlacementDraft {
            case_ref: "ab-1234".into(),
            service_id: Some("h1".into()),
            bed_type: Some(BedType::Nursing),
            start_date: Some(date(2025, 5, 1)),
            end_date: None,
            funding: Some(FundingBasis::Net),
            contribution: "210.45".into(),
            top_up: "50".into(),
            top_up_payer: Some(TopUpPayer::SonOrDaughter),
        };
        let p = good.check(Some(&nursing_home())).expect("valid");
        assert_eq!((p.case_ref.as_str(), p.contribution_pence, p.top_up_pence), ("AB-1234", 21_045, 5_000));
        let e = PlacementDraft { case_ref: "Mary Smith".into(), ..good.clone() }.check(Some(&nursing_home())).expect_err("name");
        assert_eq!(fields(e), ["case_ref"]);
        let e = PlacementDraft { top_up_payer: None, ..good.clone() }.check(Some(&nursing_home())).expect_err("payer");
        assert_eq!(fields(e), ["top_up_payer"]);
        let e = PlacementDraft { funding: Some(FundingBasis::Gross), ..good.clone() }.check(Some(&nursing_home())).expect_err("gross");
        assert_eq!(fields(e), ["contribution"]);
        let e = PlacementDraft { contribution: String::new(), ..good.clone() }.check(Some(&nursing_home())).expect_err("net");
        assert_eq!(fields(e), ["contribution"]);
        let e = PlacementDraft { end_date: Some(date(2025, 4, 30)), ..good.clone() }.check(Some(&residential_home())).expect_err("two");
        assert_eq!(fields(e), ["bed_type", "end_date"]);
        // No top-up: no payer kept.
        let p = PlacementDraft { top_up: String::new(), ..good.clone() }.check(Some(&nursing_home())).expect("valid");
        assert_eq!((p.top_up_pence, p.top_up_payer), (0, None));
    }
}
