//! Care homes that have closed, and why (`000`: "Since 2015, 5 homes have closed related to
//! practice, and 13 for financial reasons. No new entrants in last year."). The demo's closed
//! homes follow those counts, plus one the provider chose to close and one, recent, whose
//! reason is not yet recorded, so the report's closures table and the service page's "Why it
//! closed" both have something real to show.

use crate::plan::Plan;
use caremarket_core::Date;
use caremarket_core::register::{Closure, ClosureReason, ServiceKind};
use caremarket_store::register::NewService;
use caremarket_store::{Actor, Store, StoreError};
use jiff::ToSpan;

/// Name, kind, beds, years before `today` it registered, days before `today` it closed, reason.
type ClosedHome = (&'static str, ServiceKind, i64, i64, i64, Option<ClosureReason>);
const CLOSED: [ClosedHome; 20] = [
    ("Heatherlea Residential Home", ServiceKind::CareHomeResidential, 24, 30, 3_400, Some(ClosureReason::Practice)),
    ("Brookfold Nursing Home", ServiceKind::CareHomeNursing, 40, 28, 2_900, Some(ClosureReason::Practice)),
    ("Alder Bank Care Home", ServiceKind::CareHomeResidential, 18, 25, 2_300, Some(ClosureReason::Practice)),
    ("Mill Brow Lodge", ServiceKind::CareHomeResidential, 21, 22, 1_700, Some(ClosureReason::Practice)),
    ("Kestrel Court Nursing Home", ServiceKind::CareHomeNursing, 36, 20, 800, Some(ClosureReason::Practice)),
    ("Rowan Garth", ServiceKind::CareHomeResidential, 16, 35, 3_500, Some(ClosureReason::Financial)),
    ("The Laurels Rest Home", ServiceKind::CareHomeResidential, 14, 33, 3_300, Some(ClosureReason::Financial)),
    ("Pennine View Care Home", ServiceKind::CareHomeResidential, 22, 31, 3_100, Some(ClosureReason::Financial)),
    ("Holly Mount", ServiceKind::CareHomeResidential, 12, 30, 2_800, Some(ClosureReason::Financial)),
    ("Greave House", ServiceKind::CareHomeNursing, 30, 29, 2_600, Some(ClosureReason::Financial)),
    ("St Anne's Residential Home", ServiceKind::CareHomeResidential, 19, 27, 2_450, Some(ClosureReason::Financial)),
    ("Woodside Lodge", ServiceKind::CareHomeResidential, 15, 26, 2_200, Some(ClosureReason::Financial)),
    ("Clough Top Nursing Home", ServiceKind::CareHomeNursing, 44, 24, 1_950, Some(ClosureReason::Financial)),
    ("Bramley Croft", ServiceKind::CareHomeResidential, 17, 23, 1_600, Some(ClosureReason::Financial)),
    ("Fernhill Care Home", ServiceKind::CareHomeResidential, 25, 21, 1_300, Some(ClosureReason::Financial)),
    ("Lime Tree House", ServiceKind::CareHomeResidential, 20, 19, 1_000, Some(ClosureReason::Financial)),
    ("Ashworth Grange", ServiceKind::CareHomeNursing, 38, 18, 700, Some(ClosureReason::Financial)),
    ("Oakenrod Residential Home", ServiceKind::CareHomeResidential, 13, 16, 420, Some(ClosureReason::Financial)),
    ("Moss Lane Care Home", ServiceKind::CareHomeResidential, 11, 20, 2_100, Some(ClosureReason::ProviderChoice)),
    ("Thornlea Nursing Home", ServiceKind::CareHomeNursing, 32, 15, 90, None),
];

pub async fn generate_closures(store: &Store, plan: &Plan, provider_ids: &[String], today: Date) -> Result<usize, StoreError> {
    let actor = Actor::system("demo");
    // Each closed home sits where one of the demo's open care homes in the area is, under that
    // home's provider: a closure leaves its provider's other homes open.
    let homes: Vec<_> =
        plan.services.iter().filter(|s| s.in_area && s.registration_status == "registered" && s.kind.is_care_home()).collect();
    if homes.is_empty() {
        return Ok(0);
    }
    for (i, (name, kind, beds, years, days_ago, reason)) in CLOSED.iter().enumerate() {
        let like = homes[(i * 7) % homes.len()];
        let Some(provider_id) = provider_ids.get(like.provider) else { continue };
        let registered = today.checked_sub(years.years()).unwrap_or(today);
        let closed = today.checked_sub(days_ago.days()).unwrap_or(today);
        let new = NewService {
            provider_id: provider_id.clone(),
            cqc_location_id: Some(format!("1-9{:09}", 100 + i)),
            name: (*name).to_string(),
            kind: *kind,
            address_line: Some(like.address_line.clone()),
            town: Some(like.town.clone()),
            postcode: Some(like.postcode.clone()),
            local_authority: Some(like.local_authority.clone()),
            region: Some(like.region.clone()),
            in_area: true,
            phone: None,
            website: None,
            registration_status: "registered".into(),
            registration_date: Some(registered),
            beds: Some(*beds),
            service_types: like.service_types.clone(),
            specialisms: Vec::new(),
            contract_status: caremarket_core::register::ContractStatus::NotContracted,
            framework_id: None,
            lot_id: None,
            contract_start: None,
            contract_end: None,
            council_notes: None,
        };
        let id = store.create_service(&actor, &new).await?;
        store.mark_service_closed(&actor, &id, closed).await?;
        if let Some(r) = reason {
            let note = match r {
                ClosureReason::Practice => {
                    Some("CQC cancelled the registration after enforcement action; residents moved with the council's help.")
                }
                ClosureReason::Financial => {
                    Some("The provider said the home was no longer viable; residents moved under the provider failure protocol.")
                }
                ClosureReason::ProviderChoice => Some("The owner retired and sold the building for housing."),
                ClosureReason::Other => None,
            };
            store.record_closure(&actor, &id, &Closure { reason: *r, note: note.map(str::to_string) }).await?;
        }
    }
    Ok(CLOSED.len())
}
