//! A throwaway copy of a database, for a rehearsal: `CREATE DATABASE … TEMPLATE` on the same
//! server when nobody is connected to the source (fast, a file copy), else `pg_dump |
//! pg_restore` (works while the source is in use; reads it in one snapshot). Both only read
//! the source. Passwords go to the tools in their environment, never on a command line.

use crate::connect::{SslMode, Target};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Instant;
use tokio_postgres::Client;
use tokio_postgres::config::Host;
use tokio_postgres::error::SqlState;

/// Why a copy could not be made.
pub(super) enum CopyError {
    /// Sessions are connected to the source (TEMPLATE needs none): how many.
    Busy(i64),
    Refused(String),
}

pub(super) fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `target` with another database name.
pub(super) fn on_database(target: &Target, name: &str) -> Target {
    let mut other = target.clone();
    other.config.dbname(name);
    other
}

pub(super) fn masked(target: &Target, e: &tokio_postgres::Error) -> String {
    let text = match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => e.to_string(),
    };
    crate::secret::mask(&text, target.secret().as_deref())
}

/// `CREATE DATABASE copy TEMPLATE source`, from a session on another database.
pub(super) async fn by_template(
    admin: &Client,
    source: &Target,
    template: &str,
    copy: &str,
) -> Result<(), CopyError> {
    let sql = format!(
        "CREATE DATABASE {} TEMPLATE {}",
        quote_ident(copy),
        quote_ident(template)
    );
    let Err(e) = admin.batch_execute(&sql).await else {
        return Ok(());
    };
    Err(match e.code() {
        Some(&SqlState::OBJECT_IN_USE) => CopyError::Busy(
            admin
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = $1",
                    &[&template],
                )
                .await
                .map(|r| r.get::<_, i64>(0))
                .unwrap_or(1)
                .max(1),
        ),
        Some(&SqlState::INSUFFICIENT_PRIVILEGE) => CopyError::Refused(format!(
            "{} may not create databases (CREATEDB is needed to make the copy): {}",
            source.config.get_user().unwrap_or("this role"),
            masked(source, &e)
        )),
        _ => CopyError::Refused(format!(
            "the copy could not be made: {}",
            masked(source, &e)
        )),
    })
}

/// Drops a copy, ending any session still on it.
pub(super) async fn drop(admin: &Client, copy: &str) -> Result<(), tokio_postgres::Error> {
    let name = quote_ident(copy);
    // WITH (FORCE) is PostgreSQL 13+; before that, end the sessions first.
    if admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await
        .is_ok()
    {
        return Ok(());
    }
    admin
        .execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
            &[&copy],
        )
        .await?;
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
        .await
}

/// A PostgreSQL client tool: `$PG_BIN/<name>` when set, else the newest server version's
/// under /usr/lib/postgresql (Debian), else the one on the PATH.
fn pg_tool(name: &str) -> PathBuf {
    if let Some(dir) = std::env::var_os("PG_BIN") {
        return PathBuf::from(dir).join(name);
    }
    let newest = std::fs::read_dir("/usr/lib/postgresql")
        .ok()
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let version: u32 = e.file_name().to_str()?.parse().ok()?;
            let tool = e.path().join("bin").join(name);
            tool.is_file().then_some((version, tool))
        })
        .max_by_key(|(v, _)| *v);
    newest.map_or_else(|| PathBuf::from(name), |(_, tool)| tool)
}

/// libpq's environment for `target`: how the tools connect without a password on their
/// command line.
fn pg_env(target: &Target) -> Vec<(&'static str, String)> {
    let mut env = Vec::new();
    match target.config.get_hosts().first() {
        Some(Host::Tcp(h)) => env.push(("PGHOST", h.clone())),
        Some(Host::Unix(p)) => env.push(("PGHOST", p.display().to_string())),
        None => {}
    }
    if let Some(port) = target.config.get_ports().first() {
        env.push(("PGPORT", port.to_string()));
    }
    if let Some(user) = target.config.get_user() {
        env.push(("PGUSER", user.to_owned()));
    }
    if let Some(password) = target.secret() {
        env.push(("PGPASSWORD", password));
    }
    env.push(("PGDATABASE", target.dbname()));
    env.push((
        "PGSSLMODE",
        match target.ssl {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
        .to_owned(),
    ));
    if let Some(cert) = &target.root_cert {
        env.push(("PGSSLROOTCERT", cert.display().to_string()));
    }
    env.push(("PGAPPNAME", "cutover:rehearse".to_owned()));
    env
}

/// The last lines of a tool's stderr, with any password masked.
fn tail(target: &Target, stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text.lines().rev().take(6).collect();
    let said: Vec<&str> = lines.into_iter().rev().collect();
    crate::secret::mask(&said.join(" | "), target.secret().as_deref())
}

/// How often the restore's progress is said.
const PROGRESS_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

/// Reads pg_restore's `--verbose` lines as they come: says how far the restore is every few
/// seconds (a big database takes a while, and silence reads as a hang). Returns how many
/// objects it created and its last lines (for the error, should it fail).
async fn restore_progress(
    stderr: tokio::process::ChildStderr,
    into: String,
) -> (usize, Vec<String>) {
    use tokio::io::AsyncBufReadExt;
    let mut lines = tokio::io::BufReader::new(stderr).lines();
    let (mut objects, mut data) = (0usize, 0usize);
    let mut last: std::collections::VecDeque<String> = std::collections::VecDeque::new();
    let mut said_at = Instant::now();
    while let Ok(Some(line)) = lines.next_line().await {
        if line.contains(": creating ") {
            objects += 1;
        }
        let table = line
            .split_once("processing data for table ")
            .map(|(_, t)| t.trim_matches('"').to_owned());
        if table.is_some() {
            data += 1;
        }
        if said_at.elapsed() >= PROGRESS_EVERY {
            said_at = Instant::now();
            eprintln!(
                "restoring into {into}: {objects} object(s), data of {data} table(s){}",
                table.map(|t| format!(", now {t}")).unwrap_or_default()
            );
        }
        if last.len() == 6 {
            last.pop_front();
        }
        last.push_back(line);
    }
    (objects, last.into())
}

/// `pg_dump --format=custom source | pg_restore --dbname copy` (the copy already created,
/// empty). `--no-owner --no-privileges`: the copy belongs to the rehearsing role. Returns
/// how many objects were restored.
pub(super) async fn by_dump(
    source: &Target,
    copy: &Target,
    schema_only: bool,
) -> Result<usize, String> {
    let started = Instant::now();
    let mut dump = tokio::process::Command::new(pg_tool("pg_dump"));
    dump.args(["--format=custom", "--no-owner", "--no-privileges"])
        .args(schema_only.then_some("--schema-only"))
        .envs(pg_env(source))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut dump = dump.spawn().map_err(|e| {
        format!(
            "cannot start pg_dump ({}): {e}",
            pg_tool("pg_dump").display()
        )
    })?;
    let archive: Stdio = dump
        .stdout
        .take()
        .ok_or("pg_dump gave no output")?
        .try_into()
        .map_err(|e| format!("cannot pipe pg_dump into pg_restore: {e}"))?;
    let mut restore = tokio::process::Command::new(pg_tool("pg_restore"))
        .args([
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--verbose",
        ])
        .arg("--dbname")
        .arg(copy.dbname())
        .envs(pg_env(copy))
        .stdin(archive)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| {
            format!(
                "cannot start pg_restore ({}): {e}",
                pg_tool("pg_restore").display()
            )
        })?;
    let progress = restore
        .stderr
        .take()
        .map(|stderr| tokio::spawn(restore_progress(stderr, copy.dbname())));
    let (dumped, restored) = tokio::join!(dump.wait_with_output(), restore.wait());
    let dumped = dumped.map_err(|e| format!("pg_dump: {e}"))?;
    let restored = restored.map_err(|e| format!("pg_restore: {e}"))?;
    let (objects, said) = match progress {
        Some(task) => task.await.unwrap_or_default(),
        None => (0, Vec::new()),
    };
    if !dumped.status.success() {
        return Err(format!(
            "pg_dump of {} failed ({}): {}",
            source.redacted(),
            dumped.status,
            tail(source, &dumped.stderr)
        ));
    }
    if !restored.success() {
        return Err(format!(
            "pg_restore into {} failed ({restored}): {}",
            copy.redacted(),
            tail(copy, said.join("\n").as_bytes())
        ));
    }
    eprintln!(
        "copied {} into {} with pg_dump | pg_restore{}: {objects} object(s) in {:.1}s",
        source.redacted(),
        copy.dbname(),
        if schema_only { " (schema only)" } else { "" },
        started.elapsed().as_secs_f64()
    );
    Ok(objects)
}
