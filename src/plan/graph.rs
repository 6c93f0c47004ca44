//! Rendering the dependency graph as text, Graphviz dot or Mermaid.

use super::{EdgeKind, Plan};
use crate::runbook::Runbook;
use std::fmt::Write;

/// Every edge to draw: in-phase edges from the plan plus explicit cross-phase dependencies.
fn all_edges(runbook: &Runbook, plan: &Plan) -> Vec<(usize, usize, EdgeKind)> {
    let mut edges = plan.edges.clone();
    for (to, step) in plan.steps.iter().enumerate() {
        for dep in &step.depends_on {
            if let Some(from) = plan.steps.iter().position(|s| &s.id == dep)
                && plan.steps[from].phase != step.phase
            {
                edges.push((from, to, EdgeKind::Explicit));
            }
        }
    }
    let _ = runbook;
    edges
}

fn marker(plan: &Plan, i: usize) -> String {
    let step = &plan.steps[i];
    let mut out = step.kind.to_owned();
    if step.breaking {
        out.push_str(", breaking");
    }
    if step.in_transaction == Some(false) && step.kind == "migrate" {
        out.push_str(", no transaction");
    }
    out
}

/// Each step's layer in its phase: the longest chain of in-phase dependencies before it
/// (0: waits for nothing in the phase).
pub fn depths(plan: &Plan) -> Vec<usize> {
    let mut parents: Vec<Vec<usize>> = vec![Vec::new(); plan.steps.len()];
    for &(from, to, _) in &plan.edges {
        if plan.steps[from].phase == plan.steps[to].phase {
            parents[to].push(from);
        }
    }
    let mut depth = vec![0usize; plan.steps.len()];
    for phase in &plan.phases {
        // `order` is the execution order: every step's dependencies come first.
        for &i in &phase.order {
            depth[i] = parents[i]
                .iter()
                .map(|&from| depth[from] + 1)
                .max()
                .unwrap_or(0);
        }
    }
    depth
}

/// The graph as text, phase by phase in layers: what can run at once is one layer, so a
/// diamond reads as 1, 2, 1 — the shape, not a flat list.
pub fn text(runbook: &Runbook, plan: &Plan) -> String {
    let mut out = String::new();
    let depth = depths(plan);
    for (p, phase) in plan.phases.iter().enumerate() {
        let _ = writeln!(
            out,
            "{} ({}, parallel {})",
            phase.id, phase.kind, phase.parallel
        );
        let mut layered = phase.order.clone();
        layered.sort_by_key(|&i| depth[i]);
        let mut layer = None;
        for &i in &layered {
            if layer != Some(depth[i]) {
                layer = Some(depth[i]);
                let width = layered.iter().filter(|&&j| depth[j] == depth[i]).count();
                let _ = writeln!(
                    out,
                    "  layer {}{}",
                    depth[i] + 1,
                    if width > 1 {
                        format!(" ({width} independent)")
                    } else {
                        String::new()
                    }
                );
            }
            let step = &plan.steps[i];
            let waits: Vec<String> = plan
                .edges
                .iter()
                .filter(|(_, to, _)| *to == i)
                .map(|(from, _, kind)| match kind {
                    EdgeKind::Explicit => plan.steps[*from].id.clone(),
                    EdgeKind::Barrier => format!("{} (gate)", plan.steps[*from].id),
                })
                .collect();
            let earlier: Vec<&String> = step
                .depends_on
                .iter()
                .filter(|d| plan.step(d).is_some_and(|s| s.phase != p))
                .collect();
            let glyph = if step.kind == "checkpoint" {
                "◆"
            } else {
                "●"
            };
            let _ = write!(out, "    {glyph} {} [{}]", step.id, marker(plan, i));
            if !waits.is_empty() {
                let _ = write!(out, " ← {}", waits.join(", "));
            }
            if !earlier.is_empty() {
                let shown: Vec<&str> = earlier.iter().map(|s| s.as_str()).collect();
                let _ = write!(out, " (after earlier phase: {})", shown.join(", "));
            }
            out.push('\n');
        }
    }
    let _ = runbook;
    out
}

fn dot_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

pub fn dot(runbook: &Runbook, plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "digraph \"{}\" {{", dot_escape(&runbook.name));
    let _ = writeln!(
        out,
        "  rankdir=TB;\n  compound=true;\n  node [fontname=\"Helvetica\", fontsize=10];"
    );
    for (p, phase) in plan.phases.iter().enumerate() {
        let _ = writeln!(out, "  subgraph \"cluster_{p}\" {{");
        let _ = writeln!(
            out,
            "    label=\"{} ({})\";",
            dot_escape(&phase.id),
            phase.kind
        );
        for &i in &phase.order {
            let step = &plan.steps[i];
            let shape = match step.kind {
                "checkpoint" => "diamond",
                "manual" => "parallelogram",
                "check" => "ellipse",
                "probe" => "octagon",
                "command" => "component",
                _ => "box",
            };
            let style = if step.breaking {
                ", color=red, penwidth=2"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "    \"n{i}\" [label=\"{}\\n{}\", shape={shape}{style}];",
                dot_escape(&step.id),
                dot_escape(&marker(plan, i))
            );
        }
        let _ = writeln!(out, "  }}");
    }
    for (from, to, kind) in all_edges(runbook, plan) {
        let style = match kind {
            EdgeKind::Explicit => "",
            EdgeKind::Barrier => " [style=dashed, color=gray40]",
        };
        let _ = writeln!(out, "  \"n{from}\" -> \"n{to}\"{style};");
    }
    out.push_str("}\n");
    out
}

fn mermaid_escape(s: &str) -> String {
    s.replace('"', "#quot;")
}

pub fn mermaid(runbook: &Runbook, plan: &Plan) -> String {
    let mut out = String::from("flowchart TD\n");
    for (p, phase) in plan.phases.iter().enumerate() {
        let _ = writeln!(
            out,
            "  subgraph phase{p}[\"{} ({})\"]",
            mermaid_escape(&phase.id),
            phase.kind
        );
        for &i in &phase.order {
            let step = &plan.steps[i];
            let label = format!(
                "{}<br/>{}",
                mermaid_escape(&step.id),
                mermaid_escape(&marker(plan, i))
            );
            let node = match step.kind {
                "checkpoint" => format!("n{i}{{\"{label}\"}}"),
                "check" | "probe" => format!("n{i}([\"{label}\"])"),
                _ => format!("n{i}[\"{label}\"]"),
            };
            let _ = writeln!(out, "    {node}");
        }
        out.push_str("  end\n");
    }
    for (from, to, kind) in all_edges(runbook, plan) {
        let arrow = match kind {
            EdgeKind::Explicit => "-->",
            EdgeKind::Barrier => "-.->",
        };
        let _ = writeln!(out, "  n{from} {arrow} n{to}");
    }
    out
}
