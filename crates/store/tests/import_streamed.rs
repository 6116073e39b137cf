//! A CQC file imported as it is read (`import_cqc_streamed`, the command line's path; issue 18
//! item 1): it writes what the same locations held whole write, a first import and a re-import
//! of a changed file that lacks some fields alike, and a file that cannot be read to its end
//! changes nothing. On SQLite, and on PostgreSQL when CAREMARKET_TEST_POSTGRES_URL is set.

use crate::import_batches::{count, records_of, snapshot};
use caremarket_core::register::import_plan::{Completeness, CqcField, FieldSet, Listed, ListedDigests};
use caremarket_core::register::{CqcLocation, CqcRatingSet, Rating, RegistrationStatus};
use caremarket_store::import::{ImportOptions, ImportReport, Wanted, location_stream};
use caremarket_store::{Actor, Store, StoreError};
use caremarket_testkit as testing;

/// Two whole batches of 500 and part of a third.
const ROWS: usize = 1_203;

fn options(carried: FieldSet) -> ImportOptions {
    ImportOptions { file_name: "export.csv".into(), format: "test".into(), carried, ..Default::default() }
}

async fn held(store: &Store, records: &[CqcLocation], opts: &ImportOptions) -> Result<ImportReport, StoreError> {
    store.import_cqc(&Actor::system("test"), opts, records, Vec::new(), &mut |_, _| {}).await
}

/// The records sent one at a time from a thread of their own, as the file reader sends them;
/// then `end`, or nothing (a reader that stopped without saying).
async fn streamed(
    store: &Store,
    records: Vec<CqcLocation>,
    end: Option<Result<(), String>>,
    opts: &ImportOptions,
) -> Result<ImportReport, StoreError> {
    let (mut sender, stream) = location_stream(Listed::of(&records));
    let reader = tokio::task::spawn_blocking(move || {
        for r in records {
            sender.send(r);
        }
        if let Some(end) = end {
            sender.end(end);
        }
    });
    let report = store.import_cqc_streamed(&Actor::system("test"), opts, stream, Vec::new(), &mut |_, _| {}).await;
    reader.await.expect("reader");
    report
}

/// The file again, changed: every 100th location renamed, every 150th newly rated, and no phone
/// numbers in the file's layout (each location keeps its stored phone).
fn changed(records: &[CqcLocation]) -> (Vec<CqcLocation>, FieldSet) {
    let mut out = records.to_vec();
    for (i, r) in out.iter_mut().enumerate() {
        if i % 100 == 0 {
            r.name = format!("{} (renamed)", r.name);
        }
        if i % 150 == 0 {
            r.rating = Some(CqcRatingSet {
                overall: Some(Rating::Inadequate),
                report_date: Some("2026-11-02".parse().expect("date")),
                ..Default::default()
            });
        }
        r.phone = None;
    }
    let mut carried = FieldSet::default();
    for f in FieldSet::all().iter().filter(|f| *f != CqcField::Phone) {
        carried.insert(f);
    }
    (out, carried)
}

#[tokio::test]
async fn a_streamed_import_writes_what_the_held_import_writes() {
    let records = records_of(ROWS);
    let backends = [testing::all_backends().await.expect("stores"), testing::all_backends().await.expect("stores")];
    let [held_stores, streamed_stores] = backends;
    for (h, s) in held_stores.iter().zip(&streamed_stores) {
        let all = options(FieldSet::all());
        let a = held(h, &records, &all).await.expect("held");
        let b = streamed(s, records.clone(), Some(Ok(())), &all).await.expect("streamed");
        assert_eq!((b.new, b.updated, b.unchanged), (ROWS as i64, 0, 0));
        assert_eq!((a.new, a.rating_changes), (b.new, b.rating_changes));
        assert_eq!(snapshot(h).await, snapshot(s).await, "first import");

        let (again, carried) = changed(&records);
        let lacking = options(carried);
        let a = held(h, &again, &lacking).await.expect("held again");
        let b = streamed(s, again.clone(), Some(Ok(())), &lacking).await.expect("streamed again");
        // Counted from the changes made above: renamed or newly rated locations changed.
        let touched = (0..ROWS).filter(|i| i % 100 == 0 || i % 150 == 0).count() as i64;
        assert_eq!((b.new, b.updated, b.unchanged), (0, touched, ROWS as i64 - touched));
        assert_eq!((a.updated, a.unchanged, a.rating_changes), (b.updated, b.unchanged, b.rating_changes));
        assert_eq!(snapshot(h).await, snapshot(s).await, "re-import of a changed file");
        // The layout carried no phone numbers: every stored one is kept.
        let phones = records.iter().filter(|r| r.phone.is_some()).count() as i64;
        assert!(phones > 0);
        assert_eq!(count(s, "SELECT COUNT(*) FROM services WHERE phone IS NOT NULL").await, phones);
        let renamed = (0..ROWS).filter(|i| i % 100 == 0).count() as i64;
        assert_eq!(count(s, "SELECT COUNT(*) FROM services WHERE name LIKE '% (renamed)'").await, renamed);
    }
}

#[tokio::test]
async fn a_file_that_cannot_be_read_to_its_end_changes_nothing() {
    for store in testing::all_backends().await.expect("stores") {
        let all = options(FieldSet::all());
        // More than a batch arrives, and is written, before the reader fails.
        let records = records_of(700);
        let err = streamed(&store, records.clone(), Some(Err("row 702 of export.csv is cut off".into())), &all).await.expect_err("refused");
        let message = err.to_string();
        assert!(message.contains("row 702 of export.csv is cut off") && message.contains("nothing was imported"), "{message}");
        // A reader that stopped without saying how the file ended is not taken for its end.
        let err = streamed(&store, records, None, &all).await.expect_err("refused");
        assert!(err.to_string().contains("nothing was imported"), "{err}");
        for table in ["services", "providers", "rating_history", "imports"] {
            assert_eq!(count(&store, &format!("SELECT COUNT(*) FROM {table}")).await, 0, "{table}");
        }
    }
}

#[tokio::test]
async fn a_location_repeated_in_a_later_batch_is_updated_from_what_was_written() {
    for store in testing::all_backends().await.expect("stores") {
        // 1,001 locations, then the fourth again, renamed: it arrives in the third batch, after
        // its first appearance was written.
        let mut records = records_of(1_001);
        let mut repeat = records[3].clone();
        repeat.name = "Repeated in a later batch".into();
        let id = repeat.location_id.clone();
        records.push(repeat);
        let report = streamed(&store, records, Some(Ok(())), &options(FieldSet::all())).await.expect("import");
        assert_eq!((report.new, report.updated, report.unchanged), (1_001, 1, 0));
        assert_eq!(count(&store, "SELECT COUNT(*) FROM services").await, 1_001);
        let name: String = sqlx::query_scalar("SELECT name FROM services WHERE cqc_location_id = $1")
            .bind(&id)
            .fetch_one(store.pool())
            .await
            .expect("service");
        assert_eq!(name, "Repeated in a later batch");
    }
}

/// A streamed file's deregistrations use what its first reading listed (the stream carries it):
/// a complete file that no longer lists some registered services marks those deregistered, as
/// the held import of the same file does, and no other.
#[tokio::test]
async fn a_streamed_complete_file_deregisters_what_its_first_reading_did_not_list() {
    let records = records_of(ROWS);
    let left_out = |i: usize| i % 400 == 7;
    let kept: Vec<CqcLocation> = records.iter().enumerate().filter(|(i, _)| !left_out(*i)).map(|(_, r)| r.clone()).collect();
    // Counted here from the records: the registered locations the second file leaves out.
    let gone: Vec<&str> = records
        .iter()
        .enumerate()
        .filter(|(i, r)| left_out(*i) && r.registration_status == RegistrationStatus::Registered)
        .map(|(_, r)| r.location_id.as_str())
        .collect();
    assert!(!gone.is_empty());
    let complete = ImportOptions {
        complete_register: true,
        completeness: Completeness::Complete,
        confirmed_deregistrations: Some(gone.len()),
        ..options(FieldSet::all())
    };
    let backends = [testing::all_backends().await.expect("stores"), testing::all_backends().await.expect("stores")];
    let [held_stores, streamed_stores] = backends;
    for (h, s) in held_stores.iter().zip(&streamed_stores) {
        held(h, &records, &complete).await.expect("held first");
        streamed(s, records.clone(), Some(Ok(())), &complete).await.expect("streamed first");
        let a = held(h, &kept, &complete).await.expect("held again");
        let b = streamed(s, kept.clone(), Some(Ok(())), &complete).await.expect("streamed again");
        assert_eq!((b.deregistered, b.unchanged), (gone.len() as i64, kept.len() as i64), "{:?}", s.backend());
        assert_eq!((a.deregistered, a.unchanged), (b.deregistered, b.unchanged));
        let mut deregistered: Vec<String> =
            sqlx::query_scalar("SELECT cqc_location_id FROM services WHERE registration_status = 'deregistered'")
                .fetch_all(s.pool())
                .await
                .expect("deregistered");
        deregistered.sort();
        let mut expected: Vec<String> = gone.iter().map(|id| id.to_string()).collect();
        expected.sort();
        assert_eq!(deregistered, expected, "{:?}", s.backend());
        assert_eq!(snapshot(h).await, snapshot(s).await, "after the second, complete, file");
    }
}

/// A re-import asks for each location with its content digest and reads only the ones stored
/// otherwise (issue 18 item 1). A file may list a location twice in one batch: unchanged first
/// and renamed after, which is taken; or, for a location new to the register, twice the same,
/// which is one new service and one unchanged. A first import (asked by id) takes a location
/// listed twice as its last listing too.
#[tokio::test]
async fn a_location_listed_twice_in_one_batch_of_a_reimport_is_taken_as_the_file_last_gives_it() {
    for store in testing::all_backends().await.expect("stores") {
        let records = records_of(300);
        // The first import (into an empty register, asked by id) of the 300 and one location
        // listed twice in its first batch, renamed the second time.
        let mut first = records.clone();
        let mut twice = records[0].clone();
        twice.location_id = "1-FIRST-TWICE".into();
        twice.name = "Listed first".into();
        first.insert(5, twice.clone());
        twice.name = "Listed second".into();
        first.insert(50, twice.clone());
        let report = streamed(&store, first, Some(Ok(())), &options(FieldSet::all())).await.expect("first");
        // The second listing differs from the first, which this import wrote: an update.
        assert_eq!((report.new, report.updated, report.unchanged), (301, 1, 0), "{:?}", store.backend());
        let mut again = records.clone();
        again.push(twice.clone());
        // The tenth unchanged, then again renamed, within the same batch of 500.
        let mut renamed = records[9].clone();
        renamed.name = "Renamed on its second listing".into();
        again.insert(20, renamed.clone());
        // A location new to the register, listed twice the same.
        let mut new = records[0].clone();
        new.location_id = "1-NEW-TWICE".into();
        new.name = "New and listed twice".into();
        again.push(new.clone());
        again.push(new.clone());
        let report = streamed(&store, again, Some(Ok(())), &options(FieldSet::all())).await.expect("again");
        // Counted from the file: 301 stored and listed as they are, the renamed listing, the
        // new location once and then again as written.
        assert_eq!((report.new, report.updated, report.unchanged), (1, 1, 301 + 1), "{:?}", store.backend());
        assert_eq!(count(&store, "SELECT COUNT(*) FROM services").await, 302);
        for (location, name) in [(&renamed.location_id, &renamed.name), (&new.location_id, &new.name), (&twice.location_id, &twice.name)] {
            let stored: String = sqlx::query_scalar("SELECT name FROM services WHERE cqc_location_id = $1")
                .bind(location)
                .fetch_one(store.pool())
                .await
                .expect("service");
            assert_eq!(&stored, name, "{location}");
        }
    }
}

/// What the first reading of these records lists, with each location's digest, as the command
/// line's and the web upload's first reading make it (`caremarket_ingest::list_cqc_file`).
fn listed_with_digests(records: &[CqcLocation]) -> Listed {
    let mut digests = ListedDigests::default();
    for r in records {
        digests.add(r, &r.content_digest());
    }
    Listed { digests: Some(digests), ..Listed::of(records) }
}

/// The records read again as the command line's reader does: it first asks which locations the
/// import wants, reads nothing if none, and otherwise hands every location to the sender, which
/// passes on the wanted ones. Returns the report, what the import said it wanted and the
/// locations read again.
async fn compared(store: &Store, records: Vec<CqcLocation>, opts: &ImportOptions) -> (ImportReport, Wanted, Vec<String>) {
    let (mut sender, stream) = location_stream(listed_with_digests(&records));
    let reader = tokio::task::spawn_blocking(move || {
        let wanted = sender.wanted().clone();
        let mut read = Vec::new();
        if wanted != Wanted::None {
            for r in records {
                read.push(r.location_id.clone());
                sender.send(r);
            }
        }
        sender.end(Ok(()));
        (wanted, read)
    });
    let report = store.import_cqc_streamed(&Actor::system("test"), opts, stream, Vec::new(), &mut |_, _| {}).await.expect("import");
    let (wanted, read) = reader.await.expect("reader");
    (report, wanted, read)
}

/// A first reading that made each location's digest lets a re-import compare the file with the
/// register before reading it again (decision 57): only the locations stored otherwise are read
/// again, a file stored exactly as listed is not read again at all, and what is written, counted
/// and deregistered is what the held import of the same files gives.
#[tokio::test]
async fn a_reimport_compared_first_reads_again_only_what_differs() {
    let records = records_of(ROWS);
    let backends = [testing::all_backends().await.expect("stores"), testing::all_backends().await.expect("stores")];
    let [held_stores, streamed_stores] = backends;
    for (h, s) in held_stores.iter().zip(&streamed_stores) {
        let all = options(FieldSet::all());
        // Into an empty register nothing is compared: every location is read again.
        held(h, &records, &all).await.expect("held first");
        let (report, wanted, read) = compared(s, records.clone(), &all).await;
        assert_eq!(wanted, Wanted::All, "{:?}", s.backend());
        assert_eq!((report.new, read.len()), (ROWS as i64, ROWS));

        // Renamed or newly rated, every location carried: those are the only ones the import wants.
        let (mut again, _) = changed(&records);
        for (a, r) in again.iter_mut().zip(&records) {
            a.phone = r.phone.clone();
        }
        let touched: Vec<bool> = (0..ROWS).map(|i| i % 100 == 0 || i % 150 == 0).collect();
        let changed_count = touched.iter().filter(|t| **t).count() as i64;
        let a = held(h, &again, &all).await.expect("held again");
        let (b, wanted, read) = compared(s, again.clone(), &all).await;
        // Compared as the places wanted, so that a failure names them.
        let places = |w: &[bool]| w.iter().enumerate().filter(|(_, w)| **w).map(|(i, _)| i).collect::<Vec<usize>>();
        match &wanted {
            Wanted::Some(w) => assert_eq!((w.len(), places(w)), (ROWS, places(&touched)), "{:?}", s.backend()),
            other => panic!("{:?}: wanted {other:?}", s.backend()),
        }
        // Every location was handed to the sender; only the wanted were applied, each counted
        // once with the skipped ones.
        assert_eq!(read.len(), ROWS);
        assert_eq!((b.new, b.updated, b.unchanged), (0, changed_count, ROWS as i64 - changed_count));
        assert_eq!((a.updated, a.unchanged, a.rating_changes), (b.updated, b.unchanged, b.rating_changes));
        assert_eq!(snapshot(h).await, snapshot(s).await, "re-import of a changed file");

        // The same file again: stored exactly as listed, so it is not read again.
        let (b, wanted, read) = compared(s, again.clone(), &all).await;
        assert_eq!((wanted, read.len()), (Wanted::None, 0), "{:?}", s.backend());
        assert_eq!((b.new, b.updated, b.unchanged, b.deregistered), (0, 0, ROWS as i64, 0));
        let imports = count(s, "SELECT COUNT(*) FROM imports WHERE unchanged_count = 1203 AND updated_count = 0").await;
        assert_eq!(imports, 1, "the unread import is recorded with its counts");

        // Complete, leaving some registered locations out: those are deregistered, from the same
        // reading of the register that compared the digests, and nothing is read again.
        let left_out = |i: usize| i % 400 == 7;
        let kept: Vec<CqcLocation> = again.iter().enumerate().filter(|(i, _)| !left_out(*i)).map(|(_, r)| r.clone()).collect();
        let gone =
            again.iter().enumerate().filter(|(i, r)| left_out(*i) && r.registration_status == RegistrationStatus::Registered).count();
        assert!(gone > 0);
        let complete = ImportOptions {
            complete_register: true,
            completeness: Completeness::Complete,
            confirmed_deregistrations: Some(gone),
            ..options(FieldSet::all())
        };
        let a = held(h, &kept, &complete).await.expect("held complete");
        let (b, wanted, _) = compared(s, kept.clone(), &complete).await;
        assert_eq!(wanted, Wanted::None, "{:?}", s.backend());
        assert_eq!((b.deregistered, b.unchanged), (gone as i64, kept.len() as i64));
        assert_eq!((a.deregistered, a.unchanged), (b.deregistered, b.unchanged));
        assert_eq!(snapshot(h).await, snapshot(s).await, "after the complete file");
    }
}
