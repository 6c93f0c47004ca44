//! A backfill: its table walked by key in batches, each batch and the cursor committed in
//! one short transaction, the server's health read between batches, the batch size adapted
//! toward a target time.

use super::*;
use crate::events::BackfillChange;
use crate::runbook::{Backfill, Estimate};
use tokio_postgres::types::{ToSql, Type};

/// How often a throttled backfill looks at the server again.
const THROTTLE_LOOK: Duration = Duration::from_secs(1);
/// How often a batch looks for sessions waiting on it (`max_lock_waits`).
const LOCK_WAIT_LOOK: Duration = Duration::from_millis(100);

/// A key as the batch statement's parameter wants it (its type is the key column's).
fn key_param(ty: &Type, key: i64) -> Result<Box<dyn ToSql + Sync + Send>, String> {
    let out_of_range = || format!("key {key} does not fit the batch's {ty} parameter");
    Ok(match *ty {
        Type::INT2 => Box::new(i16::try_from(key).map_err(|_| out_of_range())?),
        Type::INT4 => Box::new(i32::try_from(key).map_err(|_| out_of_range())?),
        Type::INT8 => Box::new(key),
        _ => {
            return Err(format!(
                "the batch SQL's $1 and $2 are {ty}, but a backfill walks an integer key (smallint, integer or bigint)"
            ));
        }
    })
}

/// The next batch size: shrunk by a fifth after a batch slower than the target, grown by a
/// tenth after a faster one, within the bounds (published practice: ×0.8 / ×1.1).
pub(crate) fn next_batch_size(size: u32, took: Duration, b: &Backfill) -> u32 {
    let next = if took > b.batch_time {
        f64::from(size) * 0.8
    } else {
        (f64::from(size) * 1.1).ceil()
    };
    (next as u32).clamp(b.min_batch, b.max_batch)
}

/// What the operator can change while a backfill runs, and what it starts from.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Live {
    pub size: u32,
    pub max_lag: Option<Duration>,
    pub resume_lag: Option<Duration>,
    /// Held by this operator: it waits until released.
    pub held_by: Option<String>,
}

impl Live {
    pub(crate) fn of(b: &Backfill) -> Live {
        Live {
            size: b.batch,
            max_lag: b.throttle.max_replica_lag,
            resume_lag: b.throttle.resume_below_lag,
            held_by: None,
        }
    }

    /// Takes the operator's change; says whether it changed anything.
    pub(crate) fn apply(&mut self, operator: &str, change: &BackfillChange, b: &Backfill) -> bool {
        let before = self.clone();
        match change {
            BackfillChange::Hold => self.held_by = Some(operator.to_owned()),
            BackfillChange::Release => self.held_by = None,
            BackfillChange::BatchSize { rows } => {
                self.size = (*rows).clamp(b.min_batch, b.max_batch);
            }
            BackfillChange::MaxReplicaLag { ms } => {
                let max = Duration::from_millis(*ms);
                self.max_lag = Some(max);
                self.resume_lag = Some(max / 2);
            }
        }
        *self != before
    }
}

/// What the server says between batches (what cannot be read is `None`/false, and holds
/// nothing up).
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Health {
    pub lag: Option<Duration>,
    pub probe: Option<f64>,
    /// A vacuum works on the table.
    pub vacuum: bool,
}

/// Why a backfill waits now, if it must: held by the operator; above a mark it waits, and
/// once waiting it goes on only below the lower mark; a vacuum on the table while asked to.
fn throttle_reason(b: &Backfill, live: &Live, health: &Health, waiting: bool) -> Option<String> {
    let (lag, probe) = (health.lag, health.probe);
    if let Some(who) = &live.held_by {
        return Some(format!("held by {who}"));
    }
    if b.throttle.vacuum && health.vacuum {
        return Some(format!("a vacuum is working on {}", b.table));
    }
    if let (Some(lag), Some(max)) = (lag, live.max_lag) {
        let mark = if waiting {
            live.resume_lag.unwrap_or(max)
        } else {
            max
        };
        if lag > mark || (waiting && lag >= mark) {
            return Some(format!(
                "replica lag {} {} {}",
                crate::runbook::duration::format(lag),
                if waiting { "not yet below" } else { "above" },
                crate::runbook::duration::format(mark)
            ));
        }
    }
    if let (Some(value), Some(p)) = (probe, &b.throttle.probe) {
        let (mark, over) = if waiting {
            (p.resume_below, value >= p.resume_below)
        } else {
            (p.above, value > p.above)
        };
        if over {
            return Some(format!(
                "throttle probe {value} {} {mark}",
                if waiting { "not yet below" } else { "above" }
            ));
        }
    }
    None
}

impl<'a> Engine<'a> {
    pub(super) async fn run_backfill(
        &mut self,
        i: usize,
        b: &Backfill,
    ) -> Result<Option<Stop>, EngineError> {
        let id = self.steps[i].id.clone();
        if let Some(stop) = self.ensure_lock().await? {
            return Ok(Some(stop));
        }
        let started = Instant::now();
        self.out.emit(Event::StepStarted {
            step: id.clone(),
            attempt: 1,
            in_transaction: Some(true),
        })?;
        match self.backfill(i, b).await? {
            Ok(rows) => {
                self.mark(
                    &id,
                    "backfill",
                    Some(&b.sql.text),
                    StepStatus::Applied,
                    1,
                    i64::try_from(rows).unwrap_or(i64::MAX),
                )
                .await?;
                self.out.emit(Event::StepFinished {
                    step: id,
                    duration_ms: ms(started.elapsed()),
                    rows,
                })?;
                Ok(None)
            }
            Err(stop) => Ok(Some(stop)),
        }
    }

    /// Walks the table to its end: `Ok(rows)` when done, `Err(stop)` when the run stops
    /// (a failure, a pause, a cancel); the cursor then says where to go on.
    async fn backfill(&mut self, i: usize, b: &Backfill) -> Result<Result<u64, Stop>, EngineError> {
        let id = self.steps[i].id.clone();
        let failed = |this: &mut Self,
                      e: &tokio_postgres::Error|
         -> Result<Result<u64, Stop>, EngineError> {
            let error = this.failure_of(e, &b.sql, None);
            this.out.emit(Event::StepFailed {
                step: id.clone(),
                error: error.clone(),
            })?;
            Ok(Err(Stop::Finished(
                Outcome::Failed,
                Some(format!(
                    "backfill `{id}` failed: {}; its cursor keeps what was done, --resume goes on from there",
                    error.message
                )),
            )))
        };
        let batch = match self.client.prepare(&b.sql.text).await {
            Ok(s) => s,
            Err(e) => return failed(self, &e),
        };
        let types: Vec<Type> = batch.params().to_vec();
        let (Some(low_type), Some(high_type)) = (types.first(), types.get(1)) else {
            return Ok(Err(Stop::Finished(
                Outcome::Failed,
                Some(format!("backfill `{id}`: its SQL must take $1 and $2")),
            )));
        };
        let keyset = format!(
            "SELECT max(k)::bigint FROM (SELECT {key} AS k FROM {table} WHERE {key} > $1::bigint ORDER BY {key} LIMIT $2::bigint) batch",
            key = b.key,
            table = b.table
        );
        let keyset = match self.client.prepare(&keyset).await {
            Ok(s) => s,
            Err(e) => return failed(self, &e),
        };
        // Where it stands: its cursor from an earlier run, else just below the smallest key.
        let cursor = tracking::backfill_cursor(&self.client, &self.runbook.name, &id)
            .await
            .map_err(|e| self.db_err(&e))?;
        let (mut last, mut rows_done, mut batches) = match cursor {
            Some(c) => (
                c.last_key,
                u64::try_from(c.rows_done).unwrap_or(0),
                u32::try_from(c.batches).unwrap_or(0),
            ),
            None => {
                let first = self
                    .client
                    .query_one(
                        &format!(
                            "SELECT (min({key}) - 1)::bigint FROM {table}",
                            key = b.key,
                            table = b.table
                        ),
                        &[],
                    )
                    .await;
                match first {
                    Ok(row) => match row.get::<_, Option<i64>>(0) {
                        Some(k) => (k, 0, 0),
                        // An empty table: nothing to do.
                        None => (0, 0, 0),
                    },
                    Err(e) => return failed(self, &e),
                }
            }
        };
        if cursor.is_none() {
            self.mark(
                &id,
                "backfill",
                Some(&b.sql.text),
                StepStatus::Started,
                1,
                0,
            )
            .await?;
        }
        let total_estimate = self.backfill_estimate(b).await;
        let mut live = Live::of(b);
        self.out.emit(Event::BackfillStarted {
            step: id.clone(),
            from_key: last,
            rows_done,
            batches,
            total_estimate,
            batch_size: live.size,
        })?;
        let prelude = format!(
            "BEGIN; SET LOCAL lock_timeout = '{}'; SET LOCAL statement_timeout = '{}'",
            pg_ms(b.lock_timeout),
            pg_ms(b.statement_timeout)
        );
        let mut waiting: Option<Instant> = None;
        loop {
            if let Some(stop) = self.poll_commands() {
                return Ok(Err(stop));
            }
            if self.pause_requested {
                return Ok(Err(Stop::Finished(
                    Outcome::Halted,
                    Some(format!(
                        "paused by the operator during backfill `{id}` ({rows_done} rows done); --resume goes on from its cursor"
                    )),
                )));
            }
            // The operator's changes, then the server's health: a backfill never adds load to
            // a struggling server.
            for (operator, change) in std::mem::take(&mut self.backfill_changes) {
                if live.apply(&operator, &change, b) {
                    self.out.emit(Event::BackfillAdjusted {
                        step: id.clone(),
                        operator,
                        change,
                        batch_size: live.size,
                        max_replica_lag_ms: live.max_lag.map(ms),
                        held: live.held_by.is_some(),
                    })?;
                }
            }
            let health = self.health(b, &live).await;
            match (
                throttle_reason(b, &live, &health, waiting.is_some()),
                waiting,
            ) {
                (Some(reason), None) => {
                    self.out.emit(Event::BackfillThrottled {
                        step: id.clone(),
                        reason,
                    })?;
                    waiting = Some(Instant::now());
                }
                (None, Some(since)) => {
                    self.out.emit(Event::BackfillResumed {
                        step: id.clone(),
                        waited_ms: ms(since.elapsed()),
                    })?;
                    waiting = None;
                }
                _ => {}
            }
            if waiting.is_some() {
                if let Some(reason) = self.backoff(THROTTLE_LOOK).await? {
                    return Ok(Err(self.stopped(reason)));
                }
                continue;
            }
            let upto: Option<i64> = match self
                .client
                .query_one(&keyset, &[&last, &i64::from(live.size)])
                .await
            {
                Ok(row) => row.get(0),
                Err(e) => return failed(self, &e),
            };
            let Some(upto) = upto else {
                return Ok(Ok(rows_done));
            };
            let params = match (key_param(low_type, last), key_param(high_type, upto)) {
                (Ok(a), Ok(b)) => [a, b],
                (Err(why), _) | (_, Err(why)) => {
                    return Ok(Err(Stop::Finished(
                        Outcome::Failed,
                        Some(format!("backfill `{id}`: {why}")),
                    )));
                }
            };
            let began = Instant::now();
            let (done, lock_waits) = self
                .watched_batch(
                    b,
                    self.backfill_batch(
                        &id,
                        &prelude,
                        &batch,
                        &params,
                        (upto, rows_done, batches + 1),
                    ),
                )
                .await;
            let rows = match done {
                Ok(rows) => rows,
                Err(e) => {
                    let _ = self.client.batch_execute("ROLLBACK").await;
                    if let Some(refusal) = self.integrity_refusal(&id, Some(&e)).await {
                        return Ok(Err(match refusal {
                            StepResult::LockLost(reason) | StepResult::AppliedElsewhere(reason) => {
                                Stop::Finished(Outcome::Interrupted, Some(reason))
                            }
                            _ => Stop::Finished(Outcome::Interrupted, None),
                        }));
                    }
                    return failed(self, &e);
                }
            };
            let took = began.elapsed();
            batches += 1;
            rows_done += rows;
            let from = last;
            last = upto;
            live.size = next_batch_size(live.size, took, b);
            self.out.emit(Event::BackfillBatch {
                step: id.clone(),
                batch: batches,
                from_key: from,
                to_key: upto,
                rows,
                duration_ms: ms(took),
                rows_done,
                next_batch_size: live.size,
            })?;
            // Sessions queued behind its locks: smaller batches, after a breath.
            if let Some(max) = b.throttle.max_lock_waits
                && lock_waits > u64::from(max)
            {
                live.size = (live.size / 2).max(b.min_batch);
                self.out.emit(Event::BackfillThrottled {
                    step: id.clone(),
                    reason: format!(
                        "{lock_waits} session(s) waited on its last batch (more than {max}): next batch {}",
                        live.size
                    ),
                })?;
                let since = Instant::now();
                if let Some(reason) = self.backoff(THROTTLE_LOOK).await? {
                    return Ok(Err(self.stopped(reason)));
                }
                self.out.emit(Event::BackfillResumed {
                    step: id.clone(),
                    waited_ms: ms(since.elapsed()),
                })?;
            }
        }
    }

    /// Runs a batch while, if the step asks, counting the sessions waiting on its locks
    /// (the most seen at once).
    async fn watched_batch<T>(
        &self,
        b: &Backfill,
        batch: impl std::future::Future<Output = T>,
    ) -> (T, u64) {
        if b.throttle.max_lock_waits.is_none() {
            return (batch.await, 0);
        }
        tokio::pin!(batch);
        let mut most = 0;
        let mut look =
            tokio::time::interval_at(tokio::time::Instant::now() + LOCK_WAIT_LOOK, LOCK_WAIT_LOOK);
        loop {
            tokio::select! {
                done = &mut batch => return (done, most),
                _ = look.tick() => {
                    let waiting = self
                        .monitor
                        .query_one(
                            "SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))",
                            &[&self.backend_pid],
                        )
                        .await
                        .ok()
                        .and_then(|r| u64::try_from(r.get::<_, i64>(0)).ok())
                        .unwrap_or(0);
                    most = most.max(waiting);
                }
            }
        }
    }

    /// One batch and the cursor, committed together.
    async fn backfill_batch(
        &self,
        id: &str,
        prelude: &str,
        batch: &tokio_postgres::Statement,
        params: &[Box<dyn ToSql + Sync + Send>; 2],
        (upto, rows_done, n): (i64, u64, u32),
    ) -> Result<u64, tokio_postgres::Error> {
        self.client.batch_execute(prelude).await?;
        let refs: Vec<&(dyn ToSql + Sync)> = params
            .iter()
            .map(|p| p.as_ref() as &(dyn ToSql + Sync))
            .collect();
        let rows = self.client.execute(batch, &refs).await?;
        let done = i64::try_from(rows_done + rows).unwrap_or(i64::MAX);
        let n = i32::try_from(n).unwrap_or(i32::MAX);
        self.client
            .execute(
                tracking::ADVANCE_BACKFILL,
                &[
                    &self.runbook.name,
                    &id,
                    &self.run_id,
                    &upto,
                    &done,
                    &n,
                    &self.lock.pid(),
                ],
            )
            .await?;
        self.client.batch_execute("COMMIT").await?;
        Ok(rows)
    }

    /// The rows the backfill goes through, as the runbook asks them estimated.
    async fn backfill_estimate(&self, b: &Backfill) -> Option<u64> {
        let sql = match b.estimate {
            Estimate::Count => format!("SELECT count(*)::bigint FROM {}", b.table),
            Estimate::Stats => format!(
                "SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = '{}'::regclass",
                b.table
            ),
        };
        let row = self.monitor.query_one(&sql, &[]).await.ok()?;
        row.get::<_, Option<i64>>(0)
            .and_then(|n| u64::try_from(n).ok())
    }

    /// The replicas' lag and the throttle probe's value, as far as they can be read (what
    /// cannot be read does not hold the backfill up).
    async fn health(&self, b: &Backfill, live: &Live) -> Health {
        let t = &b.throttle;
        let lag = match live.max_lag {
            Some(_) => self
                .monitor
                .query_one(
                    "SELECT coalesce(max(extract(epoch FROM replay_lag)), 0)::float8 FROM pg_stat_replication",
                    &[],
                )
                .await
                .ok()
                .and_then(|r| r.get::<_, Option<f64>>(0))
                .and_then(|s| Duration::try_from_secs_f64(s).ok()),
            None => None,
        };
        let probe = match &t.probe {
            Some(p) => sqlexec::simple(&self.monitor, &p.sql.text)
                .await
                .ok()
                .and_then(|r| r.rows.first().and_then(|row| row.first()).cloned())
                .and_then(|v| v.and_then(|text| text.trim().parse::<f64>().ok())),
            None => None,
        };
        let vacuum = t.vacuum
            && self
                .monitor
                .query_one(
                    &format!(
                        "SELECT count(*) FROM pg_stat_progress_vacuum WHERE relid = '{}'::regclass",
                        b.table
                    ),
                    &[],
                )
                .await
                .is_ok_and(|r| r.get::<_, i64>(0) > 0);
        Health { lag, probe, vacuum }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backfill(throttle: crate::runbook::Throttle) -> Backfill {
        Backfill {
            table: "t".into(),
            key: "id".into(),
            sql: crate::runbook::SqlSource {
                text: "UPDATE t SET n = 1 WHERE id > $1 AND id <= $2".into(),
                origin: crate::runbook::SqlOrigin::File {
                    path: "t.sql".into(),
                    loc: crate::runbook::Loc::default(),
                },
            },
            batch: 1000,
            min_batch: 100,
            max_batch: 1200,
            batch_time: Duration::from_millis(500),
            estimate: Estimate::Stats,
            lock_timeout: Duration::from_secs(1),
            statement_timeout: Duration::from_secs(60),
            throttle,
        }
    }

    #[test]
    fn the_batch_size_adapts_toward_the_target_time_within_bounds() {
        let b = backfill(Default::default());
        assert_eq!(next_batch_size(1000, Duration::from_millis(100), &b), 1100);
        assert_eq!(
            next_batch_size(1100, Duration::from_millis(100), &b),
            1200,
            "capped"
        );
        assert_eq!(next_batch_size(1000, Duration::from_secs(2), &b), 800);
        assert_eq!(
            next_batch_size(110, Duration::from_secs(2), &b),
            100,
            "never below the floor"
        );
    }

    #[test]
    fn throttling_waits_above_the_mark_and_goes_on_only_below_the_lower_one() {
        let b = backfill(crate::runbook::Throttle {
            max_replica_lag: Some(Duration::from_secs(5)),
            resume_below_lag: Some(Duration::from_secs(2)),
            probe: None,
            vacuum: false,
            max_lock_waits: None,
        });
        let mut live = Live::of(&b);
        let lag = |s: u64| Health {
            lag: Some(Duration::from_secs(s)),
            ..Health::default()
        };
        assert_eq!(throttle_reason(&b, &live, &lag(4), false), None);
        assert!(throttle_reason(&b, &live, &lag(6), false).is_some());
        // Waiting: 4 s is below the mark that paused it, not below the one that resumes.
        assert!(throttle_reason(&b, &live, &lag(4), true).is_some());
        assert_eq!(throttle_reason(&b, &live, &lag(1), true), None);
        assert_eq!(
            throttle_reason(&b, &live, &Health::default(), false),
            None,
            "unknown lag holds nothing up"
        );
        // A vacuum on the table holds it up only when the step asks so.
        let vacuuming = Health {
            vacuum: true,
            ..Health::default()
        };
        assert_eq!(throttle_reason(&b, &live, &vacuuming, false), None);
        let mut careful = b.clone();
        careful.throttle.vacuum = true;
        assert_eq!(
            throttle_reason(&careful, &live, &vacuuming, false).as_deref(),
            Some("a vacuum is working on t")
        );
        // The operator raises the mark: 6 s no longer holds it up; a hold does.
        assert!(live.apply("dana", &BackfillChange::MaxReplicaLag { ms: 10_000 }, &b));
        assert_eq!(throttle_reason(&b, &live, &lag(6), false), None);
        assert!(live.apply("dana", &BackfillChange::Hold, &b));
        assert_eq!(
            throttle_reason(&b, &live, &Health::default(), false).as_deref(),
            Some("held by dana")
        );
        assert!(
            !live.apply("dana", &BackfillChange::Hold, &b),
            "held already"
        );
        assert!(live.apply("dana", &BackfillChange::BatchSize { rows: 5 }, &b));
        assert_eq!(live.size, 100, "kept within the step's bounds");
    }
}
