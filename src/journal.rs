//! The append-only, fsynced event log. One JSON object per line: `{"ts", "seq", event...}`.
//! Replaying it rebuilds the run state; a torn last line (power loss) is tolerated.

use crate::engine::events::{Decision, Event, Outcome};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub ts: chrono::DateTime<chrono::Utc>,
    pub seq: u64,
    #[serde(flatten)]
    pub event: Event,
}

pub struct Journal {
    file: File,
    path: PathBuf,
    seq: u64,
    secret: Option<String>,
}

impl Journal {
    /// Opens (creating if needed) for appending; continues the sequence of what is there.
    pub fn open(path: &Path, secret: Option<String>) -> std::io::Result<Journal> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let seq = if path.exists() {
            replay(path)?.entries.last().map_or(0, |e| e.seq)
        } else {
            0
        };
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(path)?;
        // A torn last line must not glue onto the next event.
        let len = file.metadata()?.len();
        if len > 0 {
            let text = std::fs::read(path)?;
            if text.last() != Some(&b'\n') {
                file.write_all(b"\n")?;
            }
        }
        Ok(Journal {
            file,
            path: path.to_path_buf(),
            seq,
            secret,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes one event and makes it durable before returning.
    pub fn append(&mut self, event: &Event) -> std::io::Result<Entry> {
        self.seq += 1;
        let entry = Entry {
            ts: chrono::Utc::now(),
            seq: self.seq,
            event: event.clone(),
        };
        let line = serde_json::to_string(&entry).map_err(std::io::Error::other)?;
        let scrubbed = crate::connect::scrub(&line, self.secret.as_deref());
        self.file.write_all(scrubbed.as_bytes())?;
        self.file.write_all(b"\n")?;
        self.file.sync_data()?;
        // Front ends get exactly what the journal holds: never a secret.
        if scrubbed != line {
            return serde_json::from_str(&scrubbed).map_err(std::io::Error::other);
        }
        Ok(entry)
    }
}

/// What a journal says about a run.
#[derive(Clone, Debug, Default)]
pub struct Replay {
    pub entries: Vec<Entry>,
    /// Lines that could not be read (a torn tail), with their 1-based line number.
    pub unreadable: Vec<usize>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunState {
    pub run_id: Option<String>,
    pub runbook: Option<String>,
    pub finished: Option<Outcome>,
    /// Steps that completed (migrations applied, commands run, manual steps acknowledged).
    pub done: Vec<String>,
    pub failed: BTreeMap<String, String>,
    pub decisions: BTreeMap<String, Decision>,
    pub last_step_started: Option<String>,
}

impl Replay {
    pub fn state(&self) -> RunState {
        let mut state = RunState::default();
        for entry in &self.entries {
            match &entry.event {
                Event::RunStarted {
                    run_id, runbook, ..
                } => {
                    state.run_id = Some(run_id.clone());
                    state.runbook = Some(runbook.clone());
                    state.finished = None;
                }
                Event::StepStarted { step, .. } => state.last_step_started = Some(step.clone()),
                Event::StepFinished { step, .. } | Event::ManualAcknowledged { step, .. } => {
                    state.failed.remove(step);
                    if !state.done.contains(step) {
                        state.done.push(step.clone());
                    }
                }
                Event::StepFailed { step, error } => {
                    state.failed.insert(step.clone(), error.to_string());
                }
                Event::DecisionRecorded { step, decision, .. } => {
                    state.decisions.insert(step.clone(), *decision);
                }
                Event::RunFinished { outcome, .. } => state.finished = Some(*outcome),
                _ => {}
            }
        }
        state
    }
}

/// Reads a journal; unreadable lines are reported, not fatal.
pub fn replay(path: &Path) -> std::io::Result<Replay> {
    let reader = BufReader::new(File::open(path)?);
    let mut out = Replay::default();
    for (i, line) in reader.split(b'\n').enumerate() {
        let line = line?;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<Entry>(&line) {
            Ok(entry) => out.entries.push(entry),
            Err(_) => out.unreadable.push(i + 1),
        }
    }
    Ok(out)
}

/// The newest journal for a runbook under `dir` (`<name>-<timestamp>.jsonl`).
pub fn latest(dir: &Path, runbook: &str) -> Option<PathBuf> {
    let prefix = format!("{runbook}-");
    let mut candidates: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".jsonl"))
        })
        .collect();
    candidates.sort();
    candidates.pop()
}

/// The default journal path for a new run.
pub fn default_path(dir: &Path, runbook: &str, started: chrono::DateTime<chrono::Utc>) -> PathBuf {
    dir.join(format!(
        "{runbook}-{}.jsonl",
        started.format("%Y%m%dT%H%M%SZ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("cutover-journal-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir.join("j.jsonl")
    }

    #[test]
    fn replay_rebuilds_state_and_tolerates_a_torn_tail() {
        let path = tmp("torn");
        let mut j = Journal::open(&path, Some("hunter2".into())).unwrap();
        j.append(&Event::StepStarted {
            step: "a".into(),
            attempt: 1,
            in_transaction: Some(true),
        })
        .unwrap();
        j.append(&Event::StepFinished {
            step: "a".into(),
            duration_ms: 5,
            rows: 1,
        })
        .unwrap();
        j.append(&Event::Notice {
            step: "a".into(),
            severity: "NOTICE".into(),
            message: "pw hunter2".into(),
        })
        .unwrap();
        drop(j);
        // Power loss mid-write.
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(br#"{"ts":"2024-01-01T00:00:00Z","seq":4,"event":"step_sta"#)
            .unwrap();
        let r = replay(&path).unwrap();
        assert_eq!(r.entries.len(), 3);
        assert_eq!(r.unreadable, vec![4]);
        assert_eq!(r.state().done, vec!["a".to_owned()]);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            !text.contains("hunter2"),
            "secrets are scrubbed from the journal"
        );
        // Appending after a torn tail continues on a fresh line and sequence.
        let mut j = Journal::open(&path, None).unwrap();
        let e = j
            .append(&Event::PhaseStarted { phase: "p".into() })
            .unwrap();
        assert_eq!(e.seq, 4);
        assert_eq!(replay(&path).unwrap().entries.len(), 4);
    }
}
