//! CQC changes to acknowledge (issue 16 item 13, as Open Referral UK's Outpost flags what a
//! regulator's sync changed): after each CQC import, the changes it made to the council's market
//! are listed as new until someone acknowledges them. This module says which of an import's
//! events are such changes; what a change of rating is stays [`RatingChange`]'s rule.

use super::RatingChange;
use crate::Date;
use crate::register::Rating;

/// The kinds of change an import can make to the council's market.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CqcChangeKind {
    /// The overall rating moved from one grade to another ([`RatingChange`]).
    RatingChange,
    /// A service newly registered with CQC in the council's area.
    NewService,
    /// A service that left CQC's register.
    Deregistered,
}

impl CqcChangeKind {
    pub const ALL: [CqcChangeKind; 3] = [CqcChangeKind::RatingChange, CqcChangeKind::NewService, CqcChangeKind::Deregistered];

    pub fn as_str(self) -> &'static str {
        match self {
            CqcChangeKind::RatingChange => "rating_change",
            CqcChangeKind::NewService => "new_service",
            CqcChangeKind::Deregistered => "deregistered",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CqcChangeKind::RatingChange => "Rating changed",
            CqcChangeKind::NewService => "New service",
            CqcChangeKind::Deregistered => "Deregistered",
        }
    }

    pub fn parse(s: &str) -> Option<CqcChangeKind> {
        CqcChangeKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// What an import did to one location, as the import knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportEvent {
    /// A location the register did not hold; `registered` is whether CQC lists it as registered.
    Added { registered: bool, registration_date: Option<Date> },
    /// A change of overall rating the import recorded on a service the register already held
    /// (core's [`RatingChange`], between the history's entries), dated by its report.
    Rated { change: RatingChange, report_date: Option<Date> },
    /// A service the register held as registered that the import marked deregistered.
    Deregistered { on: Option<Date> },
}

/// A change to acknowledge, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CqcChange {
    pub kind: CqcChangeKind,
    pub rating_from: Option<Rating>,
    pub rating_to: Option<Rating>,
    /// The report date, registration date or deregistration date the change is dated by.
    pub on: Option<Date>,
}

/// Whether an import's event is a change the commissioner is asked to acknowledge, and which.
///
/// - Only services in the council's area (`in_area`): the market the council keeps. Services
///   outside it are held for out-of-area placements, whose page shows their current rating.
/// - Nothing from the import that fills an empty register (`first_import`): every service would
///   be "new"; that import is the starting point the next ones are compared with.
/// - A location added to the register counts only when CQC lists it as registered (a file of
///   deregistered locations adds history, not services to the market).
pub fn to_acknowledge(event: ImportEvent, in_area: bool, first_import: bool) -> Option<CqcChange> {
    if !in_area || first_import {
        return None;
    }
    Some(match event {
        ImportEvent::Added { registered: false, .. } => return None,
        ImportEvent::Added { registered: true, registration_date } => {
            CqcChange { kind: CqcChangeKind::NewService, rating_from: None, rating_to: None, on: registration_date }
        }
        ImportEvent::Rated { change, report_date } => {
            CqcChange { kind: CqcChangeKind::RatingChange, rating_from: Some(change.from), rating_to: Some(change.to), on: report_date }
        }
        ImportEvent::Deregistered { on } => CqcChange { kind: CqcChangeKind::Deregistered, rating_from: None, rating_to: None, on },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_changes_to_the_areas_market_after_the_first_import() {
        let rated = ImportEvent::Rated {
            change: RatingChange { from: Rating::RequiresImprovement, to: Rating::Good },
            report_date: "2025-03-03".parse().ok(),
        };
        let c = to_acknowledge(rated, true, false).expect("a change");
        assert_eq!(
            (c.kind, c.rating_from, c.rating_to),
            (CqcChangeKind::RatingChange, Some(Rating::RequiresImprovement), Some(Rating::Good))
        );
        assert_eq!(to_acknowledge(rated, false, false), None, "out of area");
        assert_eq!(to_acknowledge(rated, true, true), None, "the first import is the starting point");
        let added = ImportEvent::Added { registered: true, registration_date: None };
        assert_eq!(to_acknowledge(added, true, false).map(|c| c.kind), Some(CqcChangeKind::NewService));
        assert_eq!(to_acknowledge(ImportEvent::Added { registered: false, registration_date: None }, true, false), None);
        assert_eq!(to_acknowledge(ImportEvent::Deregistered { on: None }, true, false).map(|c| c.kind), Some(CqcChangeKind::Deregistered));
        for k in CqcChangeKind::ALL {
            assert_eq!(CqcChangeKind::parse(k.as_str()), Some(k));
        }
    }
}
