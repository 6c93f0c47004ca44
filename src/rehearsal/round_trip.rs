//! Up → down → up: every migration applied, undone by its rollback SQL and applied again, in
//! the order the engine runs them, on a database of its own (a second copy). After the down
//! the schema must be what it was before the up, and after the second up what it was after
//! the first; when it is not, the objects that differ are kept.

use super::{RoundTrip, Trip};
use crate::catalog::{self, Snapshot};
use crate::plan::Plan;
use crate::plan::sql;
use crate::runbook::{Runbook, Step, StepKind};
use tokio_postgres::Client;

fn said(e: tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("[{}] {}", db.code().code(), db.message()),
        None => e.to_string(),
    }
}

/// Whether a statement of `text` may not run inside a transaction block.
fn needs_no_transaction(text: &str) -> bool {
    sql::split_statements(text)
        .iter()
        .any(|s| s.no_transaction.is_some() && s.no_transaction_below.is_none())
}

/// `text`'s statements one after the other, in whatever transaction is open.
async fn statements(client: &Client, text: &str) -> Result<(), String> {
    for s in sql::split_statements(text) {
        client.batch_execute(&s.text).await.map_err(said)?;
    }
    Ok(())
}

/// Runs `text` as the engine would: in one transaction, or statement by statement when a
/// statement may not run inside one (`CREATE INDEX CONCURRENTLY`…).
async fn apply(client: &Client, text: &str) -> Result<(), String> {
    if needs_no_transaction(text) {
        return statements(client, text).await;
    }
    client.batch_execute("BEGIN").await.map_err(said)?;
    if let Err(e) = statements(client, text).await {
        let _ = client.batch_execute("ROLLBACK").await;
        return Err(e);
    }
    client.batch_execute("COMMIT").await.map_err(said)
}

/// The schema now, through the session's one prepared snapshot query.
async fn snap(client: &Client, reader: &catalog::Reader) -> Result<Snapshot, String> {
    reader.read(client).await.map_err(|e| e.to_string())
}

/// Steps the copy already has applied (the source's own tracking schema says so): not
/// applied again here, as the engine would not.
async fn already_applied(client: &Client, runbook: &str) -> Vec<String> {
    crate::tracking::step_records(client, runbook)
        .await
        .map(|rows| {
            rows.into_iter()
                .filter(|r| r.status == crate::tracking::StepStatus::Applied)
                .map(|r| r.step_id)
                .collect()
        })
        .unwrap_or_default()
}

/// The locks on the user's relations this session holds: inside the trial's transaction,
/// right after the up, every relation lock the migration took (held until the end of the
/// transaction), as `AccessExclusiveLock on public.customers`.
const HELD_LOCKS: &str = "SELECT DISTINCT l.mode, format('%I.%I', n.nspname, c.relname)
  FROM pg_locks l
  JOIN pg_class c ON c.oid = l.relation
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted
   AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'cutover')
   AND n.nspname NOT LIKE 'pg_toast%'
 ORDER BY 2, 1";

async fn held_locks(client: &Client) -> Vec<String> {
    client
        .query(HELD_LOCKS, &[])
        .await
        .map(|rows| {
            rows.iter()
                .map(|r| format!("{} on {}", r.get::<_, String>(0), r.get::<_, String>(1)))
                .collect()
        })
        .unwrap_or_default()
}

/// The three stages and the snapshots between them, in whatever transaction is open; the
/// verdict, or the stage that failed, and the schema after the second up when it was read.
/// `before` is the schema as it stands, when already read (the last trip's end). In a
/// transaction (`in_trial`), the locks the up took are read too. The down is timed: the
/// run set against the rehearsal expects its rollbacks to take that long.
async fn stages(
    client: &Client,
    reader: &catalog::Reader,
    (up, down): (&str, &str),
    before: Option<Snapshot>,
    in_trial: bool,
) -> (RoundTrip, Option<Snapshot>, Vec<String>, Option<u64>) {
    let failed = |stage: &str, error: String| {
        (
            RoundTrip::Failed {
                stage: stage.into(),
                error,
            },
            None,
            Vec::new(),
            None,
        )
    };
    let before = match before {
        Some(s) => s,
        None => match snap(client, reader).await {
            Ok(s) => s,
            Err(e) => return failed("snapshot", e),
        },
    };
    if let Err(e) = statements(client, up).await {
        return failed("up", e);
    }
    let locks = if in_trial {
        held_locks(client).await
    } else {
        Vec::new()
    };
    let after = match snap(client, reader).await {
        Ok(s) => s,
        Err(e) => return failed("snapshot", e),
    };
    let down_started = std::time::Instant::now();
    if let Err(e) = statements(client, down).await {
        return failed("down", e);
    }
    let down_ms = Some(u64::try_from(down_started.elapsed().as_millis()).unwrap_or(u64::MAX));
    let down = match snap(client, reader).await {
        Ok(s) => s,
        Err(e) => return failed("snapshot", e),
    };
    let after_down = before.diff(&down);
    // A down that left objects behind usually makes the second up fail on them: that is
    // said with what the down left, not as a failure of its own.
    let (after_up_again, up_again_error, again) = match statements(client, up).await {
        Ok(()) => match snap(client, reader).await {
            Ok(again) => (after.diff(&again), None, Some(again)),
            Err(e) => return failed("snapshot", e),
        },
        Err(e) if !after_down.is_empty() => (Vec::new(), Some(e), None),
        Err(e) => return failed("up again", e),
    };
    if after_down.is_empty() && after_up_again.is_empty() {
        (RoundTrip::RoundTrips, again, locks, down_ms)
    } else {
        (
            RoundTrip::Differs {
                after_down,
                after_up_again,
                up_again_error,
            },
            None,
            locks,
            down_ms,
        )
    }
}

/// The up → down → up of every migration of `runbook`, on the database `client` is on, in
/// the engine's order. A migration whose SQL runs in a transaction is tried inside one: kept
/// when it round-trips (it ends where the up would), else rolled back and the up applied
/// once for real, so a bad down cannot spoil what the next migrations build on. One that cannot (`CONCURRENTLY`) is tried for real, and a bad down
/// there ends the trips (what follows would build on an unknown schema).
pub async fn round_trip(client: &Client, runbook: &Runbook, plan: &Plan) -> Vec<Trip> {
    let steps: Vec<&Step> = runbook.phases.iter().flat_map(|p| p.steps.iter()).collect();
    let applied = already_applied(client, &runbook.name).await;
    let mut trips = Vec::new();
    let reader = match catalog::Reader::new(client).await {
        Ok(r) => r,
        Err(e) => {
            trips.push(Trip {
                id: String::new(),
                verdict: RoundTrip::Failed {
                    stage: "snapshot".into(),
                    error: e.to_string(),
                },
                locks: Vec::new(),
                down_ms: None,
            });
            return trips;
        }
    };
    // The schema as it stands, when known: a trip that round-tripped ends there.
    let mut current: Option<Snapshot> = None;
    for i in plan.execution_order() {
        let Some(step) = steps.get(i) else { continue };
        let StepKind::Migrate(m) = &step.kind else {
            continue;
        };
        let mut push = |verdict: RoundTrip, locks: Vec<String>, down_ms: Option<u64>| {
            trips.push(Trip {
                id: step.id.clone(),
                verdict,
                locks,
                down_ms,
            })
        };
        if applied.contains(&step.id) {
            push(RoundTrip::AlreadyApplied, Vec::new(), None);
            continue;
        }
        let rollback = match (&m.rollback, crate::plan::left_applied_by_rollback(m)) {
            (Some(rollback), None) => rollback,
            (_, reason) => {
                current = None;
                if let Err(error) = apply(client, &m.sql.text).await {
                    push(
                        RoundTrip::Failed {
                            stage: "up".into(),
                            error,
                        },
                        Vec::new(),
                        None,
                    );
                    break;
                }
                push(
                    RoundTrip::NoRollback {
                        reason: reason.unwrap_or_default(),
                    },
                    Vec::new(),
                    None,
                );
                continue;
            }
        };
        let (up, down) = (&m.sql.text, &rollback.text);
        if needs_no_transaction(up) || needs_no_transaction(down) {
            let (verdict, end, locks, down_ms) =
                stages(client, &reader, (up, down), current.take(), false).await;
            current = end;
            let stop = !matches!(verdict, RoundTrip::RoundTrips);
            push(verdict, locks, down_ms);
            if stop {
                break;
            }
            continue;
        }
        if let Err(error) = client.batch_execute("BEGIN").await.map_err(said) {
            push(
                RoundTrip::Failed {
                    stage: "begin".into(),
                    error,
                },
                Vec::new(),
                None,
            );
            break;
        }
        let (verdict, end, locks, down_ms) =
            stages(client, &reader, (up, down), current.take(), true).await;
        // Round-tripped: the trial ends where the migration's up would, so it stands.
        if verdict == RoundTrip::RoundTrips {
            match client.batch_execute("COMMIT").await.map_err(said) {
                Ok(()) => {
                    current = end;
                    push(verdict, locks, down_ms);
                    continue;
                }
                Err(error) => {
                    push(
                        RoundTrip::Failed {
                            stage: "commit".into(),
                            error,
                        },
                        Vec::new(),
                        None,
                    );
                    break;
                }
            }
        }
        let _ = client.batch_execute("ROLLBACK").await;
        let up_failed = matches!(&verdict, RoundTrip::Failed { stage, .. } if stage == "up");
        push(verdict, locks, down_ms);
        if up_failed {
            break;
        }
        if let Err(error) = apply(client, up).await {
            push(
                RoundTrip::Failed {
                    stage: "up".into(),
                    error,
                },
                Vec::new(),
                None,
            );
            break;
        }
    }
    trips
}
