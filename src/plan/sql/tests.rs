use super::*;

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn texts(sql: &str) -> Vec<String> {
    split_statements(sql).into_iter().map(|s| s.text).collect()
}

fn kinds(sql: &str) -> Vec<String> {
    split_statements(sql).into_iter().map(|s| s.kind).collect()
}

fn ok(sql: &str) -> Analysis {
    let a = analyze(sql, false);
    assert!(a.errors.is_empty(), "unexpected errors: {:?}", a.errors);
    a
}

// ---- splitting ----

#[test]
fn splits_simple_statements_and_trims() {
    let sql = "  select 1 ;\n\n-- comment\ninsert into t values (1);  select 2";
    let stmts = split_statements(sql);
    assert_eq!(stmts.len(), 3);
    assert_eq!(stmts[0].text, "select 1");
    assert_eq!(&sql[stmts[0].range.clone()], "select 1");
    assert_eq!(stmts[1].text, "insert into t values (1)");
    assert_eq!(stmts[2].text, "select 2");
    assert_eq!(stmts[2].range.end, sql.len());
}

#[test]
fn splits_respecting_strings_and_comments() {
    let sql = "select 'a;b', E'it\\'s;' as x; -- c; d\nselect /* x; /* nested; */ y; */ 2; \
               select \"we;ird\" from t";
    assert_eq!(
        texts(sql),
        vec![
            "select 'a;b', E'it\\'s;' as x",
            "select /* x; /* nested; */ y; */ 2",
            "select \"we;ird\" from t",
        ]
    );
}

#[test]
fn splits_respecting_dollar_quotes_and_do_blocks() {
    let sql = "DO $$ BEGIN UPDATE t SET a = 1; DELETE FROM u; END $$;\n\
               create function f() returns int language plpgsql as $fn$\n\
               begin perform 1; return 2; end $fn$;\n\
               select $x$;$x$;";
    let stmts = split_statements(sql);
    assert_eq!(stmts.len(), 3, "{stmts:?}");
    assert_eq!(stmts[0].kind, "DO");
    assert!(stmts[0].text.ends_with("END $$"));
    assert_eq!(stmts[1].kind, "CREATE FUNCTION");
    assert!(stmts[1].text.ends_with("end $fn$"));
    assert_eq!(stmts[2].text, "select $x$;$x$");
}

#[test]
fn splits_begin_atomic_function_bodies() {
    let sql = "create function f() returns int language sql begin atomic select 1; select 2; end; select 3";
    let stmts = split_statements(sql);
    assert_eq!(stmts.len(), 2, "{stmts:?}");
    assert!(stmts[0].text.ends_with("select 2; end"));
    assert_eq!(stmts[1].text, "select 3");
}

#[test]
fn trailing_comment_before_semicolon_is_excluded() {
    let sql = "-- lead\nselect 1 -- trailing ; comment\n;\n/* tail */";
    let stmts = split_statements(sql);
    assert_eq!(stmts.len(), 1);
    assert_eq!(stmts[0].text, "select 1");
    assert_eq!(stmts[0].range, 8..16);
}

#[test]
fn empty_statements_are_skipped() {
    assert_eq!(texts(";;select 1;;;"), vec!["select 1"]);
    assert!(split_statements("").is_empty());
    assert!(split_statements("  -- only a comment; here\n/* and ; this */ ").is_empty());
}

// ---- kinds ----

#[test]
fn statement_kinds() {
    let sql = "create index concurrently i on t (a); create index i2 on t (b); \
               alter table t add column c int; insert into t values (1); \
               with x as (select 1) insert into t select * from x; \
               do $$ begin null; end $$; select 1; (select 1) union select 2; \
               begin; start transaction; commit; end; rollback; abort; savepoint s; \
               drop index concurrently i; create table t2 as select 1; \
               comment on table t is 'x'; refresh materialized view mv; vacuum t; \
               update t set a = 1; delete from t; truncate t; copy t from stdin";
    assert_eq!(
        kinds(sql),
        vec![
            "CREATE INDEX CONCURRENTLY",
            "CREATE INDEX",
            "ALTER TABLE",
            "INSERT",
            "INSERT",
            "DO",
            "SELECT",
            "SELECT",
            "BEGIN",
            "START TRANSACTION",
            "COMMIT",
            "END",
            "ROLLBACK",
            "ABORT",
            "SAVEPOINT",
            "DROP INDEX CONCURRENTLY",
            "CREATE TABLE AS",
            "COMMENT",
            "REFRESH MATERIALIZED VIEW",
            "VACUUM",
            "UPDATE",
            "DELETE",
            "TRUNCATE",
            "COPY",
        ]
    );
}

// ---- reads / writes ----

#[test]
fn create_table_with_references() {
    let a = ok("create table app.orders (id bigint primary key, \
                user_id bigint references \"Users\"(id), \
                product_id bigint, foreign key (product_id) references app.products (id));");
    assert_eq!(a.writes, set(&["app.orders"]));
    assert_eq!(a.reads, set(&["Users", "app.products"]));
}

#[test]
fn alter_table_add_column() {
    let a = ok("ALTER TABLE Users ADD COLUMN team_id bigint REFERENCES teams(id);");
    assert_eq!(a.writes, set(&["users"]));
    assert_eq!(a.reads, set(&["teams"]));
}

#[test]
fn insert_select() {
    let a = ok(
        "insert into archive (id) select s.id from src s join other o on o.id = s.id \
                where exists (select 1 from sub where sub.id = s.id);",
    );
    assert_eq!(a.writes, set(&["archive"]));
    assert_eq!(a.reads, set(&["other", "src", "sub"]));
}

#[test]
fn update_from_and_delete_using() {
    let a = ok(
        "update t set a = z.a from z where t.id = z.id; delete from d using e where d.id = e.id;",
    );
    assert_eq!(a.writes, set(&["d", "t"]));
    assert_eq!(a.reads, set(&["e", "z"]));
}

#[test]
fn delete_and_subquery_reads() {
    let a = ok("delete from sessions where user_id in (select id from users where banned);");
    assert_eq!(a.writes, set(&["sessions"]));
    assert_eq!(a.reads, set(&["users"]));
}

#[test]
fn create_index_writes_its_table() {
    let a = ok("create index concurrently if not exists idx on app.t (a);");
    assert_eq!(a.writes, set(&["app.t"]));
    assert!(a.reads.is_empty());
}

#[test]
fn drop_table_writes() {
    let a = ok("drop table if exists a, b.c cascade;");
    assert_eq!(a.writes, set(&["a", "b.c"]));
}

#[test]
fn ctes_are_not_tables() {
    let a = ok(
        "with c as (select * from w), d as (delete from old returning *) \
                update t set a = 1 from c, d where t.id = c.id;",
    );
    assert_eq!(a.writes, set(&["old", "t"]));
    assert_eq!(a.reads, set(&["w"]));
    // CTEs are scoped to their statement.
    let a = ok("with c as (select 1) select * from c; select * from c;");
    assert_eq!(a.reads, set(&["c"]));
    let a = ok(
        "do $$ begin with c as (select 1) insert into t select * from c; \
                delete from c; end $$;",
    );
    assert_eq!(a.writes, set(&["c", "t"]));
    assert!(a.reads.is_empty(), "{:?}", a.reads);
    // A schema-qualified name never refers to a CTE.
    let a = ok("with c as (select 1) select * from c, s.c;");
    assert_eq!(a.reads, set(&["s.c"]));
}

#[test]
fn misc_reads_and_writes() {
    let a = ok("create table l (like src including all); \
                create view v as select * from base; \
                select * into newt from src3; \
                copy t4 from stdin; copy t5 to stdout; copy (select * from t6) to stdout; \
                merge into tgt using srcm on tgt.id = srcm.id when matched then delete; \
                table t7; truncate t8; alter table s.t9 rename to t10; \
                alter view s.v1 rename to v2; alter table t11 set schema s2;");
    assert_eq!(
        a.writes,
        set(&[
            "l", "newt", "s.t10", "s.t9", "s.v1", "s.v2", "s2.t11", "t11", "t4", "t8", "tgt", "v"
        ])
    );
    assert_eq!(
        a.reads,
        set(&["base", "src", "src3", "srcm", "t5", "t6", "t7"])
    );
}

#[test]
fn do_block_bodies_are_analysed() {
    let a = ok(
        "DO $$\nBEGIN\n  UPDATE accounts SET y = 1 WHERE id IN (SELECT id FROM app.users);\n  \
                ALTER TABLE q DROP COLUMN w;\nEND\n$$;",
    );
    assert_eq!(a.writes, set(&["accounts", "q"]));
    assert_eq!(a.reads, set(&["app.users"]));
    assert_eq!(a.destructive.len(), 1);
    let (offset, d) = &a.destructive[0];
    assert_eq!(
        d,
        &Destructive::DropColumn {
            table: "q".into(),
            column: "w".into()
        }
    );
    let sql = "DO $$\nBEGIN\n  UPDATE accounts SET y = 1 WHERE id IN (SELECT id FROM app.users);\n  \
               ALTER TABLE q DROP COLUMN w;\nEND\n$$;";
    assert!(
        sql[*offset..].starts_with("DROP COLUMN w"),
        "{}",
        &sql[*offset..]
    );
}

#[test]
fn stored_sql_is_not_executed() {
    let a = ok(
        "create function f() returns int language sql begin atomic delete from gone; select 1; end; \
                create rule r as on delete to t do instead delete from u; \
                explain delete from e1; explain analyze delete from e2; prepare p as delete from e3;",
    );
    assert!(a.writes.contains("e2"));
    assert!(a.writes.contains("t"));
    for table in ["gone", "u", "e1", "e3"] {
        assert!(!a.writes.contains(table), "{table} should not be written");
        assert!(a.reads.contains(table), "{table} should be read");
    }
    assert!(a.destructive.is_empty());
}

// ---- destructive ----

#[test]
fn destructive_variants() {
    let sql = "drop table app.t;\n\
               alter table t drop column c, alter column d type text;\n\
               alter table t rename column e to f;\n\
               alter table app.a rename to b;\n\
               alter table x set schema y;\n\
               truncate only t1, t2;\n\
               drop view if exists v, w cascade;\n\
               drop index concurrently app.i;\n\
               drop type mood; drop schema s cascade;\n\
               drop trigger if exists trg on t3 cascade; drop owned by r;";
    let a = ok(sql);
    let found: Vec<Destructive> = a.destructive.iter().map(|(_, d)| d.clone()).collect();
    assert_eq!(
        found,
        vec![
            Destructive::DropTable("app.t".into()),
            Destructive::DropColumn {
                table: "t".into(),
                column: "c".into()
            },
            Destructive::ChangeColumnType {
                table: "t".into(),
                column: "d".into()
            },
            Destructive::RenameColumn {
                table: "t".into(),
                from: "e".into(),
                to: "f".into()
            },
            Destructive::RenameTable {
                from: "app.a".into(),
                to: "app.b".into()
            },
            Destructive::RenameTable {
                from: "x".into(),
                to: "y.x".into()
            },
            Destructive::Truncate("t1".into()),
            Destructive::Truncate("t2".into()),
            Destructive::DropOther("DROP VIEW v, w".into()),
            Destructive::DropIndex {
                name: "app.i".into(),
                concurrently: true
            },
            Destructive::DropOther("DROP TYPE mood".into()),
            Destructive::DropOther("DROP SCHEMA s".into()),
            Destructive::DropTrigger {
                name: "trg".into(),
                table: "t3".into()
            },
            Destructive::DropOther("DROP OWNED BY r".into()),
        ]
    );
    let (offset, _) = a.destructive[2];
    assert!(sql[offset..].starts_with("alter column d type text"));
    let (offset, _) = a.destructive[0];
    assert_eq!(offset, 0);
}

#[test]
fn harmless_alters_are_not_destructive() {
    let a = ok(
        "alter table t add column c int; alter table t alter column c set default 1; \
                create index i on t (c);",
    );
    assert!(a.destructive.is_empty(), "{:?}", a.destructive);
}

// ---- transactions ----

#[test]
fn no_transaction_statements() {
    let sql = "create index concurrently i on t (a); create index i2 on t (a); \
               drop index concurrently i; reindex table concurrently t; reindex index i; \
               vacuum t; vacuum (analyze) t; analyze t; create database d; drop database d; \
               alter system set work_mem = '1MB'; create tablespace ts location '/x'; \
               drop tablespace ts; alter table p detach partition c concurrently; \
               alter table p detach partition c; cluster; cluster t using i; \
               alter type mood add value 'x'; alter type mood rename value 'a' to 'b'; \
               reindex database d; commit prepared 'x'; cluster i on t; cluster (verbose)";
    let flags: Vec<(String, bool)> = split_statements(sql)
        .into_iter()
        .map(|s| (s.text, s.no_transaction.is_some()))
        .collect();
    let expected = [
        true, false, true, true, false, true, true, false, true, true, true, true, true, true,
        false, true, false, true, false, true, true, false, true,
    ];
    assert_eq!(flags.len(), expected.len(), "{flags:?}");
    for ((text, got), want) in flags.iter().zip(expected) {
        assert_eq!(*got, want, "{text}");
    }
}

#[test]
fn add_value_depends_on_server_version() {
    let stmts = split_statements("alter type mood add value 'x'; vacuum t; select 1");
    let add = &stmts[0];
    assert!(
        add.no_transaction
            .is_some_and(|r| r.contains("PostgreSQL 12"))
    );
    assert!(needs_no_transaction_on(110_000, add));
    assert!(!needs_no_transaction_on(120_000, add));
    assert!(!needs_no_transaction_on(160_002, add));
    assert!(needs_no_transaction_on(160_002, &stmts[1]));
    assert!(!needs_no_transaction_on(90_600, &stmts[2]));
}

#[test]
fn do_block_with_commit_needs_no_transaction() {
    let stmts = split_statements(
        "do $$ begin update t set a = 1; commit; end $$; do $$ begin update t set a = 1; end $$",
    );
    assert!(stmts[0].no_transaction.is_some());
    assert!(stmts[1].no_transaction.is_none());
}

#[test]
fn subscription_options() {
    let stmts = split_statements(
        "create subscription s connection 'x' publication p; \
         create subscription s connection 'x' publication p with (create_slot = false)",
    );
    assert!(stmts[0].no_transaction.is_some());
    assert!(stmts[1].no_transaction.is_none());
}

#[test]
fn transaction_control_offsets() {
    let sql = "begin;\nselect 1;\nsavepoint a;\nrollback to savepoint a;\nrelease savepoint a;\n\
               commit;\nstart transaction;\nend;\nrollback;";
    let a = ok(sql);
    let at: Vec<&str> = a
        .transaction_control
        .iter()
        .map(|o| sql[*o..].lines().next().unwrap_or(""))
        .collect();
    assert_eq!(
        at,
        vec![
            "begin;",
            "savepoint a;",
            "rollback to savepoint a;",
            "release savepoint a;",
            "commit;",
            "start transaction;",
            "end;",
            "rollback;",
        ]
    );
}

// ---- squawk findings ----

#[test]
fn squawk_findings() {
    let sql = "alter table t add column c int not null;\ncreate index i on t (c);";
    let a = analyze(sql, false);
    let rules: Vec<&str> = a.findings.iter().map(|f| f.rule.as_str()).collect();
    assert!(rules.contains(&"adding-required-field"), "{rules:?}");
    assert!(
        rules.contains(&"require-concurrent-index-creation"),
        "{rules:?}"
    );
    let f = a
        .findings
        .iter()
        .find(|f| f.rule == "require-concurrent-index-creation")
        .expect("finding");
    assert!(sql[f.offset..].starts_with("create index"));
    assert!(!f.message.is_empty());
}

#[test]
fn concurrent_index_builds_are_not_linted_as_in_a_transaction() {
    // cutover runs CONCURRENTLY outside a transaction itself: squawk's rule is not run.
    let sql = "select 1;\ncreate index concurrently i on t (c);";
    let rule = "ban-concurrent-index-creation-in-transaction";
    assert!(!analyze(sql, true).findings.iter().any(|f| f.rule == rule));
}

#[test]
fn not_valid_is_advised_only_where_postgresql_accepts_it() {
    let sql = "ALTER TABLE t ADD CONSTRAINT t_pk PRIMARY KEY (id);\n\
               ALTER TABLE t ADD CONSTRAINT u UNIQUE (a);\n\
               ALTER TABLE t ADD CONSTRAINT x EXCLUDE USING gist (r WITH &&);\n\
               ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0);\n\
               ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES u (id);";
    let advised: Vec<&str> = analyze(sql, true)
        .findings
        .iter()
        .filter(|f| f.rule == "constraint-missing-not-valid")
        .map(|f| &sql[f.offset..f.offset + 16])
        .collect();
    assert_eq!(advised, ["ADD CONSTRAINT c", "ADD CONSTRAINT f"]);
}

#[test]
fn whole_table_writes_are_found_except_on_a_table_just_created() {
    let a = ok(
        "update app.t set a = 1; delete from t where a = 1; delete from u; \
                create table n (a int); insert into n values (1); update n set a = 2; \
                create extension if not exists pgcrypto;",
    );
    let writes: Vec<(&str, &str)> = a
        .whole_table_writes
        .iter()
        .map(|(_, verb, table)| (*verb, table.as_str()))
        .collect();
    assert_eq!(writes, [("updates", "app.t"), ("deletes", "u")]);
    let ext: Vec<&str> = a.extensions.iter().map(|(_, e)| e.as_str()).collect();
    assert_eq!(ext, ["pgcrypto"]);
}

#[test]
fn cascade_names_what_it_reaches() {
    let a = ok("drop index concurrently i cascade; drop view v; drop schema s cascade;");
    let reached: Vec<(&str, &str)> = a
        .cascades
        .iter()
        .map(|(_, c)| (c.statement.as_str(), c.reaches))
        .collect();
    assert_eq!(reached.len(), 2, "{reached:?}");
    assert!(reached[0].0.starts_with("DROP INDEX"));
    assert!(reached[0].1.contains("foreign keys"));
    assert!(reached[1].1.contains("every object in the schema"));
}

#[test]
fn a_trigger_dropped_and_created_again_is_replaced_not_removed() {
    let replaced = ok("drop trigger if exists t_touch on t; \
         create trigger t_touch before update on t for each row execute function f();");
    assert!(
        replaced.destructive.is_empty(),
        "{:?}",
        replaced.destructive
    );
    let elsewhere = ok("drop trigger t_touch on t; \
         create trigger t_touch before update on u for each row execute function f();");
    assert_eq!(elsewhere.destructive.len(), 1);
}

// ---- errors ----

#[test]
fn syntax_errors_have_offsets() {
    let sql = "select 1;\nselec 2 from x;\ncreate table t (a int,);";
    let a = analyze(sql, false);
    // PostgreSQL's parser stops at the first error: one error, where it stopped.
    assert_eq!(a.errors.len(), 1, "{:?}", a.errors);
    assert_eq!(a.errors[0].offset, 10);
    assert_eq!(line_col(sql, a.errors[0].offset), (2, 1));
    assert!(a.errors[0].message.contains("selec"), "{:?}", a.errors);
    // Everything is still split, the broken statement marked UNKNOWN.
    let kinds: Vec<&str> = a.statements.iter().map(|s| s.kind.as_str()).collect();
    assert_eq!(kinds, vec!["SELECT", "UNKNOWN", "CREATE TABLE"]);
    assert_eq!(a.statements[1].text, "selec 2 from x");
}

#[test]
fn plpgsql_bodies_do_not_produce_errors() {
    // squawk's PL/pgSQL grammar rejects valid `SELECT ... INTO`; such
    // bodies must not be reported as syntax errors.
    let sql = "do $$ declare r record; begin select * into strict r from src; \
               insert into dst select 1; end $$;\n\
               create function f() returns int language plpgsql as $f$ \
               declare n int; begin select count(*) into n from t; return n; end $f$;";
    let a = analyze(sql, false);
    assert!(a.errors.is_empty(), "{:?}", a.errors);
    assert!(a.writes.contains("dst"), "{:?}", a.writes);
}

#[test]
fn never_panics() {
    // Nesting deep enough to overflow a 2 MiB test-thread stack if parsed inline.
    let deep = format!("select {}1{};", "(".repeat(8_000), ")".repeat(8_000));
    let neg = format!("select {}1;", "- ".repeat(8_000));
    let chain = format!("select 1{};", " and true".repeat(50_000));
    let huge = "insert into t (a, b) values (1, 'x;y'); -- c\n".repeat(5_000);
    let inputs: Vec<String> = vec![
        String::new(),
        "-- just a comment".into(),
        "/* unterminated comment".into(),
        "select 'unterminated".into(),
        "select \"unterminated".into(),
        "do $$ begin".into(),
        "select $tag$ never closed".into(),
        "create function f() returns int as $$ select 1".into(),
        ";;;;".into(),
        ")))(((".into(),
        "\u{0}\u{1}\u{ffff}é漢字🎉;".into(),
        "alter table".into(),
        "drop".into(),
        "do".into(),
        "do 'begin commit'".into(),
        "e'\\".into(),
        "$1 $$ $ $a".into(),
        "begin atomic; end".into(),
        "explain (analyze".into(),
        deep,
        neg,
        chain,
        huge.clone(),
    ];
    for input in &inputs {
        let a = analyze(input, true);
        if input.len() < 10_000 {
            assert_eq!(split_statements(input), a.statements);
        }
        for s in &a.statements {
            assert_eq!(input.get(s.range.clone()), Some(s.text.as_str()));
        }
        for e in &a.errors {
            assert!(e.offset <= input.len());
        }
    }
    assert_eq!(split_statements(&huge).len(), 5_000);
    // Byte soup, at every prefix length of a tricky input.
    let tricky = "DO $x$ BEGIN; E'\\'' \"q\"\"\" /* /* */ $x$; select 'é';";
    for end in 0..=tricky.len() {
        if let Some(prefix) = tricky.get(..end) {
            let _ = analyze(prefix, true);
        }
    }
    let empty = analyze("", true);
    assert!(empty.statements.is_empty() && empty.errors.is_empty());
    let comments = analyze("-- only\n/* comments */", true);
    assert!(comments.statements.is_empty() && comments.errors.is_empty());
}

#[test]
fn unterminated_quotes_report_errors() {
    for sql in ["select 'abc", "select $$abc", "do $$ begin", "select \"abc"] {
        let a = analyze(sql, false);
        assert!(!a.errors.is_empty(), "{sql}");
        assert_eq!(a.statements.len(), 1, "{sql}");
    }
}

// ---- line_col ----

#[test]
fn line_col_positions() {
    let text = "ab\ncdé\nx";
    assert_eq!(line_col(text, 0), (1, 1));
    assert_eq!(line_col(text, 1), (1, 2));
    assert_eq!(line_col(text, 2), (1, 3));
    assert_eq!(line_col(text, 3), (2, 1));
    assert_eq!(line_col(text, 5), (2, 3));
    assert_eq!(line_col(text, 7), (2, 4)); // after 'é' (2 bytes)
    assert_eq!(line_col(text, 6), (2, 3)); // inside 'é': clamps back
    assert_eq!(line_col(text, 8), (3, 1));
    assert_eq!(line_col(text, 100), (3, 2));
    assert_eq!(line_col("", 5), (1, 1));
}
