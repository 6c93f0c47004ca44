//! Which of squawk's lint rules cutover reports, and which a `breaking: true` step has
//! already answered — by squawk's own rule type, so a renamed or new rule cannot slip
//! through (or be lost) on a spelling.

use squawk_linter::Rule;

/// Rules cutover never runs.
pub const NEVER_REPORTED: [Rule; 19] = [
    // cutover sets lock and statement timeouts itself, and runs each step in its own
    // transaction (or outside one, for CONCURRENTLY).
    Rule::RequireTimeoutSettings,
    Rule::RequireLockTimeout,
    Rule::RequireStatementTimeout,
    Rule::TransactionNesting,
    Rule::BanConcurrentIndexCreationInTransaction,
    // cutover's own `undeclared-breaking` says these, once, and `breaking: true` answers it.
    Rule::BanDropColumn,
    Rule::BanDropTable,
    Rule::ChangingColumnType,
    Rule::RenamingColumn,
    Rule::RenamingTable,
    // cutover's own `drop-index` says what dropping an index costs, once.
    Rule::RequireConcurrentIndexDeletion,
    // Style: not a window-night concern.
    Rule::PreferBigintOverInt,
    Rule::PreferBigintOverSmallint,
    Rule::PreferIdentity,
    Rule::PreferTextField,
    Rule::PreferTimestampTz,
    Rule::PreferRobustStmts,
    Rule::BanCharField,
    Rule::UnusedIgnore,
];

/// Rules about changes that break clients still using the old schema: a step declaring
/// `breaking: true` has said that is intended.
pub const ANSWERED_BY_BREAKING: [Rule; 13] = [
    Rule::BanDropNotNull,
    Rule::BanDropDefault,
    Rule::BanDropConstraint,
    Rule::BanDropView,
    Rule::BanDropFunction,
    Rule::BanDropType,
    Rule::BanDropSchema,
    Rule::BanDropSequence,
    Rule::BanDropDomain,
    Rule::BanDropExtension,
    Rule::BanDropGeneratedExpression,
    Rule::RenamingObject,
    Rule::BanSetSchema,
];

/// Whether a finding of `rule` stands on a migration that does (or does not) declare
/// `breaking: true`.
pub fn reported(rule: Rule, breaking: bool) -> bool {
    let answered = breaking && ANSWERED_BY_BREAKING.contains(&rule);
    !NEVER_REPORTED.contains(&rule) && !answered
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::sql::analyze;

    fn rules(sql: &str) -> Vec<Rule> {
        analyze(sql, true)
            .findings
            .iter()
            .filter_map(|f| f.code)
            .collect()
    }

    #[test]
    fn style_rules_are_not_run_whatever_squawk_calls_them() {
        let found = rules("CREATE TABLE t (id int, at timestamp, name varchar(10), c char(2))");
        for style in [
            Rule::PreferTimestampTz,
            Rule::PreferBigintOverInt,
            Rule::PreferTextField,
            Rule::BanCharField,
        ] {
            assert!(!found.contains(&style), "{style} reported: {found:?}");
        }
    }

    #[test]
    fn breaking_answers_the_rules_about_breaking_changes_only() {
        let found =
            rules("ALTER TABLE t ALTER COLUMN c DROP NOT NULL, ALTER COLUMN d DROP DEFAULT");
        assert!(found.contains(&Rule::BanDropNotNull), "{found:?}");
        assert!(found.contains(&Rule::BanDropDefault), "{found:?}");
        assert!(!reported(Rule::BanDropNotNull, true));
        assert!(reported(Rule::BanDropNotNull, false));
        // A lock risk is not answered by declaring the change breaking.
        assert!(reported(Rule::RequireConcurrentIndexCreation, true));
    }

    #[test]
    fn the_runbook_format_names_every_rule_cutover_reports() {
        let docs = include_str!("../../docs/runbook-format.md");
        let missing: Vec<String> = enum_iterator::all::<Rule>()
            .filter(|r| !r.is_opt_in() && !NEVER_REPORTED.contains(r))
            .map(|r| r.to_string())
            .filter(|code| !docs.contains(&format!("`{code}`")))
            .collect();
        assert!(
            missing.is_empty(),
            "docs/runbook-format.md does not name: {missing:?}"
        );
        for r in ANSWERED_BY_BREAKING {
            assert!(!r.is_opt_in(), "{r} is opt-in: it is never run");
        }
    }
}
