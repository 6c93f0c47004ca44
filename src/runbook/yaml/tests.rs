use super::*;

#[test]
fn every_node_knows_its_line_and_column() {
    let doc = parse("name: demo\nphases:\n  - id: prep\n    budget: 30m\n").unwrap();
    let Value::Map(entries) = &doc.value else {
        panic!("map")
    };
    assert_eq!(entries[0].0.loc.line, 1);
    assert_eq!(entries[0].1.loc.column, 7);
    let Value::Seq(phases) = &entries[1].1.value else {
        panic!("seq")
    };
    let Value::Map(phase) = &phases[0].value else {
        panic!("map")
    };
    assert_eq!((phase[1].0.loc.line, phase[1].0.loc.column), (4, 5));
    assert_eq!(phase[1].1.value, Value::Str("30m".into()));
    assert_eq!((phase[1].1.loc.line, phase[1].1.loc.column), (4, 13));
}

#[test]
fn scalars_keep_their_types() {
    let doc = parse("a: 43\nb: true\nc: 1.5\nd: ~\ne: '43'").unwrap();
    let Value::Map(entries) = doc.value else {
        panic!("map")
    };
    let values: Vec<Value> = entries.into_iter().map(|(_, v)| v.value).collect();
    assert_eq!(
        values,
        vec![
            Value::Int(43),
            Value::Bool(true),
            Value::Float(1.5),
            Value::Null,
            Value::Str("43".into())
        ]
    );
}

/// The node under `key` in a top-level mapping.
fn value_of<'d>(doc: &'d Node, key: &str) -> &'d Node {
    let Value::Map(entries) = &doc.value else {
        panic!("map")
    };
    entries
        .iter()
        .find(|(k, _)| k.scalar_text().as_deref() == Some(key))
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no `{key}`"))
}

/// Parses `yaml`, maps the string under `key`, and checks that every character of
/// the value that is not whitespace maps to the same character in the file, at a
/// line and column that agree with the offset.
fn mapped(yaml: &str, key: &str) -> (String, ScalarMap) {
    let doc = parse(yaml).unwrap();
    let node = value_of(&doc, key);
    let Value::Str(value) = &node.value else {
        panic!("`{key}` is not a string: {node:?}")
    };
    let map = ScalarMap::new(yaml, node.written, value);
    assert!(map.is_exact(), "{key}: {map:?}");
    for (i, c) in value.char_indices().filter(|(_, c)| !c.is_whitespace()) {
        let loc = map.locate(value, i, c.len_utf8());
        let (line, column) = line_col_at(yaml, loc.offset).unwrap();
        assert_eq!((loc.line, loc.column), (line, column), "{key}: byte {i}");
        let written = yaml[loc.offset..].chars().next();
        if written == Some(c) && !(c == '\'' && yaml[loc.offset..].starts_with("''")) {
            assert_eq!(loc.len, c.len_utf8(), "{key}: byte {i}");
        } else {
            // An escape (`\t`, `''`) stands for the character.
            assert!(
                matches!(written, Some('\\' | '\'')),
                "{key}: byte {i} `{c}` at {loc:?}"
            );
        }
    }
    (value.clone(), map)
}

/// Line and column of the first `needle` in the value, mapped to the file.
fn place(value: &str, map: &ScalarMap, needle: &str) -> (usize, usize) {
    let offset = value
        .find(needle)
        .unwrap_or_else(|| panic!("no `{needle}`"));
    let loc = map.locate(value, offset, needle.len());
    (loc.line, loc.column)
}

#[test]
fn folded_sql_maps_to_the_lines_it_was_written_on() {
    let yaml = "sql: >\n  ALTER TABLE t ADD c int;\n  BEGIN;\n\n  COMMIT;\nnext: 1\n";
    let (value, map) = mapped(yaml, "sql");
    assert_eq!(value, "ALTER TABLE t ADD c int; BEGIN;\nCOMMIT;\n");
    assert_eq!(place(&value, &map, "ALTER"), (2, 3));
    assert_eq!(place(&value, &map, "BEGIN"), (3, 3));
    assert_eq!(place(&value, &map, "COMMIT"), (5, 3));
    // A span covering the folded line break covers it in the file too.
    let begin = value.find("t ADD").unwrap();
    let loc = map.locate(&value, begin, value.find("BEGIN;").unwrap() + 6 - begin);
    assert_eq!(
        &yaml[loc.offset..loc.offset + loc.len],
        "t ADD c int;\n  BEGIN;"
    );
}

#[test]
fn folded_more_indented_lines_and_chomping() {
    let yaml = "sql: >-\n  SELECT 1\n     FROM t\n  WHERE x\n";
    let (value, map) = mapped(yaml, "sql");
    assert_eq!(value, "SELECT 1\n   FROM t\nWHERE x");
    assert_eq!(place(&value, &map, "FROM"), (3, 6));
    assert_eq!(place(&value, &map, "WHERE"), (4, 3));
}

#[test]
fn literal_block_with_leading_blank_lines() {
    let yaml = "a: 1\nsql: |\n\n\n    BEGIN;\n    SELECT 1;\n";
    let (value, map) = mapped(yaml, "sql");
    assert_eq!(value, "\n\nBEGIN;\nSELECT 1;\n");
    // The text starts on the first empty line, at the block's indentation.
    assert_eq!(place(&value, &map, "\n"), (3, 5));
    assert_eq!(place(&value, &map, "BEGIN"), (5, 5));
    assert_eq!(place(&value, &map, "SELECT"), (6, 5));
    // The end of the text is just past its last line break.
    let end = map.locate(&value, value.len(), 0);
    assert_eq!((end.line, end.column), (7, 1));
}

#[test]
fn literal_block_with_an_indentation_indicator_and_a_comment() {
    let yaml = "sql: |2 # the SQL\n    SELECT 1\n  FROM t\n";
    let (value, map) = mapped(yaml, "sql");
    assert_eq!(value, "  SELECT 1\nFROM t\n");
    assert_eq!(place(&value, &map, "SELECT"), (2, 5));
    assert_eq!(place(&value, &map, "FROM"), (3, 3));
}

#[test]
fn multi_line_plain_scalars_fold_like_folded_blocks() {
    let yaml = "sql: SELECT count(*)   \n  FROM users\n    WHERE id = 'é'\nsql2:\n  SELECT 2\n";
    let (value, map) = mapped(yaml, "sql");
    assert_eq!(value, "SELECT count(*) FROM users WHERE id = 'é'");
    assert_eq!(place(&value, &map, "FROM"), (2, 3));
    assert_eq!(place(&value, &map, "'é'"), (3, 16));
    let (value, map) = mapped(yaml, "sql2");
    assert_eq!(place(&value, &map, "2"), (5, 10));
}

#[test]
fn quoted_scalars_skip_quotes_and_escapes() {
    let yaml = "s: 'it''s\n  here'\nd: \"a\\tb \\\n   c\\x41 \\\"q\\\" \\u00e9!\"\n";
    let (value, map) = mapped(yaml, "s");
    assert_eq!(value, "it's here");
    assert_eq!(place(&value, &map, "it"), (1, 5));
    assert_eq!(place(&value, &map, "s here"), (1, 9));
    assert_eq!(place(&value, &map, "here"), (2, 3));
    let (value, map) = mapped(yaml, "d");
    assert_eq!(value, "a\tb cA \"q\" é!");
    assert_eq!(place(&value, &map, "b"), (3, 8));
    assert_eq!(place(&value, &map, "c"), (4, 4));
    assert_eq!(place(&value, &map, "A"), (4, 5));
    assert_eq!(place(&value, &map, "q"), (4, 12));
    assert_eq!(place(&value, &map, "!"), (4, 22));
}

#[test]
fn block_text_that_starts_with_a_quote_is_not_taken_for_a_quoted_scalar() {
    let yaml = "sql: |\n  \"Users\" are\n  SELECT 1\n";
    let (value, map) = mapped(yaml, "sql");
    assert_eq!(place(&value, &map, "Users"), (2, 4));
    assert_eq!(place(&value, &map, "SELECT"), (3, 3));
}

#[test]
fn an_alias_maps_into_its_anchor_and_crlf_counts_as_one_break() {
    let yaml = "a: &q >\r\n  SELECT 1\r\n  FROM t\r\nb: *q\r\n";
    let (value, map) = mapped(yaml, "b");
    assert_eq!(value, "SELECT 1 FROM t\n");
    assert_eq!(place(&value, &map, "FROM"), (3, 3));
}

#[test]
fn a_value_that_does_not_match_the_file_maps_to_the_scalar_start() {
    let yaml = "sql: SELECT 1\n";
    let doc = parse(yaml).unwrap();
    let node = value_of(&doc, "sql");
    let map = ScalarMap::new(yaml, node.written, "DELETE FROM t");
    assert!(!map.is_exact());
    let loc = map.locate("DELETE FROM t", 7, 4);
    assert_eq!((loc.line, loc.column), (1, 6));
    // Offsets out of range or inside a character never panic.
    let (value, map) = mapped("s: é é\n", "s");
    for offset in 0..value.len() + 3 {
        let _ = map.locate(&value, offset, 10);
    }
    let _ = ScalarMap::new("", Loc::default(), "x").locate("x", 5, 5);
    let _ = ScalarMap::new(
        "s: x",
        Loc {
            offset: 99,
            ..Loc::default()
        },
        "x",
    );
}

#[test]
fn every_string_in_the_shipped_runbooks_and_the_corpus_maps_exactly() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut strings = 0;
    for dir in ["runbooks", "tests/broken"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            let Ok(yaml) = std::fs::read_to_string(&path) else {
                continue; // not UTF-8 on purpose
            };
            let Ok(doc) = parse(&yaml) else {
                continue;
            };
            let mut stack = vec![&doc];
            while let Some(node) = stack.pop() {
                match &node.value {
                    Value::Str(value) => {
                        let map = ScalarMap::new(&yaml, node.written, value);
                        assert!(map.is_exact(), "{}: {node:?}", path.display());
                        for (i, c) in value.char_indices().filter(|(_, c)| !c.is_whitespace()) {
                            let loc = map.locate(value, i, c.len_utf8());
                            let written = yaml[loc.offset..].chars().next();
                            assert!(
                                written == Some(c) || matches!(written, Some('\\' | '\'')),
                                "{}: {value:?} byte {i}",
                                path.display()
                            );
                        }
                        strings += 1;
                    }
                    Value::Seq(items) => stack.extend(items),
                    Value::Map(entries) => {
                        stack.extend(entries.iter().flat_map(|(k, v)| [k, v]));
                    }
                    _ => {}
                }
            }
        }
    }
    assert!(strings > 1000, "{strings}");
}

#[test]
fn block_collections_are_located_at_the_key_or_dash_that_introduces_them() {
    let yaml = "window:\n  start: x\nexpect: {gt: 1}\nsteps:\n  - check: a\n  -   # c\n\n    manual: b\n  - [1]\n";
    let doc = parse(yaml).unwrap();
    let loc = |n: &Node| (n.loc.line, n.loc.column);
    assert_eq!(loc(value_of(&doc, "window")), (1, 1));
    assert_eq!(value_of(&doc, "window").written.line, 2);
    assert_eq!(loc(value_of(&doc, "expect")), (3, 9));
    let steps = value_of(&doc, "steps");
    assert_eq!(loc(steps), (4, 1));
    let Value::Seq(items) = &steps.value else {
        panic!("seq")
    };
    let places: Vec<_> = items.iter().map(loc).collect();
    assert_eq!(places, vec![(5, 5), (6, 3), (9, 5)]);
    // The document itself has no owner: it stays at its first key.
    assert_eq!(loc(&doc), (1, 1));
}

#[test]
fn a_tab_after_a_plain_scalar_is_reported_at_the_tab() {
    // The parser names the scalar (2:6) as the place of the tab.
    let err = parse("a:\n  b: plain\n\n \tc: 1\n").unwrap_err();
    assert_eq!((err.loc.line, err.loc.column), (4, 2), "{err:?}");
    assert_eq!(err.message, "found a tab in the indentation");
    assert_eq!(err.loc.offset, 16);
    // After a plain scalar on two lines.
    let err = parse("a:\n  b: plain\n    more\n\tc: 1\n").unwrap_err();
    assert_eq!((err.loc.line, err.loc.column), (4, 1), "{err:?}");
}

#[test]
fn syntax_messages_do_not_repeat_the_place() {
    let err = parse("a: b: c\n").unwrap_err();
    assert!(!err.message.contains("at line"), "{err:?}");
    assert_eq!((err.loc.line, err.loc.column), (1, 5), "{err:?}");
    assert_eq!(strip_place("bad at line 3, column 7"), "bad");
    assert_eq!(strip_place("at line x"), "at line x");
    assert_eq!(
        strip_place("found at line 3, column"),
        "found at line 3, column"
    );
}

#[test]
fn syntax_errors_and_duplicate_keys_are_located() {
    let err = parse("a: 1\na: 2\n").unwrap_err();
    assert_eq!(err.loc.line, 2, "{err:?}");
    let err = parse("a: [1, 2\nb: 3\n").unwrap_err();
    assert!(err.loc.line >= 1, "{err:?}");
}
