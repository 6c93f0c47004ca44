//! The append-only, fsynced event log. One JSON object per line: `{"ts", "seq", event...}`.
//! Replaying it rebuilds the run state; a torn last line (power loss) is tolerated.

use crate::events::Event;
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

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
    stamper: Stamper,
}

/// Numbers, timestamps and masks events on their way into the journal.
struct Stamper {
    seq: u64,
    secret: Option<String>,
}

impl Stamper {
    /// Returns the event's journal line (newline included) and the entry as the journal holds
    /// it — the password masked in the event's outside text (never in the JSON: a password
    /// that is also a key, an id or a number must not cost a line), so front ends never see it
    /// either.
    fn stamp(&mut self, event: &Event) -> std::io::Result<(String, Entry)> {
        self.seq += 1;
        let mut event = event.clone();
        if let Some(secret) = &self.secret {
            crate::secret::mask_event(&mut event, secret);
        }
        let entry = Entry {
            ts: chrono::Utc::now(),
            seq: self.seq,
            event,
        };
        let mut line = serde_json::to_string(&entry).map_err(std::io::Error::other)?;
        line.push('\n');
        Ok((line, entry))
    }
}

impl Journal {
    /// Opens (creating if needed) for appending; continues the sequence of what is there.
    pub fn open(path: &Path, secret: Option<String>) -> std::io::Result<Journal> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(path)?;
        let text = std::fs::read(path)?;
        // A torn last line must not glue onto the next event.
        if !text.is_empty() && text.last() != Some(&b'\n') {
            file.write_all(b"\n")?;
        }
        Ok(Journal {
            file,
            path: path.to_path_buf(),
            stamper: Stamper {
                seq: last_seq(&text),
                secret,
            },
        })
    }

    /// Creates a new run's own journal; fails if the file exists already (two runs never
    /// share a journal).
    pub fn create_new(path: &Path, secret: Option<String>) -> std::io::Result<Journal> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let file = OpenOptions::new()
            .create_new(true)
            .append(true)
            .read(true)
            .open(path)
            .map_err(|e| {
                std::io::Error::new(
                    e.kind(),
                    format!("cannot create a new journal at {}: {e}", path.display()),
                )
            })?;
        Ok(Journal {
            file,
            path: path.to_path_buf(),
            stamper: Stamper { seq: 0, secret },
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes one event and makes it durable before returning.
    pub fn append(&mut self, event: &Event) -> std::io::Result<Entry> {
        let (line, entry) = self.stamper.stamp(event)?;
        self.file.write_all(line.as_bytes())?;
        self.file.sync_data()?;
        Ok(entry)
    }

    /// Moves the file to a writer thread that group-commits: it writes everything queued,
    /// fsyncs once, and only then hands the entries to `deliver` (the front ends). The caller
    /// keeps numbering events and is never held up by the disk unless it asks ([`Background::durable`]).
    pub fn into_background(
        self,
        deliver: impl FnMut(Entry) + Send + 'static,
    ) -> std::io::Result<Background> {
        let Journal {
            file,
            path,
            stamper,
        } = self;
        let (tx, rx) = std::sync::mpsc::channel::<Queued>();
        let failure = Arc::new(Mutex::new(None));
        let failed = Arc::clone(&failure);
        let handle = std::thread::Builder::new()
            .name("cutover-journal".into())
            .spawn(move || group_commit(file, rx, failed, deliver))?;
        Ok(Background {
            stamper,
            path,
            tx: Some(tx),
            failure,
            handle: Some(handle),
        })
    }
}

/// The sequence number of the last entry a journal holds (0 if none): read from the end, so
/// opening a long journal to continue it does not parse every event. A torn or unreadable
/// last line is passed over, as a replay would.
fn last_seq(text: &[u8]) -> u64 {
    #[derive(serde::Deserialize)]
    struct Numbered {
        seq: u64,
    }
    text.split(|b| *b == b'\n')
        .rev()
        .filter(|line| !line.is_empty())
        .find_map(|line| serde_json::from_slice::<Numbered>(line).ok())
        .map_or(0, |n| n.seq)
}

/// How long an event may wait for company before it is written anyway (the front ends see
/// it this much later at most; the engine never waits for it).
const LINGER: std::time::Duration = std::time::Duration::from_millis(10);

enum Queued {
    Line(String, Box<Entry>),
    /// Answered once everything queued before it is on disk (or writing failed).
    Durable(tokio::sync::oneshot::Sender<()>),
}

/// The writer thread: batches whatever is queued into one write and one fsync.
fn group_commit(
    mut file: File,
    rx: std::sync::mpsc::Receiver<Queued>,
    failure: Arc<Mutex<Option<String>>>,
    mut deliver: impl FnMut(Entry),
) {
    let mut buffer = String::new();
    let mut entries = Vec::new();
    let mut waiters = Vec::new();
    while let Ok(first) = rx.recv() {
        // Nobody waits for these yet: linger briefly so one fsync covers a whole step (fewer
        // fsyncs, less contention with the database's own disk writes). Someone waiting, or
        // the linger running out, writes the batch at once.
        let deadline = std::time::Instant::now() + LINGER;
        let mut next = Some(first);
        while let Some(item) = next {
            match item {
                Queued::Line(line, entry) => {
                    buffer.push_str(&line);
                    entries.push(*entry);
                }
                Queued::Durable(waiter) => waiters.push(waiter),
            }
            next = match rx.try_recv() {
                Ok(item) => Some(item),
                Err(_) if waiters.is_empty() => deadline
                    .checked_duration_since(std::time::Instant::now())
                    .and_then(|left| rx.recv_timeout(left).ok()),
                Err(_) => None,
            };
        }
        let written = if buffer.is_empty() {
            Ok(())
        } else {
            file.write_all(buffer.as_bytes())
                .and_then(|()| file.sync_data())
        };
        buffer.clear();
        match written {
            Ok(()) => entries.drain(..).for_each(&mut deliver),
            Err(e) => {
                // Nothing unjournaled reaches a front end; the engine sees the error next time.
                if let Ok(mut slot) = failure.lock() {
                    slot.get_or_insert_with(|| e.to_string());
                }
                entries.clear();
            }
        }
        for waiter in waiters.drain(..) {
            let _ = waiter.send(());
        }
    }
}

/// A journal whose writes happen on a writer thread (see [`Journal::into_background`]).
pub struct Background {
    stamper: Stamper,
    path: PathBuf,
    tx: Option<std::sync::mpsc::Sender<Queued>>,
    failure: Arc<Mutex<Option<String>>>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl Background {
    fn failed(&self) -> std::io::Result<()> {
        match self.failure.lock().ok().and_then(|slot| slot.clone()) {
            Some(message) => Err(std::io::Error::other(format!(
                "writing {}: {message}",
                self.path.display()
            ))),
            None => Ok(()),
        }
    }

    /// Queues an event; it reaches the front ends once it is on disk. Fails if an earlier
    /// write failed.
    pub fn append(&mut self, event: &Event) -> std::io::Result<()> {
        self.failed()?;
        let (line, entry) = self.stamper.stamp(event)?;
        self.send(Queued::Line(line, Box::new(entry)))
    }

    fn send(&self, item: Queued) -> std::io::Result<()> {
        self.tx
            .as_ref()
            .and_then(|tx| tx.send(item).ok())
            .ok_or_else(|| std::io::Error::other("the journal writer has stopped"))
    }

    /// A promise that everything appended so far is on disk: await it before acting on
    /// something that must be in the journal first.
    pub fn durable(&self) -> std::io::Result<Durable> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.send(Queued::Durable(tx))?;
        Ok(Durable {
            rx,
            failure: Arc::clone(&self.failure),
        })
    }

    /// Waits until everything appended is on disk, then stops the writer thread; later
    /// appends fail.
    pub async fn close(&mut self) -> std::io::Result<()> {
        self.shutdown().wait().await
    }

    /// Like [`Background::close`], split so that a shared journal need not stay locked while
    /// the disk catches up: stops taking events now; the returned value waits.
    pub fn shutdown(&mut self) -> Shutdown {
        let flushed = self.tx.as_ref().and_then(|_| self.durable().ok());
        self.tx = None;
        Shutdown {
            flushed,
            handle: self.handle.take(),
            failure: Arc::clone(&self.failure),
            path: self.path.clone(),
        }
    }
}

/// See [`Background::shutdown`].
pub struct Shutdown {
    flushed: Option<Durable>,
    handle: Option<std::thread::JoinHandle<()>>,
    failure: Arc<Mutex<Option<String>>>,
    path: PathBuf,
}

impl Shutdown {
    pub async fn wait(self) -> std::io::Result<()> {
        if let Some(flushed) = self.flushed {
            flushed.wait().await?;
        }
        if let Some(handle) = self.handle {
            // The queue is empty and closed: the thread ends at once.
            let _ = tokio::task::spawn_blocking(move || handle.join()).await;
        }
        match self.failure.lock().ok().and_then(|slot| slot.clone()) {
            Some(message) => Err(std::io::Error::other(format!(
                "writing {}: {message}",
                self.path.display()
            ))),
            None => Ok(()),
        }
    }
}

/// See [`Background::durable`].
pub struct Durable {
    rx: tokio::sync::oneshot::Receiver<()>,
    failure: Arc<Mutex<Option<String>>>,
}

impl Durable {
    pub async fn wait(self) -> std::io::Result<()> {
        let answered = self.rx.await;
        if let Some(message) = self.failure.lock().ok().and_then(|slot| slot.clone()) {
            return Err(std::io::Error::other(message));
        }
        answered.map_err(|_| std::io::Error::other("the journal writer has stopped"))
    }
}

/// What a journal says about a run.
#[derive(Clone, Debug, Default)]
pub struct Replay {
    pub entries: Vec<Entry>,
    /// Lines that could not be read (a torn tail), with their 1-based line number.
    pub unreadable: Vec<usize>,
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

/// The journal of a run: its own file, named after the run id (which carries the runbook,
/// the start to the millisecond and a random tag).
pub fn path_for_run(dir: &Path, run_id: &str) -> PathBuf {
    dir.join(format!("{run_id}.jsonl"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_sequence_number_is_read_from_the_end_past_a_torn_line() {
        assert_eq!(last_seq(b""), 0);
        let whole = b"{\"ts\":\"2026-01-01T00:00:00Z\",\"seq\":1,\"event\":\"x\"}\n{\"ts\":\"2026-01-01T00:00:01Z\",\"seq\":2,\"event\":\"y\"}\n";
        assert_eq!(last_seq(whole), 2);
        let mut torn = whole.to_vec();
        torn.extend_from_slice(b"{\"ts\":\"2026-01-01T00:00:02Z\",\"se");
        assert_eq!(last_seq(&torn), 2);
    }

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
        let record = crate::record::RunRecord::of(&r.entries);
        assert_eq!(
            record.step("a").map(|s| s.status),
            Some(crate::record::Status::Done)
        );
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

    #[tokio::test]
    async fn the_background_writer_delivers_only_what_is_on_disk() {
        let path = tmp("background");
        let mut first = Journal::open(&path, Some("hunter2".into())).unwrap();
        first
            .append(&Event::PhaseStarted { phase: "p".into() })
            .unwrap();
        drop(first);
        let journal = Journal::open(&path, Some("hunter2".into())).unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let on_disk = path.clone();
        let mut background = journal
            .into_background(move |entry: Entry| {
                // Delivered means durable: the line is in the file already.
                let text = std::fs::read_to_string(&on_disk).unwrap();
                let _ = tx.send((entry.seq, text.lines().count()));
            })
            .unwrap();
        for n in 0..50 {
            background
                .append(&Event::Notice {
                    step: "a".into(),
                    severity: "NOTICE".into(),
                    message: format!("{n} hunter2"),
                })
                .unwrap();
        }
        background.durable().unwrap().wait().await.unwrap();
        // Everything appended before the promise is delivered once it resolves.
        let mut delivered = Vec::new();
        while let Ok(d) = rx.try_recv() {
            delivered.push(d);
        }
        assert_eq!(delivered.len(), 50);
        for (i, (seq, lines)) in delivered.iter().enumerate() {
            assert_eq!(*seq, i as u64 + 2, "the sequence continues the file's");
            assert!(
                *lines as u64 >= *seq,
                "entry {seq} delivered before it was written"
            );
        }
        background.close().await.unwrap();
        assert!(
            background
                .append(&Event::PhaseStarted { phase: "q".into() })
                .is_err()
        );
        let r = replay(&path).unwrap();
        assert_eq!(r.entries.len(), 51);
        assert!(!std::fs::read_to_string(&path).unwrap().contains("hunter2"));
    }
}
