//! `hub.conf` in Koji's own INI format, parsed once into typed settings.
//!
//! Koji reads its options with Python's ConfigParser, so option names are case-insensitive and booleans accept
//! `yes/no/true/false/on/off/1/0`. We keep Koji's key names and add the few settings Apache used to provide
//! (`ListenAddress`, `TLS*File`). Unknown keys are warned about; a bad value stops the start with the key named.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{path}: {message}")]
    Syntax { path: String, message: String },
    #[error("{path}: [hub] {key} = {value:?}: {expected}")]
    Invalid { path: String, key: &'static str, value: String, expected: String },
    #[error("{path}: [hub] {key} is required")]
    Missing { path: String, key: &'static str },
}

#[derive(Debug, Clone)]
pub struct DbConfig {
    pub name: String,
    pub user: Option<String>,
    pub password: Option<String>,
    /// A host name, an IP address, or a unix-socket directory (a path starting with `/`).
    pub host: Option<String>,
    pub port: Option<u16>,
    /// libpq-style `key=value` string; when set it is the base the other DB keys refine.
    pub connection_string: Option<String>,
}

#[derive(Debug, Clone)]
pub struct TlsConfig {
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
    /// CA that client certificates must chain to; without it `sslLogin` cannot succeed.
    pub client_ca_file: Option<PathBuf>,
}

/// Koji's scheduler knobs (same names and defaults), plus the push builders' liveness.
#[derive(Debug, Clone)]
pub struct SchedulerConfig {
    pub max_jobs: u32,
    pub capacity_overcommit: f64,
    pub ready_timeout: Duration,
    pub assign_timeout: Duration,
    pub soft_refusal_timeout: Duration,
    /// How long the OPEN tasks of a lost or disabled host wait for it before they are freed.
    pub host_timeout: Duration,
    pub missed_heartbeats: u32,
}

/// Repo requests and the RepoManager (Koji's hub keys, plus kojira's lifetimes, which moved into the hub).
#[derive(Debug, Clone)]
pub struct RepoConfig {
    /// `RepoLag`: how old a repo a request without `min_event` accepts.
    pub lag: Duration,
    /// `RepoLagWindow`: `RepoLag` is rounded down to it, so close requests share one `min_event`.
    pub lag_window: Duration,
    /// `MaxRepoTasks`: newRepo tasks running at once.
    pub max_tasks: usize,
    /// `RepoRetries`: new tasks for a request whose task failed, before the request is given up.
    pub retries: i32,
    /// `RequestCleanTime`: how long fulfilled or abandoned requests stay visible.
    pub request_clean_time: Duration,
    /// `RepoQueueUser`: owner of the newRepo tasks and automatic requests (created if missing).
    pub queue_user: String,
    /// `AllowNewRepo`: whether the legacy `newRepo` call may make a task directly.
    pub allow_new_repo: bool,
    /// `RepoAutoRegen` (koji-rs): keep the repos of build tags (and `repo.auto` tags) current on every change.
    pub auto_regen: bool,
    /// `ExpiredRepoLifetime` (kojira's `expired_repo_lifetime`): how long an EXPIRED or PROBLEM repo is kept
    /// before it is deleted (unless a buildroot still uses it).
    pub expired_lifetime: Duration,
}

#[derive(Debug, Clone)]
pub struct HubConfig {
    pub db: DbConfig,
    pub koji_dir: PathBuf,
    pub listen: SocketAddr,
    pub tls: Option<TlsConfig>,
    pub workers: usize,
    pub login_creates_user: bool,
    pub check_client_ip: bool,
    pub disable_url_sessions: bool,
    pub max_request_length: usize,
    pub dn_username_component: String,
    pub proxy_dns: Vec<String>,
    pub session_renewal_timeout: Duration,
    /// How often in-memory session activity (update_time, callnum) is written back.
    pub session_flush_interval: Duration,
    pub server_offline: bool,
    pub offline_message: Option<String>,
    pub lock_out: bool,
    pub regex_user_name: String,
    pub max_name_length_internal: usize,
    /// Names of tags, targets and other internal objects must match it (`""` turns the check off).
    pub regex_name_internal: String,
    /// Maven support on tags (`createTag(maven_support=True)`, `mavenEnabled`).
    pub enable_maven: bool,
    pub koji_debug: bool,
    pub log_level: String,
    pub scheduler: SchedulerConfig,
    /// Interval of push builders' heartbeats (`BuilderHeartbeat`, seconds).
    pub builder_heartbeat: Duration,
    pub repos: RepoConfig,
    /// `[hub]` keys neither Koji nor koji-rs knows; the caller warns about them once logging is up.
    pub unknown_keys: Vec<String>,
}

/// Koji options we accept for compatibility but do not act on (yet); they are not "unknown".
const KOJI_KEYS_IGNORED: &[&str] = &[
    "authprincipal",
    "authkeytab",
    "proxyprincipals",
    "hostprincipalformat",
    "allowedkrbrealms",
    "disablegssapiproxydnfallback",
    "allowproxyauthtype",
    "kojiweburl",
    "emaildomain",
    "notifyonsuccess",
    "disablenotifications",
    "plugins",
    "pluginpath",
    "kojitraceback",
    "verbosepolicy",
    "logformat",
    "missingpolicyok",
    "enablewin",
    "rlimit_as",
    "rlimit_core",
    "rlimit_cpu",
    "rlimit_data",
    "rlimit_fsize",
    "rlimit_memlock",
    "rlimit_nofile",
    "rlimit_nproc",
    "rlimit_ofile",
    "rlimit_rss",
    "rlimit_stack",
    "memorywarnthreshold",
    "retrywhitelist",
];

struct Section<'a> {
    path: &'a str,
    entries: Vec<(String, String)>,
}

impl Section<'_> {
    fn raw(&self, key: &'static str) -> Option<&str> {
        let lower = key.to_ascii_lowercase();
        self.entries.iter().rev().find(|(k, _)| *k == lower).map(|(_, v)| v.as_str())
    }

    fn string(&self, key: &'static str) -> Option<String> {
        self.raw(key).map(str::to_owned).filter(|v| !v.is_empty())
    }

    fn invalid(&self, key: &'static str, value: &str, expected: &str) -> ConfigError {
        ConfigError::Invalid { path: self.path.into(), key, value: value.into(), expected: expected.into() }
    }

    fn parse<T: std::str::FromStr>(&self, key: &'static str, default: T, expected: &str) -> Result<T, ConfigError> {
        match self.raw(key) {
            None => Ok(default),
            Some(v) => v.trim().parse().map_err(|_| self.invalid(key, v, expected)),
        }
    }

    fn boolean(&self, key: &'static str, default: bool) -> Result<bool, ConfigError> {
        match self.raw(key) {
            None => Ok(default),
            Some(v) => match v.trim().to_ascii_lowercase().as_str() {
                "1" | "yes" | "true" | "on" => Ok(true),
                "0" | "no" | "false" | "off" => Ok(false),
                _ => Err(self.invalid(key, v, "expected a boolean (yes/no, true/false, on/off, 1/0)")),
            },
        }
    }
}

impl HubConfig {
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::Read { path: path.display().to_string(), source })?;
        Self::parse(&path.display().to_string(), &text)
    }

    pub fn parse(path: &str, text: &str) -> Result<Self, ConfigError> {
        let ini = ini::Ini::load_from_str_opt(
            text,
            ini::ParseOption { enabled_quote: false, enabled_escape: false, ..Default::default() },
        )
        .map_err(|e| ConfigError::Syntax { path: path.into(), message: e.to_string() })?;
        let entries = ini
            .section(Some("hub"))
            .map(|s| s.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.to_owned())).collect())
            .unwrap_or_default();
        let s = Section { path, entries };
        let mut config = Self::from_section(&s)?;
        config.unknown_keys = s
            .entries
            .iter()
            .map(|(k, _)| k.clone())
            .filter(|k| !KNOWN_KEYS.contains(&k.as_str()) && !KOJI_KEYS_IGNORED.contains(&k.as_str()))
            .collect();
        Ok(config)
    }

    fn from_section(s: &Section) -> Result<Self, ConfigError> {
        let tls = match (s.string("TLSCertFile"), s.string("TLSKeyFile")) {
            (None, None) => None,
            (Some(cert), Some(key)) => Some(TlsConfig {
                cert_file: cert.into(),
                key_file: key.into(),
                client_ca_file: s.string("TLSClientCAFile").map(PathBuf::from),
            }),
            (Some(_), None) => return Err(ConfigError::Missing { path: s.path.into(), key: "TLSKeyFile" }),
            (None, Some(_)) => return Err(ConfigError::Missing { path: s.path.into(), key: "TLSCertFile" }),
        };
        let port = match s.raw("DBPort") {
            None => None,
            Some(v) => Some(v.trim().parse().map_err(|_| s.invalid("DBPort", v, "expected a port number"))?),
        };
        let db = DbConfig {
            name: s.string("DBName").unwrap_or_else(|| "koji".into()),
            user: s.string("DBUser"),
            password: s.string("DBPass"),
            host: s.string("DBHost").or_else(|| s.string("DBhost")),
            port,
            connection_string: s.string("DBConnectionString"),
        };
        let minutes: u64 = s.parse("SessionRenewalTimeout", 1440, "expected a number of minutes")?;
        let flush: u64 = s.parse("SessionFlushInterval", 60, "expected a number of seconds")?;
        let workers: usize = s.parse("Workers", 0, "expected a number of HTTP worker threads")?;
        let log_level = s.string("LogLevel").unwrap_or_else(|| "INFO".into());
        if !["DEBUG", "INFO", "WARNING", "WARN", "ERROR", "CRITICAL"].contains(&log_level.to_ascii_uppercase().as_str())
        {
            return Err(s.invalid("LogLevel", &log_level, "expected DEBUG, INFO, WARNING or ERROR"));
        }
        Ok(HubConfig {
            db,
            koji_dir: s.string("KojiDir").unwrap_or_else(|| "/mnt/koji".into()).into(),
            listen: s.parse(
                "ListenAddress",
                SocketAddr::from(([127, 0, 0, 1], 8080)),
                "expected HOST:PORT, e.g. 127.0.0.1:8080",
            )?,
            tls,
            workers: if workers == 0 { std::thread::available_parallelism().map_or(2, |n| n.get()) } else { workers },
            login_creates_user: s.boolean("LoginCreatesUser", true)?,
            check_client_ip: s.boolean("CheckClientIP", true)?,
            disable_url_sessions: s.boolean("DisableURLSessions", false)?,
            max_request_length: s.parse("MaxRequestLength", 4_194_304, "expected a size in bytes")?,
            dn_username_component: s.string("DNUsernameComponent").unwrap_or_else(|| "CN".into()),
            proxy_dns: s
                .string("ProxyDNs")
                .map(|v| v.split('|').map(|d| d.trim().to_owned()).filter(|d| !d.is_empty()).collect())
                .unwrap_or_default(),
            session_renewal_timeout: Duration::from_secs(minutes * 60),
            session_flush_interval: Duration::from_secs(flush.max(1)),
            server_offline: s.boolean("ServerOffline", false)?,
            offline_message: s.string("OfflineMessage"),
            lock_out: s.boolean("LockOut", false)?,
            regex_user_name: s.string("RegexUserName").unwrap_or_else(|| r"^[A-Za-z0-9/_.@-]+$".into()),
            max_name_length_internal: s.parse("MaxNameLengthInternal", 256, "expected a length")?,
            regex_name_internal: s.raw("RegexNameInternal").unwrap_or(r"^[A-Za-z0-9/_.+-]+$").trim().to_owned(),
            enable_maven: s.boolean("EnableMaven", false)?,
            koji_debug: s.boolean("KojiDebug", false)?,
            log_level,
            scheduler: SchedulerConfig {
                max_jobs: s.parse("MaxJobs", 15, "expected a number of jobs")?,
                capacity_overcommit: s.parse("CapacityOvercommit", 5.0, "expected a number")?,
                ready_timeout: Duration::from_secs(s.parse("ReadyTimeout", 180, "expected seconds")?),
                assign_timeout: Duration::from_secs(s.parse("AssignTimeout", 300, "expected seconds")?),
                soft_refusal_timeout: Duration::from_secs(s.parse("SoftRefusalTimeout", 900, "expected seconds")?),
                host_timeout: Duration::from_secs(s.parse("HostTimeout", 900, "expected seconds")?),
                missed_heartbeats: s.parse("MissedHeartbeats", 3, "expected a count")?,
            },
            builder_heartbeat: Duration::from_secs(s.parse::<u64>("BuilderHeartbeat", 5, "expected seconds")?.max(1)),
            repos: RepoConfig {
                lag: Duration::from_secs(s.parse("RepoLag", 3600, "expected seconds")?),
                lag_window: Duration::from_secs(s.parse::<u64>("RepoLagWindow", 600, "expected seconds")?.max(1)),
                max_tasks: s.parse("MaxRepoTasks", 10, "expected a number of tasks")?,
                retries: s.parse("RepoRetries", 3, "expected a count")?,
                request_clean_time: Duration::from_secs(
                    60 * s.parse::<u64>("RequestCleanTime", 1440, "expected a number of minutes")?,
                ),
                queue_user: s.string("RepoQueueUser").unwrap_or_else(|| "kojira".into()),
                allow_new_repo: s.boolean("AllowNewRepo", false)?,
                auto_regen: s.boolean("RepoAutoRegen", true)?,
                expired_lifetime: Duration::from_secs(s.parse(
                    "ExpiredRepoLifetime",
                    7 * 24 * 3600,
                    "expected seconds",
                )?),
            },
            unknown_keys: vec![],
        })
    }

    /// The tokio-postgres configuration for the hub's pool and its dedicated connections.
    pub fn pg_config(&self) -> Result<tokio_postgres::Config, ConfigError> {
        let mut cfg: tokio_postgres::Config = match &self.db.connection_string {
            Some(cs) => cs.parse().map_err(|e: tokio_postgres::Error| ConfigError::Invalid {
                path: "hub.conf".into(),
                key: "DBConnectionString",
                value: "<hidden>".into(),
                expected: e.to_string(),
            })?,
            None => tokio_postgres::Config::new(),
        };
        cfg.dbname(&self.db.name);
        cfg.application_name("koji-hub");
        if let Some(u) = &self.db.user {
            cfg.user(u);
        }
        if let Some(p) = &self.db.password {
            cfg.password(p);
        }
        if let Some(h) = &self.db.host {
            if h.starts_with('/') {
                cfg.host_path(h);
            } else {
                cfg.host(h);
            }
        } else if self.db.connection_string.is_none() {
            cfg.host_path("/var/run/postgresql");
        }
        if let Some(p) = self.db.port {
            cfg.port(p);
        }
        cfg.keepalives_idle(Duration::from_secs(60));
        Ok(cfg)
    }
}

const KNOWN_KEYS: &[&str] = &[
    "dbname",
    "dbuser",
    "dbhost",
    "dbport",
    "dbpass",
    "dbconnectionstring",
    "kojidir",
    "listenaddress",
    "tlscertfile",
    "tlskeyfile",
    "tlsclientcafile",
    "workers",
    "logincreatesuser",
    "checkclientip",
    "disableurlsessions",
    "maxrequestlength",
    "dnusernamecomponent",
    "proxydns",
    "sessionrenewaltimeout",
    "sessionflushinterval",
    "serveroffline",
    "offlinemessage",
    "lockout",
    "regexusername",
    "maxnamelengthinternal",
    "regexnameinternal",
    "enablemaven",
    "kojidebug",
    "loglevel",
    "maxjobs",
    "capacityovercommit",
    "readytimeout",
    "assigntimeout",
    "softrefusaltimeout",
    "hosttimeout",
    "missedheartbeats",
    "builderheartbeat",
    "runinterval",
    "repolag",
    "repolagwindow",
    "maxrepotasks",
    "reporetries",
    "requestcleantime",
    "repoqueueuser",
    "allownewrepo",
    "repoautoregen",
    "expiredrepolifetime",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_koji_keys_case_insensitively() {
        let c = HubConfig::parse(
            "hub.conf",
            "[hub]\nDBName = kojidb\ndbhost = /tmp/sock\nDBPort = 5433\nKojiDir=/srv/koji\nLoginCreatesUser = no\n\
             ListenAddress = 0.0.0.0:9443\nProxyDNs = /CN=web1 | /CN=web2\nMaxRequestLength = 1000\n",
        )
        .unwrap();
        assert_eq!(c.db.name, "kojidb");
        assert_eq!(c.db.host.as_deref(), Some("/tmp/sock"));
        assert_eq!(c.db.port, Some(5433));
        assert_eq!(c.koji_dir, PathBuf::from("/srv/koji"));
        assert!(!c.login_creates_user);
        assert!(c.check_client_ip);
        assert_eq!(c.listen, "0.0.0.0:9443".parse().unwrap());
        assert_eq!(c.proxy_dns, vec!["/CN=web1", "/CN=web2"]);
        assert_eq!(c.max_request_length, 1000);
        assert!(c.tls.is_none());
        assert!(c.unknown_keys.is_empty());
    }

    #[test]
    fn unknown_keys_are_reported_not_fatal() {
        let c = HubConfig::parse("h.conf", "[hub]\nDBName = k\nNoSuchOption = 1\nPlugins = x\n").unwrap();
        assert_eq!(c.unknown_keys, vec!["nosuchoption"]);
    }

    #[test]
    fn bad_values_name_the_key() {
        let e = HubConfig::parse("h.conf", "[hub]\nDBPort = abc\n").unwrap_err().to_string();
        assert!(e.contains("DBPort") && e.contains("abc"), "{e}");
        let e = HubConfig::parse("h.conf", "[hub]\nCheckClientIP = maybe\n").unwrap_err().to_string();
        assert!(e.contains("CheckClientIP"), "{e}");
        let e = HubConfig::parse("h.conf", "[hub]\nListenAddress = nowhere\n").unwrap_err().to_string();
        assert!(e.contains("ListenAddress"), "{e}");
        let e = HubConfig::parse("h.conf", "[hub]\nTLSCertFile = /a.pem\n").unwrap_err().to_string();
        assert!(e.contains("TLSKeyFile"), "{e}");
    }

    #[test]
    fn defaults_follow_koji() {
        let c = HubConfig::parse("h.conf", "[hub]\n").unwrap();
        assert_eq!(c.max_request_length, 4_194_304);
        assert!(c.login_creates_user);
        assert_eq!(c.session_renewal_timeout, Duration::from_secs(1440 * 60));
        assert_eq!(c.dn_username_component, "CN");
        assert_eq!(c.koji_dir, PathBuf::from("/mnt/koji"));
    }
}
