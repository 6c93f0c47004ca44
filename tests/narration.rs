//! The narration: one sentence per event type, held in a golden file. Every front end (the
//! headless output, the TUI log, the watcher) tells a run in these words, so this file is
//! what a DBA reads on any screen.
//!
//! An event type without a sample here fails: `kind_of` names every variant (adding one does
//! not compile until it is named), and every name must have a sample.
//! `UPDATE_GOLDEN=1 cargo test --test narration` rewrites the golden file.

// A test stops on a broken assumption: unwrap, expect and panic are its assertions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use cutover::events::Event;
use cutover::journal::Entry;
use cutover::narration::{Level, tell};
use std::collections::BTreeSet;
use std::path::Path;

/// Each event type by its journal name (`Event::name` has no wildcard: a new variant must
/// be named there, and then sampled here).
fn kind_of(event: &Event) -> &'static str {
    let name = event.name();
    let tag = serde_json::to_value(event)
        .ok()
        .and_then(|v| v.get("event").and_then(|e| e.as_str()).map(str::to_owned));
    assert_eq!(
        tag.as_deref(),
        Some(name),
        "Event::name is the journal's tag"
    );
    name
}

const ALL: [&str; 45] = [
    "run_started",
    "runbook_changed",
    "rehearsal_compared",
    "phase_started",
    "phase_budget_exceeded",
    "phase_finished",
    "step_skipped",
    "step_started",
    "statement_started",
    "notice",
    "statement_finished",
    "lock_wait",
    "retry",
    "step_finished",
    "step_failed",
    "command_output",
    "check_result",
    "precondition_checked",
    "backfill_started",
    "backfill_batch",
    "backfill_throttled",
    "backfill_resumed",
    "backfill_adjusted",
    "index_build_progress",
    "probe_sample",
    "alert",
    "manual_waiting",
    "manual_acknowledged",
    "checkpoint_reached",
    "decision_rejected",
    "server_activity",
    "decision_recorded",
    "uncertain_step",
    "lock_lost",
    "lock_regained",
    "reconnected",
    "awaiting_failure_decision",
    "rollback_outlook",
    "rollback_started",
    "rollback_step",
    "rollback_left_applied",
    "invalid_index_dropped",
    "cancelled",
    "statement_cancelled",
    "run_finished",
];

/// One journal line per event type (several where the wording depends on the values).
const SAMPLES: &str = r#"
{"ts":"2025-03-14T22:00:00Z","seq":1,"event":"run_started","run_id":"shop-20250314T220000.000Z-1a2b","runbook":"shop","title":"Shop loyalty tiers","checksum":"0123456789abcdef0123","operator":"dana","target":"cutover@db-prod-1:5432/shop","server_version":"16.4","cutover_version":"0.1.0","resumed":false,"hard_end":"2025-03-15T02:00:00Z"}
{"ts":"2025-03-14T22:00:00Z","seq":2,"event":"run_started","run_id":"shop-20250314T220000.000Z-1a2b","runbook":"shop","title":"Shop loyalty tiers","checksum":"0123456789abcdef0123","operator":"eve","target":"cutover@db-prod-1:5432/shop","server_version":"16.4","cutover_version":"0.1.0","resumed":true,"hard_end":"2025-03-15T02:00:00Z"}
{"ts":"2025-03-14T22:00:01Z","seq":3,"event":"runbook_changed","started_with":"0123456789abcdef0123","now":"fedcba9876543210fedc"}
{"ts":"2025-03-14T22:00:01Z","seq":3,"event":"rehearsal_compared","rehearsal":{"record":"runs/shop-20250313T180000.000Z-9f00.rehearsal.json","run_id":"shop-20250313T180000.000Z-9f00","fingerprint":"a1b2c3d4e5f60718293a","rehearsed_fingerprint":"a1b2c3d4e5f60718293a","steps":[["001_add_tier",1200]],"checks":[["tiers-in-use",true,"2"]]}}
{"ts":"2025-03-14T22:00:01Z","seq":3,"event":"rehearsal_compared","rehearsal":{"record":"runs/shop-20250313T180000.000Z-9f00.rehearsal.json","run_id":"shop-20250313T180000.000Z-9f00","fingerprint":"ffeeddccbbaa99887766","rehearsed_fingerprint":"a1b2c3d4e5f60718293a","drift":["added column public.customers.fax","changed index public.orders_ref: CREATE INDEX orders_ref ON public.orders USING btree (ref) → CREATE UNIQUE INDEX orders_ref ON public.orders USING btree (ref)"],"drift_accepted_by":"dana","steps":[],"checks":[]}}
{"ts":"2025-03-14T22:00:01Z","seq":4,"event":"phase_started","phase":"migrate"}
{"ts":"2025-03-14T22:30:01Z","seq":5,"event":"phase_budget_exceeded","phase":"migrate","budget_ms":1800000}
{"ts":"2025-03-14T22:31:01Z","seq":6,"event":"phase_finished","phase":"migrate","duration_ms":1860000}
{"ts":"2025-03-14T22:00:02Z","seq":7,"event":"step_skipped","step":"001_add_tier","reason":"already applied"}
{"ts":"2025-03-14T22:00:02Z","seq":8,"event":"step_started","step":"002_index","attempt":1,"in_transaction":false}
{"ts":"2025-03-14T22:00:02Z","seq":9,"event":"step_started","step":"003_backfill","attempt":2,"in_transaction":true}
{"ts":"2025-03-14T22:00:02Z","seq":10,"event":"statement_started","step":"003_backfill","index":1,"sql":"UPDATE customers SET tier = 'gold'\nWHERE spent > 1000"}
{"ts":"2025-03-14T22:00:03Z","seq":11,"event":"notice","step":"003_backfill","severity":"NOTICE","message":"relation \"tier_idx\" already exists, skipping"}
{"ts":"2025-03-14T22:00:03Z","seq":12,"event":"notice","step":"003_backfill","severity":"WARNING","message":"there is no transaction in progress"}
{"ts":"2025-03-14T22:00:04Z","seq":13,"event":"statement_finished","step":"003_backfill","index":1,"rows":4182,"duration_ms":1250}
{"ts":"2025-03-14T22:00:05Z","seq":14,"event":"lock_wait","step":"005_drop_fax","blockers":[{"pid":48213,"application_name":"checkout-legacy","state":"idle in transaction","query":"SELECT id, fax FROM customers WHERE id = $1","xact_age_s":41.7}],"waited_ms":510}
{"ts":"2025-03-14T22:00:06Z","seq":15,"event":"retry","step":"005_drop_fax","attempt":2,"delay_ms":183,"reason":"canceling statement due to lock timeout"}
{"ts":"2025-03-14T22:00:07Z","seq":16,"event":"step_finished","step":"003_backfill","duration_ms":5300,"rows":4182}
{"ts":"2025-03-14T22:00:07Z","seq":17,"event":"step_finished","step":"004_events","duration_ms":80,"rows":0}
{"ts":"2025-03-14T22:00:08Z","seq":18,"event":"step_failed","step":"006_constraint","error":{"sqlstate":"23505","message":"could not create unique index \"orders_ref\"","detail":"Key (ref)=(A-1) is duplicated.","hint":null,"statement":1,"file":"migrations/006.sql","line":3,"column":1}}
{"ts":"2025-03-14T22:00:09Z","seq":19,"event":"command_output","step":"backup","exit_code":0,"stdout_tail":"pg_dump: dumping contents\nbackup written","stderr_tail":""}
{"ts":"2025-03-14T22:00:09Z","seq":20,"event":"command_output","step":"smoke","exit_code":2,"stdout_tail":"","stderr_tail":"curl: (7) connection refused"}
{"ts":"2025-03-14T22:00:10Z","seq":21,"event":"check_result","step":"tiers-in-use","passed":true,"actual":"2","expected":{"value":{"compare":{"op":"eq","value":2}}},"severity":"critical","duration_ms":12}
{"ts":"2025-03-14T22:00:10Z","seq":22,"event":"check_result","step":"orphans","passed":false,"actual":"3","expected":{"rows":0},"severity":"critical","duration_ms":12}
{"ts":"2025-03-14T22:00:10Z","seq":23,"event":"check_result","step":"bloat","passed":false,"actual":"41","expected":{"value":{"compare":{"op":"lt","value":30}}},"severity":"warning","duration_ms":12}
{"ts":"2025-03-14T22:00:10Z","seq":23,"event":"precondition_checked","step":"add-tier","index":1,"passed":true,"actual":"0","expected":{"value":{"compare":{"op":"eq","value":0}}},"on_fail":"halt","duration_ms":3}
{"ts":"2025-03-14T22:00:10Z","seq":23,"event":"precondition_checked","step":"add-tier","index":1,"passed":false,"actual":"3","expected":{"value":{"compare":{"op":"eq","value":0}}},"on_fail":"halt","duration_ms":3}
{"ts":"2025-03-14T22:00:10Z","seq":23,"event":"precondition_checked","step":"add-tier","index":2,"passed":false,"actual":"1","expected":{"rows":0},"on_fail":"skip","duration_ms":3}
{"ts":"2025-03-14T22:00:10Z","seq":23,"event":"precondition_checked","step":"add-tier","index":3,"passed":false,"actual":"error [42P01]: relation \"tiers\" does not exist","expected":{"rows":1},"on_fail":"warn","duration_ms":3}
{"ts":"2025-03-14T22:00:10Z","seq":23,"event":"backfill_started","step":"fill-tier","from_key":0,"rows_done":0,"batches":0,"total_estimate":200000,"batch_size":1000}
{"ts":"2025-03-14T22:00:10Z","seq":23,"event":"backfill_started","step":"fill-tier","from_key":48000,"rows_done":48000,"batches":48,"batch_size":1331}
{"ts":"2025-03-14T22:00:10Z","seq":23,"event":"backfill_batch","step":"fill-tier","batch":49,"from_key":48000,"to_key":49331,"rows":1331,"duration_ms":212,"rows_done":49331,"next_batch_size":1464}
{"ts":"2025-03-14T22:00:10Z","seq":23,"event":"backfill_throttled","step":"fill-tier","reason":"replica lag 7s above 5s"}
{"ts":"2025-03-14T22:00:10Z","seq":23,"event":"backfill_resumed","step":"fill-tier","waited_ms":12400}
{"ts":"2025-03-14T22:00:10Z","seq":23,"event":"backfill_adjusted","step":"fill-tier","operator":"dana","change":{"change":"hold"},"batch_size":1331,"max_replica_lag_ms":5000,"held":true}
{"ts":"2025-03-14T22:00:10Z","seq":23,"event":"backfill_adjusted","step":"fill-tier","operator":"dana","change":{"change":"batch_size","rows":2662},"batch_size":2662,"held":false}
{"ts":"2025-03-14T22:00:10Z","seq":23,"event":"index_build_progress","step":"orders-idx","progress":{"phase":"building index: scanning table","blocks_done":1200,"blocks_total":5000,"tuples_done":0,"tuples_total":0}}
{"ts":"2025-03-14T22:00:10Z","seq":23,"event":"index_build_progress","step":"orders-idx","progress":{"phase":"waiting for writers before build","blocks_done":0,"blocks_total":0,"tuples_done":0,"tuples_total":0,"lockers_done":0,"lockers_total":1}}
{"ts":"2025-03-14T22:00:11Z","seq":24,"event":"probe_sample","step":"replica-lag","value":3,"alert":false}
{"ts":"2025-03-14T22:00:11Z","seq":25,"event":"probe_sample","step":"replica-lag","value":12,"alert":true}
{"ts":"2025-03-14T22:00:11Z","seq":26,"event":"alert","step":"replica-lag","value":"12","threshold":"gt 10"}
{"ts":"2025-03-14T22:00:12Z","seq":27,"event":"manual_waiting","step":"announce","prompt":"Tell #ops the window starts"}
{"ts":"2025-03-14T22:00:13Z","seq":28,"event":"manual_acknowledged","step":"announce","operator":"dana"}
{"ts":"2025-03-14T22:00:14Z","seq":29,"event":"checkpoint_reached","step":"go-live","prompt":"Open the shop again?","questions":["Checks reviewed?"],"failed_critical":[],"projected_end":"2025-03-14T22:40:00Z","hard_end":"2025-03-15T02:00:00Z"}
{"ts":"2025-03-14T22:00:14Z","seq":30,"event":"checkpoint_reached","step":"go-live","prompt":"Open the shop again?","questions":["Checks reviewed?"],"failed_critical":["orphans"],"projected_end":"2025-03-14T22:40:00Z","hard_end":"2025-03-15T02:00:00Z"}
{"ts":"2025-03-14T22:00:14Z","seq":30,"event":"checkpoint_reached","step":"go-live","prompt":"Open the shop again?","questions":["Checks reviewed?"],"failed_critical":[],"projected_end":"2025-03-14T22:40:00Z","hard_end":"2025-03-15T02:00:00Z","pace":1.42,"advice":"go"}
{"ts":"2025-03-14T22:00:14Z","seq":30,"event":"checkpoint_reached","step":"go-live","prompt":"Open the shop again?","questions":["Checks reviewed?"],"failed_critical":[],"projected_end":"2025-03-15T01:50:00Z","hard_end":"2025-03-15T02:00:00Z","pace":1.0,"advice":"tight"}
{"ts":"2025-03-14T22:00:14Z","seq":30,"event":"checkpoint_reached","step":"go-live","prompt":"Open the shop again?","questions":["Checks reviewed?"],"failed_critical":["orphans"],"projected_end":"2025-03-15T02:18:00Z","hard_end":"2025-03-15T02:00:00Z","pace":3.0,"advice":"no_go"}
{"ts":"2025-03-14T22:00:15Z","seq":31,"event":"decision_rejected","step":"go-live","reason":"not every question is confirmed"}
{"ts":"2025-03-14T22:00:15Z","seq":32,"event":"server_activity","step":"go-live","sessions":[]}
{"ts":"2025-03-14T22:00:15Z","seq":33,"event":"server_activity","step":"go-live","sessions":[{"pid":48213,"application_name":"checkout-legacy","user":"app","state":"idle in transaction","xact_start":"2025-03-14T21:58:00Z","query":"SELECT id, fax\n  FROM customers","waits_for":[],"blocking":1}]}
{"ts":"2025-03-14T22:00:16Z","seq":34,"event":"decision_recorded","step":"go-live","decision":"go","operator":"dana","comment":"looks good","answers":[["Checks reviewed?",true]],"overrode_failed_checks":["orphans"],"restored":false}
{"ts":"2025-03-14T22:00:16Z","seq":35,"event":"decision_recorded","step":"go-for-migration","decision":"go","operator":"dana","comment":null,"answers":[],"overrode_failed_checks":[],"restored":true}
{"ts":"2025-03-14T22:00:16Z","seq":36,"event":"decision_recorded","step":"go-live","decision":"rollback","operator":"frank","comment":null,"answers":[],"overrode_failed_checks":[],"restored":false}
{"ts":"2025-03-14T22:00:16Z","seq":37,"event":"decision_recorded","step":"go-live","decision":"abort","operator":"frank","comment":null,"answers":[],"overrode_failed_checks":[],"restored":false}
{"ts":"2025-03-14T22:00:17Z","seq":38,"event":"uncertain_step","step":"002_index","still_running":["pid 7 CREATE INDEX CONCURRENTLY (building index: scanning table, 40% of blocks)"]}
{"ts":"2025-03-14T22:00:18Z","seq":39,"event":"lock_lost","reason":"the lock connection closed"}
{"ts":"2025-03-14T22:00:19Z","seq":40,"event":"lock_regained","pid":5150}
{"ts":"2025-03-14T22:00:20Z","seq":41,"event":"reconnected","session":"working","reason":"terminating connection due to administrator command"}
{"ts":"2025-03-14T22:00:21Z","seq":42,"event":"awaiting_failure_decision","step":"006_constraint"}
{"ts":"2025-03-14T22:00:21Z","seq":42,"event":"rollback_outlook","undoes":["004_events","003_backfill"],"left_applied":[{"step":"000_seed","reason":"irreversible: the shop itself"}]}
{"ts":"2025-03-14T22:00:21Z","seq":42,"event":"rollback_outlook","undoes":[],"left_applied":[]}
{"ts":"2025-03-14T22:00:21Z","seq":42,"event":"rollback_outlook","undoes":["004_events"],"left_applied":[],"expected_ms":80000,"fits":true}
{"ts":"2025-03-14T22:00:21Z","seq":42,"event":"rollback_outlook","undoes":["004_events","003_backfill"],"left_applied":[],"expected_ms":5400000,"fits":false}
{"ts":"2025-03-14T22:00:22Z","seq":43,"event":"rollback_started","steps":["004_events","003_backfill"]}
{"ts":"2025-03-14T22:00:22Z","seq":44,"event":"rollback_started","steps":[]}
{"ts":"2025-03-14T22:00:23Z","seq":45,"event":"rollback_step","step":"004_events","ok":true,"error":null}
{"ts":"2025-03-14T22:00:23Z","seq":46,"event":"rollback_step","step":"003_backfill","ok":false,"error":{"sqlstate":"42703","message":"column \"tier\" does not exist","detail":null,"hint":null,"statement":1,"file":null,"line":null,"column":null}}
{"ts":"2025-03-14T22:00:23Z","seq":47,"event":"rollback_left_applied","step":"000_seed","reason":"irreversible: the shop itself"}
{"ts":"2025-03-14T22:00:24Z","seq":48,"event":"invalid_index_dropped","step":"002_index","index":"orders_customer_idx","error":null}
{"ts":"2025-03-14T22:00:24Z","seq":49,"event":"invalid_index_dropped","step":"002_index","index":"orders_customer_idx","error":{"sqlstate":"55P03","message":"canceling statement due to lock timeout","detail":null,"hint":null,"statement":null,"file":null,"line":null,"column":null}}
{"ts":"2025-03-14T22:00:25Z","seq":50,"event":"cancelled","reason":"SIGTERM"}
{"ts":"2025-03-14T22:00:25Z","seq":51,"event":"statement_cancelled","step":"003_backfill","reason":"cancelled by the operator"}
{"ts":"2025-03-14T22:00:26Z","seq":52,"event":"run_finished","outcome":"succeeded","message":null}
{"ts":"2025-03-14T22:00:26Z","seq":53,"event":"run_finished","outcome":"halted","message":"waiting at go-live"}
{"ts":"2025-03-14T22:00:26Z","seq":54,"event":"run_finished","outcome":"rolled_back","message":"left applied: `000_seed` (irreversible: the shop itself)"}
"#;

fn samples() -> Vec<Entry> {
    SAMPLES
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad sample ({e}): {l}")))
        .collect()
}

fn level_word(level: Level) -> &'static str {
    match level {
        Level::Info => "info",
        Level::Detail => "detail",
        Level::Good => "good",
        Level::Warn => "warn",
        Level::Error => "error",
        Level::Gate => "gate",
    }
}

#[test]
fn every_event_type_has_its_sentence_in_the_golden_file() {
    let samples = samples();
    let sampled: BTreeSet<&str> = samples.iter().map(|e| kind_of(&e.event)).collect();
    let all: BTreeSet<&str> = ALL.into_iter().collect();
    let missing: Vec<&&str> = all.difference(&sampled).collect();
    assert!(
        missing.is_empty(),
        "event types without a sample: {missing:?}"
    );
    assert_eq!(all.len(), ALL.len(), "ALL names a type twice");

    let mut out = String::new();
    for entry in &samples {
        let told = tell(entry);
        assert!(!told.text.trim().is_empty(), "{entry:?} is told nothing");
        out.push_str(&format!(
            "{:<26} {:<6} {}\n",
            kind_of(&entry.event),
            level_word(told.level),
            told.text
        ));
        for more in &told.more {
            out.push_str(&format!("{:<33} {more}\n", ""));
        }
    }
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/narration.txt");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &out).unwrap();
    }
    let expected = std::fs::read_to_string(&golden).unwrap_or_default();
    assert!(
        expected == out,
        "the narration differs from tests/golden/narration.txt (UPDATE_GOLDEN=1 cargo test --test narration to accept):\n{}",
        out.lines()
            .zip(expected.lines().chain(std::iter::repeat("")))
            .filter(|(a, b)| a != b)
            .map(|(a, b)| format!("- {b}\n+ {a}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The headless output, the TUI log and the watcher say the same words: each front end's
/// line for an entry is the narration's sentence.
#[test]
fn headless_tui_and_watcher_tell_the_same_sentence() {
    let text = "name: shop\nwindow: { budget: 4h }\nphases:\n  - id: migrate\n    kind: migration\n    budget: 1h\n    steps:\n      - migrate: 003_backfill\n        sql: SELECT 1\n";
    let loaded = cutover::runbook::load_text(Path::new("shop.yaml"), text, &|_| None);
    let runbook = loaded.runbook.expect("loads");
    let plan = cutover::plan::plan(&runbook);
    for entry in samples() {
        let told = tell(&entry);
        let headless = cutover::cli::headless::line(&entry);
        assert!(
            headless.contains(&told.text),
            "headless: {headless:?} vs {:?}",
            told.text
        );
        let mut ui = cutover::tui::state::UiState::new(&runbook, &plan, "dana");
        ui.apply(&entry);
        let logged: Vec<&str> = ui.log.iter().map(|l| l.text.as_str()).collect();
        // A restored decision is told with when it was given, where the TUI knows it.
        if !matches!(entry.event, Event::DecisionRecorded { restored: true, .. }) {
            assert!(
                logged.contains(&told.text.as_str()),
                "TUI log {logged:?} vs {:?}",
                told.text
            );
        }
    }
}
