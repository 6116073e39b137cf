//! A web upload waiting for the officer's confirmation keeps its files as they arrived, in chunks
//! (issue 18 item 1, migration 0043): read back byte for byte in order, only by the officer who
//! uploaded them, nothing kept until the upload is finished, and nothing left once it is removed.
//! On SQLite, and on PostgreSQL when CAREMARKET_TEST_POSTGRES_URL is set.

use caremarket_core::register::import_plan::Completeness;
use caremarket_store::StoreError;
use caremarket_store::import::PENDING_CHUNK_BYTES;
use caremarket_testkit as testing;

/// Bytes of every value, in a pattern that a chunk out of order or cut short would break.
fn bytes(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8 ^ seed).collect()
}

#[tokio::test]
async fn a_pending_upload_gives_back_its_files_byte_for_byte() {
    for store in testing::all_backends().await.expect("stores") {
        // Two files: one over two chunks and a bit, one of a few bytes.
        let big = bytes(2 * PENDING_CHUNK_BYTES + 12_345, 7);
        let small = bytes(10, 200);
        let names = vec!["export.csv".to_string(), "extra.csv".to_string()];
        let mut writer = store.start_pending_import(Some("officer-1"), Completeness::Complete, &names).await.expect("start");
        for part in big.chunks(PENDING_CHUNK_BYTES) {
            writer.add_chunk(0, part).await.expect("chunk");
        }
        writer.add_chunk(1, &small).await.expect("chunk");
        // A chunk over the limit, or for a file the upload does not have, is refused.
        assert!(writer.add_chunk(0, &vec![0; PENDING_CHUNK_BYTES + 1]).await.is_err());
        assert!(matches!(writer.add_chunk(2, b"x").await, Err(StoreError::NotFound(_))));
        let id = writer.finish().await.expect("finish");

        let (completeness, files) = store.pending_import(&id, Some("officer-1")).await.expect("pending");
        assert_eq!(completeness, Completeness::Complete);
        let got_names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(got_names, ["export.csv", "extra.csv"]);
        assert_eq!(files[0].chunks, big.len().div_ceil(PENDING_CHUNK_BYTES) as i64);
        assert_eq!(files[1].chunks, 1);
        for (file, expected) in files.iter().zip([&big, &small]) {
            let mut back = Vec::new();
            for seq in 0..file.chunks {
                back.extend(store.pending_import_chunk(&id, file, seq).await.expect("chunk"));
            }
            assert_eq!(&back, expected, "{}", file.name);
        }

        // Someone else's, or no one's, upload is not found.
        assert!(matches!(store.pending_import(&id, Some("officer-2")).await, Err(StoreError::NotFound(_))));
        assert!(matches!(store.pending_import(&id, None).await, Err(StoreError::NotFound(_))));

        // Removed: the upload and every chunk are gone.
        store.remove_pending_import(&id).await.expect("remove");
        assert!(matches!(store.pending_import(&id, Some("officer-1")).await, Err(StoreError::NotFound(_))));
        for file in &files {
            assert!(matches!(store.pending_import_chunk(&id, file, 0).await, Err(StoreError::NotFound(_))), "{}", file.name);
        }
    }
}

#[tokio::test]
async fn an_upload_not_finished_keeps_nothing() {
    for store in testing::all_backends().await.expect("stores") {
        let names = vec!["export.csv".to_string()];
        let mut writer = store.start_pending_import(Some("officer-1"), Completeness::Partial, &names).await.expect("start");
        writer.add_chunk(0, &bytes(1000, 1)).await.expect("chunk");
        let id = writer.id().to_string();
        // The request stopped (the disk failed, the officer went away) before the upload was kept.
        drop(writer);
        assert!(matches!(store.pending_import(&id, Some("officer-1")).await, Err(StoreError::NotFound(_))));
        // The store is free for the next write.
        let writer = store.start_pending_import(Some("officer-1"), Completeness::Partial, &names).await.expect("start again");
        let id = writer.finish().await.expect("finish");
        let (_, files) = store.pending_import(&id, Some("officer-1")).await.expect("pending");
        assert_eq!(files[0].chunks, 0);
    }
}
