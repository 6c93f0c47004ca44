//! Running SQL and turning what the server says into events: per-statement rows and
//! notices, lock waits with their blockers, errors with SQLSTATE and a source position.

use crate::connect::Target;
use crate::events::{Blocker, ServerSession, SqlFailure};
use crate::plan::sql::Statement;
use crate::runbook::{Runbook, SqlSource};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_postgres::{Client, SimpleQueryMessage};

/// Rows of the last result set, as text, plus the affected-row count.
pub struct QueryResult {
    pub rows: Vec<Vec<Option<String>>>,
    pub affected: u64,
}

pub async fn simple(client: &Client, sql: &str) -> Result<QueryResult, tokio_postgres::Error> {
    let messages = client.simple_query(sql).await?;
    let mut rows = Vec::new();
    let mut affected = 0;
    for message in messages {
        match message {
            SimpleQueryMessage::RowDescription(_) => rows.clear(),
            SimpleQueryMessage::Row(row) => {
                rows.push(
                    (0..row.len())
                        .map(|i| row.get(i).map(str::to_owned))
                        .collect(),
                );
            }
            SimpleQueryMessage::CommandComplete(n) => affected = n,
            _ => {}
        }
    }
    Ok(QueryResult { rows, affected })
}

/// Sends `first`'s request and then `second`'s without waiting in between: one round trip
/// instead of two. tokio-postgres queues a request when its future is first polled, so
/// `first` is polled once on its own before both are driven together (the connection only
/// delivers `second`'s responses once `first`'s have been taken).
pub async fn pipelined<A: Future, B: Future>(first: A, second: B) -> (A::Output, B::Output) {
    let mut first = std::pin::pin!(first);
    let mut early = None;
    std::future::poll_fn(|cx| {
        if let std::task::Poll::Ready(out) = first.as_mut().poll(cx) {
            early = Some(out);
        }
        std::task::Poll::Ready(())
    })
    .await;
    match early {
        Some(out) => (out, second.await),
        None => tokio::join!(first, second),
    }
}

/// Runs `prelude` (e.g. `BEGIN; SET LOCAL ...`) and then `sql` in one round trip. If the
/// prelude fails, its error is returned (`sql` then fails too: the transaction is aborted).
pub async fn simple_after(
    client: &Client,
    prelude: Option<&str>,
    sql: &str,
) -> Result<QueryResult, tokio_postgres::Error> {
    match prelude {
        None => simple(client, sql).await,
        Some(prelude) => {
            let (setup, result) =
                pipelined(client.batch_execute(prelude), simple(client, sql)).await;
            setup.and(result)
        }
    }
}

/// One request sent now and answered later: its future is polled once, which queues the
/// request on the connection (as [`Pipeline::send`] does), and kept to read the answer.
pub struct Sent<T> {
    /// In a mutex only so that an engine holding it can be shared across threads.
    state: std::sync::Mutex<SentState<T>>,
}

enum SentState<T> {
    Waiting(std::pin::Pin<Box<dyn Future<Output = T> + Send>>),
    Answered(T),
}

impl<T: Send> Sent<T> {
    pub async fn send(future: impl Future<Output = T> + Send + 'static) -> Sent<T> {
        let mut future: std::pin::Pin<Box<dyn Future<Output = T> + Send>> = Box::pin(future);
        let early =
            std::future::poll_fn(|cx| std::task::Poll::Ready(future.as_mut().poll(cx))).await;
        let state = match early {
            std::task::Poll::Ready(out) => SentState::Answered(out),
            std::task::Poll::Pending => SentState::Waiting(future),
        };
        Sent {
            state: std::sync::Mutex::new(state),
        }
    }

    pub async fn answer(self) -> T {
        match self
            .state
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
        {
            SentState::Answered(out) => out,
            SentState::Waiting(future) => future.await,
        }
    }
}

type Answer =
    std::pin::Pin<Box<dyn Future<Output = Result<QueryResult, tokio_postgres::Error>> + Send>>;

enum Slot {
    Waiting(Answer),
    Answered(Result<QueryResult, tokio_postgres::Error>),
}

/// Statements sent together and answered in order: every request is on its way before the
/// first answer is read, so N statements cost one round trip, not N. Meant for the statements
/// of one transaction: once one fails, the server fails the rest (25P02) and nobody reads them.
///
/// It owns what it needs (a handle on the session, the texts), so it can be sent ahead and
/// read later: the engine sends the next migration while the current one commits.
pub struct Pipeline {
    client: Arc<Client>,
    /// In a mutex only so that an engine holding a pipeline can be shared across threads;
    /// it is only ever reached through `&mut self` (`get_mut`, no locking).
    slots: std::sync::Mutex<std::collections::VecDeque<Slot>>,
    /// The setup sent first: its answer is folded into the first statement's.
    prelude: bool,
    sent_at: Instant,
}

impl Pipeline {
    /// Sends `prelude` (if any) and every statement. tokio-postgres queues a request when its
    /// future is first polled, so each is polled once, in order, before any answer is awaited.
    pub async fn send(client: &Arc<Client>, prelude: Option<&str>, texts: &[&str]) -> Pipeline {
        let mut slots: std::collections::VecDeque<Slot> = std::collections::VecDeque::new();
        if let Some(prelude) = prelude {
            let (client, prelude) = (Arc::clone(client), prelude.to_owned());
            slots.push_back(Slot::Waiting(Box::pin(async move {
                client.batch_execute(&prelude).await.map(|()| QueryResult {
                    rows: Vec::new(),
                    affected: 0,
                })
            })));
        }
        for &text in texts {
            let (client, text) = (Arc::clone(client), text.to_owned());
            slots.push_back(Slot::Waiting(Box::pin(async move {
                simple(&client, &text).await
            })));
        }
        let sent_at = Instant::now();
        std::future::poll_fn(|cx| {
            for slot in slots.iter_mut() {
                if let Slot::Waiting(answer) = slot
                    && let std::task::Poll::Ready(result) = answer.as_mut().poll(cx)
                {
                    *slot = Slot::Answered(result);
                }
            }
            std::task::Poll::Ready(())
        })
        .await;
        Pipeline {
            client: Arc::clone(client),
            slots: std::sync::Mutex::new(slots),
            prelude: prelude.is_some(),
            sent_at,
        }
    }

    /// When the statements went to the server.
    pub fn sent_at(&self) -> Instant {
        self.sent_at
    }

    /// The next statement's answer (`None` after the last). A failed prelude is the first
    /// statement's error. Safe to drop while waiting (in a `select!`): nothing is lost.
    pub async fn next(&mut self) -> Option<Result<QueryResult, tokio_postgres::Error>> {
        let slots = self
            .slots
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        loop {
            let answer = std::future::poll_fn(|cx| match slots.front_mut() {
                None => std::task::Poll::Ready(None),
                Some(Slot::Answered(_)) => match slots.pop_front() {
                    Some(Slot::Answered(result)) => std::task::Poll::Ready(Some(result)),
                    _ => std::task::Poll::Ready(None),
                },
                Some(Slot::Waiting(answer)) => match answer.as_mut().poll(cx) {
                    std::task::Poll::Ready(result) => {
                        slots.pop_front();
                        std::task::Poll::Ready(Some(result))
                    }
                    std::task::Poll::Pending => std::task::Poll::Pending,
                },
            })
            .await;
            if std::mem::take(&mut self.prelude) {
                match answer {
                    Some(Ok(_)) => continue,
                    failed => return failed,
                }
            }
            return answer;
        }
    }

    /// Undoes a transaction sent ahead that will not be committed, on its own session.
    /// Nothing of it is said or kept. A statement of it still running (a long migration sent
    /// ahead of a COMMIT that then failed) is cancelled rather than waited out; the ROLLBACK
    /// is queued behind the statements, so it is answered once they are (their answers are
    /// dropped unread). A cancel that lands on the ROLLBACK itself fails it: it is sent again.
    pub async fn abandon(mut self, target: &Target) {
        let mut running = self
            .slots
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .any(|slot| matches!(slot, Slot::Waiting(_)));
        let Pipeline { client, slots, .. } = self;
        drop(slots);
        // A cancel that reaches the session between two of its statements is ignored (the
        // server cancels only a running one): it is sent again until the ROLLBACK is answered.
        for _ in 0..5 {
            let rollback = client.batch_execute("ROLLBACK");
            tokio::pin!(rollback);
            let mut cancel_every = tokio::time::interval(std::time::Duration::from_millis(200));
            let answered = loop {
                tokio::select! {
                    answered = &mut rollback => break answered,
                    _ = cancel_every.tick(), if running => {
                        let _ = crate::connect::cancel(target, &client.cancel_token()).await;
                    }
                }
            };
            if answered.is_ok() || client.is_closed() {
                break;
            }
            // A ROLLBACK that ran means the statements before it are over: no more cancels.
            running = false;
        }
    }
}

/// Sessions blocking `pid`, with what they run and how long their transaction is open.
/// Where an index build on backend `pid` is (`pg_stat_progress_create_index`, PostgreSQL 12+):
/// `None` when it is not building one, or the view cannot be read.
pub async fn index_progress(monitor: &Client, pid: i32) -> Option<crate::events::IndexProgress> {
    let row = monitor
        .query_opt(
            "SELECT phase, blocks_done, blocks_total, tuples_done, tuples_total,
                    lockers_done, lockers_total
               FROM pg_stat_progress_create_index WHERE pid = $1",
            &[&pid],
        )
        .await
        .ok()??;
    let n = |k: usize| u64::try_from(row.get::<_, i64>(k)).unwrap_or(0);
    Some(crate::events::IndexProgress {
        phase: row.get(0),
        blocks_done: n(1),
        blocks_total: n(2),
        tuples_done: n(3),
        tuples_total: n(4),
        lockers_done: n(5),
        lockers_total: n(6),
    })
}

pub async fn blockers(monitor: &Client, pid: i32) -> Vec<Blocker> {
    let rows = monitor
        .query(
            "SELECT a.pid, coalesce(a.application_name, ''), coalesce(a.state, ''), left(coalesce(a.query, ''), 200),
                    coalesce(extract(epoch FROM now() - a.xact_start), 0)::float8
               FROM pg_stat_activity a WHERE a.pid = ANY(pg_blocking_pids($1)) ORDER BY a.pid",
            &[&pid],
        )
        .await;
    match rows {
        Ok(rows) => rows
            .iter()
            .map(|r| Blocker {
                pid: r.get(0),
                application_name: r.get(1),
                state: r.get(2),
                query: r.get(3),
                xact_age_s: r.get(4),
            })
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// A transaction open this long is shown at a gate.
pub const LONG_TRANSACTION_S: f64 = 60.0;

/// Other sessions in this database in long transactions or lock waits (not `ours`, nor a
/// watcher or mirror of `runbook`).
pub async fn server_activity(monitor: &Client, ours: &[i32], runbook: &str) -> Vec<ServerSession> {
    let own_app = format!("cutover:{runbook}:%");
    let rows = monitor
        .query(
            "WITH s AS (
               SELECT a.pid, coalesce(a.application_name, '') AS app, coalesce(a.usename::text, '') AS usr,
                      coalesce(a.state, '') AS state, a.xact_start, left(coalesce(a.query, ''), 200) AS query,
                      pg_blocking_pids(a.pid) AS waits_for
                 FROM pg_stat_activity a
                WHERE a.datname = current_database() AND a.backend_type = 'client backend'
                  AND a.pid <> ALL($1) AND a.pid <> pg_backend_pid()
                  AND coalesce(a.application_name, '') NOT LIKE $2)
             SELECT s.pid, s.app, s.usr, s.state, s.xact_start, s.query, s.waits_for,
                    (SELECT count(*) FROM s w WHERE s.pid = ANY(w.waits_for)) AS blocking
               FROM s
              WHERE cardinality(s.waits_for) > 0
                 OR s.xact_start < now() - make_interval(secs => $3)
                 OR EXISTS (SELECT 1 FROM s w WHERE s.pid = ANY(w.waits_for))
              ORDER BY s.xact_start NULLS LAST, s.pid
              LIMIT 20",
            &[&ours, &own_app, &LONG_TRANSACTION_S],
        )
        .await;
    match rows {
        Ok(rows) => rows
            .iter()
            .map(|r| ServerSession {
                pid: r.get(0),
                application_name: r.get(1),
                user: r.get(2),
                state: r.get(3),
                xact_start: r.get(4),
                query: r.get(5),
                waits_for: r.get(6),
                blocking: r.get(7),
            })
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// The SQLSTATE of an error, if the server sent one.
pub fn sqlstate(error: &tokio_postgres::Error) -> Option<&str> {
    error.code().map(|c| c.code())
}

/// Describes a failure, mapping the server's character position to the SQL's file and line.
pub fn failure(
    error: &tokio_postgres::Error,
    runbook: &Runbook,
    source: Option<&SqlSource>,
    statement: Option<(usize, &Statement)>,
    secret: Option<&str>,
) -> SqlFailure {
    let scrub = |s: &str| crate::secret::mask(s, secret);
    let Some(db) = error.as_db_error() else {
        let message = if error.is_closed() {
            "the connection to the server was lost".to_owned()
        } else {
            scrub(&error.to_string())
        };
        return SqlFailure {
            message,
            statement: statement.map(|(i, _)| i + 1),
            ..SqlFailure::default()
        };
    };
    let mut out = SqlFailure {
        sqlstate: Some(db.code().code().to_owned()),
        message: scrub(db.message()),
        detail: db.detail().map(scrub),
        hint: db.hint().map(scrub),
        statement: statement.map(|(i, _)| i + 1),
        ..SqlFailure::default()
    };
    if let (Some(source), Some((_, stmt))) = (source, statement) {
        let char_pos = match db.position() {
            Some(tokio_postgres::error::ErrorPosition::Original(p)) => Some(*p as usize),
            _ => None,
        };
        let in_statement = char_pos.map_or(0, |p| {
            stmt.text
                .char_indices()
                .nth(p.saturating_sub(1))
                .map_or(stmt.text.len(), |(b, _)| b)
        });
        let (file, loc) =
            crate::plan::locate(source, &runbook.path, stmt.range.start + in_statement, 1);
        out.file = Some(file.display().to_string());
        out.line = Some(loc.line);
        out.column = Some(loc.column);
    }
    out
}

/// `SET LOCAL`-style value for a duration.
pub fn pg_ms(d: Duration) -> String {
    format!("{}ms", d.as_millis())
}

/// The index a `CREATE INDEX CONCURRENTLY` statement builds, as written.
pub fn concurrent_index_name(statement: &str) -> Option<String> {
    let words: Vec<&str> = statement.split_whitespace().collect();
    let upper: Vec<String> = words.iter().map(|w| w.to_ascii_uppercase()).collect();
    let at = upper.iter().position(|w| w == "CONCURRENTLY")?;
    let mut i = at + 1;
    if upper.get(i).map(String::as_str) == Some("IF") {
        i += 3;
    }
    let name = words.get(i)?;
    (upper.get(i).map(String::as_str) != Some("ON")).then(|| name.trim_end_matches('(').to_owned())
}

/// The table a `CREATE INDEX CONCURRENTLY ... ON [ONLY] table` statement indexes, as written.
pub fn concurrent_index_table(statement: &str) -> Option<String> {
    let words: Vec<&str> = statement.split_whitespace().collect();
    let on = words.iter().position(|w| w.eq_ignore_ascii_case("ON"))?;
    let mut table = *words.get(on + 1)?;
    if table.eq_ignore_ascii_case("ONLY") {
        table = words.get(on + 2)?;
    }
    // `t(a)` written without a space before the column list.
    let table = table.split('(').next().unwrap_or(table);
    (!table.is_empty()).then(|| table.to_owned())
}

/// Whether `stmt` waits for every older transaction on the server (`CREATE INDEX
/// CONCURRENTLY`, `DROP INDEX CONCURRENTLY`, `REINDEX CONCURRENTLY`, `DETACH PARTITION …
/// CONCURRENTLY`): such waits do not block the application and get their own lock timeout.
pub fn waits_for_older_transactions(stmt: &Statement) -> bool {
    stmt.no_transaction
        .is_some_and(|why| why.contains("CONCURRENTLY"))
}

/// The index and table of a `CREATE INDEX CONCURRENTLY` statement, as written.
pub fn concurrent_build(stmt: &Statement) -> Option<(String, String)> {
    if stmt.kind != "CREATE INDEX CONCURRENTLY" {
        return None;
    }
    Some((
        concurrent_index_name(&stmt.text)?,
        concurrent_index_table(&stmt.text)?,
    ))
}

/// What the catalog says of an index a step builds concurrently.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IndexState {
    Missing,
    /// Left INVALID (or not yet ready) by a build that failed, was cancelled, or is running.
    Invalid,
    Valid,
}

/// The state of `index` (as written in the statement) on `table`. An index lives in its
/// table's schema, whatever the search_path says.
pub async fn index_state(
    client: &Client,
    index: &str,
    table: &str,
) -> Result<IndexState, tokio_postgres::Error> {
    Ok(match index_in_catalog(client, index, table).await? {
        None => IndexState::Missing,
        Some((_, false)) => IndexState::Invalid,
        Some((_, true)) => IndexState::Valid,
    })
}

/// The qualified name of `index` (as written) on `table` when it exists and is INVALID.
pub async fn invalid_index(
    client: &Client,
    index: &str,
    table: &str,
) -> Result<Option<String>, tokio_postgres::Error> {
    Ok(index_in_catalog(client, index, table)
        .await?
        .filter(|(_, valid)| !valid)
        .map(|(name, _)| name))
}

/// `index` on `table` as the catalog has it: its qualified name and whether it is valid
/// (and ready).
async fn index_in_catalog(
    client: &Client,
    index: &str,
    table: &str,
) -> Result<Option<(String, bool)>, tokio_postgres::Error> {
    let row = client
        .query_opt(
            "SELECT c.oid::regclass::text, i.indisvalid AND i.indisready
               FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
              WHERE c.oid = coalesce(
                      (SELECT x.oid FROM pg_class x
                        WHERE x.relname = $1
                          AND x.relnamespace = (SELECT relnamespace FROM pg_class WHERE oid = to_regclass($2))),
                      to_regclass($3))",
            &[&relname(index), &table, &index],
        )
        .await?;
    Ok(row.map(|r| (r.get(0), r.get(1))))
}

/// Sessions with our application name (an earlier runner's, e.g. one killed while the server
/// kept building its index) still busy in this database, one line each with the progress of
/// an index build.
pub async fn leftover_sessions(
    client: &Client,
    application_name: &str,
    own_pids: &[i32],
) -> Result<Vec<String>, tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT a.pid, a.state, left(regexp_replace(a.query, '\\s+', ' ', 'g'), 200),
                    coalesce(extract(epoch FROM clock_timestamp() - a.query_start), 0)::float8,
                    p.phase, p.blocks_done, p.blocks_total, p.tuples_done, p.tuples_total
               FROM pg_stat_activity a
               LEFT JOIN pg_stat_progress_create_index p ON p.pid = a.pid
              WHERE a.datname = current_database() AND a.application_name = $1
                AND a.pid <> ALL($2) AND a.state IS DISTINCT FROM 'idle'
                AND a.backend_type = 'client backend'
              ORDER BY a.pid",
            &[&application_name, &own_pids],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let pid: i32 = r.get(0);
            let state: Option<String> = r.get(1);
            let query: Option<String> = r.get(2);
            let secs: f64 = r.get(3);
            let phase: Option<String> = r.get(4);
            let mut line = format!(
                "pid {pid} is still {} `{}` (for {})",
                match state.as_deref() {
                    Some("active") | None => "running".to_owned(),
                    Some(other) => format!("{other}, last"),
                },
                query.unwrap_or_default(),
                crate::runbook::duration::format(std::time::Duration::from_secs(
                    secs.max(0.0) as u64
                ))
            );
            if let Some(phase) = phase {
                let progress =
                    |done: Option<i64>, total: Option<i64>, what: &str| match (done, total) {
                        (Some(d), Some(t)) if t > 0 => Some(format!("{d} of {t} {what}")),
                        _ => None,
                    };
                let parts: Vec<String> = [
                    progress(r.get(5), r.get(6), "blocks"),
                    progress(r.get(7), r.get(8), "tuples"),
                ]
                .into_iter()
                .flatten()
                .collect();
                line.push_str(&format!("; index build: {phase}"));
                if !parts.is_empty() {
                    line.push_str(&format!(", {}", parts.join(", ")));
                }
            }
            line
        })
        .collect())
}

pub fn relname(identifier: &str) -> String {
    match identifier
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
    {
        Some(quoted) => quoted.replace("\"\"", "\""),
        None => identifier.to_lowercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_table_of_a_concurrent_build() {
        assert_eq!(
            concurrent_index_table("CREATE INDEX CONCURRENTLY i ON app.t (a)").as_deref(),
            Some("app.t")
        );
        assert_eq!(
            concurrent_index_table("create index concurrently i on only t(a)").as_deref(),
            Some("t")
        );
        assert_eq!(relname("Idx_A"), "idx_a");
        assert_eq!(relname("\"Idx_A\""), "Idx_A");
    }

    #[test]
    fn finds_the_index_name_of_a_concurrent_build() {
        assert_eq!(
            concurrent_index_name("CREATE INDEX CONCURRENTLY idx_a ON t (a)").as_deref(),
            Some("idx_a")
        );
        assert_eq!(
            concurrent_index_name(
                "create unique index concurrently if not exists app.idx_b on t(a)"
            )
            .as_deref(),
            Some("app.idx_b")
        );
        assert_eq!(
            concurrent_index_name("CREATE INDEX CONCURRENTLY ON t (a)"),
            None
        );
    }
}
