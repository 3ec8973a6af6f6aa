//! The `rpmbuild` backend (dev machines and CI, where mock cannot fetch a buildroot): no chroot; `rpmbuild`
//! on the host in a per-buildroot temporary topdir, with the macros Koji's mock config sets (spec §8). It
//! rebuilds with `rpmbuild -ra` (SRPM and binary rpms from the SRPM, like `mock --rebuild`), always
//! `--nodeps` since the host's tools are not in its rpmdb; BuildRequires are checked against the repo instead
//! (see `super::check_build_requires`).

use super::{Backend, RootSpec, Step};
use std::path::{Path, PathBuf};

pub struct RpmbuildRoot {
    /// `<task workdir>/<buildroot name>`: `build/` is `%_topdir`, `result/` gets the packages.
    pub root: PathBuf,
    pub workdir: PathBuf,
    /// `(name, value)` without `%`, in the order they are defined.
    pub macros: Vec<(String, String)>,
}

impl RpmbuildRoot {
    pub fn new(spec: &RootSpec, workdir: &Path) -> Self {
        let root = workdir.join(&spec.name);
        let mut macros: Vec<(String, String)> =
            spec.macros.iter().map(|(k, v)| (k.trim_start_matches('%').to_owned(), v.clone())).collect();
        let topdir = root.join("build").to_string_lossy().into_owned();
        let result = root.join("result").to_string_lossy().into_owned();
        for (k, v) in [("_topdir", topdir), ("_rpmdir", result.clone()), ("_srcrpmdir", result)] {
            macros.retain(|(n, _)| n != k);
            macros.push((k.to_owned(), v));
        }
        RpmbuildRoot { root, workdir: workdir.to_owned(), macros }
    }

    fn rpmbuild(&self, args: &[&str], tail: &Path) -> Step {
        let mut argv = vec!["rpmbuild".to_owned()];
        argv.extend(args.iter().map(|a| a.to_string()));
        for (k, v) in &self.macros {
            argv.push("--define".into());
            argv.push(format!("{k} {v}"));
        }
        argv.push(tail.to_string_lossy().into_owned());
        Step { argv, log: self.workdir.join("build.log"), cwd: Some(self.root.clone()) }
    }
}

impl Backend for RpmbuildRoot {
    fn kind(&self) -> &'static str {
        "rpmbuild"
    }

    fn resultdir(&self) -> PathBuf {
        self.root.join("result")
    }

    fn init(&self) -> Vec<Step> {
        vec![Step {
            argv: vec!["mkdir".into(), "-p".into(), "build".into(), "result".into()],
            log: self.workdir.join("mock_output.log"),
            cwd: Some(self.root.clone()),
        }]
    }

    fn rebuild(&self, srpm: &Path, arch: &str) -> Vec<Step> {
        vec![self.rpmbuild(&["-ra", "--nodeps", "--target", arch], srpm)]
    }

    fn build_srpm(&self, spec: &Path, sources: &Path) -> Vec<Step> {
        let mut step = self.rpmbuild(&["-bs", "--nodeps"], spec);
        let at = step.argv.len() - 1;
        step.argv.splice(at..at, ["--define".to_owned(), format!("_sourcedir {}", sources.display())]);
        vec![step]
    }

    fn rebuild_srpm(&self, srpm: &Path) -> Vec<Step> {
        vec![self.rpmbuild(&["-rs", "--nodeps"], srpm)]
    }

    fn logs(&self) -> Vec<(PathBuf, String)> {
        ["build.log", "root.log", "mock_output.log"].iter().map(|n| (self.workdir.join(n), n.to_string())).collect()
    }

    fn checks_build_requires(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_carry_kojis_macros_and_a_private_topdir() {
        let spec = RootSpec {
            name: "dist-build-3-2".into(),
            macros: vec![("%vendor".into(), "Koji".into()), ("%dist".into(), ".kt1".into())],
            ..RootSpec::default()
        };
        let root = RpmbuildRoot::new(&spec, Path::new("/w/tasks/9/9"));
        let step = &root.rebuild(Path::new("/w/x.src.rpm"), "noarch")[0];
        assert_eq!(
            step.argv,
            [
                "rpmbuild",
                "-ra",
                "--nodeps",
                "--target",
                "noarch",
                "--define",
                "vendor Koji",
                "--define",
                "dist .kt1",
                "--define",
                "_topdir /w/tasks/9/9/dist-build-3-2/build",
                "--define",
                "_rpmdir /w/tasks/9/9/dist-build-3-2/result",
                "--define",
                "_srcrpmdir /w/tasks/9/9/dist-build-3-2/result",
                "/w/x.src.rpm"
            ]
        );
        assert_eq!(step.log, Path::new("/w/tasks/9/9/build.log"));
        let srpm = &root.build_srpm(Path::new("/c/x.spec"), Path::new("/c"))[0];
        assert_eq!(srpm.argv[srpm.argv.len() - 3..], ["--define", "_sourcedir /c", "/c/x.spec"]);
    }
}
