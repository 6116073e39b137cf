//! `caremarket import spend FILE` (issue 11 item 6): the finance system's spend file imported all
//! or nothing, each bad row named by its row and column, the same file twice counted once.

use caremarket_core::fees::budgets::CostCentreDraft;
use caremarket_core::register::ServiceKind;
use caremarket_store::fees::budgets::SpendFilter;
use caremarket_store::{Actor, Store};
use std::process::Command;

fn caremarket(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_caremarket"));
    cmd.current_dir(dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("CAREMARKET_") {
            cmd.env_remove(k);
        }
    }
    cmd.env_remove("RUST_LOG");
    cmd
}

#[tokio::test]
async fn import_spend_is_all_or_nothing_and_a_second_import_replaces_the_first() {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let dir = std::env::temp_dir().join(format!("caremarket-cli-spend-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let url = format!("sqlite://{}", dir.join("caremarket.db").display());
    let store = Store::connect(&url).await.expect("store");
    store
        .save_cost_centre(
            &Actor::system("test"),
            &CostCentreDraft { code: "ASC-HC".into(), name: "Home care".into(), kind: Some(ServiceKind::HomeCare) },
            None,
        )
        .await
        .expect("centre");

    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "Period,Amount,Supplier,Cost Centre\n2024-04,100.00,Acme,ASC-HC\n2024-04,5,Beta,ASC-ZZ\n").expect("write");
    let out = caremarket(&dir).args(["import", "spend"]).arg(&bad).args(["--database-url", &url]).output().expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("row 3: 'cost_centre' 'ASC-ZZ' is not one of the council's cost centres"), "{stderr}");
    assert!(stderr.contains("bad.csv was not imported: 1 problem; nothing was changed"), "{stderr}");
    assert!(store.spend_rows(&SpendFilter::default()).await.expect("rows").is_empty());

    let good = dir.join("ledger.csv");
    std::fs::write(&good, "Period,Amount,Supplier,Cost Centre\n2024-04,\"£1,100.50\",Acme,ASC-HC\n2024-05-31,-0.50,Acme,asc-hc\n")
        .expect("write");
    for (attempt, replacing) in [(1, ""), (2, ", replacing 2 rows imported before for the same cost centres and months")] {
        let out = caremarket(&dir).args(["import", "spend"]).arg(&good).args(["--database-url", &url]).output().expect("run");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "attempt {attempt}: {stdout} {}", String::from_utf8_lossy(&out.stderr));
        let want = format!("Imported 2 spend rows from {} (£1,100.00){replacing}", good.display());
        assert!(stdout.contains(&want), "want {want:?} in {stdout}");
        assert!(stdout.contains("1 supplier is not matched to a provider: match it at /fees/budgets/suppliers"), "{stdout}");
    }
    let rows = store.spend_rows(&SpendFilter::default()).await.expect("rows");
    assert_eq!((rows.len(), rows.iter().map(|r| r.amount_pence).sum::<i64>()), (2, 110_050 - 50));
    let _ = std::fs::remove_dir_all(&dir);
}
