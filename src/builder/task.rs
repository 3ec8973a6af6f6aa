//! What a task handler works with (Koji's `BaseTaskHandler`): its own hub session, its work directory, its
//! arguments, subtasks and `wait`, uploads into `tasks/<id % 10000>/<id>`, downloads from `topurl`, and the
//! processes it runs. Errors are Koji faults (`failTask` gets the code and message) or a refusal.

use super::config::KojidConfig;
use super::hub_client::{HubClient, HubError};
use super::process::ProcessGroups;
use super::upload::{self, UploadError};
use crate::xmlrpc::{Struct, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::Notify;

/// How long a task keeps retrying a hub call that gets no answer (a hub restart).
const HUB_PATIENCE: Duration = Duration::from_secs(600);

/// Why a task did not produce a result.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TaskError {
    /// Koji's exception classes by fault code (1000 GenericError, 1005 BuildError, …).
    #[error("{message}")]
    Fault { code: i32, message: String },
    /// Koji's `RefuseTask`: this builder cannot run the task; the hub gives it to another.
    #[error("refused: {0}")]
    Refuse(String),
    /// Koji's `ServerRestart` raised in a handler: this daemon is about to restart, so the task is freed
    /// (to run again, re-attaching to its children) instead of holding the restart up.
    #[error("freed for a pending restart")]
    ServerRestart,
}

impl TaskError {
    pub fn generic(message: impl Into<String>) -> Self {
        TaskError::Fault { code: 1000, message: message.into() }
    }

    pub fn build(message: impl Into<String>) -> Self {
        TaskError::Fault { code: 1005, message: message.into() }
    }
}

impl From<HubError> for TaskError {
    fn from(e: HubError) -> Self {
        match e {
            HubError::Fault(f) => TaskError::Fault { code: f.code, message: f.message },
            other => TaskError::generic(other.to_string()),
        }
    }
}

impl From<UploadError> for TaskError {
    fn from(e: UploadError) -> Self {
        TaskError::generic(e.to_string())
    }
}

pub type TaskResult = Result<Value, TaskError>;

/// A task's request: positional parameters and Koji's `__starstar` keyword arguments.
#[derive(Debug, Clone, Default)]
pub struct TaskArgs {
    pub params: Vec<Value>,
    pub kwargs: Struct,
}

impl TaskArgs {
    /// Decodes the XML-RPC call document Koji stores as `task.request`.
    pub fn from_request(request: &str) -> Result<Self, TaskError> {
        let call = crate::xmlrpc::parse_method_call(request.as_bytes(), crate::xmlrpc::Limits::default())
            .map_err(|e| TaskError::generic(format!("undecodable task request: {e}")))?;
        let (params, kwargs) = crate::xmlrpc::split_kwargs(call.params);
        Ok(TaskArgs { params, kwargs })
    }

    /// The parameter at `index`, or passed by `name`; nil counts as absent.
    pub fn get(&self, index: usize, name: &str) -> Option<&Value> {
        self.params.get(index).or_else(|| self.kwargs.get(name)).filter(|v| !v.is_nil())
    }

    pub fn required(&self, index: usize, name: &str) -> Result<&Value, TaskError> {
        self.get(index, name).ok_or_else(|| TaskError::generic(format!("missing task parameter: {name}")))
    }

    pub fn str(&self, index: usize, name: &str) -> Result<String, TaskError> {
        let v = self.required(index, name)?;
        v.as_str().map(str::to_owned).ok_or_else(|| TaskError::generic(format!("{name} must be a string, not {v:?}")))
    }

    pub fn int(&self, index: usize, name: &str) -> Result<i64, TaskError> {
        let v = self.required(index, name)?;
        v.as_i64().ok_or_else(|| TaskError::generic(format!("{name} must be an integer, not {v:?}")))
    }

    /// A struct parameter; absent is empty.
    pub fn opts(&self, index: usize, name: &str) -> Struct {
        self.get(index, name).and_then(Value::as_struct).cloned().unwrap_or_default()
    }
}

/// What the daemon and a running task share: wakes, the waiting flag (a waiting task's weight does not
/// count in the load), and its process groups.
#[derive(Default)]
pub struct TaskShared {
    pub wake: Notify,
    pub waiting: AtomicBool,
    pub procs: ProcessGroups,
    /// Told when `waiting` changes, so the daemon reports the new load.
    pub load_changed: Arc<Notify>,
}

pub struct TaskCtx {
    pub id: i32,
    pub method: String,
    pub parent: Option<i32>,
    /// The task's own subsession.
    pub hub: Arc<HubClient>,
    pub config: Arc<KojidConfig>,
    pub http: reqwest::Client,
    /// `<workdir>/tasks/<id % 10000>/<id>`, made before the handler runs and removed after.
    pub workdir: PathBuf,
    pub shared: Arc<TaskShared>,
    /// The daemon's start time and pending restart.
    pub daemon: Arc<super::restart::DaemonState>,
}

impl TaskCtx {
    /// Calls the hub, riding out a hub restart.
    pub async fn call(&self, method: &str, params: Vec<Value>) -> TaskResult {
        Ok(self.hub.call_retry(method, params, HUB_PATIENCE).await?)
    }

    /// Koji's `taskrelpath`: where this task's uploads go, relative to the hub's `work/`.
    pub fn upload_dir(&self) -> String {
        task_relpath(self.id)
    }

    /// Uploads a local file into the task's directory on the hub; returns its path relative to `work/`.
    pub async fn upload(&self, local: &Path, name: &str) -> Result<String, TaskError> {
        upload::upload_file(&self.hub, local, &self.upload_dir(), name).await?;
        Ok(format!("{}/{name}", self.upload_dir()))
    }

    /// `host.subtask(method, arglist, parent=self, label=…, arch=…)`; idempotent per label on the hub.
    pub async fn subtask(
        &self,
        method: &str,
        args: Vec<Value>,
        label: &str,
        arch: Option<&str>,
    ) -> Result<i32, TaskError> {
        self.subtask_opts(method, args, label, arch.map(|a| ("arch".to_owned(), a.into())).into_iter().collect()).await
    }

    /// [`Self::subtask`] with other `host.subtask` options (`assign` pins the child to a host).
    pub async fn subtask_opts(
        &self,
        method: &str,
        args: Vec<Value>,
        label: &str,
        mut opts: Struct,
    ) -> Result<i32, TaskError> {
        opts.insert("label".into(), label.into());
        opts.insert("__starstar".into(), Value::Bool(true));
        let id = self
            .call(
                "host.subtask",
                vec![method.into(), Value::Array(args), Value::Int(self.id.into()), Value::Struct(opts)],
            )
            .await?;
        id.as_i64().map(|i| i as i32).ok_or_else(|| TaskError::generic(format!("host.subtask returned {id:?}")))
    }

    fn set_waiting(&self, waiting: bool) {
        self.shared.waiting.store(waiting, Ordering::Relaxed);
        self.shared.load_changed.notify_one();
    }

    /// Koji's `BaseTaskHandler.wait`: waits for all (or any) of `subtasks`, woken by the hub's `Wake` for this
    /// task instead of polling; with `failany` a failed child cancels the others and its fault is raised.
    /// Returns `(task id, result)` of the finished children (`canfail` ones may carry a fault struct).
    pub async fn wait(
        &self,
        subtasks: &[i32],
        all: bool,
        failany: bool,
        canfail: &[i32],
    ) -> Result<Vec<(i32, Value)>, TaskError> {
        let ids = || Value::Array(subtasks.iter().map(|t| Value::Int((*t).into())).collect());
        self.call("host.taskSetWait", vec![Value::Int(self.id.into()), ids()]).await?;
        self.set_waiting(true);
        let finished = self.wait_loop(all, failany, canfail).await;
        self.set_waiting(false);
        let finished = finished?;
        self.call("host.taskUnwait", vec![Value::Int(self.id.into())]).await?;
        let canfail = Value::Array(canfail.iter().map(|t| Value::Int((*t).into())).collect());
        let results = self
            .call("host.taskWaitResults", vec![Value::Int(self.id.into()), Value::Array(finished), canfail])
            .await?;
        Ok(results
            .as_array()
            .unwrap_or_default()
            .iter()
            .filter_map(|pair| {
                let pair = pair.as_array()?;
                Some((pair.first()?.as_i64()? as i32, pair.get(1).cloned().unwrap_or_default()))
            })
            .collect())
    }

    async fn wait_loop(&self, all: bool, failany: bool, canfail: &[i32]) -> Result<Vec<Value>, TaskError> {
        // host.taskWait reports each finished child once (it stops being awaited), so they add up here.
        let mut done = vec![];
        loop {
            let answer = self.call("host.taskWait", vec![Value::Int(self.id.into())]).await?;
            let list = |i: usize| {
                answer.as_array().and_then(|a| a.get(i)).and_then(Value::as_array).unwrap_or_default().to_vec()
            };
            let (finished, unfinished) = (list(0), list(1));
            if failany {
                for t in finished.iter().filter_map(Value::as_i64) {
                    if canfail.contains(&(t as i32)) {
                        continue;
                    }
                    if let Err(e) = self.call("getTaskResult", vec![Value::Int(t)]).await {
                        tracing::info!(task = self.id, child = t, "a child failed; canceling the others");
                        self.call("cancelTaskChildren", vec![Value::Int(self.id.into())]).await?;
                        return Err(e);
                    }
                }
            }
            done.extend(finished);
            if (all && unfinished.is_empty()) || (!all && !done.is_empty()) {
                return Ok(done);
            }
            self.shared.wake.notified().await;
        }
    }

    /// Koji's `localPath`: downloads `<topurl>/<relpath>` into `<workdir>/local/<relpath>` once.
    pub async fn download(&self, relpath: &str) -> Result<PathBuf, TaskError> {
        let local = self.workdir.join("local").join(relpath.trim_start_matches('/'));
        if local.exists() {
            return Ok(local);
        }
        fetch_to(&self.http, &format!("{}/{relpath}", self.config.topurl), &local).await?;
        Ok(local)
    }

    /// Runs a command in its own process group, output appended to `log`, with the build timeout.
    pub async fn run(
        &self,
        cmd: &mut tokio::process::Command,
        log: &Path,
    ) -> Result<std::process::ExitStatus, TaskError> {
        self.shared.procs.run(cmd, log, self.config.rpmbuild_timeout, self.config.kill_grace).await
    }
}

/// Koji's `PathInfo.taskrelpath`.
/// A path's last component, as text (empty for none).
pub fn file_name(p: &Path) -> String {
    p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

pub fn task_relpath(id: i32) -> String {
    format!("tasks/{}/{id}", id % 10000)
}

/// Downloads `url` to `dest` (through a temporary name, so a broken download never looks complete).
pub async fn fetch_to(http: &reqwest::Client, url: &str, dest: &Path) -> Result<(), TaskError> {
    let fail = |e: &dyn std::fmt::Display| TaskError::generic(format!("cannot download {url}: {e}"));
    if let Some(dir) = dest.parent() {
        std::fs::create_dir_all(dir).map_err(|e| fail(&e))?;
    }
    let mut response = http.get(url).send().await.map_err(|e| fail(&e))?;
    if !response.status().is_success() {
        return Err(fail(&response.status()));
    }
    let part = dest.with_extension("part");
    let mut file = std::fs::File::create(&part).map_err(|e| fail(&e))?;
    while let Some(chunk) = response.chunk().await.map_err(|e| fail(&e))? {
        std::io::Write::write_all(&mut file, &chunk).map_err(|e| fail(&e))?;
    }
    std::fs::rename(&part, dest).map_err(|e| fail(&e))
}

/// Reads `url` whole (repo metadata, small files).
pub async fn fetch_bytes(http: &reqwest::Client, url: &str) -> Result<Vec<u8>, TaskError> {
    let fail = |e: &dyn std::fmt::Display| TaskError::generic(format!("cannot download {url}: {e}"));
    let response = http.get(url).send().await.map_err(|e| fail(&e))?;
    if !response.status().is_success() {
        return Err(fail(&response.status()));
    }
    Ok(response.bytes().await.map_err(|e| fail(&e))?.to_vec())
}

/// A struct field of a hub answer.
pub fn field<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    v.as_struct().and_then(|s| s.get(name)).filter(|v| !v.is_nil())
}

pub fn field_str(v: &Value, name: &str) -> Result<String, TaskError> {
    field(v, name)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| TaskError::generic(format!("hub answer lacks {name}: {v:?}")))
}

pub fn field_int(v: &Value, name: &str) -> Result<i64, TaskError> {
    field(v, name).and_then(Value::as_i64).ok_or_else(|| TaskError::generic(format!("hub answer lacks {name}: {v:?}")))
}

/// A struct value from pairs.
pub fn strukt(pairs: Vec<(&str, Value)>) -> Value {
    Value::Struct(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

/// Koji keyword arguments (`{"__starstar": true, …}`) as the last parameter.
pub fn kwargs(pairs: Vec<(&str, Value)>) -> Value {
    let mut v = pairs;
    v.push(("__starstar", Value::Bool(true)));
    strukt(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_decode_with_their_keyword_arguments() {
        let doc =
            crate::xmlrpc::encode_call("newRepo", &[Value::from("f40-build"), kwargs(vec![("event", Value::Int(7))])]);
        let args = TaskArgs::from_request(&doc).unwrap();
        assert_eq!(args.str(0, "tag").unwrap(), "f40-build");
        assert_eq!(args.int(1, "event").unwrap(), 7);
        assert!(args.get(2, "opts").is_none());
        assert_eq!(task_relpath(12345), "tasks/2345/12345");
    }
}
