//! Postcode positions for the Open Referral feed: a load replaces the table in one audited
//! transaction, and look-ups ignore spacing and case. Run on every backend available.

use caremarket_store::postcodes::PostcodePosition;
use caremarket_store::{Actor, AuditQuery};
use caremarket_testkit as testing;

fn point(pc: &str, lat: f64, lon: f64) -> PostcodePosition {
    PostcodePosition { postcode: pc.to_string(), latitude: lat, longitude: lon }
}

#[tokio::test]
async fn a_load_replaces_the_positions_and_is_audited() {
    for store in testing::all_backends().await.expect("backends") {
        let actor = Actor::system("test");
        let first = vec![point("OL1 1AA", 53.541, -2.1), point("OL1 1UT", 53.542, -2.117), point("OL4 1AA", 53.536, -2.103)];
        let n = store.replace_postcode_positions(&actor, "first.csv", &first).await.expect("load");
        assert_eq!(n, first.len() as u64, "{:?}", store.backend());

        let wanted = vec!["ol11aa".to_string(), "OL1  1UT".to_string(), "M1 1AA".to_string()];
        let found = store.postcode_positions(&wanted).await.expect("lookup");
        assert_eq!(found.get("ol11aa"), Some(&(53.541, -2.1)), "keyed by the postcode as given, whatever its spacing");
        assert_eq!(found.get("OL1  1UT"), Some(&(53.542, -2.117)));
        assert!(!found.contains_key("M1 1AA"), "a postcode not loaded has no position");

        // A second load replaces the first whole; a repeated postcode keeps its last position.
        let second = vec![point("OL8 1AA", 53.526, -2.122), point("OL9 6AA", 53.542, -2.121), point("OL9 6AA", 53.5425, -2.1215)];
        let n = store.replace_postcode_positions(&actor, "second.csv", &second).await.expect("load");
        assert_eq!(n, 2);
        assert_eq!(store.count_postcode_positions().await.expect("count"), 2);
        let found = store.postcode_positions(&["OL1 1AA".to_string(), "OL9 6AA".to_string()]).await.expect("lookup");
        assert!(!found.contains_key("OL1 1AA"));
        assert_eq!(found.get("OL9 6AA"), Some(&(53.5425, -2.1215)));

        let (audit, _) = store
            .audit_entries(&AuditQuery {
                entity_type: Some("postcode_positions".into()),
                entity_id: None,
                actor: None,
                limit: 50,
                offset: 0,
            })
            .await
            .expect("audit");
        let summaries: Vec<&str> = audit.iter().map(|e| e.summary.as_str()).collect();
        assert!(summaries.contains(&"Loaded 3 postcode positions from first.csv"), "{summaries:?}");
        assert!(summaries.contains(&"Loaded 2 postcode positions from second.csv"), "{summaries:?}");
    }
}
