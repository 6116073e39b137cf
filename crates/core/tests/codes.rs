//! A code is written once. Every list of codes in core is stored, filtered and compared by
//! `as_str`, and templates and the API see the same value through serde. When the two differed
//! (serde's `spot_purchase` beside the stored `spot`), the dashboard counted 0 spot purchases while
//! the list found 33, and pages showed the raw serde name. This test holds them together.
//! (A scrutiny `Grade` is left out on purpose: its stored code is the seed's grade number, "1" to
//! "4", and its JSON is a word; nothing compares the two.)

use caremarket_core::access::Role;
use caremarket_core::capacity::brokerage::{HighDependencyNeed, Lot};
use caremarket_core::capacity::packages::{OfferStatus as PackageOfferStatus, PackageStatus};
use caremarket_core::capacity::vacancies::{BedType, BlockBedKind};
use caremarket_core::fees::{PayOn, RateCategory, RateLevel, RateStatus, RequestStatus};
use caremarket_core::governance::delivery_plan::PlanStatus;
use caremarket_core::quality::{ActionStatus, Activity, EscalationLevel, Judgement, OfferStatus, Rag, SignalKind, VisitStatus, VisitType};
use caremarket_core::register::{ClosureReason, ContractStatus, KeyQuestion, Rating, ServiceKind, Specialism};
use caremarket_core::restrictions::RestrictionKind;

macro_rules! same_code {
    ($($ty:ty),+ $(,)?) => {{
        let mut wrong = Vec::new();
        $(
            for v in <$ty>::ALL.iter().copied() {
                let serde = serde_json::to_value(v).expect("serialise");
                if serde.as_str() != Some(v.as_str()) {
                    wrong.push(format!("{}::{:?}: serde {} but stored as {:?}", stringify!($ty), v, serde, v.as_str()));
                }
            }
        )+
        wrong
    }};
}

#[test]
fn every_code_is_the_same_in_storage_templates_and_the_api() {
    let wrong = same_code!(
        ContractStatus,
        ServiceKind,
        Specialism,
        Rating,
        KeyQuestion,
        ClosureReason,
        Role,
        Judgement,
        Rag,
        EscalationLevel,
        Activity,
        VisitType,
        SignalKind,
        ActionStatus,
        VisitStatus,
        OfferStatus,
        PackageStatus,
        PackageOfferStatus,
        BedType,
        BlockBedKind,
        Lot,
        HighDependencyNeed,
        PayOn,
        RateCategory,
        RateLevel,
        RateStatus,
        RequestStatus,
        PlanStatus,
        RestrictionKind,
    );
    assert!(wrong.is_empty(), "codes that differ:\n{}", wrong.join("\n"));
}
