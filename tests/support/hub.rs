//! A `koji-hub` process for one test: its own config, KojiDir and port, on
//! its own database.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::certs::TestCerts;
use super::pg::DbInfo;
use super::{TempDir, free_port, run_ok};

const HUB_BIN: &str = env!("CARGO_BIN_EXE_koji-hub");
/// How long the hub may take to accept connections after `serve` starts.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the hub may take to exit after SIGTERM before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(5);
/// Read/write timeout of [`http_raw`].
const RAW_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Default)]
pub struct HubOptions<'a> {
    /// Serve HTTPS with these certificates and ask for client certificates
    /// signed by their CA; plain HTTP when `None`.
    pub tls: Option<&'a TestCerts>,
    /// More `[hub]` keys, e.g. `("LoginCreatesUser", "false")`; a key the
    /// harness sets by default is replaced, not repeated.
    pub extra_conf: Vec<(String, String)>,
    /// Extra environment for `serve`, e.g. `("RUST_LOG", "debug")`.
    pub env: Vec<(String, String)>,
}

pub struct Hub {
    dir: TempDir,
    child: Child,
    addr: SocketAddr,
    tls: bool,
}

/// One HTTP response as received by [`http_raw`].
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawResponse {
    /// The first header called `name`, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl Hub {
    /// Writes the config, runs `migrate`, starts `serve` and waits until it
    /// accepts connections; panics with the hub's log if it does not.
    pub fn start(db: &DbInfo, opts: HubOptions) -> Hub {
        let dir = TempDir::new("hub");
        // A `ListenAddress` in `extra_conf` is kept (a restarted hub on the same address); else a free port.
        let addr = match opts.extra_conf.iter().find(|(k, _)| k == "ListenAddress") {
            Some((_, a)) => a.parse().expect("ListenAddress is an address"),
            None => SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, free_port())),
        };
        let koji_dir = dir.path().join("koji");
        std::fs::create_dir(&koji_dir).expect("create KojiDir");

        let mut conf = vec![
            ("DBName", db.dbname.clone()),
            ("DBHost", db.host.clone()),
            ("DBPort", db.port.to_string()),
            ("DBUser", db.user.clone()),
            ("KojiDir", koji_dir.to_string_lossy().into_owned()),
            ("ListenAddress", addr.to_string()),
            // The RepoManager's own regens of build tags would add requests, newRepo tasks and the kojira
            // user behind the back of tests about other things; tests of repos turn them on.
            ("RepoAutoRegen", "no".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect::<Vec<_>>();
        if let Some(certs) = opts.tls {
            for (key, path) in [
                ("TLSCertFile", &certs.server_cert),
                ("TLSKeyFile", &certs.server_key),
                ("TLSClientCAFile", &certs.ca_cert),
            ] {
                conf.push((key.to_owned(), path.to_string_lossy().into_owned()));
            }
        }
        for (key, value) in opts.extra_conf {
            match conf.iter_mut().find(|(k, _)| *k == key) {
                Some(entry) => entry.1 = value,
                None => conf.push((key, value)),
            }
        }
        let mut text = String::from("[hub]\n");
        for (key, value) in &conf {
            text.push_str(&format!("{key} = {value}\n"));
        }
        let conf_path = dir.path().join("hub.conf");
        std::fs::write(&conf_path, text).expect("write hub.conf");

        run_ok(Command::new(HUB_BIN).arg("--config").arg(&conf_path).arg("migrate"));

        // stdout and stderr share one file (and one file offset), so lines
        // land in the order the hub wrote them.
        let log = File::create(dir.path().join("hub.log")).expect("create hub.log");
        // The hub stays in our process group: when a test runner kills the
        // group (Ctrl-C, a timeout), the hub goes with it.
        let child = Command::new(HUB_BIN)
            .arg("--config")
            .arg(&conf_path)
            .arg("serve")
            .envs(opts.env)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("dup hub.log"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {HUB_BIN}: {e}"));
        let mut hub = Hub { dir, child, addr, tls: opts.tls.is_some() };
        hub.wait_ready();
        hub
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for hub") {
                panic!("koji-hub serve exited ({status}) before accepting connections:\n{}", self.stderr_log());
            }
            if TcpStream::connect_timeout(&self.addr, Duration::from_millis(200)).is_ok() {
                return;
            }
            if Instant::now() >= deadline {
                panic!(
                    "koji-hub did not accept connections on {} within {START_TIMEOUT:?}:\n{}",
                    self.addr,
                    self.stderr_log()
                );
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// `http(s)://127.0.0.1:PORT`, without a path.
    pub fn base_url(&self) -> String {
        format!("{}://{}", if self.tls { "https" } else { "http" }, self.addr)
    }

    /// The XML-RPC endpoint, as the CLI's `server` option wants it.
    pub fn url(&self) -> String {
        format!("{}/kojihub", self.base_url())
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn conf_path(&self) -> PathBuf {
        self.dir.path().join("hub.conf")
    }

    /// The hub's `KojiDir`, where uploads and task output land.
    pub fn koji_dir(&self) -> PathBuf {
        self.dir.path().join("koji")
    }

    /// Creates a user with the hub's own `create-user` subcommand. The
    /// password goes through a private file, never the command line.
    pub fn create_user(&self, name: &str, password: &str, admin: bool) {
        let pw_file = self.dir.path().join(format!("password-{name}"));
        File::create(&pw_file)
            .and_then(|mut f| {
                f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
                f.write_all(password.as_bytes())
            })
            .expect("write password file");
        let mut cmd = Command::new(HUB_BIN);
        cmd.arg("--config").arg(self.conf_path()).args(["create-user", name, "--password-file"]).arg(&pw_file);
        if admin {
            cmd.arg("--admin");
        }
        run_ok(&mut cmd);
        let _ = std::fs::remove_file(pw_file);
    }

    /// Everything the hub has written to stdout and stderr so far.
    pub fn stderr_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("hub.log")).unwrap_or_default()
    }

    /// Sends one `POST` over a fresh plain-HTTP connection; see [`http_raw`].
    pub fn post_raw(&self, path: &str, headers: &[(&str, &str)], body: &[u8]) -> RawResponse {
        assert!(!self.tls, "post_raw speaks plain HTTP; start the hub without tls");
        http_raw(self.addr, "POST", path, headers, Some(body))
    }

    /// A bodiless `GET` over a fresh plain-HTTP connection.
    pub fn get_raw(&self, path: &str) -> RawResponse {
        assert!(!self.tls, "get_raw speaks plain HTTP; start the hub without tls");
        http_raw(self.addr, "GET", path, &[], None)
    }
}

/// Sends one HTTP/1.1 request over a fresh connection to `addr` and returns
/// the response as received, for tests of malformed or hostile input.
/// `Host`, `Connection: close` and (with a body) `Content-Length` are added
/// unless `headers` names them, so a test can send wrong ones on purpose.
/// Panics if no complete response arrives.
pub fn http_raw(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> RawResponse {
    let has = |name: &str| headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
    let mut head = format!("{method} {path} HTTP/1.1\r\n");
    if !has("Host") {
        head.push_str(&format!("Host: {addr}\r\n"));
    }
    if !has("Connection") {
        head.push_str("Connection: close\r\n");
    }
    if let Some(body) = body.filter(|_| !has("Content-Length") && !has("Transfer-Encoding")) {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");

    let mut stream = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect to {addr}: {e}"));
    stream.set_read_timeout(Some(RAW_TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(RAW_TIMEOUT)).unwrap();
    // A server that rejects a request early (say, too large) may answer and
    // close before the body is sent; the answer is what counts then.
    let sent = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(body.unwrap_or_default()));
    match read_response_to(&mut BufReader::new(stream), method) {
        Ok(response) => response,
        Err(e) => panic!("no HTTP response to {method} {path} (sending: {sent:?}): {e}"),
    }
}

impl Hub {
    /// SIGKILL, as a crash: no shutdown code runs.
    pub fn kill_hard(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Hub {
    /// SIGTERM first, so the hub can shut down as in production; SIGKILL if
    /// it has not exited after a grace period.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            // The shell's builtin `kill`: std only has SIGKILL, and a kill(1)
            // binary is not on every system.
            let _ = Command::new("sh").args(["-c", "kill -TERM \"$1\"", "sh", &self.child.id().to_string()]).status();
            let deadline = Instant::now() + STOP_GRACE;
            while let Ok(None) = self.child.try_wait() {
                if Instant::now() >= deadline {
                    let _ = self.child.kill();
                    break;
                }
                thread::sleep(Duration::from_millis(20));
            }
        }
        let _ = self.child.wait();
    }
}

/// Reads one HTTP/1.1 response: the status line, headers, and a body framed
/// by `Transfer-Encoding: chunked`, `Content-Length`, or the connection's
/// end. Interim `1xx` responses are skipped.
pub fn read_response(r: &mut impl BufRead) -> std::io::Result<RawResponse> {
    read_response_to(r, "GET")
}

/// [`read_response`] for a request with this method: the answer to a `HEAD`
/// has no body, whatever its `Content-Length` says.
pub fn read_response_to(r: &mut impl BufRead, method: &str) -> std::io::Result<RawResponse> {
    let invalid = |what: String| std::io::Error::new(std::io::ErrorKind::InvalidData, what);
    loop {
        let status_line = read_line(r)?;
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse::<u16>().ok())
            .ok_or_else(|| invalid(format!("bad status line {status_line:?}")))?;
        let mut headers = Vec::new();
        loop {
            let line = read_line(r)?;
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').ok_or_else(|| invalid(format!("bad header {line:?}")))?;
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
        if (100..200).contains(&status) {
            continue;
        }
        let mut response = RawResponse { status, headers, body: Vec::new() };
        if method.eq_ignore_ascii_case("HEAD") {
            return Ok(response);
        }
        if response.header("Transfer-Encoding").is_some_and(|te| te.to_ascii_lowercase().contains("chunked")) {
            loop {
                let size_line = read_line(r)?;
                let size = usize::from_str_radix(size_line.split(';').next().unwrap_or("").trim(), 16)
                    .map_err(|_| invalid(format!("bad chunk size {size_line:?}")))?;
                if size == 0 {
                    while !read_line(r)?.is_empty() {} // trailers
                    break;
                }
                let start = response.body.len();
                response.body.resize(start + size, 0);
                r.read_exact(&mut response.body[start..])?;
                read_line(r)?;
            }
        } else if let Some(len) = response.header("Content-Length") {
            let len = len.parse::<usize>().map_err(|_| invalid(format!("bad Content-Length {len:?}")))?;
            response.body.resize(len, 0);
            r.read_exact(&mut response.body)?;
        } else {
            r.read_to_end(&mut response.body)?;
        }
        return Ok(response);
    }
}

/// One CRLF- (or LF-) terminated line without its terminator; end of stream
/// before a line is an error, since a response is incomplete then.
fn read_line(r: &mut impl BufRead) -> std::io::Result<String> {
    let mut line = Vec::new();
    if r.read_until(b'\n', &mut line)? == 0 {
        return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "connection closed"));
    }
    while line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        line.pop();
    }
    Ok(String::from_utf8_lossy(&line).into_owned())
}
