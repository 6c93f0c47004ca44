//! Mirrors journaled events into the tracking schema (`cutover.events`) and signals them with
//! `NOTIFY`, so `cutover watch` can follow a window from another machine. Best effort: the
//! journal file stays the durable record, and a mirror that loses its connection never
//! affects the run.
//!
//! The engine hands every journaled (already scrubbed) entry to [`Mirror::send`], which only
//! appends to a bounded in-memory queue and wakes the writer task; it never waits for the
//! database. The writer has its own connection (`synchronous_commit = off`) and writes
//! everything queued as one batch — one `INSERT … SELECT FROM jsonb_array_elements(…)` plus
//! `pg_notify('cutover_events', run_id)` in the same statement, hence the same transaction —
//! then acknowledges the batch. A lost connection is retried with backoff; a full queue drops
//! its oldest entries and counts them (the watcher sees the hole in `seq`). Rows are keyed by
//! `(run_id, seq)` with `ON CONFLICT DO NOTHING`, so writing an entry twice is harmless.

use crate::connect::Target;
use crate::journal::Entry;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_postgres::Client;

/// Entries kept while the database is unreachable; beyond this the oldest are dropped.
const CAPACITY: usize = 20_000;
/// At most this many entries per statement (a migration's SQL text rides in its events).
const BATCH: usize = 500;
/// After a batch is written the next waits this long, so a burst of events becomes one
/// insert per pause rather than one per event: the server the run works on has better things
/// to do. The first event after a quiet spell goes at once; closing cuts the pause short.
const PACE: Duration = Duration::from_millis(100);
/// A batch the server refuses (not a lost connection) is tried this many times, then dropped.
const SQL_ATTEMPTS: u32 = 3;

use crate::tracking::INSERT_EVENTS as INSERT_SQL;

/// The queue between the engine and the writer.
#[derive(Debug, Default)]
struct Queue {
    entries: VecDeque<Entry>,
    /// Entries dropped (queue full, or a batch the server kept refusing).
    dropped: u64,
    closing: bool,
}

impl Queue {
    /// Appends; when full, drops the oldest entry and counts it.
    fn push(&mut self, entry: Entry, capacity: usize) {
        while self.entries.len() >= capacity.max(1) {
            self.entries.pop_front();
            self.dropped += 1;
        }
        self.entries.push_back(entry);
    }

    /// The oldest `max` entries, left in place until acknowledged.
    fn peek(&self, max: usize) -> Vec<Entry> {
        self.entries.iter().take(max).cloned().collect()
    }

    /// Removes what was written: every entry up to `seq` (the front may have moved meanwhile
    /// if the queue overflowed, so this goes by sequence number, not by count).
    fn ack(&mut self, seq: u64) {
        while self.entries.front().is_some_and(|e| e.seq <= seq) {
            self.entries.pop_front();
        }
    }

    /// Gives up on everything up to `seq`, counting it.
    fn drop_through(&mut self, seq: u64) {
        while self.entries.front().is_some_and(|e| e.seq <= seq) {
            self.entries.pop_front();
            self.dropped += 1;
        }
    }
}

struct Shared {
    queue: Mutex<Queue>,
    wake: Notify,
    /// Signalled once, when the run closes the mirror (ends the pause between batches).
    closed: Notify,
}

impl Shared {
    fn queue(&self) -> MutexGuard<'_, Queue> {
        // A panic while holding the lock leaves a consistent queue: keep using it.
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A handle to the background task that writes events to `cutover.events`.
#[derive(Clone)]
pub struct Mirror {
    shared: Arc<Shared>,
    task: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl Mirror {
    /// Starts the mirror task (it connects on its own; must be called inside a tokio runtime).
    pub fn start(target: Target, run_id: String) -> Mirror {
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            wake: Notify::new(),
            closed: Notify::new(),
        });
        let mut target = target;
        let app = format!(
            "{}:mirror",
            target.config.get_application_name().unwrap_or("cutover")
        );
        target.config.application_name(app);
        let task = tokio::spawn(writer(Arc::clone(&shared), target, run_id));
        Mirror {
            shared,
            task: Arc::new(Mutex::new(Some(task))),
        }
    }

    /// Queues an already-journaled (and scrubbed) entry; never blocks, never fails the run.
    pub fn send(&self, entry: &Entry) {
        self.shared.queue().push(entry.clone(), CAPACITY);
        self.shared.wake.notify_one();
    }

    /// Gives the task up to `within` to write what is queued, then stops it.
    pub async fn close(self, within: Duration) {
        self.shared.queue().closing = true;
        self.shared.wake.notify_one();
        self.shared.closed.notify_one();
        let task = self.task.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(mut task) = task
            && tokio::time::timeout(within, &mut task).await.is_err()
        {
            task.abort();
        }
    }
}

/// Delay before reconnect attempt `n` (1-based): 250 ms doubling to 8 s, with jitter.
fn backoff(n: u32) -> Duration {
    let base = 250u64 << n.saturating_sub(1).min(5);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::from(d.subsec_nanos()));
    Duration::from_millis(base + nanos % (base / 4 + 1))
}

/// How far to shift this attempt's sequence numbers. A resumed run normally continues its
/// journal, so its first entry comes after everything stored. If it was resumed with a new
/// journal (another machine, `--journal`), numbering restarted at 1: place its entries after
/// what the earlier attempts stored instead of colliding with them.
fn renumber_offset(stored_max: Option<i64>, first: &Entry) -> u64 {
    let resumed = matches!(
        first.event,
        crate::events::Event::RunStarted { resumed: true, .. }
    );
    match stored_max.and_then(|m| u64::try_from(m).ok()) {
        Some(max) if resumed && first.seq <= max => max + 1 - first.seq,
        _ => 0,
    }
}

/// Strips what jsonb refuses (NUL characters).
fn strip_nul(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(s) if s.contains('\0') => {
            *s = s.replace('\0', "\u{FFFD}");
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(strip_nul),
        serde_json::Value::Object(map) => map.values_mut().for_each(strip_nul),
        _ => {}
    }
}

/// The batch as the JSON array `INSERT_SQL` reads: `[{seq, ts, event}, …]`.
fn batch_json(entries: &[Entry], offset: u64, secret: Option<&str>) -> String {
    let rows: Vec<serde_json::Value> = entries
        .iter()
        .map(|e| {
            // The journal masked the event already; masking again (the same values, typed)
            // is a second line of defence that can never touch a name.
            let mut event = e.event.clone();
            if let Some(secret) = secret {
                crate::secret::mask_event(&mut event, secret);
            }
            let mut event = serde_json::to_value(&event).unwrap_or(serde_json::Value::Null);
            strip_nul(&mut event);
            serde_json::json!({
                "seq": e.seq.saturating_add(offset),
                "ts": e.ts.to_rfc3339(),
                "event": event,
            })
        })
        .collect();
    serde_json::Value::Array(rows).to_string()
}

/// A connection ready to write: `synchronous_commit = off`, the statement prepared.
struct Writer {
    client: Client,
    insert: tokio_postgres::Statement,
}

async fn open_writer(target: &Target) -> Result<Writer, String> {
    let (client, _notices) = crate::connect::open(target).await?;
    client
        .batch_execute("SET synchronous_commit = off")
        .await
        .map_err(|e| e.to_string())?;
    let insert = client
        .prepare(INSERT_SQL)
        .await
        .map_err(|e| e.to_string())?;
    Ok(Writer { client, insert })
}

async fn stored_max(client: &Client, run_id: &str) -> Result<Option<i64>, tokio_postgres::Error> {
    crate::tracking::events_stored_max(client, run_id).await
}

async fn writer(shared: Arc<Shared>, target: Target, run_id: String) {
    let secret = target.secret();
    let mut conn: Option<Writer> = None;
    let mut offset: Option<u64> = None;
    let mut reconnects = 0u32;
    let mut sql_failures = 0u32;
    loop {
        let (batch, closing) = {
            let q = shared.queue();
            (q.peek(BATCH), q.closing)
        };
        let Some(last) = batch.last().map(|e| e.seq) else {
            if closing {
                return;
            }
            shared.wake.notified().await;
            continue;
        };
        if conn.as_ref().is_some_and(|w| w.client.is_closed()) {
            conn = None;
        }
        if conn.is_none() {
            match open_writer(&target).await {
                Ok(w) => {
                    reconnects = 0;
                    conn = Some(w);
                }
                Err(_) => {
                    reconnects += 1;
                    tokio::time::sleep(backoff(reconnects)).await;
                    continue;
                }
            }
        }
        let Some(w) = conn.as_mut() else {
            continue;
        };
        if offset.is_none() {
            match stored_max(&w.client, &run_id).await {
                Ok(max) => offset = Some(renumber_offset(max, &batch[0])),
                Err(_) => {
                    conn = None;
                    reconnects += 1;
                    tokio::time::sleep(backoff(reconnects)).await;
                    continue;
                }
            }
        }
        let json = batch_json(&batch, offset.unwrap_or(0), secret.as_deref());
        match w.client.query_one(&w.insert, &[&run_id, &json]).await {
            Ok(_) => {
                sql_failures = 0;
                let closing = {
                    let mut queue = shared.queue();
                    queue.ack(last);
                    queue.closing
                };
                if !closing {
                    tokio::select! {
                        () = tokio::time::sleep(PACE) => {}
                        () = shared.closed.notified() => {}
                    }
                }
            }
            Err(e) if e.is_closed() || w.client.is_closed() => {
                conn = None;
                reconnects += 1;
                tokio::time::sleep(backoff(reconnects)).await;
            }
            Err(_) => {
                // The server refuses this batch (not a connection problem): retry a little,
                // then leave a counted hole rather than stall everything behind it.
                sql_failures += 1;
                if sql_failures >= SQL_ATTEMPTS {
                    sql_failures = 0;
                    shared.queue().drop_through(last);
                } else {
                    tokio::time::sleep(backoff(sql_failures)).await;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::Event;

    fn entry(seq: u64) -> Entry {
        Entry {
            ts: chrono::Utc::now(),
            seq,
            event: Event::PhaseStarted {
                phase: format!("p{seq}"),
            },
        }
    }

    fn started(seq: u64, resumed: bool) -> Entry {
        Entry {
            ts: chrono::Utc::now(),
            seq,
            event: Event::RunStarted {
                run_id: "r".into(),
                runbook: "rb".into(),
                title: "t".into(),
                checksum: "c".into(),
                operator: "o".into(),
                target: "u@h:5432/d".into(),
                server_version: "17".into(),
                cutover_version: "0".into(),
                resumed,
                hard_end: "2024-01-01T00:00:00Z".into(),
                plan: None,
            },
        }
    }

    fn seqs(q: &Queue) -> Vec<u64> {
        q.entries.iter().map(|e| e.seq).collect()
    }

    #[test]
    fn a_full_queue_drops_its_oldest_entries_and_counts_them() {
        let mut q = Queue::default();
        for seq in 1..=5 {
            q.push(entry(seq), 3);
        }
        assert_eq!(seqs(&q), vec![3, 4, 5]);
        assert_eq!(q.dropped, 2);
    }

    #[test]
    fn a_batch_is_acknowledged_by_sequence_even_if_the_front_moved() {
        let mut q = Queue::default();
        for seq in 1..=4 {
            q.push(entry(seq), 4);
        }
        let batch = q.peek(2);
        assert_eq!(batch.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1, 2]);
        // While the batch was being written, two more arrived and pushed 1 and 2 out.
        q.push(entry(5), 4);
        q.push(entry(6), 4);
        assert_eq!(seqs(&q), vec![3, 4, 5, 6]);
        q.ack(2);
        assert_eq!(seqs(&q), vec![3, 4, 5, 6], "nothing newer is lost");
        q.ack(4);
        assert_eq!(seqs(&q), vec![5, 6]);
        q.drop_through(5);
        assert_eq!(seqs(&q), vec![6]);
        assert_eq!(q.dropped, 3);
    }

    #[test]
    fn batches_carry_seq_ts_and_the_event_without_nul_or_secret() {
        let mut with_nul = entry(7);
        with_nul.event = Event::CommandOutput {
            step: "s".into(),
            exit_code: Some(0),
            stdout_tail: "a\0b hunter2".into(),
            stderr_tail: String::new(),
        };
        let text = batch_json(&[entry(6), with_nul], 0, Some("hunter2"));
        let rows: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(rows[0]["seq"], 6);
        assert_eq!(rows[0]["event"]["event"], "phase_started");
        assert_eq!(rows[0]["event"]["phase"], "p6");
        assert!(rows[0]["ts"].as_str().is_some());
        assert_eq!(rows[1]["event"]["stdout_tail"], "a\u{FFFD}b ********");
        assert!(!text.contains("\\u0000") && !text.contains("hunter2"));
        let shifted = batch_json(&[entry(1)], 10, None);
        assert!(shifted.contains("\"seq\":11"), "{shifted}");
    }

    #[test]
    fn only_a_resumed_run_with_a_restarted_journal_is_renumbered() {
        // A fresh run, or a resume that continues its journal: as journaled.
        assert_eq!(renumber_offset(None, &started(1, false)), 0);
        assert_eq!(renumber_offset(Some(12), &started(13, true)), 0);
        // A resume on a new journal restarts at 1: after the 12 stored.
        assert_eq!(renumber_offset(Some(12), &started(1, true)), 12);
        // Re-sending entries already stored is not a renumbering.
        assert_eq!(renumber_offset(Some(12), &started(1, false)), 0);
        assert_eq!(renumber_offset(Some(12), &entry(3)), 0);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert!(backoff(1) >= Duration::from_millis(250));
        assert!(backoff(1) < Duration::from_millis(400));
        assert!(backoff(3) >= Duration::from_millis(1000));
        assert!(backoff(50) <= Duration::from_millis(10_000));
    }
}
