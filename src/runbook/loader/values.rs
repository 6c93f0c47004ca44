//! Reading one value: strings, identifiers, durations, counts, booleans, choices, lists, and a check's expected result.

use super::*;

pub(super) fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

impl Ctx<'_> {
    pub(super) fn string(&mut self, node: &Node, what: &str) -> Option<String> {
        match &node.value {
            Value::Str(s) if !s.trim().is_empty() => Some(s.clone()),
            Value::Str(_) => {
                self.error(
                    "empty-value",
                    node.loc,
                    format!("`{what}` is empty"),
                    "write a value",
                );
                None
            }
            // Numbers are taken as written: `001` stays `001`, not `1`.
            Value::Int(_) | Value::Float(_) | Value::Bool(_) => {
                self.raw_text(node).or_else(|| node.scalar_text())
            }
            other => {
                self.error(
                    "wrong-type",
                    node.loc,
                    if what.contains(' ') {
                        format!("{what} must be a string, found {}", other.kind())
                    } else {
                        format!("`{what}` must be a string, found {}", other.kind())
                    },
                    "write plain text on the same line",
                );
                None
            }
        }
    }

    /// The scalar exactly as it appears in the file (at its anchor for an alias), when
    /// its span is known.
    pub(super) fn raw_text(&self, node: &Node) -> Option<String> {
        let at = node.written;
        let end = at.offset.checked_add(at.len)?;
        let raw = self.text.get(at.offset..end)?.trim();
        (!raw.is_empty() && at.len > 0 && !raw.contains(['\n', ':', '#', '[', '{', '*', '&', '!']))
            .then(|| raw.to_owned())
    }

    pub(super) fn identifier(&mut self, node: &Node, what: &str) -> Option<String> {
        let s = self.string(node, what)?;
        if is_identifier(&s) {
            Some(s)
        } else {
            let suggestion: String = s
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            self.error(
                "bad-identifier",
                node.loc,
                format!("`{s}` is not a valid {what}"),
                format!("use letters, digits, `_`, `-` and `.` only, e.g. `{suggestion}`"),
            );
            None
        }
    }

    pub(super) fn duration(&mut self, node: &Node, what: &str) -> Option<Duration> {
        let text = match &node.value {
            Value::Str(s) => s.clone(),
            Value::Int(i) if *i < 0 => {
                let n = i.unsigned_abs();
                self.error(
                    "bad-duration",
                    node.loc,
                    format!("`{what}: {i}` is negative and has no unit: a duration is how long something may take"),
                    format!("write `{n}s` or `{n}m` (units: ms, s, m, h, d)"),
                );
                return None;
            }
            Value::Int(i) => {
                self.error(
                    "bad-duration",
                    node.loc,
                    format!("`{what}: {i}` has no unit"),
                    format!("write `{i}s` or `{i}m` (units: ms, s, m, h, d)"),
                );
                return None;
            }
            other => {
                self.error(
                    "bad-duration",
                    node.loc,
                    format!("`{what}` must be a duration, found {}", other.kind()),
                    "write a duration like `30s`, `5m` or `1h30m`",
                );
                return None;
            }
        };
        match duration::parse(&text) {
            Ok(d) => Some(d),
            Err(reason) => {
                self.error(
                    "bad-duration",
                    node.loc,
                    format!("`{text}` is not a duration ({reason})"),
                    duration::suggest(&text),
                );
                None
            }
        }
    }

    pub(super) fn optional_duration(
        &mut self,
        fields: &Fields,
        key: &str,
        default: Duration,
    ) -> Duration {
        fields
            .get(key)
            .and_then(|n| self.duration(n, key))
            .unwrap_or(default)
    }

    pub(super) fn count(&mut self, node: &Node, what: &str, min: i64) -> Option<u32> {
        let too_large =
            |this: &mut Self, written: &str| {
                this.error(
                "out-of-range",
                node.loc,
                format!(
                    "`{what}: {written}` is too large: the largest `{what}` cutover takes is {}",
                    u32::MAX
                ),
                format!("write a number up to {}, e.g. `{what}: {}`", u32::MAX, min.max(5)),
            );
                None
            };
        match &node.value {
            Value::Int(i) if *i >= min => match u32::try_from(*i) {
                Ok(n) => Some(n),
                Err(_) => too_large(self, &i.to_string()),
            },
            // A whole number too large for the parser's integers arrives as a float.
            Value::Float(_)
                if self.raw_text(node).is_some_and(|raw| {
                    !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit())
                }) =>
            {
                let raw = self.raw_text(node).unwrap_or_default();
                too_large(self, &raw)
            }
            Value::Int(i) => {
                self.error(
                    "out-of-range",
                    node.loc,
                    format!("`{what}` must be at least {min}, found {i}"),
                    format!("write `{what}: {min}` or more"),
                );
                None
            }
            other => {
                self.error(
                    "wrong-type",
                    node.loc,
                    format!("`{what}` must be a whole number, found {}", other.kind()),
                    format!("write `{what}: {}`", min.max(1)),
                );
                None
            }
        }
    }

    pub(super) fn boolean(&mut self, node: &Node, what: &str) -> Option<bool> {
        match &node.value {
            Value::Bool(b) => Some(*b),
            other => {
                self.error(
                    "wrong-type",
                    node.loc,
                    format!("`{what}` must be true or false, found {}", other.kind()),
                    format!("write `{what}: true` or `{what}: false`"),
                );
                None
            }
        }
    }

    pub(super) fn one_of<T: Copy>(
        &mut self,
        node: &Node,
        what: &str,
        options: &[(&str, T)],
    ) -> Option<T> {
        let words: Vec<&str> = options.iter().map(|(w, _)| *w).collect();
        let text = node.scalar_text();
        if let Some(found) = options.iter().find(|(w, _)| Some(*w) == text.as_deref()) {
            return Some(found.1);
        }
        let shown = text.unwrap_or_else(|| node.value.kind().to_owned());
        let help = match did_you_mean(&shown, &words) {
            Some(s) => format!("did you mean `{s}`? (one of: {})", words.join(", ")),
            None => format!("write one of: {}", words.join(", ")),
        };
        self.error(
            "bad-value",
            node.loc,
            format!("`{shown}` is not a valid {what}"),
            help,
        );
        None
    }

    pub(super) fn string_list(
        &mut self,
        node: &Node,
        what: &str,
        example: &str,
    ) -> Option<Vec<(String, Loc)>> {
        let items: Vec<&Node> = match &node.value {
            Value::Seq(items) => items.iter().collect(),
            Value::Str(_) => vec![node],
            other => {
                // The words written, in a list: `{step: notify}` → `[notify]`.
                let written: Vec<String> = match other {
                    Value::Map(entries) => entries
                        .iter()
                        .filter_map(|(_, v)| v.scalar_text())
                        .filter(|v| is_identifier(v))
                        .collect(),
                    _ => Vec::new(),
                };
                let example = if written.is_empty() {
                    example.to_owned()
                } else {
                    format!("[{}]", written.join(", "))
                };
                self.error(
                    "wrong-type",
                    node.loc,
                    format!("`{what}` must be a list, found {}", other.kind()),
                    format!("write `{what}: {example}`"),
                );
                return None;
            }
        };
        let mut out = Vec::new();
        for item in items {
            if let Some(s) = self.string(item, what) {
                out.push((s, item.loc));
            }
        }
        Some(out)
    }

    pub(super) fn scalar(&mut self, node: &Node) -> Option<Scalar> {
        match &node.value {
            Value::Null => Some(Scalar::Null),
            Value::Bool(b) => Some(Scalar::Bool(*b)),
            Value::Int(i) => Some(Scalar::Int(*i)),
            Value::Float(x) => Some(Scalar::Float(*x)),
            Value::Str(s) => Some(Scalar::Text(s.clone())),
            other => {
                self.error(
                    "bad-expect",
                    node.loc,
                    format!("cannot compare against {}", other.kind()),
                    "compare against one value, e.g. `{ eq: 43 }`",
                );
                None
            }
        }
    }

    pub(super) fn number(&mut self, node: &Node, op: &str) -> Option<f64> {
        match &node.value {
            Value::Int(i) => Some(*i as f64),
            Value::Float(x) => Some(*x),
            other => {
                let shown = node
                    .scalar_text()
                    .map_or_else(|| other.kind().to_owned(), |t| format!("`{t}`"));
                let example = if op == "between" {
                    "`{ between: [1, 10] }`".to_owned()
                } else {
                    format!("`{{ {op}: 100 }}`, or use `eq`/`ne` to compare text")
                };
                self.error(
                    "bad-expect",
                    node.loc,
                    format!("`{op}` compares numbers, but {shown} is not a number"),
                    format!("write numbers, e.g. {example}"),
                );
                None
            }
        }
    }

    pub(super) fn expectation(&mut self, node: &Node) -> Option<Expectation> {
        self.comparison(node, "expect", true)
    }

    /// Parses `expect` (rows/empty allowed) or `alert` (value comparisons only).
    pub(super) fn comparison(
        &mut self,
        node: &Node,
        what: &str,
        rows_allowed: bool,
    ) -> Option<Expectation> {
        let mut keys: Vec<&str> = Op::KEYS.to_vec();
        keys.push("between");
        if rows_allowed {
            keys.extend(["rows", "empty"]);
        }
        let entries = match &node.value {
            Value::Map(entries) => entries,
            Value::Seq(_) => {
                self.error(
                    "bad-expect",
                    node.loc,
                    format!("`{what}` cannot be a list"),
                    "for a range write `{ between: [1, 10] }`",
                );
                return None;
            }
            _ if rows_allowed => {
                let value = self.scalar(node)?;
                return Some(Expectation::Value(Comparison::Compare {
                    op: Op::Eq,
                    value,
                }));
            }
            other => {
                self.error(
                    "bad-expect",
                    node.loc,
                    format!("`alert` must say when to alert, found {}", other.kind()),
                    "write a threshold, e.g. `alert: { gt: 200 }`",
                );
                return None;
            }
        };
        let [(key, value)] = entries.as_slice() else {
            self.error(
                "bad-expect",
                node.loc,
                format!("`{what}` takes exactly one comparison, found {}", entries.len()),
                "write one of eq, ne, lt, le, gt, ge, between (and for expect: rows, empty); for a range use `{ between: [1, 10] }`",
            );
            return None;
        };
        let op_name = key.scalar_text().unwrap_or_default();
        let op = match op_name.as_str() {
            "eq" => Some(Op::Eq),
            "ne" => Some(Op::Ne),
            "lt" => Some(Op::Lt),
            "le" => Some(Op::Le),
            "gt" => Some(Op::Gt),
            "ge" => Some(Op::Ge),
            _ => None,
        };
        if let Some(op) = op {
            let value = if matches!(op, Op::Eq | Op::Ne) {
                self.scalar(value)?
            } else {
                let n = self.number(value, &op_name)?;
                match value.value {
                    Value::Int(i) => Scalar::Int(i),
                    _ => Scalar::Float(n),
                }
            };
            return Some(Expectation::Value(Comparison::Compare { op, value }));
        }
        match op_name.as_str() {
            "between" => {
                let Value::Seq(bounds) = &value.value else {
                    self.error(
                        "bad-expect",
                        value.loc,
                        "`between` takes two numbers",
                        "write `{ between: [1, 10] }`",
                    );
                    return None;
                };
                let [low, high] = bounds.as_slice() else {
                    self.error(
                        "bad-expect",
                        value.loc,
                        format!("`between` takes two numbers, found {}", bounds.len()),
                        "write `{ between: [1, 10] }`",
                    );
                    return None;
                };
                let (low_v, high_v) = (self.number(low, "between")?, self.number(high, "between")?);
                if low_v > high_v {
                    self.error(
                        "bad-expect",
                        value.loc,
                        format!("`between` bounds are reversed: {low_v} is above {high_v}"),
                        format!("write `{{ between: [{high_v}, {low_v}] }}`"),
                    );
                    return None;
                }
                Some(Expectation::Value(Comparison::Between {
                    low: low_v,
                    high: high_v,
                }))
            }
            "rows" if rows_allowed => match value.value {
                Value::Int(n) if n >= 0 => Some(Expectation::Rows(n as u64)),
                _ => {
                    self.error(
                        "bad-expect",
                        value.loc,
                        "`rows` is a row count, a whole number of 0 or more",
                        "write `{ rows: 3 }`, or `{ empty: true }` for no rows",
                    );
                    None
                }
            },
            "empty" if rows_allowed => self.boolean(value, "empty").map(Expectation::Empty),
            other => {
                let alias = match other {
                    "gte" | ">=" => Some("ge"),
                    "lte" | "<=" => Some("le"),
                    "neq" | "!=" | "<>" => Some("ne"),
                    "==" | "=" | "equals" => Some("eq"),
                    ">" => Some("gt"),
                    "<" => Some("lt"),
                    _ => None,
                };
                let help = match alias.or_else(|| did_you_mean(other, &keys)) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("write one of: {}", keys.join(", ")),
                };
                self.error(
                    "bad-expect",
                    key.loc,
                    format!("`{other}` is not a comparison {what} understands"),
                    help,
                );
                None
            }
        }
    }
}
