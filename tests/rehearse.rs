//! `cutover rehearse`: the window on a throwaway copy, against a real server. The source is
//! never written, the copy is gone afterwards, and the rehearsal record says what the window
//! did: step times, checks, the schema before and after.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::cli::cutover;
use common::{connect, fresh_db, scratch_dir, write};
use std::path::Path;

const RUNBOOK: &str = r#"name: shop
window:
  budget: 1h
phases:
  - id: migrate
    kind: migration
    budget: 10m
    steps:
      - migrate: add_tier
        sql: ALTER TABLE public.customers ADD COLUMN tier text NOT NULL DEFAULT 'bronze'
        rollback: ALTER TABLE public.customers DROP COLUMN tier
      - migrate: index_tier
        sql: CREATE INDEX CONCURRENTLY customers_tier ON public.customers (tier)
        rollback: DROP INDEX CONCURRENTLY public.customers_tier
      - checkpoint: go-live
        prompt: Go live?
        questions: [Is the new build deployed?]
  - id: verify
    kind: verification
    budget: 5m
    steps:
      - check: every-customer-has-a-tier
        sql: SELECT count(*) FROM public.customers WHERE tier IS NULL
        expect: 0
  - id: watch
    kind: monitoring
    budget: 10m
    steps:
      - probe: customers
        sql: SELECT count(*) FROM public.customers
        every: 100ms
"#;

async fn source(tag: &str) -> String {
    let url = fresh_db(tag).await;
    let db = connect(&url).await;
    db.batch_execute(
        "CREATE TABLE public.customers (id int PRIMARY KEY, name text NOT NULL);
         INSERT INTO public.customers SELECT g, 'c' || g FROM generate_series(1, 50) g;",
    )
    .await
    .unwrap();
    url
}

fn db_name(url: &str) -> String {
    url.rsplit('/').next().unwrap().to_owned()
}

/// The runbook named `name` (each test its own, so their copies are told apart).
fn runbook(dir: &Path, name: &str) -> std::path::PathBuf {
    write(
        dir,
        "shop.yaml",
        &RUNBOOK.replace("name: shop", &format!("name: {name}")),
    )
}

/// The copy restored on another server (`--into`): here the scratch server's `postgres`
/// database names it, so the copy is made by dump and restore, not TEMPLATE; it is dropped
/// there afterwards, the record says where it was, and the source is untouched. TEMPLATE
/// cannot copy across servers: asked for with `--into`, it is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_restored_on_another_server_is_made_by_dump_and_dropped_there() {
    let url = source("rehearse_into").await;
    let into = common::admin_url();
    let dir = scratch_dir("rehearse-into");
    let path = runbook(&dir, "shop_into");
    let refused = cutover(
        &dir,
        &[
            "rehearse",
            path.to_str().unwrap(),
            "--database-url",
            &url,
            "--into",
            &into,
            "--copy",
            "template",
        ],
    )
    .await;
    assert_eq!(refused.code, Some(2), "{refused:?}");
    assert!(
        refused
            .stderr
            .contains("CREATE DATABASE … TEMPLATE copies within one server"),
        "{refused:?}"
    );
    assert!(copies_left("shop_into").await.is_empty());

    let out = cutover(
        &dir,
        &[
            "rehearse",
            path.to_str().unwrap(),
            "--database-url",
            &url,
            "--into",
            &into,
            "--monitor-for",
            "200ms",
            "--no-round-trip",
        ],
    )
    .await;
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(out.stderr.contains("with pg_dump | pg_restore"), "{out:?}");
    assert!(out.stderr.contains(", restored on "), "{out:?}");
    let record = record_in(&dir);
    assert_eq!(record["method"], "dump", "{record}");
    assert!(
        record["server"].as_str().unwrap().ends_with("/postgres"),
        "{record}"
    );
    assert!(
        !record["server"].as_str().unwrap().contains("scratch-"),
        "no password: {record}"
    );
    assert!(
        copies_left("shop_into").await.is_empty(),
        "dropped where it was made"
    );
    assert!(
        !has_column(&url, "customers", "tier").await,
        "the source is untouched"
    );
}

/// Databases made by rehearsals of runbook `name` that are still there.
async fn copies_left(name: &str) -> Vec<String> {
    let admin = connect(&common::admin_url()).await;
    admin
        .query(
            "SELECT datname FROM pg_database WHERE datname LIKE 'cutover_rehearsal_' || $1 || '_%'",
            &[&name],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

async fn has_cutover_schema(url: &str) -> bool {
    connect(url)
        .await
        .query_one(
            "SELECT count(*) FROM pg_namespace WHERE nspname = 'cutover'",
            &[],
        )
        .await
        .unwrap()
        .get::<_, i64>(0)
        > 0
}

async fn has_column(url: &str, table: &str, column: &str) -> bool {
    connect(url)
        .await
        .query_one(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = $1 AND column_name = $2",
            &[&table, &column],
        )
        .await
        .unwrap()
        .get::<_, i64>(0)
        > 0
}

fn record_in(dir: &Path) -> serde_json::Value {
    let runs = dir.join("runs");
    let file = std::fs::read_dir(&runs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".rehearsal.json"))
        .unwrap_or_else(|| panic!("no rehearsal record in {}", runs.display()));
    serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap()
}

/// The first time a table is rehearsed: the copy gets every migration, the gate is approved,
/// monitoring is capped, and the record holds what changed — while the source is untouched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rehearsal_runs_on_a_copy_and_never_writes_the_source() {
    let url = source("rehearse_ok").await;
    let dir = scratch_dir("rehearse-ok");
    let runbook = runbook(&dir, "shop_ok");
    let started = std::time::Instant::now();
    let out = cutover(
        &dir,
        &[
            "rehearse",
            runbook.to_str().unwrap(),
            "--database-url",
            &url,
            "--monitor-for",
            "300ms",
        ],
    )
    .await;
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "monitoring was not capped: {out:?}"
    );
    assert!(
        out.stderr.contains("the source is not written to"),
        "{out:?}"
    );
    assert!(out.stderr.contains("the copy was dropped"), "{out:?}");
    assert!(
        out.stderr
            .contains("schema: added column public.customers.tier"),
        "{out:?}"
    );

    // The source: no tracking schema, no new column; the copy is gone.
    assert!(!has_cutover_schema(&url).await);
    assert!(!has_column(&url, "customers", "tier").await);
    assert_eq!(copies_left("shop_ok").await, Vec::<String>::new());

    let record = record_in(&dir);
    assert_eq!(record["version"], 1);
    assert_eq!(record["runbook"], "shop_ok");
    assert_eq!(record["method"], "template");
    assert_eq!(record["outcome"], "succeeded");
    assert_eq!(record["kept"], false);
    assert_eq!(record["monitor_cap_ms"], 300);
    assert!(record["source"].as_str().unwrap().ends_with(&db_name(&url)));
    if let Some(password) = common::password() {
        let text = record.to_string();
        assert!(!text.contains(&password), "the record holds the password");
    }
    let steps = record["steps"].as_array().unwrap();
    let add_tier = steps.iter().find(|s| s["id"] == "add_tier").unwrap();
    assert_eq!(add_tier["status"], "applied");
    assert!(add_tier["duration_ms"].as_u64().is_some());
    let checks = record["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 1);
    assert_eq!(checks[0]["passed"], true);
    assert_ne!(
        record["schema_before"]["fingerprint"],
        record["schema_after"]["fingerprint"]
    );
    let changes: Vec<String> = record["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| format!("{} {} {}", c["change"], c["kind"], c["name"]).replace('"', ""))
        .collect();
    assert_eq!(
        changes,
        [
            "added column public.customers.tier",
            "added index public.customers_tier",
        ],
        "the tracking schema is not the user's, and nothing else changed"
    );
    // Each migration was applied, rolled back and applied again on a second copy.
    let trips: Vec<String> = record["round_trips"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| format!("{} {}", t["id"], t["round_trip"]).replace('"', ""))
        .collect();
    assert_eq!(trips, ["add_tier round_trips", "index_tier round_trips"]);
    // The locks each up took, read inside its trial transaction (none for CONCURRENTLY).
    assert_eq!(
        record["round_trips"][0]["locks"],
        serde_json::json!(["AccessExclusiveLock on public.customers"])
    );
    assert!(record["round_trips"][1].get("locks").is_none());
    // Each down is timed: a run set against this rehearsal expects its rollbacks to take
    // as long.
    for trip in record["round_trips"].as_array().unwrap() {
        assert!(trip["down_ms"].is_u64(), "{trip}");
    }
    assert!(
        out.stderr
            .contains("round trip: add_tier: up → down → up round-trips (down in"),
        "{out:?}"
    );
    // The journal it points at is there, and a report can be made of it.
    let journal = record["journal"].as_str().unwrap();
    assert!(dir.join(journal).is_file(), "{journal}");
}

/// `CREATE DATABASE … TEMPLATE` copies only a database nobody is connected to. Asked for a
/// template copy of a source in use, the rehearsal is refused, says why, and makes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_copy_of_a_source_in_use_is_refused_and_nothing_is_made() {
    let url = source("rehearse_busy").await;
    let dir = scratch_dir("rehearse-busy");
    let runbook = runbook(&dir, "shop_busy");
    let busy = connect(&url).await;
    let out = cutover(
        &dir,
        &[
            "rehearse",
            runbook.to_str().unwrap(),
            "--database-url",
            &url,
            "--copy",
            "template",
        ],
    )
    .await;
    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(out.stderr.contains("rehearsal refused"), "{out:?}");
    assert!(
        out.stderr.contains("other session(s) are connected") && out.stderr.contains("--copy dump"),
        "{out:?}"
    );
    assert!(!has_cutover_schema(&url).await);
    assert_eq!(copies_left("shop_busy").await, Vec::<String>::new());
    assert!(!dir.join("runs").exists() || record_absent(&dir));
    drop(busy);
}

/// The usual production case: the source is in use. The copy is made with pg_dump |
/// pg_restore instead (it reads the source in one snapshot, writes nothing there), and the
/// rehearsal goes on; no password appears on a command line or in the output.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_in_use_is_copied_with_pg_dump_instead() {
    let url = source("rehearse_dump").await;
    let dir = scratch_dir("rehearse-dump");
    let runbook = runbook(&dir, "shop_dump");
    let busy = connect(&url).await;
    let out = cutover(
        &dir,
        &[
            "rehearse",
            runbook.to_str().unwrap(),
            "--database-url",
            &url,
            "--monitor-for",
            "200ms",
            "--keep",
        ],
    )
    .await;
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        out.stderr
            .contains("copying with pg_dump | pg_restore instead of TEMPLATE"),
        "{out:?}"
    );
    assert!(out.stderr.contains("object(s) in"), "{out:?}");
    if let Some(password) = common::password() {
        assert!(!out.stderr.contains(&password) && !out.stdout.contains(&password));
    }
    let record = record_in(&dir);
    assert_eq!(record["method"], "dump");
    assert_eq!(record["outcome"], "succeeded");
    assert_eq!(record["checks"][0]["passed"], true);
    // The data came along.
    let left = copies_left("shop_dump").await;
    assert_eq!(left.len(), 1, "{left:?}");
    let copy_url = format!("{}/{}", url.rsplit_once('/').unwrap().0, left[0]);
    let rows: i64 = connect(&copy_url)
        .await
        .query_one("SELECT count(*) FROM public.customers", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(rows, 50);
    connect(&common::admin_url())
        .await
        .batch_execute(&format!("DROP DATABASE {} WITH (FORCE)", left[0]))
        .await
        .unwrap();
    let trips: Vec<&str> = record["round_trips"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["round_trip"].as_str().unwrap())
        .collect();
    assert_eq!(trips, ["round_trips", "round_trips"]);
    assert!(!has_cutover_schema(&url).await);
    assert!(!has_column(&url, "customers", "tier").await);
    assert_eq!(copies_left("shop_dump").await, Vec::<String>::new());
    drop(busy);
}

/// `--schema-only`: the copy has the tables, not their rows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_only_copies_the_tables_without_their_rows() {
    let url = source("rehearse_schema_only").await;
    let dir = scratch_dir("rehearse-schema-only");
    let runbook = runbook(&dir, "shop_schema");
    let out = cutover(
        &dir,
        &[
            "rehearse",
            runbook.to_str().unwrap(),
            "--database-url",
            &url,
            "--monitor-for",
            "200ms",
            "--schema-only",
            "--keep",
            "--no-round-trip",
        ],
    )
    .await;
    assert_eq!(out.code, Some(0), "{out:?}");
    let record = record_in(&dir);
    assert_eq!(record["method"], "dump (schema only)");
    let left = copies_left("shop_schema").await;
    assert_eq!(left.len(), 1, "{left:?}");
    let copy_url = format!("{}/{}", url.rsplit_once('/').unwrap().0, left[0]);
    let rows: i64 = connect(&copy_url)
        .await
        .query_one("SELECT count(*) FROM public.customers", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(rows, 0);
    assert!(has_column(&copy_url, "customers", "tier").await);
    connect(&common::admin_url())
        .await
        .batch_execute(&format!("DROP DATABASE {} WITH (FORCE)", left[0]))
        .await
        .unwrap();
}

fn record_absent(dir: &Path) -> bool {
    std::fs::read_dir(dir.join("runs"))
        .map(|d| d.count() == 0)
        .unwrap_or(true)
}

/// `--keep` leaves the copy for a look, and says its name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_leaves_the_copy_and_names_it() {
    let url = source("rehearse_keep").await;
    let dir = scratch_dir("rehearse-keep");
    let runbook = runbook(&dir, "shop_keep");
    let out = cutover(
        &dir,
        &[
            "rehearse",
            runbook.to_str().unwrap(),
            "--database-url",
            &url,
            "--monitor-for",
            "200ms",
            "--keep",
        ],
    )
    .await;
    assert_eq!(out.code, Some(0), "{out:?}");
    let left = copies_left("shop_keep").await;
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(
        out.stderr
            .contains(&format!("the copy is kept: {}", left[0])),
        "{out:?}"
    );
    let copy_url = format!("{}/{}", url.rsplit_once('/').unwrap().0, left[0]);
    assert!(has_column(&copy_url, "customers", "tier").await);
    assert!(has_cutover_schema(&copy_url).await);
    assert_eq!(record_in(&dir)["kept"], true);
    let admin = connect(&common::admin_url()).await;
    admin
        .batch_execute(&format!("DROP DATABASE {} WITH (FORCE)", left[0]))
        .await
        .unwrap();
}

/// The catalog snapshot sees every kind of object a migration makes, with PostgreSQL's own
/// definitions, and leaves cutover's tracking schema out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_schema_snapshot_sees_every_kind_of_object() {
    let url = fresh_db("catalog_kinds").await;
    let db = connect(&url).await;
    db.batch_execute(
        "CREATE SCHEMA app;
         CREATE TYPE app.mood AS ENUM ('calm', 'busy');
         CREATE DOMAIN app.positive AS integer CHECK (VALUE > 0);
         CREATE SEQUENCE app.ids;
         CREATE TABLE app.t (id int PRIMARY KEY, mood app.mood NOT NULL DEFAULT 'calm', n app.positive,
                             CONSTRAINT n_small CHECK (n < 100));
         CREATE INDEX t_mood ON app.t (mood) WHERE n IS NOT NULL;
         CREATE VIEW app.v AS SELECT id FROM app.t;
         CREATE MATERIALIZED VIEW app.m AS SELECT count(*) AS c FROM app.t;
         CREATE TABLE app.p (d date NOT NULL) PARTITION BY RANGE (d);
         CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
         CREATE TRIGGER t_touch BEFORE UPDATE ON app.t FOR EACH ROW EXECUTE FUNCTION app.touch();
         CREATE SCHEMA cutover; CREATE TABLE cutover.steps (id int);",
    )
    .await
    .unwrap();
    let snap = cutover::catalog::snapshot(&db).await.unwrap();
    let has = |kind: &str, name: &str| {
        snap.objects
            .iter()
            .find(|o| o.kind == kind && o.name == name)
    };
    for (kind, name) in [
        ("schema", "app"),
        ("type", "app.mood"),
        ("type", "app.positive"),
        ("sequence", "app.ids"),
        ("table", "app.t"),
        ("column", "app.t.mood"),
        ("index", "app.t_mood"),
        ("index", "app.t_pkey"),
        ("constraint", "app.t.n_small"),
        ("view", "app.v"),
        ("materialized view", "app.m"),
        ("table", "app.p"),
        ("function", "app.touch()"),
        ("trigger", "app.t.t_touch"),
    ] {
        assert!(
            has(kind, name).is_some(),
            "no {kind} {name} in {:#?}",
            snap.objects
        );
    }
    assert_eq!(
        has("column", "app.t.mood").unwrap().definition,
        "app.mood NOT NULL DEFAULT 'calm'::app.mood"
    );
    assert_eq!(
        has("type", "app.mood").unwrap().definition,
        "enum ('calm', 'busy')"
    );
    assert!(
        has("index", "app.t_mood")
            .unwrap()
            .definition
            .contains("WHERE (n IS NOT NULL)")
    );
    assert!(
        snap.objects.iter().all(|o| !o.name.starts_with("cutover")),
        "the tracking schema is not the user's"
    );
    // The same schema read again: the same fingerprint; one change: another.
    let again = cutover::catalog::snapshot(&db).await.unwrap();
    assert_eq!(snap.fingerprint(), again.fingerprint());
    db.batch_execute(
        "ALTER TABLE app.t ALTER COLUMN n DROP NOT NULL; ALTER TABLE app.t ADD COLUMN note text",
    )
    .await
    .unwrap();
    let after = cutover::catalog::snapshot(&db).await.unwrap();
    let said: Vec<String> = snap.diff(&after).iter().map(|c| c.describe()).collect();
    assert_eq!(said, ["added column app.t.note"]);
}

/// A rollback that forgets part of what its migration made does not round-trip: the
/// rehearsal names the objects left behind, records them, and exits 1 although the window
/// itself ran.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollback_that_does_not_undo_its_migration_is_named_with_what_it_leaves() {
    let url = source("rehearse_trip").await;
    let dir = scratch_dir("rehearse-trip");
    let runbook = write(
        &dir,
        "trip.yaml",
        r#"name: shop_trip
window:
  budget: 1h
phases:
  - id: migrate
    kind: migration
    budget: 10m
    steps:
      - migrate: extra_table
        sql: |
          CREATE TABLE public.extra (id int PRIMARY KEY, note text);
          CREATE INDEX extra_note ON public.extra (note);
        rollback: DROP INDEX public.extra_note
      - migrate: audit_log
        sql: CREATE TABLE public.audit (at timestamptz NOT NULL DEFAULT now())
        irreversible: the audit trail is kept on purpose
      - migrate: tier
        sql: ALTER TABLE public.customers ADD COLUMN tier text
        rollback: ALTER TABLE public.customers DROP COLUMN tier
"#,
    );
    let out = cutover(
        &dir,
        &[
            "rehearse",
            runbook.to_str().unwrap(),
            "--database-url",
            &url,
        ],
    )
    .await;
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(
        out.stderr.contains(
            "round trip: extra_table: DOES NOT ROUND-TRIP — the down leaves added column public.extra.id"
        ),
        "{out:?}"
    );
    assert!(out.stderr.contains("do not round-trip"), "{out:?}");
    assert!(
        out.stderr.contains("round trip: audit_log: not undone"),
        "{out:?}"
    );
    assert!(
        out.stderr
            .contains("round trip: tier: up → down → up round-trips"),
        "{out:?}"
    );
    let record = record_in(&dir);
    assert_eq!(record["outcome"], "succeeded");
    let trips = record["round_trips"].as_array().unwrap();
    assert_eq!(trips[0]["id"], "extra_table");
    assert_eq!(trips[0]["round_trip"], "differs");
    let left: Vec<String> = trips[0]["after_down"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| format!("{} {} {}", c["change"], c["kind"], c["name"]).replace('"', ""))
        .collect();
    assert_eq!(
        left,
        [
            "added column public.extra.id",
            "added column public.extra.note",
            "added constraint public.extra.extra_pkey",
            "added index public.extra_pkey",
            "added table public.extra",
        ]
    );
    assert_eq!(trips[1]["round_trip"], "no_rollback");
    assert_eq!(trips[2]["round_trip"], "round_trips");
    assert!(!has_cutover_schema(&url).await);
    assert_eq!(copies_left("shop_trip").await, Vec::<String>::new());
}

/// Every runbook shipped in `runbooks/` rehearses on a copy of a database, made both ways
/// (TEMPLATE, and pg_dump | pg_restore through `--into`): the window succeeds there, every
/// migration with rollback SQL round-trips, the source is left as it was and no copy is left
/// behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_shipped_runbook_rehearses_and_round_trips() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut runbooks: Vec<_> = std::fs::read_dir(repo.join("runbooks"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    runbooks.sort();
    assert!(runbooks.len() >= 5, "{runbooks:?}");
    let mut tasks = tokio::task::JoinSet::new();
    // Each both ways: a file copy on the same server, and a dump restored through --into.
    let ways = [("template", None), ("dump", Some(common::admin_url()))];
    for (runbook, (how, into)) in runbooks
        .iter()
        .flat_map(|r| ways.iter().map(move |w| (r.clone(), w.clone())))
    {
        let stem = runbook
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .replace('-', "_");
        let url = fresh_db(&format!("rh_{how}_{stem}")).await;
        let dir = scratch_dir(&format!("rehearse-{how}-{stem}"));
        tasks.spawn(async move {
            let before = {
                let db = connect(&url).await;
                cutover::catalog::snapshot(&db).await.unwrap().fingerprint()
            };
            // The demo sleeps on purpose (to be watched): minutes, not seconds.
            let mut args = vec![
                "rehearse",
                runbook.to_str().unwrap(),
                "--database-url",
                &url,
                "--monitor-for",
                "1s",
                "--copy",
                how,
            ];
            if let Some(into) = &into {
                args.extend(["--into", into]);
            }
            let run = common::cli::cutover_command(&dir, &args).output();
            let out = tokio::time::timeout(std::time::Duration::from_secs(400), run)
                .await
                .expect("the rehearsal finishes")
                .unwrap();
            let out = common::cli::Output {
                code: out.status.code(),
                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            };
            let db = connect(&url).await;
            let after = cutover::catalog::snapshot(&db).await.unwrap().fingerprint();
            let mut problems = Vec::new();
            if out.code != Some(0) {
                problems.push(format!("exit {:?}", out.code));
            }
            if before != after {
                problems.push("the source's schema changed".to_owned());
            }
            if has_cutover_schema(&url).await {
                problems.push("the source has a tracking schema".to_owned());
            }
            let name = format!(
                "{} (by {how})",
                runbook.file_name().unwrap().to_string_lossy()
            );
            if !out.stderr.contains("the copy was dropped") {
                problems.push("the copy was not dropped".to_owned());
            }
            if out.stderr.contains("DOES NOT ROUND-TRIP") || out.stderr.contains("FAILED") {
                problems.push("a migration does not round-trip".to_owned());
            }
            if problems.is_empty() {
                Ok(name)
            } else {
                Err(format!("{name}: {}\n{out:?}", problems.join(", ")))
            }
        });
    }
    let mut failed = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        if let Err(problem) = joined.unwrap() {
            failed.push(problem);
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}

/// The rehearsal record `cutover rehearse` wrote in `dir`, as a path relative to it.
fn record_path(dir: &Path) -> String {
    std::fs::read_dir(dir.join("runs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".rehearsal.json"))
        .map(|p| p.strip_prefix(dir).unwrap().to_string_lossy().into_owned())
        .unwrap()
}

/// The production run's journal in `dir` (not the rehearsal's).
fn production_journal(dir: &Path, rehearsal_record: &str) -> std::path::PathBuf {
    let rehearsal_journal = rehearsal_record.replace(".rehearsal.json", ".jsonl");
    std::fs::read_dir(dir.join("runs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.extension().is_some_and(|x| x == "jsonl")
                && !p.ends_with(&rehearsal_journal)
                && !p.to_string_lossy().ends_with(&rehearsal_journal)
        })
        .unwrap()
}

const WITH_A_DATA_CHECK: &str = r#"
  - id: counts
    kind: verification
    budget: 5m
    steps:
      - check: fifty-customers
        sql: SELECT count(*) FROM public.customers
        expect: 50
        severity: warning
"#;

/// The production run set against its rehearsal: the schema is as rehearsed, each step's
/// expected time is its rehearsal time, the comparison is journaled, and the report sets
/// every step's time beside the rehearsal's and names the check that changed its verdict.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_against_its_rehearsal_is_compared_step_by_step() {
    let url = source("against_ok").await;
    let dir = scratch_dir("against-ok");
    let path = write(
        &dir,
        "shop.yaml",
        &(RUNBOOK.replace("name: shop", "name: shop_against") + WITH_A_DATA_CHECK),
    );
    let rehearsed = cutover(
        &dir,
        &[
            "rehearse",
            path.to_str().unwrap(),
            "--database-url",
            &url,
            "--monitor-for",
            "200ms",
            "--no-round-trip",
        ],
    )
    .await;
    assert_eq!(rehearsed.code, Some(0), "{rehearsed:?}");
    let record = record_path(&dir);
    let rehearsal: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join(&record)).unwrap()).unwrap();
    // Data changes between rehearsal and production (not the schema): the check's verdict.
    connect(&url)
        .await
        .batch_execute("INSERT INTO public.customers VALUES (51, 'late')")
        .await
        .unwrap();
    let out = common::cli::headless(
        &dir,
        &path,
        &url,
        &[
            "--approve-all",
            "--monitor-for",
            "200ms",
            "--against",
            &record,
        ],
    )
    .await;
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(out.stdout.contains("the schema is as rehearsed"), "{out:?}");

    let journal = production_journal(&dir, &record);
    let entries = cutover::journal::replay(&journal).unwrap().entries;
    let compared = entries
        .iter()
        .find_map(|e| match &e.event {
            cutover::events::Event::RehearsalCompared { rehearsal } => Some(rehearsal.clone()),
            _ => None,
        })
        .expect("the comparison is journaled");
    assert!(compared.drift.is_empty());
    assert_eq!(compared.run_id, rehearsal["run_id"].as_str().unwrap());
    // The plan the run followed took the rehearsal's times as expected durations.
    let plan = entries
        .iter()
        .find_map(|e| match &e.event {
            cutover::events::Event::RunStarted { plan, .. } => plan.clone(),
            _ => None,
        })
        .unwrap();
    let rehearsed_ms = rehearsal["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "add_tier")
        .unwrap()["duration_ms"]
        .as_u64()
        .unwrap()
        .max(1);
    let planned = plan
        .phases
        .iter()
        .flat_map(|p| p.steps.iter())
        .find(|s| s.step == "add_tier")
        .unwrap();
    assert_eq!(planned.expected_ms, rehearsed_ms, "{planned:?}");

    let report = cutover(&dir, &["report", journal.to_str().unwrap()]).await;
    assert_eq!(report.code, Some(0), "{report:?}");
    let md = report.stdout;
    assert!(md.contains("## Rehearsal against production"), "{md}");
    assert!(md.contains("| Schema at the start | as rehearsed"), "{md}");
    assert!(md.contains("| `add_tier` |"), "{md}");
    assert!(
        md.contains("`fifty-customers` **passed on the rehearsal, failed here**: it read `50` there, `51` here"),
        "{md}"
    );
}

/// A window whose first migration is slow and whose second the rehearsal timed at 6 minutes,
/// with a gate between them, in a 10-minute window.
const PACED: &str = r#"name: shop_paced
window:
  budget: 10m
phases:
  - id: migrate
    kind: migration
    budget: 10m
    steps:
      - migrate: slow
        sql: CREATE TABLE public.slow AS SELECT 1 AS x FROM pg_sleep(2.4)
        rollback: DROP TABLE public.slow
      - checkpoint: go-on
        prompt: Go on with the big one?
        questions: [Is the application paused?]
      - migrate: big
        sql: CREATE TABLE public.big (id int)
        rollback: DROP TABLE public.big
"#;

/// The production run's gate forecasts the window from the rehearsal's times at the pace
/// production keeps: the first migration taking twice its rehearsed time makes the second,
/// rehearsed at 6 minutes, likely to take 12 — past the 10-minute window's hard end, so
/// the forecast at the gate says no-go (journaled, narrated and reported); the decision is
/// still the operator's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gate_forecasts_the_window_from_the_rehearsal_at_productions_pace() {
    let url = source("against_pace").await;
    let dir = scratch_dir("against-pace");
    let path = write(&dir, "shop.yaml", PACED);
    let rehearsed = cutover(
        &dir,
        &[
            "rehearse",
            path.to_str().unwrap(),
            "--database-url",
            &url,
            "--no-round-trip",
        ],
    )
    .await;
    assert_eq!(rehearsed.code, Some(0), "{rehearsed:?}");
    // The rehearsal ran on a copy twice as fast as production, and `big` there met a
    // table 6 minutes' worth of rows big: its record says so.
    let record = record_path(&dir);
    let mut rehearsal: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join(&record)).unwrap()).unwrap();
    for step in rehearsal["steps"].as_array_mut().unwrap() {
        match step["id"].as_str().unwrap() {
            "slow" => step["duration_ms"] = 1_200.into(),
            "big" => step["duration_ms"] = 360_000.into(),
            _ => {}
        }
    }
    // And its down of `slow` took 15 minutes there: longer than the whole window.
    rehearsal["round_trips"] =
        serde_json::json!([{ "id": "slow", "round_trip": "round_trips", "down_ms": 900_000 }]);
    std::fs::write(dir.join(&record), rehearsal.to_string()).unwrap();

    let out =
        common::cli::headless(&dir, &path, &url, &["--approve-all", "--against", &record]).await;
    assert_eq!(out.code, Some(0), "the advice does not decide: {out:?}");
    assert!(
        out.stdout.contains("the expected pace you finish at"),
        "{out:?}"
    );
    assert!(out.stdout.contains("AFTER the hard end"), "{out:?}");
    assert!(
        out.stdout
            .contains("forecast: NO-GO, the window would overrun"),
        "{out:?}"
    );
    // What a no-go's rollback would cost is said at the gate: past the point of no return.
    assert!(
        out.stdout.contains(
            "a rollback now undoes slow in about 15m00s as rehearsed, ending AFTER the hard end"
        ),
        "{out:?}"
    );

    let journal = production_journal(&dir, &record);
    let entries = cutover::journal::replay(&journal).unwrap().entries;
    let (pace, advice) = entries
        .iter()
        .find_map(|e| match &e.event {
            cutover::events::Event::CheckpointReached { pace, advice, .. } => {
                Some((*pace, *advice))
            }
            _ => None,
        })
        .expect("the gate is journaled");
    let pace = pace.expect("the pace is measured over 1.2 s of rehearsed work");
    assert!((1.8..3.0).contains(&pace), "2.4 s against 1.2 s: {pace}");
    assert_eq!(advice, Some(cutover::plan::forecast::Advice::NoGo));

    let report = cutover(&dir, &["report", journal.to_str().unwrap()]).await;
    assert_eq!(report.code, Some(0), "{report:?}");
    assert!(report.stdout.contains("**Forecast:**"), "{}", report.stdout);
    assert!(
        report.stdout.contains(
            "**A rollback then:** undoes slow in about 15m00s as rehearsed, ending AFTER the hard end"
        ),
        "{}",
        report.stdout
    );
    assert!(
        report
            .stdout
            .contains("forecast: NO-GO, the window would overrun"),
        "{}",
        report.stdout
    );

    // The same run without the rehearsal goes by the runbook, which expects nothing of
    // either migration: no pace, and a go.
    let plain_dir = scratch_dir("against-pace-plain");
    let plain_path = write(&plain_dir, "shop.yaml", PACED);
    let plain_url = source("against_pace_plain").await;
    let out = common::cli::headless(&plain_dir, &plain_path, &plain_url, &["--approve-all"]).await;
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(out.stdout.contains("as planned you finish at"), "{out:?}");
    assert!(out.stdout.contains("— forecast: go"), "{out:?}");
}

/// Each step's rehearsal time is scaled by how much data its tables hold here against on
/// the copy: an index built on a table that grew fourfold since the rehearsal is expected to
/// take about four times as long (said, journaled, and in the plan the run follows); a step
/// over tables the copy did not have keeps its rehearsal time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expected_times_scale_with_the_size_of_the_tables() {
    let url = fresh_db("against_sizes").await;
    let grow = |from: i32, to: i32| {
        format!(
            "INSERT INTO public.events SELECT g, repeat(md5(g::text), 4) FROM generate_series({from}, {to}) g"
        )
    };
    connect(&url)
        .await
        .batch_execute(&format!(
            "CREATE TABLE public.events (id int PRIMARY KEY, payload text); {}",
            grow(1, 15_000)
        ))
        .await
        .unwrap();
    let dir = scratch_dir("against-sizes");
    let path = write(
        &dir,
        "sizes.yaml",
        r#"name: shop_sizes
window:
  budget: 1h
phases:
  - id: migrate
    kind: migration
    budget: 30m
    steps:
      - migrate: index-payload
        sql: CREATE INDEX events_payload ON public.events (payload)
        rollback: DROP INDEX public.events_payload
      - migrate: new-table
        sql: CREATE TABLE public.other (id int)
        rollback: DROP TABLE public.other
"#,
    );
    let rehearsed = cutover(
        &dir,
        &[
            "rehearse",
            path.to_str().unwrap(),
            "--database-url",
            &url,
            "--no-round-trip",
        ],
    )
    .await;
    assert_eq!(rehearsed.code, Some(0), "{rehearsed:?}");
    let record = record_path(&dir);
    let rehearsal: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join(&record)).unwrap()).unwrap();
    let copy_bytes = rehearsal["table_bytes"]["events"].as_u64().unwrap();
    assert!(copy_bytes > 1 << 20, "{rehearsal}");
    let step = |id: &str| {
        rehearsal["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(
        step("index-payload")["tables"],
        serde_json::json!(["events"])
    );
    let rehearsed_ms = step("index-payload")["duration_ms"]
        .as_u64()
        .unwrap()
        .max(1);

    // Production grew since: four times the rows.
    connect(&url)
        .await
        .batch_execute(&grow(15_001, 60_000))
        .await
        .unwrap();
    let out = common::cli::headless(&dir, &path, &url, &["--against", &record]).await;
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        out.stderr.contains("index-payload is expected to take"),
        "{out:?}"
    );
    assert!(!out.stderr.contains("new-table is expected"), "{out:?}");

    let entries = cutover::journal::replay(&production_journal(&dir, &record))
        .unwrap()
        .entries;
    let scaled = entries
        .iter()
        .find_map(|e| match &e.event {
            cutover::events::Event::RehearsalCompared { rehearsal } => {
                Some(rehearsal.scaled.clone())
            }
            _ => None,
        })
        .unwrap();
    let factor = scaled
        .iter()
        .find(|(id, _)| id == "index-payload")
        .map(|(_, f)| *f)
        .unwrap();
    assert!((3.0..5.5).contains(&factor), "{scaled:?}");
    assert!(scaled.iter().all(|(id, _)| id != "new-table"), "{scaled:?}");
    let plan = entries
        .iter()
        .find_map(|e| match &e.event {
            cutover::events::Event::RunStarted { plan, .. } => plan.clone(),
            _ => None,
        })
        .unwrap();
    let expected = |id: &str| {
        plan.phases
            .iter()
            .flat_map(|p| p.steps.iter())
            .find(|s| s.step == id)
            .unwrap()
            .expected_ms
    };
    let ratio = expected("index-payload") as f64 / rehearsed_ms as f64;
    assert!(
        (factor * 0.9..factor * 1.1 + 0.01).contains(&ratio),
        "{ratio} against {factor}"
    );
    assert_eq!(
        expected("new-table"),
        step("new-table")["duration_ms"].as_u64().unwrap().max(1)
    );
    let report = cutover(
        &dir,
        &[
            "report",
            production_journal(&dir, &record).to_str().unwrap(),
        ],
    )
    .await;
    assert!(
        report
            .stdout
            .contains("| Step | Rehearsal | Data here | Production | Difference |"),
        "{}",
        report.stdout
    );
    assert!(
        report.stdout.contains(&format!("×{factor:.1}")),
        "{}",
        report.stdout
    );
}

/// `--publish` stores the rehearsal record in the source's tracking schema (its one write
/// there), and a production run on another machine — here another directory, with no file
/// of it — finds it with `--against-published` and is set against it. With nothing published
/// for the runbook as it is, `--against-published` is refused, saying how to publish.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_published_rehearsal_is_found_from_another_machine() {
    let url = source("rehearse_publish").await;
    let rehearsing = scratch_dir("rehearse-publish-a");
    let path = runbook(&rehearsing, "shop_publish");
    let out = cutover(
        &rehearsing,
        &[
            "rehearse",
            path.to_str().unwrap(),
            "--database-url",
            &url,
            "--monitor-for",
            "200ms",
            "--no-round-trip",
            "--publish",
        ],
    )
    .await;
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        out.stderr.contains("rehearsal record published to"),
        "{out:?}"
    );
    let rehearsal = record_in(&rehearsing);

    let production = scratch_dir("rehearse-publish-b");
    let path = runbook(&production, "shop_publish");
    let out = common::cli::headless(
        &production,
        &path,
        &url,
        &[
            "--approve-all",
            "--monitor-for",
            "200ms",
            "--against-published",
        ],
    )
    .await;
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(out.stderr.contains("was published to"), "{out:?}");
    let record = record_path(&production);
    let journal = production_journal(&production, &record);
    let compared = cutover::journal::replay(&journal)
        .unwrap()
        .entries
        .into_iter()
        .find_map(|e| match e.event {
            cutover::events::Event::RehearsalCompared { rehearsal } => Some(rehearsal),
            _ => None,
        })
        .expect("set against the published rehearsal");
    assert_eq!(compared.run_id, rehearsal["run_id"].as_str().unwrap());

    // Another version of the runbook: nothing of it is published.
    let changed = write(
        &production,
        "changed.yaml",
        &RUNBOOK
            .replace("name: shop", "name: shop_publish")
            .replace("every: 100ms", "every: 200ms"),
    );
    let out = common::cli::headless(&production, &changed, &url, &["--against-published"]).await;
    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(out.stderr.contains("rehearse it with --publish"), "{out:?}");
}

/// The schema changed since the rehearsal: the run is refused before anything is written,
/// with what changed, until the operator accepts it; then the drift and who accepted it are
/// journaled and reported.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drift_since_the_rehearsal_stops_the_run_until_accepted() {
    let url = source("against_drift").await;
    let dir = scratch_dir("against-drift");
    let path = write(
        &dir,
        "shop.yaml",
        &RUNBOOK.replace("name: shop", "name: shop_drift"),
    );
    let rehearsed = cutover(
        &dir,
        &[
            "rehearse",
            path.to_str().unwrap(),
            "--database-url",
            &url,
            "--monitor-for",
            "200ms",
            "--no-round-trip",
        ],
    )
    .await;
    assert_eq!(rehearsed.code, Some(0), "{rehearsed:?}");
    let record = record_path(&dir);
    connect(&url)
        .await
        .batch_execute("ALTER TABLE public.customers ADD COLUMN fax text")
        .await
        .unwrap();

    let refused = common::cli::headless(
        &dir,
        &path,
        &url,
        &[
            "--approve-all",
            "--monitor-for",
            "200ms",
            "--against",
            &record,
        ],
    )
    .await;
    assert_eq!(refused.code, Some(2), "{refused:?}");
    assert!(
        refused.stderr.contains("differs from the one rehearsal")
            && refused.stderr.contains("added column public.customers.fax"),
        "{refused:?}"
    );
    assert!(refused.stderr.contains("--accept-drift"), "{refused:?}");
    assert!(
        !has_cutover_schema(&url).await,
        "nothing is written before the go"
    );

    let accepted = common::cli::headless(
        &dir,
        &path,
        &url,
        &[
            "--approve-all",
            "--monitor-for",
            "200ms",
            "--against",
            &record,
            "--accept-drift",
            "--operator",
            "dana",
        ],
    )
    .await;
    assert_eq!(accepted.code, Some(0), "{accepted:?}");
    assert!(accepted.stdout.contains("dana accepted it"), "{accepted:?}");
    assert!(
        accepted
            .stdout
            .contains("drift: added column public.customers.fax"),
        "{accepted:?}"
    );
    let journal = production_journal(&dir, &record);
    let report = cutover(&dir, &["report", journal.to_str().unwrap()]).await;
    assert!(
        report
            .stdout
            .contains("**differed from the rehearsal's start in 1 object(s)**; accepted by dana"),
        "{report:?}"
    );
    assert!(
        report
            .stdout
            .contains("- added column public.customers.fax"),
        "{report:?}"
    );
}

/// A rehearsal of another version of the runbook (or another runbook) is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rehearsal_of_another_runbook_version_is_refused() {
    let url = source("against_changed").await;
    let dir = scratch_dir("against-changed");
    let text = RUNBOOK.replace("name: shop", "name: shop_changed");
    let path = write(&dir, "shop.yaml", &text);
    let rehearsed = cutover(
        &dir,
        &[
            "rehearse",
            path.to_str().unwrap(),
            "--database-url",
            &url,
            "--monitor-for",
            "200ms",
            "--no-round-trip",
        ],
    )
    .await;
    assert_eq!(rehearsed.code, Some(0), "{rehearsed:?}");
    let record = record_path(&dir);
    write(
        &dir,
        "shop.yaml",
        &text.replace("budget: 10m", "budget: 12m"),
    );
    let out =
        common::cli::headless(&dir, &path, &url, &["--approve-all", "--against", &record]).await;
    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(
        out.stderr
            .contains("the runbook changed since it was rehearsed"),
        "{out:?}"
    );
    assert!(!has_cutover_schema(&url).await);
}

/// The TUI sets a new run against the latest rehearsal of the runbook as it is, by itself,
/// and says so, with the drift since. (Its drift screen is tested in tests/tui.rs: here
/// there is no terminal, so nothing starts at all.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tui_picks_the_latest_rehearsal_by_itself() {
    let url = source("against_auto").await;
    let dir = scratch_dir("against-auto");
    let path = write(
        &dir,
        "shop.yaml",
        &RUNBOOK.replace("name: shop", "name: shop_auto"),
    );
    let rehearsed = cutover(
        &dir,
        &[
            "rehearse",
            path.to_str().unwrap(),
            "--database-url",
            &url,
            "--monitor-for",
            "200ms",
            "--no-round-trip",
        ],
    )
    .await;
    assert_eq!(rehearsed.code, Some(0), "{rehearsed:?}");
    connect(&url)
        .await
        .batch_execute("ALTER TABLE public.customers ADD COLUMN fax text")
        .await
        .unwrap();
    let out = cutover(
        &dir,
        &["run", path.to_str().unwrap(), "--database-url", &url],
    )
    .await;
    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(
        out.stderr.contains("setting this run against runs/"),
        "{out:?}"
    );
    assert!(
        out.stderr.contains("added column public.customers.fax"),
        "{out:?}"
    );
    assert!(!has_cutover_schema(&url).await);
}

/// In the TUI, drift since the rehearsal is a screen before anything runs: nothing starts
/// until `g` then `y`, and then the run goes on with who went on despite the drift
/// journaled.
#[test]
fn in_the_tui_drift_is_a_screen_that_takes_two_keys() {
    use common::pty::Spawn;
    use std::time::Duration;
    let (rt, url, dir, path) =
        rehearsed_then_drifted("tui", "ALTER TABLE public.customers ADD COLUMN fax text");
    let mut tui = Spawn::new(["run".into(), path.clone().into_os_string()])
        .args(["--operator", "dana", "--database-url", &url])
        .cwd(&dir)
        .size(120, 36)
        .spawn();
    let wait = Duration::from_secs(60);
    tui.wait_for("SCHEMA DRIFT SINCE THE REHEARSAL", wait);
    tui.wait_for("added column public.customers.fax", wait);
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        !rt.block_on(has_cutover_schema(&url)),
        "nothing runs before the go"
    );
    tui.send("g");
    tui.wait_for("Start the run although the schema differs", wait);
    tui.send("y");
    tui.wait_for("run finished", wait);
    tui.send("q");
    tui.wait_exit(wait);
    assert!(rt.block_on(has_column(&url, "customers", "tier")));
    let journal = std::fs::read_dir(dir.join("runs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .map(|p| cutover::journal::replay(&p).unwrap().entries)
        .find(|entries| {
            entries
                .iter()
                .any(|e| matches!(&e.event, cutover::events::Event::RehearsalCompared { .. }))
        })
        .expect("the production run's journal");
    let accepted = journal.iter().find_map(|e| match &e.event {
        cutover::events::Event::RehearsalCompared { rehearsal } => {
            Some((rehearsal.drift.clone(), rehearsal.drift_accepted_by.clone()))
        }
        _ => None,
    });
    assert_eq!(
        accepted,
        Some((
            vec!["added column public.customers.fax".to_owned()],
            Some("dana".to_owned())
        ))
    );
}

/// Leaving at the drift screen runs nothing, and says so (not "resumable": there is no run).
#[test]
fn leaving_at_the_drift_screen_runs_nothing() {
    use common::pty::Spawn;
    use std::time::Duration;
    let (rt, url, dir, path) = rehearsed_then_drifted("leave", "DROP TABLE public.customers");
    let mut tui = Spawn::new(["run".into(), path.clone().into_os_string()])
        .args(["--database-url", &url])
        .cwd(&dir)
        .size(120, 36)
        .spawn();
    let wait = Duration::from_secs(60);
    tui.wait_for("dropped table public.customers", wait);
    tui.send("q");
    tui.wait_exit(wait);
    assert!(
        tui.transcript()
            .contains("left before the run started; nothing was run"),
        "{}",
        tui.transcript()
    );
    assert!(!rt.block_on(has_cutover_schema(&url)));
}

/// A source rehearsed with a one-migration runbook named `name`, then changed by `drift`
/// (so a run against the rehearsal sees drift): the runtime, the source URL, the scratch
/// dir and the runbook's path.
fn rehearsed_then_drifted(
    name: &str,
    drift: &str,
) -> (
    tokio::runtime::Runtime,
    String,
    std::path::PathBuf,
    std::path::PathBuf,
) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let url = rt.block_on(source(&format!("against_{name}")));
    let dir = scratch_dir(&format!("against-{name}"));
    let path = write(
        &dir,
        "shop.yaml",
        &format!(
            "name: shop_{name}
window:
  budget: 1h
phases:
  - id: migrate
    kind: migration
    budget: 10m
    steps:
      - migrate: add_tier
        sql: ALTER TABLE public.customers ADD COLUMN tier text
        rollback: ALTER TABLE public.customers DROP COLUMN tier
"
        ),
    );
    let rehearsed = rt.block_on(cutover(
        &dir,
        &[
            "rehearse",
            path.to_str().unwrap(),
            "--database-url",
            &url,
            "--no-round-trip",
        ],
    ));
    assert_eq!(rehearsed.code, Some(0), "{rehearsed:?}");
    rt.block_on(async { connect(&url).await.batch_execute(drift).await.unwrap() });
    (rt, url, dir, path)
}
