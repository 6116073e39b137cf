//! Committees, their meetings, and the items of their work programme and forward plan (`004`,
//! "Work Programme": Meeting Date, Item, Recommendations / Actions, Progress; "Forward Plan
//! Items (suggested)": Topic, Detail, Proposed Date). An item has the officer who brings it and
//! the paper; the paper may be a page caremarket generates (the quarterly report, a scrutiny
//! progress update), linked by its path, or a document elsewhere.
//!
//! A committee paper's cover sheet holds what councils' templates ask (`001` and `003`'s cover
//! sheets): has an Equality Impact Assessment been undertaken and its reference number ("2412",
//! "207"); does the report contain exempt information under Schedule 12A of the Local
//! Government Act 1972 (which paragraph, which part); is it a key decision, and why
//! ("Expenditure and/or savings over £500,000", "Affects 2 or more Wards").
//!
//! An options appraisal (`001` §1.7.3–1.7.6) is kept with the item whose decision it informed:
//! each option with its outcome (preferred, rejected, or neither: `001`'s option 2 was neither
//! rejected with options 1, 3 and 4 nor preferred like option 5) and its core reason.

use super::delivery_plan::{ByWhen, MAX_NARRATIVE, MAX_SHORT};
use crate::{Date, FieldErrors};
use serde::Serialize;

fn short(errors: &mut FieldErrors, field: &str, label: &str, value: &str, required: bool) -> String {
    let v = value.trim();
    if required && v.is_empty() {
        errors.add(field, format!("Enter the {}", label.to_lowercase()));
    } else if v.chars().count() > MAX_SHORT {
        errors.add(field, format!("{label} must be {MAX_SHORT} characters or fewer"));
    }
    v.to_string()
}

fn narrative(errors: &mut FieldErrors, field: &str, label: &str, value: &str, required: bool) -> String {
    let v = value.trim();
    if required && v.is_empty() {
        errors.add(field, format!("Enter the {}", label.to_lowercase()));
    } else if v.chars().count() > MAX_NARRATIVE {
        errors.add(field, format!("{label} must be {MAX_NARRATIVE} characters or fewer"));
    }
    v.to_string()
}

/// A yes/no question of the cover sheet: `None` until answered.
fn yes_no(errors: &mut FieldErrors, field: &str, value: &str) -> Option<bool> {
    match value.trim() {
        "yes" => Some(true),
        "no" => Some(false),
        "" => None,
        _ => {
            errors.add(field, "Select yes or no");
            None
        }
    }
}

/// A committee (a scrutiny commission, a policy committee, Cabinet).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewCommittee {
    pub name: String,
    pub remit: String,
}

impl NewCommittee {
    pub fn parse(name: &str, remit: &str) -> Result<NewCommittee, FieldErrors> {
        let mut e = FieldErrors::new();
        let c = NewCommittee {
            name: short(&mut e, "name", "Name of the committee", name, true),
            remit: narrative(&mut e, "remit", "Remit", remit, false),
        };
        e.into_result(c)
    }
}

/// A meeting of a committee. Meetings to come are the forward plan's dates, so any date is
/// allowed; the time is as written ("5:30 pm").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewMeeting {
    pub meets_on: Date,
    pub starts_at: String,
    pub place: String,
}

impl NewMeeting {
    pub fn parse(meets_on: Option<Date>, starts_at: &str, place: &str) -> Result<NewMeeting, FieldErrors> {
        let mut e = FieldErrors::new();
        if meets_on.is_none() {
            e.add("meets_on", "Enter the date of the meeting");
        }
        let starts_at = short(&mut e, "starts_at", "Time", starts_at, false);
        let place = short(&mut e, "place", "Place", place, false);
        match meets_on {
            Some(meets_on) => e.into_result(NewMeeting { meets_on, starts_at, place }),
            None => Err(e),
        }
    }
}

/// Where a committee paper is: a page of caremarket (a path such as
/// `/reports/quarterly?as_at=2024-12-31`) or a document elsewhere (an `https://` address).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "url", rename_all = "snake_case")]
pub enum PaperLink {
    Internal(String),
    External(String),
}

impl PaperLink {
    /// The address as typed. Only a path of this site (one leading `/`) or an `http(s)://`
    /// address is a link: anything else (`javascript:`, `//elsewhere`, spaces) is refused, so a
    /// stored link can never run script when followed.
    pub fn parse(url: &str) -> Result<Option<PaperLink>, String> {
        let u = url.trim();
        if u.is_empty() {
            return Ok(None);
        }
        let refuse = || {
            Err("The paper's link must be a caremarket page starting with / (for example /reports/quarterly?as_at=2024-12-31) or a web address starting with https://".to_string())
        };
        if u.chars().count() > MAX_SHORT * 3
            || u.chars().any(|c| c.is_whitespace() || c.is_control() || c == '\\' || c == '"' || c == '<' || c == '>')
        {
            return refuse();
        }
        if u.starts_with('/') && !u.starts_with("//") {
            return Ok(Some(PaperLink::Internal(u.to_string())));
        }
        let lower = u.to_ascii_lowercase();
        for scheme in ["https://", "http://"] {
            if let Some(rest) = lower.strip_prefix(scheme)
                && rest.split(['/', '?', '#']).next().is_some_and(|host| host.contains('.') || host.starts_with("localhost"))
            {
                return Ok(Some(PaperLink::External(u.to_string())));
            }
        }
        refuse()
    }

    pub fn url(&self) -> &str {
        match self {
            PaperLink::Internal(u) | PaperLink::External(u) => u,
        }
    }

    pub fn is_internal(&self) -> bool {
        matches!(self, PaperLink::Internal(_))
    }

    /// The page's path without its query: `/reports/quarterly`.
    pub fn path(&self) -> Option<&str> {
        match self {
            PaperLink::Internal(u) => u.split(['?', '#']).next(),
            PaperLink::External(_) => None,
        }
    }
}

/// Why a decision is a key decision, as `003`'s cover sheet lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyDecisionReason {
    Expenditure,
    AffectsWards,
}

impl KeyDecisionReason {
    pub const ALL: [KeyDecisionReason; 2] = [KeyDecisionReason::Expenditure, KeyDecisionReason::AffectsWards];

    pub fn as_str(self) -> &'static str {
        match self {
            KeyDecisionReason::Expenditure => "expenditure",
            KeyDecisionReason::AffectsWards => "affects_wards",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            KeyDecisionReason::Expenditure => "Expenditure and/or savings over the council's key decision threshold",
            KeyDecisionReason::AffectsWards => "Affects 2 or more wards",
        }
    }

    pub fn parse(s: &str) -> Option<KeyDecisionReason> {
        KeyDecisionReason::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }

    /// Stored as comma-separated codes.
    pub fn join(reasons: &[KeyDecisionReason]) -> String {
        reasons.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(",")
    }

    /// Stored codes back; the code that is not one of ours when there is one.
    pub fn split(s: &str) -> Result<Vec<KeyDecisionReason>, String> {
        s.split(',').filter(|c| !c.trim().is_empty()).map(|c| KeyDecisionReason::parse(c).ok_or_else(|| c.to_string())).collect()
    }
}

/// The paragraphs of Schedule 12A Part 1 (Local Government Act 1972), 1 to 7.
pub const SCHEDULE_12A_PARAGRAPHS: [(u8, &str); 7] = [
    (1, "Information relating to any individual"),
    (2, "Information which is likely to reveal the identity of an individual"),
    (3, "Information relating to the financial or business affairs of any particular person (including the authority)"),
    (4, "Consultations or negotiations in connection with any labour relations matter"),
    (5, "Information in respect of which a claim to legal professional privilege could be maintained"),
    (6, "Information revealing that the authority proposes to give a notice or make an order or direction"),
    (7, "Information relating to the prevention, investigation or prosecution of crime"),
];

/// What a committee paper's cover sheet says (`001`, `003`). Each question is `None` until
/// answered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CoverSheet {
    pub eia_undertaken: Option<bool>,
    /// The EIA reference number ("2412"), when one was undertaken.
    pub eia_reference: String,
    pub exempt: Option<bool>,
    /// The paragraph of Schedule 12A, when the paper holds exempt information.
    pub exempt_paragraph: Option<u8>,
    /// Whether the exemption covers the full report, part of it or the appendices.
    pub exempt_detail: String,
    pub key_decision: Option<bool>,
    pub key_decision_reasons: Vec<KeyDecisionReason>,
}

impl CoverSheet {
    /// The answers as a form has them: "yes", "no" or "" for each question; the exempt
    /// paragraph's number; the key decision's reason codes. Follow-up answers are required
    /// when the question is answered yes, and dropped when it is answered no.
    pub fn parse(
        eia: &str,
        eia_reference: &str,
        exempt: &str,
        exempt_paragraph: &str,
        exempt_detail: &str,
        key_decision: &str,
        reasons: &[&str],
    ) -> Result<CoverSheet, FieldErrors> {
        let mut e = FieldErrors::new();
        let eia_undertaken = yes_no(&mut e, "eia", eia);
        let mut eia_reference = short(&mut e, "eia_reference", "EIA reference number", eia_reference, false);
        match eia_undertaken {
            Some(true) if eia_reference.is_empty() => e.add("eia_reference", "Enter the EIA reference number"),
            Some(true) => {}
            _ => eia_reference.clear(),
        }
        let exempt_answer = yes_no(&mut e, "exempt", exempt);
        let mut exempt_detail = narrative(&mut e, "exempt_detail", "Which part is exempt", exempt_detail, false);
        let mut paragraph = None;
        if exempt_answer == Some(true) {
            match exempt_paragraph.trim().parse::<u8>() {
                Ok(p) if SCHEDULE_12A_PARAGRAPHS.iter().any(|(n, _)| *n == p) => paragraph = Some(p),
                _ => e.add("exempt_paragraph", "Select the paragraph of Schedule 12A the exempt information falls under"),
            }
        } else {
            exempt_detail.clear();
        }
        let key = yes_no(&mut e, "key_decision", key_decision);
        let mut key_decision_reasons = Vec::new();
        if key == Some(true) {
            for r in reasons.iter().filter(|r| !r.trim().is_empty()) {
                match KeyDecisionReason::parse(r) {
                    Some(k) if !key_decision_reasons.contains(&k) => key_decision_reasons.push(k),
                    Some(_) => {}
                    None => e.add("key_decision_reasons", "Select the reasons it is a key decision from the list"),
                }
            }
            if key_decision_reasons.is_empty() {
                e.add("key_decision_reasons", "Select why it is a key decision");
            }
        }
        e.into_result(CoverSheet {
            eia_undertaken,
            eia_reference,
            exempt: exempt_answer,
            exempt_paragraph: paragraph,
            exempt_detail,
            key_decision: key,
            key_decision_reasons,
        })
    }

    /// The questions not yet answered, in the cover sheet's order.
    pub fn unanswered(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.eia_undertaken.is_none() {
            out.push("Equality Impact Assessment");
        }
        if self.exempt.is_none() {
            out.push("exempt information (Schedule 12A)");
        }
        if self.key_decision.is_none() {
            out.push("key decision");
        }
        out
    }

    /// Whether the paper can be published: not when it holds exempt information.
    pub fn is_exempt(&self) -> bool {
        self.exempt == Some(true)
    }
}

/// An item of a committee's work programme: at a meeting, or on the forward plan with a
/// proposed date as written (`004`: "5 October 2023", or blank).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewItem {
    pub meeting_id: Option<String>,
    pub title: String,
    pub detail: String,
    pub officer: String,
    pub proposed: ByWhen,
    pub paper_title: String,
    pub paper: Option<PaperLink>,
    pub recommendations: String,
    pub progress: String,
    pub cover: CoverSheet,
}

/// An item's words as a form has them.
#[derive(Debug, Clone, Default)]
pub struct ItemFields<'a> {
    pub meeting_id: &'a str,
    pub title: &'a str,
    pub detail: &'a str,
    pub officer: &'a str,
    pub proposed: &'a str,
    pub paper_title: &'a str,
    pub paper_url: &'a str,
    pub recommendations: &'a str,
    pub progress: &'a str,
}

impl NewItem {
    /// `meetings`: the ids of the committee's meetings (an item is at one of them or on the
    /// forward plan).
    pub fn parse(f: &ItemFields<'_>, cover: Result<CoverSheet, FieldErrors>, meetings: &[&str]) -> Result<NewItem, FieldErrors> {
        let mut e = FieldErrors::new();
        let meeting_id = match f.meeting_id.trim() {
            "" => None,
            m if meetings.contains(&m) => Some(m.to_string()),
            _ => {
                e.add("meeting_id", "Select one of the committee's meetings, or the forward plan");
                None
            }
        };
        let title = short(&mut e, "title", "Item", f.title, true);
        let detail = narrative(&mut e, "detail", "Detail", f.detail, false);
        let officer = short(&mut e, "officer", "Officer", f.officer, false);
        let proposed = short(&mut e, "proposed", "Proposed date", f.proposed, false);
        let paper_title = short(&mut e, "paper_title", "Paper", f.paper_title, false);
        let paper = match PaperLink::parse(f.paper_url) {
            Ok(p) => p,
            Err(m) => {
                e.add("paper_url", m);
                None
            }
        };
        if paper.is_some() && paper_title.is_empty() {
            e.add("paper_title", "Enter the title of the paper the link is to");
        }
        let recommendations = narrative(&mut e, "recommendations", "Recommendations / actions", f.recommendations, false);
        let progress = narrative(&mut e, "progress", "Progress", f.progress, false);
        let cover = match cover {
            Ok(c) => c,
            Err(errs) => {
                for x in errs.0 {
                    e.add(x.field, x.message);
                }
                CoverSheet::default()
            }
        };
        e.into_result(NewItem {
            meeting_id,
            title,
            detail,
            officer,
            proposed: ByWhen::parse(&proposed),
            paper_title,
            paper,
            recommendations,
            progress,
            cover,
        })
    }
}

/// What an options appraisal concluded about one option (`001` §1.7.3 "Outcome").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OptionOutcome {
    Preferred,
    Rejected,
    /// Neither rejected nor preferred: `001`'s option 2, one of "the remaining 2 options"
    /// weighed against the preferred one.
    Neither,
}

impl OptionOutcome {
    pub const ALL: [OptionOutcome; 3] = [OptionOutcome::Preferred, OptionOutcome::Rejected, OptionOutcome::Neither];

    pub fn as_str(self) -> &'static str {
        match self {
            OptionOutcome::Preferred => "preferred",
            OptionOutcome::Rejected => "rejected",
            OptionOutcome::Neither => "neither",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            OptionOutcome::Preferred => "Preferred",
            OptionOutcome::Rejected => "Rejected",
            OptionOutcome::Neither => "Neither preferred nor rejected",
        }
    }

    pub fn parse(s: &str) -> Option<OptionOutcome> {
        OptionOutcome::ALL.into_iter().find(|o| o.as_str() == s.trim())
    }
}

/// One option of an appraisal, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewOption {
    pub option: String,
    pub outcome: OptionOutcome,
    pub core_reason: String,
}

impl NewOption {
    /// `other_preferred`: the text of another option of the same appraisal already preferred
    /// (one option is preferred, as `001` recommends one). A rejected option states its core
    /// reason (`001`: "Not legally compliant").
    pub fn parse(option: &str, outcome: &str, core_reason: &str, other_preferred: Option<&str>) -> Result<NewOption, FieldErrors> {
        let mut e = FieldErrors::new();
        let option = narrative(&mut e, "option", "Option", option, true);
        let outcome = match OptionOutcome::parse(outcome) {
            Some(o) => Some(o),
            None => {
                e.add("outcome", "Select the outcome: preferred, rejected, or neither");
                None
            }
        };
        let core_reason = narrative(&mut e, "core_reason", "Core reason", core_reason, outcome == Some(OptionOutcome::Rejected));
        if outcome == Some(OptionOutcome::Preferred)
            && let Some(other) = other_preferred
        {
            let other: String =
                if other.chars().count() > 120 { format!("{}…", other.chars().take(119).collect::<String>()) } else { other.to_string() };
            e.add("outcome", format!("Only one option can be preferred, and “{other}” already is: change that option first"));
        }
        match outcome {
            Some(outcome) => e.into_result(NewOption { option, outcome, core_reason }),
            None => Err(e),
        }
    }
}

/// An option as kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppraisedOption {
    pub id: String,
    pub position: i64,
    pub option: String,
    pub outcome: OptionOutcome,
    pub core_reason: String,
}

/// How many options an appraisal has with each outcome, in the list's order, leaving out none.
pub fn outcome_counts(options: &[AppraisedOption]) -> Vec<(OptionOutcome, usize)> {
    OptionOutcome::ALL.into_iter().map(|o| (o, options.iter().filter(|x| x.outcome == o).count())).filter(|(_, n)| *n > 0).collect()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Committee {
    pub id: String,
    pub name: String,
    pub remit: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Meeting {
    pub id: String,
    pub committee_id: String,
    pub meets_on: Date,
    pub starts_at: String,
    pub place: String,
}

/// An item as kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Item {
    pub id: String,
    pub committee_id: String,
    pub meeting_id: Option<String>,
    pub position: i64,
    pub title: String,
    pub detail: String,
    pub officer: String,
    pub proposed: ByWhen,
    pub paper_title: String,
    pub paper: Option<PaperLink>,
    pub recommendations: String,
    pub progress: String,
    pub cover: CoverSheet,
    pub options: Vec<AppraisedOption>,
    pub updated_at: String,
}

/// A meeting with its items, in their order.
pub type MeetingItems = (Meeting, Vec<Item>);

/// A committee's work programme: its meetings, each with its items, and the forward plan (items
/// at no meeting yet), ordered by the proposed date they name (undated last, in the order added).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkProgramme {
    pub committee: Committee,
    pub meetings: Vec<MeetingItems>,
    pub forward_plan: Vec<Item>,
}

impl WorkProgramme {
    /// Gather a committee's meetings and items: meetings by date, items by position.
    pub fn gather(committee: Committee, mut meetings: Vec<Meeting>, mut items: Vec<Item>) -> WorkProgramme {
        meetings.sort_by(|a, b| (a.meets_on, &a.id).cmp(&(b.meets_on, &b.id)));
        items.sort_by_key(|i| i.position);
        let mut forward: Vec<Item> = Vec::new();
        let mut at: Vec<MeetingItems> = meetings.into_iter().map(|m| (m, Vec::new())).collect();
        for item in items {
            match item.meeting_id.as_deref().and_then(|mid| at.iter_mut().find(|(m, _)| m.id == mid)) {
                Some((_, list)) => list.push(item),
                None => forward.push(item),
            }
        }
        forward.sort_by_key(|i| (i.proposed.date.is_none(), i.proposed.date, i.position));
        WorkProgramme { committee, meetings: at, forward_plan: forward }
    }

    /// Meetings on or after `today` (the forward plan's dates) and before it (the record).
    pub fn split_at(&self, today: Date) -> (Vec<&MeetingItems>, Vec<&MeetingItems>) {
        self.meetings.iter().partition(|(m, _)| m.meets_on >= today)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i16, m: i8, dd: i8) -> Date {
        Date::new(y, m, dd).unwrap()
    }

    #[test]
    fn a_paper_links_to_a_caremarket_page_or_a_web_address_only() {
        assert_eq!(PaperLink::parse(""), Ok(None));
        let internal = PaperLink::parse(" /reports/quarterly?as_at=2024-12-31 ").unwrap().unwrap();
        assert!(internal.is_internal());
        assert_eq!(internal.path(), Some("/reports/quarterly"));
        assert_eq!(internal.url(), "/reports/quarterly?as_at=2024-12-31");
        let external = PaperLink::parse("https://democracy.sheffield.gov.uk/documents/s65432/report.pdf").unwrap().unwrap();
        assert!(!external.is_internal());
        for bad in
            ["javascript:alert(1)", "//evil.example/x", "/a b", "ftp://x.y/z", "https://", "www.leicester.gov.uk", "/x\"onmouseover=1"]
        {
            assert!(PaperLink::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_cover_sheet_asks_for_follow_up_answers_only_when_yes() {
        // `001`'s cover sheet: EIA 2412, no exempt information; `003`'s: a key decision on expenditure.
        let c = CoverSheet::parse("yes", "2412", "no", "", "ignored", "no", &[]).unwrap();
        assert_eq!((c.eia_undertaken, c.eia_reference.as_str(), c.exempt, c.exempt_detail.as_str()), (Some(true), "2412", Some(false), ""));
        assert!(c.unanswered().is_empty());
        let c = CoverSheet::parse("yes", "207", "no", "", "", "yes", &["expenditure"]).unwrap();
        assert_eq!(c.key_decision_reasons, [KeyDecisionReason::Expenditure]);
        let c = CoverSheet::parse("", "", "", "", "", "", &[]).unwrap();
        assert_eq!(c.unanswered().len(), 3);
        let err = CoverSheet::parse("yes", " ", "yes", "9", "", "yes", &[]).unwrap_err();
        let fields: Vec<&str> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["eia_reference", "exempt_paragraph", "key_decision_reasons"]);
        let c = CoverSheet::parse("no", "2412", "yes", "3", "Appendix 2 only", "no", &[]).unwrap();
        assert_eq!((c.eia_reference.as_str(), c.exempt_paragraph, c.is_exempt()), ("", Some(3), true));
        assert!(CoverSheet::parse("maybe", "", "", "", "", "", &[]).is_err());
        assert_eq!(KeyDecisionReason::split(&KeyDecisionReason::join(&KeyDecisionReason::ALL)), Ok(KeyDecisionReason::ALL.to_vec()));
        assert_eq!(KeyDecisionReason::split("expenditure,bribes"), Err("bribes".to_string()));
    }

    #[test]
    fn an_item_is_at_a_meeting_of_its_committee_or_on_the_forward_plan() {
        let meetings = ["m1", "m2"];
        let f = ItemFields {
            title: "Assured Plans and Market Sustainability, including fair cost of care",
            proposed: "5 October 2023",
            ..Default::default()
        };
        let item = NewItem::parse(&f, Ok(CoverSheet::default()), &meetings).unwrap();
        assert_eq!((item.meeting_id, item.proposed.date), (None, Some(d(2023, 10, 5))));
        let f = ItemFields { meeting_id: "m9", title: " ", paper_url: "javascript:x", ..Default::default() };
        let err = NewItem::parse(&f, CoverSheet::parse("yes", "", "", "", "", "", &[]), &meetings).unwrap_err();
        let fields: Vec<&str> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["meeting_id", "title", "paper_url", "eia_reference"]);
        let f = ItemFields { meeting_id: "m2", title: "Quarterly report", paper_url: "/reports/quarterly", ..Default::default() };
        let err = NewItem::parse(&f, Ok(CoverSheet::default()), &meetings).unwrap_err();
        assert_eq!(err.0[0].message, "Enter the title of the paper the link is to");
    }

    fn opt(id: &str, outcome: OptionOutcome) -> AppraisedOption {
        AppraisedOption { id: id.into(), position: 0, option: id.into(), outcome, core_reason: String::new() }
    }

    #[test]
    fn the_seed_appraisal_has_one_preferred_three_rejected_and_one_neither() {
        // `001` §1.7.3–1.7.6: options 1, 3, 4 rejected; 5 preferred; 2 neither.
        let outcomes = ["rejected", "neither", "rejected", "rejected", "preferred"];
        let mut kept: Vec<AppraisedOption> = Vec::new();
        for (i, o) in outcomes.iter().enumerate() {
            let preferred = kept.iter().find(|k| k.outcome == OptionOutcome::Preferred).map(|k| k.option.clone());
            let reason = if *o == "rejected" { "Not legally compliant" } else { "" };
            let n = NewOption::parse(&format!("Option {}", i + 1), o, reason, preferred.as_deref()).unwrap();
            kept.push(opt(&n.option, n.outcome));
        }
        let want: Vec<(OptionOutcome, usize)> =
            OptionOutcome::ALL.into_iter().map(|o| (o, outcomes.iter().filter(|x| **x == o.as_str()).count())).collect();
        assert_eq!(outcome_counts(&kept), want);
        assert_eq!(outcome_counts(&kept), [(OptionOutcome::Preferred, 1), (OptionOutcome::Rejected, 3), (OptionOutcome::Neither, 1)]);
    }

    #[test]
    fn an_option_is_checked() {
        let err = NewOption::parse("Option 1: Do Nothing", "rejected", " ", None).unwrap_err();
        assert_eq!(err.0[0].field, "core_reason");
        let err = NewOption::parse("", "best", "", None).unwrap_err();
        let fields: Vec<&str> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["option", "outcome"]);
        let err = NewOption::parse("Option 2", "preferred", "", Some("Option 5: in-house")).unwrap_err();
        assert!(err.0[0].message.contains("“Option 5: in-house” already is"));
        assert!(NewOption::parse("Option 2", "neither", "", Some("Option 5")).is_ok());
    }

    #[test]
    fn a_work_programme_gathers_meetings_and_the_forward_plan() {
        let committee = Committee { id: "c".into(), name: "Adult Social Care Scrutiny Commission".into(), remit: String::new() };
        let meeting = |id: &str, on| Meeting {
            id: id.into(),
            committee_id: "c".into(),
            meets_on: on,
            starts_at: String::new(),
            place: String::new(),
        };
        let item = |id: &str, meeting: Option<&str>, position, proposed: &str| Item {
            id: id.into(),
            committee_id: "c".into(),
            meeting_id: meeting.map(str::to_string),
            position,
            title: id.into(),
            detail: String::new(),
            officer: String::new(),
            proposed: ByWhen::parse(proposed),
            paper_title: String::new(),
            paper: None,
            recommendations: String::new(),
            progress: String::new(),
            cover: CoverSheet::default(),
            options: vec![],
            updated_at: String::new(),
        };
        let wp = WorkProgramme::gather(
            committee,
            vec![meeting("m2", d(2023, 11, 30)), meeting("m1", d(2023, 8, 24))],
            vec![
                item("carers", None, 1, ""),
                item("domiciliary", Some("m1"), 2, ""),
                item("budget", Some("m2"), 3, ""),
                item("cost of care", None, 4, "5 October 2023"),
                item("quality", Some("m1"), 5, ""),
            ],
        );
        let at: Vec<(&str, Vec<&str>)> =
            wp.meetings.iter().map(|(m, is)| (m.id.as_str(), is.iter().map(|i| i.id.as_str()).collect())).collect();
        assert_eq!(at, [("m1", vec!["domiciliary", "quality"]), ("m2", vec!["budget"])]);
        let fp: Vec<&str> = wp.forward_plan.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(fp, ["cost of care", "carers"]);
        let (coming, past) = wp.split_at(d(2023, 9, 1));
        assert_eq!((coming.len(), past.len()), (1, 1));
    }
}
