//! Self-tests of the test harness in `tests/support`, none of which needs the
//! hub: if these fail, the hub's tests cannot be trusted either way.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use support::certs::TestCerts;
use support::cli::{Auth, KojiCli};
use support::hub::{http_raw, read_response};
use support::pg::{DbInfo, PgCluster};
use support::{TempDir, free_port};

#[test]
fn psql_returns_rows() {
    let db = PgCluster::shared().create_database();
    let out = db.psql(
        "CREATE TABLE t (id int, name text);
         INSERT INTO t VALUES (1, 'a'), (2, 'b c');
         SELECT id, name FROM t ORDER BY id;",
    );
    assert_eq!(out, "1|a\n2|b c\n");
}

#[test]
fn databases_are_distinct() {
    let pg = PgCluster::shared();
    let (a, b) = (pg.create_database(), pg.create_database());
    assert_ne!(a.dbname, b.dbname);
    assert_eq!(a.psql("SELECT current_database()").trim(), a.dbname);
    a.psql("CREATE TABLE only_in_a (x int)");
    assert_eq!(b.psql("SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'").trim(), "0");
    assert_eq!(a.psql("SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'").trim(), "1");
}

#[test]
fn database_is_utf8_and_reachable_over_tcp() {
    let db = PgCluster::shared().create_database();
    let tcp = DbInfo { host: "127.0.0.1".into(), ..db.clone() };
    assert_eq!(tcp.psql("SHOW server_encoding").trim(), "UTF8");
    assert_eq!(tcp.psql("SELECT 'žluťoučký kůň'").trim(), "žluťoučký kůň");
}

#[test]
#[should_panic(expected = "relation \"no_such_table\" does not exist")]
fn psql_panics_with_the_error() {
    PgCluster::shared().create_database().psql("SELECT 1; SELECT * FROM no_such_table; SELECT 2;");
}

/// Body of the child process that the watchdog tests start: it brings up the
/// shared cluster, reports it, waits for a line on stdin (so the parent can
/// look at the cluster first), then returns or panics as told.
#[test]
#[ignore = "helper: run as a child process by the watchdog tests"]
fn watchdog_child() {
    let Ok(mode) = std::env::var("KOJI_RS_WATCHDOG_CHILD") else {
        return;
    };
    let pg = PgCluster::shared();
    let db = pg.create_database();
    println!("CLUSTER {} {}", pg.dir().display(), db.port);
    std::io::stdout().flush().unwrap();
    std::io::stdin().read_line(&mut String::new()).unwrap();
    if mode == "panic" {
        panic!("child panics on purpose");
    }
}

/// Runs [`watchdog_child`] in a child process and checks that once the child
/// is gone, however it went, its cluster is stopped and its directory removed.
/// `mode` is "exit", "panic", or "kill" (the parent SIGKILLs the child).
fn check_watchdog(mode: &str) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "watchdog_child", "--ignored", "--nocapture", "--test-threads=1"])
        .env("KOJI_RS_WATCHDOG_CHILD", mode)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    // libtest prints "test watchdog_child ... " before the test's own output.
    let line = stdout
        .by_ref()
        .lines()
        .find_map(|l| Some(l.unwrap().split_once("CLUSTER ")?.1.to_owned()))
        .expect("the child reports its cluster");
    let mut fields = line.split(' ');
    let dir = PathBuf::from(fields.next().unwrap());
    let port: u16 = fields.next().unwrap().parse().unwrap();
    let pid_file = std::fs::read_to_string(dir.join("data/postmaster.pid")).expect("postmaster.pid");
    let postmaster = PathBuf::from(format!("/proc/{}", pid_file.lines().next().unwrap()));
    assert!(postmaster.exists(), "the cluster runs while the child does");

    if mode == "kill" {
        child.kill().unwrap(); // SIGKILL: no unwinding, no destructors.
    } else {
        child.stdin.take().unwrap().write_all(b"go\n").unwrap();
    }
    child.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    while dir.exists() || postmaster.exists() {
        assert!(
            Instant::now() < deadline,
            "15 s after the child ended: dir exists {}, postmaster runs {}",
            dir.exists(),
            postmaster.exists()
        );
        thread::sleep(Duration::from_millis(100));
    }
    assert!(TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err(), "nothing listens on the old port");
}

#[test]
fn watchdog_cleans_up_after_normal_exit() {
    check_watchdog("exit");
}

#[test]
fn watchdog_cleans_up_after_panic() {
    check_watchdog("panic");
}

#[test]
fn watchdog_cleans_up_after_sigkill() {
    check_watchdog("kill");
}

fn openssl(args: &[&str]) -> (bool, String) {
    let out = Command::new("openssl").args(args).output().unwrap();
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn certs_verify_against_the_ca() {
    let dir = TempDir::new("certs-test");
    let certs = TestCerts::generate(dir.path());
    let alice = certs.client("alice");
    let rogue = certs.rogue_client("alice");

    for pem in [&certs.server_cert, &alice] {
        let (ok, out) = openssl(&["verify", "-CAfile", s(&certs.ca_cert), s(pem)]);
        assert!(ok, "{out}");
    }
    let (ok, out) = openssl(&["verify", "-CAfile", s(&certs.ca_cert), s(&rogue)]);
    assert!(!ok, "a self-signed client cert must not verify: {out}");

    let (_, text) = openssl(&["x509", "-noout", "-text", "-in", s(&certs.server_cert)]);
    assert!(text.contains("IP Address:127.0.0.1") && text.contains("DNS:localhost"), "{text}");
    let (_, subject) = openssl(&["x509", "-noout", "-subject", "-nameopt", "RFC2253", "-in", s(&alice)]);
    assert_eq!(subject.trim(), "subject=CN=alice,O=koji-rs tests");

    // One file, certificate first, then a key that needs no passphrase.
    let pem = std::fs::read_to_string(&alice).unwrap();
    let (cert_at, key_at) = (pem.find("BEGIN CERTIFICATE").unwrap(), pem.find("BEGIN PRIVATE KEY").unwrap());
    assert!(cert_at < key_at && !pem.contains("ENCRYPTED"));
}

#[test]
fn odd_common_names_survive() {
    let dir = TempDir::new("certs-test");
    let certs = TestCerts::generate(dir.path());
    let cn = "we/ird+name=x y";
    let pem = certs.client(cn);
    let (_, subject) =
        openssl(&["x509", "-noout", "-subject", "-nameopt", "utf8,sep_comma_plus,dn_rev", "-in", s(&pem)]);
    assert_eq!(subject.trim(), "subject=CN=we/ird+name=x y,O=koji-rs tests");
    assert_ne!(pem, certs.client(cn), "a second cert for one CN gets its own file");
}

/// The certificates work for the client stack the koji CLI uses (Python's
/// ssl via requests): the server cert matches 127.0.0.1 under the CA, a CA
/// signed client cert is accepted and a rogue one is not.
#[test]
fn certs_work_for_python_requests() {
    let dir = TempDir::new("certs-test");
    let certs = TestCerts::generate(dir.path());
    let port = free_port();
    let mut server = Command::new("openssl")
        .args(["s_server", "-accept", &format!("127.0.0.1:{port}"), "-www", "-quiet"])
        .args(["-Verify", "1", "-verify_return_error"])
        .args(["-cert", s(&certs.server_cert), "-key", s(&certs.server_key), "-CAfile", s(&certs.ca_cert)])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
        assert!(Instant::now() < deadline, "openssl s_server did not start");
        thread::sleep(Duration::from_millis(50));
    }
    let cli = KojiCli::new("http://127.0.0.1:1/kojihub", Auth::None);
    let fetch = |pem: &Path| {
        cli.python(&format!(
            "import requests\n\
             r = requests.get('https://127.0.0.1:{port}/', cert={:?}, verify={:?}, timeout=10)\n\
             print(r.status_code)",
            s(pem),
            s(&certs.ca_cert)
        ))
    };
    let good = fetch(&certs.client("alice"));
    let bad = fetch(&certs.rogue_client("alice"));
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(good.assert_success().stdout.trim(), "200");
    assert_ne!(bad.status, 0, "a rogue client cert must fail the handshake: {bad:?}");
}

#[test]
fn cli_reports_its_version() {
    // Nothing listens there: `version` prints the client's version, then
    // fails to reach the hub, promptly thanks to the harness's retry limits.
    let dead = format!("http://127.0.0.1:{}/kojihub", free_port());
    let out = KojiCli::new(&dead, Auth::None).run(&["version"]);
    assert!(out.stdout.contains("Client: 1.36.1"), "{out:?}");
    assert_ne!(out.status, 0);
}

#[test]
fn cli_venv_has_koji_and_rpm() {
    let cli = KojiCli::new("http://127.0.0.1:1/kojihub", Auth::None);
    let out = cli.python("import koji, rpm, os; print(koji.__version__, os.environ['KOJI_URL'])");
    assert_eq!(out.assert_success().stdout.trim(), "1.36.1 http://127.0.0.1:1/kojihub");
}

/// The generated koji.conf means to the CLI what the harness intends.
#[test]
fn cli_config_is_read_as_written() {
    let dir = TempDir::new("certs-test");
    let certs = TestCerts::generate(dir.path());
    let pem = certs.client("kojiadmin");
    let cli = KojiCli::new(
        "https://127.0.0.1:8443/kojihub",
        Auth::Ssl { cert: pem.clone(), serverca: certs.ca_cert.clone() },
    );
    let out = cli.python(
        r#"
import koji, os
c = koji.read_config(os.environ['KOJI_PROFILE'], user_config=os.environ['KOJI_CONFIG'])
for k in ('server', 'weburl', 'topurl', 'authtype', 'cert', 'serverca', 'poll_interval',
          'retry_interval', 'max_retries', 'anon_retry'):
    print(k, c[k])
print('env', os.environ['KOJI_CERT'] == c['cert'], os.environ['HOME'] == os.getcwd())
"#,
    );
    let expected = format!(
        "server https://127.0.0.1:8443/kojihub\nweburl https://127.0.0.1:8443/koji\n\
         topurl https://127.0.0.1:8443/kojifiles\nauthtype ssl\ncert {}\nserverca {}\npoll_interval 1\n\
         retry_interval 1\nmax_retries 2\nanon_retry False\nenv True True\n",
        pem.display(),
        certs.ca_cert.display()
    );
    assert_eq!(out.assert_success().stdout, expected);
}

#[test]
fn read_response_handles_framing() {
    let parse = |raw: &str| read_response(&mut raw.as_bytes()).unwrap();
    let r = parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhelloEXTRA");
    assert_eq!((r.status, r.text(), r.header("x-a")), (200, "hello".into(), Some("b")));
    let r = parse(
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 413 Too Big\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\nA\r\n0123456789\r\n0\r\nT: 1\r\n\r\n",
    );
    assert_eq!((r.status, r.text()), (413, "abc0123456789".into()));
    let r = parse("HTTP/1.0 404 Not Found\r\n\r\nuntil EOF");
    assert_eq!((r.status, r.text()), (404, "until EOF".into()));
    assert!(read_response(&mut "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort".as_bytes()).is_err());
}

/// `http_raw` sends what it is told, adding only missing framing headers.
#[test]
fn http_raw_sends_the_request_as_given() {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let addr = listener.local_addr().unwrap();
    let server = thread::spawn(move || {
        let mut requests = Vec::new();
        for _ in 0..2 {
            let (mut conn, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            let mut head = String::new();
            while reader.read_line(&mut head).unwrap() > 2 {}
            let len =
                head.lines().find_map(|l| l.strip_prefix("Content-Length: ")).map_or(0, |n| n.parse().unwrap_or(0));
            let mut body = vec![0; len];
            reader.read_exact(&mut body).unwrap();
            conn.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n").unwrap();
            requests.push((head, body));
        }
        requests
    });
    let r = http_raw(addr, "POST", "/kojihub", &[("Content-Type", "text/xml")], Some(b"<x/>"));
    assert_eq!((r.status, r.text()), (200, "ok".into()));
    http_raw(addr, "POST", "/kojihub", &[("Content-Length", "2")], Some(b"ab"));
    let requests = server.join().unwrap();
    assert_eq!(
        requests[0].0,
        format!(
            "POST /kojihub HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: 4\r\nContent-Type: text/xml\r\n\r\n"
        )
    );
    assert_eq!(requests[0].1, b"<x/>");
    assert_eq!(requests[1].0.matches("Content-Length").count(), 1, "{}", requests[1].0);
}

#[test]
fn spawned_python_takes_turns() {
    let cli = KojiCli::new("http://127.0.0.1:1/kojihub", Auth::None);
    let mut child = cli.spawn_python(
        r#"
import sys
print('ready', flush=True)
print('got', sys.stdin.readline().strip(), flush=True)
sys.stdin.readline()
print('bye')
sys.exit(3)
"#,
    );
    assert_eq!(child.read_line(), "ready\n");
    child.write_line("ping");
    assert_eq!(child.read_line(), "got ping\n");
    let out = child.finish();
    assert_eq!((out.status, out.stdout.as_str()), (3, "ready\ngot ping\nbye\n"));
}

#[test]
#[should_panic(expected = "no line from the script")]
fn spawned_python_that_ends_early_fails_the_read() {
    let cli = KojiCli::new("http://127.0.0.1:1/kojihub", Auth::None);
    cli.spawn_python("import sys; sys.exit('boom')").read_line();
}
