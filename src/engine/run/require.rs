//! A step's preconditions (`require:`): read-only queries asked before the step, each
//! journaled with its answer; one that does not hold halts the run, skips the step, or is
//! only said, as the runbook chose.

use super::*;
use crate::runbook::OnFail;

/// What the preconditions say about running the step.
pub(super) enum Required {
    Run,
    Skip(String),
    Halt(String),
}

impl<'a> Engine<'a> {
    pub(super) async fn preconditions(&mut self, i: usize) -> Result<Required, EngineError> {
        let step = self.steps[i];
        if step.require.is_empty() {
            return Ok(Required::Run);
        }
        let client = self.a_check_session().await?;
        for (n, p) in step.require.iter().enumerate() {
            let index = n + 1;
            let check = Check {
                sql: p.sql.clone(),
                expect: p.expect.clone(),
                severity: Severity::Critical,
                timeout: p.timeout,
            };
            let started = Instant::now();
            let result = run_check(&client, &check, &self.opts.target).await;
            let (passed, actual) = verdict(&p.expect, result, self.secret.as_deref());
            self.out.emit(Event::PreconditionChecked {
                step: step.id.clone(),
                index,
                passed,
                actual: actual.clone(),
                expected: p.expect.clone(),
                on_fail: p.on_fail,
                duration_ms: ms(started.elapsed()),
            })?;
            if passed {
                continue;
            }
            let why = format!(
                "precondition {index} of `{}` does not hold (got {actual}, expected {})",
                step.id, p.expect
            );
            match p.on_fail {
                OnFail::Warn => {}
                OnFail::Skip => return Ok(Required::Skip(format!("{why}; on_fail: skip"))),
                OnFail::Halt => {
                    return Ok(Required::Halt(format!(
                        "{why}: halted before the step — set it right, then resume"
                    )));
                }
            }
        }
        Ok(Required::Run)
    }

    /// A read-only session for a query outside a check series: one kept, one still
    /// connecting, or a new one.
    async fn a_check_session(&mut self) -> Result<Arc<Client>, EngineError> {
        if let Some(client) = self.check_sessions.first() {
            return Ok(Arc::clone(client));
        }
        if self.check_sessions_coming.is_empty() {
            self.check_sessions_coming
                .spawn(open_check_session(self.opts.target.clone()));
        }
        while let Some(opened) = self.check_sessions_coming.join_next().await {
            if let Some(client) = self.adopt_check_session(opened)? {
                return Ok(client);
            }
        }
        Err(EngineError::Database(
            "no read-only session to ask the preconditions on could be opened".into(),
        ))
    }
}
