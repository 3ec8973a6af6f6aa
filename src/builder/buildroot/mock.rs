//! The `mock` backend: the mock config Koji's `genMockConfig` writes (spec §3.2; the CLI's `koji mock-config`
//! makes the same text client-side) and the mock command lines of Koji's `BuildRoot` (§3.3).

use super::{Backend, RootSpec, Step};
use std::path::{Path, PathBuf};

/// A value in the generated Python: what `%r` prints.
#[derive(Debug, Clone, PartialEq)]
pub enum Py {
    Str(String),
    Bool(bool),
    Int(i64),
}

impl Py {
    fn repr(&self) -> String {
        match self {
            Py::Str(s) => py_repr(s),
            Py::Bool(true) => "True".into(),
            Py::Bool(false) => "False".into(),
            Py::Int(i) => i.to_string(),
        }
    }
}

/// Python's `repr` of a str: single quotes unless the text has a single quote and no double quote.
pub fn py_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
    let mut out = String::from(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// The inputs of `genMockConfig` that Koji's kojid and CLI pass.
#[derive(Debug, Clone)]
pub struct MockConfigOpts {
    pub name: String,
    /// The repo arch dir (`canonArch`).
    pub arch: String,
    pub repo_id: i64,
    pub tag_name: String,
    /// `Some` for a buildroot kojid manages (adds the `# Koji buildroot …` header).
    pub buildroot_id: Option<i64>,
    pub topurls: Vec<String>,
    pub topdir: String,
    pub mockdir: String,
    pub target_arch: Option<String>,
    pub install_group: String,
    pub use_host_resolv: bool,
    pub rpmbuild_timeout: i64,
    pub forcearch: Option<String>,
    pub package_manager: Option<String>,
    pub use_bootstrap: Option<bool>,
    pub releasever: Option<String>,
    pub module_hotfixes: bool,
    pub yum_best: Option<i64>,
    pub yum_proxy: Option<String>,
    pub vendor: String,
    pub packager: String,
    pub distribution: String,
    pub mockhost: String,
    /// `rpm.macro.NAME` of the tag, as `%NAME` → value.
    pub tag_macros: Vec<(String, String)>,
    /// `rpm.env.NAME` of the tag.
    pub tag_envvars: Vec<(String, String)>,
    /// The host's `/etc/hosts`, copied in when DNS is set up.
    pub etc_hosts: Option<String>,
}

impl MockConfigOpts {
    /// genMockConfig's defaults for everything but the repo.
    pub fn new(name: &str, arch: &str, repo_id: i64, tag_name: &str) -> Self {
        MockConfigOpts {
            name: name.into(),
            arch: arch.into(),
            repo_id,
            tag_name: tag_name.into(),
            buildroot_id: None,
            topurls: vec![],
            topdir: "/mnt/koji".into(),
            mockdir: "/var/lib/mock".into(),
            target_arch: None,
            install_group: "build".into(),
            use_host_resolv: false,
            rpmbuild_timeout: 86400,
            forcearch: None,
            package_manager: None,
            use_bootstrap: None,
            releasever: None,
            module_hotfixes: false,
            yum_best: None,
            yum_proxy: None,
            vendor: "Koji".into(),
            packager: "Koji".into(),
            distribution: "Unknown".into(),
            mockhost: "koji-linux-gnu".into(),
            tag_macros: vec![],
            tag_envvars: vec![],
            etc_hosts: None,
        }
    }
}

impl MockConfigOpts {
    /// The tag's `mock.*` and `rpm.env.*` extra keys, as Koji's `_writeMockConfig` reads them.
    pub fn apply_tag_extra(&mut self, extra: &crate::xmlrpc::Struct, target_arch: &str) {
        use crate::xmlrpc::Value;
        let text = |v: &Value| match v {
            Value::String(s) => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            _ => None,
        };
        for (key, v) in extra {
            match key.as_str() {
                "mock.forcearch" if v.truthy() => self.forcearch = Some(target_arch.to_owned()),
                "mock.package_manager" => self.package_manager = text(v),
                "mock.yum.module_hotfixes" => self.module_hotfixes = v.truthy(),
                "mock.yum.best" => self.yum_best = v.as_i64().or_else(|| v.as_bool().map(i64::from)),
                "mock.use_bootstrap" => self.use_bootstrap = Some(v.truthy()),
                "mock.releasever" => self.releasever = text(v),
                k => {
                    if let (Some(name), Some(value)) = (k.strip_prefix("rpm.env."), text(v)) {
                        self.tag_envvars.push((name.to_owned(), value));
                    }
                }
            }
        }
    }
}

/// The mock config text, byte for byte what Koji's `genMockConfig` produces for the same inputs.
pub fn gen_mock_config(o: &MockConfigOpts) -> String {
    let repo_rel = format!("repos/{}/{}/{}", o.tag_name, o.repo_id, o.arch);
    let urls: Vec<String> = if o.topurls.is_empty() {
        vec![format!("file://{}/{repo_rel}", o.topdir)]
    } else {
        o.topurls.iter().map(|u| format!("{u}/{repo_rel}")).collect()
    };
    let target = o.target_arch.clone().unwrap_or_else(|| o.arch.clone());
    let mut opts: Vec<(&str, Py)> = vec![
        ("root", Py::Str(o.name.clone())),
        ("basedir", Py::Str(o.mockdir.clone())),
        ("target_arch", Py::Str(target.clone())),
        ("chroothome", Py::Str("/builddir".into())),
        ("chroot_setup_cmd", Py::Str(format!("install @{}", o.install_group))),
        ("rpmbuild_networking", Py::Bool(o.use_host_resolv)),
        ("use_host_resolv", Py::Bool(o.use_host_resolv)),
        ("rpmbuild_timeout", Py::Int(o.rpmbuild_timeout)),
        ("dnf_warning", Py::Bool(false)),
        ("use_bootstrap_image", Py::Bool(false)),
    ];
    if let Some(f) = &o.forcearch {
        opts.push(("forcearch", Py::Str(f.clone())));
    }
    if let Some(p) = &o.package_manager {
        opts.push(("package_manager", Py::Str(p.clone())));
    }
    if let Some(b) = o.use_bootstrap {
        opts.push(("use_bootstrap", Py::Bool(b)));
    }
    if let Some(r) = &o.releasever {
        opts.push(("releasever", Py::Str(r.clone())));
    }
    let mut yum = String::from("[main]\n");
    if let Some(p) = &o.yum_proxy {
        yum.push_str(&format!("proxy={p}\n"));
    }
    yum.push_str(
        "cachedir=/var/cache/yum\ndebuglevel=1\nlogfile=/var/log/yum.log\nreposdir=/dev/null\nretries=20\n\
         obsoletes=1\ngpgcheck=0\nassumeyes=1\nkeepcache=1\ninstall_weak_deps=0\nstrict=1\n\n# repos\n\n\
         [build]\nname=build\n",
    );
    yum.push_str(&format!("baseurl={}\n", urls[0]));
    for u in &urls[1..] {
        yum.push_str(&format!("        {u}\n"));
    }
    if o.module_hotfixes {
        yum.push_str("module_hotfixes=1\n");
    }
    if let Some(b) = o.yum_best.filter(|b| *b != 0) {
        yum.push_str(&format!("best={b}\n"));
    }
    opts.push(("yum.conf", Py::Str(yum)));
    opts.sort_by(|a, b| a.0.cmp(b.0));

    let mut macros: Vec<(String, String)> = vec![
        ("%_rpmfilename".into(), "%%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm".into()),
        ("%vendor".into(), o.vendor.clone()),
        ("%packager".into(), o.packager.clone()),
        ("%distribution".into(), o.distribution.clone()),
    ];
    let mut set = |k: &str, v: String| match macros.iter_mut().find(|(n, _)| n == k) {
        Some(e) => e.1 = v,
        None => macros.push((k.to_owned(), v)),
    };
    for (k, v) in &o.tag_macros {
        set(k, v.clone());
    }
    set("%_topdir", "/builddir/build".into());
    set("%_host_cpu", target.clone());
    set("%_host", format!("{target}-{}", o.mockhost));
    macros.sort();

    let mut out = String::from("# Auto-generated by the Koji build system\n");
    if let Some(id) = o.buildroot_id {
        out.push_str(&format!(
            "\n# Koji buildroot id: {id}\n# Koji buildroot name: {}\n# Koji repo id: {}\n# Koji tag: {}\n",
            o.name, o.repo_id, o.tag_name
        ));
    }
    out.push('\n');
    for (k, v) in &opts {
        out.push_str(&format!("config_opts[{}] = {}\n", py_repr(k), v.repr()));
    }
    out.push('\n');
    for k in ["ccache_enable", "root_cache_enable", "yum_cache_enable"] {
        out.push_str(&format!("config_opts['plugin_conf'][{}] = False\n", py_repr(k)));
    }
    out.push('\n');
    for (k, v) in &macros {
        out.push_str(&format!("config_opts['macros'][{}] = {}\n", py_repr(k), py_repr(v)));
    }
    out.push('\n');
    let mut env = o.tag_envvars.clone();
    env.sort();
    for (k, v) in &env {
        out.push_str(&format!("config_opts['environment'][{}] = {}\n", py_repr(k), py_repr(v)));
    }
    if !env.is_empty() {
        out.push('\n');
    }
    if let Some(hosts) = &o.etc_hosts {
        out.push_str(&format!("config_opts['files'][{}] = {}\n", py_repr("etc/hosts"), py_repr(hosts)));
    }
    out
}

/// A mock buildroot: `/etc/mock/koji/<name>.cfg` (Koji's place), root and results under `mockdir`.
pub struct MockRoot {
    pub name: String,
    pub config_path: PathBuf,
    pub mockdir: PathBuf,
    /// The task's work dir (`mock_output.log` goes there).
    pub workdir: PathBuf,
}

impl MockRoot {
    pub fn new(spec: &RootSpec, workdir: &Path, mockdir: &Path) -> Self {
        MockRoot {
            name: spec.name.clone(),
            config_path: PathBuf::from(format!("/etc/mock/koji/{}.cfg", spec.name)),
            mockdir: mockdir.to_owned(),
            workdir: workdir.to_owned(),
        }
    }

    /// `mock -r koji/<name> <args>`, output to `mock_output.log` (Koji's `BuildRoot.mock`).
    fn mock(&self, args: &[&str]) -> Step {
        let mut argv = vec!["mock".to_owned(), "-r".to_owned(), format!("koji/{}", self.name)];
        argv.extend(args.iter().map(|a| a.to_string()));
        Step { argv, log: self.workdir.join("mock_output.log"), cwd: None }
    }
}

impl Backend for MockRoot {
    fn kind(&self) -> &'static str {
        "mock"
    }

    fn resultdir(&self) -> PathBuf {
        self.mockdir.join(&self.name).join("result")
    }

    fn init(&self) -> Vec<Step> {
        vec![self.mock(&["--init"])]
    }

    fn rebuild(&self, srpm: &Path, arch: &str) -> Vec<Step> {
        vec![self.mock(&["--no-clean", "--target", arch, "--rebuild", &srpm.to_string_lossy()])]
    }

    fn build_srpm(&self, spec: &Path, sources: &Path) -> Vec<Step> {
        vec![self.mock(&[
            "--no-clean",
            "--buildsrpm",
            "--spec",
            &spec.to_string_lossy(),
            "--sources",
            &sources.to_string_lossy(),
            "--target",
            "noarch",
        ])]
    }

    fn rebuild_srpm(&self, srpm: &Path) -> Vec<Step> {
        let name = crate::builder::task::file_name(srpm);
        let inside = format!("/chroot_tmpdir/{name}");
        vec![
            self.mock(&["--no-clean", "--copyin", &srpm.to_string_lossy(), &inside]),
            self.mock(&[
                "--no-clean",
                "--target",
                "noarch",
                "--chroot",
                "--",
                "rpm",
                "--define",
                "_topdir /chroot_tmpdir/build",
                "-iv",
                &inside,
            ]),
            self.mock(&[
                "--no-clean",
                "--target",
                "noarch",
                "--chroot",
                "rpmbuild --define '_topdir /chroot_tmpdir/build' -bs --nodeps /chroot_tmpdir/build/SPECS/*.spec",
            ]),
            self.mock(&["--no-clean", "--copyout", "/chroot_tmpdir/build/SRPMS", &self.resultdir().to_string_lossy()]),
        ]
    }

    fn logs(&self) -> Vec<(PathBuf, String)> {
        let result = self.resultdir();
        let mut logs: Vec<(PathBuf, String)> =
            ["root.log", "build.log", "state.log", "hw_info.log", "installed_pkgs.log"]
                .iter()
                .map(|n| (result.join(n), n.to_string()))
                .collect();
        logs.push((self.workdir.join("mock_output.log"), "mock_output.log".into()));
        logs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Spec §3.2: the real output of Koji's genMockConfig for these inputs.
    #[test]
    fn matches_kojis_output() {
        let mut o = MockConfigOpts::new("dist-build-123-45", "x86_64", 45, "dist-build");
        o.buildroot_id = Some(123);
        o.topurls = vec!["http://koji.example.com/kojifiles".into()];
        o.distribution = "Koji".into();
        o.target_arch = Some("x86_64".into());
        o.tag_macros = vec![("%dist".into(), ".kt1".into())];
        let expected = r#"# Auto-generated by the Koji build system

# Koji buildroot id: 123
# Koji buildroot name: dist-build-123-45
# Koji repo id: 45
# Koji tag: dist-build

config_opts['basedir'] = '/var/lib/mock'
config_opts['chroot_setup_cmd'] = 'install @build'
config_opts['chroothome'] = '/builddir'
config_opts['dnf_warning'] = False
config_opts['root'] = 'dist-build-123-45'
config_opts['rpmbuild_networking'] = False
config_opts['rpmbuild_timeout'] = 86400
config_opts['target_arch'] = 'x86_64'
config_opts['use_bootstrap_image'] = False
config_opts['use_host_resolv'] = False
config_opts['yum.conf'] = '[main]\ncachedir=/var/cache/yum\ndebuglevel=1\nlogfile=/var/log/yum.log\nreposdir=/dev/null\nretries=20\nobsoletes=1\ngpgcheck=0\nassumeyes=1\nkeepcache=1\ninstall_weak_deps=0\nstrict=1\n\n# repos\n\n[build]\nname=build\nbaseurl=http://koji.example.com/kojifiles/repos/dist-build/45/x86_64\n'

config_opts['plugin_conf']['ccache_enable'] = False
config_opts['plugin_conf']['root_cache_enable'] = False
config_opts['plugin_conf']['yum_cache_enable'] = False

config_opts['macros']['%_host'] = 'x86_64-koji-linux-gnu'
config_opts['macros']['%_host_cpu'] = 'x86_64'
config_opts['macros']['%_rpmfilename'] = '%%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm'
config_opts['macros']['%_topdir'] = '/builddir/build'
config_opts['macros']['%dist'] = '.kt1'
config_opts['macros']['%distribution'] = 'Koji'
config_opts['macros']['%packager'] = 'Koji'
config_opts['macros']['%vendor'] = 'Koji'

"#;
        assert_eq!(gen_mock_config(&o), expected);
    }

    #[test]
    fn tag_extra_reaches_the_config() {
        let mut o = MockConfigOpts::new("t-1-2", "x86_64", 2, "t");
        let extra = [
            ("mock.package_manager".to_string(), "dnf".into()),
            ("mock.yum.module_hotfixes".to_string(), crate::xmlrpc::Value::Bool(true)),
            ("rpm.env.LANG".to_string(), "C".into()),
            ("mock.forcearch".to_string(), crate::xmlrpc::Value::Bool(true)),
        ]
        .into_iter()
        .collect();
        o.apply_tag_extra(&extra, "x86_64");
        let text = gen_mock_config(&o);
        assert!(text.contains("config_opts['package_manager'] = 'dnf'\n"), "{text}");
        assert!(text.contains("config_opts['forcearch'] = 'x86_64'\n"), "{text}");
        assert!(text.contains("module_hotfixes=1\\n"), "{text}");
        assert!(text.ends_with("config_opts['environment']['LANG'] = 'C'\n\n"), "{text}");
    }

    #[test]
    fn repr_quotes_as_python() {
        assert_eq!(py_repr("it's"), "\"it's\"");
        assert_eq!(py_repr("a'b\"c"), "'a\\'b\"c'");
        assert_eq!(py_repr("tab\there\\"), "'tab\\there\\\\'");
    }

    #[test]
    fn mock_command_lines() {
        let spec = RootSpec { name: "f40-build-7-3".into(), ..RootSpec::default() };
        let root = MockRoot::new(&spec, Path::new("/tmp/koji/tasks/5/5"), Path::new("/var/lib/mock"));
        assert_eq!(root.resultdir(), Path::new("/var/lib/mock/f40-build-7-3/result"));
        assert_eq!(root.init()[0].argv, ["mock", "-r", "koji/f40-build-7-3", "--init"]);
        let rebuild = &root.rebuild(Path::new("/w/foo-1-1.src.rpm"), "x86_64")[0];
        assert_eq!(
            rebuild.argv,
            ["mock", "-r", "koji/f40-build-7-3", "--no-clean", "--target", "x86_64", "--rebuild", "/w/foo-1-1.src.rpm"]
        );
        assert_eq!(rebuild.log, Path::new("/tmp/koji/tasks/5/5/mock_output.log"));
        assert_eq!(
            root.build_srpm(Path::new("/s/foo.spec"), Path::new("/s"))[0].argv[3..],
            ["--no-clean", "--buildsrpm", "--spec", "/s/foo.spec", "--sources", "/s", "--target", "noarch"]
        );
        assert_eq!(root.config_path, Path::new("/etc/mock/koji/f40-build-7-3.cfg"));
    }
}
