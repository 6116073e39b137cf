//! A home care package's way through brokerage (`004` §4.8-4.10): requested (waiting), offered
//! to one or more eligible providers, accepted by one (the others' offers withdrawn), started.
//! Which step may follow which is decided here; the store records the steps.

use crate::FieldError;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PackageStatus {
    Waiting,
    Offered,
    Accepted,
    Started,
    Cancelled,
}

impl PackageStatus {
    pub const ALL: [PackageStatus; 5] =
        [PackageStatus::Waiting, PackageStatus::Offered, PackageStatus::Accepted, PackageStatus::Started, PackageStatus::Cancelled];

    pub fn as_str(self) -> &'static str {
        match self {
            PackageStatus::Waiting => "waiting",
            PackageStatus::Offered => "offered",
            PackageStatus::Accepted => "accepted",
            PackageStatus::Started => "started",
            PackageStatus::Cancelled => "cancelled",
        }
    }
    pub fn parse(s: &str) -> Option<PackageStatus> {
        PackageStatus::ALL.into_iter().find(|k| k.as_str() == s)
    }
    /// Still waiting for care to start: the awaiting-care figures count these.
    pub fn is_awaiting(self) -> bool {
        matches!(self, PackageStatus::Waiting | PackageStatus::Offered | PackageStatus::Accepted)
    }
    /// Placed with a provider: the people a provider's exit affects.
    pub fn is_placed(self) -> bool {
        matches!(self, PackageStatus::Accepted | PackageStatus::Started)
    }
    /// Open to offers: not yet placed.
    pub fn can_be_offered(self) -> bool {
        matches!(self, PackageStatus::Waiting | PackageStatus::Offered)
    }
}

impl std::str::FromStr for PackageStatus {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        PackageStatus::parse(s).ok_or(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfferStatus {
    Offered,
    Accepted,
    Declined,
    /// Another provider accepted the package first.
    Withdrawn,
}

impl OfferStatus {
    pub const ALL: [OfferStatus; 4] = [OfferStatus::Offered, OfferStatus::Accepted, OfferStatus::Declined, OfferStatus::Withdrawn];

    pub fn as_str(self) -> &'static str {
        match self {
            OfferStatus::Offered => "offered",
            OfferStatus::Accepted => "accepted",
            OfferStatus::Declined => "declined",
            OfferStatus::Withdrawn => "withdrawn",
        }
    }
    pub fn parse(s: &str) -> Option<OfferStatus> {
        OfferStatus::ALL.into_iter().find(|k| k.as_str() == s)
    }
    /// A provider that has been offered the package (and has not had the offer withdrawn) is
    /// not offered it again.
    pub fn counts_as_offered(self) -> bool {
        matches!(self, OfferStatus::Offered | OfferStatus::Declined | OfferStatus::Accepted)
    }
}

impl std::str::FromStr for OfferStatus {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        OfferStatus::parse(s).ok_or(())
    }
}

/// A package may be offered while it is not yet placed.
pub fn check_offer(request: PackageStatus) -> Result<(), FieldError> {
    if request.can_be_offered() {
        Ok(())
    } else {
        Err(FieldError::new("service_id", format!("This package is {}: it cannot be offered", request.as_str())))
    }
}

/// What a provider's answer to an offer changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    pub offer: OfferStatus,
    /// The package's new status, when it changes.
    pub request: Option<PackageStatus>,
    /// Accepting withdraws every other open offer of the package.
    pub withdraw_other_offers: bool,
}

/// A provider answers an open offer. Accepting places the package (if no one has); declining
/// the last open offer puts the package back to waiting.
pub fn answer(offer: OfferStatus, request: PackageStatus, accept: bool, other_open_offers: usize) -> Result<Answer, FieldError> {
    if offer != OfferStatus::Offered {
        return Err(FieldError::new("response", format!("This offer has already been {}", offer.as_str())));
    }
    if accept {
        if !request.can_be_offered() {
            return Err(FieldError::new("response", "The package has already been placed"));
        }
        return Ok(Answer { offer: OfferStatus::Accepted, request: Some(PackageStatus::Accepted), withdraw_other_offers: true });
    }
    let request = (other_open_offers == 0).then_some(PackageStatus::Waiting);
    Ok(Answer { offer: OfferStatus::Declined, request, withdraw_other_offers: false })
}

/// Care starts with the accepted provider, not before the request and not in the future (five
/// minutes' grace for clocks).
pub fn check_start(request: PackageStatus, requested_at: Timestamp, started_at: Timestamp, now: Timestamp) -> Result<(), FieldError> {
    if request != PackageStatus::Accepted {
        return Err(FieldError::new("started_at", "Record a provider's acceptance before the start"));
    }
    if started_at < requested_at {
        return Err(FieldError::new("started_at", "The start cannot be before the package was requested"));
    }
    if started_at > now + SignedDuration::from_mins(5) {
        return Err(FieldError::new("started_at", "The start cannot be in the future"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offers_only_until_placed() {
        assert!(check_offer(PackageStatus::Waiting).is_ok() && check_offer(PackageStatus::Offered).is_ok());
        assert_eq!(check_offer(PackageStatus::Started).unwrap_err().message, "This package is started: it cannot be offered");
    }

    #[test]
    fn answers_move_the_package() {
        let a = answer(OfferStatus::Offered, PackageStatus::Offered, true, 2).expect("accept");
        assert_eq!(a, Answer { offer: OfferStatus::Accepted, request: Some(PackageStatus::Accepted), withdraw_other_offers: true });
        assert_eq!(answer(OfferStatus::Offered, PackageStatus::Offered, false, 1).expect("decline").request, None);
        assert_eq!(answer(OfferStatus::Offered, PackageStatus::Offered, false, 0).expect("decline").request, Some(PackageStatus::Waiting));
        assert_eq!(
            answer(OfferStatus::Declined, PackageStatus::Offered, true, 0).unwrap_err().message,
            "This offer has already been declined"
        );
        assert_eq!(
            answer(OfferStatus::Offered, PackageStatus::Accepted, true, 0).unwrap_err().message,
            "The package has already been placed"
        );
    }

    #[test]
    fn care_starts_after_acceptance_and_the_request() {
        let t = |h: i64| Timestamp::from_second(1_700_000_000 + h * 3600).expect("ts");
        assert!(check_start(PackageStatus::Accepted, t(0), t(2), t(3)).is_ok());
        assert!(check_start(PackageStatus::Offered, t(0), t(2), t(3)).is_err());
        assert!(check_start(PackageStatus::Accepted, t(1), t(0), t(3)).is_err());
        assert!(check_start(PackageStatus::Accepted, t(0), t(5), t(3)).is_err());
        assert!(PackageStatus::ALL.iter().filter(|s| s.is_placed()).count() == 2);
    }
}
