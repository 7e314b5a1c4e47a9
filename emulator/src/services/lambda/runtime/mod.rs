//! Running functions: execution environments (local runtime processes), kept warm in pools per
//! function version, started on demand for concurrent invocations, and ended when the function
//! changes, is deleted, or the emulator stops.

mod api;
mod environment;
mod executables;
mod sandbox;

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
use super::credentials::Issuer;
use super::state::CodeBundle;

const PYTHON_BOOTSTRAP: &str = include_str!("../../../../runtimes/python/bootstrap.py");
const NODE_BOOTSTRAP: &str = include_str!("../../../../runtimes/node/bootstrap.js");
/// Where Linux distributions keep the system CA bundle.
const HOST_CA_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
];

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
    /// The execution role: the environment gets a session of it.
    pub role: String,
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
    /// Issues each environment's role session; without it the environment gets no keys.
    credentials: Option<Issuer>,
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
            credentials: None,
        }
    }

    /// Give every environment a session of its function's role, as AWS does.
    pub fn with_credentials(mut self, issuer: Issuer) -> Self {
        self.credentials = Some(issuer);
        self
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
            // nodejs18.x trusts the CAs in /var/runtime/ca-cert.pem besides its own: here the
            // host's bundle, where there is one.
            if let Some(bundle) = HOST_CA_BUNDLES
                .iter()
                .find_map(|p| std::fs::read_to_string(p).ok())
            {
                write("runtime/node/ca-cert.pem", &bundle)?;
            }
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
        let io = |e: String| RuntimeError::Io {
            function: spec.name.clone(),
            source: std::io::Error::other(e),
        };
        let (host_task, host_opt) = self.code_dir(spec)?;
        let workspace = self.workspace().map_err(io)?.to_path_buf();
        let lang = if spec.runtime.starts_with("python") {
            "python"
        } else if spec.runtime.starts_with("nodejs") {
            "node"
        } else {
            "provided"
        };
        let host_runtime = workspace.join("runtime").join(lang);
        std::fs::create_dir_all(&host_runtime).map_err(|e| io(e.to_string()))?;
        // AWS's paths where this machine lets us build them, else the host directories.
        let sandboxed = sandbox::available(&workspace.join("sandbox-probe"));
        let (task_root, runtime_dir, opt) = if sandboxed {
            (
                PathBuf::from(sandbox::TASK_ROOT),
                PathBuf::from(sandbox::RUNTIME_DIR),
                PathBuf::from(sandbox::OPT_DIR),
            )
        } else {
            (host_task.clone(), host_runtime.clone(), host_opt.clone())
        };
        let show = |p: &Path| p.display().to_string();
        let session = self
            .credentials
            .as_ref()
            .map(|issuer| issuer.issue(&spec.account, &spec.role, &spec.name));
        let mut env = BTreeMap::new();
        let mut set = |k: &str, v: String| {
            env.insert(k.to_string(), v);
        };
        // The variables AWS sets (see the runtime introspection recordings).
        if let Some(s) = &session {
            set("AWS_ACCESS_KEY_ID", s.access_key_id.clone());
            set("AWS_SECRET_ACCESS_KEY", s.secret_access_key.clone());
            set("AWS_SESSION_TOKEN", s.session_token.clone());
        }
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
        // Tracing is PassThrough and every trace header says Sampled=0, so no X-Ray SDK sends a
        // segment to the daemon address (there is no daemon here).
        set("AWS_XRAY_CONTEXT_MISSING", "LOG_ERROR".into());
        set("AWS_XRAY_DAEMON_ADDRESS", "169.254.100.1:2000".into());
        set("_AWS_XRAY_DAEMON_ADDRESS", "169.254.100.1".into());
        set("_AWS_XRAY_DAEMON_PORT", "2000".into());
        set("LAMBDA_TASK_ROOT", show(&task_root));
        set("LAMBDA_RUNTIME_DIR", show(&runtime_dir));
        set("_HANDLER", spec.handler.clone());
        set("LANG", "en_US.UTF-8".into());
        if python_minor(&spec.runtime).is_some_and(|m| m >= 12) {
            set("LC_CTYPE", "C.UTF-8".into());
        }
        set("TZ", ":UTC".into());
        set("SHLVL", "0".into());
        set("PWD", show(&task_root));
        let runtime_lib = format!(
            "{}:{}:{}:{}:{}",
            show(&runtime_dir),
            show(&runtime_dir.join("lib")),
            show(&task_root),
            show(&task_root.join("lib")),
            show(&opt.join("lib"))
        );
        if sandboxed {
            // AWS's search paths; /var/lang (AWS's interpreter prefix) is not built here, the
            // host's interpreter runs from where it is installed. provided.al2 has no /var/lang.
            let (bin, lib) = if spec.runtime == "provided.al2" {
                ("", "")
            } else {
                ("/var/lang/bin:", "/var/lang/lib:")
            };
            set(
                "PATH",
                format!(
                    "{bin}/usr/local/bin:/usr/bin/:/bin:{}",
                    show(&opt.join("bin"))
                ),
            );
            set(
                "LD_LIBRARY_PATH",
                format!("{lib}/lib64:/usr/lib64:{runtime_lib}"),
            );
        } else {
            let host_path = std::env::var("PATH").unwrap_or_default();
            set("PATH", format!("{host_path}:{}", show(&opt.join("bin"))));
            set("LD_LIBRARY_PATH", runtime_lib);
            // The bootstrap finds the layers here, and drops the variable before the handler
            // loads.
            set("_PARITYTEST_OPT_DIR", show(&opt));
        }
        let mut lang_prefix = None;
        let (program, args) = if lang == "python" {
            set("PYTHONPATH", show(&runtime_dir));
            let exe = self.executables.python(&spec.runtime)?;
            // A self-contained interpreter is shown at /var/lang, where AWS installs python
            // (tracebacks name its stdlib there); a system one runs from where it is.
            lang_prefix = sandboxed
                .then(|| executables::python_prefix(&exe))
                .flatten();
            let exe = match (&lang_prefix, exe.file_name()) {
                (Some(_), Some(name)) => Path::new(sandbox::LANG_DIR).join("bin").join(name),
                _ => exe,
            };
            // -S: no site processing at start (see the bootstrap, which adds site-packages
            // itself); .pth files would cost more than the rest of a cold start.
            (
                exe,
                vec!["-S".to_string(), show(&runtime_dir.join("bootstrap.py"))],
            )
        } else if lang == "node" {
            let major = spec
                .runtime
                .trim_start_matches("nodejs")
                .trim_end_matches(".x")
                .to_string();
            set(
                "NODE_PATH",
                format!(
                    "{}:{}:{}:{}:{}",
                    show(&opt.join(format!("nodejs/node{major}/node_modules"))),
                    show(&opt.join("nodejs/node_modules")),
                    show(&runtime_dir.join("node_modules")),
                    show(&runtime_dir),
                    show(&task_root)
                ),
            );
            if major == "18" && host_runtime.join("ca-cert.pem").is_file() {
                set(
                    "NODE_EXTRA_CA_CERTS",
                    show(&runtime_dir.join("ca-cert.pem")),
                );
            }
            let exe = self.executables.node(&spec.runtime)?;
            (exe, vec![show(&runtime_dir.join("bootstrap.js"))])
        } else if spec.runtime.starts_with("provided") {
            // Custom runtimes bring their own `bootstrap`, in the code or a layer.
            let bootstrap = [
                (host_task.join("bootstrap"), task_root.join("bootstrap")),
                (host_opt.join("bootstrap"), opt.join("bootstrap")),
            ]
            .into_iter()
            .find(|(host, _)| host.exists())
            .map(|(_, seen)| seen)
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
        // A custom runtime's bootstrap reads the Runtime API address from the variable AWS
        // names. Ours get it privately and drop it before the handler loads; the handler sees
        // AWS's address, as on AWS, where it belongs to the runtime, not to the function.
        let runtime_api_var = if lang == "provided" {
            "AWS_LAMBDA_RUNTIME_API"
        } else {
            set("AWS_LAMBDA_RUNTIME_API", "169.254.100.1:9001".into());
            "_PARITYTEST_RUNTIME_API"
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
            task_root: host_task.clone(),
            env,
            runtime_api_var,
            sandbox: sandboxed.then(|| sandbox::Binds {
                task: host_task,
                runtime: host_runtime,
                opt: host_opt,
                lang: lang_prefix,
            }),
            session,
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
                Environment::start(launch, epoch)
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

/// `python3.12` → 12.
fn python_minor(runtime: &str) -> Option<u32> {
    runtime.strip_prefix("python3.")?.parse().ok()
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
