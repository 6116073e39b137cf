//! The quarterly Market Oversight Report (`000`): for each market the sections Sufficiency,
//! Quality and Value for Money, each "Where are we now" (figures computed from records) beside
//! "Action plan" (narrative typed by officers), after front matter and the delivery plan table.
//!
//! Every figure carries its as-at date, or the window it counts over, its definition and where
//! it comes from, so the Word document can end with a figures appendix and a published quarter
//! can be re-opened unchanged. A figure with no records behind it says so: it is never printed
//! as zero (issue 12, "a quarter with no data for a section").

use crate::Date;
use crate::register::ServiceKind;
use serde::{Deserialize, Serialize};

/// The markets `000` reports on, in its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Market {
    SelfDirectedSupport,
    LivingAndAgeingWell,
    AdultsFutureOptions,
    AdultMentalHealth,
}

impl Market {
    pub const ALL: [Market; 4] =
        [Market::SelfDirectedSupport, Market::LivingAndAgeingWell, Market::AdultsFutureOptions, Market::AdultMentalHealth];

    pub fn as_str(self) -> &'static str {
        match self {
            Market::SelfDirectedSupport => "self_directed_support",
            Market::LivingAndAgeingWell => "living_and_ageing_well",
            Market::AdultsFutureOptions => "adults_future_options",
            Market::AdultMentalHealth => "adult_mental_health",
        }
    }

    pub fn parse(s: &str) -> Option<Market> {
        Market::ALL.into_iter().find(|m| m.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Market::SelfDirectedSupport => "Self-Directed Support",
            Market::LivingAndAgeingWell => "Living and Ageing Well",
            Market::AdultsFutureOptions => "Adults Future Options",
            Market::AdultMentalHealth => "Adult Mental Health",
        }
    }

    /// `000` gives Self-Directed Support no Quality section.
    pub fn sections(self) -> &'static [Section] {
        match self {
            Market::SelfDirectedSupport => &[Section::Sufficiency, Section::ValueForMoney],
            _ => &[Section::Sufficiency, Section::Quality, Section::ValueForMoney],
        }
    }

    /// The service kinds a council's markets hold unless it says otherwise (the mapping is
    /// data: a council changes it on the report's settings page). Self-Directed Support is
    /// people's direct payments, not registered services, so it holds none.
    pub fn default_kinds(self) -> &'static [ServiceKind] {
        use ServiceKind::*;
        match self {
            Market::SelfDirectedSupport => &[],
            Market::LivingAndAgeingWell => &[CareHomeResidential, CareHomeNursing, HomeCare, ExtraCare],
            Market::AdultsFutureOptions => &[SupportedLiving, EnhancedSupportedLiving, DayServices, ShortBreaks, SharedLives],
            Market::AdultMentalHealth => &[MentalHealthSupport, SupportedAccommodation],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    Sufficiency,
    Quality,
    ValueForMoney,
}

impl Section {
    pub const ALL: [Section; 3] = [Section::Sufficiency, Section::Quality, Section::ValueForMoney];

    pub fn as_str(self) -> &'static str {
        match self {
            Section::Sufficiency => "sufficiency",
            Section::Quality => "quality",
            Section::ValueForMoney => "value_for_money",
        }
    }

    pub fn parse(s: &str) -> Option<Section> {
        Section::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Section::Sufficiency => "Sufficiency",
            Section::Quality => "Quality",
            Section::ValueForMoney => "Value for money",
        }
    }
}

/// Which kinds belong to which market: the council's mapping, or the default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketKinds(pub Vec<(Market, Vec<ServiceKind>)>);

impl Default for MarketKinds {
    fn default() -> Self {
        MarketKinds(Market::ALL.iter().map(|m| (*m, m.default_kinds().to_vec())).collect())
    }
}

impl MarketKinds {
    pub fn kinds(&self, m: Market) -> &[ServiceKind] {
        self.0.iter().find(|(x, _)| *x == m).map(|(_, k)| k.as_slice()).unwrap_or(&[])
    }

    /// Build from (market, kind) pairs as a form or the settings store gives them. A kind may
    /// belong to one market only: a second market for the same kind is refused, naming it.
    pub fn from_pairs(pairs: &[(Market, ServiceKind)]) -> Result<MarketKinds, crate::FieldError> {
        let mut seen: Vec<(ServiceKind, Market)> = Vec::new();
        for (m, k) in pairs {
            if let Some((_, other)) = seen.iter().find(|(sk, om)| sk == k && om != m) {
                return Err(crate::FieldError::new(
                    "kinds",
                    format!("{} is in both {} and {}: choose one market", k.label(), other.label(), m.label()),
                ));
            }
            seen.push((*k, *m));
        }
        Ok(MarketKinds(
            Market::ALL
                .iter()
                .map(|m| {
                    let mut ks: Vec<ServiceKind> = pairs.iter().filter(|(x, _)| x == m).map(|(_, k)| *k).collect();
                    ks.sort();
                    ks.dedup();
                    (*m, ks)
                })
                .collect(),
        ))
    }
}

/// How a figure's value reads and how a change in it is described.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// A whole count ("514").
    Count,
    /// A share in whole per cent ("92%"); a change is in points.
    Percent,
    /// Money in pence ("£1,234,567").
    Pence,
    /// A share in basis points, printed to one decimal place as `000` prints direct payment
    /// shares ("28.3%"); a change is in points.
    BasisPoints,
}

/// When a figure is true: on one day, or over a window that ends on the report's date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum When {
    AsAt { date: Date },
    Between { from: Date, to: Date },
}

impl When {
    /// As a sentence starts: "As at 30 September 2026".
    pub fn label(self) -> String {
        crate::text::sentence_case(&self.text())
    }

    pub fn text(self) -> String {
        match self {
            When::AsAt { date } => format!("as at {}", long_date(date)),
            When::Between { from, to } => format!("{} to {}", long_date(from), long_date(to)),
        }
    }
}

/// One figure of the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    /// Stable across quarters, so a published quarter's figure can be compared with the next.
    pub key: String,
    pub label: String,
    /// `None` when there are no records for it this quarter: the report says so.
    pub value: Option<i64>,
    pub unit: Unit,
    /// Extra words after the value ("of 53 homes with a return").
    pub context: String,
    pub definition: String,
    pub when: When,
    pub source: String,
    /// The page listing the records behind the figure.
    pub link: Option<String>,
}

/// What a figure with no records reads, instead of a zero.
pub const NO_DATA: &str = "No records for this period";

impl Figure {
    pub fn display(&self) -> String {
        match self.value {
            None => NO_DATA.to_string(),
            Some(v) => format_value(v, self.unit),
        }
    }

    /// The value with its context ("82% (3,902 of 4,762 beds)"); a figure with no records says
    /// only that.
    pub fn display_with_context(&self) -> String {
        if self.value.is_none() || self.context.is_empty() { self.display() } else { format!("{} {}", self.display(), self.context) }
    }

    /// "up 2 points since Q2 2024/25" or "no change": the change since the same figure in the
    /// previous published report. `None` when either has no value.
    pub fn change_since(&self, previous: &Figure) -> Option<String> {
        let (now, then) = (self.value?, previous.value?);
        let d = now - then;
        let what = match self.unit {
            Unit::Percent => {
                let pts = if d.abs() == 1 { "point" } else { "points" };
                format!("{} {}", d.abs(), pts)
            }
            Unit::BasisPoints => format!("{} points", crate::direct_payments::figures::percent(d.abs()).trim_end_matches('%')),
            u => format_value(d.abs(), u),
        };
        Some(match d.cmp(&0) {
            std::cmp::Ordering::Equal => "no change".to_string(),
            std::cmp::Ordering::Greater => format!("up {what}"),
            std::cmp::Ordering::Less => format!("down {what}"),
        })
    }
}

pub fn format_value(v: i64, unit: Unit) -> String {
    match unit {
        Unit::Count => thousands(v),
        Unit::Percent => format!("{v}%"),
        Unit::BasisPoints => crate::direct_payments::figures::percent(v),
        Unit::Pence => {
            let pounds = v / 100;
            let pence = (v % 100).abs();
            if pence == 0 { format!("£{}", thousands(pounds)) } else { format!("£{}.{pence:02}", thousands(pounds)) }
        }
    }
}

fn thousands(v: i64) -> String {
    crate::text::thousands(v)
}

pub use crate::text::long_date;

/// A bar chart of a table's figures: the table is its text alternative.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chart {
    pub title: String,
    pub bars: Vec<(String, i64)>,
    /// Follows each value ("%").
    pub suffix: String,
}

impl Chart {
    /// The chart's alternative text: its title and every bar's label and value.
    pub fn alt_text(&self) -> String {
        format!("{}: {}", self.title, crate::charts::describe(&self.bars, &self.suffix))
    }
}

/// A table of the report (the occupancy table by bed type, services by contract status...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    pub key: String,
    pub caption: String,
    pub head: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub definition: String,
    pub when: When,
    pub source: String,
    pub link: Option<String>,
    /// Drawn above the table when set.
    #[serde(default)]
    pub chart: Option<Chart>,
}

/// One section of one market.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SectionReport {
    pub market: Market,
    pub section: Section,
    pub figures: Vec<Figure>,
    pub tables: Vec<Table>,
    /// Officers' words around the figures in "Where are we now".
    pub narrative: String,
    pub action_plan: String,
}

/// The front matter: written once, reused every quarter until edited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrontMatter {
    pub duty: String,
    pub themes: String,
    pub good: String,
}

impl Default for FrontMatter {
    /// The statute and CQC's themes as `000` quotes them; "what good looks like" is the
    /// council's own, so it starts empty.
    fn default() -> Self {
        FrontMatter { duty: CARE_ACT_S5.to_string(), themes: CQC_THEMES.to_string(), good: String::new() }
    }
}

/// Care Act 2014 section 5(1) and (2), as `000` quotes it.
pub const CARE_ACT_S5: &str = "A local authority must promote the efficient and effective operation of a market in services for meeting care and support needs with a view to ensuring that any person in its area wishing to access services in the market:
a) has a variety of providers to choose from who (taken together) provide a variety of services;
b) has a variety of high-quality services to choose from;
c) has sufficient information to make an informed decision about how to meet the needs in question.
In performing that duty, a local authority must have regard to the following:
a) the need to ensure that the authority has, and makes available, information about the providers of services for meeting care and support needs and the types of services they provide;
b) the need to ensure that it is aware of current and likely future demand for such services and to consider how providers might meet that demand;
c) the importance of enabling adults with needs for care and support, and carers with needs for support, who wish to do so to participate in work, education or training;
d) the importance of ensuring the sustainability of the market;
e) the importance of fostering continuous improvement in the quality of services and the efficiency and effectiveness with which services are provided and of encouraging innovation in their provision;
f) the importance of fostering a workforce whose members can ensure the delivery of high-quality services.";

/// CQC's four themes for assessing local authorities, as `000` lists them.
pub const CQC_THEMES: &str = "Theme 1: Working with people - assessing needs (including unpaid carers), supporting people to live healthier lives, equity in experiences and outcomes
Theme 2: Providing support - care provision, integration and continuity, partnerships and communities
Theme 3: How the local authority ensures safety - safe systems, pathways and transitions, safeguarding
Theme 4: Leadership - governance, management and sustainability, learning, improvement and innovation";

/// The whole report for one as-at date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuarterlyReport {
    pub council: String,
    pub as_at: Date,
    /// "Quarter 3 2024/25".
    pub title: String,
    pub front_matter: FrontMatter,
    /// The delivery plan as it stood on the date, where `000` puts it (before the markets).
    pub delivery_plan: Option<Table>,
    pub sections: Vec<SectionReport>,
    /// When the figures were computed (a timestamp), and, once published, by whom and when.
    pub computed_at: String,
    pub published: Option<Published>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Published {
    pub at: String,
    pub by: String,
}

/// One line of the figures appendix.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AppendixLine {
    pub market: &'static str,
    pub section: &'static str,
    pub figure: String,
    pub definition: String,
    pub value: String,
    pub when: String,
    pub source: String,
}

impl QuarterlyReport {
    /// Title for an as-at date: "Quarter 3 2024/25 (as at 31 December 2024)".
    pub fn title_for(as_at: Date) -> String {
        let q = crate::governance::quarter::Quarter::containing(as_at);
        format!("Quarter {} {}/{:02}", q.q, q.year, (q.year + 1) % 100)
    }

    pub fn section(&self, m: Market, s: Section) -> Option<&SectionReport> {
        self.sections.iter().find(|x| x.market == m && x.section == s)
    }

    /// Every figure and table, in the order the report prints them: the Word document's
    /// appendix (figure, definition, value, as-at date, where it comes from).
    pub fn appendix(&self) -> Vec<AppendixLine> {
        let mut out = Vec::new();
        if let Some(t) = &self.delivery_plan {
            out.push(table_line("", "", t));
        }
        for s in &self.sections {
            for f in &s.figures {
                out.push(AppendixLine {
                    market: s.market.label(),
                    section: s.section.label(),
                    figure: f.label.clone(),
                    definition: f.definition.clone(),
                    value: f.display_with_context(),
                    when: f.when.text(),
                    source: f.source.clone(),
                });
            }
            for t in &s.tables {
                out.push(table_line(s.market.label(), s.section.label(), t));
            }
        }
        out
    }

    /// The same figure in an earlier report, matched by market, section and key.
    pub fn previous_figure<'a>(previous: &'a QuarterlyReport, s: &SectionReport, f: &Figure) -> Option<&'a Figure> {
        previous.section(s.market, s.section)?.figures.iter().find(|x| x.key == f.key)
    }
}

fn table_line(market: &'static str, section: &'static str, t: &Table) -> AppendixLine {
    AppendixLine {
        market,
        section,
        figure: t.caption.clone(),
        definition: t.definition.clone(),
        value: format!("Table of {} rows", t.rows.len()),
        when: t.when.text(),
        source: t.source.clone(),
    }
}

pub use crate::whole_percent;

#[cfg(test)]
mod tests {
    use super::*;

    fn fig(v: Option<i64>, unit: Unit) -> Figure {
        Figure {
            key: "k".into(),
            label: "l".into(),
            value: v,
            unit,
            context: String::new(),
            definition: String::new(),
            when: When::AsAt { date: jiff::civil::date(2024, 12, 31) },
            source: String::new(),
            link: None,
        }
    }

    #[test]
    fn self_directed_support_has_no_quality_section() {
        assert_eq!(Market::SelfDirectedSupport.sections(), &[Section::Sufficiency, Section::ValueForMoney]);
        for m in [Market::LivingAndAgeingWell, Market::AdultsFutureOptions, Market::AdultMentalHealth] {
            assert!(m.sections().contains(&Section::Quality));
        }
    }

    #[test]
    fn the_default_markets_hold_each_kind_once() {
        let mut all: Vec<ServiceKind> = Market::ALL.iter().flat_map(|m| m.default_kinds().to_vec()).collect();
        let n = all.len();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), n);
    }

    #[test]
    fn a_kind_in_two_markets_is_refused() {
        let e = MarketKinds::from_pairs(&[
            (Market::LivingAndAgeingWell, ServiceKind::HomeCare),
            (Market::AdultMentalHealth, ServiceKind::HomeCare),
        ])
        .unwrap_err();
        assert!(e.message.contains("Home care is in both"), "{}", e.message);
        let ok = MarketKinds::from_pairs(&[(Market::AdultMentalHealth, ServiceKind::HomeCare)]).unwrap();
        assert_eq!(ok.kinds(Market::AdultMentalHealth), &[ServiceKind::HomeCare]);
        assert!(ok.kinds(Market::LivingAndAgeingWell).is_empty());
    }

    #[test]
    fn seed_shares_print_as_the_seed_prints_them() {
        // `000` November 2024: dementia nursing 514 occupied, 47 vacant; general nursing 589, 161.
        assert_eq!(whole_percent(514, 514 + 47), Some(92));
        assert_eq!(whole_percent(589, 589 + 161), Some(79));
        assert_eq!(whole_percent(0, 0), None);
    }

    #[test]
    fn values_and_changes_read_as_a_committee_paper_writes_them() {
        assert_eq!(fig(Some(1070), Unit::Count).display(), "1,070");
        assert_eq!(fig(Some(92), Unit::Percent).display(), "92%");
        assert_eq!(fig(Some(4_905_412_300), Unit::Pence).display(), "£49,054,123");
        assert_eq!(fig(Some(2296), Unit::Pence).display(), "£22.96");
        assert_eq!(fig(None, Unit::Count).display(), NO_DATA);
        assert_eq!(fig(Some(2830), Unit::BasisPoints).display(), "28.3%");
        assert_eq!(fig(Some(4130), Unit::BasisPoints).change_since(&fig(Some(3300), Unit::BasisPoints)).as_deref(), Some("up 8.3 points"));
        assert_eq!(fig(Some(92), Unit::Percent).change_since(&fig(Some(90), Unit::Percent)).as_deref(), Some("up 2 points"));
        assert_eq!(fig(Some(89), Unit::Percent).change_since(&fig(Some(90), Unit::Percent)).as_deref(), Some("down 1 point"));
        assert_eq!(fig(Some(12), Unit::Count).change_since(&fig(Some(12), Unit::Count)).as_deref(), Some("no change"));
        assert_eq!(fig(None, Unit::Count).change_since(&fig(Some(12), Unit::Count)), None);
    }

    #[test]
    fn titles_name_the_financial_quarter() {
        assert_eq!(QuarterlyReport::title_for(jiff::civil::date(2024, 12, 31)), "Quarter 3 2024/25");
        assert_eq!(QuarterlyReport::title_for(jiff::civil::date(2025, 3, 31)), "Quarter 4 2024/25");
        assert_eq!(long_date(jiff::civil::date(2024, 11, 8)), "8 November 2024");
        assert_eq!(When::AsAt { date: jiff::civil::date(2024, 11, 8) }.label(), "As at 8 November 2024");
    }
}
