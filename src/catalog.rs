//! A database's schema as a list of objects, each with the definition PostgreSQL itself
//! prints for it (`pg_get_indexdef`, `pg_get_constraintdef`, `format_type`…), and a
//! fingerprint of that list. A rehearsal records the schema before and after; comparing two
//! snapshots says which objects were added, dropped or changed (the drift gate and the
//! up → down → up test build on it).
//!
//! Reading a snapshot is one query over the system catalogs: it never writes. cutover's own
//! `cutover` schema and PostgreSQL's are left out.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// One schema object: its kind (`table`, `column`, `index`…), its qualified name, and its
/// definition as the server prints it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Object {
    pub kind: String,
    pub name: String,
    pub definition: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Sorted by kind, then name.
    pub objects: Vec<Object>,
}

/// How an object differs between two snapshots.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    Added {
        kind: String,
        name: String,
        definition: String,
    },
    Dropped {
        kind: String,
        name: String,
        definition: String,
    },
    Changed {
        kind: String,
        name: String,
        before: String,
        after: String,
    },
}

impl Change {
    /// `added table public.x`, `changed column public.t.c: text → integer`.
    pub fn describe(&self) -> String {
        match self {
            Change::Added { kind, name, .. } => format!("added {kind} {name}"),
            Change::Dropped { kind, name, .. } => format!("dropped {kind} {name}"),
            Change::Changed {
                kind,
                name,
                before,
                after,
            } => format!("changed {kind} {name}: {before} → {after}"),
        }
    }
}

impl Snapshot {
    pub fn new(mut objects: Vec<Object>) -> Snapshot {
        objects.sort();
        objects.dedup();
        Snapshot { objects }
    }

    /// SHA-256 of the objects, one `kind\tname\tdefinition` line each: equal schemas, equal
    /// fingerprints.
    pub fn fingerprint(&self) -> String {
        let mut hasher = Sha256::new();
        for o in &self.objects {
            hasher.update(o.kind.as_bytes());
            hasher.update(b"\t");
            hasher.update(o.name.as_bytes());
            hasher.update(b"\t");
            hasher.update(o.definition.as_bytes());
            hasher.update(b"\n");
        }
        format!("{:x}", hasher.finalize())
    }

    /// What `after` has that this one has not, what it lost, and what it defines otherwise,
    /// in kind-then-name order.
    pub fn diff(&self, after: &Snapshot) -> Vec<Change> {
        let index = |s: &Snapshot| -> BTreeMap<(String, String), String> {
            s.objects
                .iter()
                .map(|o| ((o.kind.clone(), o.name.clone()), o.definition.clone()))
                .collect()
        };
        let (before, after) = (index(self), index(after));
        let mut changes = Vec::new();
        for ((kind, name), definition) in &before {
            match after.get(&(kind.clone(), name.clone())) {
                None => changes.push(Change::Dropped {
                    kind: kind.clone(),
                    name: name.clone(),
                    definition: definition.clone(),
                }),
                Some(now) if now != definition => changes.push(Change::Changed {
                    kind: kind.clone(),
                    name: name.clone(),
                    before: definition.clone(),
                    after: now.clone(),
                }),
                Some(_) => {}
            }
        }
        for ((kind, name), definition) in &after {
            if !before.contains_key(&(kind.clone(), name.clone())) {
                changes.push(Change::Added {
                    kind: kind.clone(),
                    name: name.clone(),
                    definition: definition.clone(),
                });
            }
        }
        changes.sort_by(|a, b| key(a).cmp(&key(b)));
        changes
    }
}

fn key(c: &Change) -> (&str, &str) {
    match c {
        Change::Added { kind, name, .. }
        | Change::Dropped { kind, name, .. }
        | Change::Changed { kind, name, .. } => (kind, name),
    }
}

/// The user's schemas: not PostgreSQL's, not cutover's own tracking schema.
const USER_NAMESPACE: &str = "n.nspname NOT IN ('pg_catalog', 'information_schema', 'cutover') \
     AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'";

/// Every object of the user's schemas with its definition, in one read-only query.
/// Extensions' own objects are left out (the extension and its version stand for them).
pub fn snapshot_sql() -> String {
    let ns = USER_NAMESPACE;
    let not_extension = |class: &str, oid: &str| {
        format!(
            "NOT EXISTS (SELECT 1 FROM pg_depend dep WHERE dep.classid = '{class}'::regclass \
             AND dep.objid = {oid} AND dep.deptype = 'e')"
        )
    };
    let rel = not_extension("pg_class", "c.oid");
    let pro = not_extension("pg_proc", "p.oid");
    let typ = not_extension("pg_type", "t.oid");
    format!(
        "SELECT kind, name, definition FROM (
  SELECT 'schema' AS kind, quote_ident(n.nspname) AS name, '' AS definition
    FROM pg_namespace n WHERE {ns}
  UNION ALL
  SELECT 'extension', quote_ident(x.extname), x.extversion FROM pg_extension x
  UNION ALL
  SELECT CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' WHEN 'v' THEN 'view'
                        WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence'
                        WHEN 'f' THEN 'foreign table' END,
         format('%I.%I', n.nspname, c.relname),
         CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid)
              WHEN c.relkind = 'p' THEN 'partitioned by ' || pg_get_partkeydef(c.oid)
              ELSE '' END
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND {ns} AND {rel}
  UNION ALL
  SELECT 'column', format('%I.%I.%I', n.nspname, c.relname, a.attname),
         format_type(a.atttypid, a.atttypmod)
           || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
           || coalesce(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '')
    FROM pg_attribute a
    JOIN pg_class c ON c.oid = a.attrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
   WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
     AND {ns} AND {rel}
  UNION ALL
  SELECT 'index', format('%I.%I', n.nspname, c.relname),
         pg_get_indexdef(c.oid) || CASE WHEN i.indisvalid THEN '' ELSE ' (INVALID)' END
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE {ns} AND {rel}
  UNION ALL
  SELECT 'constraint', format('%I.%I.%I', n.nspname, c.relname, con.conname),
         pg_get_constraintdef(con.oid)
    FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE {ns} AND {rel}
  UNION ALL
  SELECT 'trigger', format('%I.%I.%I', n.nspname, c.relname, tg.tgname),
         pg_get_triggerdef(tg.oid)
    FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE NOT tg.tgisinternal AND {ns} AND {rel}
  UNION ALL
  SELECT 'function', format('%I.%I(%s)', n.nspname, p.proname,
                            pg_get_function_identity_arguments(p.oid)),
         p.prokind::text || ' returns ' || pg_get_function_result(p.oid)
           || ' language ' || l.lanname || ' md5 ' || md5(coalesce(p.prosrc, ''))
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    JOIN pg_language l ON l.oid = p.prolang
   WHERE {ns} AND {pro}
  UNION ALL
  SELECT 'type', format('%I.%I', n.nspname, t.typname),
         CASE t.typtype
           WHEN 'e' THEN 'enum (' || (SELECT string_agg(quote_literal(e.enumlabel), ', '
                                       ORDER BY e.enumsortorder)
                                     FROM pg_enum e WHERE e.enumtypid = t.oid) || ')'
           WHEN 'd' THEN 'domain ' || format_type(t.typbasetype, t.typtypmod)
           ELSE 'type ' || t.typtype::text END
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
   WHERE t.typtype IN ('e', 'd', 'r', 'm') AND {ns} AND {typ}
) objects"
    )
}

/// Reads the schema of the database `client` is connected to.
pub async fn snapshot(client: &tokio_postgres::Client) -> Result<Snapshot, tokio_postgres::Error> {
    Reader::new(client).await?.read(client).await
}

/// The on-disk size (table, TOAST and indexes: `pg_total_relation_size`) of each of
/// `tables` that exists, by the planner's name for it (`customers` for `public.customers`,
/// `sales.orders` otherwise): how much data a step over them has to go through.
pub async fn table_bytes(
    client: &tokio_postgres::Client,
    tables: &[String],
) -> Result<BTreeMap<String, u64>, tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT name, pg_total_relation_size(c.oid)
               FROM pg_class c
               JOIN pg_namespace n ON n.oid = c.relnamespace
              CROSS JOIN LATERAL (SELECT CASE WHEN n.nspname = 'public' THEN c.relname
                                              ELSE n.nspname || '.' || c.relname END AS name) named
              WHERE c.relkind IN ('r', 'p', 'm') AND name = ANY($1)",
            &[&tables],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let bytes: i64 = r.get(1);
            (r.get::<_, String>(0), u64::try_from(bytes).unwrap_or(0))
        })
        .collect())
}

/// Reads a schema again and again on one session: the query is planned once (half the time
/// of a read on a small schema), for the up → down → up's many snapshots.
pub struct Reader {
    statement: tokio_postgres::Statement,
}

impl Reader {
    pub async fn new(client: &tokio_postgres::Client) -> Result<Reader, tokio_postgres::Error> {
        Ok(Reader {
            statement: client.prepare(snapshot_sql().as_str()).await?,
        })
    }

    pub async fn read(
        &self,
        client: &tokio_postgres::Client,
    ) -> Result<Snapshot, tokio_postgres::Error> {
        let rows = client.query(&self.statement, &[]).await?;
        Ok(Snapshot::new(
            rows.iter()
                .map(|r| Object {
                    kind: r.get::<_, Option<String>>(0).unwrap_or_default(),
                    name: r.get::<_, Option<String>>(1).unwrap_or_default(),
                    definition: r.get::<_, Option<String>>(2).unwrap_or_default(),
                })
                .collect(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(kind: &str, name: &str, definition: &str) -> Object {
        Object {
            kind: kind.into(),
            name: name.into(),
            definition: definition.into(),
        }
    }

    #[test]
    fn equal_schemas_have_equal_fingerprints_whatever_the_order() {
        let a = Snapshot::new(vec![
            o("table", "public.a", ""),
            o("column", "public.a.x", "integer"),
        ]);
        let b = Snapshot::new(vec![
            o("column", "public.a.x", "integer"),
            o("table", "public.a", ""),
        ]);
        assert_eq!(a.fingerprint(), b.fingerprint());
        let c = Snapshot::new(vec![
            o("column", "public.a.x", "bigint"),
            o("table", "public.a", ""),
        ]);
        assert_ne!(a.fingerprint(), c.fingerprint());
    }

    #[test]
    fn a_diff_names_what_was_added_dropped_and_changed() {
        let before = Snapshot::new(vec![
            o("table", "public.a", ""),
            o("column", "public.a.x", "integer"),
            o(
                "index",
                "public.a_x",
                "CREATE INDEX a_x ON public.a USING btree (x)",
            ),
        ]);
        let after = Snapshot::new(vec![
            o("table", "public.a", ""),
            o("column", "public.a.x", "bigint"),
            o("column", "public.a.y", "text"),
        ]);
        let said: Vec<String> = before.diff(&after).iter().map(Change::describe).collect();
        assert_eq!(
            said,
            [
                "changed column public.a.x: integer → bigint",
                "added column public.a.y",
                "dropped index public.a_x",
            ]
        );
        assert!(after.diff(&after).is_empty());
    }
}
