//! Buildroots (Koji's `BuildRoot`, spec §3): the hub's record (`host.newBuildRoot`, states INIT → BUILDING →
//! EXPIRED, the installed-package lists), the tag's macros as of the repo's event, and a [`Backend`] that
//! says which commands make the root and build in it: [`mock`] for production, [`rpmbuild`] on the host.
//! Every command runs in the task's process groups with the build timeout, and the logs stream to the hub
//! while it runs.

pub mod mock;
pub mod rpmbuild;

use super::arches::canon_arch;
use super::config::Backend as BackendKind;
use super::task::{TaskCtx, TaskError, fetch_bytes, field, field_int, field_str};
use super::upload::LogStreamer;
use crate::xmlrpc::Value;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One command of a build step and the log its output goes to.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub argv: Vec<String>,
    pub log: PathBuf,
    pub cwd: Option<PathBuf>,
}

/// What a buildroot is: its name (`<tag>-<buildroot id>-<repo id>`) and the macros of its tag.
#[derive(Debug, Clone, Default)]
pub struct RootSpec {
    pub name: String,
    pub tag_name: String,
    pub repo_id: i64,
    /// The repo arch dir (`canonArch`).
    pub br_arch: String,
    /// `%name` → value: kojid's vendor/packager/distribution, then the tag's `rpm.macro.*`.
    pub macros: Vec<(String, String)>,
    pub install_group: String,
}

/// The commands a buildroot runs; the driver ([`Buildroot`]) does the hub calls, logging and checks around.
pub trait Backend: Send + Sync {
    fn kind(&self) -> &'static str;
    /// Where the built packages land (flat).
    fn resultdir(&self) -> PathBuf;
    fn init(&self) -> Vec<Step>;
    /// SRPM and binary rpms from an SRPM (`mock --rebuild`).
    fn rebuild(&self, srpm: &Path, arch: &str) -> Vec<Step>;
    /// An SRPM from a spec and its sources (`mock --buildsrpm`).
    fn build_srpm(&self, spec: &Path, sources: &Path) -> Vec<Step>;
    /// An SRPM remade with the tag's macros (`rebuildSRPM`).
    fn rebuild_srpm(&self, srpm: &Path) -> Vec<Step>;
    /// Log files to stream to the hub, with their names there.
    fn logs(&self) -> Vec<(PathBuf, String)>;
    /// Whether BuildRequires must be checked against the repo (no chroot install resolves them).
    fn checks_build_requires(&self) -> bool {
        false
    }
}

pub struct Buildroot {
    pub id: i64,
    pub spec: RootSpec,
    backend: Box<dyn Backend>,
    ctx: Arc<TaskCtx>,
    logs: Arc<LogStreamer>,
}

impl Buildroot {
    /// Koji's `BuildRoot._new`: the repo (READY or EXPIRED), the tag's config as of the repo's event, the
    /// hub record, and the backend's config.
    pub async fn new(
        ctx: Arc<TaskCtx>,
        tag: &Value,
        repo_id: i64,
        arch: &str,
        install_group: &str,
    ) -> Result<Self, TaskError> {
        let repo = ctx.call("repoInfo", vec![Value::Int(repo_id), Value::Bool(true)]).await?;
        let state = field_int(&repo, "state")?;
        if state != 1 && state != 2 {
            return Err(TaskError::generic(format!("Repo {repo_id} is not usable (state {state})")));
        }
        let event = field(&repo, "create_event").cloned().unwrap_or_default();
        let config = ctx.call("getBuildConfig", vec![tag.clone(), event]).await?;
        let tag_name = field_str(&config, "name")?;
        let br_arch = canon_arch(arch);
        let id = ctx
            .call("host.newBuildRoot", vec![Value::Int(repo_id), br_arch.clone().into(), Value::Int(ctx.id.into())])
            .await?
            .as_i64()
            .ok_or_else(|| TaskError::generic("host.newBuildRoot returned no id"))?;
        let mut macros = vec![
            ("%vendor".to_owned(), ctx.config.vendor.clone()),
            ("%packager".to_owned(), ctx.config.packager.clone()),
            ("%distribution".to_owned(), ctx.config.distribution.clone()),
            ("%_rpmfilename".to_owned(), "%%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm".to_owned()),
        ];
        for (k, v) in tag_macros(&config) {
            macros.retain(|(n, _)| *n != k);
            macros.push((k, v));
        }
        let spec = RootSpec {
            name: format!("{tag_name}-{id}-{repo_id}"),
            tag_name,
            repo_id,
            br_arch: br_arch.clone(),
            macros,
            install_group: install_group.to_owned(),
        };
        let logs = LogStreamer::new(ctx.hub.clone(), ctx.upload_dir());
        let backend: Box<dyn Backend> = match ctx.config.backend {
            BackendKind::Rpmbuild => Box::new(rpmbuild::RpmbuildRoot::new(&spec, &ctx.workdir)),
            BackendKind::Mock => {
                let root = mock::MockRoot::new(&spec, &ctx.workdir, &ctx.config.mockdir);
                let mut o = mock::MockConfigOpts::new(&spec.name, &br_arch, repo_id, &spec.tag_name);
                o.buildroot_id = Some(id);
                o.topurls = vec![ctx.config.topurl.clone()];
                o.topdir = ctx.config.topdir.to_string_lossy().into_owned();
                o.mockdir = ctx.config.mockdir.to_string_lossy().into_owned();
                o.target_arch = Some(arch.to_owned());
                o.install_group = install_group.to_owned();
                o.rpmbuild_timeout = ctx.config.rpmbuild_timeout.as_secs() as i64;
                o.vendor = ctx.config.vendor.clone();
                o.packager = ctx.config.packager.clone();
                o.distribution = ctx.config.distribution.clone();
                o.mockhost = ctx.config.mockhost.clone();
                o.tag_macros = tag_macros(&config);
                if let Some(extra) = field(&config, "extra").and_then(Value::as_struct) {
                    o.apply_tag_extra(extra, arch);
                }
                let text = mock::gen_mock_config(&o);
                let io = |e: std::io::Error| TaskError::generic(format!("{}: {e}", root.config_path.display()));
                std::fs::create_dir_all(root.config_path.parent().expect("a dir")).map_err(io)?;
                std::fs::write(&root.config_path, &text).map_err(io)?;
                let copy = ctx.workdir.join("mock_config.log");
                std::fs::write(&copy, &text).map_err(io)?;
                ctx.upload(&copy, "mock_config.log").await?;
                Box::new(root)
            }
        };
        for (path, name) in backend.logs() {
            logs.watch(path, &name);
        }
        Ok(Buildroot { id, spec, backend, ctx, logs })
    }

    /// Runs steps, streaming the logs meanwhile; a failing step ends it with Koji's message.
    async fn run(&self, steps: Vec<Step>, what: &str) -> Result<(), TaskError> {
        let cmdlog = self.ctx.workdir.join("mock_output.log");
        let work = async {
            for step in steps {
                append(&cmdlog, &format!("$ {}\n", step.argv.join(" ")));
                let mut cmd = tokio::process::Command::new(&step.argv[0]);
                cmd.args(&step.argv[1..]).env("LC_ALL", "C.UTF-8");
                if let Some(dir) = &step.cwd {
                    std::fs::create_dir_all(dir).map_err(|e| TaskError::generic(format!("{}: {e}", dir.display())))?;
                    cmd.current_dir(dir);
                }
                let status = self.ctx.run(&mut cmd, &step.log).await?;
                append(&cmdlog, &format!("exit status: {}\n", status.code().unwrap_or(-1)));
                if !status.success() {
                    let log = crate::builder::task::file_name(&step.log);
                    return Err(TaskError::build(format!(
                        "{what}, {} exited with status {}; see {log} for more information",
                        self.backend.kind(),
                        status.code().unwrap_or(-1)
                    )));
                }
            }
            Ok(())
        };
        self.logs.run_until(work).await
    }

    async fn set_state(&self, state: &str) -> Result<(), TaskError> {
        self.ctx.call("host.setBuildRootState", vec![Value::Int(self.id), state.into()]).await?;
        Ok(())
    }

    /// Makes the root and records its (here: no) installed packages.
    pub async fn init(&self) -> Result<(), TaskError> {
        if let Err(e) = self.run(self.backend.init(), "could not init mock buildroot").await {
            self.expire().await;
            return Err(e);
        }
        self.ctx.call("host.setBuildRootList", vec![Value::Int(self.id), Value::Array(vec![])]).await?;
        Ok(())
    }

    /// `mock --rebuild`: the SRPM and rpms of `srpm` for `arch`, in the result dir.
    pub async fn build(&self, srpm: &Path, arch: &str) -> Result<Vec<PathBuf>, TaskError> {
        self.set_state("BUILDING").await?;
        if self.backend.checks_build_requires() {
            self.check_build_requires(srpm).await?;
        }
        let result = self.run(self.backend.rebuild(srpm, arch), &format!("error building package (arch {arch})")).await;
        self.ctx.call("host.updateBuildRootList", vec![Value::Int(self.id), Value::Array(vec![])]).await?;
        result?;
        self.results()
    }

    /// `mock --buildsrpm` of a checked-out spec.
    pub async fn build_srpm(&self, spec: &Path, sources: &Path) -> Result<PathBuf, TaskError> {
        self.set_state("BUILDING").await?;
        self.run(self.backend.build_srpm(spec, sources), "error building srpm").await?;
        self.single_srpm()
    }

    /// The SRPM remade with the tag's macros.
    pub async fn rebuild_srpm(&self, srpm: &Path) -> Result<PathBuf, TaskError> {
        self.set_state("BUILDING").await?;
        self.run(self.backend.rebuild_srpm(srpm), "error building srpm").await?;
        self.single_srpm()
    }

    fn results(&self) -> Result<Vec<PathBuf>, TaskError> {
        let dir = self.backend.resultdir();
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(|e| TaskError::generic(format!("{}: {e}", dir.display())))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "rpm"))
            .collect();
        files.sort();
        Ok(files)
    }

    fn single_srpm(&self) -> Result<PathBuf, TaskError> {
        let srpms: Vec<PathBuf> =
            self.results()?.into_iter().filter(|p| p.to_string_lossy().ends_with(".src.rpm")).collect();
        match srpms.as_slice() {
            [one] => Ok(one.clone()),
            [] => Err(TaskError::build("No srpm files found")),
            _ => Err(TaskError::build(format!("multiple srpm files found: {srpms:?}"))),
        }
    }

    /// The logs uploaded so far (names in the task's directory).
    pub fn log_names(&self) -> Vec<String> {
        self.logs.names()
    }

    /// `setBuildRootState EXPIRED`; errors only logged (the task's own error matters more).
    pub async fn expire(&self) {
        if let Err(e) = self.set_state("EXPIRED").await {
            tracing::warn!(buildroot = self.id, error = %e, "cannot expire buildroot");
        }
    }

    /// rpmbuild backend: every BuildRequires of the SRPM must be provided by a package of the buildroot's
    /// repo (its `primary.xml`) or be one of the names kojid's `host_provides` lists; `root.log` says what
    /// was checked.
    async fn check_build_requires(&self, srpm: &Path) -> Result<(), TaskError> {
        let fields = crate::rpms::file::header_fields(srpm, Some(&["requirename".to_owned()]))
            .map_err(|e| TaskError::generic(e.to_string()))?;
        let requires: Vec<String> = match fields.get("requirename") {
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
            Some(Value::String(s)) => vec![s.clone()],
            _ => vec![],
        };
        let requires: Vec<String> = requires.into_iter().filter(|r| !r.starts_with("rpmlib(")).collect();
        let base = format!(
            "{}/repos/{}/{}/{}",
            self.ctx.config.topurl, self.spec.tag_name, self.spec.repo_id, self.spec.br_arch
        );
        let provided = repo_provides(&self.ctx.http, &base).await?;
        let mut log = format!("BuildRequires checked against {base}\n");
        let mut missing = Vec::new();
        for r in &requires {
            let by = if provided.contains(r) {
                "repo"
            } else if self.ctx.config.host_provides.contains(r) {
                "host"
            } else {
                missing.push(r.clone());
                "MISSING"
            };
            log.push_str(&format!("  {r}: {by}\n"));
        }
        append(&self.ctx.workdir.join("root.log"), &log);
        self.logs.flush().await?;
        if !missing.is_empty() {
            return Err(TaskError::build(format!(
                "BuildRequires not satisfied by repo {} ({}): {}",
                self.spec.repo_id,
                self.spec.tag_name,
                missing.join(", ")
            )));
        }
        Ok(())
    }
}

fn append(path: &Path, text: &str) {
    use std::io::Write;
    if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
        let _ = f.write_all(text.as_bytes());
    }
}

/// `rpm.macro.NAME` keys of a build config's extra, as `%NAME` → value.
pub fn tag_macros(config: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = field(config, "extra")
        .and_then(Value::as_struct)
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| {
            let name = k.strip_prefix("rpm.macro.")?;
            let value = match v {
                Value::String(s) => s.clone(),
                Value::Int(i) => i.to_string(),
                Value::Bool(b) => if *b { "1" } else { "0" }.to_owned(),
                _ => return None,
            };
            Some((format!("%{name}"), value))
        })
        .collect();
    out.sort();
    out
}

/// Names a repo provides: package names, `rpm:provides` entries and listed files of its `primary.xml`. An
/// empty repo (no `repomd.xml`) provides nothing.
pub async fn repo_provides(http: &reqwest::Client, base: &str) -> Result<HashSet<String>, TaskError> {
    let Ok(repomd) = fetch_bytes(http, &format!("{base}/repodata/repomd.xml")).await else {
        return Ok(HashSet::new());
    };
    let href = primary_href(&repomd).ok_or_else(|| TaskError::generic(format!("{base}: repomd.xml has no primary")))?;
    let gz = fetch_bytes(http, &format!("{base}/{href}")).await?;
    let mut xml = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(gz.as_slice()), &mut xml)
        .map_err(|e| TaskError::generic(format!("{base}/{href}: {e}")))?;
    Ok(primary_provides(&xml))
}

fn primary_href(repomd: &[u8]) -> Option<String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(repomd);
    let mut in_primary = false;
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf).ok()? {
            Event::Start(e) | Event::Empty(e) => {
                let attr = |n: &str| {
                    e.attributes().filter_map(Result::ok).find(|a| a.key.as_ref() == n).map(|a| a.value.to_string())
                };
                match e.local_name().as_ref() {
                    "data" => in_primary = attr("type").as_deref() == Some("primary"),
                    "location" if in_primary => return attr("href"),
                    _ => {}
                }
            }
            Event::Eof => return None,
            _ => {}
        }
        buf.clear();
    }
}

fn primary_provides(xml: &[u8]) -> HashSet<String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut out = HashSet::new();
    let (mut in_provides, mut text_of) = (false, None::<&'static str>);
    let mut buf = Vec::new();
    while let Ok(event) = reader.read_event_into(&mut buf) {
        match event {
            Event::Start(e) => match e.name().as_ref() {
                "rpm:provides" => in_provides = true,
                "name" => text_of = Some("name"),
                "file" => text_of = Some("file"),
                _ => {}
            },
            Event::Empty(e) if in_provides && e.name().as_ref() == "rpm:entry" => {
                if let Some(a) = e.attributes().filter_map(Result::ok).find(|a| a.key.as_ref() == "name") {
                    out.insert(a.value.to_string());
                }
            }
            Event::Text(t) if text_of.is_some() => {
                out.insert(t.xml10_content().trim().to_owned());
            }
            Event::End(e) => {
                if e.name().as_ref() == "rpm:provides" {
                    in_provides = false;
                }
                text_of = None;
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builder::task::strukt;

    #[test]
    fn repo_metadata_is_read_for_provides() {
        let repomd = br#"<?xml version="1.0"?><repomd xmlns="http://linux.duke.edu/metadata/repo">
          <data type="other"><location href="repodata/o.xml.gz"/></data>
          <data type="primary"><checksum>x</checksum><location href="repodata/abc-primary.xml.gz"/></data></repomd>"#;
        assert_eq!(primary_href(repomd).as_deref(), Some("repodata/abc-primary.xml.gz"));
        let primary = br#"<metadata xmlns:rpm="http://linux.duke.edu/metadata/rpm"><package type="rpm">
          <name>tiny-libs</name><format><rpm:provides><rpm:entry name="libtiny.so.1()(64bit)"/>
          <rpm:entry name="tiny-libs" flags="EQ" ver="1"/></rpm:provides>
          <rpm:requires><rpm:entry name="glibc"/></rpm:requires><file>/usr/bin/tiny</file></format></package></metadata>"#;
        let p = primary_provides(primary);
        for name in ["tiny-libs", "libtiny.so.1()(64bit)", "/usr/bin/tiny"] {
            assert!(p.contains(name), "{name}: {p:?}");
        }
        assert!(!p.contains("glibc"), "requires are not provides");
    }

    #[test]
    fn tag_macros_come_from_extra() {
        let config = strukt(vec![(
            "extra",
            strukt(vec![("rpm.macro.dist", ".kt1".into()), ("mock.new_chroot", Value::Bool(false))]),
        )]);
        assert_eq!(tag_macros(&config), [("%dist".to_owned(), ".kt1".to_owned())]);
    }
}
