//! Drive the real `cutover` binary in a pseudo-terminal and read its screen.
//!
//! A [`Pty`] is one child process on the slave side of a fresh pty (portable-pty), with a
//! reader thread feeding everything it prints into a `vt100` screen parser of the same
//! size. Tests wait for text on that screen, send keys, and read the exit code. Nothing
//! here sleeps to synchronize: every wait is "until the screen (or the process) says so",
//! bounded by a generous deadline, and a timeout panics with the current screen dump.
//!
//! # API (stable; other test files rely on it)
//!
//! ```ignore
//! use common::pty::{self, Pty, Spawn, keys};
//!
//! // Spawn: args, env, cwd, size (cols x rows). The binary is env!("CARGO_BIN_EXE_cutover").
//! let mut tui: Pty = Spawn::new(["run", "runbooks/demo.yaml", "--operator", "me"])
//!     .env("CUTOVER_DATABASE_URL", &url)   // adds/overrides one variable
//!     .env_remove("PGHOST")                // removes one inherited variable
//!     .cwd(&dir)                           // default: the crate root (CARGO_MANIFEST_DIR)
//!     .size(160, 48)                       // default: 160 x 48
//!     .spawn();
//! // or, for a bare binary: Spawn::program("/bin/sh").arg("-c").arg("...")
//!
//! let screen: String = tui.screen_text();          // the visible screen, rows joined by '\n'
//! let rows: Vec<String> = tui.screen_rows();       // one String per row
//! tui.wait_for("Start the migration?", pty::TIMEOUT);          // -> screen text
//! tui.wait_until("gate open", pty::TIMEOUT, |s| s.contains("GO")); // predicate on the text
//! let i = tui.wait_for_any(&["succeeded", "failed"], pty::TIMEOUT); // index into the list
//! tui.send(" ");                 // raw bytes / text, written to the pty as typed
//! tui.send(keys::DOWN);          // named keys in `keys` (arrows, Enter, Esc, Tab, Ctrl-C, ...)
//! tui.send_keys(&[keys::SPACE, keys::DOWN]); // one write() each (may still be read together)
//! let code: u32 = tui.wait_exit(pty::TIMEOUT);     // exit code (panics on timeout)
//! let code: Option<u32> = tui.try_exit_code();     // non-blocking
//! let all: String = tui.transcript();              // every byte printed so far (lossy UTF-8)
//! tui.resize(80, 24);            // resizes the pty (SIGWINCH) and the parser
//! tui.signal("TERM");            // `kill -s TERM <pid>`;  tui.pid() -> Option<u32>
//! tui.kill();                    // SIGHUP, then SIGKILL after a short grace; also on Drop
//! ```
//!
//! Notes:
//! - The child inherits the test's environment plus `TERM=xterm-256color` (overridable).
//! - `screen_text()` is what a person would see: after the TUI leaves the alternate screen,
//!   it is the normal screen again (where `cutover` prints its final "run …; journal: …").
//! - `wait_*` also panic early, with the screen, when the process exits and its output is
//!   drained without the condition having become true.
//! - A lone `keys::ESC` followed immediately by another key may be read as Alt+key by the
//!   application: wait for the screen to change between an Esc and the next key.
//! - Dropping a [`Pty`] kills the process if it is still running (and never waits long).
#![allow(dead_code)]

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};
use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// A generous default deadline for waits (a loaded 2-core machine, a debug build).
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// Byte sequences of keys as a terminal sends them (xterm, normal cursor mode).
pub mod keys {
    pub const ENTER: &str = "\r";
    pub const ESC: &str = "\x1b";
    pub const TAB: &str = "\t";
    pub const BACKTAB: &str = "\x1b[Z";
    pub const SPACE: &str = " ";
    pub const BACKSPACE: &str = "\x7f";
    pub const UP: &str = "\x1b[A";
    pub const DOWN: &str = "\x1b[B";
    pub const RIGHT: &str = "\x1b[C";
    pub const LEFT: &str = "\x1b[D";
    pub const HOME: &str = "\x1b[H";
    pub const END: &str = "\x1b[F";
    pub const PAGE_UP: &str = "\x1b[5~";
    pub const PAGE_DOWN: &str = "\x1b[6~";
    pub const CTRL_C: &str = "\x03";
}

/// What to spawn; see the module docs.
#[derive(Clone, Debug)]
pub struct Spawn {
    program: OsString,
    args: Vec<OsString>,
    env: Vec<(OsString, Option<OsString>)>,
    cwd: PathBuf,
    cols: u16,
    rows: u16,
}

impl Spawn {
    /// The `cutover` binary under test with these arguments.
    pub fn new<I, S>(args: I) -> Spawn
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        let mut spawn = Spawn::program(env!("CARGO_BIN_EXE_cutover"));
        spawn.args = args.into_iter().map(Into::into).collect();
        spawn
    }

    /// Any program (no arguments yet).
    pub fn program(program: impl Into<OsString>) -> Spawn {
        Spawn {
            program: program.into(),
            args: Vec::new(),
            env: Vec::new(),
            cwd: PathBuf::from(env!("CARGO_MANIFEST_DIR")),
            cols: 160,
            rows: 48,
        }
    }

    pub fn arg(mut self, arg: impl Into<OsString>) -> Spawn {
        self.args.push(arg.into());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Spawn
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Sets one environment variable (the rest is inherited from the test process).
    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Spawn {
        self.env.push((key.into(), Some(value.into())));
        self
    }

    /// Removes one inherited environment variable.
    pub fn env_remove(mut self, key: impl Into<OsString>) -> Spawn {
        self.env.push((key.into(), None));
        self
    }

    pub fn cwd(mut self, dir: impl Into<PathBuf>) -> Spawn {
        self.cwd = dir.into();
        self
    }

    /// Terminal size: columns, rows.
    pub fn size(mut self, cols: u16, rows: u16) -> Spawn {
        self.cols = cols;
        self.rows = rows;
        self
    }

    pub fn spawn(self) -> Pty {
        Pty::start(self)
    }
}

struct Shared {
    parser: vt100::Parser,
    transcript: Vec<u8>,
    /// The reader saw end of file (or an error): the process and its children closed the pty.
    eof: bool,
}

/// One process in a pty; see the module docs.
pub struct Pty {
    shared: Arc<(Mutex<Shared>, Condvar)>,
    master: Box<dyn MasterPty + Send>,
    writer: Option<Box<dyn Write + Send>>,
    child: Box<dyn Child + Send + Sync>,
    exit: Option<u32>,
    description: String,
}

fn nz(n: u16) -> NonZeroU16 {
    NonZeroU16::new(n.max(1)).unwrap_or(NonZeroU16::MIN)
}

impl Pty {
    fn start(spec: Spawn) -> Pty {
        let size = PtySize {
            rows: spec.rows,
            cols: spec.cols,
            pixel_width: 0,
            pixel_height: 0,
        };
        let pair = native_pty_system().openpty(size).expect("open a pty");
        let mut cmd = CommandBuilder::new(&spec.program);
        cmd.args(&spec.args);
        cmd.cwd(&spec.cwd);
        cmd.env("TERM", "xterm-256color");
        for (key, value) in &spec.env {
            match value {
                Some(v) => cmd.env(key, v),
                None => cmd.env_remove(key),
            }
        }
        let child = pair.slave.spawn_command(cmd).unwrap_or_else(|e| {
            panic!("spawn {:?} in a pty: {e}", spec.program);
        });
        // Only the child keeps the slave open, so the reader sees EOF when it is gone.
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let writer = pair.master.take_writer().expect("pty writer");

        let shared = Arc::new((
            Mutex::new(Shared {
                parser: vt100::Parser::new(nz(spec.rows), nz(spec.cols), 0),
                transcript: Vec::new(),
                eof: false,
            }),
            Condvar::new(),
        ));
        let feed = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("pty-reader".into())
            .spawn(move || {
                let mut buf = [0u8; 8192];
                loop {
                    let n = match reader.read(&mut buf) {
                        Ok(0) | Err(_) => 0,
                        Ok(n) => n,
                    };
                    let (lock, cvar) = &*feed;
                    let mut s = lock.lock().unwrap_or_else(|e| e.into_inner());
                    if n == 0 {
                        s.eof = true;
                        cvar.notify_all();
                        return;
                    }
                    s.parser.process(&buf[..n]);
                    s.transcript.extend_from_slice(&buf[..n]);
                    cvar.notify_all();
                }
            })
            .expect("spawn the pty reader thread");

        let description = std::iter::once(&spec.program)
            .chain(&spec.args)
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ");
        Pty {
            shared,
            master: pair.master,
            writer: Some(writer),
            child,
            exit: None,
            description,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Shared> {
        self.shared.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The visible screen, rows joined by '\n' (trailing blanks trimmed per row).
    pub fn screen_text(&self) -> String {
        self.lock().parser.screen().contents()
    }

    /// The visible screen, one String per row (all rows, blank ones included).
    pub fn screen_rows(&self) -> Vec<String> {
        let s = self.lock();
        let screen = s.parser.screen();
        let (_, cols) = screen.size();
        screen.rows(0, cols.get()).collect()
    }

    /// Everything the process printed so far, escape sequences included (lossy UTF-8).
    pub fn transcript(&self) -> String {
        String::from_utf8_lossy(&self.lock().transcript).into_owned()
    }

    /// The process id, while known.
    pub fn pid(&self) -> Option<u32> {
        self.child.process_id()
    }

    fn dump(&self, screen: &str) -> String {
        let mut out = String::new();
        let rows: Vec<&str> = screen.split('\n').collect();
        let _ = writeln!(out, "---- screen of `{}` ----", self.description);
        for (i, row) in rows.iter().enumerate() {
            let _ = writeln!(out, "{i:>3}|{row}");
        }
        let _ = write!(out, "---- end of screen ----");
        out
    }

    /// Waits until `text` is on the screen; returns the screen text.
    #[track_caller]
    pub fn wait_for(&mut self, text: &str, timeout: Duration) -> String {
        self.wait_until(&format!("{text:?} on screen"), timeout, |s| {
            s.contains(text)
        })
    }

    /// Waits until one of `texts` is on the screen; returns the index of the first found
    /// (in `texts` order).
    #[track_caller]
    pub fn wait_for_any(&mut self, texts: &[&str], timeout: Duration) -> usize {
        let screen = self.wait_until(&format!("one of {texts:?} on screen"), timeout, |s| {
            texts.iter().any(|t| s.contains(t))
        });
        texts
            .iter()
            .position(|t| screen.contains(t))
            .unwrap_or_default()
    }

    /// Waits until `pred(screen text)` holds; returns the screen text. Panics with
    /// `what` and the screen dump on timeout or when the process has gone without it.
    #[track_caller]
    pub fn wait_until(
        &mut self,
        what: &str,
        timeout: Duration,
        pred: impl Fn(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let (screen, eof) = {
                let s = self.lock();
                (s.parser.screen().contents(), s.eof)
            };
            if pred(&screen) {
                return screen;
            }
            if eof {
                let code = self.poll_exit();
                panic!(
                    "waiting for {what}: the process closed the terminal (exit code {code:?}) without it\n{}",
                    self.dump(&screen)
                );
            }
            let now = Instant::now();
            if now >= deadline {
                panic!(
                    "waiting for {what}: timed out after {timeout:?}\n{}",
                    self.dump(&screen)
                );
            }
            // Woken by new output; the cap only bounds how late a deadline is noticed.
            let (lock, cvar) = &*self.shared;
            let guard = lock.lock().unwrap_or_else(|e| e.into_inner());
            let wait = (deadline - now).min(Duration::from_millis(500));
            let _ = cvar
                .wait_timeout_while(guard, wait, |s| {
                    !s.eof && s.parser.screen().contents() == screen
                })
                .unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Writes bytes to the terminal, as if typed.
    pub fn send(&mut self, bytes: impl AsRef<[u8]>) {
        let writer = self.writer.as_mut().expect("pty writer already closed");
        writer
            .write_all(bytes.as_ref())
            .and_then(|()| writer.flush())
            .unwrap_or_else(|e| panic!("write to the pty: {e}"));
    }

    /// Writes each key with its own write (so each is read as one key).
    pub fn send_keys(&mut self, keys: &[&str]) {
        for k in keys {
            self.send(k);
        }
    }

    /// Resizes the pty (the process gets SIGWINCH) and the screen parser.
    pub fn resize(&mut self, cols: u16, rows: u16) {
        self.lock().parser.screen_mut().set_size(nz(rows), nz(cols));
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("resize the pty");
    }

    /// Sends a signal by name (`TERM`, `HUP`, `INT`, ...) with `kill -s`.
    pub fn signal(&self, name: &str) {
        let pid = self.pid().expect("the process has no pid (already reaped)");
        let status = std::process::Command::new("kill")
            .args(["-s", name, &pid.to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -s {name} {pid} failed");
    }

    fn poll_exit(&mut self) -> Option<u32> {
        if self.exit.is_none()
            && let Ok(Some(status)) = self.child.try_wait()
        {
            self.exit = Some(status.exit_code());
        }
        self.exit
    }

    /// The exit code if the process has exited (non-blocking).
    pub fn try_exit_code(&mut self) -> Option<u32> {
        self.poll_exit()
    }

    /// Waits for the process to exit and for its output to be drained into the screen;
    /// returns its exit code (a signal death reports 1, as portable-pty does).
    #[track_caller]
    pub fn wait_exit(&mut self, timeout: Duration) -> u32 {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(code) = self.poll_exit() {
                // Let the reader drain what was printed last (bounded: a grandchild may
                // still hold the terminal open).
                let drain = Instant::now() + Duration::from_secs(5);
                let (lock, cvar) = &*self.shared;
                let guard = lock.lock().unwrap_or_else(|e| e.into_inner());
                let _ = cvar
                    .wait_timeout_while(
                        guard,
                        drain.saturating_duration_since(Instant::now()),
                        |s| !s.eof,
                    )
                    .unwrap_or_else(|e| e.into_inner());
                return code;
            }
            if Instant::now() >= deadline {
                panic!(
                    "waiting for the process to exit: timed out after {timeout:?}\n{}",
                    self.dump(&self.screen_text())
                );
            }
            // Woken by output (or EOF); otherwise re-check the child every 100 ms.
            let (lock, cvar) = &*self.shared;
            let guard = lock.lock().unwrap_or_else(|e| e.into_inner());
            let len = guard.transcript.len();
            let _ = cvar
                .wait_timeout_while(guard, Duration::from_millis(100), |s| {
                    !s.eof && s.transcript.len() == len
                })
                .unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Kills the process (SIGHUP, then SIGKILL after a short grace) and reaps it.
    pub fn kill(&mut self) {
        if self.poll_exit().is_none() {
            let _ = self.child.kill();
            let deadline = Instant::now() + Duration::from_secs(5);
            while self.poll_exit().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        self.kill();
        // portable-pty's writer sends "\n" + EOF when dropped: only after the process is gone.
        self.writer.take();
    }
}
