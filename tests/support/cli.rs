//! The stock Python `koji` CLI (PyPI koji 1.36.1, installed into a venv by
//! `deploy/install-deps.sh`), pointed at a test hub: the client whose
//! behaviour koji-rs must match.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use super::certs::TestCerts;
use super::hub::Hub;
use super::{TempDir, run_with_timeout};

/// Name of the profile (config section) the CLI is run with.
pub const PROFILE: &str = "koji-rs";
/// How long one CLI or Python run may take before it is killed.
const TIMEOUT: Duration = Duration::from_secs(60);

/// How the CLI logs in.
#[derive(Clone, Debug)]
pub enum Auth {
    /// `--noauth`: no login even for commands that would log in.
    None,
    /// `--user`/`--password` on the command line; the CLI reads them from
    /// nowhere else.
    Password { user: String, password: String },
    /// `sslLogin` with `cert` (certificate and key in one PEM file),
    /// checking the hub's certificate against `serverca`.
    Ssl { cert: PathBuf, serverca: PathBuf },
}

/// One CLI (or Python) run.
#[derive(Debug)]
pub struct CliOutput {
    /// The exit code; a run ended by a signal reports `128 + signal`, as
    /// shells do.
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl CliOutput {
    /// Panics, showing both streams, unless the run exited 0.
    pub fn assert_success(&self) -> &CliOutput {
        assert_eq!(self.status, 0, "the run failed:\n--- stdout\n{}\n--- stderr\n{}", self.stdout, self.stderr);
        self
    }
}

pub struct KojiCli {
    venv: PathBuf,
    /// HOME and working directory of every run, holding `koji.conf`; files
    /// the CLI downloads land here.
    home: TempDir,
    server: String,
    auth: Auth,
}

impl KojiCli {
    /// A CLI for the hub at `server` (its `/kojihub` URL). Prefer the
    /// hub-based constructors below; this one serves tests that need no
    /// hub or a hub elsewhere.
    pub fn new(server: &str, auth: Auth) -> KojiCli {
        let venv = venv_dir();
        if !venv.join("bin/koji").exists() {
            panic!("the koji CLI venv is missing ({}/bin/koji not found): run deploy/install-deps.sh", venv.display());
        }
        let cli = KojiCli { venv, home: TempDir::new("cli"), server: server.to_owned(), auth };
        std::fs::write(cli.config_path(), cli.config_text()).expect("write koji.conf");
        cli
    }

    /// Password login as `user`.
    pub fn password(hub: &Hub, user: &str, password: &str) -> KojiCli {
        KojiCli::new(&hub.url(), Auth::Password { user: user.to_owned(), password: password.to_owned() })
    }

    /// SSL login with `client_pem` (from [`TestCerts::client`]); the hub must
    /// have been started with `certs` as its `tls`.
    pub fn ssl(hub: &Hub, certs: &TestCerts, client_pem: &Path) -> KojiCli {
        KojiCli::new(&hub.url(), Auth::Ssl { cert: client_pem.to_owned(), serverca: certs.ca_cert.clone() })
    }

    /// Anonymous: every command runs with `--noauth`.
    pub fn anon(hub: &Hub) -> KojiCli {
        KojiCli::new(&hub.url(), Auth::None)
    }

    pub fn config_path(&self) -> PathBuf {
        self.home.path().join("koji.conf")
    }

    /// HOME and working directory of the runs (e.g. where `download-build`
    /// puts files).
    pub fn dir(&self) -> &Path {
        self.home.path()
    }

    /// Runs `koji --config <conf> -p koji-rs [auth options] args…`.
    pub fn run(&self, args: &[&str]) -> CliOutput {
        let mut cmd = self.command(self.venv.join("bin/koji"));
        cmd.arg("--config").arg(self.config_path()).args(["-p", PROFILE]);
        match &self.auth {
            Auth::None => {
                cmd.arg("--noauth");
            }
            Auth::Password { user, password } => {
                cmd.args(["--user", user, "--password", password]);
            }
            Auth::Ssl { .. } => {}
        }
        cmd.args(args);
        run(cmd, &format!("koji {}", args.join(" ")))
    }

    /// Runs `python -c script` in the venv, for tests that drive
    /// `koji.ClientSession` directly (multicall, raw calls). The script finds
    /// the hub in `KOJI_URL`, this CLI's config in `KOJI_CONFIG` and
    /// `KOJI_PROFILE`, and its credentials in `KOJI_USER`/`KOJI_PASSWORD` or
    /// `KOJI_CERT`/`KOJI_SERVERCA`, whichever apply.
    /// Runs a command that must succeed; returns its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        self.run(args).assert_success().stdout.clone()
    }

    /// Runs a command that must fail; returns its stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_ne!(out.status, 0, "koji {} succeeded:\n{}", args.join(" "), out.stdout);
        out.stderr
    }

    pub fn python(&self, script: &str) -> CliOutput {
        run(self.python_command(script), "python script")
    }

    /// Starts [`KojiCli::python`]'s script without waiting for it, for tests
    /// that act between the client's steps (expire its session, count
    /// writes): the script and the test take turns through its stdin and
    /// stdout, one line at a time.
    pub fn spawn_python(&self, script: &str) -> PythonChild {
        let mut cmd = self.python_command(script);
        let mut child = cmd.stdin(Stdio::piped()).spawn().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
        let stdin = child.stdin.take();
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout piped"));
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            loop {
                let mut line = String::new();
                let got = matches!(stdout.read_line(&mut line), Ok(n) if n > 0);
                if !got || tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut stderr = child.stderr.take().expect("stderr piped");
        let stderr = thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = stderr.read_to_end(&mut buf);
            String::from_utf8_lossy(&buf).into_owned()
        });
        PythonChild { child, stdin, lines, stdout: String::new(), stderr: Some(stderr) }
    }

    fn python_command(&self, script: &str) -> Command {
        let mut cmd = self.command(self.venv.join("bin/python"));
        cmd.args(["-c", script])
            .env("KOJI_URL", &self.server)
            .env("KOJI_CONFIG", self.config_path())
            .env("KOJI_PROFILE", PROFILE);
        match &self.auth {
            Auth::None => {}
            Auth::Password { user, password } => {
                cmd.env("KOJI_USER", user).env("KOJI_PASSWORD", password);
            }
            Auth::Ssl { cert, serverca } => {
                cmd.env("KOJI_CERT", cert).env("KOJI_SERVERCA", serverca);
            }
        }
        cmd
    }

    /// A command with an environment that cannot leak the developer's own
    /// Koji setup into the test: HOME is private (no `~/.koji`), proxies are
    /// off (the hub is on loopback), and CA-bundle overrides are gone so
    /// `serverca` alone decides what is trusted.
    fn command(&self, program: PathBuf) -> Command {
        let mut cmd = Command::new(program);
        for var in [
            "http_proxy",
            "https_proxy",
            "all_proxy",
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "ALL_PROXY",
            "REQUESTS_CA_BUNDLE",
            "CURL_CA_BUNDLE",
            "SSL_CERT_FILE",
            "SSL_CERT_DIR",
            "PYTHONPATH",
            "PYTHONHOME",
            "PYTHONSTARTUP",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("HOME", self.home.path())
            .env("LC_ALL", "C.UTF-8")
            .current_dir(self.home.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    fn config_text(&self) -> String {
        let base = self.server.strip_suffix("/kojihub").unwrap_or(&self.server);
        let mut conf =
            format!("[{PROFILE}]\nserver = {}\nweburl = {base}/koji\ntopurl = {base}/kojifiles\n", self.server);
        match &self.auth {
            Auth::None => conf.push_str("authtype = noauth\n"),
            Auth::Password { .. } => conf.push_str("authtype = password\n"),
            Auth::Ssl { cert, serverca } => conf.push_str(&format!(
                "authtype = ssl\ncert = {}\nserverca = {}\n",
                cert.display(),
                serverca.display()
            )),
        }
        // Fail fast: the defaults retry a dead or failing hub for ~10 min.
        conf.push_str("poll_interval = 1\nretry_interval = 1\nmax_retries = 2\nanon_retry = false\n");
        conf
    }
}

/// A running [`KojiCli::spawn_python`] script. Every wait on it is bounded
/// by the same timeout as [`KojiCli::run`]; dropping it kills the script.
pub struct PythonChild {
    child: Child,
    stdin: Option<ChildStdin>,
    /// Lines of stdout, from a reader thread, so reads can time out.
    lines: mpsc::Receiver<String>,
    /// All stdout so far, for [`PythonChild::finish`] and error messages.
    stdout: String,
    stderr: Option<thread::JoinHandle<String>>,
}

impl PythonChild {
    /// The script's next line of stdout, with its newline. Panics, with all
    /// the script printed, if none comes in time or the script ends first
    /// (print with `flush=True`: a pipe is block-buffered).
    pub fn read_line(&mut self) -> String {
        match self.lines.recv_timeout(TIMEOUT) {
            Ok(line) => {
                self.stdout.push_str(&line);
                line
            }
            Err(e) => self.fail(&format!("no line from the script ({e})")),
        }
    }

    /// Sends `line` and a newline to the script's stdin.
    pub fn write_line(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin is open until finish");
        if let Err(e) = writeln!(stdin, "{line}").and_then(|()| stdin.flush()) {
            self.fail(&format!("cannot write to the script: {e}"));
        }
    }

    /// Closes stdin, waits for the script to end and returns all it printed,
    /// including the lines already read.
    pub fn finish(mut self) -> CliOutput {
        self.stdin = None;
        let deadline = Instant::now() + TIMEOUT;
        loop {
            match self.lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(line) => self.stdout.push_str(&line),
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => self.fail("the script did not end"),
            }
        }
        let status = loop {
            match self.child.try_wait().expect("wait for python") {
                Some(status) => break status,
                None if Instant::now() >= deadline => self.fail("the script did not end"),
                None => thread::sleep(Duration::from_millis(20)),
            }
        };
        let stderr = self.stderr.take().unwrap().join().unwrap();
        CliOutput { status: exit_code(status), stdout: std::mem::take(&mut self.stdout), stderr }
    }

    fn fail(&mut self, what: &str) -> ! {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let stderr = self.stderr.take().map(|t| t.join().unwrap()).unwrap_or_default();
        panic!("{what}.\n--- stdout\n{}\n--- stderr\n{stderr}", self.stdout)
    }
}

impl Drop for PythonChild {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The venv from `KOJI_RS_VENV`, default `/var/tmp/koji-rs-venv` (as in
/// `deploy/install-deps.sh`).
fn venv_dir() -> PathBuf {
    std::env::var_os("KOJI_RS_VENV").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/var/tmp/koji-rs-venv"))
}

fn run(mut cmd: Command, what: &str) -> CliOutput {
    let child = cmd.spawn().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    match run_with_timeout(child, TIMEOUT) {
        Ok(done) => CliOutput { status: exit_code(done.status), stdout: done.stdout, stderr: done.stderr },
        Err((stdout, stderr)) => {
            panic!("{what} did not finish within {TIMEOUT:?}; killed.\n--- stdout\n{stdout}\n--- stderr\n{stderr}")
        }
    }
}

/// The exit code, or `128 + signal` for a run ended by a signal, as shells
/// report it.
fn exit_code(status: ExitStatus) -> i32 {
    status.code().unwrap_or_else(|| 128 + status.signal().unwrap_or(0))
}
