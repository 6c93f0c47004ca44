//! A parallel phase: consecutive migrations on lanes of their own, each starting once what it depends on is applied.

use super::*;

impl<'a> Engine<'a> {
    /// Another session to run a migration alongside this one (a lane of a parallel phase):
    /// its own working and monitor connections, the shared journal; the caller gives it its
    /// command channel.
    pub(super) async fn lane(&self) -> Result<Engine<'a>, EngineError> {
        let (working, (monitor, _monitor_notices)) =
            tokio::try_join!(connect(&self.opts.target), connect(&self.opts.target))?;
        let sessions = Sessions::ready(working, monitor, self.secret.as_deref()).await?;
        // Its commands come from the main engine, over the channel the caller gives it.
        let (_, commands) = tokio::sync::mpsc::unbounded_channel();
        let mut lane = Engine::new(
            Shared {
                runbook: self.runbook,
                plan: self.plan,
                steps: self.steps.clone(),
                opts: self.opts.clone(),
                out: self.out.clone(),
                run_id: self.run_id.clone(),
                records: self.records.clone(),
                server_version_num: self.server_version_num,
                own_pids: self.own_pids.clone(),
                window_start: self.window_start,
                secret: self.secret.clone(),
                lock: Arc::clone(&self.lock),
            },
            sessions,
            commands,
        );
        lane.lock_poll = self.lock_poll;
        Ok(lane)
    }

    /// Runs a phase's consecutive migrations (`run`, in plan order) on up to `parallel` lanes
    /// (sessions) at once, each starting as soon as the migrations it depends on are applied.
    /// Commands are passed on to every running lane. After a failure nothing new starts; once
    /// the running ones are done, failures are offered one by one as in a sequential phase (a
    /// retry runs that step alone), then the rest continue.
    pub(super) async fn migrate_together(
        &mut self,
        run: &[usize],
        parallel: usize,
    ) -> Result<Option<Stop>, EngineError> {
        use futures_util::stream::{FuturesUnordered, StreamExt};
        let mut pending: Vec<usize> = run.to_vec();
        let mut settled: HashSet<usize> = HashSet::new();
        let mut idle: Vec<Engine<'a>> = Vec::new();
        let mut senders: HashMap<usize, UnboundedSender<Command>> = HashMap::new();
        let mut running = FuturesUnordered::new();
        // Each failure with whether its session was lost.
        let mut failures: Vec<(usize, SqlFailure, bool)> = Vec::new();
        let mut interrupted: Option<String> = None;
        let mut listening = true;
        // A step outside a transaction (CREATE INDEX CONCURRENTLY, ...) runs alone: it waits
        // for every older transaction in the database, so a migration beside it would hold it
        // up until its lock_timeout fires and leave an invalid index.
        let alone = |j: usize| self.plan.steps[j].in_transaction == Some(false);
        let mut running_alone: Option<usize> = None;
        loop {
            // Start whatever is ready, unless something failed or the run is stopping.
            while failures.is_empty()
                && interrupted.is_none()
                && !self.pause_requested
                && running.len() < parallel
            {
                let ready = pending.iter().position(|&j| {
                    self.steps[j].depends_on.iter().all(|d| {
                        run.iter()
                            .find(|&&r| self.steps[r].id == d.id)
                            .is_none_or(|r| settled.contains(r))
                    })
                });
                let Some(at) = ready else { break };
                if running_alone.is_some() || (alone(pending[at]) && !running.is_empty()) {
                    break;
                }
                if let LockState::Retaking { reason }
                | LockState::Lost { reason }
                | LockState::Regained { reason } = self.lock.state()
                {
                    // Nothing new starts without the lock; the phase stops once the running
                    // lanes are done.
                    self.journal_lock_loss(reason.clone())?;
                    interrupted
                        .get_or_insert(format!("{reason}; stopped before starting anything more"));
                    break;
                }
                let i = pending.remove(at);
                if alone(i) {
                    running_alone = Some(i);
                }
                let step: &'a Step = self.steps[i];
                let mut lane = match idle.pop() {
                    Some(lane) => lane,
                    None => self.lane().await?,
                };
                let (sender, commands) = tokio::sync::mpsc::unbounded_channel();
                lane.commands = commands;
                senders.insert(i, sender);
                running.push(async move {
                    let result = match &step.kind {
                        StepKind::Migrate(m) => lane.migrate(i, m).await,
                        _ => Ok(StepResult::Done),
                    };
                    (lane, i, result)
                });
            }
            if running.is_empty() {
                if let Some(reason) = interrupted {
                    return Ok(Some(self.stopped(reason)));
                }
                if failures.is_empty() {
                    // Done, or paused: what did not start runs on resume.
                    if pending.is_empty() || self.pause_requested {
                        return Ok(None);
                    }
                    // Nothing ready (cannot happen in a planned run): go one at a time.
                    let i = pending.remove(0);
                    if let StepKind::Migrate(m) = &self.steps[i].kind
                        && let Some(stop) = self.run_migration(i, m).await?
                    {
                        return Ok(Some(stop));
                    }
                    settled.insert(i);
                    continue;
                }
                for (i, error, connection_lost) in std::mem::take(&mut failures) {
                    let step = self.steps[i];
                    self.out.emit(Event::StepFailed {
                        step: step.id.clone(),
                        error,
                    })?;
                    match self.after_failure(&step.id, connection_lost).await? {
                        FailureChoice::Retry => {
                            if let StepKind::Migrate(m) = &step.kind
                                && let Some(stop) = self.run_migration(i, m).await?
                            {
                                return Ok(Some(stop));
                            }
                            settled.insert(i);
                        }
                        FailureChoice::Stop(stop) => return Ok(Some(stop)),
                    }
                }
                continue;
            }
            tokio::select! {
                Some((lane, i, result)) = running.next() => {
                    senders.remove(&i);
                    if running_alone == Some(i) {
                        running_alone = None;
                    }
                    match result? {
                        StepResult::Done => {
                            // Rollback undoes in the reverse order they were applied.
                            self.applied.push(i);
                            settled.insert(i);
                            let id = &self.steps[i].id;
                            if let Some(record) = lane.records.get(id) {
                                self.records.insert(id.clone(), record.clone());
                            }
                        }
                        StepResult::Failed(error) => {
                            let lost = session_lost(&lane.client, &error);
                            failures.push((i, error, lost));
                        }
                        StepResult::LockLost(reason) | StepResult::AppliedElsewhere(reason) => {
                            // A parallel phase does not wait to take the lock again: it stops.
                            self.journal_lock_loss(reason.clone())?;
                            interrupted.get_or_insert(reason);
                        }
                        StepResult::Interrupted(reason) => {
                            self.abort_requested |= lane.abort_requested;
                            interrupted.get_or_insert(reason);
                        }
                    }
                    idle.push(lane);
                }
                command = self.commands.recv(), if listening => match command {
                    Some(Command::Pause) => self.pause_requested = true,
                    Some(Command::EndPhase) => self.end_phase = true,
                    Some(command @ (Command::Abort | Command::Cancel { .. } | Command::CancelStatement)) => {
                        if command == Command::Abort {
                            self.abort_requested = true;
                        }
                        if let Command::Cancel { reason } = &command {
                            interrupted.get_or_insert(reason.clone());
                        } else if command == Command::Abort {
                            interrupted.get_or_insert("aborted by the operator".into());
                        }
                        for sender in senders.values() {
                            let _ = sender.send(command.clone());
                        }
                    }
                    Some(_) => {}
                    None => listening = false,
                },
            }
        }
    }
}
