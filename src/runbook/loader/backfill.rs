//! A `backfill:` step's fields: the table and key it walks, its batch SQL, how batches are
//! sized, and when it waits.

use super::*;

/// Published practice: start at 1,000 rows, never below 100.
const BATCH: u32 = 1_000;
const MIN_BATCH: u32 = 100;
const MAX_BATCH: u32 = 100_000;
const BATCH_TIME: Duration = Duration::from_millis(500);
/// A batch is a short transaction: its statement is cut off well before a migration's.
const STATEMENT_TIMEOUT: Duration = Duration::from_secs(60);

/// A table or column name written plainly (`orders`, `sales.orders`): cutover puts it into
/// its own keyset query, so nothing that would need quoting is taken.
fn plain_name(s: &str, parts: usize) -> bool {
    let words: Vec<&str> = s.split('.').collect();
    words.len() <= parts
        && words.iter().all(|w| {
            w.chars()
                .next()
                .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
                && w.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        })
}

impl Ctx<'_> {
    pub(super) fn backfill(&mut self, f: &Fields, defaults: &Defaults) -> Option<Backfill> {
        let table = self.plain(f, "table", 2, "orders` or `sales.orders");
        let key = self.plain(f, "key", 1, "id");
        let sql = self.sql_of(f, "backfill");
        if let Some(sql) = &sql
            && !(sql.text.contains("$1") && sql.text.contains("$2"))
        {
            self.error(
                "backfill-parameters",
                f.key_loc("sql").or(f.key_loc("file")).unwrap_or(f.loc),
                "a backfill's SQL is one batch: it must use `$1` (the last key done) and `$2` (the batch's last key)",
                "e.g. `UPDATE orders SET total_cents = total * 100 WHERE id > $1 AND id <= $2`",
            );
            return None;
        }
        let count = |this: &mut Self, key: &str, default: u32| {
            f.get(key)
                .and_then(|n| this.count(n, key, 1))
                .unwrap_or(default)
        };
        let batch = count(self, "batch", BATCH);
        let min_batch = count(self, "min_batch", MIN_BATCH.min(batch));
        let max_batch = count(self, "max_batch", MAX_BATCH.max(batch));
        if !(min_batch <= batch && batch <= max_batch) {
            self.error(
                "backfill-batch",
                f.key_loc("batch").unwrap_or(f.loc),
                format!("`batch: {batch}` must lie within `min_batch: {min_batch}` and `max_batch: {max_batch}`"),
                "raise max_batch, lower min_batch, or pick a batch between them",
            );
            return None;
        }
        let estimate = match f.get("estimate") {
            Some(n) => self.one_of(
                n,
                "estimate",
                &[("count", Estimate::Count), ("stats", Estimate::Stats)],
            )?,
            None => Estimate::Stats,
        };
        let throttle = match f.get("throttle") {
            Some(n) => self.throttle(n)?,
            None => Throttle::default(),
        };
        Some(Backfill {
            table: table?,
            key: key?,
            sql: sql?,
            batch,
            min_batch,
            max_batch,
            batch_time: self.optional_duration(f, "batch_time", BATCH_TIME),
            estimate,
            lock_timeout: self.optional_duration(f, "lock_timeout", defaults.lock_timeout),
            statement_timeout: self.optional_duration(
                f,
                "statement_timeout",
                STATEMENT_TIMEOUT.min(defaults.statement_timeout),
            ),
            throttle,
        })
    }

    /// A required plain name (see [`plain_name`]).
    fn plain(&mut self, f: &Fields, key: &str, parts: usize, example: &str) -> Option<String> {
        let node = self.require(f, key, "a backfill step", example)?;
        let name = self.string(node, key)?;
        if plain_name(&name, parts) {
            return Some(name);
        }
        self.error(
            "backfill-name",
            node.loc,
            format!("`{key}: {name}` is not a plain lower-case name"),
            format!("write it as the catalog has it, e.g. `{key}: {example}` (names that need quoting are not taken)"),
        );
        None
    }

    fn throttle(&mut self, node: &Node) -> Option<Throttle> {
        const KEYS: [&str; 5] = [
            "max_replica_lag",
            "resume_below",
            "probe",
            "vacuum",
            "max_lock_waits",
        ];
        const EXAMPLE: &str = "throttle:\n  max_replica_lag: 5s\n  resume_below: 2s";
        let f = self.fields(node, "`throttle`", &KEYS, EXAMPLE)?;
        let max_replica_lag = f
            .get("max_replica_lag")
            .and_then(|n| self.duration(n, "max_replica_lag"));
        let resume_below_lag = match (f.get("resume_below"), max_replica_lag) {
            (Some(n), _) => self.duration(n, "resume_below"),
            // Half the mark, by default.
            (None, Some(max)) => Some(max / 2),
            (None, None) => None,
        };
        let probe = match f.get("probe") {
            Some(n) => Some(self.throttle_probe(n)?),
            None => None,
        };
        let vacuum = f
            .get("vacuum")
            .and_then(|n| self.boolean(n, "vacuum"))
            .unwrap_or(false);
        let max_lock_waits = f
            .get("max_lock_waits")
            .and_then(|n| self.count(n, "max_lock_waits", 0));
        Some(Throttle {
            max_replica_lag,
            resume_below_lag,
            probe,
            vacuum,
            max_lock_waits,
        })
    }

    fn throttle_probe(&mut self, node: &Node) -> Option<ThrottleProbe> {
        const KEYS: [&str; 4] = ["sql", "file", "above", "resume_below"];
        const EXAMPLE: &str = "probe:\n  sql: SELECT lag_seconds FROM monitoring.replica_lag\n  above: 10\n  resume_below: 3";
        let f = self.fields(node, "a throttle probe", &KEYS, EXAMPLE)?;
        let sql = self.sql_of(&f, "throttle probe");
        let threshold = |this: &mut Self, key: &str| -> Option<f64> {
            let n = this.require(&f, key, "a throttle probe", "10")?;
            match &n.value {
                Value::Int(i) => Some(*i as f64),
                Value::Float(x) => Some(*x),
                other => {
                    this.error(
                        "wrong-type",
                        n.loc,
                        format!(
                            "`{key}` is the number the probe is compared with, found {}",
                            other.kind()
                        ),
                        format!("write a number, e.g. `{key}: 10`"),
                    );
                    None
                }
            }
        };
        let above = threshold(self, "above");
        let resume_below = threshold(self, "resume_below");
        let (above, resume_below) = (above?, resume_below?);
        if resume_below > above {
            self.error(
                "throttle-marks",
                f.key_loc("resume_below").unwrap_or(f.loc),
                format!("`resume_below: {resume_below}` is above `above: {above}`: the backfill would never wait"),
                "go on below a lower mark than the one that pauses, e.g. `above: 10`, `resume_below: 3`",
            );
            return None;
        }
        Some(ThrottleProbe {
            sql: sql?,
            above,
            resume_below,
        })
    }
}
