//! Repo options (`src`, `debuginfo`, `separate_src`, `maven`): Koji's `convert_repo_opts` and `get_repo_opts`.
//! A repo records the options it was made with (`opts`) and those that differ from its tag's defaults
//! (`custom_opts`); requests match repos on both.

use crate::config::HubConfig;
use crate::fault::{KojiError, KojiResult};
use crate::tags::TagInfo;
use crate::xmlrpc::Value;
use std::collections::BTreeMap;

/// Option name → value; stored as a JSON object.
pub type RepoOpts = BTreeMap<String, bool>;

const ALL_OPTS: &[&str] = &["src", "debuginfo", "separate_src", "maven"];

/// Koji's `convert_repo_opts`: a struct of known options with boolean values (None values are unspecified).
/// With `strict`, anything else is a ParameterError; otherwise it is ignored.
pub fn convert(opts: Option<&Value>, strict: bool) -> KojiResult<RepoOpts> {
    let fields = match opts {
        None | Some(Value::Nil) => return Ok(RepoOpts::new()),
        Some(Value::Struct(s)) => s,
        Some(_) if strict => return Err(KojiError::param("Repo opts must be a dictionary")),
        Some(_) => return Ok(RepoOpts::new()),
    };
    let mut out = RepoOpts::new();
    for (key, value) in fields {
        if !ALL_OPTS.contains(&key.as_str()) {
            if strict {
                return Err(KojiError::param(format!("Invalid repo option: {key}")));
            }
            continue;
        }
        if *value != Value::Nil {
            out.insert(key.clone(), value.truthy());
        }
    }
    Ok(out)
}

/// Koji's `get_repo_opts`: the tag's default options (tag extra `repo.opts`, legacy `with_debuginfo`, maven
/// support) with `overrides` applied; returns `(opts, custom)`, custom being the overrides that changed a default.
pub fn for_tag(config: &HubConfig, tag: &TagInfo, overrides: Option<&RepoOpts>) -> (RepoOpts, RepoOpts) {
    let mut opts: RepoOpts = ALL_OPTS.iter().map(|k| (k.to_string(), false)).collect();
    let extra = |key: &str| tag.extra.get(key).cloned().flatten();
    let mut tag_opts = convert(extra("repo.opts").as_ref(), false).unwrap_or_default();
    if extra("repo.opts").is_none()
        && let Some(v) = extra("with_debuginfo")
    {
        tag_opts.insert("debuginfo".into(), v.truthy());
    }
    opts.extend(tag_opts);
    if !config.enable_maven {
        opts.insert("maven".into(), false);
    } else if tag.config.maven_support {
        opts.insert("maven".into(), true);
    }
    let custom: RepoOpts = overrides
        .map(|o| o.iter().filter(|(k, v)| opts.get(*k) != Some(v)).map(|(k, v)| (k.clone(), *v)).collect())
        .unwrap_or_default();
    opts.extend(custom.clone());
    (opts, custom)
}

pub fn to_json(opts: &RepoOpts) -> serde_json::Value {
    serde_json::to_value(opts).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_conversion_refuses_unknown_options() {
        let mut s = crate::xmlrpc::Struct::new();
        s.insert("src".into(), Value::Int(1));
        s.insert("debuginfo".into(), Value::Nil);
        assert_eq!(convert(Some(&Value::Struct(s.clone())), true).unwrap(), RepoOpts::from([("src".into(), true)]));
        s.insert("bogus".into(), Value::Bool(true));
        assert!(convert(Some(&Value::Struct(s.clone())), true).is_err());
        assert_eq!(convert(Some(&Value::Struct(s)), false).unwrap().len(), 1);
        assert!(convert(Some(&Value::Int(3)), true).is_err());
    }
}
