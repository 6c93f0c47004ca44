//! The real `cutover` binary, run as a DBA would (headless), with bounded waits.

use std::path::Path;
use std::time::Duration;

pub struct Output {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

pub fn cutover_command(dir: &Path, args: &[&str]) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(super::binary());
    cmd.args(args)
        .current_dir(dir)
        .env_remove("CUTOVER_DATABASE_URL")
        .env_remove("PGPASSWORD")
        .env_remove("PGAPPNAME")
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    cmd
}

/// Runs `cutover` in `dir` and waits (bounded) for it.
pub async fn cutover(dir: &Path, args: &[&str]) -> Output {
    let out = tokio::time::timeout(Duration::from_secs(30), cutover_command(dir, args).output())
        .await
        .unwrap_or_else(|_| panic!("cutover {args:?} did not finish within 30s"))
        .expect("cutover runs");
    Output {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `cutover run RUNBOOK --headless --database-url URL` plus `extra`.
pub async fn headless(dir: &Path, runbook: &Path, url: &str, extra: &[&str]) -> Output {
    let runbook = runbook.to_str().unwrap();
    let mut args = vec!["run", runbook, "--headless", "--database-url", url];
    args.extend_from_slice(extra);
    cutover(dir, &args).await
}
