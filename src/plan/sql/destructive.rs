//! Statements that destroy data or objects, and how far a CASCADE reaches.

use super::*;

pub(super) fn is_destructive_candidate(kind: SyntaxKind) -> bool {
    kind == SyntaxKind::ALTER_TABLE
        || kind == SyntaxKind::TRUNCATE
        || (ast::Stmt::can_cast(kind) && format!("{kind:?}").starts_with("DROP_"))
}

/// What `DROP … CASCADE` of an object of this kind can reach.
pub(super) fn cascade_reach(kind: SyntaxKind) -> &'static str {
    use SyntaxKind as K;
    match kind {
        K::DROP_INDEX => "the foreign keys on other tables that rely on its uniqueness",
        K::DROP_TABLE => "the views over it and the foreign keys in other tables that reference it",
        K::DROP_VIEW | K::DROP_MATERIALIZED_VIEW => "the views built on it",
        K::DROP_TYPE | K::DROP_DOMAIN => {
            "every column of that type, with its data, and the functions that use it"
        }
        K::DROP_SCHEMA => "every object in the schema, with its data",
        K::DROP_FUNCTION | K::DROP_PROCEDURE => "the triggers, defaults and views that call it",
        K::DROP_SEQUENCE => "the column defaults that draw from it",
        K::DROP_EXTENSION => {
            "every column, index and function that uses the extension's types or functions"
        }
        _ => "every object that depends on it",
    }
}

/// The trigger's name and table in `DROP TRIGGER` / `CREATE TRIGGER`.
pub(super) fn trigger_of(node: &SyntaxNode) -> Option<(String, String)> {
    use SyntaxKind as K;
    let name = node
        .children()
        .find(|c| matches!(c.kind(), K::TRIGGER_REF | K::TRIGGER))
        .map(|n| ast::normalize_name_node(&n))?;
    let table = node
        .children()
        .find(|c| c.kind() == K::ON_RELATION)
        .and_then(|n| path_name(&n))?;
    Some((name, table))
}

pub(super) fn destructive(node: &SyntaxNode, offset: &dyn Fn(&SyntaxNode) -> usize, acc: &mut Acc) {
    use SyntaxKind as K;
    let at = offset(node);
    if has_child(node, K::CASCADE) && node.kind() != K::TRUNCATE {
        acc.cascades.push((
            at,
            Cascade {
                statement: describe_drop(node),
                reaches: cascade_reach(node.kind()),
            },
        ));
    }
    match node.kind() {
        K::DROP_INDEX => {
            let concurrently = has_child_token(node, K::CONCURRENTLY_KW);
            for r in node.children().filter(|c| c.kind() == K::INDEX_REF) {
                if let Some(name) = path_name(&r) {
                    acc.destructive
                        .push((at, Destructive::DropIndex { name, concurrently }));
                }
            }
        }
        K::DROP_TRIGGER => match trigger_of(node) {
            Some((name, table)) => acc
                .destructive
                .push((at, Destructive::DropTrigger { name, table })),
            None => acc
                .destructive
                .push((at, Destructive::DropOther(describe_drop(node)))),
        },
        K::DROP_TABLE => {
            for r in node.children().filter(|c| c.kind() == K::TABLE_NAME_REF) {
                if let Some(name) = path_name(&r) {
                    acc.destructive.push((at, Destructive::DropTable(name)));
                }
            }
        }
        K::TRUNCATE => {
            for r in node.descendants().filter(|c| c.kind() == K::TABLE_NAME_REF) {
                if let Some(name) = path_name(&r) {
                    acc.destructive.push((at, Destructive::Truncate(name)));
                }
            }
        }
        K::ALTER_TABLE => alter_table_destructive(node, offset, acc),
        _ => acc
            .destructive
            .push((at, Destructive::DropOther(describe_drop(node)))),
    }
}

pub(super) fn alter_table_destructive(
    node: &SyntaxNode,
    offset: &dyn Fn(&SyntaxNode) -> usize,
    acc: &mut Acc,
) {
    use SyntaxKind as K;
    let Some(table) = node
        .children()
        .find(|c| c.kind() == K::TABLE_RELATION_NAME)
        .and_then(|r| path_name(&r))
    else {
        return;
    };
    let child_name = |n: &SyntaxNode, kind: SyntaxKind| {
        n.children()
            .find(|c| c.kind() == kind)
            .map(|c| ast::normalize_name_node(&c))
            .filter(|s| !s.is_empty())
    };
    for action in node.children() {
        let found = match action.kind() {
            K::DROP_COLUMN => {
                child_name(&action, K::COLUMN_NAME_REF).map(|column| Destructive::DropColumn {
                    table: table.clone(),
                    column,
                })
            }
            K::ALTER_COLUMN if has_child(&action, K::SET_TYPE) => {
                child_name(&action, K::COLUMN_NAME_REF).map(|column| {
                    Destructive::ChangeColumnType {
                        table: table.clone(),
                        column,
                    }
                })
            }
            K::RENAME_COLUMN => child_name(&action, K::COLUMN_NAME_REF)
                .zip(child_name(&action, K::COLUMN_NAME))
                .map(|(from, to)| Destructive::RenameColumn {
                    table: table.clone(),
                    from,
                    to,
                }),
            K::TABLE_RENAME_TO => action
                .children()
                .find(|c| c.kind() == K::TABLE_NAME)
                .and_then(|n| path_name(&n).map(|new| qualify_rename(&n, new)))
                .map(|to| Destructive::RenameTable {
                    from: table.clone(),
                    to,
                }),
            K::SET_SCHEMA => moved_name(&action).map(|to| Destructive::RenameTable {
                from: table.clone(),
                to,
            }),
            _ => None,
        };
        if let Some(d) = found {
            acc.destructive.push((offset(&action), d));
        }
    }
}

/// `DROP <KIND> <objects>`, without IF EXISTS / CASCADE / RESTRICT.
pub(super) fn describe_drop(node: &SyntaxNode) -> String {
    use SyntaxKind as K;
    let kind = match node.kind() {
        K::DROP_OWNED => "DROP OWNED BY".to_string(),
        _ => stmt_kind(node),
    };
    let elements: Vec<SyntaxElement> = node.children_with_tokens().collect();
    let keep = |e: &SyntaxElement| {
        e.as_node()
            .is_some_and(|n| !matches!(n.kind(), K::IF_EXISTS | K::CASCADE | K::RESTRICT))
    };
    let (Some(first), Some(last)) = (
        elements.iter().position(keep),
        elements.iter().rposition(keep),
    ) else {
        return kind;
    };
    let mut text = String::new();
    for element in elements.get(first..=last).unwrap_or_default() {
        match element {
            SyntaxElement::Node(n) => text.push_str(&n.text().to_string()),
            SyntaxElement::Token(t) => text.push_str(t.text()),
        }
    }
    let objects = text.split_whitespace().collect::<Vec<_>>().join(" ");
    format!("{kind} {objects}")
}
