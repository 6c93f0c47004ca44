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

/// The three stages and the snapshots between them, in whatever transaction is open; the
/// verdict, or the stage that failed, and the schema after the second up when it was read.
/// `before` is the schema as it stands, when already read (the last trip's end).
async fn stages(
    client: &Client,
    reader: &catalog::Reader,
    up: &str,
    down: &str,
    before: Option<Snapshot>,
) -> (RoundTrip, Option<Snapshot>) {
    let failed = |stage: &str, error: String| {
        (
            RoundTrip::Failed {
                stage: stage.into(),
                error,
            },
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
    let after = match snap(client, reader).await {
        Ok(s) => s,
        Err(e) => return failed("snapshot", e),
    };
    if let Err(e) = statements(client, down).await {
        return failed("down", e);
    }
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
        (RoundTrip::RoundTrips, again)
    } else {
        (
            RoundTrip::Differs {
                after_down,
                after_up_again,
                up_again_error,
            },
            None,
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
        let mut push = |verdict: RoundTrip| {
            trips.push(Trip {
                id: step.id.clone(),
                verdict,
            })
        };
        if applied.contains(&step.id) {
            push(RoundTrip::AlreadyApplied);
            continue;
        }
        let rollback = match (&m.rollback, crate::plan::left_applied_by_rollback(m)) {
            (Some(rollback), None) => rollback,
            (_, reason) => {
                current = None;
                if let Err(error) = apply(client, &m.sql.text).await {
                    push(RoundTrip::Failed {
                        stage: "up".into(),
                        error,
                    });
                    break;
                }
                push(RoundTrip::NoRollback {
                    reason: reason.unwrap_or_default(),
                });
                continue;
            }
        };
        let (up, down) = (&m.sql.text, &rollback.text);
        if needs_no_transaction(up) || needs_no_transaction(down) {
            let (verdict, end) = stages(client, &reader, up, down, current.take()).await;
            current = end;
            let stop = !matches!(verdict, RoundTrip::RoundTrips);
            push(verdict);
            if stop {
                break;
            }
            continue;
        }
        if let Err(error) = client.batch_execute("BEGIN").await.map_err(said) {
            push(RoundTrip::Failed {
                stage: "begin".into(),
                error,
            });
            break;
        }
        let (verdict, end) = stages(client, &reader, up, down, current.take()).await;
        // Round-tripped: the trial ends where the migration's up would, so it stands.
        if verdict == RoundTrip::RoundTrips {
            match client.batch_execute("COMMIT").await.map_err(said) {
                Ok(()) => {
                    current = end;
                    push(verdict);
                    continue;
                }
                Err(error) => {
                    push(RoundTrip::Failed {
                        stage: "commit".into(),
                        error,
                    });
                    break;
                }
            }
        }
        let _ = client.batch_execute("ROLLBACK").await;
        let up_failed = matches!(&verdict, RoundTrip::Failed { stage, .. } if stage == "up");
        push(verdict);
        if up_failed {
            break;
        }
        if let Err(error) = apply(client, up).await {
            push(RoundTrip::Failed {
                stage: "up".into(),
                error,
            });
            break;
        }
    }
    trips
}
