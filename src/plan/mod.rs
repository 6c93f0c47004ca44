//! Validation, the DAG, ordering, timing, conflict and safety analysis. Pure: no I/O.
//!
//! The planner turns a loaded runbook into the order the engine will follow, with every
//! reason it refuses (cycles, unknown or forward references, unsafe orders, SQL that
//! cannot run the way the step says) reported before anything touches a database.

pub mod forecast;
pub mod graph;
pub mod lint_rules;
pub mod pg_parser;
mod safety;
pub(crate) use safety::locate;
pub mod sql;
mod timing;

use crate::diag::Diagnostic;
use crate::runbook::{Loc, Runbook, StepKind};
use petgraph::graph::{DiGraph, NodeIndex};
use serde::Serialize;
use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap};
use std::time::Duration;

/// Why one step must wait for another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EdgeKind {
    /// Written in `depends_on`.
    Explicit,
    /// A checkpoint gates what is listed after it, and waits for what is listed before it.
    Barrier,
}

/// One step as planned.
#[derive(Clone, Debug, Serialize)]
pub struct StepPlan {
    pub id: String,
    pub kind: &'static str,
    pub phase: usize,
    /// Position in the runbook listing within its phase.
    pub listed: usize,
    /// Explicit dependencies (step ids).
    pub depends_on: Vec<String>,
    /// Planned start and end, as offsets from the window start.
    #[serde(with = "duration_ms")]
    pub planned_start: Duration,
    #[serde(with = "duration_ms")]
    pub planned_end: Duration,
    #[serde(with = "duration_ms")]
    pub expected: Duration,
    /// For SQL steps: whether the engine wraps the SQL in one transaction.
    pub in_transaction: Option<bool>,
    /// Why a migration runs outside a transaction, if it does.
    pub no_transaction_reason: Option<String>,
    pub breaking: bool,
    pub reads: BTreeSet<String>,
    pub writes: BTreeSet<String>,
    pub statements: usize,
    pub on_critical_path: bool,
    /// Its preconditions (`require:`), in the order they are asked.
    pub require: Vec<PlannedPrecondition>,
}

/// A precondition as the plan shows it: what is asked, what must come back, and what
/// happens to the step when it does not.
#[derive(Clone, Debug, Serialize)]
pub struct PlannedPrecondition {
    pub sql: String,
    pub expect: String,
    pub on_fail: &'static str,
}

impl PlannedPrecondition {
    /// What the step does when it does not hold, in words.
    pub fn otherwise(&self) -> &'static str {
        match self.on_fail {
            "skip" => "skipped",
            "warn" => "warned, runs anyway",
            _ => "halts",
        }
    }

    /// Its query's first line, with `…` when there is more.
    pub fn first_line(&self) -> String {
        let first = self.sql.lines().next().unwrap_or_default();
        if self.sql.lines().nth(1).is_some() {
            format!("{first} …")
        } else {
            first.to_owned()
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct PhasePlan {
    pub id: String,
    pub kind: &'static str,
    #[serde(with = "duration_ms")]
    pub planned_start: Duration,
    #[serde(with = "duration_ms")]
    pub planned_end: Duration,
    #[serde(with = "duration_ms")]
    pub budget: Duration,
    pub parallel: usize,
    /// Indices into `Plan::steps`, in execution order.
    pub order: Vec<usize>,
}

/// The plan of a whole window.
#[derive(Clone, Debug, Serialize)]
pub struct Plan {
    pub phases: Vec<PhasePlan>,
    /// Steps in runbook listing order (phase by phase).
    pub steps: Vec<StepPlan>,
    /// Edges `(from, to, kind)`: `to` waits for `from` (indices into `steps`).
    pub edges: Vec<(usize, usize, EdgeKind)>,
    #[serde(with = "duration_ms")]
    pub window_budget: Duration,
    /// Sum of phase time boxes, from the window start to the last phase's planned end.
    #[serde(with = "duration_ms")]
    pub planned_end: Duration,
    /// The window budget minus the planned end (negative: over budget), in milliseconds.
    pub slack_ms: i64,
    /// The longest chain of expected work through the dependencies, step ids.
    pub critical_path: Vec<String>,
    #[serde(with = "duration_ms")]
    pub critical_path_duration: Duration,
    /// Pairs of migrations in sequential phases that touch the same table; listing order decides.
    pub ordering_notes: Vec<String>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Plan {
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.level == crate::diag::Level::Error)
    }

    pub fn step(&self, id: &str) -> Option<&StepPlan> {
        self.steps.iter().find(|s| s.id == id)
    }

    /// All step indices in the order the engine runs them.
    pub fn execution_order(&self) -> impl Iterator<Item = usize> + '_ {
        self.phases.iter().flat_map(|p| p.order.iter().copied())
    }
}

mod duration_ms {
    use serde::Serializer;
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }
}

/// Plans a loaded runbook. Never panics; problems become diagnostics.
/// Why a no-go would leave migration `m` applied (nothing would run to undo it): no rollback
/// SQL, rollback SQL of only comments, or declared irreversible. `None`: its rollback runs.
pub fn left_applied_by_rollback(m: &crate::runbook::Migrate) -> Option<String> {
    match (&m.irreversible, &m.rollback) {
        (Some(reason), _) => Some(format!("irreversible: {reason}")),
        (None, None) => Some("no rollback SQL".to_owned()),
        // Only comments undo nothing: running them and calling the step undone would let the
        // next run apply it twice.
        (None, Some(r)) if sql::split_statements(&r.text).is_empty() => {
            Some("its rollback SQL has no statements, only comments".to_owned())
        }
        (None, Some(_)) => None,
    }
}

pub fn plan(runbook: &Runbook) -> Plan {
    let mut diags = Vec::new();
    let file = runbook.path.as_path();

    // Index every step: listing position across the runbook.
    let mut steps = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (p, phase) in runbook.phases.iter().enumerate() {
        for (listed, step) in phase.steps.iter().enumerate() {
            index.entry(step.id.as_str()).or_insert(steps.len());
            steps.push(StepPlan {
                id: step.id.clone(),
                kind: step.kind.key(),
                phase: p,
                listed,
                depends_on: step.depends_on.iter().map(|d| d.id.clone()).collect(),
                planned_start: Duration::ZERO,
                planned_end: Duration::ZERO,
                expected: step.expected_duration.unwrap_or(Duration::ZERO),
                in_transaction: None,
                no_transaction_reason: None,
                breaking: matches!(&step.kind, StepKind::Migrate(m) if m.breaking),
                reads: BTreeSet::new(),
                writes: BTreeSet::new(),
                statements: 0,
                on_critical_path: false,
                require: step
                    .require
                    .iter()
                    .map(|r| PlannedPrecondition {
                        sql: r.sql.text.trim().to_owned(),
                        expect: r.expect.to_string(),
                        on_fail: r.on_fail.as_str(),
                    })
                    .collect(),
            });
        }
    }
    let all_steps: Vec<&crate::runbook::Step> =
        runbook.phases.iter().flat_map(|p| &p.steps).collect();
    let all_ids: Vec<&str> = all_steps.iter().map(|s| s.id.as_str()).collect();

    // Barrier rank: checkpoints split a phase into segments (see `EdgeKind::Barrier`).
    let mut rank = vec![0usize; steps.len()];
    {
        let mut i = 0;
        for phase in &runbook.phases {
            let mut checkpoints = 0;
            for step in &phase.steps {
                rank[i] = if matches!(step.kind, StepKind::Checkpoint(_)) {
                    checkpoints += 1;
                    2 * checkpoints - 1
                } else {
                    2 * checkpoints
                };
                i += 1;
            }
        }
    }

    // Explicit edges, with the checks that references are known and point backwards.
    let mut graph: DiGraph<usize, Loc> = DiGraph::new();
    let nodes: Vec<NodeIndex> = (0..steps.len()).map(|i| graph.add_node(i)).collect();
    let mut edges = Vec::new();
    for (to, step) in all_steps.iter().enumerate() {
        for dep in &step.depends_on {
            let Some(&from) = index.get(dep.id.as_str()) else {
                let help = match crate::runbook::loader::did_you_mean(&dep.id, &all_ids) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "depend on the id of a step in this or an earlier phase".to_owned(),
                };
                diags.push(
                    Diagnostic::error(
                        "unknown-dependency",
                        file,
                        Some(dep.loc),
                        format!(
                            "`{}` depends on `{}`, which is not a step in this runbook",
                            step.id, dep.id
                        ),
                    )
                    .with_help(help),
                );
                continue;
            };
            let (to_phase, from_phase) = (steps[to].phase, steps[from].phase);
            if from_phase > to_phase {
                diags.push(
                    Diagnostic::error(
                        "dependency-on-later-phase",
                        file,
                        Some(dep.loc),
                        format!(
                            "`{}` (phase `{}`) depends on `{}`, which is in the later phase `{}`",
                            step.id, runbook.phases[to_phase].id, dep.id, runbook.phases[from_phase].id
                        ),
                    )
                    .with_help(format!(
                        "phases run in order: move `{}` into phase `{}` or earlier, or `{}` into a later phase",
                        dep.id, runbook.phases[to_phase].id, step.id
                    ))
                    .with_related(file, all_steps[from].loc, format!("`{}` is defined here", dep.id)),
                );
                continue;
            }
            if from_phase == to_phase && rank[from] > rank[to] {
                let gate = runbook.phases[to_phase]
                    .steps
                    .iter()
                    .filter(|s| matches!(s.kind, StepKind::Checkpoint(_)))
                    .nth(rank[to] / 2)
                    .map_or("a checkpoint", |s| s.id.as_str());
                diags.push(
                    Diagnostic::error(
                        "unsafe-order",
                        file,
                        Some(dep.loc),
                        format!(
                            "`{}` runs before checkpoint `{gate}`, but depends on `{}`, which runs only after that decision",
                            step.id, dep.id
                        ),
                    )
                    .with_help(format!(
                        "list `{}` after the checkpoint, or move `{}` before it",
                        step.id, dep.id
                    )),
                );
                continue;
            }
            graph.add_edge(nodes[from], nodes[to], dep.loc);
            if from_phase == to_phase {
                edges.push((from, to, EdgeKind::Explicit));
            }
        }
    }

    let cycles = report_cycles(&graph, &all_steps, file, &mut diags);

    // Barrier edges: each checkpoint waits for the segment before it and gates the one after.
    let mut start = 0;
    for phase in &runbook.phases {
        let range = start..start + phase.steps.len();
        for c in range.clone().filter(|&i| rank[i] % 2 == 1) {
            for other in range.clone() {
                if rank[other] + 1 == rank[c] {
                    edges.push((other, c, EdgeKind::Barrier));
                } else if rank[other] == rank[c] + 1 {
                    edges.push((c, other, EdgeKind::Barrier));
                }
            }
        }
        start = range.end;
    }

    let mut phases: Vec<PhasePlan> = runbook
        .phases
        .iter()
        .map(|p| PhasePlan {
            id: p.id.clone(),
            kind: p.kind.as_str(),
            planned_start: Duration::ZERO,
            planned_end: Duration::ZERO,
            budget: p.budget,
            parallel: p.parallel,
            order: Vec::new(),
        })
        .collect();
    if !cycles {
        for (p, phase) in phases.iter_mut().enumerate() {
            phase.order = order_phase(&steps, &edges, &rank, p);
        }
    }

    safety::analyze(runbook, &mut steps, &mut diags);
    let ordering_notes = safety::conflicts(runbook, &steps, &edges, &mut diags);
    let timing = timing::schedule(runbook, &mut phases, &mut steps, &edges, &mut diags);
    probes_outside_monitoring(runbook, &mut diags);

    Plan {
        phases,
        steps,
        edges,
        window_budget: runbook.window.budget,
        planned_end: timing.planned_end,
        slack_ms: timing.slack_ms,
        critical_path: timing.critical_path,
        critical_path_duration: timing.critical_path_duration,
        ordering_notes,
        diagnostics: diags,
    }
}

/// Topological order of one phase: dependencies first, listing order as the tie-break.
fn order_phase(
    steps: &[StepPlan],
    edges: &[(usize, usize, EdgeKind)],
    rank: &[usize],
    phase: usize,
) -> Vec<usize> {
    let members: Vec<usize> = (0..steps.len())
        .filter(|&i| steps[i].phase == phase)
        .collect();
    let mut indegree: HashMap<usize, usize> = members.iter().map(|&i| (i, 0)).collect();
    let mut out: HashMap<usize, Vec<usize>> = HashMap::new();
    for &(from, to, _) in edges {
        if indegree.contains_key(&from) && indegree.contains_key(&to) {
            *indegree.entry(to).or_default() += 1;
            out.entry(from).or_default().push(to);
        }
    }
    // Ready steps come out by (barrier rank, listing position).
    let mut ready: BinaryHeap<Reverse<(usize, usize)>> = indegree
        .iter()
        .filter(|(_, d)| **d == 0)
        .map(|(&i, _)| Reverse((rank[i], i)))
        .collect();
    let mut order = Vec::with_capacity(members.len());
    while let Some(Reverse((_, i))) = ready.pop() {
        order.push(i);
        for &next in out.get(&i).map(Vec::as_slice).unwrap_or(&[]) {
            if let Some(d) = indegree.get_mut(&next) {
                *d -= 1;
                if *d == 0 {
                    ready.push(Reverse((rank[next], next)));
                }
            }
        }
    }
    order
}

/// Reports every dependency cycle with each of its edges; returns whether there were any.
fn report_cycles(
    graph: &DiGraph<usize, Loc>,
    steps: &[&crate::runbook::Step],
    file: &std::path::Path,
    diags: &mut Vec<Diagnostic>,
) -> bool {
    let mut found = false;
    for scc in petgraph::algo::tarjan_scc(graph) {
        let self_loop = scc.len() == 1 && graph.find_edge(scc[0], scc[0]).is_some();
        if scc.len() < 2 && !self_loop {
            continue;
        }
        found = true;
        let path = cycle_through(graph, &scc);
        let names: Vec<&str> = path.iter().map(|n| steps[graph[*n]].id.as_str()).collect();
        let first_edge = path
            .windows(2)
            .find_map(|w| graph.find_edge(w[0], w[1]))
            .map(|e| graph[e]);
        let mut d = Diagnostic::error(
            "dependency-cycle",
            file,
            first_edge,
            format!("dependency cycle: {}", names.join(" → ")),
        )
        .with_help(
            "a step cannot (indirectly) depend on itself: remove one of these depends_on entries",
        );
        for w in path.windows(2) {
            if let Some(e) = graph.find_edge(w[0], w[1]) {
                d = d.with_related(
                    file,
                    graph[e],
                    format!(
                        "`{}` depends on `{}`",
                        steps[graph[w[1]]].id, steps[graph[w[0]]].id
                    ),
                );
            }
        }
        diags.push(d);
    }
    found
}

/// One concrete cycle inside a strongly connected component, as a closed path.
fn cycle_through(graph: &DiGraph<usize, Loc>, scc: &[NodeIndex]) -> Vec<NodeIndex> {
    let members: BTreeSet<NodeIndex> = scc.iter().copied().collect();
    let Some(&first) = scc.iter().min_by_key(|n| graph[**n]) else {
        return Vec::new();
    };
    // Breadth-first from `first` until a node leads back to it.
    let mut parent: HashMap<NodeIndex, NodeIndex> = HashMap::new();
    let mut queue = std::collections::VecDeque::from([first]);
    while let Some(node) = queue.pop_front() {
        let mut successors: Vec<NodeIndex> = graph
            .neighbors(node)
            .filter(|n| members.contains(n))
            .collect();
        successors.sort_by_key(|n| graph[*n]);
        if successors.contains(&first) {
            let mut path = vec![first, node];
            let mut at = node;
            while let Some(&p) = parent.get(&at) {
                path.push(p);
                at = p;
            }
            // `path` is first, node, ..., first reversed: flip it into dependency order.
            path.reverse();
            if node == first {
                return vec![first, first];
            }
            return path;
        }
        for next in successors {
            if next != first && !parent.contains_key(&next) {
                parent.insert(next, node);
                queue.push_back(next);
            }
        }
    }
    vec![first]
}

/// A probe samples for its phase's whole budget once the phase's other steps are done: outside
/// a monitoring phase that holds the window there, which is rarely what the author meant.
fn probes_outside_monitoring(runbook: &Runbook, diags: &mut Vec<Diagnostic>) {
    for phase in runbook
        .phases
        .iter()
        .filter(|p| p.kind != crate::runbook::PhaseKind::Monitoring)
    {
        for step in phase
            .steps
            .iter()
            .filter(|s| matches!(s.kind, crate::runbook::StepKind::Probe(_)))
        {
            diags.push(
                Diagnostic::warning(
                    "probe-outside-monitoring",
                    &runbook.path,
                    Some(step.loc),
                    format!(
                        "probe `{}` is in {} phase `{}`: once the phase's other steps are done it samples until the phase's budget ({}) is used up, holding the window there",
                        step.id,
                        phase.kind.as_str(),
                        phase.id,
                        crate::runbook::duration::format(phase.budget)
                    ),
                )
                .with_help("move it to a phase with `kind: monitoring` (the operator can end that one early)"),
            );
        }
    }
}
