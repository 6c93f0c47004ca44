//! Which tables and objects a statement reads, writes or locks: the scan behind conflict analysis.

use super::*;

/// Collects table accesses and destructive operations under `root`; `offset`
/// maps a node to its byte offset in the original input.
pub(super) fn scan(
    root: &SyntaxNode,
    offset: &dyn Fn(&SyntaxNode) -> usize,
    acc: &mut Acc,
    depth: u8,
) {
    use SyntaxKind as K;
    for node in root.descendants() {
        match node.kind() {
            K::TABLE_NAME_REF | K::RELATION_NAME_REF | K::TABLE_NAME | K::VIEW | K::VIEW_REF => {
                let Some(name) = path_name(&node).map(|name| qualify_rename(&node, name)) else {
                    continue;
                };
                match classify(&node, &name) {
                    Some(Access::Read) => {
                        acc.reads.insert(name);
                    }
                    Some(Access::Write) => {
                        acc.writes.insert(name);
                    }
                    None => {}
                }
            }
            K::DO if depth < MAX_BODY_DEPTH => {
                // PL/pgSQL parse errors are not reported: squawk's PL/pgSQL
                // grammar is incomplete (it rejects `SELECT ... INTO`, for one).
                if let Some(body) = ast::Do::cast(node.clone()).and_then(|d| d.plpgsql()) {
                    let map =
                        |n: &SyntaxNode| usize::from(body.source_range(n.text_range()).start());
                    scan(&body.syntax(), &map, acc, depth + 1);
                }
            }
            K::CREATE_TRIGGER => {
                if let Some((name, table)) = trigger_of(&node) {
                    acc.created_triggers.push((offset(&node), name, table));
                }
            }
            K::CREATE_TABLE | K::CREATE_TABLE_AS => {
                if let Some(name) = node
                    .children()
                    .find(|c| matches!(c.kind(), K::PATH | K::TABLE_NAME))
                    .and_then(|n| path_name(&n))
                {
                    acc.created_tables.push((offset(&node), name));
                }
            }
            K::UPDATE | K::DELETE
                if !node
                    .children()
                    .any(|c| matches!(c.kind(), K::WHERE_CLAUSE | K::WHERE_CURRENT_OF)) =>
            {
                let verb = if node.kind() == K::UPDATE {
                    "updates"
                } else {
                    "deletes"
                };
                if let Some(table) = node
                    .children()
                    .find(|c| c.kind() == K::RELATION_NAME)
                    .and_then(|n| path_name(&n))
                {
                    acc.whole_table_writes.push((offset(&node), verb, table));
                }
            }
            K::CREATE_EXTENSION => {
                if let Some(name) = node
                    .children()
                    .find(|c| c.kind() == K::EXTENSION)
                    .map(|n| ast::normalize_name_node(&n))
                {
                    acc.extensions.push((offset(&node), name));
                }
            }
            K::SET_SCHEMA if !is_deferred(&node) => {
                // The relation reappears under its new schema.
                if let Some(new) = moved_name(&node) {
                    acc.writes.insert(new);
                }
            }
            _ => {}
        }
        if is_destructive_candidate(node.kind()) && !is_deferred(&node) {
            destructive(&node, offset, acc);
        }
    }
}

/// Dotted, normalised name of a table-like reference or definition.
pub(super) fn path_name(node: &SyntaxNode) -> Option<String> {
    let parts: Vec<String> = node
        .descendants()
        .filter(|n| {
            matches!(
                n.kind(),
                SyntaxKind::PATH_SEGMENT_REF | SyntaxKind::PATH_SEGMENT
            )
        })
        .map(|n| ast::normalize_name_node(&n))
        .collect();
    if parts.is_empty() || parts.iter().any(String::is_empty) {
        return None;
    }
    Some(parts.join("."))
}

/// Name of the relation an ALTER statement targets.
pub(super) fn alter_target(stmt: &SyntaxNode) -> Option<String> {
    use SyntaxKind as K;
    stmt.children()
        .find(|c| {
            matches!(
                c.kind(),
                K::TABLE_RELATION_NAME | K::TABLE_NAME_REF | K::RELATION_NAME_REF | K::VIEW_REF
            )
        })
        .and_then(|c| path_name(&c))
}

/// `RENAME TO new` keeps the schema: qualify `new` like the renamed relation.
pub(super) fn qualify_rename(node: &SyntaxNode, name: String) -> String {
    use SyntaxKind as K;
    let Some(parent) = node.parent() else {
        return name;
    };
    if name.contains('.') || !matches!(parent.kind(), K::TABLE_RENAME_TO | K::VIEW_RENAME_TO) {
        return name;
    }
    match parent
        .parent()
        .and_then(|stmt| alter_target(&stmt))
        .and_then(|old| old.rsplit_once('.').map(|(schema, _)| schema.to_string()))
    {
        Some(schema) => format!("{schema}.{name}"),
        None => name,
    }
}

/// New name of a relation moved by `SET SCHEMA`.
pub(super) fn moved_name(set_schema: &SyntaxNode) -> Option<String> {
    let schema = set_schema
        .children()
        .find(|c| c.kind() == SyntaxKind::SCHEMA_REF)
        .map(|c| ast::normalize_name_node(&c))
        .filter(|s| !s.is_empty())?;
    let old = alter_target(&set_schema.parent()?)?;
    let base = old.rsplit_once('.').map_or(old.as_str(), |(_, base)| base);
    Some(format!("{schema}.{base}"))
}

/// Whether an unqualified `name` at `node` refers to a CTE in scope.
pub(super) fn is_cte(node: &SyntaxNode, name: &str) -> bool {
    use SyntaxKind as K;
    !name.contains('.')
        && node.ancestors().any(|a| {
            a.children()
                .filter(|c| c.kind() == K::WITH_CLAUSE)
                .flat_map(|w| w.children())
                .filter(|t| t.kind() == K::WITH_TABLE)
                .flat_map(|t| t.children())
                .filter(|n| n.kind() == K::CTE_NAME)
                .any(|n| ast::normalize_name_node(&n) == name)
        })
}

/// Whether `node` is read or written by executing its statement.
pub(super) fn classify(node: &SyntaxNode, name: &str) -> Option<Access> {
    use SyntaxKind as K;
    let parent = node.parent()?;
    let grandparent = parent.parent();
    let from_item = matches!(parent.kind(), K::RELATION_FROM_ITEM)
        || (parent.kind() == K::RELATION_NAME
            && grandparent.as_ref().is_some_and(|g| g.kind() == K::TABLE));
    if from_item && is_cte(node, name) {
        return None;
    }
    if is_deferred(node) {
        return Some(Access::Read);
    }
    if from_item {
        return Some(Access::Read);
    }
    if matches!(node.kind(), K::TABLE_NAME | K::VIEW | K::VIEW_REF) {
        return Some(Access::Write);
    }
    let access = match parent.kind() {
        K::REFERENCES_CONSTRAINT | K::FOREIGN_KEY_CONSTRAINT | K::LIKE_CLAUSE => Access::Read,
        K::COPY_TABLE => match grandparent {
            Some(copy) if has_child(&copy, K::COPY_FROM) => Access::Write,
            _ => Access::Read,
        },
        K::TABLE_RELATION_NAME
            if grandparent
                .as_ref()
                .is_some_and(|g| g.kind() == K::TABLE_AND_COLUMNS) =>
        {
            let full = node
                .ancestors()
                .find(|a| a.kind() == K::VACUUM)
                .is_some_and(|v| has_descendant_token(&v, K::FULL_KW));
            if full { Access::Write } else { Access::Read }
        }
        _ => Access::Write,
    };
    Some(access)
}

/// Whether `node` sits in SQL that is stored rather than executed now (SQL
/// function bodies, rule actions, PREPARE, EXPLAIN without ANALYZE).
pub(super) fn is_deferred(node: &SyntaxNode) -> bool {
    use SyntaxKind as K;
    node.ancestors().any(|a| match a.kind() {
        K::ATOMIC_BODY | K::RULE_DO => true,
        kind if ast::Stmt::can_cast(kind) => a.parent().is_some_and(|p| match p.kind() {
            K::PREPARE => true,
            K::EXPLAIN => !explain_executes(&p),
            _ => false,
        }),
        _ => false,
    })
}

pub(super) fn explain_executes(explain: &SyntaxNode) -> bool {
    use SyntaxKind as K;
    if has_child(explain, K::EXPLAIN_ANALYZE) {
        return true;
    }
    explain
        .children()
        .filter(|c| c.kind() == K::EXPLAIN_OPTION_LIST)
        .flat_map(|list| list.children())
        .filter(|o| o.kind() == K::EXPLAIN_OPTION)
        .any(|opt| {
            let is_analyze = opt
                .children()
                .find(|c| c.kind() == K::EXPLAIN_OPTION_NAME)
                .is_some_and(|c| {
                    let t = c.text().to_string().to_ascii_lowercase();
                    t == "analyze" || t == "analyse"
                });
            let off = opt
                .children()
                .find(|c| c.kind() == K::EXPLAIN_OPTION_VALUE)
                .is_some_and(|c| {
                    let t = c.text().to_string().trim().to_ascii_lowercase();
                    matches!(t.as_str(), "false" | "off" | "0" | "no")
                });
            is_analyze && !off
        })
}
