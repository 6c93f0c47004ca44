//! Fleet windows: one runbook over many databases — a canary first, then waves with a
//! concurrency cap, and a go/no-go between waves carrying the wave's evidence. Each database
//! keeps its own journal, tracking rows and lock exactly as a single run; the fleet journal
//! records the waves and the decisions.
//!
//! This module is the pure part: the model the fleet file loads into, which targets each
//! wave takes, the evidence at a wave's gate, and the fleet journal's events.

pub mod board;

use crate::events::Outcome;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// A fleet file, loaded.
#[derive(Clone, Debug)]
pub struct Fleet {
    pub name: String,
    pub path: PathBuf,
    /// The runbook every target runs, resolved against the fleet file's directory.
    pub runbook: PathBuf,
    pub targets: Targets,
    pub waves: Vec<Wave>,
}

/// Where the databases come from.
#[derive(Clone, Debug)]
pub enum Targets {
    /// Listed in the fleet file, in order.
    Listed(Vec<Target>),
    /// A query on a server that lists database names (`SELECT datname FROM pg_database …`):
    /// each becomes a target on that server.
    Query { server: String, sql: String },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    /// How the fleet names it (unique): its label, or its database name.
    pub name: String,
    /// A URL or conninfo; `${VAR}` comes from the environment when the fleet runs.
    pub url: String,
    pub labels: BTreeMap<String, String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Wave {
    pub name: String,
    /// How many targets it takes; `None`: all the rest.
    pub size: Option<usize>,
    /// Only targets with these labels (in the fleet's order).
    pub labels: BTreeMap<String, String>,
    /// At most this many databases at once (and as many connections per database as a run).
    pub concurrency: usize,
    pub on_error: OnError,
}

/// What a failed database does to the rest of its wave.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnError {
    /// Start nothing more; the fleet stops at the wave's gate.
    Halt,
    /// The wave goes on; its gate shows the failures.
    Continue,
    /// Start nothing more, and undo the wave: the failed database rolls back its own run,
    /// each one that succeeded in the wave is rolled back; the fleet stops at the gate.
    #[serde(rename = "rollback-wave")]
    RollbackWave,
}

impl OnError {
    pub fn as_str(self) -> &'static str {
        match self {
            OnError::Halt => "halt",
            OnError::Continue => "continue",
            OnError::RollbackWave => "rollback-wave",
        }
    }
}

/// Which targets each wave takes, in order: a wave takes the next `size` not yet taken
/// that carry its labels (all of them without a size). Targets no wave takes are returned
/// last.
pub fn assign(targets: &[Target], waves: &[Wave]) -> (Vec<Vec<usize>>, Vec<usize>) {
    let mut taken = vec![false; targets.len()];
    let mut out = Vec::new();
    for wave in waves {
        let mut mine = Vec::new();
        for (i, t) in targets.iter().enumerate() {
            if wave.size.is_some_and(|n| mine.len() >= n) {
                break;
            }
            let fits = wave.labels.iter().all(|(k, v)| t.labels.get(k) == Some(v));
            if !taken[i] && fits {
                taken[i] = true;
                mine.push(i);
            }
        }
        out.push(mine);
    }
    let left = (0..targets.len()).filter(|&i| !taken[i]).collect();
    (out, left)
}

/// The operator's answer at a wave's gate (the fleet screen's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GateAnswer {
    pub go: bool,
    pub reason: String,
}

/// How one database's run went.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TargetResult {
    pub target: String,
    /// `None`: it could not run at all (see `message`).
    pub outcome: Option<Outcome>,
    /// Finished in an earlier run of the fleet: not run again.
    #[serde(default)]
    pub already_done: bool,
    pub duration_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Each check's id, verdict and value.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<(String, bool, String)>,
}

impl TargetResult {
    pub fn succeeded(&self) -> bool {
        self.outcome == Some(Outcome::Succeeded)
    }
}

/// What a wave's gate shows.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WaveEvidence {
    pub passed: usize,
    /// Targets that did not succeed, with how they ended.
    pub failed: Vec<(String, String)>,
    /// Targets more than [`SLOWER`] times the canary's median time.
    pub slower_than_canary: Vec<(String, u64)>,
    /// Checks whose verdict differs from the canary's: target, check, verdict here.
    pub checks_differ: Vec<(String, String, bool)>,
    /// Targets not started (a halt stopped the wave first).
    pub not_started: usize,
    /// `on_error: rollback-wave`: each database that had succeeded, and how its rollback
    /// went ("rolled back", or what failed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rolled_back: Vec<(String, String)>,
    /// The waves left, at the pace so far: databases, waves, and about how long (ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left: Option<(usize, usize, u64)>,
}

/// How long the waves left take at the pace so far: each wave's databases in rounds of its
/// concurrency, each round as long as the mean database run so far. `remaining`: each wave
/// left's (databases, concurrency).
pub fn forecast(so_far: &[TargetResult], remaining: &[(usize, usize)]) -> Option<Duration> {
    let ran: Vec<u64> = so_far
        .iter()
        .filter(|r| !r.already_done && r.outcome.is_some())
        .map(|r| r.duration_ms)
        .collect();
    if ran.is_empty() {
        return None;
    }
    let mean = ran.iter().sum::<u64>() / ran.len() as u64;
    let rounds: u64 = remaining
        .iter()
        .map(|&(n, c)| n.div_ceil(c.max(1)) as u64)
        .sum();
    Some(Duration::from_millis(mean.saturating_mul(rounds)))
}

/// How a database's rollback with its wave is told when it went as it should.
pub const ROLLED_BACK: &str = "rolled back";

/// "Slower than the canary": over this many times its median, and by a second at least
/// (below that, the difference is the server's noise, not the database's).
pub const SLOWER: f64 = 1.5;
pub const SLOWER_BY_MS: u64 = 1_000;

/// The evidence of `wave` against the `canary`'s results.
pub fn evidence(
    canary: &[TargetResult],
    wave: &[TargetResult],
    not_started: usize,
) -> WaveEvidence {
    let mut times: Vec<u64> = canary
        .iter()
        .filter(|r| r.succeeded() && !r.already_done)
        .map(|r| r.duration_ms)
        .collect();
    times.sort_unstable();
    let median = times.get(times.len() / 2).copied();
    // The canary's verdicts: a check counts as passing there if it passed on every canary.
    let mut verdicts: BTreeMap<&str, bool> = BTreeMap::new();
    for r in canary {
        for (id, passed, _) in &r.checks {
            let v = verdicts.entry(id.as_str()).or_insert(true);
            *v = *v && *passed;
        }
    }
    let mut e = WaveEvidence {
        not_started,
        ..WaveEvidence::default()
    };
    for r in wave {
        if r.succeeded() {
            e.passed += 1;
        } else {
            let how = match (&r.outcome, &r.message) {
                (Some(o), Some(m)) => format!("{}: {m}", o.as_str()),
                (Some(o), None) => o.as_str().to_owned(),
                (None, Some(m)) => m.clone(),
                (None, None) => "did not run".to_owned(),
            };
            e.failed.push((r.target.clone(), how));
        }
        if let Some(m) = median
            && !r.already_done
            && r.duration_ms as f64 > m.max(1) as f64 * SLOWER
            && r.duration_ms.saturating_sub(m) >= SLOWER_BY_MS
        {
            e.slower_than_canary.push((r.target.clone(), r.duration_ms));
        }
        for (id, passed, _) in &r.checks {
            if verdicts.get(id.as_str()).is_some_and(|c| c != passed) {
                e.checks_differ
                    .push((r.target.clone(), id.clone(), *passed));
            }
        }
    }
    e
}

impl WaveEvidence {
    /// The gate's lines, one fact each.
    pub fn lines(&self) -> Vec<String> {
        let mut out = vec![format!(
            "{} passed, {} failed{}",
            self.passed,
            self.failed.len(),
            if self.not_started > 0 {
                format!(", {} not started", self.not_started)
            } else {
                String::new()
            }
        )];
        for (t, how) in &self.failed {
            out.push(format!("FAILED {t}: {how}"));
        }
        if !self.rolled_back.is_empty() {
            out.push(format!(
                "the wave was rolled back: {} database(s) that had succeeded",
                self.rolled_back.len()
            ));
        }
        for (t, how) in self.rolled_back.iter().filter(|(_, h)| h != ROLLED_BACK) {
            out.push(format!("ROLLBACK of {t}: {how}"));
        }
        for (t, ms) in &self.slower_than_canary {
            out.push(format!(
                "slower than the canary: {t} ({})",
                crate::narration::ms(*ms)
            ));
        }
        for (t, check, passed) in &self.checks_differ {
            out.push(format!(
                "check {check} {} on {t}, unlike the canary",
                if *passed { "passed" } else { "FAILED" }
            ));
        }
        if let Some((databases, waves, ms)) = self.left {
            out.push(format!(
                "left: {databases} database(s) in {waves} wave(s), about {} at the pace so far",
                crate::narration::ms(ms)
            ));
        }
        out
    }
}

/// The fleet journal: what the fleet did, a line each, fsynced (`runs/<fleet>.fleet.jsonl`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum FleetEvent {
    FleetStarted {
        fleet: String,
        runbook: String,
        checksum: String,
        operator: String,
        targets: usize,
        /// Each wave's name and targets.
        waves: Vec<(String, Vec<String>)>,
        resumed: bool,
    },
    WaveStarted {
        wave: String,
    },
    /// A database's run starts (or resumes), journaled at `journal`.
    TargetStarted {
        wave: String,
        target: String,
        journal: PathBuf,
    },
    TargetFinished {
        wave: String,
        result: TargetResult,
    },
    /// A database that had succeeded, rolled back with its wave (`on_error: rollback-wave`).
    TargetRolledBack {
        wave: String,
        target: String,
        /// How its undo run ended (`rolled_back`, or `failed` with why).
        outcome: Option<Outcome>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    },
    WaveGate {
        wave: String,
        evidence: WaveEvidence,
    },
    WaveDecision {
        wave: String,
        go: bool,
        operator: String,
        reason: String,
    },
    FleetFinished {
        outcome: Outcome,
        message: Option<String>,
    },
}

/// `url` (a URL or key=value conninfo) on database `db` of the same server.
pub fn with_dbname(url: &str, db: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://") {
        let (main, query) = match rest.split_once('?') {
            Some((m, q)) => (m, Some(q)),
            None => (rest, None),
        };
        let authority = main.split('/').next().unwrap_or(main);
        let mut out = format!("{scheme}://{authority}/{db}");
        if let Some(q) = query {
            out.push('?');
            out.push_str(q);
        }
        return out;
    }
    let mut parts: Vec<String> = url
        .split_whitespace()
        .filter(|p| !p.starts_with("dbname="))
        .map(str::to_owned)
        .collect();
    parts.push(format!("dbname={db}"));
    parts.join(" ")
}

/// The fleet report's model: each wave and each database as the fleet journal last has them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FleetSummary {
    pub fleet: String,
    pub runbook: String,
    /// `None`: the fleet run never finished (killed, or still running).
    pub outcome: Option<Outcome>,
    pub message: Option<String>,
    pub waves: Vec<WaveSummary>,
    /// Failed databases first, then the slowest.
    pub databases: Vec<DatabaseSummary>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WaveSummary {
    pub wave: String,
    pub databases: usize,
    pub passed: usize,
    pub failed: usize,
    /// `go`, with who and why, or `None` when no decision was made.
    pub decision: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DatabaseSummary {
    pub target: String,
    pub wave: String,
    pub result: TargetResult,
}

/// Folds a fleet journal (since its latest start) into its report.
pub fn summarize(events: &[FleetEvent]) -> FleetSummary {
    let mut s = FleetSummary::default();
    let mut latest: BTreeMap<String, (String, TargetResult)> = BTreeMap::new();
    for e in events {
        match e {
            FleetEvent::FleetStarted {
                fleet,
                runbook,
                waves,
                ..
            } => {
                s.fleet.clone_from(fleet);
                s.runbook.clone_from(runbook);
                if s.waves.is_empty() {
                    s.waves = waves
                        .iter()
                        .map(|(w, targets)| WaveSummary {
                            wave: w.clone(),
                            databases: targets.len(),
                            ..WaveSummary::default()
                        })
                        .collect();
                }
                s.outcome = None;
                s.message = None;
            }
            FleetEvent::TargetFinished { wave, result } => {
                latest.insert(result.target.clone(), (wave.clone(), result.clone()));
            }
            FleetEvent::TargetRolledBack {
                target,
                outcome,
                message,
                ..
            } => {
                if let Some((_, result)) = latest.get_mut(target) {
                    result.outcome = *outcome;
                    result.message = Some(match (outcome, message) {
                        (Some(Outcome::RolledBack), None) => "rolled back with its wave".into(),
                        (_, Some(m)) => format!("rolled back with its wave: {m}"),
                        (_, None) => "its rollback with the wave did not finish".into(),
                    });
                }
            }
            FleetEvent::WaveDecision {
                wave,
                go,
                operator,
                reason,
            } => {
                if let Some(w) = s.waves.iter_mut().find(|w| &w.wave == wave) {
                    w.decision = Some(format!(
                        "{} by {operator} ({reason})",
                        if *go { "go" } else { "no-go" }
                    ));
                }
            }
            FleetEvent::FleetFinished { outcome, message } => {
                s.outcome = Some(*outcome);
                s.message.clone_from(message);
            }
            FleetEvent::WaveStarted { .. }
            | FleetEvent::TargetStarted { .. }
            | FleetEvent::WaveGate { .. } => {}
        }
    }
    for (wave, r) in latest.values() {
        if let Some(w) = s.waves.iter_mut().find(|w| &w.wave == wave) {
            if r.succeeded() {
                w.passed += 1;
            } else {
                w.failed += 1;
            }
        }
    }
    s.databases = latest
        .into_iter()
        .map(|(target, (wave, result))| DatabaseSummary {
            target,
            wave,
            result,
        })
        .collect();
    s.databases.sort_by(|a, b| {
        (
            a.result.succeeded(),
            std::cmp::Reverse(a.result.duration_ms),
        )
            .cmp(&(
                b.result.succeeded(),
                std::cmp::Reverse(b.result.duration_ms),
            ))
    });
    s
}

impl FleetSummary {
    /// The report in Markdown.
    pub fn markdown(&self) -> String {
        let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
        let mut out = format!("# Fleet report: {}\n\n", self.fleet);
        let (ok, failed) = self.databases.iter().fold((0, 0), |(o, f), d| {
            if d.result.succeeded() {
                (o + 1, f)
            } else {
                (o, f + 1)
            }
        });
        let planned: usize = self.waves.iter().map(|w| w.databases).sum();
        out.push_str(&format!(
            "| | |\n|---|---|\n| Runbook | `{}` |\n| Outcome | {} |\n| Databases | {planned}: {ok} succeeded, {failed} failed, {} not run |\n\n",
            self.runbook,
            match (&self.outcome, &self.message) {
                (Some(o), Some(m)) => format!("**{}** — {}", o.as_str(), cell(m)),
                (Some(o), None) => format!("**{}**", o.as_str()),
                (None, _) => "**unfinished** (the fleet run did not finish: `--resume`)".to_owned(),
            },
            planned.saturating_sub(ok + failed)
        ));
        out.push_str(
            "## Waves\n\n| Wave | Databases | Passed | Failed | Gate |\n|---|---|---|---|---|\n",
        );
        for w in &self.waves {
            out.push_str(&format!(
                "| `{}` | {} | {} | {} | {} |\n",
                w.wave,
                w.databases,
                w.passed,
                w.failed,
                w.decision.as_deref().map_or("—".to_owned(), cell)
            ));
        }
        out.push_str("\n## Databases (failed first, then the slowest)\n\n| Database | Wave | Result | Time | Run | Note |\n|---|---|---|---|---|---|\n");
        for d in &self.databases {
            let r = &d.result;
            out.push_str(&format!(
                "| `{}` | `{}` | {} | {} | {} | {} |\n",
                d.target,
                d.wave,
                match (&r.outcome, r.already_done) {
                    (Some(Outcome::Succeeded), true) => "succeeded (earlier)".to_owned(),
                    (Some(Outcome::Succeeded), false) => "succeeded".to_owned(),
                    (Some(o), _) => format!("**{}**", o.as_str()),
                    (None, _) => "**did not run**".to_owned(),
                },
                if r.already_done {
                    "—".to_owned()
                } else {
                    crate::narration::ms(r.duration_ms)
                },
                r.run_id
                    .as_deref()
                    .map_or("—".to_owned(), |id| format!("`{id}`")),
                r.message.as_deref().map_or(String::new(), cell)
            ));
        }
        out
    }
}

/// How long a database's run took, for the evidence.
pub fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(name: &str, region: &str) -> Target {
        Target {
            name: name.into(),
            url: format!("postgres://h/{name}"),
            labels: BTreeMap::from([("region".to_owned(), region.to_owned())]),
        }
    }

    fn wave(name: &str, size: Option<usize>, labels: &[(&str, &str)]) -> Wave {
        Wave {
            name: name.into(),
            size,
            labels: labels
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            concurrency: 4,
            on_error: OnError::Halt,
        }
    }

    #[test]
    fn the_waves_left_are_forecast_in_rounds_of_their_concurrency_at_the_mean_pace() {
        let so_far = [result("a", true, 1000, &[]), result("b", true, 3000, &[])];
        // 10 at 4 at once: 3 rounds; 5 at 5: 1 round; 2 s a round.
        assert_eq!(
            forecast(&so_far, &[(10, 4), (5, 5)]),
            Some(Duration::from_secs(8))
        );
        assert_eq!(forecast(&[], &[(10, 4)]), None);
    }

    #[test]
    fn a_target_found_by_query_keeps_the_servers_address() {
        assert_eq!(
            with_dbname("postgres://app@db1:5433/postgres?sslmode=require", "t_1"),
            "postgres://app@db1:5433/t_1?sslmode=require"
        );
        assert_eq!(
            with_dbname("host=db1 user=app dbname=postgres", "t_1"),
            "host=db1 user=app dbname=t_1"
        );
    }

    #[test]
    fn waves_take_targets_in_order_by_label_and_the_last_takes_the_rest() {
        let targets = [
            target("a", "eu"),
            target("b", "us"),
            target("c", "eu"),
            target("d", "us"),
            target("e", "eu"),
        ];
        let waves = [
            wave("canary", Some(1), &[("region", "us")]),
            wave("eu", Some(2), &[("region", "eu")]),
            wave("rest", None, &[]),
        ];
        let (taken, left) = assign(&targets, &waves);
        assert_eq!(taken, vec![vec![1], vec![0, 2], vec![3, 4]]);
        assert!(left.is_empty());
    }

    fn result(target: &str, ok: bool, ms: u64, checks: &[(&str, bool)]) -> TargetResult {
        TargetResult {
            target: target.into(),
            outcome: Some(if ok {
                Outcome::Succeeded
            } else {
                Outcome::Failed
            }),
            already_done: false,
            duration_ms: ms,
            run_id: None,
            message: None,
            checks: checks
                .iter()
                .map(|(id, p)| ((*id).to_owned(), *p, String::new()))
                .collect(),
        }
    }

    #[test]
    fn the_gate_shows_failures_slow_databases_and_checks_unlike_the_canary() {
        let canary = [result("c1", true, 1000, &[("rows", true)])];
        let wave = [
            result("w0", true, 1400, &[("rows", true)]),
            result("w1", true, 1200, &[("rows", true)]),
            result("w2", false, 300, &[("rows", true)]),
            result("w3", true, 2000, &[("rows", false)]),
        ];
        let e = evidence(&canary, &wave, 2);
        assert_eq!(e.passed, 3);
        assert_eq!(e.failed, vec![("w2".to_owned(), "failed".to_owned())]);
        assert_eq!(e.slower_than_canary, vec![("w3".to_owned(), 2000)]);
        assert_eq!(
            e.checks_differ,
            vec![("w3".to_owned(), "rows".to_owned(), false)]
        );
        assert_eq!(
            e.lines()[0],
            "3 passed, 1 failed, 2 not started",
            "{:?}",
            e.lines()
        );
    }
}
