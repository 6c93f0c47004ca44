//! Command steps: a local program with a timeout, keeping the tail of its output.

use std::time::Duration;
use tokio::io::AsyncReadExt;

pub struct CommandResult {
    pub exit_code: Option<i32>,
    pub timed_out: bool,
    pub stdout_tail: String,
    pub stderr_tail: String,
}

fn tail(bytes: &[u8], lines: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

pub async fn run(program: &[String], timeout: Duration) -> std::io::Result<CommandResult> {
    let Some((exe, args)) = program.split_first() else {
        return Err(std::io::Error::other("empty command"));
    };
    let mut child = tokio::process::Command::new(exe)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let read_out = async {
        let mut buf = Vec::new();
        if let Some(s) = stdout.as_mut() {
            let _ = s.read_to_end(&mut buf).await;
        }
        buf
    };
    let read_err = async {
        let mut buf = Vec::new();
        if let Some(s) = stderr.as_mut() {
            let _ = s.read_to_end(&mut buf).await;
        }
        buf
    };
    let waited = tokio::time::timeout(timeout, async {
        let (out, err, status) = tokio::join!(read_out, read_err, child.wait());
        (out, err, status)
    })
    .await;
    match waited {
        Ok((out, err, status)) => Ok(CommandResult {
            exit_code: status?.code(),
            timed_out: false,
            stdout_tail: tail(&out, 20),
            stderr_tail: tail(&err, 20),
        }),
        Err(_) => {
            let _ = child.kill().await;
            Ok(CommandResult {
                exit_code: None,
                timed_out: true,
                stdout_tail: String::new(),
                stderr_tail: String::new(),
            })
        }
    }
}
