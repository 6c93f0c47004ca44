//! Shared helpers for tests that need a real PostgreSQL.
//!
//! `scripts/test` provisions a throwaway cluster and sets CUTOVER_TEST_DATABASE_URL; a
//! developer may point it at their own server. Each test gets its own fresh database.
#![allow(dead_code)]

pub mod cli;
pub mod pty;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

pub fn admin_url() -> String {
    std::env::var("CUTOVER_TEST_DATABASE_URL").unwrap_or_else(|_| {
        panic!("CUTOVER_TEST_DATABASE_URL is not set: run the suite with scripts/test (it provisions a scratch PostgreSQL)")
    })
}

/// The password in the admin URL, to check it never leaks.
pub fn password() -> Option<String> {
    let url = admin_url();
    let rest = url.split_once("://")?.1;
    let userinfo = rest.split('@').next()?;
    userinfo
        .split_once(':')
        .map(|(_, p)| p.to_owned())
        .filter(|p| !p.is_empty())
}

fn with_db(url: &str, db: &str) -> String {
    let (base, _) = url.rsplit_once('/').unwrap_or((url, ""));
    format!("{base}/{db}")
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

pub async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("connect to the test server");
    tokio::spawn(connection);
    client
}

/// Creates a new empty database and returns its URL.
pub async fn fresh_db(tag: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let name = format!(
        "t_{}_{}_{}",
        tag.replace(['-', ' '], "_"),
        std::process::id(),
        n
    )
    .to_lowercase();
    let admin = connect(&admin_url()).await;
    // Two round trips: DROP/CREATE DATABASE refuse to run inside the implicit transaction
    // of a multi-statement query.
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
        .await
        .expect("drop stale test database");
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create test database");
    with_db(&admin_url(), &name)
}

/// A scratch directory for runbooks and journals.
pub fn scratch_dir(tag: &str) -> PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("cutover-test-{tag}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(&path, text).expect("write file");
    path
}

/// The built `cutover` binary.
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_cutover"))
}
