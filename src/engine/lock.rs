//! The runbook lock: one runner per runbook per database.
//!
//! A session-level advisory lock held by an idle connection of its own. A session lock lives
//! exactly as long as its connection, so the lock is lost the moment that connection is
//! (a `pg_terminate_backend`, a network cut, a server restart). A heartbeat notices within
//! [`HEARTBEAT`] + [`HEARTBEAT_TIMEOUT`] and tries at once to take the lock again on a new
//! connection; the engine starts nothing while the lock is not held and stops the run if it
//! cannot be re-taken. Every step's tracking row also asks the server, in the step's own
//! transaction, whether the lock is still held (`cutover.require_lock`), so a commit never
//! happens without it.

use crate::connect::Target;
use crate::tracking;
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Duration;
use tokio_postgres::Client;

/// How often the lock connection is asked whether it is still there.
pub const HEARTBEAT: Duration = Duration::from_secs(1);
/// A heartbeat that takes longer than this counts as a lost connection.
pub const HEARTBEAT_TIMEOUT: Duration = Duration::from_secs(5);
/// Attempts to take the lock again after losing it, one [`RETAKE_PAUSE`] apart.
const RETAKE_ATTEMPTS: u32 = 3;
const RETAKE_PAUSE: Duration = Duration::from_millis(500);

/// What the heartbeat knows about the lock.
#[derive(Clone, Debug, PartialEq)]
pub enum LockState {
    Held,
    /// Lost; the heartbeat is trying to take it again.
    Retaking {
        reason: String,
    },
    /// Lost and taken again (on a new connection): steps applied meanwhile by another runner
    /// must be read again before anything starts. The engine acknowledges it.
    Regained {
        reason: String,
    },
    /// Lost for good: the run must stop.
    Lost {
        reason: String,
    },
}

/// Holds the runbook lock and keeps checking it.
pub struct RunbookLock {
    shared: Arc<Shared>,
    heartbeat: tokio::task::JoinHandle<()>,
}

struct Shared {
    target: Target,
    runbook: String,
    /// The backend holding the lock (what `cutover.require_lock` checks for).
    pid: AtomicI32,
    state: tokio::sync::watch::Sender<LockState>,
}

/// Why the lock could not be taken.
pub enum Refusal {
    /// Another session holds it (who, if visible).
    Held(Option<String>),
    Failed(String),
}

impl RunbookLock {
    /// Takes the lock on a connection of its own (never waits for it) and starts the heartbeat.
    pub async fn take(
        target: &Target,
        runbook: &str,
        client: Client,
        monitor: &Client,
    ) -> Result<RunbookLock, Refusal> {
        let secret = target.secret();
        let scrub = |e: tokio_postgres::Error| {
            Refusal::Failed(crate::secret::mask(&e.to_string(), secret.as_deref()))
        };
        let pid = try_lock(&client, runbook).await.map_err(scrub)?;
        let Some(pid) = pid else {
            let holder = tracking::lock_holder(monitor, runbook).await.ok().flatten();
            return Err(Refusal::Held(holder));
        };
        let (state, _) = tokio::sync::watch::channel(LockState::Held);
        let shared = Arc::new(Shared {
            target: target.clone(),
            runbook: runbook.to_owned(),
            pid: AtomicI32::new(pid),
            state,
        });
        let heartbeat = tokio::spawn(heartbeat(Arc::clone(&shared), client));
        Ok(RunbookLock { shared, heartbeat })
    }

    /// The backend that holds the lock now.
    pub fn pid(&self) -> i32 {
        self.shared.pid.load(Ordering::SeqCst)
    }

    pub fn state(&self) -> LockState {
        self.shared.state.borrow().clone()
    }

    /// After the engine has dealt with a [`LockState::Regained`]: back to held.
    pub fn acknowledge_regained(&self) {
        self.shared.state.send_if_modified(|s| {
            if matches!(s, LockState::Regained { .. }) {
                *s = LockState::Held;
                true
            } else {
                false
            }
        });
    }

    /// Waits until the heartbeat has settled (held, regained or lost), at most `limit`.
    pub async fn settled(&self, limit: Duration) -> LockState {
        let mut rx = self.shared.state.subscribe();
        let wait = rx.wait_for(|s| !matches!(s, LockState::Retaking { .. }));
        match tokio::time::timeout(limit, wait).await {
            Ok(Ok(state)) => state.clone(),
            _ => self.state(),
        }
    }

    /// Asks the server now (not waiting for the next heartbeat) whether the lock is held.
    pub async fn check_now(&self, monitor: &Client) -> bool {
        tracking::lock_held_by(monitor, self.pid(), &self.shared.runbook).await
    }
}

impl Drop for RunbookLock {
    fn drop(&mut self) {
        // Dropping the heartbeat drops the connection, which releases the lock.
        self.heartbeat.abort();
    }
}

/// Takes the lock on `client` (see `tracking::TAKE_LOCK`): the backend pid when taken, `None`
/// when held elsewhere.
async fn try_lock(client: &Client, runbook: &str) -> Result<Option<i32>, tokio_postgres::Error> {
    let row = client
        .query_one(tracking::TAKE_LOCK, &[&tracking::LOCK_CLASS, &runbook])
        .await?;
    Ok(row.get::<_, bool>(0).then(|| row.get(2)))
}

async fn heartbeat(shared: Arc<Shared>, mut client: Client) {
    let mut tick = tokio::time::interval(HEARTBEAT);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let alive = !client.is_closed()
            && matches!(
                tokio::time::timeout(HEARTBEAT_TIMEOUT, client.simple_query("SELECT 1")).await,
                Ok(Ok(_))
            );
        if alive {
            continue;
        }
        let reason = format!(
            "the connection holding the runbook lock (pid {}) was lost",
            shared.pid.load(Ordering::SeqCst)
        );
        shared.state.send_replace(LockState::Retaking {
            reason: reason.clone(),
        });
        match retake(&shared).await {
            Ok((new_client, pid)) => {
                client = new_client;
                shared.pid.store(pid, Ordering::SeqCst);
                shared.state.send_replace(LockState::Regained { reason });
            }
            Err(why) => {
                shared.state.send_replace(LockState::Lost {
                    reason: format!("{reason}, and {why}"),
                });
                return;
            }
        }
    }
}

/// A new connection that holds the lock again, or why there is none.
async fn retake(shared: &Shared) -> Result<(Client, i32), String> {
    let mut last = String::new();
    for attempt in 0..RETAKE_ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(RETAKE_PAUSE).await;
        }
        let client = match crate::connect::open(&shared.target).await {
            Ok((client, _notices)) => client,
            Err(e) => {
                last = format!("could not reconnect to take it again: {e}");
                continue;
            }
        };
        let _ = client.batch_execute(SESSION_SETTINGS).await;
        match try_lock(&client, &shared.runbook).await {
            Ok(Some(pid)) => return Ok((client, pid)),
            Ok(None) => {
                // Someone else took it in the meantime: that runner owns the run now.
                let holder = tracking::lock_holder(&client, &shared.runbook)
                    .await
                    .ok()
                    .flatten();
                return Err(format!(
                    "another runner took it meanwhile ({})",
                    holder.unwrap_or_else(|| "holder not visible to this user".into())
                ));
            }
            Err(e) => {
                last = format!(
                    "could not take it again: {}",
                    crate::secret::mask(&e.to_string(), shared.target.secret().as_deref())
                );
            }
        }
    }
    Err(last)
}

/// Settings on every connection cutover opens (see the README, "What cutover guarantees"):
/// a server-wide `idle_session_timeout` must not end the lock connection or a session that
/// waits at a gate for an hour (PostgreSQL 14+; older servers have no such setting).
pub const SESSION_SETTINGS: &str = "SELECT set_config('idle_session_timeout', '0', false) WHERE current_setting('server_version_num')::int >= 140000";
