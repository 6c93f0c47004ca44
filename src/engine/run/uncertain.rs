//! A step a crash left half-done: who is still at work on it, and what marking it applied needs.

use super::*;

impl<'a> Engine<'a> {
    /// Sessions of an earlier runner of this runbook still at work on the server, one line
    /// each (best effort: none if they cannot be seen).
    pub(super) async fn still_running(&self) -> Vec<String> {
        let app = self
            .opts
            .target
            .config
            .get_application_name()
            .unwrap_or_default()
            .to_owned();
        sqlexec::leftover_sessions(&self.monitor, &app, &self.own_pids)
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|line| crate::secret::mask(&line, self.secret.as_deref()))
            .collect()
    }

    /// Why an uncertain step cannot be marked applied yet: an earlier session is still at work
    /// on the server, or an index it builds concurrently is missing or INVALID.
    pub(super) async fn cannot_mark_applied(
        &mut self,
        m: &Migrate,
    ) -> Result<Option<String>, EngineError> {
        let still_running = self.still_running().await;
        if !still_running.is_empty() {
            return Ok(Some(format!(
                "not marked applied: the interrupted run's session is still at work ({}); wait for it to finish, or cancel it with pg_cancel_backend(pid), then decide again",
                still_running.join("; ")
            )));
        }
        self.reconnect_if_lost().await?;
        for stmt in sql::split_statements(&m.sql.text) {
            let Some(index) = sqlexec::concurrent_index_name(&stmt.text)
                .filter(|_| stmt.kind.contains("CONCURRENTLY"))
            else {
                continue;
            };
            let table = sqlexec::concurrent_index_table(&stmt.text).unwrap_or_default();
            let state = sqlexec::index_state(&self.monitor, &index, &table)
                .await
                .map_err(|e| self.db_err(&e))?;
            match state {
                sqlexec::IndexState::Valid => {}
                sqlexec::IndexState::Invalid => {
                    return Ok(Some(format!(
                        "not marked applied: index {index} is INVALID (its concurrent build did not complete); drop it with `DROP INDEX CONCURRENTLY {index};` and run the step again"
                    )));
                }
                sqlexec::IndexState::Missing => {
                    return Ok(Some(format!(
                        "not marked applied: index {index} does not exist (its build never finished); run the step again"
                    )));
                }
            }
        }
        Ok(None)
    }

    /// The operator chose to run an uncertain step again: an index its interrupted build left
    /// INVALID is that attempt's leftover (once no session of ours still builds it), dropped
    /// before the step runs so the retry does not fail on it.
    pub(super) async fn adopt_interrupted_builds(
        &mut self,
        id: &str,
        m: &Migrate,
    ) -> Result<(), EngineError> {
        if !self.still_running().await.is_empty() {
            return Ok(());
        }
        self.reconnect_if_lost().await?;
        for stmt in sql::split_statements(&m.sql.text) {
            let Some((index, table)) = sqlexec::concurrent_build(&stmt) else {
                continue;
            };
            let invalid = sqlexec::invalid_index(&self.monitor, &index, &table)
                .await
                .map_err(|e| self.db_err(&e))?;
            if invalid.is_some() {
                self.own_builds.push((id.to_owned(), index, table));
            }
        }
        Ok(())
    }

    pub(super) async fn wait_uncertain(
        &mut self,
        id: &str,
    ) -> Result<Result<bool, Stop>, EngineError> {
        loop {
            match self.commands.recv().await {
                Some(Command::ResolveUncertain { step, applied }) if step == id => {
                    return Ok(Ok(applied));
                }
                Some(other) => {
                    if let Some(stop) = self.waiting_command(other, id)? {
                        return Ok(Err(stop));
                    }
                }
                None => {
                    return Ok(Err(Stop::Finished(
                        Outcome::Interrupted,
                        Some("front end closed".into()),
                    )));
                }
            }
        }
    }
}
