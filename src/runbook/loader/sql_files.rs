//! Where a step's SQL comes from: inline, or a file under the runbook's SQL roots (found, read, and located for diagnostics).

use super::*;

/// A value written where a path or SQL may go is a path when it is one word ending in
/// `.sql` (in any case: `migrations/x.SQL` too).
pub(super) fn looks_like_sql_path(text: &str) -> bool {
    !text.trim().contains(char::is_whitespace) && has_sql_extension(text.trim())
}

pub(super) fn has_sql_extension(path: &str) -> bool {
    Path::new(path)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("sql"))
}

/// `a/b/../c` → `a/c`, without touching the file system (`..` above the start is kept).
pub(super) fn lexically_normal(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                if matches!(out.components().next_back(), Some(Component::Normal(_))) {
                    out.pop();
                } else {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// The `.sql` files directly in `dir`, sorted.
pub(super) fn sql_files_in(dir: &Path) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| e.file_name().to_str().map(str::to_owned))
                .filter(|name| has_sql_extension(name))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// The 1-based line and column (in characters) of a byte offset in bytes that may not all be
/// UTF-8.
pub(super) fn loc_of_byte(bytes: &[u8], offset: usize) -> Loc {
    let before = String::from_utf8_lossy(&bytes[..offset.min(bytes.len())]).into_owned();
    Loc {
        line: before.matches('\n').count() + 1,
        column: before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1,
        offset,
        len: 1,
    }
}

impl Ctx<'_> {
    pub(super) fn sql_of(&mut self, f: &Fields, what: &str) -> Option<SqlSource> {
        match (f.get("sql"), f.get("file")) {
            (Some(sql), None) => {
                if let Some(path) = sql.scalar_text().filter(|t| looks_like_sql_path(t)) {
                    self.error(
                        "sql-is-a-path",
                        sql.loc,
                        format!("`sql:` holds the SQL itself, but `{path}` is the name of a file"),
                        format!("write `file: {path}` to run the SQL in that file"),
                    );
                    return None;
                }
                self.inline_sql(sql, "sql")
            }
            (None, Some(file)) => {
                let path = self.string(file, "file")?;
                self.sql_file(&path, file.loc, "write the SQL in it, or remove the step")
            }
            (Some(_), Some(_)) => {
                let loc = f.key_loc("file").unwrap_or(f.loc);
                self.error(
                    "sql-and-file",
                    loc,
                    format!("a {what} step has either `sql` or `file`, not both"),
                    "keep the inline `sql`, or move it into the file and keep `file`",
                );
                None
            }
            (None, None) => {
                self.error(
                    "missing-sql",
                    f.loc,
                    format!("a {what} step needs its SQL"),
                    "add `sql: SELECT ...` inline, or `file: migrations/NNN_name.sql`",
                );
                None
            }
        }
    }

    pub(super) fn inline_sql(&mut self, node: &Node, what: &str) -> Option<SqlSource> {
        let text = self.string(node, what)?;
        // Where each character of the SQL is written (for an alias: at its anchor).
        let map = ScalarMap::new(self.text, node.written, &text);
        if !map.is_exact() {
            self.diags.push(
                Diagnostic::note(
                    "sql-position",
                    &self.file,
                    Some(node.loc),
                    format!("places inside this `{what}` cannot be traced back to the runbook exactly: problems in it are reported at its start"),
                )
                .with_help("write the SQL as a literal block (`|`) or in a file for exact places"),
            );
        }
        let first = map.locate(&text, 0, 0);
        self.hasher.update(text.as_bytes());
        Some(SqlSource {
            text,
            origin: SqlOrigin::Inline {
                loc: node.loc,
                first_line: first.line,
                column: first.column,
                map,
            },
        })
    }

    /// `sql_root: <folder>`: every SQL file must be under it (relative to the runbook's folder).
    pub(super) fn sql_root(&mut self, node: &Node) {
        let Some(written) = self.string(node, "sql_root") else {
            return;
        };
        let base = self.file.parent().unwrap_or(Path::new("")).to_path_buf();
        let root = base.join(&written);
        if !root.is_dir() {
            self.error(
                "missing-file",
                node.loc,
                format!("`sql_root` names `{written}`, which is not a folder"),
                "name the folder that holds the SQL files, relative to the runbook's folder, e.g. `sql_root: ..`",
            );
            return;
        }
        self.sql_root = Some(root);
    }

    /// The folders SQL files may be read from: the declared `sql_root`, or the runbook's
    /// folder and its parent (where `migrations/` sits beside `runbooks/`).
    pub(super) fn sql_roots(&self) -> Vec<PathBuf> {
        let base = self.file.parent().unwrap_or(Path::new("")).to_path_buf();
        let base = if base.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            base
        };
        match &self.sql_root {
            Some(root) => vec![root.clone()],
            None => vec![base.clone(), base.join("..")],
        }
    }

    /// `if_empty`: what to write instead when the file is empty.
    pub(super) fn sql_file(
        &mut self,
        written: &str,
        loc: Loc,
        if_empty: &str,
    ) -> Option<SqlSource> {
        let roots = self.sql_roots();
        let candidates: Vec<PathBuf> = roots.iter().map(|r| r.join(written)).collect();
        // Judged on absolute paths: a relative root of "" would contain `../..` too.
        let absolute = |p: &Path| {
            lexically_normal(&std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()))
        };
        let inside = |path: &Path| {
            let path = absolute(path);
            roots.iter().any(|r| path.starts_with(absolute(r)))
        };
        let tree = match &self.sql_root {
            Some(_) => "the declared `sql_root`",
            None => "the runbook's folder and its parent",
        };
        if !candidates.iter().any(|p| inside(p)) {
            // Written relative to the runbook's folder while `sql_root` is declared: the same
            // file, named from the root.
            let base = self.file.parent().unwrap_or(Path::new("")).to_path_buf();
            let from_root = roots.iter().find_map(|root| {
                let target = absolute(&base.join(written));
                let relative = target.strip_prefix(absolute(root)).ok()?;
                target.is_file().then(|| relative.display().to_string())
            });
            let help = match from_root {
                Some(relative) => format!(
                    "paths are relative to {tree}: write `file: {relative}` (or `rollback: {relative}`)"
                ),
                None => "move the file beside the runbook (e.g. into `migrations/`) and name it from there, or declare the folder that holds your SQL with `sql_root: <folder>`".to_owned(),
            };
            self.error(
                "path-outside-runbook",
                loc,
                format!(
                    "`{written}` leads outside {tree}: cutover reads SQL files only from there"
                ),
                help,
            );
            return None;
        }
        let Some(path) = candidates.iter().find(|p| inside(p) && p.exists()).cloned() else {
            self.error(
                "missing-file",
                loc,
                format!("SQL file `{written}` not found"),
                format!(
                    "create it or fix the path (looked for {}; paths are relative to {tree})",
                    candidates
                        .iter()
                        .map(|c| c.display().to_string())
                        .collect::<Vec<_>>()
                        .join(" and ")
                ),
            );
            return None;
        };
        if path.is_dir() {
            let example = sql_files_in(&path)
                .first()
                .map(|f| format!("{}/{f}", written.trim_end_matches('/')))
                .unwrap_or_else(|| format!("{}/001_change.sql", written.trim_end_matches('/')));
            self.error(
                "is-a-directory",
                loc,
                format!("`{written}` is a folder, not an SQL file"),
                format!("name one file in it, e.g. `file: {example}`"),
            );
            return None;
        }
        // Symbolic links count where they lead.
        let real_roots: Vec<PathBuf> = roots
            .iter()
            .filter_map(|r| std::fs::canonicalize(r).ok())
            .collect();
        if let Ok(real) = std::fs::canonicalize(&path)
            && !real_roots.iter().any(|r| real.starts_with(r))
        {
            self.error(
                "path-outside-runbook",
                loc,
                format!(
                    "`{written}` leads outside {tree} (a link to {}): cutover reads SQL files only from there",
                    real.display()
                ),
                "copy the file beside the runbook, or declare the folder that holds your SQL with `sql_root: <folder>`",
            );
            return None;
        }
        // Never read (and never print) what is not an SQL file.
        if !has_sql_extension(written) {
            self.error(
                "not-sql-file",
                loc,
                format!("`{written}` is not an SQL file (its name does not end in `.sql`)"),
                "name a `.sql` file; if this file holds SQL, rename it to end in `.sql`",
            );
            return None;
        }
        let what = format!("SQL file `{written}`");
        let text = match std::fs::read(&path) {
            Ok(bytes) => match encoding::decode(bytes.clone(), &what) {
                Ok(text) => text,
                Err(e) => {
                    let at = loc_of_byte(&bytes, e.offset);
                    self.error(
                        "not-utf8",
                        loc,
                        format!(
                            "{} (line {}, column {} of the file)",
                            e.message, at.line, at.column
                        ),
                        e.help,
                    );
                    return None;
                }
            },
            Err(e) => {
                self.error(
                    "unreadable",
                    loc,
                    format!("cannot read `{}`: {e}", path.display()),
                    "check that the file is readable by the user running cutover",
                );
                return None;
            }
        };
        if let Some((offset, c)) = encoding::control_characters(&text).first().copied() {
            let at = loc_of_byte(text.as_bytes(), offset);
            self.diags.push(
                Diagnostic::error(
                    "control-character",
                    &path,
                    Some(at),
                    format!(
                        "an invisible control character, {}, is written here",
                        encoding::control_name(c)
                    ),
                )
                .with_help("delete it (a terminal colour code or a stray key pasted into the file?); in a string literal, write it as an escape: E'\\x1b'"),
            );
            self.sources.insert(&path, text);
            return None;
        }
        let path = &path;
        if text.trim().is_empty() {
            self.error(
                "empty-sql",
                loc,
                format!("SQL file `{written}` is empty"),
                if_empty,
            );
            return None;
        }
        self.hasher.update(text.as_bytes());
        self.sources.insert(path, text.clone());
        Some(SqlSource {
            text,
            origin: SqlOrigin::File {
                path: path.clone(),
                loc,
            },
        })
    }
}
