//! Holding on: the runbook lock checked before anything starts, and lost sessions opened again.

use super::*;

impl<'a> Engine<'a> {
    /// Before anything starts: the runbook lock must be held. A lost lock that the heartbeat
    /// takes again means another runner may have applied steps meanwhile: they are read again.
    /// `Some` stops the run (interrupted, resumable) when the lock is gone for good.
    pub(super) async fn ensure_lock(&mut self) -> Result<Option<Stop>, EngineError> {
        let mut state = self.lock.state();
        if state != LockState::Held {
            // Nothing sent ahead waits with its locks while the runbook lock is in doubt.
            self.abandon_ahead().await;
        }
        if let LockState::Retaking { reason } = &state {
            self.journal_lock_loss(reason.clone())?;
            state = self.lock.settled(LOCK_SETTLE).await;
        }
        match state {
            LockState::Held => Ok(None),
            LockState::Retaking { reason } | LockState::Lost { reason } => {
                self.journal_lock_loss(reason.clone())?;
                self.out.durable()?.wait().await?;
                Ok(Some(Stop::Finished(
                    Outcome::Interrupted,
                    Some(format!(
                        "{reason}; stopped before starting anything more (resume once no other runner holds the lock)"
                    )),
                )))
            }
            LockState::Regained { reason } => {
                self.journal_lock_loss(reason)?;
                self.reload_records().await?;
                self.lock.acknowledge_regained();
                self.lock_loss_journaled = false;
                self.out.emit(Event::LockRegained {
                    pid: self.lock.pid(),
                })?;
                Ok(None)
            }
        }
    }

    /// After the server refused a COMMIT for want of the lock: waits for the heartbeat to
    /// see the loss too and settle, then as [`Engine::ensure_lock`].
    pub(super) async fn after_lock_refusal(
        &mut self,
        reason: &str,
    ) -> Result<Option<Stop>, EngineError> {
        let mut rx_wait = LOCK_SETTLE;
        while self.lock.state() == LockState::Held && !rx_wait.is_zero() {
            let pause = Duration::from_millis(100);
            tokio::time::sleep(pause).await;
            rx_wait = rx_wait.saturating_sub(pause);
        }
        if self.lock.state() == LockState::Held {
            // The heartbeat's connection looks fine, yet the server says the lock is not held.
            self.journal_lock_loss(reason.to_owned())?;
            return Ok(Some(Stop::Finished(
                Outcome::Interrupted,
                Some(format!(
                    "{reason}; stopped (resume once no other runner holds the lock)"
                )),
            )));
        }
        self.ensure_lock().await
    }

    pub(super) fn journal_lock_loss(&mut self, reason: String) -> Result<(), EngineError> {
        if !self.lock_loss_journaled {
            self.lock_loss_journaled = true;
            self.out.emit(Event::LockLost { reason })?;
        }
        Ok(())
    }

    /// Reads what is applied from the database again (another runner may have applied steps).
    pub(super) async fn reload_records(&mut self) -> Result<(), EngineError> {
        self.reconnect_if_lost().await?;
        let records = tracking::step_records(&self.monitor, &self.runbook.name)
            .await
            .map_err(|e| self.db_err(&e))?;
        self.records = records
            .into_iter()
            .map(|r| (r.step_id.clone(), r))
            .collect();
        Ok(())
    }

    /// Opens the working and monitor sessions again if the server or the network closed them
    /// (a retry after a lost connection must not fail forever).
    pub(super) async fn reconnect_if_lost(&mut self) -> Result<(), EngineError> {
        if self.client.is_closed() {
            let (client, notices) = connect(&self.opts.target).await?;
            let upsert_step = client
                .prepare(tracking::UPSERT_STEP)
                .await
                .map_err(|e| self.db_err(&e))?;
            let old_pid = self.backend_pid;
            self.backend_pid = client
                .query_one("SELECT pg_backend_pid()", &[])
                .await
                .map_err(|e| self.db_err(&e))?
                .get(0);
            self.own_pids.push(self.backend_pid);
            // Whatever was sent ahead on the closed session died with it.
            self.ahead = None;
            self.client = Arc::new(client);
            self.notices = notices;
            self.upsert_step = upsert_step;
            self.out.emit(Event::Reconnected {
                session: "working".into(),
                reason: format!("its connection (pid {old_pid}) was closed"),
            })?;
        }
        if self.monitor.is_closed() {
            let (monitor, _) = connect(&self.opts.target).await?;
            self.monitor_upsert = monitor
                .prepare(tracking::UPSERT_STEP)
                .await
                .map_err(|e| self.db_err(&e))?;
            let pid: i32 = monitor
                .query_one("SELECT pg_backend_pid()", &[])
                .await
                .map_err(|e| self.db_err(&e))?
                .get(0);
            self.own_pids.push(pid);
            self.monitor = monitor;
            self.out.emit(Event::Reconnected {
                session: "monitor".into(),
                reason: "its connection was closed".into(),
            })?;
        }
        Ok(())
    }
}
