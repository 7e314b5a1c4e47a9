//! Running functions: execution environments (local runtime processes), kept warm in pools per
//! function version, started on demand for concurrent invocations, and ended when the function
//! changes, is deleted, or the emulator stops.

mod api;
mod environment;
mod executables;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use parking_lot::Mutex;

pub use environment::Outcome;
use environment::{Environment, LaunchSpec};

use super::code;
use super::state::CodeBundle;

const PYTHON_BOOTSTRAP: &str = include_str!("../../../../runtimes/python/bootstrap.py");
const NODE_BOOTSTRAP: &str = include_str!("../../../../runtimes/node/bootstrap.js");

#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("runtime {runtime} needs one of [{tried}] on PATH; none was found (run scripts/setup-runtimes)")]
    MissingExecutable { runtime: String, tried: String },
    #[error("runtime {0} cannot run in the paritytest emulator (python3.x and nodejs*.x can)")]
    Unsupported(String),
    /// Reserved concurrency is exhausted (all allowed environments are busy).
    #[error("reserved concurrency of {function} exhausted")]
    Throttled { function: String },
    #[error("could not prepare the execution environment for {function}: {source}")]
    Io {
        function: String,
        #[source]
        source: std::io::Error,
    },
}

/// What an invocation needs to know about the function version it runs.
#[derive(Debug, Clone)]
pub struct FunctionSpec {
    pub account: String,
    pub region: String,
    pub name: String,
    /// `$LATEST` or the version number.
    pub version: String,
    pub runtime: String,
    pub handler: String,
    pub memory_mb: i64,
    pub timeout: Duration,
    pub variables: BTreeMap<String, String>,
    pub code: Arc<CodeBundle>,
    pub layers: Vec<Arc<CodeBundle>>,
    pub log_group: String,
    /// Reserved concurrency: at most this many invocations of the function at once.
    pub reserved_concurrency: Option<i64>,
    /// The invoked qualifier has READY provisioned concurrency: its environments are
    /// provisioned ones (AWS_LAMBDA_INITIALIZATION_TYPE tells the handler).
    pub provisioned: bool,
}

pub struct Invocation {
    pub request_id: String,
    pub payload: Bytes,
    pub invoked_arn: String,
    pub client_context: Option<String>,
    /// The caller wants the log tail: wait for the output pipes to drain.
    pub want_logs: bool,
}

pub struct InvokeResult {
    pub outcome: Outcome,
    /// What the function printed during this invocation.
    pub output: Vec<u8>,
    pub duration: Duration,
    pub init_duration: Option<Duration>,
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct PoolKey {
    account: String,
    region: String,
    function: String,
    version: String,
    provisioned: bool,
}

#[derive(Default)]
struct Pool {
    epoch: u64,
    idle: Vec<Environment>,
}

/// Files shared by every environment: the bootstrap scripts and extracted code.
struct Workspace {
    root: tempfile::TempDir,
}

pub struct Runtimes {
    pools: Mutex<HashMap<PoolKey, Pool>>,
    epoch: AtomicU64,
    workspace: OnceLock<Result<Workspace, String>>,
    /// Extracted code per (code id, layer ids): reused by every environment of that version.
    code_dirs: Mutex<HashMap<(u64, Vec<u64>), PathBuf>>,
    executables: executables::Resolver,
    /// Running invocations per (account, region, function), for reserved concurrency.
    in_flight: InFlightCounts,
}

/// Running invocations per (account, region, function).
type InFlightCounts = Arc<Mutex<HashMap<(String, String, String), i64>>>;

/// Counts one running invocation; the count drops when the invocation ends, even if its
/// future is cancelled.
struct InFlight {
    map: InFlightCounts,
    key: (String, String, String),
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut m = self.map.lock();
        if let Some(n) = m.get_mut(&self.key) {
            *n -= 1;
            if *n <= 0 {
                m.remove(&self.key);
            }
        }
    }
}

impl Default for Runtimes {
    fn default() -> Self {
        Self::new()
    }
}

impl Runtimes {
    pub fn new() -> Self {
        Runtimes {
            pools: Mutex::new(HashMap::new()),
            epoch: AtomicU64::new(1),
            workspace: OnceLock::new(),
            code_dirs: Mutex::new(HashMap::new()),
            executables: executables::Resolver::default(),
            in_flight: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    fn workspace(&self) -> Result<&Path, String> {
        let ws = self.workspace.get_or_init(|| {
            let root = tempfile::Builder::new()
                .prefix("paritytest-lambda-")
                .tempdir()
                .map_err(|e| format!("cannot create a temp dir: {e}"))?;
            let write = |rel: &str, text: &str| -> Result<(), String> {
                let p = root.path().join(rel);
                if let Some(parent) = p.parent() {
                    std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
                }
                std::fs::write(&p, text).map_err(|e| format!("cannot write {}: {e}", p.display()))
            };
            write("runtime/python/bootstrap.py", PYTHON_BOOTSTRAP)?;
            write("runtime/node/bootstrap.js", NODE_BOOTSTRAP)?;
            Ok(Workspace { root })
        });
        ws.as_ref().map(|w| w.root.path()).map_err(Clone::clone)
    }

    /// Unpack code and layers once per combination; returns (task root, opt dir).
    fn code_dir(&self, spec: &FunctionSpec) -> Result<(PathBuf, PathBuf), RuntimeError> {
        let io = |source| RuntimeError::Io {
            function: spec.name.clone(),
            source,
        };
        let root = self
            .workspace()
            .map_err(|e| io(std::io::Error::other(e)))?
            .to_path_buf();
        let key = (
            spec.code.id,
            spec.layers.iter().map(|l| l.id).collect::<Vec<_>>(),
        );
        if let Some(dir) = self.code_dirs.lock().get(&key) {
            return Ok((dir.join("task"), dir.join("opt")));
        }
        let dir = root.join(format!(
            "code-{}-{}",
            key.0,
            key.1
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join("_")
        ));
        code::extract(&spec.code, &dir.join("task")).map_err(io)?;
        std::fs::create_dir_all(dir.join("opt")).map_err(io)?;
        // Later layers override earlier ones, as in /opt on AWS.
        for layer in &spec.layers {
            code::extract(layer, &dir.join("opt")).map_err(io)?;
        }
        self.code_dirs.lock().insert(key, dir.clone());
        Ok((dir.join("task"), dir.join("opt")))
    }

    fn launch_spec(&self, spec: &FunctionSpec) -> Result<LaunchSpec, RuntimeError> {
        let (task_root, opt) = self.code_dir(spec)?;
        let runtime_dir = self
            .workspace()
            .map_err(|e| RuntimeError::Io {
                function: spec.name.clone(),
                source: std::io::Error::other(e),
            })?
            .join("runtime");
        let host_path = std::env::var("PATH").unwrap_or_default();
        let mut env = BTreeMap::new();
        let mut set = |k: &str, v: String| {
            env.insert(k.to_string(), v);
        };
        // The variables AWS sets (see the runtime introspection recordings).
        set("AWS_ACCESS_KEY_ID", spec.account.clone());
        set("AWS_SECRET_ACCESS_KEY", "test".into());
        set("AWS_SESSION_TOKEN", "test".into());
        set("AWS_REGION", spec.region.clone());
        set("AWS_DEFAULT_REGION", spec.region.clone());
        set("AWS_EXECUTION_ENV", format!("AWS_Lambda_{}", spec.runtime));
        set("AWS_LAMBDA_FUNCTION_NAME", spec.name.clone());
        set("AWS_LAMBDA_FUNCTION_VERSION", spec.version.clone());
        set(
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
            spec.memory_mb.to_string(),
        );
        set(
            "AWS_LAMBDA_INITIALIZATION_TYPE",
            if spec.provisioned {
                "provisioned-concurrency"
            } else {
                "on-demand"
            }
            .into(),
        );
        set("AWS_LAMBDA_LOG_GROUP_NAME", spec.log_group.clone());
        set("AWS_LAMBDA_LOG_STREAM_NAME", log_stream_name(&spec.version));
        set("AWS_XRAY_CONTEXT_MISSING", "LOG_ERROR".into());
        set("LAMBDA_TASK_ROOT", task_root.display().to_string());
        set("LAMBDA_RUNTIME_DIR", runtime_dir.display().to_string());
        set("_HANDLER", spec.handler.clone());
        set("LANG", "en_US.UTF-8".into());
        set("LC_CTYPE", "C.UTF-8".into());
        set("TZ", ":UTC".into());
        set("SHLVL", "0".into());
        set("PWD", task_root.display().to_string());
        set("PATH", format!("{host_path}:{}", opt.join("bin").display()));
        set(
            "LD_LIBRARY_PATH",
            format!(
                "{}:{}:{}",
                task_root.display(),
                task_root.join("lib").display(),
                opt.join("lib").display()
            ),
        );
        if let Ok(home) = std::env::var("HOME") {
            set("HOME", home);
        }
        set("PARITYTEST_OPT_DIR", opt.display().to_string());
        let (program, args) = if spec.runtime.starts_with("python") {
            set(
                "PYTHONPATH",
                runtime_dir.join("python").display().to_string(),
            );
            let exe = self.executables.python(&spec.runtime)?;
            // -S: no site processing at start (see the bootstrap, which adds site-packages
            // itself); .pth files would cost more than the rest of a cold start.
            (
                exe,
                vec![
                    "-S".to_string(),
                    runtime_dir
                        .join("python/bootstrap.py")
                        .display()
                        .to_string(),
                ],
            )
        } else if spec.runtime.starts_with("nodejs") {
            let major = spec
                .runtime
                .trim_start_matches("nodejs")
                .trim_end_matches(".x")
                .to_string();
            set(
                "NODE_PATH",
                format!(
                    "{}:{}:{}",
                    opt.join("nodejs/node_modules").display(),
                    opt.join(format!("nodejs/node{major}/node_modules"))
                        .display(),
                    task_root.display()
                ),
            );
            let exe = self.executables.node(&spec.runtime)?;
            (
                exe,
                vec![runtime_dir.join("node/bootstrap.js").display().to_string()],
            )
        } else if spec.runtime.starts_with("provided") {
            // Custom runtimes bring their own `bootstrap`, in the code or a layer.
            let bootstrap = [task_root.join("bootstrap"), opt.join("bootstrap")]
                .into_iter()
                .find(|p| p.exists())
                .ok_or_else(|| {
                    RuntimeError::Unsupported(format!(
                        "{} (no bootstrap file in the code or layers)",
                        spec.runtime
                    ))
                })?;
            (bootstrap, Vec::new())
        } else {
            return Err(RuntimeError::Unsupported(spec.runtime.clone()));
        };
        // User variables win over nothing AWS reserves; AWS rejects reserved keys at create.
        for (k, v) in &spec.variables {
            env.insert(k.clone(), v.clone());
        }
        // AWS's runtimes start through `exec "$AWS_LAMBDA_EXEC_WRAPPER" <runtime>` when the
        // variable is set, so a missing wrapper ends init with the shell's exit status 127.
        let (program, args) = match spec.variables.get("AWS_LAMBDA_EXEC_WRAPPER") {
            Some(wrapper) => {
                let mut wrapped = vec![
                    "-c".to_string(),
                    "exec \"$0\" \"$@\"".to_string(),
                    wrapper.clone(),
                    program.display().to_string(),
                ];
                wrapped.extend(args);
                (PathBuf::from("/bin/sh"), wrapped)
            }
            None => (program, args),
        };
        Ok(LaunchSpec {
            program,
            args,
            task_root,
            env,
        })
    }

    /// Run one invocation in a warm environment, or a new one when none is free.
    pub async fn invoke(
        &self,
        spec: &FunctionSpec,
        inv: Invocation,
    ) -> Result<InvokeResult, RuntimeError> {
        let _slot = self.claim_slot(spec)?;
        let key = PoolKey {
            account: spec.account.clone(),
            region: spec.region.clone(),
            function: spec.name.clone(),
            version: spec.version.clone(),
            provisioned: spec.provisioned,
        };
        let (warm, epoch) = {
            let mut pools = self.pools.lock();
            let pool = pools.entry(key.clone()).or_insert_with(|| Pool {
                epoch: self.epoch.fetch_add(1, Ordering::Relaxed),
                idle: Vec::new(),
            });
            (pool.idle.pop(), pool.epoch)
        };
        let mut env = match warm {
            Some(env) => env,
            None => {
                let launch = self.launch_spec(spec)?;
                Environment::start(&launch, epoch)
                    .await
                    .map_err(|source| RuntimeError::Io {
                        function: spec.name.clone(),
                        source,
                    })?
            }
        };
        let log_start = env.log_len();
        let want_logs = inv.want_logs;
        let started = Instant::now();
        let init_started = env.init_started.take();
        let outcome = env
            .invoke(
                api::NextInvocation {
                    request_id: inv.request_id.clone(),
                    payload: inv.payload,
                    timeout: spec.timeout,
                    function_arn: inv.invoked_arn,
                    trace_id: format!(
                        "Root=1-{:08x}-{};Parent={};Sampled=0",
                        std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .map(|d| d.as_secs())
                            .unwrap_or(0),
                        &uuid::Uuid::new_v4().simple().to_string()[..24],
                        &uuid::Uuid::new_v4().simple().to_string()[..16]
                    ),
                    client_context: inv.client_context,
                },
                spec.timeout,
            )
            .await;
        let duration = started.elapsed();
        // Output written just before the answer may still be in the pipe: give the reader a
        // moment when the caller reads the logs.
        if want_logs {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let output = env.logs_since(log_start);
        let init_duration = init_started.map(|s| started.saturating_duration_since(s));
        if env.reusable {
            let mut pools = self.pools.lock();
            if let Some(pool) = pools.get_mut(&key) {
                if pool.epoch == env.epoch {
                    pool.idle.push(env);
                }
            }
        }
        Ok(InvokeResult {
            outcome,
            output,
            duration,
            init_duration,
        })
    }

    fn claim_slot(&self, spec: &FunctionSpec) -> Result<InFlight, RuntimeError> {
        let key = (spec.account.clone(), spec.region.clone(), spec.name.clone());
        let mut m = self.in_flight.lock();
        let n = m.entry(key.clone()).or_insert(0);
        if spec.reserved_concurrency.is_some_and(|limit| *n >= limit) {
            return Err(RuntimeError::Throttled {
                function: spec.name.clone(),
            });
        }
        *n += 1;
        Ok(InFlight {
            map: self.in_flight.clone(),
            key,
        })
    }

    /// End the environments of a function (all versions when `version` is None): their code or
    /// configuration changed, or the function is gone. Busy ones end when their call returns.
    pub fn retire(&self, account: &str, region: &str, function: &str, version: Option<&str>) {
        let mut pools = self.pools.lock();
        for (k, pool) in pools.iter_mut() {
            if k.account == account
                && k.region == region
                && k.function == function
                && version.is_none_or(|v| k.version == v)
            {
                pool.epoch = self.epoch.fetch_add(1, Ordering::Relaxed);
                pool.idle.clear();
            }
        }
    }

    /// End every environment (reset, shutdown).
    pub fn shutdown_all(&self) {
        let mut pools = self.pools.lock();
        for pool in pools.values_mut() {
            pool.epoch = self.epoch.fetch_add(1, Ordering::Relaxed);
            pool.idle.clear();
        }
    }

    /// How many idle (warm) environments exist: for tests and diagnostics.
    pub fn idle_count(&self) -> usize {
        self.pools.lock().values().map(|p| p.idle.len()).sum()
    }
}

fn log_stream_name(version: &str) -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "{:04}/{:02}/{:02}/[{version}]{}",
        now.year(),
        now.month() as u8,
        now.day(),
        uuid::Uuid::new_v4().simple()
    )
}
