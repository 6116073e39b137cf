//! Home care: planned visits against electronic call monitoring (ECM), issue 11 item 7
//! (capability C7 of `domain.md`: "electronic care monitoring of home care visits for
//! performance and payment", `004`).
//!
//! The reconciliation rules are exact so that the figures can be compared byte for byte with
//! other tools; they are stated in plain words in `docs/ecm.md` and here on each function.
//! Everything in this module is pure: the readers in `caremarket_ingest::ecm` parse the two
//! files into a [`PlannedSet`] and an [`ActualSet`], and [`reconcile`] turns them into one
//! [`PeriodFigures`] per provider and period, which [`write_csv`] prints.
//!
//! Memory: a planned visit takes 32 bytes and a distinct-or-not actual row 32 bytes (text fields
//! are interned once), so a run needs about 32 bytes per planned visit and per actual row plus
//! the distinct provider and person references, whatever the length of the lines.

mod time;

pub use time::{Timestamp, civil_from_days, days_from_civil, parse_timestamp};

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// The first period starts on this date unless told otherwise (issue 11: `2025-04-07`).
pub const DEFAULT_PERIODS_FROM: (i16, i8, i8) = (2025, 4, 7);
/// Days in a period unless told otherwise (issue 11: 28).
pub const DEFAULT_PERIOD_DAYS: u32 = 28;
/// A delivered visit is short when planned minutes − actual minutes is more than this.
pub const SHORT_MINUTES: i64 = 15;
/// A delivered visit is late (early) when it starts more than this many seconds after (before)
/// its planned start.
pub const LATE_EARLY_SECONDS: i64 = 1_800;

/// The planned file's columns, in the order the rules name them.
pub const PLANNED_COLUMNS: [&str; 7] =
    ["visit_id", "person_ref", "provider_id", "planned_start", "planned_minutes", "carers", "rate_pence_per_hour"];
/// The ECM (actual) file's columns, in the order the rules name them.
pub const ACTUAL_COLUMNS: [&str; 5] = ["visit_id", "provider_id", "person_ref", "actual_start", "actual_end"];
/// The output's columns, in order.
pub const OUTPUT_COLUMNS: [&str; 21] = [
    "provider_id",
    "period_start",
    "planned_visits",
    "planned_carer_minutes",
    "planned_carer_hours",
    "delivered_visits",
    "delivered_carer_minutes",
    "delivered_carer_hours",
    "missed_visits",
    "short_visits",
    "late_visits",
    "early_visits",
    "unplanned_extras",
    "unplanned_minutes",
    "invoiced_pence",
    "payable_pence",
    "variance_pence",
    "bad_end_before_start",
    "duplicate_rows",
    "repeat_visit_rows",
    "unknown_visit_rows",
];

/// The two files read for the database import (the web upload and `caremarket import ecm`):
/// the rules' sets, and what the stored visits need beside them.
#[derive(Debug, Default)]
pub struct Detail {
    pub planned: PlannedSet,
    pub actual: ActualSet,
    /// Each planned visit's person (case reference), by visit id.
    pub persons: std::collections::HashMap<i64, String>,
    /// The care worker code of each ECM row, by (visit id, start, end), when the export has the
    /// optional `care_worker_ref` column and the row fills it.
    pub workers: std::collections::HashMap<(i64, i64, i64), String>,
    /// The planned visits at an Extra Care scheme, by visit id, when the planned file has the
    /// optional `extra_care` column: the Ethical Care Charter's no-15-minute-visits element does
    /// not count them (`004` allows short visits there).
    pub extra_care: std::collections::HashSet<i64>,
    /// Every provider id in either file, with the file and row where it first appears.
    pub providers: std::collections::BTreeMap<String, (String, u64)>,
    pub planned_rows: u64,
    pub actual_rows: u64,
}

/// How a run divides time and pays visits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Day number (days since 1970-01-01) of the first period's start.
    pub periods_from: i64,
    /// Days in each period, at least 1.
    pub period_days: u32,
    /// Paid minutes are capped at planned minutes (the report's rule); `false` is `--no-cap`.
    pub cap: bool,
}

impl Options {
    /// Options from a start date, a period length (at least 1 day) and the cap.
    pub fn new(periods_from: jiff::civil::Date, period_days: u32, cap: bool) -> Result<Options, crate::FieldError> {
        if period_days == 0 {
            return Err(crate::FieldError::new("period-days", "must be a whole number of days, at least 1"));
        }
        let from = days_from_civil(i64::from(periods_from.year()), i64::from(periods_from.month()), i64::from(periods_from.day()));
        Ok(Options { periods_from: from, period_days, cap })
    }
}

impl Default for Options {
    fn default() -> Options {
        let (y, m, d) = DEFAULT_PERIODS_FROM;
        Options { periods_from: days_from_civil(i64::from(y), i64::from(m), i64::from(d)), period_days: DEFAULT_PERIOD_DAYS, cap: true }
    }
}

/// A small, fast hasher for the interned references and the (provider, period) figures: keys
/// here are short and not chosen by an attacker who could profit from collisions (a slow run at
/// worst), and SipHash would be a tenth of the run.
#[derive(Default, Clone, Copy)]
pub struct FastHasher(u64);

impl Hasher for FastHasher {
    fn finish(&self) -> u64 {
        // The multiply in `add` only carries low bits upwards, so references sharing a prefix
        // ("PR000123") would share their low bits, which pick the bucket: mix them all down.
        let mut z = self.0;
        z ^= z >> 33;
        z = z.wrapping_mul(0xff51_afd7_ed55_8ccd);
        z ^= z >> 33;
        z = z.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        z ^ (z >> 33)
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            self.add(u64::from_le_bytes(b));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut b = [0u8; 8];
            b[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(b) ^ (rest.len() as u64) << 59);
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    fn write_i64(&mut self, i: i64) {
        self.add(i as u64);
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
}

impl FastHasher {
    #[inline]
    fn add(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// Text references (provider ids, person refs) stored once each and referred to by number.
#[derive(Default, Debug)]
pub struct Interner {
    map: FastMap<Box<[u8]>, u32>,
    names: Vec<Box<[u8]>>,
}

impl Interner {
    /// The number of `text`, adding it the first time it is seen.
    pub fn intern(&mut self, text: &[u8]) -> u32 {
        if let Some(&i) = self.map.get(text) {
            return i;
        }
        let i = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        let boxed: Box<[u8]> = text.into();
        self.names.push(boxed.clone());
        self.map.insert(boxed, i);
        i
    }
    pub fn len(&self) -> usize {
        self.names.len()
    }
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// One planned visit as the reconciliation keeps it (the person is not used by the rules:
/// matching is by visit id alone). `provider` is a number in the planned file's interner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Planned {
    visit_id: i64,
    start: Timestamp,
    provider: u32,
    minutes: u32,
    carers: u32,
    rate: u32,
}

/// One actual (ECM) row as the reconciliation keeps it. `provider` and `person` are numbers in
/// the ECM file's interners until they are replaced by their ranks in byte order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Actual {
    // Field order is the sort order of the rules: visit id, then (start, end, provider, person).
    visit_id: i64,
    start: Timestamp,
    end: Timestamp,
    provider: u32,
    person: u32,
}

/// Bytes of a [`Planned`] or an [`Actual`] written out (for runs larger than memory).
pub const RECORD_BYTES: usize = 32;

fn put(out: &mut [u8; RECORD_BYTES], at: usize, bytes: &[u8]) {
    out[at..at + bytes.len()].copy_from_slice(bytes);
}

fn get8(b: &[u8; RECORD_BYTES], at: usize) -> i64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[at..at + 8]);
    i64::from_le_bytes(x)
}

fn get4(b: &[u8; RECORD_BYTES], at: usize) -> u32 {
    let mut x = [0u8; 4];
    x.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(x)
}

impl Planned {
    pub fn start(&self) -> Timestamp {
        self.start
    }
    /// The provider's number (its rank once ranked: [`Ranks::provider_name`]).
    pub fn provider(&self) -> u32 {
        self.provider
    }
    pub fn minutes(&self) -> u32 {
        self.minutes
    }
    pub fn carers(&self) -> u32 {
        self.carers
    }
    pub fn rate(&self) -> u32 {
        self.rate
    }
    pub fn visit_id(&self) -> i64 {
        self.visit_id
    }
    pub fn to_bytes(&self) -> [u8; RECORD_BYTES] {
        let mut b = [0u8; RECORD_BYTES];
        put(&mut b, 0, &self.visit_id.to_le_bytes());
        put(&mut b, 8, &self.start.0.to_le_bytes());
        put(&mut b, 16, &self.provider.to_le_bytes());
        put(&mut b, 20, &self.minutes.to_le_bytes());
        put(&mut b, 24, &self.carers.to_le_bytes());
        put(&mut b, 28, &self.rate.to_le_bytes());
        b
    }
    pub fn from_bytes(b: &[u8; RECORD_BYTES]) -> Planned {
        Planned {
            visit_id: get8(b, 0),
            start: Timestamp(get8(b, 8)),
            provider: get4(b, 16),
            minutes: get4(b, 20),
            carers: get4(b, 24),
            rate: get4(b, 28),
        }
    }
}

impl Actual {
    pub fn start(&self) -> Timestamp {
        self.start
    }
    pub fn end(&self) -> Timestamp {
        self.end
    }
    /// The provider's number (its rank once ranked: [`Ranks::provider_name`]).
    pub fn provider(&self) -> u32 {
        self.provider
    }
    /// The person's number (its rank once ranked: [`Ranks::person_name`]).
    pub fn person(&self) -> u32 {
        self.person
    }
    /// The visit id; `None` is kept apart by the caller (rows with a blank id are never mixed
    /// with the others).
    pub fn visit_id(&self) -> i64 {
        self.visit_id
    }
    pub fn to_bytes(&self) -> [u8; RECORD_BYTES] {
        let mut b = [0u8; RECORD_BYTES];
        put(&mut b, 0, &self.visit_id.to_le_bytes());
        put(&mut b, 8, &self.start.0.to_le_bytes());
        put(&mut b, 16, &self.end.0.to_le_bytes());
        put(&mut b, 24, &self.provider.to_le_bytes());
        put(&mut b, 28, &self.person.to_le_bytes());
        b
    }
    pub fn from_bytes(b: &[u8; RECORD_BYTES]) -> Actual {
        Actual {
            visit_id: get8(b, 0),
            start: Timestamp(get8(b, 8)),
            end: Timestamp(get8(b, 16)),
            provider: get4(b, 24),
            person: get4(b, 28),
        }
    }
}

/// The planned visits of one file.
#[derive(Debug, Default)]
pub struct PlannedSet {
    visits: Vec<Planned>,
    providers: Interner,
}

impl PlannedSet {
    /// Room for `visits` visits without growing (an estimate from the file's size: reserved
    /// memory that is never written is never resident).
    pub fn with_capacity(visits: usize) -> PlannedSet {
        PlannedSet { visits: Vec::with_capacity(visits), providers: Interner::default() }
    }
    /// Add one planned visit. Duplicate visit ids are found by [`reconcile`].
    pub fn push(&mut self, visit: PlannedVisit<'_>) {
        let p = self.compact(visit);
        self.visits.push(p);
    }
    /// Keep a visit made by [`PlannedSet::compact`].
    pub fn keep(&mut self, visit: Planned) {
        self.visits.push(visit);
    }
    /// The visit as kept, its provider interned, without keeping it here (for a caller that
    /// stores visits elsewhere, such as on disk, and keeps only the interner in the set).
    pub fn compact(&mut self, visit: PlannedVisit<'_>) -> Planned {
        let provider = self.providers.intern(visit.provider_id);
        Planned {
            visit_id: visit.visit_id,
            start: visit.planned_start,
            provider,
            minutes: visit.planned_minutes,
            carers: visit.carers,
            rate: visit.rate_pence_per_hour,
        }
    }
    pub fn len(&self) -> usize {
        self.visits.len()
    }
    pub fn is_empty(&self) -> bool {
        self.visits.is_empty()
    }
}

/// A planned visit as read from a row (the readers check each field first).
#[derive(Debug, Clone, Copy)]
pub struct PlannedVisit<'a> {
    pub visit_id: i64,
    pub provider_id: &'a [u8],
    pub planned_start: Timestamp,
    pub planned_minutes: u32,
    pub carers: u32,
    pub rate_pence_per_hour: u32,
}

/// An ECM row as read (the readers check each field first). `visit_id` is `None` when blank.
#[derive(Debug, Clone, Copy)]
pub struct ActualRow<'a> {
    pub visit_id: Option<i64>,
    pub provider_id: &'a [u8],
    pub person_ref: &'a [u8],
    pub actual_start: Timestamp,
    pub actual_end: Timestamp,
}

/// The rows of one ECM file: those with a visit id and those without, apart.
#[derive(Debug, Default)]
pub struct ActualSet {
    with_id: Vec<Actual>,
    blank_id: Vec<Actual>,
    providers: Interner,
    persons: Interner,
}

impl ActualSet {
    /// Room for `rows` rows without growing (see [`PlannedSet::with_capacity`]).
    pub fn with_capacity(rows: usize) -> ActualSet {
        ActualSet { with_id: Vec::with_capacity(rows), ..ActualSet::default() }
    }
    pub fn push(&mut self, row: ActualRow<'_>) {
        let a = self.compact(row);
        match row.visit_id {
            Some(_) => self.with_id.push(a),
            None => self.blank_id.push(a),
        }
    }
    /// The row as kept, its references interned, without keeping it here (see
    /// [`PlannedSet::compact`]); a blank visit id is kept as 0, so the caller keeps such rows
    /// apart (see [`ActualSet::keep`]).
    pub fn compact(&mut self, row: ActualRow<'_>) -> Actual {
        let provider = self.providers.intern(row.provider_id);
        let person = self.persons.intern(row.person_ref);
        Actual { visit_id: row.visit_id.unwrap_or(0), start: row.actual_start, end: row.actual_end, provider, person }
    }
    /// Keep a row made by [`ActualSet::compact`]; `blank` when its visit id was blank.
    pub fn keep(&mut self, row: Actual, blank: bool) {
        if blank { self.blank_id.push(row) } else { self.with_id.push(row) }
    }
    /// The rows with a blank visit id, taken out of the set.
    pub fn take_blank_rows(&mut self) -> Vec<Actual> {
        std::mem::take(&mut self.blank_id)
    }
    pub fn len(&self) -> usize {
        self.with_id.len() + self.blank_id.len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The figures of one provider in one period: the output's row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeriodFigures {
    pub provider_id: Vec<u8>,
    /// Day number of the period's first day.
    pub period_start: i64,
    pub planned_visits: u64,
    pub planned_carer_minutes: u64,
    pub delivered_visits: u64,
    pub delivered_carer_minutes: u64,
    pub missed_visits: u64,
    pub short_visits: u64,
    pub late_visits: u64,
    pub early_visits: u64,
    pub unplanned_extras: u64,
    pub unplanned_minutes: u64,
    pub invoiced_pence: i128,
    pub payable_pence: i128,
    pub bad_end_before_start: u64,
    pub duplicate_rows: u64,
    pub repeat_visit_rows: u64,
    pub unknown_visit_rows: u64,
}

impl PeriodFigures {
    pub fn variance_pence(&self) -> i128 {
        self.invoiced_pence - self.payable_pence
    }
    /// The period's first day as a date.
    pub fn period_start_date(&self) -> (i64, i64, i64) {
        civil_from_days(self.period_start)
    }
}

/// Why the files cannot be reconciled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReconcileError {
    /// Two planned visits share a visit id: the plan is ambiguous (which one was delivered?).
    #[error("visit_id {visit_id} is planned more than once")]
    DuplicatePlannedVisit { visit_id: i64 },
}

/// The pence for `minutes` of `carers` carers at `rate` pence an hour, rounded to the nearest
/// penny, half up: (rate × minutes × carers + 30) div 60.
pub fn visit_pence(rate: i64, minutes: i64, carers: i64) -> i128 {
    (i128::from(rate) * i128::from(minutes) * i128::from(carers) + 30).div_euclid(60)
}

/// Carer minutes as hours to two decimals, half up, from integers: c = (m × 100 + 30) div 60,
/// printed as `c div 100` "." two digits of `c mod 100`.
pub fn hours_text(minutes: u64) -> String {
    let c = (u128::from(minutes) * 100 + 30) / 60;
    format!("{}.{:02}", c / 100, c % 100)
}

/// Actual minutes of a row: floor(seconds from start to end / 60).
pub fn actual_minutes(start: Timestamp, end: Timestamp) -> i64 {
    (end.0 - start.0).div_euclid(60)
}

/// Whether a delivered visit is short: planned minutes − actual minutes > 15.
pub fn is_short(planned_minutes: i64, actual_minutes: i64) -> bool {
    planned_minutes - actual_minutes > SHORT_MINUTES
}

/// Whether a delivered visit is late: record start − planned start > 1,800 seconds.
pub fn is_late(planned_start: Timestamp, record_start: Timestamp) -> bool {
    record_start.0 - planned_start.0 > LATE_EARLY_SECONDS
}

/// Whether a delivered visit is early: record start − planned start < −1,800 seconds.
pub fn is_early(planned_start: Timestamp, record_start: Timestamp) -> bool {
    record_start.0 - planned_start.0 < -LATE_EARLY_SECONDS
}

/// The first day (day number) of the period holding `t`: periods-from + N × floor(days from
/// periods-from to the date / N).
pub fn period_start(options: &Options, t: Timestamp) -> i64 {
    let n = i64::from(options.period_days);
    options.periods_from + n * (t.day() - options.periods_from).div_euclid(n)
}

/// Reconcile planned visits against ECM rows by the rules of issue 11 (see the module and
/// `docs/ecm.md`), giving one [`PeriodFigures`] per (provider, period) that has any planned visit
/// or actual row, ordered by provider id (bytes) then period.
pub fn reconcile(planned: PlannedSet, actual: ActualSet, options: &Options) -> Result<Vec<PeriodFigures>, ReconcileError> {
    let ranks = Ranks::new(&planned, &actual);
    let PlannedSet { visits: mut plan, .. } = planned;
    let ActualSet { with_id: mut rows, blank_id: mut blanks, .. } = actual;
    let mut tally = Tally::new(*options);
    tally.add_blank_rows(&ranks, &mut blanks);
    tally.add_visits(&ranks, &mut plan, &mut rows)?;
    Ok(tally.finish(&ranks))
}

/// Each interned reference's rank in byte order, so that comparing numbers compares the text:
/// the providers of both files in one list, the persons of the ECM file.
#[derive(Debug)]
pub struct Ranks {
    providers: Vec<Box<[u8]>>,
    plan_provider: Vec<u32>,
    row_provider: Vec<u32>,
    person: Vec<u32>,
    /// The ECM file's person references in byte order, kept only by [`Ranks::with_names`]
    /// (the streaming command never needs them back).
    persons: Vec<Box<[u8]>>,
}

impl Ranks {
    /// The ranks of the references the two sets have interned (their visits and rows may be
    /// kept elsewhere).
    pub fn new(planned: &PlannedSet, actual: &ActualSet) -> Ranks {
        let mut all: Vec<Box<[u8]>> = planned.providers.names.iter().chain(actual.providers.names.iter()).cloned().collect();
        all.sort_unstable();
        all.dedup();
        let rank_of = |name: &[u8]| u32::try_from(all.binary_search_by(|n| (**n).cmp(name)).unwrap_or(0)).unwrap_or(u32::MAX);
        let plan_provider = planned.providers.names.iter().map(|n| rank_of(n)).collect();
        let row_provider = actual.providers.names.iter().map(|n| rank_of(n)).collect();
        Ranks { person: ranks(&actual.persons.names), providers: all, plan_provider, row_provider, persons: Vec::new() }
    }
    /// As [`Ranks::new`], keeping the person references so that an [`Observer`] can name them.
    pub fn with_names(planned: &PlannedSet, actual: &ActualSet) -> Ranks {
        let mut r = Ranks::new(planned, actual);
        let mut persons = actual.persons.names.clone();
        persons.sort_unstable();
        r.persons = persons;
        r
    }
    /// The provider reference of a rank (after ranking, `Planned::provider` and
    /// `Actual::provider` are ranks).
    pub fn provider_name(&self, rank: u32) -> &[u8] {
        self.providers.get(rank as usize).map(|n| &n[..]).unwrap_or(b"")
    }
    /// The person reference of a rank (empty unless made by [`Ranks::with_names`]).
    pub fn person_name(&self, rank: u32) -> &[u8] {
        self.persons.get(rank as usize).map(|n| &n[..]).unwrap_or(b"")
    }
    fn plan(&self, p: &mut Planned) {
        p.provider = self.plan_provider.get(p.provider as usize).copied().unwrap_or(u32::MAX);
    }
    fn row(&self, a: &mut Actual) {
        a.provider = self.row_provider.get(a.provider as usize).copied().unwrap_or(u32::MAX);
        a.person = self.person.get(a.person as usize).copied().unwrap_or(u32::MAX);
    }
}

/// Why an ECM row counts as a fault (the rule that put it in a figure other than a visit's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// A copy of a row equal in all five fields to one before it (`duplicate_rows`).
    Duplicate,
    /// A row that ends before it starts (`bad_end_before_start`).
    EndBeforeStart,
    /// A row with a blank visit id (`unplanned_extras`; its minutes in `unplanned_minutes`).
    Unplanned,
    /// A later row for a planned visit that already has its record (`repeat_visit_rows`).
    Repeat,
    /// A row whose visit id was never planned (`unknown_visit_rows`).
    Unknown,
}

impl Fault {
    pub const ALL: [Fault; 5] = [Fault::Duplicate, Fault::EndBeforeStart, Fault::Unplanned, Fault::Repeat, Fault::Unknown];
    pub fn as_str(self) -> &'static str {
        match self {
            Fault::Duplicate => "duplicate",
            Fault::EndBeforeStart => "end_before_start",
            Fault::Unplanned => "unplanned",
            Fault::Repeat => "repeat",
            Fault::Unknown => "unknown",
        }
    }
    pub fn parse(s: &str) -> Option<Fault> {
        Fault::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// What the rules made of one planned visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VisitOutcome {
    /// The visit's record (the first valid row with its id), if it was delivered.
    pub record: Option<Actual>,
    /// floor(seconds from the record's start to its end / 60); 0 when missed.
    pub actual_minutes: i64,
    /// min(actual, planned) (actual without the cap); 0 when missed.
    pub paid_minutes: i64,
    pub short: bool,
    pub late: bool,
    pub early: bool,
    pub invoiced_pence: i128,
    pub payable_pence: i128,
    /// The first day (day number) of the visit's period: that of its planned start.
    pub period_start: i64,
}

/// Told of every planned visit and every faulty row as the rules count them, so that the
/// figures can be traced to their visits (the web import stores them). References in `Planned`
/// and `Actual` are ranks: name them with [`Ranks::provider_name`] and [`Ranks::person_name`].
/// `()` observes nothing, at no cost to the streaming command.
pub trait Observer {
    fn visit(&mut self, ranks: &Ranks, planned: &Planned, outcome: &VisitOutcome);
    /// `period_start` is that of the row's start, as the rules count it.
    fn fault(&mut self, ranks: &Ranks, fault: Fault, row: &Actual, period_start: i64);
}

impl Observer for () {
    #[inline(always)]
    fn visit(&mut self, _: &Ranks, _: &Planned, _: &VisitOutcome) {}
    #[inline(always)]
    fn fault(&mut self, _: &Ranks, _: Fault, _: &Actual, _: i64) {}
}

/// [`reconcile`], telling `observer` of every visit and faulty row; the ranks name their
/// references (persons too).
pub fn reconcile_observed(
    planned: PlannedSet,
    actual: ActualSet,
    options: &Options,
    observer: &mut impl Observer,
) -> Result<Vec<PeriodFigures>, ReconcileError> {
    let ranks = Ranks::with_names(&planned, &actual);
    let PlannedSet { visits: mut plan, .. } = planned;
    let ActualSet { with_id: mut rows, blank_id: mut blanks, .. } = actual;
    let mut tally = Tally::new(*options);
    tally.add_blank_rows_observed(&ranks, &mut blanks, observer);
    tally.add_visits_observed(&ranks, &mut plan, &mut rows, observer)?;
    Ok(tally.finish(&ranks))
}

/// The figures being added up, per (provider rank, period).
pub struct Tally {
    options: Options,
    figures: FastMap<(u32, i64), PeriodFigures>,
}

impl Tally {
    pub fn new(options: Options) -> Tally {
        Tally { options, figures: FastMap::default() }
    }

    fn at(&mut self, provider: u32, t: Timestamp) -> &mut PeriodFigures {
        self.figures.entry((provider, period_start(&self.options, t))).or_default()
    }

    /// Count the rows with a blank visit id (all of them at once: duplicates must meet):
    /// duplicates, then end before start, then unplanned extras. The rows are reordered.
    pub fn add_blank_rows(&mut self, ranks: &Ranks, blanks: &mut [Actual]) {
        self.add_blank_rows_observed(ranks, blanks, &mut ());
    }

    /// [`Tally::add_blank_rows`], telling `observer` of each row.
    pub fn add_blank_rows_observed(&mut self, ranks: &Ranks, blanks: &mut [Actual], observer: &mut impl Observer) {
        for a in blanks.iter_mut() {
            ranks.row(a);
        }
        blanks.sort_unstable();
        let mut prev: Option<Actual> = None;
        for a in blanks.iter() {
            let period = period_start(&self.options, a.start);
            let f = self.at(a.provider, a.start);
            let fault = if prev == Some(*a) {
                f.duplicate_rows += 1;
                Fault::Duplicate
            } else if a.end < a.start {
                f.bad_end_before_start += 1;
                Fault::EndBeforeStart
            } else {
                f.unplanned_extras += 1;
                f.unplanned_minutes += actual_minutes(a.start, a.end) as u64;
                Fault::Unplanned
            };
            prev = Some(*a);
            observer.fault(ranks, fault, a, period);
        }
    }

    /// Count planned visits and the rows with visit ids: every planned visit and every row of
    /// each visit id in `plan` or `rows` must be here (a run may be split by visit id, never
    /// within one). Both are reordered.
    pub fn add_visits(&mut self, ranks: &Ranks, plan: &mut [Planned], rows: &mut [Actual]) -> Result<(), ReconcileError> {
        self.add_visits_observed(ranks, plan, rows, &mut ())
    }

    /// [`Tally::add_visits`], telling `observer` of each visit and faulty row.
    pub fn add_visits_observed(
        &mut self,
        ranks: &Ranks,
        plan: &mut [Planned],
        rows: &mut [Actual],
        observer: &mut impl Observer,
    ) -> Result<(), ReconcileError> {
        for p in plan.iter_mut() {
            ranks.plan(p);
        }
        for a in rows.iter_mut() {
            ranks.row(a);
        }
        plan.sort_unstable_by_key(|p| p.visit_id);
        if let Some(w) = plan.windows(2).find(|w| w[0].visit_id == w[1].visit_id) {
            return Err(ReconcileError::DuplicatePlannedVisit { visit_id: w[0].visit_id });
        }
        rows.sort_unstable();
        let cap = self.options.cap;

        // Planned visits and the rows with their ids, both in visit id order, walked together.
        let mut r = 0;
        let mut pi = 0;
        loop {
            let next_plan = plan.get(pi).map(|p| p.visit_id);
            let next_row = rows.get(r).map(|a| a.visit_id);
            let id = match (next_plan, next_row) {
                (Some(p), Some(a)) => p.min(a),
                (Some(p), None) => p,
                (None, Some(a)) => a,
                (None, None) => break,
            };
            let visit = if next_plan == Some(id) {
                pi += 1;
                plan.get(pi - 1).copied()
            } else {
                None
            };
            // This id's rows, in (start, end, provider, person) order.
            let group_end = r + rows[r..].iter().take_while(|a| a.visit_id == id).count();
            let mut record: Option<Actual> = None;
            let mut prev: Option<Actual> = None;
            for a in &rows[r..group_end] {
                let period = period_start(&self.options, a.start);
                let f = self.at(a.provider, a.start);
                let fault = if prev == Some(*a) {
                    f.duplicate_rows += 1;
                    Some(Fault::Duplicate)
                } else if a.end < a.start {
                    f.bad_end_before_start += 1;
                    Some(Fault::EndBeforeStart)
                } else if visit.is_none() {
                    f.unknown_visit_rows += 1;
                    Some(Fault::Unknown)
                } else if record.is_none() {
                    record = Some(*a);
                    None
                } else {
                    f.repeat_visit_rows += 1;
                    Some(Fault::Repeat)
                };
                prev = Some(*a);
                if let Some(fault) = fault {
                    observer.fault(ranks, fault, a, period);
                }
            }
            r = group_end;
            if let Some(p) = visit {
                let period = period_start(&self.options, p.start);
                let f = self.at(p.provider, p.start);
                let planned = i64::from(p.minutes);
                let carers = i64::from(p.carers);
                let rate = i64::from(p.rate);
                let invoiced = visit_pence(rate, planned, carers);
                f.planned_visits += 1;
                f.planned_carer_minutes += (planned * carers) as u64;
                f.invoiced_pence += invoiced;
                let outcome = match record {
                    Some(rec) => {
                        let actual = actual_minutes(rec.start, rec.end);
                        let paid = if cap { actual.min(planned) } else { actual };
                        let o = VisitOutcome {
                            record: Some(rec),
                            actual_minutes: actual,
                            paid_minutes: paid,
                            short: is_short(planned, actual),
                            late: is_late(p.start, rec.start),
                            early: is_early(p.start, rec.start),
                            invoiced_pence: invoiced,
                            payable_pence: visit_pence(rate, paid, carers),
                            period_start: period,
                        };
                        f.delivered_visits += 1;
                        f.delivered_carer_minutes += (paid * carers) as u64;
                        f.payable_pence += o.payable_pence;
                        f.short_visits += u64::from(o.short);
                        f.late_visits += u64::from(o.late);
                        f.early_visits += u64::from(o.early);
                        o
                    }
                    None => {
                        f.missed_visits += 1;
                        VisitOutcome {
                            record: None,
                            actual_minutes: 0,
                            paid_minutes: 0,
                            short: false,
                            late: false,
                            early: false,
                            invoiced_pence: invoiced,
                            payable_pence: 0,
                            period_start: period,
                        }
                    }
                };
                observer.visit(ranks, &p, &outcome);
            }
        }
        Ok(())
    }

    /// The figures, ordered by provider id (bytes) then period.
    pub fn finish(self, ranks: &Ranks) -> Vec<PeriodFigures> {
        let mut out: Vec<PeriodFigures> = self
            .figures
            .into_iter()
            .map(|((provider, period), mut f)| {
                f.provider_id = ranks.providers.get(provider as usize).map(|n| n.to_vec()).unwrap_or_default();
                f.period_start = period;
                f
            })
            .collect();
        out.sort_unstable_by(|a, b| a.provider_id.cmp(&b.provider_id).then(a.period_start.cmp(&b.period_start)));
        out
    }
}

/// For each name, its rank among the names in byte order (names are distinct).
fn ranks(names: &[Box<[u8]>]) -> Vec<u32> {
    let mut order: Vec<u32> = (0..names.len()).map(|i| u32::try_from(i).unwrap_or(u32::MAX)).collect();
    order.sort_unstable_by(|&a, &b| names[a as usize].cmp(&names[b as usize]));
    let mut rank = vec![0u32; names.len()];
    for (r, &i) in order.iter().enumerate() {
        rank[i as usize] = u32::try_from(r).unwrap_or(u32::MAX);
    }
    rank
}

/// The output CSV: the header, then one line per figure, LF line ends, no quoting, dates
/// `YYYY-MM-DD`. Provider ids never hold a comma, quote or line break (the readers refuse them).
pub fn write_csv(figures: &[PeriodFigures], out: &mut Vec<u8>) {
    use std::io::Write as _;
    out.extend_from_slice(OUTPUT_COLUMNS.join(",").as_bytes());
    out.push(b'\n');
    for f in figures {
        let (y, m, d) = f.period_start_date();
        out.extend_from_slice(&f.provider_id);
        // Writing to a Vec cannot fail.
        let _ = writeln!(
            out,
            ",{y:04}-{m:02}-{d:02},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            f.planned_visits,
            f.planned_carer_minutes,
            hours_text(f.planned_carer_minutes),
            f.delivered_visits,
            f.delivered_carer_minutes,
            hours_text(f.delivered_carer_minutes),
            f.missed_visits,
            f.short_visits,
            f.late_visits,
            f.early_visits,
            f.unplanned_extras,
            f.unplanned_minutes,
            f.invoiced_pence,
            f.payable_pence,
            f.variance_pence(),
            f.bad_end_before_start,
            f.duplicate_rows,
            f.repeat_visit_rows,
            f.unknown_visit_rows,
        );
    }
}

#[cfg(test)]
mod tests;

/// A person's usual care workers are the (up to) this many workers who made most of the
/// person's delivered visits with the provider in the period (ties to the lower code).
pub const USUAL_WORKERS: usize = 3;

/// How often people were visited by their usual care workers (the Ethical Care Charter's "the
/// same homecare worker(s) wherever possible", which `004` checks from ECM data).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Continuity {
    /// People with at least one delivered visit that names its care worker.
    pub persons: u64,
    /// Delivered visits that name their care worker.
    pub visits: u64,
    /// Of those, visits made by one of the person's usual care workers.
    pub by_usual: u64,
    /// The mean over people of each person's share, in basis points (`None` with no people).
    pub mean_share_bp: Option<i64>,
}

impl Continuity {
    /// The pooled share (visits by usual workers ÷ visits), in basis points, rounded half up.
    pub fn pooled_share_bp(&self) -> Option<i64> {
        (self.visits > 0).then(|| ((self.by_usual * 20_000 + self.visits) / (self.visits * 2)) as i64)
    }
}

/// Continuity of care from delivered visits given as (person, care worker code); visits
/// without a code are left out.
pub fn continuity<'a>(visits: impl IntoIterator<Item = (&'a str, &'a str)>) -> Continuity {
    use std::collections::BTreeMap;
    let mut by_person: BTreeMap<&str, BTreeMap<&str, u64>> = BTreeMap::new();
    for (person, worker) in visits {
        if !worker.is_empty() {
            *by_person.entry(person).or_default().entry(worker).or_default() += 1;
        }
    }
    let mut c = Continuity::default();
    let mut share_sum_bp: u64 = 0;
    for workers in by_person.values() {
        let mut counts: Vec<(&str, u64)> = workers.iter().map(|(w, n)| (*w, *n)).collect();
        counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let total: u64 = counts.iter().map(|(_, n)| n).sum();
        let usual: u64 = counts.iter().take(USUAL_WORKERS).map(|(_, n)| n).sum();
        c.persons += 1;
        c.visits += total;
        c.by_usual += usual;
        share_sum_bp += (usual * 20_000 + total) / (total * 2);
    }
    if c.persons > 0 {
        c.mean_share_bp = Some(((share_sum_bp * 2 + c.persons) / (c.persons * 2)) as i64);
    }
    c
}
