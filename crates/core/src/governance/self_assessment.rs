//! The CQC local authority assessment self-assessment (`004`, Appendix D "Our self assessment
//! March 2023"): the four themes and their nine quality statements, strengths and areas for
//! improvement per statement, each claim citing numbered evidence items ("(E15)") of an evidence
//! library, many to many: `004` cites E15 six times and E22 seven.
//!
//! The library's checks are `004`'s own slips: it cites E20 once as "D20", and it has no E83.
//! A citation keeps the reference as cited, so a claim citing an item the library does not hold
//! is saved and flagged ([`check`]), with items cited nowhere and statements with no evidence.

use super::delivery_plan::{MAX_NARRATIVE, MAX_SHORT};
use crate::{Date, FieldErrors};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// A quality statement of the framework (`data/governance/cqc_la_quality_statements.csv`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QualityStatement {
    pub number: i64,
    pub theme_number: i64,
    pub theme: String,
    pub title: String,
}

impl QualityStatement {
    /// A row of the statements file: `qs_no, theme_no, theme, quality_statement`.
    pub fn from_row(row: &[String]) -> Result<QualityStatement, String> {
        let [number, theme_number, theme, title] = row else {
            return Err(format!("a quality statement row has {} fields, not 4", row.len()));
        };
        let n = |s: &str, what: &str| s.trim().parse::<i64>().map_err(|_| format!("{what} '{s}' is not a number"));
        if theme.trim().is_empty() || title.trim().is_empty() {
            return Err("a quality statement row has a blank theme or statement".into());
        }
        Ok(QualityStatement {
            number: n(number, "qs_no")?,
            theme_number: n(theme_number, "theme_no")?,
            theme: theme.trim().to_string(),
            title: title.trim().to_string(),
        })
    }
}

/// A strength or an area for improvement (`004`: "Our strengths in this area are", "Our
/// priorities for improvement are").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimKind {
    Strength,
    AreaForImprovement,
}

impl ClaimKind {
    pub const ALL: [ClaimKind; 2] = [ClaimKind::Strength, ClaimKind::AreaForImprovement];

    pub fn as_str(self) -> &'static str {
        match self {
            ClaimKind::Strength => "strength",
            ClaimKind::AreaForImprovement => "area_for_improvement",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ClaimKind::Strength => "Strength",
            ClaimKind::AreaForImprovement => "Area for improvement",
        }
    }

    pub fn plural(self) -> &'static str {
        match self {
            ClaimKind::Strength => "Strengths",
            ClaimKind::AreaForImprovement => "Areas for improvement",
        }
    }

    pub fn parse(s: &str) -> Option<ClaimKind> {
        ClaimKind::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }
}

const SUPERSCRIPTS: &str = "⁰¹²³⁴⁵⁶⁷⁸⁹";

/// An evidence reference normalised: letters then digits, upper case, footnote marks dropped
/// ("e15" and "E25⁵" are "E15" and "E25"). `None` for anything else.
pub fn normalise_reference(s: &str) -> Option<String> {
    let t: String = s.trim().trim_matches(|c| c == '(' || c == ')' || c == '.').chars().filter(|c| !SUPERSCRIPTS.contains(*c)).collect();
    let letters: String = t.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
    let digits = &t[letters.len()..];
    if !(1..=3).contains(&letters.len()) || !(1..=5).contains(&digits.len()) || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    Some(format!("{}{n}", letters.to_ascii_uppercase()))
}

/// The references a claim cites, as typed ("E15, E22; e9"), normalised, each once, in order.
pub fn parse_citations(s: &str) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for word in s.split(|c: char| c == ',' || c == ';' || c.is_whitespace()).filter(|w| !w.trim().is_empty()) {
        match normalise_reference(word) {
            Some(r) if !out.contains(&r) => out.push(r),
            Some(_) => {}
            None => return Err(format!("Evidence references look like E15: “{}” is not one", word.chars().take(40).collect::<String>())),
        }
    }
    Ok(out)
}

/// References written into a claim's text in brackets, as `004` writes them: "(E13)",
/// "(E25⁵)", "(D20)". Each once, in order.
pub fn cited_in_text(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in text.split('(').skip(1) {
        let Some(inner) = part.split(')').next() else { continue };
        if inner.chars().count() > 12 {
            continue;
        }
        if let Some(r) = normalise_reference(inner)
            && !out.contains(&r)
        {
            out.push(r);
        }
    }
    out
}

/// A claim, checked: its kind, its text, and the references it cites (from the citations field
/// and from brackets in its text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewClaim {
    pub kind: ClaimKind,
    pub text: String,
    pub citations: Vec<String>,
}

impl NewClaim {
    pub fn parse(kind: &str, text: &str, citations: &str) -> Result<NewClaim, FieldErrors> {
        let mut e = FieldErrors::new();
        let kind = ClaimKind::parse(kind);
        if kind.is_none() {
            e.add("kind", "Select strength or area for improvement");
        }
        let t = text.trim();
        if t.is_empty() {
            e.add("text", "Enter the claim");
        } else if t.chars().count() > MAX_NARRATIVE {
            e.add("text", format!("The claim must be {MAX_NARRATIVE} characters or fewer"));
        }
        let mut cited = match parse_citations(citations) {
            Ok(c) => c,
            Err(m) => {
                e.add("citations", m);
                Vec::new()
            }
        };
        for r in cited_in_text(t) {
            if !cited.contains(&r) {
                cited.push(r);
            }
        }
        match kind {
            Some(kind) => e.into_result(NewClaim { kind, text: t.to_string(), citations: cited }),
            None => Err(e),
        }
    }
}

/// An item of the evidence library, checked. Its date cannot be after `today`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewEvidence {
    pub reference: String,
    pub title: String,
    pub owner: String,
    pub dated_on: Option<Date>,
    pub location: String,
}

impl NewEvidence {
    pub fn parse(
        reference: &str,
        title: &str,
        owner: &str,
        dated_on: Option<Date>,
        location: &str,
        today: Date,
    ) -> Result<NewEvidence, FieldErrors> {
        let mut e = FieldErrors::new();
        let reference = match reference.trim() {
            "" => {
                e.add("reference", "Enter the evidence reference, for example E20");
                String::new()
            }
            r => normalise_reference(r).unwrap_or_else(|| {
                e.add("reference", format!("Evidence references look like E20: “{}” is not one", r.chars().take(40).collect::<String>()));
                String::new()
            }),
        };
        let mut text = |field: &str, label: &str, v: &str, required: bool| {
            let v = v.trim();
            if required && v.is_empty() {
                e.add(field, format!("Enter the {}", label.to_lowercase()));
            } else if v.chars().count() > MAX_SHORT {
                e.add(field, format!("{label} must be {MAX_SHORT} characters or fewer"));
            }
            v.to_string()
        };
        let title = text("title", "Title", title, true);
        let owner = text("owner", "Owner", owner, false);
        let location = text("location", "Where it is kept", location, false);
        if dated_on.is_some_and(|d| d > today) {
            e.add("dated_on", "The date of the evidence must be today or in the past");
        }
        e.into_result(NewEvidence { reference, title, owner, dated_on, location })
    }
}

/// A self-assessment's title and the date it speaks for (not after `today`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewAssessment {
    pub title: String,
    pub dated_on: Date,
}

impl NewAssessment {
    pub fn parse(title: &str, dated_on: Option<Date>, today: Date) -> Result<NewAssessment, FieldErrors> {
        let mut e = FieldErrors::new();
        let t = title.trim();
        if t.is_empty() {
            e.add("title", "Enter the title of the self-assessment");
        } else if t.chars().count() > MAX_SHORT {
            e.add("title", format!("The title must be {MAX_SHORT} characters or fewer"));
        }
        match dated_on {
            None => e.add("dated_on", "Enter the date of the self-assessment"),
            Some(d) if d > today => e.add("dated_on", "The date of the self-assessment must be today or in the past"),
            Some(_) => {}
        }
        match dated_on {
            Some(dated_on) => e.into_result(NewAssessment { title: t.to_string(), dated_on }),
            None => Err(e),
        }
    }
}

/// A claim as kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Claim {
    pub id: String,
    pub statement_number: i64,
    pub kind: ClaimKind,
    pub text: String,
    pub citations: Vec<String>,
}

/// An evidence item as kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub id: String,
    pub reference: String,
    pub title: String,
    pub owner: String,
    pub dated_on: Option<Date>,
    pub location: String,
}

/// A citation of a reference the library does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MissingCitation {
    pub claim_id: String,
    pub statement_number: i64,
    pub reference: String,
}

/// What the evidence library's checks found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EvidenceChecks {
    /// How many claims cite each item of the library, by reference (0 for an item cited nowhere).
    pub cited_by: BTreeMap<String, usize>,
    /// Items of the library no claim cites, in reference order.
    pub cited_nowhere: Vec<String>,
    /// Citations of references the library does not hold, in claim order.
    pub missing: Vec<MissingCitation>,
    /// Statements none of whose claims cites an item the library holds, in number order.
    pub statements_without_evidence: Vec<i64>,
}

impl EvidenceChecks {
    pub fn problems(&self) -> usize {
        self.cited_nowhere.len() + self.missing.len() + self.statements_without_evidence.len()
    }
}

/// Sort references as people number them: E2 before E10.
pub fn reference_order(a: &str, b: &str) -> std::cmp::Ordering {
    let split = |s: &str| {
        let letters: String = s.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
        let n: u64 = s[letters.len()..].parse().unwrap_or(u64::MAX);
        (letters, n)
    };
    split(a).cmp(&split(b)).then_with(|| a.cmp(b))
}

/// The library's checks (`004`): every item cited by how many claims, items cited nowhere,
/// citations of items the library does not hold, and statements with no evidence (no claim, or
/// claims citing nothing the library holds).
pub fn check(statements: &[i64], claims: &[Claim], library: &[Evidence]) -> EvidenceChecks {
    let held: BTreeSet<&str> = library.iter().map(|e| e.reference.as_str()).collect();
    let mut cited_by: BTreeMap<String, usize> = library.iter().map(|e| (e.reference.clone(), 0)).collect();
    let mut missing = Vec::new();
    let mut evidenced: BTreeSet<i64> = BTreeSet::new();
    for c in claims {
        for r in &c.citations {
            if held.contains(r.as_str()) {
                *cited_by.entry(r.clone()).or_default() += 1;
                evidenced.insert(c.statement_number);
            } else {
                missing.push(MissingCitation { claim_id: c.id.clone(), statement_number: c.statement_number, reference: r.clone() });
            }
        }
    }
    let mut cited_nowhere: Vec<String> = cited_by.iter().filter(|(_, n)| **n == 0).map(|(r, _)| r.clone()).collect();
    cited_nowhere.sort_by(|a, b| reference_order(a, b));
    let mut without: Vec<i64> = statements.iter().copied().filter(|s| !evidenced.contains(s)).collect();
    without.sort();
    without.dedup();
    EvidenceChecks { cited_by, cited_nowhere, missing, statements_without_evidence: without }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_read_as_004_writes_them() {
        assert_eq!(normalise_reference("E15").as_deref(), Some("E15"));
        assert_eq!(normalise_reference(" e9 ").as_deref(), Some("E9"));
        assert_eq!(normalise_reference("E25⁵").as_deref(), Some("E25"));
        assert_eq!(normalise_reference("(D20)").as_deref(), Some("D20"));
        assert_eq!(normalise_reference("E020").as_deref(), Some("E20"));
        for bad in ["", "E", "20", "twenty", "E2x", "ABCD1"] {
            assert_eq!(normalise_reference(bad), None, "{bad}");
        }
        assert_eq!(parse_citations("E15, e22;E15 E9"), Ok(vec!["E15".into(), "E22".into(), "E9".into()]));
        assert!(parse_citations("E15, twenty").unwrap_err().contains("“twenty” is not one"));
    }

    #[test]
    fn bracketed_references_in_the_seed_text_are_citations() {
        // `004` "Working effectively in partnership".
        let text = "Our partnerships with NHS colleagues are set out at system (ICS and partnership) level (E16) and also work at place through the Health and Wellbeing Board (E17), a Joint Integrated Commissioning Board JICB (E18) and Integrated Systems of Care ISOC (delivery) Group (E19). ... good ASC discharge performance (D20) through effective promotion of independence.";
        assert_eq!(cited_in_text(text), ["E16", "E17", "E18", "E19", "D20"]);
        let c = NewClaim::parse("strength", text, "E16, E21").unwrap();
        assert_eq!(c.citations, ["E16", "E21", "E17", "E18", "E19", "D20"]);
    }

    #[test]
    fn a_claim_and_an_evidence_item_are_checked() {
        let err = NewClaim::parse("", " ", "E1, ???").unwrap_err();
        let fields: Vec<&str> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["kind", "text", "citations"]);
        let today = Date::constant(2023, 3, 31);
        let ok = NewEvidence::parse("e9", "Our Promise for ASC", "Director ASC", Some(today), "", today).unwrap();
        assert_eq!(ok.reference, "E9");
        let err = NewEvidence::parse("nine", "", "", Some(Date::constant(2023, 4, 1)), "", today).unwrap_err();
        let fields: Vec<&str> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["reference", "title", "dated_on"]);
        assert_eq!(err.0[2].message, "The date of the evidence must be today or in the past");
        let err = NewAssessment::parse(" ", Some(Date::constant(2023, 4, 1)), today).unwrap_err();
        let fields: Vec<&str> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["title", "dated_on"]);
        assert!(NewAssessment::parse("Our self assessment March 2023", Some(today), today).is_ok());
    }

    fn evidence(r: &str) -> Evidence {
        Evidence { id: r.into(), reference: r.into(), title: r.into(), owner: String::new(), dated_on: None, location: String::new() }
    }

    fn claim(id: &str, statement: i64, cites: &[&str]) -> Claim {
        Claim {
            id: id.into(),
            statement_number: statement,
            kind: ClaimKind::Strength,
            text: id.into(),
            citations: cites.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn the_checks_find_what_004_gets_wrong() {
        // A library of E1..E22 without E20's citation (cited as D20) and claims citing E83.
        let library: Vec<Evidence> = (1..=22).map(|n| evidence(&format!("E{n}"))).collect();
        let claims = vec![
            claim("a", 1, &["E15", "E22", "E9"]),
            claim("b", 1, &["E15", "E22"]),
            claim("c", 5, &["E16", "E17", "E18", "E19", "D20"]),
            claim("d", 8, &["E83"]),
            claim("e", 2, &[]),
        ];
        let statements: Vec<i64> = (1..=9).collect();
        let got = check(&statements, &claims, &library);
        // Expected figures counted from the inputs above.
        let cited: BTreeSet<&str> = claims.iter().flat_map(|c| c.citations.iter().map(String::as_str)).collect();
        let held: Vec<String> = library.iter().map(|e| e.reference.clone()).collect();
        let nowhere: Vec<String> = held.iter().filter(|r| !cited.contains(r.as_str())).cloned().collect();
        assert_eq!(got.cited_nowhere, nowhere);
        assert!(got.cited_nowhere.contains(&"E20".to_string()), "E20 was cited as D20");
        assert_eq!(got.cited_nowhere.len(), 22 - 7, "E9, E15, E16..E19 and E22 are cited");
        let missing: Vec<(&str, &str)> = got.missing.iter().map(|m| (m.claim_id.as_str(), m.reference.as_str())).collect();
        assert_eq!(missing, [("c", "D20"), ("d", "E83")]);
        assert_eq!(got.cited_by["E15"], 2);
        assert_eq!(got.cited_by["E22"], 2);
        // Statements 1 and 5 have evidence; 8 cites only a missing item; 2 cites nothing.
        assert_eq!(got.statements_without_evidence, [2, 3, 4, 6, 7, 8, 9]);
        assert_eq!(got.problems(), got.cited_nowhere.len() + 2 + 7);
    }

    #[test]
    fn references_sort_by_number() {
        let mut v = vec!["E10", "E2", "D20", "E1"];
        v.sort_by(|a, b| reference_order(a, b));
        assert_eq!(v, ["D20", "E1", "E2", "E10"]);
    }

    #[test]
    fn the_statements_file_reads() {
        let row = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let s = QualityStatement::from_row(&row(&["4", "2", "Providing support", "Care provision, integration and continuity"])).unwrap();
        assert_eq!((s.number, s.theme_number), (4, 2));
        assert!(QualityStatement::from_row(&row(&["x", "2", "T", "S"])).is_err());
        assert!(QualityStatement::from_row(&row(&["1", "2", "T"])).is_err());
    }
}
