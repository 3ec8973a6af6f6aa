//! Issue 8: the web UI at `/koji`, in headless Chromium driven over WebDriver (fantoccini + chromedriver), against
//! a real hub with generated farm history (`deploy/bench/web-data.sql`) and data made with the stock CLI.
//!
//! The browser parts are skipped, with a message, only when `chromedriver` is not installed; the HTTP-level checks
//! (escaping, CSRF, faults, the remote `koji-web`) always run. Screenshots go to `$CARGO_TARGET_DIR/web-shots`.

mod support;

use fantoccini::{Client, ClientBuilder, Locator};
use koji_rs::xmlrpc::{self, Value};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::certs::TestCerts;
use support::cli::KojiCli;
use support::fleet::{ADMIN_PW, add_host, make_task, ready, setup, setup_with_cli, task_field, wait_for};
use support::hub::{Hub, HubOptions, http_raw};
use support::pg::{DbInfo, PgCluster};
use support::rpc::Rpc;
use support::{TempDir, free_port};

const USER_PW: &str = "user-pw";
const XSS: &str = "<script>alert(1)</script>";
const WAIT: Duration = Duration::from_secs(20);

/// The generated history at test scale: 150 tasks in 50 trees, 10 builds, 6 hosts.
fn generate(db: &DbInfo) {
    let sql = include_str!("../deploy/bench/web-data.sql");
    db.psql(&format!("\\set tasks 150\n\\set builds 10\n\\set hosts 6\n{sql}"));
}

fn get(hub: &Hub, path: &str) -> (u16, String) {
    let r = hub.get_raw(path);
    (r.status, r.text())
}

/// Where screenshots go: beside the build, so CI keeps them with the other artifacts.
fn shots_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| PathBuf::from("target"), PathBuf::from);
    let dir = target.join("web-shots");
    std::fs::create_dir_all(&dir).expect("create web-shots");
    dir
}

/// chromedriver and a headless Chromium session; `None` (with a message) when chromedriver is not installed.
struct Browser {
    rt: tokio::runtime::Runtime,
    client: Client,
    driver: Child,
    _profile: TempDir,
}

impl Browser {
    fn start(width: u32) -> Option<Browser> {
        let Some(driver_bin) = ["chromedriver", "/usr/bin/chromedriver"]
            .into_iter()
            .find(|b| Command::new(b).arg("--version").output().is_ok_and(|o| o.status.success()))
        else {
            eprintln!(
                "SKIPPED browser checks: chromedriver is not installed (apt-get install chromium chromium-driver)"
            );
            return None;
        };
        let port = free_port();
        let driver = Command::new(driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let profile = TempDir::new("chromium");
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let caps = serde_json::json!({
            "goog:chromeOptions": {
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         format!("--window-size={width},900"), format!("--user-data-dir={}", profile.path().display())]
            }
        });
        let caps: serde_json::Map<String, serde_json::Value> = caps.as_object().unwrap().clone();
        let started = Instant::now();
        let client = loop {
            let attempt = rt.block_on(
                ClientBuilder::native().capabilities(caps.clone()).connect(&format!("http://127.0.0.1:{port}")),
            );
            match attempt {
                Ok(c) => break c,
                Err(e) if started.elapsed() > WAIT => panic!("cannot start a Chromium session: {e}"),
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        };
        Some(Browser { rt, client, driver, _profile: profile })
    }

    fn goto(&self, url: &str) {
        self.rt.block_on(self.client.goto(url)).unwrap_or_else(|e| panic!("goto {url}: {e}"));
    }

    fn text(&self, css: &str) -> String {
        self.rt
            .block_on(async { self.client.find(Locator::Css(css)).await?.text().await })
            .unwrap_or_else(|e| panic!("text of {css}: {e}"))
    }

    fn body(&self) -> String {
        self.text("body")
    }

    fn click(&self, css: &str) {
        self.rt
            .block_on(async { self.client.find(Locator::Css(css)).await?.click().await })
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    fn fill(&self, css: &str, value: &str) {
        self.rt
            .block_on(async { self.client.find(Locator::Css(css)).await?.send_keys(value).await })
            .unwrap_or_else(|e| panic!("fill {css}: {e}"));
    }

    fn js(&self, script: &str) -> serde_json::Value {
        self.rt.block_on(self.client.execute(script, vec![])).unwrap_or_else(|e| panic!("js {script}: {e}"))
    }

    /// Waits until the element's text contains `want` (the page is not reloaded meanwhile).
    fn wait_text(&self, css: &str, want: &str) {
        let started = Instant::now();
        loop {
            let got = self.rt.block_on(async { self.client.find(Locator::Css(css)).await?.text().await });
            match got {
                Ok(t) if t.contains(want) => return,
                other if started.elapsed() > WAIT => panic!("{css} never showed {want:?}; last: {other:?}"),
                _ => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    fn screenshot(&self, name: &str) {
        let png = self.rt.block_on(self.client.screenshot()).expect("screenshot");
        let path = shots_dir().join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write screenshot");
        println!("screenshot: {}", path.display());
    }

    fn login(&self, hub: &Hub, user: &str, password: &str) {
        self.rt.block_on(self.client.delete_all_cookies()).expect("clear cookies");
        self.goto(&format!("{}/koji/login", hub.base_url()));
        self.fill("input[name=user]", user);
        self.fill("input[name=password]", password);
        self.click("#loginform button");
        self.wait_text("#whoami", user);
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.rt.block_on(self.client.clone().close());
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// A farm with history: generated tasks, builds and hosts, plus a tag, target and packages made with the CLI
/// (one package named as an XSS attempt).
fn farm() -> (DbInfo, Hub, KojiCli) {
    let (db, hub, admin) = setup_with_cli(&[("ReadyTimeout", "315360000")]);
    generate(&db);
    for args in [
        &["add-tag", "f40-build", "--arches", "x86_64 aarch64"][..],
        &["add-tag", "f40", "--parent", "f40-build"],
        &["edit-tag", "f40", "-x", "mock.package_manager=dnf"],
        &["add-target", "f40-candidate", "f40-build", "f40"],
        &["add-pkg", "--owner", "kojiadmin", "f40", "pkg1", "pkg2", XSS],
        &["add-user", "alice"],
    ] {
        admin.ok(args);
    }
    (db, hub, admin)
}

#[test]
fn pages_show_the_farm_escaped_and_guarded() {
    let (db, hub, _admin) = farm();
    let pkg_id = db.psql(&format!("SELECT id FROM package WHERE name = '{XSS}'")).trim().to_owned();
    let top: i64 = db.psql("SELECT max(id) FROM task WHERE parent IS NULL").trim().parse().unwrap();
    let build_task = db.psql("SELECT task_id FROM build WHERE id = 1").trim().to_owned();

    // Every page answers, with the hub's data in it.
    let pages = [
        ("/koji/index", "Running tasks"),
        ("/koji/tasks", "buildArch"),
        ("/koji/tasks?state=all&view=flat&order=-id", "buildArch"),
        ("/koji/tasks?state=failed&view=toplevel", "FAILED"),
        (&format!("/koji/taskinfo?taskID={top}"), "f40-candidate"),
        (&format!("/koji/taskinfo?taskID={build_task}"), "pkg1-1.0-1.fc40"),
        ("/koji/builds", "pkg1-1.0-1.fc40"),
        ("/koji/buildinfo?buildID=1", "pkg1"),
        ("/koji/packages", "pkg2"),
        ("/koji/packageinfo?packageID=1", "pkg1-1.0-1.fc40"),
        ("/koji/tags", "f40-build"),
        ("/koji/taginfo?tagID=f40", "mock.package_manager"),
        ("/koji/buildtargets", "f40-candidate"),
        ("/koji/buildtargetinfo?name=f40-candidate", "f40-build"),
        ("/koji/hosts", "builder1"),
        ("/koji/hostinfo?hostID=builder2", "x86_64 i686"),
        ("/koji/channels", "createrepo"),
        ("/koji/channelinfo?channelID=1", "builder3"),
        ("/koji/clusterhealth", "aarch64"),
        ("/koji/users", "packager7"),
        ("/koji/userinfo?userID=packager1", "packager1"),
        ("/koji/search?terms=pkg*&type=package&match=glob", "pkg2"),
        ("/koji/search?terms=^builder[12]$&type=host&match=regexp", "builder2"),
        ("/koji/login", "Password"),
        ("/koji/static/koji.js", "EventSource"),
    ];
    for (path, want) in pages {
        let (status, body) = get(&hub, path);
        assert_eq!(status, 200, "{path}: {body}");
        assert!(body.contains(want), "{path} lacks {want:?}:\n{body}");
    }

    // The XSS package name is shown escaped wherever it appears.
    let (_, body) = get(&hub, &format!("/koji/packageinfo?packageID={pkg_id}"));
    assert!(body.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"), "{body}");
    assert!(!body.contains(XSS));
    let (_, body) = get(&hub, "/koji/taginfo?tagID=f40");
    assert!(body.contains("&lt;script&gt;") && !body.contains(XSS), "{body}");

    // Faults are error pages with the hub's message.
    let (status, body) = get(&hub, "/koji/taskinfo?taskID=999999");
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("No such task ID: 999999"), "{body}");
    let (status, body) = get(&hub, "/koji/tasks?state=bogus");
    assert_eq!(status, 400);
    assert!(body.contains("Invalid value for state"), "{body}");

    // An action without a session and a CSRF token changes nothing.
    let open: i64 = db.psql("SELECT min(id) FROM task WHERE state = 1").trim().parse().unwrap();
    let form = format!("taskID={open}&csrf=forged");
    let r = hub.post_raw("/koji/canceltask", &[("Content-Type", "application/x-www-form-urlencoded")], form.as_bytes());
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(task_field(&db, open, "state"), "1");

    let Some(browser) = Browser::start(1280) else { return };
    let base = hub.base_url();
    browser.goto(&format!("{base}/koji/index"));
    assert!(browser.text("#running").contains("build"), "{}", browser.body());
    browser.screenshot("index");
    browser.goto(&format!("{base}/koji/tasks?state=all"));
    assert!(browser.text("#tasks").contains("buildArch (aarch64)"));
    browser.screenshot("tasks");
    browser.goto(&format!("{base}/koji/taskinfo?taskID={top}"));
    assert!(browser.text("#summary").contains("OPEN"), "{}", browser.body());
    assert!(browser.text("#children").contains("buildArch (x86_64)"));
    browser.screenshot("taskinfo");
    browser.goto(&format!("{base}/koji/buildinfo?buildID=1"));
    assert!(browser.text("#build").contains("COMPLETE"));
    browser.screenshot("buildinfo");
    browser.goto(&format!("{base}/koji/taginfo?tagID=f40"));
    assert!(browser.text("#inheritance").contains("f40-build"));
    assert!(browser.text("#tagpackages").contains(XSS), "the name is shown as text");
    browser.screenshot("taginfo");
    browser.goto(&format!("{base}/koji/packageinfo?packageID={pkg_id}"));
    assert_eq!(browser.text("#pkgname"), XSS);
    assert_eq!(browser.js("return document.querySelectorAll('main script').length"), serde_json::json!(0));
    browser.goto(&format!("{base}/koji/hosts"));
    assert!(browser.text("#hosts").contains("builder6"));
    browser.screenshot("hosts");
    browser.goto(&format!("{base}/koji/clusterhealth"));
    assert_eq!(browser.js("return document.querySelectorAll('#chart svg rect').length > 3"), serde_json::json!(true));
    assert!(browser.text("#health").contains("default"));
    browser.screenshot("clusterhealth");
    browser.goto(&format!("{base}/koji/search?terms=f40*&type=tag&match=glob"));
    assert!(browser.text("#results").contains("f40-build"));

    // Usable at 375 px: nothing wider than the screen but the scrolling tables.
    drop(browser);
    let Some(phone) = Browser::start(375) else { return };
    for page in ["index", "tasks", &format!("taskinfo?taskID={top}"), "hosts", "clusterhealth"] {
        phone.goto(&format!("{base}/koji/{page}"));
        let width = phone.js("return document.documentElement.scrollWidth").as_i64().unwrap();
        let viewport = phone.js("return window.innerWidth").as_i64().unwrap();
        assert!(width <= viewport, "{page} is {width}px wide at {viewport}px");
    }
    phone.goto(&format!("{base}/koji/taskinfo?taskID={top}"));
    phone.screenshot("taskinfo-375px");
}

/// One chunk of a task's log, uploaded as kojid does (`rawUpload` at an offset).
fn upload(hub: &Hub, builder: &Rpc, task: i64, offset: usize, data: &str) {
    let path = format!(
        "/kojihub?filename=build.log&filepath=tasks/{}/{task}&fileverify=adler32&offset={offset}",
        task % 10000
    );
    let mut headers: Vec<(String, String)> = builder.session_headers();
    headers.push(("Content-Type".into(), "application/octet-stream".into()));
    let h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = hub.post_raw(&path, &h, data.as_bytes());
    assert!(r.text().contains("<name>size</name>"), "upload failed: {}", r.text());
}

/// A task made by the admin and opened by the builder, as the scheduler places it.
fn running_task(db: &DbInfo, admin: &mut Rpc, builder: &mut Rpc) -> i64 {
    let t = make_task(admin, "buildArch", "x86_64", &[]);
    wait_for("assignment", WAIT, || (task_field(db, t, "state") == "4").then_some(()));
    builder.ok("host.openTask", vec![Value::Int(t)]);
    t
}

#[test]
fn live_pages_follow_a_task_and_actions_go_through_the_hub() {
    let (db, hub) = setup(&[("ReadyTimeout", "315360000")]);
    hub.create_user("alice", USER_PW, false);
    let mut admin = Rpc::login(&hub, "kojiadmin", ADMIN_PW);
    let host = add_host(&db, "b1", "x86_64", 8.0, &["default"]);
    let mut builder = Rpc::login(&hub, "b1", "pw");
    ready(&mut builder, 5);
    let Some(browser) = Browser::start(1280) else { return };
    let base = hub.base_url();

    // The task page streams the log as the builder uploads it, and the state as it changes, without a reload.
    let t = running_task(&db, &mut admin, &mut builder);
    browser.goto(&format!("{base}/koji/taskinfo?taskID={t}"));
    browser.wait_text("#taskstate", "OPEN");
    browser.js("window.__sameDocument = true; return null");
    let mut offset = 0;
    for i in 1..=5 {
        let line = format!("building step {i}\n");
        upload(&hub, &builder, t, offset, &line);
        offset += line.len();
        browser.wait_text("#logs pre[data-log='build.log']", &format!("building step {i}"));
    }
    upload(&hub, &builder, t, offset, "BUILD DONE: last line\n");
    browser.wait_text("#logs", "BUILD DONE: last line");
    builder.ok("host.closeTask", vec![Value::Int(t), Value::String(xmlrpc::encode_response(&Value::from("ok")))]);
    browser.wait_text("#taskstate", "CLOSED");
    browser.wait_text("#output", "build.log");
    assert_eq!(browser.js("return window.__sameDocument === true"), serde_json::json!(true), "the page reloaded");
    browser.screenshot("taskinfo-live");
    // The output links: through downloadTaskOutput, and straight from /kojifiles.
    let whole: String = (1..=5).map(|i| format!("building step {i}\n")).collect::<String>() + "BUILD DONE: last line\n";
    assert_eq!(get(&hub, &format!("/koji/getfile?taskID={t}&name=build.log")), (200, whole.clone()));
    assert_eq!(get(&hub, &format!("/kojifiles/work/tasks/{}/{t}/build.log", t % 10000)), (200, whole));
    let (status, body) = get(&hub, &format!("/koji/getfile?taskID={t}&name=nosuch.log"));
    assert_ne!(status, 200, "{body}");

    // The running-task list gains a new task without a reload.
    browser.goto(&format!("{base}/koji/tasks?view=flat"));
    browser.js("window.__sameDocument = true; return null");
    let fresh = make_task(&mut admin, "buildArch", "x86_64", &[]);
    browser.wait_text("#tasks", &fresh.to_string());
    assert_eq!(browser.js("return window.__sameDocument === true"), serde_json::json!(true));

    // Cancel from the UI, logged in with the password form: CANCELED in the database; then resubmit it.
    browser.login(&hub, "kojiadmin", ADMIN_PW);
    browser.goto(&format!("{base}/koji/taskinfo?taskID={fresh}"));
    browser.click("#cancel");
    browser.wait_text("#taskstate", "CANCELED");
    assert_eq!(task_field(&db, fresh, "state"), "3");
    browser.click("#resubmit");
    let clone = wait_for("the resubmitted task", WAIT, || {
        let newest: i64 = db.psql("SELECT max(id) FROM task").trim().parse().unwrap();
        (newest > fresh).then_some(newest)
    });
    browser.wait_text("#summary", &format!("ID {clone}\n"));
    assert_eq!(task_field(&db, clone, "method"), "buildArch");

    // A non-admin may not disable a host: the hub's fault is shown and the host stays enabled.
    let enabled =
        || db.psql(&format!("SELECT enabled FROM host_config WHERE host_id = {host} AND active")).trim().to_owned();
    browser.login(&hub, "alice", USER_PW);
    browser.goto(&format!("{base}/koji/hostinfo?hostID={host}"));
    browser.click("#disable");
    browser.wait_text("#fault", "permission required");
    assert_eq!(enabled(), "t");
    // The admin may.
    browser.login(&hub, "kojiadmin", ADMIN_PW);
    browser.goto(&format!("{base}/koji/hostinfo?hostID={host}"));
    browser.click("#disable");
    browser.wait_text("#enabled", "no");
    assert_eq!(enabled(), "f");
    browser.click("#enable");
    browser.wait_text("#enabled", "yes");
    assert_eq!(enabled(), "t");

    // A forged form (another CSRF token) is refused even with a valid session cookie.
    browser.goto(&format!("{base}/koji/taskinfo?taskID={clone}"));
    browser.js("document.querySelector('#actions input[name=csrf]').value = 'forged'; return null");
    browser.click("#cancel");
    browser.wait_text("#fault", "CSRF");
    assert_ne!(task_field(&db, clone, "state"), "3");
}

/// The stand-alone `koji-web` on its own port, reaching the hub only over XML-RPC and its live feed.
struct RemoteWeb {
    child: Child,
    addr: std::net::SocketAddr,
}

impl RemoteWeb {
    fn start(hub: &Hub) -> RemoteWeb {
        let addr: std::net::SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_koji-web"))
            .args(["--hub-url", &hub.url(), "--listen", &addr.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start koji-web");
        wait_for("koji-web to listen", WAIT, || std::net::TcpStream::connect(addr).ok());
        RemoteWeb { child, addr }
    }

    fn get(&self, path: &str) -> (u16, String) {
        let r = http_raw(self.addr, "GET", path, &[], None);
        (r.status, r.text())
    }

    /// Posts a form with `cookie`; the response's status and its cookie (`name=value`), if it sets one.
    fn post(&self, path: &str, cookie: &str, form: &str) -> (u16, Option<String>) {
        let headers = [("Content-Type", "application/x-www-form-urlencoded"), ("Cookie", cookie)];
        let r = http_raw(self.addr, "POST", path, &headers, Some(form.as_bytes()));
        (r.status, set_cookie(&r))
    }
}

fn set_cookie(r: &support::hub::RawResponse) -> Option<String> {
    r.header("Set-Cookie").and_then(|c| c.split(';').next()).map(str::to_owned)
}

/// The value of the form's CSRF field in a page.
fn csrf_field(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").expect("a CSRF field") + "name=\"csrf\" value=\"".len();
    page[at..].split('"').next().unwrap().to_owned()
}

impl Drop for RemoteWeb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_separate_koji_web_serves_the_same_pages_over_xmlrpc() {
    let (db, hub, _admin) = farm();
    let web = RemoteWeb::start(&hub);
    let top: i64 = db.psql("SELECT max(id) FROM task WHERE parent IS NULL").trim().parse().unwrap();
    for (path, want) in [
        ("/koji/index", "Running tasks"),
        (&format!("/koji/taskinfo?taskID={top}"), "f40-candidate"),
        ("/koji/buildinfo?buildID=2", "pkg2"),
        ("/koji/taginfo?tagID=f40", "&lt;script&gt;"),
        ("/koji/clusterhealth", "aarch64"),
    ] {
        let (status, body) = web.get(path);
        assert_eq!(status, 200, "{path}: {body}");
        assert!(body.contains(want), "{path} lacks {want:?}:\n{body}");
    }
    let (status, body) = web.get("/koji/taskinfo?taskID=999999");
    assert_eq!((status, body.contains("No such task ID: 999999")), (404, true), "{body}");

    // Login and an action through the remote UI run on the user's hub session, over XML-RPC.
    let form = http_raw(web.addr, "GET", "/koji/login", &[], None);
    let prelogin = set_cookie(&form).expect("a pre-login CSRF cookie");
    let token = csrf_field(&form.text());
    let (status, _) = web.post("/koji/login", &prelogin, &format!("user=kojiadmin&password=wrong&csrf={token}"));
    assert_eq!(status, 403);
    let login = format!("user=kojiadmin&password={ADMIN_PW}&csrf={token}&page=/koji/tasks");
    let (status, session) = web.post("/koji/login", &prelogin, &login);
    let session = session.expect("a session cookie");
    assert!(status == 303 && session.starts_with("koji_session="), "{status} {session}");
    let open: i64 = db.psql("SELECT min(id) FROM task WHERE state = 1").trim().parse().unwrap();
    let page = http_raw(web.addr, "GET", &format!("/koji/taskinfo?taskID={open}"), &[("Cookie", &session)], None);
    let form = format!("taskID={open}&csrf={}", csrf_field(&page.text()));
    assert_eq!(web.post("/koji/canceltask", &session, &form).0, 303);
    assert_eq!(task_field(&db, open, "state"), "3");

    // Live through the relay: the remote task page sees a cancel made on the hub.
    let Some(browser) = Browser::start(1280) else { return };
    let mut admin = Rpc::login(&hub, "kojiadmin", ADMIN_PW);
    let t = make_task(&mut admin, "buildArch", "x86_64", &[]);
    browser.goto(&format!("http://{}/koji/taskinfo?taskID={t}", web.addr));
    browser.wait_text("#taskstate", "FREE");
    admin.ok("cancelTask", vec![Value::Int(t)]);
    browser.wait_text("#taskstate", "CANCELED");
}

#[test]
fn a_client_certificate_logs_in_over_https() {
    let dir = TempDir::new("certs");
    let certs = TestCerts::generate(dir.path());
    let db = PgCluster::shared().create_database();
    let hub = Hub::start(&db, HubOptions { tls: Some(&certs), ..Default::default() });
    hub.create_user("kojiadmin", ADMIN_PW, true);
    let script = r#"
import os, requests
s = requests.Session()
s.cert = os.environ['KOJI_CERT']
s.verify = os.environ['KOJI_SERVERCA']
base = os.environ['KOJI_URL'].rsplit('/kojihub', 1)[0]
r = s.get(base + '/koji/login?page=/koji/tasks', allow_redirects=False)
print(r.status_code, r.headers.get('location'), 'secure' if 'Secure' in r.headers.get('set-cookie', '') else 'plain')
r = s.get(base + '/koji/index')
print('whoami kojiadmin' if '>kojiadmin</a>' in r.text else r.text)
"#;
    let out = KojiCli::ssl(&hub, &certs, &certs.client("kojiadmin")).python(script);
    out.assert_success();
    assert_eq!(
        out.stdout.lines().collect::<Vec<_>>(),
        ["303 /koji/tasks secure", "whoami kojiadmin"],
        "{}",
        out.stderr
    );
}
