//! The service list's pages (the register's filtered list and the public directory read them):
//! on SQLite and PostgreSQL, for every sort, each page holds the services the filter selects in
//! the sort's order, cut at the page's place, and the total counts them all. The expected order
//! is worked out here from the services as created, never read back from a list.

use caremarket_core::register::{ContractStatus, Rating, ServiceKind, Specialism};
use caremarket_store::register::{NewService, RatingRecord, ServiceFilter};
use caremarket_store::{Actor, Store};
use jiff::civil::{Date, date};

/// A service as created here, with what the filters and orders read.
struct Made {
    id: String,
    name: &'static str,
    provider: &'static str,
    kind: ServiceKind,
    rating: Option<Rating>,
    rated_on: Option<Date>,
    dementia: bool,
}

/// A service to create: name, provider, kind, overall rating, its report date, dementia specialism.
type Planned = (&'static str, &'static str, ServiceKind, Option<Rating>, Option<Date>, bool);

/// Whether a filter selects a service, as the test reads the filter.
type Selects = Box<dyn Fn(&Made) -> bool>;

fn new_service(provider_id: &str, name: &str, kind: ServiceKind, dementia: bool) -> NewService {
    NewService {
        beds: Some(20),
        specialisms: if dementia { vec![Specialism::Dementia] } else { vec![] },
        contract_status: ContractStatus::NotContracted,
        ..caremarket_testkit::service(provider_id, name, kind)
    }
}

/// Fourteen services of two providers: two kinds of care home and home care, every grade and
/// none, some with a dementia specialism, and two pairs sharing a name (so that the id decides).
async fn make(store: &Store) -> Vec<Made> {
    let a = Actor::system("test");
    let ash = store.create_provider(&a, None, "Ashgrove Care", None, None).await.expect("provider");
    let zen = store.create_provider(&a, None, "Zenith Homes", None, None).await.expect("provider");
    use Rating::{Good, Inadequate, Outstanding, RequiresImprovement};
    use ServiceKind::{CareHomeNursing, CareHomeResidential, HomeCare};
    let plan: [Planned; 14] = [
        ("Oak House", "Zenith Homes", CareHomeResidential, Some(Good), Some(date(2023, 5, 1)), true),
        ("Beech Lodge", "Ashgrove Care", CareHomeNursing, Some(Outstanding), Some(date(2022, 1, 9)), true),
        ("Cedar Court", "Zenith Homes", CareHomeResidential, Some(Inadequate), Some(date(2024, 2, 2)), true),
        ("Alder View", "Ashgrove Care", CareHomeNursing, Some(Good), Some(date(2021, 7, 7)), true),
        ("Elm Rise", "Zenith Homes", CareHomeResidential, Some(RequiresImprovement), Some(date(2024, 3, 3)), false),
        ("Fir Grange", "Ashgrove Care", CareHomeResidential, None, None, true),
        ("Hazel Home Care", "Zenith Homes", HomeCare, Some(Good), Some(date(2023, 1, 1)), true),
        ("Maple House", "Ashgrove Care", CareHomeResidential, Some(Good), Some(date(2022, 6, 6)), true),
        ("Maple House", "Zenith Homes", CareHomeNursing, Some(Good), Some(date(2022, 6, 6)), true),
        ("Rowan Place", "Zenith Homes", CareHomeNursing, Some(Outstanding), Some(date(2020, 2, 2)), false),
        ("Willow Bank", "Ashgrove Care", CareHomeResidential, Some(Good), Some(date(2024, 9, 9)), true),
        ("Yew Tree", "Zenith Homes", CareHomeNursing, Some(RequiresImprovement), Some(date(2023, 8, 8)), true),
        ("Larch Lodge", "Ashgrove Care", CareHomeResidential, Some(Outstanding), Some(date(2021, 1, 1)), true),
        ("Larch Lodge", "Ashgrove Care", CareHomeResidential, Some(Good), Some(date(2019, 4, 4)), true),
    ];
    let mut out = Vec::new();
    for (name, provider, kind, rating, rated_on, dementia) in plan {
        let provider_id = if provider == "Ashgrove Care" { &ash } else { &zen };
        let id = store.create_service(&a, &new_service(provider_id, name, kind, dementia)).await.expect("service");
        if let Some(r) = rating {
            store
                .add_rating(&a, &id, &RatingRecord { overall: Some(r), report_date: rated_on, ..Default::default() }, "test")
                .await
                .expect("rating");
        }
        out.push(Made { id, name, provider, kind, rating, rated_on, dementia });
    }
    out
}

/// Where a service comes in `sort`'s order: the key compared first, then the name and the id.
fn sort_key(m: &Made, sort: Option<&str>) -> (String, &'static str, String) {
    let first = match sort {
        // Worst rating first: Inadequate, Requires improvement, Good, Outstanding, then none.
        Some("rating") => match m.rating {
            Some(Rating::Inadequate) => "1",
            Some(Rating::RequiresImprovement) => "2",
            Some(Rating::Good) => "3",
            Some(Rating::Outstanding) => "4",
            _ => "5",
        }
        .to_string(),
        // Oldest inspection first; never rated first of all.
        Some("inspected") => m.rated_on.map(|d| d.to_string()).unwrap_or_else(|| "0000".into()),
        Some("kind") => m.kind.as_str().to_string(),
        Some("provider") => m.provider.to_string(),
        _ => String::new(),
    };
    (first, m.name, m.id.clone())
}

#[tokio::test]
async fn every_page_of_a_sorted_filtered_list_is_that_part_of_the_whole_list() {
    for store in caremarket_testkit::all_backends().await.expect("backends") {
        let made = make(&store).await;
        let homes = [ServiceKind::CareHomeNursing, ServiceKind::CareHomeResidential];
        let filters: [(&str, ServiceFilter, Selects); 3] = [
            ("every service", ServiceFilter::default(), Box::new(|_: &Made| true)),
            (
                // The benchmark's filter: care homes rated Good or Outstanding with a dementia specialism.
                "good care homes for dementia",
                ServiceFilter {
                    kinds: homes.to_vec(),
                    rating: Some("good_or_outstanding".into()),
                    specialism: Some(Specialism::Dementia),
                    ..Default::default()
                },
                Box::new(move |m: &Made| {
                    homes.contains(&m.kind) && matches!(m.rating, Some(Rating::Good | Rating::Outstanding)) && m.dementia
                }),
            ),
            // A search that matches on the provider's name.
            (
                "searching for a provider",
                ServiceFilter { q: Some("zenith".into()), ..Default::default() },
                Box::new(|m: &Made| m.provider == "Zenith Homes"),
            ),
        ];
        for (what, filter, selects) in &filters {
            for sort in [None, Some("name"), Some("rating"), Some("inspected"), Some("kind"), Some("provider")] {
                let mut expected: Vec<&Made> = made.iter().filter(|m| selects(m)).collect();
                expected.sort_by_key(|m| sort_key(m, sort));
                let expected: Vec<&str> = expected.iter().map(|m| m.id.as_str()).collect();
                for per_page in [3, 5, 50] {
                    let mut seen = Vec::new();
                    let pages = expected.len().div_ceil(per_page as usize).max(1) as i64;
                    for page in 1..=pages + 1 {
                        let f = ServiceFilter { sort: sort.map(str::to_string), page, per_page, ..filter.clone() };
                        let got = store.services(&f).await.expect("page");
                        assert_eq!(got.total, expected.len() as i64, "{what}, sorted by {sort:?}: the total");
                        seen.extend(got.items.into_iter().map(|s| s.id));
                    }
                    assert_eq!(seen, expected, "{what}, sorted by {sort:?}, {per_page} a page");
                }
            }
        }
    }
}
