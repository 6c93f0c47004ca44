//! Statements as the parser grouped them: their kind, transaction control, and what may not run inside a transaction block.

use super::*;

/// Groups top-level tokens into statements, ending each at a terminating `;`
/// (one directly under the file, a top-level statement, or a top-level error).
pub(super) fn group_statements(root: &SyntaxNode) -> Vec<Group> {
    #[derive(Default)]
    struct Builder {
        groups: Vec<Group>,
        range: Option<Range<usize>>,
        elems: Vec<SyntaxNode>,
        stray: bool,
    }
    impl Builder {
        fn feed(&mut self, token: &SyntaxToken, owner: Option<&SyntaxNode>) {
            if token.kind().is_trivia() {
                return;
            }
            let terminates = token.kind() == SyntaxKind::SEMICOLON
                && match owner {
                    None => true,
                    Some(owner) => token.parent().as_ref() == Some(owner),
                };
            if terminates {
                self.close();
                return;
            }
            let r = token.text_range();
            let (start, end) = (usize::from(r.start()), usize::from(r.end()));
            self.range = Some(match self.range.take() {
                Some(range) => range.start..end,
                None => start..end,
            });
            match owner {
                Some(owner) if self.elems.last() != Some(owner) => self.elems.push(owner.clone()),
                Some(_) => {}
                None => self.stray = true,
            }
        }
        fn close(&mut self) {
            let elems = std::mem::take(&mut self.elems);
            let stray = std::mem::take(&mut self.stray);
            if let Some(range) = self.range.take() {
                self.groups.push(Group {
                    range,
                    elems,
                    stray,
                });
            }
        }
    }

    let mut builder = Builder::default();
    for child in root.children_with_tokens() {
        match child {
            SyntaxElement::Token(token) => builder.feed(&token, None),
            SyntaxElement::Node(node) => {
                for el in node.descendants_with_tokens() {
                    if let SyntaxElement::Token(token) = el {
                        builder.feed(&token, Some(&node));
                    }
                }
            }
        }
    }
    builder.close();
    builder.groups
}

/// Short human kind of a statement node.
pub(super) fn stmt_kind(node: &SyntaxNode) -> String {
    use SyntaxKind as K;
    let first = first_token_kind(node);
    let concurrently = has_child_token(node, K::CONCURRENTLY_KW);
    let kind = match node.kind() {
        K::SELECT | K::COMPOUND_SELECT | K::PAREN_SELECT => "SELECT",
        K::SAVEPOINT_CREATE => "SAVEPOINT",
        K::COMMIT_TRANSACTION if first == Some(K::END_KW) => "END",
        K::COMMIT_TRANSACTION => "COMMIT",
        K::ROLLBACK_TRANSACTION if first == Some(K::ABORT_KW) => "ABORT",
        K::ROLLBACK_TRANSACTION => "ROLLBACK",
        K::BEGIN if first == Some(K::START_KW) => "START TRANSACTION",
        K::COMMENT_ON => "COMMENT",
        K::REFRESH => "REFRESH MATERIALIZED VIEW",
        K::DROP_TEXT_SEARCH_CONFIG => "DROP TEXT SEARCH CONFIGURATION",
        K::DROP_TEXT_SEARCH_DICT => "DROP TEXT SEARCH DICTIONARY",
        K::SET_SESSION_AUTH => "SET SESSION AUTHORIZATION",
        K::RESET_SESSION_AUTH => "RESET SESSION AUTHORIZATION",
        K::CREATE_INDEX if concurrently => "CREATE INDEX CONCURRENTLY",
        K::DROP_INDEX if concurrently => "DROP INDEX CONCURRENTLY",
        K::REINDEX if has_descendant_token(node, K::CONCURRENTLY_KW) => "REINDEX CONCURRENTLY",
        other => return format!("{other:?}").replace('_', " "),
    };
    kind.to_string()
}

pub(super) fn is_transaction_control(kind: SyntaxKind) -> bool {
    use SyntaxKind as K;
    matches!(
        kind,
        K::BEGIN
            | K::COMMIT_TRANSACTION
            | K::ROLLBACK_TRANSACTION
            | K::SAVEPOINT_CREATE
            | K::RELEASE_SAVEPOINT
            | K::ROLLBACK_TO_SAVEPOINT
            | K::PREPARE_TRANSACTION
    )
}

/// Why PostgreSQL refuses to run this statement in a transaction block, if it
/// does, plus the server version from which the restriction no longer applies.
pub(super) fn no_transaction(node: &SyntaxNode) -> (Option<&'static str>, Option<u32>) {
    use SyntaxKind as K;
    let reason = match node.kind() {
        K::CREATE_INDEX if has_child_token(node, K::CONCURRENTLY_KW) => {
            "CREATE INDEX CONCURRENTLY cannot run inside a transaction block"
        }
        K::DROP_INDEX if has_child_token(node, K::CONCURRENTLY_KW) => {
            "DROP INDEX CONCURRENTLY cannot run inside a transaction block"
        }
        K::REINDEX if has_descendant_token(node, K::CONCURRENTLY_KW) => {
            "REINDEX CONCURRENTLY cannot run inside a transaction block"
        }
        K::REINDEX
            if has_child(node, K::REINDEX_TARGET_SCHEMA)
                || has_child(node, K::REINDEX_TARGET_DATABASE)
                || has_child(node, K::REINDEX_TARGET_SYSTEM) =>
        {
            "REINDEX SCHEMA/DATABASE/SYSTEM cannot run inside a transaction block"
        }
        K::VACUUM => "VACUUM cannot run inside a transaction block",
        K::CREATE_DATABASE => "CREATE DATABASE cannot run inside a transaction block",
        K::DROP_DATABASE => "DROP DATABASE cannot run inside a transaction block",
        K::ALTER_DATABASE if has_child(node, K::SET_TABLESPACE) => {
            "ALTER DATABASE ... SET TABLESPACE cannot run inside a transaction block"
        }
        K::ALTER_SYSTEM => "ALTER SYSTEM cannot run inside a transaction block",
        K::CREATE_TABLESPACE => "CREATE TABLESPACE cannot run inside a transaction block",
        K::DROP_TABLESPACE => "DROP TABLESPACE cannot run inside a transaction block",
        K::ALTER_TABLE
            if node
                .descendants()
                .any(|n| n.kind() == K::DETACH_CONCURRENTLY) =>
        {
            "ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY cannot run inside a transaction block"
        }
        K::CLUSTER
            if !has_child(node, K::TABLE_NAME_REF) && !has_child(node, K::CLUSTER_LEGACY) =>
        {
            "CLUSTER without a table name cannot run inside a transaction block"
        }
        K::ALTER_TYPE if has_child(node, K::ADD_VALUE) => {
            return (
                Some(
                    "ALTER TYPE ... ADD VALUE cannot run inside a transaction block before \
                     PostgreSQL 12 (from 12 on, the new value is unusable until commit)",
                ),
                Some(120_000),
            );
        }
        K::CREATE_SUBSCRIPTION
            if !option_is_false(node, "create_slot") && !option_is_false(node, "connect") =>
        {
            "CREATE SUBSCRIPTION that creates a replication slot cannot run inside a transaction block"
        }
        K::DROP_SUBSCRIPTION => {
            "DROP SUBSCRIPTION cannot run inside a transaction block when it drops a replication slot"
        }
        K::ALTER_SUBSCRIPTION
            if has_child(node, K::REFRESH_PUBLICATION)
                || (has_descendant_token(node, K::PUBLICATION_KW)
                    && !option_is_false(node, "refresh")) =>
        {
            "ALTER SUBSCRIPTION ... REFRESH PUBLICATION cannot run inside a transaction block"
        }
        K::COMMIT_PREPARED => "COMMIT PREPARED cannot run inside a transaction block",
        K::ROLLBACK_PREPARED => "ROLLBACK PREPARED cannot run inside a transaction block",
        K::DO if do_block_ends_transactions(node) => {
            "a DO block that runs COMMIT or ROLLBACK cannot run inside a transaction block"
        }
        _ => return (None, None),
    };
    (Some(reason), None)
}

pub(super) fn do_block_ends_transactions(node: &SyntaxNode) -> bool {
    use SyntaxKind as K;
    let Some(body) = ast::Do::cast(node.clone()).and_then(|d| d.plpgsql()) else {
        return false;
    };
    body.syntax().descendants().any(|n| {
        matches!(
            n.kind(),
            K::PLPGSQL_COMMIT_STMT
                | K::PLPGSQL_ROLLBACK_STMT
                | K::COMMIT_TRANSACTION
                | K::ROLLBACK_TRANSACTION
        )
    })
}

/// Whether a `WITH (name = false|off|0)` style option is present.
pub(super) fn option_is_false(node: &SyntaxNode, name: &str) -> bool {
    node.descendants()
        .filter(|n| n.kind() == SyntaxKind::ATTRIBUTE_OPTION)
        .any(|opt| {
            let named = opt
                .children()
                .find(|c| c.kind() == SyntaxKind::ATTRIBUTE_NAME)
                .is_some_and(|c| c.text().to_string().trim().eq_ignore_ascii_case(name));
            let value = opt
                .children()
                .find(|c| c.kind() == SyntaxKind::ATTRIBUTE_VALUE)
                .map(|c| {
                    c.text()
                        .to_string()
                        .trim()
                        .trim_matches('\'')
                        .to_ascii_lowercase()
                });
            named && matches!(value.as_deref(), Some("false" | "off" | "0" | "no"))
        })
}

pub(super) fn first_token_kind(node: &SyntaxNode) -> Option<SyntaxKind> {
    node.descendants_with_tokens()
        .filter_map(SyntaxElement::into_token)
        .find(|t| !t.kind().is_trivia())
        .map(|t| t.kind())
}

pub(super) fn has_child(node: &SyntaxNode, kind: SyntaxKind) -> bool {
    node.children().any(|c| c.kind() == kind)
}

pub(super) fn has_child_token(node: &SyntaxNode, kind: SyntaxKind) -> bool {
    node.children_with_tokens()
        .any(|c| c.as_token().is_some_and(|t| t.kind() == kind))
}

pub(super) fn has_descendant_token(node: &SyntaxNode, kind: SyntaxKind) -> bool {
    node.descendants_with_tokens()
        .any(|c| c.as_token().is_some_and(|t| t.kind() == kind))
}
