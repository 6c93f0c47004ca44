//! PostgreSQL's own grammar (libpg_query, through the `pg_query` crate) as the judge of what
//! is valid SQL: what the server's parser refuses, cutover refuses at `check`, at the
//! position the server would name.

use std::ffi::{CStr, CString, c_char, c_int};

/// A syntax error as PostgreSQL's parser reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    /// Byte offset in the input where the parser stopped.
    pub offset: usize,
}

// libpg_query's C interface (pg_query.h), for what the crate's safe API drops: the error's
// cursor position.
#[repr(C)]
struct PgQueryError {
    message: *mut c_char,
    funcname: *mut c_char,
    filename: *mut c_char,
    lineno: c_int,
    cursorpos: c_int,
    context: *mut c_char,
}

#[repr(C)]
struct PgQuerySplitStmt {
    stmt_location: c_int,
    stmt_len: c_int,
}

#[repr(C)]
struct PgQuerySplitResult {
    stmts: *mut *mut PgQuerySplitStmt,
    n_stmts: c_int,
    stderr_buffer: *mut c_char,
    error: *mut PgQueryError,
}

unsafe extern "C" {
    fn pg_query_split_with_parser(input: *const c_char) -> PgQuerySplitResult;
    fn pg_query_free_split_result(result: PgQuerySplitResult);
}

/// The first syntax error PostgreSQL's parser finds in `sql`, if any. PL/pgSQL bodies (a
/// function's or a `DO` block's) are strings to this parser: the server checks them when it
/// runs them.
pub fn syntax_error(sql: &str) -> Option<ParseError> {
    // Keeps the crate (and the static library it builds) linked in.
    let _ = pg_query::Error::Conversion;
    let Ok(input) = CString::new(sql) else {
        let offset = sql.find('\0').unwrap_or(0);
        return Some(ParseError {
            message: "the SQL contains a NUL byte, which PostgreSQL does not accept".into(),
            offset,
        });
    };
    // SAFETY: `input` is a valid NUL-terminated string that outlives the call; the result is
    // read only before it is handed back to libpg_query to free, exactly once.
    unsafe {
        let result = pg_query_split_with_parser(input.as_ptr());
        let error = result.error.as_ref().map(|e| {
            let message = if e.message.is_null() {
                "syntax error".to_owned()
            } else {
                CStr::from_ptr(e.message).to_string_lossy().into_owned()
            };
            ParseError {
                message,
                offset: byte_offset(sql, e.cursorpos),
            }
        });
        pg_query_free_split_result(result);
        error
    }
}

/// libpg_query's cursor position (1-based, in characters) as a byte offset; 0 (no position)
/// is the start.
fn byte_offset(sql: &str, cursorpos: c_int) -> usize {
    let chars = usize::try_from(cursorpos.saturating_sub(1)).unwrap_or(0);
    sql.char_indices().nth(chars).map_or(sql.len(), |(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_sql_of_every_shape_parses() {
        for sql in [
            "CREATE TABLE t (id bigint PRIMARY KEY)",
            "CREATE INDEX CONCURRENTLY i ON t (a); DROP INDEX CONCURRENTLY IF EXISTS j",
            "DO $$ BEGIN RAISE NOTICE 'x;y'; END $$",
            "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN RETURN NEW; END $f$",
            "-- only a comment",
            "",
        ] {
            assert_eq!(syntax_error(sql), None, "{sql}");
        }
    }

    #[test]
    fn a_typo_is_one_error_where_postgresql_stops() {
        let sql = "SELECT 1;\nCREATE TABLEE x (id int);";
        let e = syntax_error(sql).unwrap();
        assert!(e.message.contains("TABLEE"), "{}", e.message);
        assert_eq!(&sql[e.offset..e.offset + 6], "TABLEE");
    }

    #[test]
    fn the_position_survives_text_before_it_that_is_not_ascii() {
        let sql = "SELECT 'héllo wörld';\nCREATE TABLEE x (id int);";
        let e = syntax_error(sql).unwrap();
        assert_eq!(&sql[e.offset..e.offset + 6], "TABLEE");
    }

    #[test]
    fn a_nul_byte_is_an_error_not_a_crash() {
        let e = syntax_error("SELECT 1;\0").unwrap();
        assert_eq!(e.offset, 9);
    }

    #[test]
    fn nesting_beyond_the_parser_is_an_error_not_a_crash() {
        let depth = 200_000;
        let sql = format!("SELECT {}1{}", "(".repeat(depth), ")".repeat(depth));
        assert!(syntax_error(&sql).is_some());
    }
}
