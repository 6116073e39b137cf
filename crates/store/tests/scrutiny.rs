//! Scrutiny reviews (`002`) on both backends: the seed's table imported as one progress update and
//! its grades counted from the file itself, a later update kept beside the first (a worse grade
//! flagged), edits and refusals, and every change audited.

use caremarket_core::Date;
use caremarket_core::governance::scrutiny::{Grade, GradeSummary, NewAction, NewProgress, NewRecommendation, ReviewHeader};
use caremarket_ingest::governance::scrutiny::read_scrutiny;
use caremarket_store::{Actor, AuditQuery, StoreError};

const SEED: &[u8] = include_bytes!("../../../fixtures/governance/stockton-scrutiny-care-at-home-2024.csv");

fn d(y: i16, m: i8, dd: i8) -> Date {
    Date::new(y, m, dd).expect("a real date")
}

fn header() -> ReviewHeader {
    ReviewHeader::parse(
        "Care at Home",
        "Adult Social Care and Health Select Committee",
        "Martin Skipsey",
        "February 2023",
        "",
        d(2024, 3, 31),
    )
    .expect("a valid header")
}

/// The grades in the fixture, counted from its "Assessment of progress" cells (the number each
/// starts with), without the reader under test.
fn seed_counts() -> ([usize; 4], usize) {
    let mut r = csv::Reader::from_reader(SEED);
    let col = r.headers().expect("a header row").iter().position(|h| h == "Assessment of progress").expect("the grade column");
    let mut counts = [0; 4];
    let mut rows = 0;
    for rec in r.records() {
        let rec = rec.expect("a row");
        rows += 1;
        let n: usize = rec[col].trim()[..1].parse().expect("a grade number");
        counts[n - 1] += 1;
    }
    (counts, rows)
}

#[tokio::test]
async fn the_seed_progress_update_imports_with_its_grades() {
    let (counts, rows_in_file) = seed_counts();
    // `002`: 31 graded actions: 19 graded 1, 11 graded 2, 1 graded 3, none graded 4.
    assert_eq!((rows_in_file, counts), (31, [19, 11, 1, 0]));
    let rows = read_scrutiny("scrutiny.csv", SEED).unwrap();
    let march = d(2024, 3, 31);
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let actor = Actor::system("test");
        let id = s.create_scrutiny_review(&actor, &header()).await.unwrap();
        let summary = s.import_scrutiny(&actor, &id, &rows, march).await.unwrap();
        assert_eq!((summary.recommendations_added, summary.actions_added, summary.updates), (15, rows_in_file, rows_in_file));
        assert!(summary.without_progress.is_empty());

        let review = s.scrutiny_review(&id).await.unwrap();
        assert_eq!(review.header, header());
        assert_eq!(review.header.updates_due.text, "February 2024");
        assert_eq!(review.recommendations.len(), 15);
        assert_eq!(review.grade_summary(march), GradeSummary { counts, ungraded: 0 });
        let four: Vec<i64> = review.recommendations[3].actions.iter().map(|a| a.standing(march).current.unwrap().grade.number()).collect();
        assert_eq!(four, [1, 1, 2, 1], "recommendation 4's actions as `002` grades them");
        // Before the update's date no action had been graded.
        assert_eq!(review.grade_summary(d(2024, 3, 30)).ungraded, rows_in_file);
        // Pasted markup is kept as written.
        assert!(review.recommendations[14].actions[0].updates[0].evidence.starts_with("<ul> <li>In March 2022"));

        // A year on, recommendation 13's slipped action is fully achieved and recommendation 1's
        // first action slips: the March 2024 update is kept and the worse grade is flagged.
        let next = d(2025, 3, 31);
        let slipped = &review.recommendations[12].actions[0];
        let first = &review.recommendations[0].actions[0];
        let p = NewProgress::parse(Some(next), "Clauses in the new contract from October 2024.", "1", "", d(2025, 4, 1)).unwrap();
        s.record_scrutiny_progress(&actor, &slipped.id, &p).await.unwrap();
        let p = NewProgress::parse(Some(next), "Directory entries out of date again.", "3", "Complaints about listings.", d(2025, 4, 1))
            .unwrap();
        s.record_scrutiny_progress(&actor, &first.id, &p).await.unwrap();
        let review = s.scrutiny_review(&id).await.unwrap();
        let first = &review.recommendations[0].actions[0];
        assert_eq!(first.updates.len(), 2, "the earlier update is kept");
        let now = first.standing(next);
        assert_eq!((now.current.unwrap().grade, now.previous.unwrap().grade, now.worsened), (Grade::Slipped, Grade::FullyAchieved, true));
        assert!(!review.recommendations[12].actions[0].standing(next).worsened);
        assert_eq!(review.grade_summary(march), GradeSummary { counts, ungraded: 0 }, "March 2024 reads as it was");
        assert_eq!(review.grade_summary(next).counts, [counts[0], counts[1], counts[2], 0], "one 1 became 3, one 3 became 1");
        assert_eq!(review.update_dates(), [next, march]);

        let list = s.scrutiny_reviews().await.unwrap();
        assert_eq!((list.len(), list[0].recommendations, list[0].actions), (1, 15, 31));
        assert_eq!(list[0].last_update.as_deref(), Some("2025-03-31"));

        // Re-importing the same table next year adds updates, not copies.
        let again = s.import_scrutiny(&actor, &id, &rows, d(2026, 3, 31)).await.unwrap();
        assert_eq!((again.recommendations_added, again.actions_added, again.updates), (0, 0, 31));

        let (audit, _) =
            s.audit_entries(&AuditQuery { entity_type: None, entity_id: None, actor: None, limit: 100, offset: 0 }).await.unwrap();
        let kinds: Vec<&str> = audit.iter().map(|a| a.entity_type.as_str()).collect();
        assert_eq!(kinds.iter().filter(|k| **k == "scrutiny_review").count(), 3, "create and two imports");
        assert_eq!(kinds.iter().filter(|k| **k == "scrutiny_progress").count(), 2);
    }
}

#[tokio::test]
async fn reviews_recommendations_and_actions_are_kept_and_edited_with_audit() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let actor = Actor::system("test");
        let id = s.create_scrutiny_review(&actor, &header()).await.unwrap();
        let rec = s
            .add_scrutiny_recommendation(&actor, &id, &NewRecommendation::parse("1", "Keep the directory current").unwrap())
            .await
            .unwrap();
        let two = s.add_scrutiny_recommendation(&actor, &id, &NewRecommendation::parse("2", "Promote the sector").unwrap()).await.unwrap();
        // A number already used is refused on the number field.
        let dup = s.add_scrutiny_recommendation(&actor, &id, &NewRecommendation::parse("1", "Again").unwrap()).await.unwrap_err();
        assert_eq!(dup.to_string(), "number: Recommendation 1 is already on this review: give another number");
        let err = s
            .update_scrutiny_recommendation(
                &actor,
                &two,
                &NewRecommendation::parse("1", "x").unwrap(),
                caremarket_core::versions::Version::FIRST,
            )
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)));
        s.update_scrutiny_recommendation(
            &actor,
            &two,
            &NewRecommendation::parse("3", "Promote the care sector").unwrap(),
            caremarket_core::versions::Version::FIRST,
        )
        .await
        .unwrap();

        let a = NewAction::parse("Re-launch SID", "Catherine Buller", "July 2023", "Provider information is current").unwrap();
        let action = s.add_scrutiny_action(&actor, &rec, &a).await.unwrap();
        let a2 = NewAction::parse("Re-launch SID with providers' entries", "Catherine Buller", "Ongoing", "").unwrap();
        s.update_scrutiny_action(&actor, &action, &a2, caremarket_core::versions::Version::FIRST).await.unwrap();
        assert!(matches!(s.add_scrutiny_action(&actor, "nope", &a).await, Err(StoreError::NotFound(_))));

        let h = ReviewHeader::parse("Care at Home (2022/23)", "ASCH Select", "M Skipsey", "February 2023", "March 2024", d(2024, 3, 31))
            .unwrap();
        s.update_scrutiny_review(&actor, &id, &h, caremarket_core::versions::Version::FIRST).await.unwrap();
        let review = s.scrutiny_review(&id).await.unwrap();
        assert_eq!(review.header.updates_due.date, Some(d(2024, 3, 31)));
        let numbers: Vec<i64> = review.recommendations.iter().map(|r| r.number).collect();
        assert_eq!(numbers, [1, 3]);
        let kept = &review.recommendations[0].actions[0];
        assert_eq!(
            (kept.action.as_str(), kept.due.text.as_str(), kept.due.date),
            ("Re-launch SID with providers' entries", "Ongoing", None)
        );

        let (audit, _) =
            s.audit_entries(&AuditQuery { entity_type: None, entity_id: None, actor: None, limit: 100, offset: 0 }).await.unwrap();
        let updates: Vec<&str> = audit.iter().filter(|a| a.action == "update").map(|a| a.entity_type.as_str()).collect();
        assert_eq!(updates.len(), 3, "{updates:?}");
        for kind in ["scrutiny_review", "scrutiny_recommendation", "scrutiny_action"] {
            assert!(updates.contains(&kind), "{kind} change audited");
        }
    }
}

#[tokio::test]
async fn a_refused_import_writes_nothing() {
    let mut rows = read_scrutiny("scrutiny.csv", SEED).unwrap();
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let actor = Actor::system("test");
        let id = s.create_scrutiny_review(&actor, &header()).await.unwrap();
        assert!(matches!(s.import_scrutiny(&actor, "nope", &rows, d(2024, 3, 31)).await, Err(StoreError::NotFound(_))));
        let first = rows[0].number.take();
        let err = s.import_scrutiny(&actor, &id, &rows, d(2024, 3, 31)).await.unwrap_err();
        assert_eq!(err.to_string(), "file: Row 2: the first row must give its recommendation's number");
        rows[0].number = first;
        assert!(s.scrutiny_review(&id).await.unwrap().recommendations.is_empty(), "nothing was written");
    }
}
