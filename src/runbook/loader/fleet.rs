//! A fleet file: the runbook, the databases it runs on, and the waves they go in — read with
//! the same span-accurate diagnostics as a runbook.

use super::*;
use crate::fleet::{Fleet, OnError, Target, Targets, Wave};
use std::collections::BTreeMap;

/// A fleet file, read.
pub struct LoadedFleet {
    pub fleet: Option<Fleet>,
    pub diagnostics: Vec<Diagnostic>,
    pub sources: Sources,
}

const EXAMPLE: &str = "name: tenants\nrunbook: tenant.yaml\ntargets:\n  - name: acme\n    url: postgres://app@db1/acme\nwaves:\n  - name: canary\n    size: 1\n  - name: rest\n    concurrency: 8";

pub fn load_fleet(path: &Path) -> LoadedFleet {
    load_fleet_with(path, None)
}

/// A fleet file whose databases come from `targets` when given (`cutover fleet --targets
/// FILE`): that file holds the list a fleet's `targets:` would (a YAML list, or a map with
/// `targets:`), and replaces the fleet file's own.
pub fn load_fleet_with(path: &Path, targets: Option<&Path>) -> LoadedFleet {
    let unreadable = |path: &Path, what: &str, e: std::io::Error| LoadedFleet {
        fleet: None,
        diagnostics: vec![Diagnostic::error(
            "unreadable",
            path,
            None,
            format!("cannot read the {what}: {e}"),
        )],
        sources: Sources::default(),
    };
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => return unreadable(path, "fleet file", e),
    };
    let Some(targets_path) = targets else {
        return load_fleet_text(path, &text);
    };
    let targets_text = match std::fs::read_to_string(targets_path) {
        Ok(text) => text,
        Err(e) => return unreadable(targets_path, "targets file", e),
    };
    let mut loaded = load(path, &text, true);
    let listed = load_targets_text(targets_path, &targets_text);
    loaded.diagnostics.extend(listed.diagnostics);
    loaded.sources.insert(targets_path, targets_text);
    loaded.fleet = match (loaded.fleet, listed.targets) {
        (Some(fleet), Some(list)) => Some(Fleet {
            targets: Targets::Listed(list),
            ..fleet
        }),
        _ => None,
    };
    loaded
}

/// A targets file's databases, with diagnostics pointing into it.
struct LoadedTargets {
    targets: Option<Vec<Target>>,
    diagnostics: Vec<Diagnostic>,
}

fn load_targets_text(path: &Path, text: &str) -> LoadedTargets {
    let lookup = |_: &str| None;
    let mut ctx = Ctx {
        file: path.to_path_buf(),
        text,
        diags: Vec::new(),
        sources: Sources::default(),
        env: &lookup,
        hasher: Sha256::new(),
        window_start_written: false,
        sql_root: None,
        comment_values: std::collections::HashSet::new(),
    };
    let targets = match yaml::parse(text) {
        // The list itself, or a map holding it under `targets`.
        Ok(doc) => match &doc.value {
            Value::Seq(_) => ctx.targets(&doc),
            _ => {
                let example = "targets:\n  - url: postgres://app@db1/acme";
                match ctx.fields(&doc, "a targets file", &["targets"], example) {
                    Some(f) => match f.get("targets") {
                        Some(list) => ctx.targets(list),
                        None => {
                            ctx.error(
                                "missing-key",
                                f.loc,
                                "a targets file lists databases: a list, or `targets:` with one",
                                format!("write, for example:\n{example}"),
                            );
                            None
                        }
                    },
                    None => None,
                }
            }
        },
        Err(e) => {
            ctx.diags.push(
                Diagnostic::error("yaml-syntax", path, Some(e.loc), e.message.clone())
                    .with_help("fix the YAML syntax here"),
            );
            None
        }
    };
    let failed = ctx
        .diags
        .iter()
        .any(|d| d.level == crate::diag::Level::Error);
    LoadedTargets {
        targets: if failed { None } else { targets },
        diagnostics: ctx.diags,
    }
}

pub fn load_fleet_text(path: &Path, text: &str) -> LoadedFleet {
    load(path, text, false)
}

/// `external_targets`: the databases come from elsewhere (`--targets`): the fleet file
/// need not list them.
fn load(path: &Path, text: &str, external_targets: bool) -> LoadedFleet {
    let lookup = |_: &str| None;
    let mut ctx = Ctx {
        file: path.to_path_buf(),
        text,
        diags: Vec::new(),
        sources: Sources::default(),
        env: &lookup,
        hasher: Sha256::new(),
        window_start_written: false,
        sql_root: None,
        comment_values: std::collections::HashSet::new(),
    };
    ctx.sources.insert(path, text.to_owned());
    let fleet = match yaml::parse(text) {
        Ok(doc) => ctx.fleet(&doc, path, external_targets),
        Err(e) => {
            ctx.diags.push(
                Diagnostic::error("yaml-syntax", path, Some(e.loc), e.message.clone())
                    .with_help("fix the YAML syntax here"),
            );
            None
        }
    };
    let failed = ctx
        .diags
        .iter()
        .any(|d| d.level == crate::diag::Level::Error);
    LoadedFleet {
        fleet: if failed { None } else { fleet },
        diagnostics: ctx.diags,
        sources: ctx.sources,
    }
}

impl Ctx<'_> {
    fn fleet(&mut self, doc: &Node, path: &Path, external_targets: bool) -> Option<Fleet> {
        const KEYS: [&str; 5] = ["name", "runbook", "targets", "targets_from", "waves"];
        let f = self.fields(doc, "a fleet file", &KEYS, EXAMPLE)?;
        let name = self
            .require(&f, "name", "a fleet file", "tenants")
            .and_then(|n| self.identifier(n, "fleet name"));
        let runbook = self
            .require(&f, "runbook", "a fleet file", "tenant.yaml")
            .and_then(|n| self.string(n, "runbook"))
            .map(|r| path.parent().unwrap_or(Path::new(".")).join(r));
        let targets = match (f.get("targets"), f.get("targets_from")) {
            // Replaced by the targets file.
            _ if external_targets => Some(Targets::Listed(Vec::new())),
            (Some(list), None) => self.targets(list).map(Targets::Listed),
            (None, Some(query)) => self.targets_from(query),
            (Some(_), Some(_)) => {
                self.error(
                    "targets-twice",
                    f.key_loc("targets_from").unwrap_or(f.loc),
                    "a fleet lists its `targets` or finds them with `targets_from`, not both",
                    "keep one of them",
                );
                None
            }
            (None, None) => {
                self.error(
                    "missing-key",
                    f.loc,
                    "a fleet file needs its databases: `targets` (a list) or `targets_from` (a query)",
                    "add `targets:` with `- name: …` / `url: …` entries, or `targets_from: { server: <url>, sql: SELECT datname FROM pg_database WHERE … }`",
                );
                None
            }
        };
        let waves = self
            .require(
                &f,
                "waves",
                "a fleet file",
                "[{ name: canary, size: 1 }, { name: rest }]",
            )
            .and_then(|n| self.waves(n));
        Some(Fleet {
            name: name?,
            path: path.to_path_buf(),
            runbook: runbook?,
            targets: targets?,
            waves: waves?,
        })
    }

    fn url(&mut self, node: &Node, what: &str) -> Option<String> {
        let url = self.string(node, what)?;
        if has_literal_password(&url) {
            self.error(
                "literal-password",
                node.loc,
                format!("`{what}` holds a password: it would end up in files and logs"),
                "leave it out (~/.pgpass or PGPASSWORD), or write `${PGPASSWORD}`",
            );
            return None;
        }
        Some(url)
    }

    fn targets(&mut self, node: &Node) -> Option<Vec<Target>> {
        const KEYS: [&str; 3] = ["name", "url", "labels"];
        let Value::Seq(items) = &node.value else {
            self.error(
                "wrong-type",
                node.loc,
                format!(
                    "`targets` is a list of databases, found {}",
                    node.value.kind()
                ),
                "write `- name: acme` / `url: postgres://app@db1/acme` entries",
            );
            return None;
        };
        let mut out: Vec<Target> = Vec::new();
        let mut ok = true;
        for item in items {
            let Some(f) = self.fields(
                item,
                "a target",
                &KEYS,
                "name: acme\nurl: postgres://app@db1/acme",
            ) else {
                ok = false;
                continue;
            };
            let url = self
                .require(&f, "url", "a target", "postgres://app@db1/acme")
                .and_then(|n| self.url(n, "url"));
            let name = match f.get("name") {
                Some(n) => self.identifier(n, "target name"),
                // Its database name, by default.
                None => url
                    .as_deref()
                    .and_then(|u| u.rsplit('/').next())
                    .map(|db| db.split('?').next().unwrap_or(db).to_owned()),
            };
            let labels = match f.get("labels") {
                Some(n) => self.labels(n),
                None => Some(BTreeMap::new()),
            };
            match (name, url, labels) {
                (Some(name), Some(url), Some(labels)) => {
                    if out.iter().any(|t| t.name == name) {
                        self.error(
                            "duplicate-target",
                            item.loc,
                            format!("target `{name}` is listed twice"),
                            "give each database one entry (and its own `name`)",
                        );
                        ok = false;
                        continue;
                    }
                    out.push(Target { name, url, labels });
                }
                _ => ok = false,
            }
        }
        if out.is_empty() && ok {
            self.error(
                "no-targets",
                node.loc,
                "`targets` lists no database",
                "list at least one: `- name: acme` / `url: postgres://app@db1/acme`",
            );
            return None;
        }
        ok.then_some(out)
    }

    fn labels(&mut self, node: &Node) -> Option<BTreeMap<String, String>> {
        let Value::Map(entries) = &node.value else {
            self.error(
                "wrong-type",
                node.loc,
                format!("`labels` are words by name, found {}", node.value.kind()),
                "write them as a mapping, e.g. `labels: { region: eu, tier: gold }`",
            );
            return None;
        };
        let mut out = BTreeMap::new();
        for (k, v) in entries {
            let key = self.string(k, "label")?;
            let value = self.string(v, &key)?;
            out.insert(key, value);
        }
        Some(out)
    }

    fn targets_from(&mut self, node: &Node) -> Option<Targets> {
        const KEYS: [&str; 2] = ["server", "sql"];
        let f = self.fields(
            node,
            "`targets_from`",
            &KEYS,
            "server: postgres://app@db1/postgres\nsql: SELECT datname FROM pg_database WHERE datname LIKE 'tenant_%' ORDER BY 1",
        )?;
        let server = self
            .require(
                &f,
                "server",
                "`targets_from`",
                "postgres://app@db1/postgres",
            )
            .and_then(|n| self.url(n, "server"));
        let sql = self
            .require(
                &f,
                "sql",
                "`targets_from`",
                "SELECT datname FROM pg_database WHERE datname LIKE 'tenant_%'",
            )
            .and_then(|n| self.string(n, "sql"));
        Some(Targets::Query {
            server: server?,
            sql: sql?,
        })
    }

    fn waves(&mut self, node: &Node) -> Option<Vec<Wave>> {
        const KEYS: [&str; 5] = ["name", "size", "labels", "concurrency", "on_error"];
        let Value::Seq(items) = &node.value else {
            self.error(
                "wrong-type",
                node.loc,
                format!("`waves` is a list, found {}", node.value.kind()),
                format!("write the waves in order, for example:\n{EXAMPLE}"),
            );
            return None;
        };
        let mut out: Vec<Wave> = Vec::new();
        let mut ok = true;
        for (k, item) in items.iter().enumerate() {
            let Some(f) = self.fields(item, "a wave", &KEYS, "name: canary\nsize: 1") else {
                ok = false;
                continue;
            };
            let name = match f.get("name") {
                Some(n) => self.identifier(n, "wave name"),
                None => Some(if k == 0 {
                    "canary".to_owned()
                } else {
                    format!("wave-{k}")
                }),
            };
            let size = f
                .get("size")
                .map(|n| self.count(n, "size", 1).map(|c| c as usize));
            let labels = match f.get("labels") {
                Some(n) => self.labels(n),
                None => Some(BTreeMap::new()),
            };
            let concurrency = f
                .get("concurrency")
                .and_then(|n| self.count(n, "concurrency", 1))
                .unwrap_or(1) as usize;
            let on_error = match f.get("on_error") {
                Some(n) => self.one_of(
                    n,
                    "on_error",
                    &[
                        ("halt", OnError::Halt),
                        ("continue", OnError::Continue),
                        ("rollback-wave", OnError::RollbackWave),
                    ],
                ),
                None => Some(OnError::Halt),
            };
            // Every wave but the last takes a number of databases; the last may take the rest.
            if size.is_none() && k + 1 < items.len() {
                self.error(
                    "wave-size",
                    item.loc,
                    "only the last wave may leave out its `size` (it takes the rest)",
                    "give this wave a `size:`, or make it the last",
                );
                ok = false;
                continue;
            }
            match (name, size.unwrap_or(Some(0)), labels, on_error) {
                (Some(name), Some(_), Some(labels), Some(on_error)) => {
                    if out.iter().any(|w| w.name == name) {
                        self.error(
                            "duplicate-wave",
                            item.loc,
                            format!("wave `{name}` is named twice"),
                            "give each wave its own name",
                        );
                        ok = false;
                        continue;
                    }
                    out.push(Wave {
                        name,
                        size: size.flatten(),
                        labels,
                        concurrency,
                        on_error,
                    });
                }
                _ => ok = false,
            }
        }
        if out.is_empty() && ok {
            self.error(
                "no-waves",
                node.loc,
                "`waves` is empty",
                format!("start with a canary, for example:\n{EXAMPLE}"),
            );
            return None;
        }
        ok.then_some(out)
    }
}
