//! SCM sources (Koji's `koji.daemon.SCM`, git only): `git+file:///path/repo#ref`, `git+https://host/path#ref`,
//! `git://…#ref`; checked against kojid's `allowed_scms`, then cloned and reset to the ref.

use super::task::TaskError;

#[derive(Debug, Clone, PartialEq)]
pub struct Scm {
    pub url: String,
    /// What git clones: the URL without `git+` and the fragment.
    pub clone_url: String,
    pub host: String,
    pub repository: String,
    pub revision: String,
}

/// What an `allowed_scms` entry allows: whether to run `source_cmd` after the checkout.
#[derive(Debug, Clone, PartialEq)]
pub struct Allowed {
    pub use_common: bool,
    pub source_cmd: Option<Vec<String>>,
}

impl Scm {
    pub fn parse(url: &str) -> Result<Scm, TaskError> {
        let bad = || TaskError::generic(format!("Invalid SCM URL: {url}"));
        let (base, revision) = url.split_once('#').ok_or_else(bad)?;
        if revision.is_empty() {
            return Err(bad());
        }
        let (scheme, rest) = base.split_once("://").ok_or_else(bad)?;
        let clone_scheme = match scheme {
            "git" | "git+ssh" | "git+http" | "git+https" | "git+file" => scheme.trim_start_matches("git+"),
            _ => return Err(TaskError::generic(format!("Invalid SCM URL (unsupported scheme {scheme}): {url}"))),
        };
        let clone_scheme = if scheme == "git" { "git" } else { clone_scheme };
        let (host, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => return Err(bad()),
        };
        Ok(Scm {
            url: url.to_owned(),
            clone_url: format!("{clone_scheme}://{host}{path}"),
            host: host.to_owned(),
            repository: path.to_owned(),
            revision: revision.to_owned(),
        })
    }

    /// Koji's `assert_allowed_by_config`: the first `host:repository[:use_common[:source_cmd]]` entry whose
    /// globs match decides; a `!` entry denies.
    pub fn assert_allowed(&self, allowed_scms: &str) -> Result<Allowed, TaskError> {
        for entry in allowed_scms.split_whitespace() {
            let (deny, entry) = match entry.strip_prefix('!') {
                Some(e) => (true, e),
                None => (false, entry),
            };
            let parts: Vec<&str> = entry.splitn(4, ':').collect();
            if parts.len() < 2 {
                tracing::warn!(entry, "bad allowed_scms entry");
                continue;
            }
            if !(fnmatch(parts[0], &self.host) && fnmatch(parts[1], &self.repository)) {
                continue;
            }
            if deny {
                break;
            }
            let use_common = parts.get(2).is_none_or(|v| !matches!(*v, "no" | "off" | "false" | "0"));
            let source_cmd = match parts.get(3) {
                None => Some(vec!["make".to_owned(), "sources".to_owned()]),
                Some(&"") => None,
                Some(c) => Some(c.split(',').map(str::to_owned).collect()),
            };
            return Ok(Allowed { use_common, source_cmd });
        }
        Err(TaskError::build(format!("{} is not in the list of allowed SCMs", self.url)))
    }

    /// `git+file:///repo#<full sha>`: the source recorded on the build.
    pub fn source_with(&self, sha: &str) -> String {
        format!("{}#{sha}", self.url.split_once('#').map_or(self.url.as_str(), |(b, _)| b))
    }
}

/// Python's `fnmatch` (`*`, `?`, `[…]`), enough for `allowed_scms` globs.
pub fn fnmatch(pattern: &str, text: &str) -> bool {
    let mut re = String::from("^");
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            '[' => {
                let mut class = String::new();
                for d in chars.by_ref() {
                    if d == ']' {
                        break;
                    }
                    class.push(d);
                }
                let class = class.strip_prefix('!').map_or(class.clone(), |c| format!("^{c}"));
                re.push_str(&format!("[{}]", class.replace('\\', "\\\\")));
            }
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    regex::Regex::new(&re).is_ok_and(|r| r.is_match(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_allowed_scms() {
        let s = Scm::parse("git+file:///srv/git/tiny.git#abc123").unwrap();
        assert_eq!(s.clone_url, "file:///srv/git/tiny.git");
        assert_eq!((s.host.as_str(), s.repository.as_str(), s.revision.as_str()), ("", "/srv/git/tiny.git", "abc123"));
        assert_eq!(s.source_with("f00"), "git+file:///srv/git/tiny.git#f00");
        let h = Scm::parse("git+https://src.example.org/rpms/foo.git#main").unwrap();
        assert_eq!(h.clone_url, "https://src.example.org/rpms/foo.git");
        assert_eq!(h.host, "src.example.org");
        assert!(Scm::parse("git+file:///srv/x").is_err(), "a ref is required");
        assert!(Scm::parse("svn://h/x#1").is_err());

        assert_eq!(
            s.assert_allowed("src.example.org:/rpms/* *:/srv/git/*:no:").unwrap(),
            Allowed { use_common: false, source_cmd: None }
        );
        assert_eq!(
            h.assert_allowed("src.example.org:/rpms/*").unwrap().source_cmd,
            Some(vec!["make".to_owned(), "sources".to_owned()])
        );
        assert_eq!(h.assert_allowed("*:*:yes:fedpkg,sources").unwrap().source_cmd.unwrap(), ["fedpkg", "sources"]);
        let err = h.assert_allowed("!src.example.org:/rpms/secret* *:/srv/*").unwrap_err();
        assert!(err.to_string().contains("not in the list of allowed SCMs"), "{err}");
        assert!(
            Scm::parse("git+https://src.example.org/rpms/secret.git#1")
                .unwrap()
                .assert_allowed("!src.example.org:/rpms/secret* *:*")
                .is_err()
        );
        assert!(fnmatch("a?c[0-9]", "abc7") && !fnmatch("a*", "ba"));
    }
}
