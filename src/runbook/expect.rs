//! Evaluating a check's expectation or a probe's alert against a query result. Pure.

use super::model::{Comparison, Expectation, Op, Scalar};
use std::cmp::Ordering;
use std::fmt;

/// A query result as text, the way PostgreSQL's simple protocol returns it.
pub type Rows = [Vec<Option<String>>];

/// The verdict on one check run.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Verdict {
    pub passed: bool,
    /// What was observed, as a user reads it ("43", "3 rows", "NULL").
    pub actual: String,
}

impl Scalar {
    fn from_cell(cell: Option<&str>) -> Scalar {
        match cell {
            None => Scalar::Null,
            Some(text) => {
                if let Ok(i) = text.parse::<i64>() {
                    Scalar::Int(i)
                } else if let Ok(x) = text.parse::<f64>() {
                    Scalar::Float(x)
                } else {
                    match text {
                        "t" | "true" => Scalar::Bool(true),
                        "f" | "false" => Scalar::Bool(false),
                        _ => Scalar::Text(text.to_owned()),
                    }
                }
            }
        }
    }

    fn as_f64(&self) -> Option<f64> {
        match self {
            Scalar::Int(i) => Some(*i as f64),
            Scalar::Float(x) => Some(*x),
            Scalar::Null | Scalar::Bool(_) | Scalar::Text(_) => None,
        }
    }

    /// Orders numbers numerically and everything else by its text; NULL equals only NULL.
    fn compare(&self, other: &Scalar) -> Option<Ordering> {
        match (self, other) {
            (Scalar::Null, Scalar::Null) => Some(Ordering::Equal),
            (Scalar::Null, _) | (_, Scalar::Null) => None,
            _ => match (self.as_f64(), other.as_f64()) {
                (Some(a), Some(b)) => a.partial_cmp(&b),
                _ => Some(self.to_string().cmp(&other.to_string())),
            },
        }
    }
}

impl Comparison {
    /// Whether `actual` satisfies the comparison. A NULL satisfies only `eq: null`/`ne: x`.
    pub fn holds(&self, actual: &Scalar) -> bool {
        match self {
            Comparison::Compare { op, value } => {
                let ordering = actual.compare(value);
                match op {
                    Op::Eq => ordering == Some(Ordering::Equal),
                    Op::Ne => ordering != Some(Ordering::Equal),
                    Op::Lt => ordering == Some(Ordering::Less),
                    Op::Le => matches!(ordering, Some(Ordering::Less | Ordering::Equal)),
                    Op::Gt => ordering == Some(Ordering::Greater),
                    Op::Ge => matches!(ordering, Some(Ordering::Greater | Ordering::Equal)),
                }
            }
            Comparison::Between { low, high } => {
                actual.as_f64().is_some_and(|x| *low <= x && x <= *high)
            }
        }
    }

    /// Evaluates against the first column of the first row (a probe's sample).
    pub fn sample(rows: &Rows) -> Option<Scalar> {
        rows.first()
            .and_then(|row| row.first())
            .map(|cell| Scalar::from_cell(cell.as_deref()))
    }
}

impl Expectation {
    pub fn evaluate(&self, rows: &Rows) -> Verdict {
        match self {
            Expectation::Rows(n) => Verdict {
                passed: rows.len() as u64 == *n,
                actual: plural_rows(rows.len()),
            },
            Expectation::Empty(empty) => Verdict {
                passed: rows.is_empty() == *empty,
                actual: plural_rows(rows.len()),
            },
            Expectation::Value(comparison) => match Comparison::sample(rows) {
                None => Verdict {
                    passed: false,
                    actual: "no rows".into(),
                },
                Some(actual) => {
                    let extra_rows = rows.len() > 1;
                    Verdict {
                        passed: comparison.holds(&actual) && !extra_rows,
                        actual: if extra_rows {
                            format!("{actual} (and {} more rows)", rows.len() - 1)
                        } else {
                            actual.to_string()
                        },
                    }
                }
            },
        }
    }
}

fn plural_rows(n: usize) -> String {
    if n == 1 {
        "1 row".into()
    } else {
        format!("{n} rows")
    }
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Comparison::Compare { op, value } => write!(f, "{} {value}", op.symbol()),
            Comparison::Between { low, high } => write!(f, "between {low} and {high}"),
        }
    }
}

impl fmt::Display for Expectation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expectation::Value(c) => c.fmt(f),
            Expectation::Rows(n) => write!(f, "{}", plural_rows(*n as usize)),
            Expectation::Empty(true) => f.write_str("no rows"),
            Expectation::Empty(false) => f.write_str("at least one row"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(v: &str) -> Vec<Vec<Option<String>>> {
        vec![vec![Some(v.to_owned())]]
    }

    fn cmp(op: Op, value: Scalar) -> Expectation {
        Expectation::Value(Comparison::Compare { op, value })
    }

    #[test]
    fn numbers_compare_numerically_not_as_text() {
        assert!(cmp(Op::Eq, Scalar::Int(43)).evaluate(&one("43")).passed);
        assert!(cmp(Op::Eq, Scalar::Int(43)).evaluate(&one("43.0")).passed);
        assert!(cmp(Op::Gt, Scalar::Int(9)).evaluate(&one("10")).passed);
        assert!(!cmp(Op::Lt, Scalar::Int(9)).evaluate(&one("10")).passed);
    }

    #[test]
    fn text_bool_and_null() {
        assert!(
            cmp(Op::Eq, Scalar::Text("ok".into()))
                .evaluate(&one("ok"))
                .passed
        );
        assert!(cmp(Op::Eq, Scalar::Bool(true)).evaluate(&one("t")).passed);
        let null = vec![vec![None]];
        let verdict = cmp(Op::Eq, Scalar::Int(0)).evaluate(&null);
        assert!(!verdict.passed);
        assert_eq!(verdict.actual, "NULL");
        assert!(cmp(Op::Eq, Scalar::Null).evaluate(&null).passed);
    }

    #[test]
    fn rows_empty_between_and_extra_rows() {
        let two = vec![vec![Some("1".into())], vec![Some("2".into())]];
        assert!(Expectation::Rows(2).evaluate(&two).passed);
        assert!(!Expectation::Empty(true).evaluate(&two).passed);
        assert!(Expectation::Empty(true).evaluate(&[]).passed);
        let between = Expectation::Value(Comparison::Between {
            low: 1.0,
            high: 5.0,
        });
        assert!(between.evaluate(&one("5")).passed);
        assert!(!between.evaluate(&one("6")).passed);
        let verdict = cmp(Op::Eq, Scalar::Int(1)).evaluate(&two);
        assert!(
            !verdict.passed,
            "a value check must not pass on several rows"
        );
        assert_eq!(verdict.actual, "1 (and 1 more rows)");
        assert_eq!(cmp(Op::Eq, Scalar::Int(1)).evaluate(&[]).actual, "no rows");
    }
}
