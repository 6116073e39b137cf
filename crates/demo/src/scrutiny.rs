//! The demo council's scrutiny review: `002`'s "Care at Home" review (the fixture in
//! `fixtures/governance/`, with the demo council's name in place of Stockton-on-Tees' and
//! fictional officers in place of the paper's), with the paper's own dates: the action plan agreed
//! in February 2023, the first progress update (the paper's) of 31 March 2024, and a second a year
//! on, 31 March 2025, for five actions: four improve and one slips, so the document flags a
//! worsened grade. (Were the demo run before that second date, only the first is made.)

use crate::{COUNCIL_NAME, DemoError};
use caremarket_core::Date;
use caremarket_core::governance::scrutiny::{NewProgress, ReviewHeader};
use caremarket_ingest::governance::scrutiny::read_scrutiny;
use caremarket_store::{Actor, Store};

const TABLE: &str = include_str!("../../../fixtures/governance/stockton-scrutiny-care-at-home-2024.csv");

/// The paper's officers, and the fictional demo officers who take their places.
const OFFICERS: [(&str, &str); 14] = [
    ("Catherine Buller", "Alex Moorcroft"),
    ("Karen Shaw", "Jo Pendleton"),
    ("Julie Nisbet", "Sam Greaves"),
    ("Kerry Anderson", "Lee Whitworth"),
    ("Rob Papworth", "Robin Hargreaves"),
    ("Zoe Flood", "Zara Fielding"),
    ("Shaun Taylor", "Shaun Thwaite"),
    ("Krasen Saltikov", "Kit Sutcliffe"),
    ("Carol Devine Wilson", "Carol Dunmore"),
    ("Darren Boyd", "Dan Brierley"),
    ("Gary Woods", "Gary Wadsworth"),
    ("Martin Skipsey", "Mo Kershaw"),
    ("Lisa Tague", "Lisa Tattersall"),
    ("Helen Whately MP", "the Minister of State"),
];

/// The demo council's words for the paper's: its name, its place and its initials.
fn localise(text: &str) -> String {
    let place = COUNCIL_NAME.trim_end_matches(" Borough Council");
    let initials: String = COUNCIL_NAME.split_whitespace().filter_map(|w| w.chars().next()).collect();
    let mut t = text
        .replace("Stockton-on-Tees Borough Council", COUNCIL_NAME)
        .replace("Stockton-on-Tees", place)
        .replace("Stockton Riverside college", &format!("{place} college"))
        .replace("Stockton", place)
        .replace("SBC", &initials);
    for (real, demo) in OFFICERS {
        t = t.replace(real, demo);
    }
    t
}

/// A year on: (recommendation, action's place under it, grade, evidence of progress, impact).
const NEXT_YEAR: [(i64, usize, &str, &str, &str); 5] = [
    (
        2,
        0,
        "1",
        "Care at Home stories now run in every other issue of the council's magazine: four published this year, two of them written with providers.",
        "Two providers report applicants who mentioned the stories.",
    ),
    (
        5,
        1,
        "1",
        "All six Care at Home providers have now had their PAMMS assessment; standards S12, QF02 and F03 were assessed Good or better for each.",
        "No complaints this year about office cover or changes to visits not being communicated.",
    ),
    (
        7,
        1,
        "3",
        "The regional ADASS forum deferred the item on a national register for care workers twice; it has not yet been raised with DHSC.",
        "",
    ),
    (
        11,
        0,
        "1",
        "Assistive technology showcase held with providers in the autumn; referrals to the community alarm service rose from 10 to 34.",
        "More people supported at home with technology alongside shorter visits.",
    ),
    (
        13,
        0,
        "1",
        "The new Care at Home contract requires providers to offer non-electronic logbooks and to say so in their service-user information packs.",
        "Logbooks in use in homes where people asked for them; checked at contract monitoring visits.",
    ),
];

pub async fn generate_scrutiny(store: &Store, today: Date) -> Result<(), DemoError> {
    let actor = Actor::system("demo");
    let date = |y, m, d| Date::new(y, m, d).map_err(|e| DemoError::Invalid(e.to_string()));
    let (first, latest) = (date(2024, 3, 31)?, date(2025, 3, 31)?);
    let header = ReviewHeader::parse(
        "Care at Home",
        "Adult Social Care and Health Select Committee",
        &localise("Martin Skipsey"),
        "February 2023",
        "",
        today,
    )
    .map_err(|e| DemoError::Invalid(e.to_string()))?;
    let table = localise(TABLE);
    let rows = read_scrutiny("scrutiny.csv", table.as_bytes()).map_err(|e| DemoError::Invalid(e.to_string()))?;
    let id = store.create_scrutiny_review(&actor, &header).await?;
    store.import_scrutiny(&actor, &id, &rows, first).await?;

    if latest > today {
        return Ok(());
    }
    let review = store.scrutiny_review(&id).await?;
    for (number, index, grade, evidence, impact) in NEXT_YEAR {
        let Some(action) = review.recommendations.iter().find(|r| r.number == number).and_then(|r| r.actions.get(index)) else {
            return Err(DemoError::Invalid(format!("the seed has no action {index} under recommendation {number}")));
        };
        let p = NewProgress::parse(Some(latest), evidence, grade, impact, today).map_err(|e| DemoError::Invalid(e.to_string()))?;
        store.record_scrutiny_progress(&actor, &action.id, &p).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_paper_reads_as_the_demo_councils() {
        let t = localise(
            "SBC ensures Stockton-on-Tees Borough Council's providers (Catherine Buller) are in the Stockton Information Directory",
        );
        assert_eq!(t, "NBC ensures Northmoor Borough Council's providers (Alex Moorcroft) are in the Northmoor Information Directory");
    }
}
