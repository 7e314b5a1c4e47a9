//! One execution environment: a runtime process, its Runtime API endpoint and its log capture.
//! Environments serve one invocation at a time; the pool in `mod.rs` keeps warm ones.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use parking_lot::Mutex;
use tokio::io::AsyncReadExt;
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;

use super::api::{NextInvocation, RuntimeApi, RuntimeEvent};
use super::sandbox::Binds;
use crate::services::lambda::credentials::Session;

/// Everything needed to start a process for one function version.
#[derive(Debug)]
pub struct LaunchSpec {
    pub program: PathBuf,
    pub args: Vec<String>,
    /// The working directory on the host (the sandbox enters AWS's own).
    pub task_root: PathBuf,
    pub env: BTreeMap<String, String>,
    /// The variable that carries this environment's Runtime API address.
    pub runtime_api_var: &'static str,
    /// AWS's filesystem layout, where the machine allows it.
    pub sandbox: Option<Binds>,
    /// The role session in `env`; it lives as long as the environment.
    pub session: Option<Session>,
}

const INIT_TIMEOUT: Duration = Duration::from_secs(10);

/// How one invocation ended.
#[derive(Debug)]
pub enum Outcome {
    Success(Bytes),
    /// The handler failed; the body is the runtime's error JSON.
    HandlerError(Bytes),
    /// Init failed (import error...); the body is the runtime's error JSON.
    InitError(Bytes),
    Timeout,
    /// The process ended; the text describes how (`exit status 1`, `signal: killed`).
    Exited(Option<String>),
}

pub struct Environment {
    pub epoch: u64,
    child: Child,
    api: RuntimeApi,
    logs: Arc<Mutex<Vec<u8>>>,
    readers: Vec<JoinHandle<()>>,
    /// Set until the first invocation completes: that one reports an Init Duration.
    pub init_started: Option<Instant>,
    /// False once the environment must not be reused (timeout, crash).
    pub reusable: bool,
    /// Registered while the environment lives.
    _session: Option<Session>,
}

impl Drop for Environment {
    fn drop(&mut self) {
        // kill_on_drop reaps the child too; killing here makes the intent explicit and immediate.
        let _ = self.child.start_kill();
        for r in &self.readers {
            r.abort();
        }
    }
}

fn capture(
    stream: Option<impl tokio::io::AsyncRead + Unpin + Send + 'static>,
    logs: Arc<Mutex<Vec<u8>>>,
) -> Option<JoinHandle<()>> {
    let mut stream = stream?;
    Some(tokio::spawn(async move {
        let mut buf = [0u8; 8192];
        while let Ok(n) = stream.read(&mut buf).await {
            if n == 0 {
                break;
            }
            let mut l = logs.lock();
            l.extend_from_slice(&buf[..n]);
            // Keep memory bounded: only the tail is ever reported.
            if l.len() > 1 << 20 {
                let cut = l.len() - (1 << 19);
                l.drain(..cut);
            }
        }
    }))
}

impl Environment {
    pub async fn start(spec: LaunchSpec, epoch: u64) -> std::io::Result<Environment> {
        let api = RuntimeApi::start().await?;
        let mut cmd = Command::new(&spec.program);
        cmd.args(&spec.args)
            .current_dir(&spec.task_root)
            .env_clear()
            .envs(&spec.env)
            .env(spec.runtime_api_var, api.addr.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        #[cfg(target_os = "linux")]
        if let Some(binds) = &spec.sandbox {
            let plan = super::sandbox::Plan::new(binds)?;
            // SAFETY: `enter` only makes system calls on memory prepared before the fork.
            unsafe {
                cmd.pre_exec(move || plan.enter());
            }
        }
        let init_started = Instant::now();
        let mut child = cmd.spawn()?;
        let logs = Arc::new(Mutex::new(Vec::new()));
        let readers = [
            capture(child.stdout.take(), logs.clone()),
            capture(child.stderr.take(), logs.clone()),
        ]
        .into_iter()
        .flatten()
        .collect();
        Ok(Environment {
            epoch,
            child,
            api,
            logs,
            readers,
            init_started: Some(init_started),
            reusable: true,
            _session: spec.session,
        })
    }

    pub fn log_len(&self) -> usize {
        self.logs.lock().len()
    }

    /// The log bytes written since `from` (a `log_len()` taken earlier).
    pub fn logs_since(&self, from: usize) -> Vec<u8> {
        let l = self.logs.lock();
        l.get(from.min(l.len())..).unwrap_or(&[]).to_vec()
    }

    /// Hand one invocation to the runtime and wait for its outcome, the timeout, or the
    /// process' end, whichever comes first.
    pub async fn invoke(&mut self, inv: NextInvocation, timeout: Duration) -> Outcome {
        let id = inv.request_id.clone();
        // Until the runtime asks for the invocation it is still initialising: AWS allows 10 s.
        let mut deadline = tokio::time::Instant::now() + INIT_TIMEOUT + timeout;
        // The channel holds one invocation; the runtime picks it up via /next.
        if self.api.invocations.send(inv).await.is_err() {
            self.reusable = false;
            return Outcome::Exited(None);
        }
        loop {
            tokio::select! {
                ev = self.api.events.recv() => match ev {
                    Some(RuntimeEvent::Started { request_id }) if request_id == id => {
                        deadline = tokio::time::Instant::now() + timeout;
                    }
                    Some(RuntimeEvent::Response { request_id, body }) if request_id == id => {
                        return Outcome::Success(body);
                    }
                    Some(RuntimeEvent::Error { request_id, body }) if request_id == id => {
                        return Outcome::HandlerError(body);
                    }
                    Some(RuntimeEvent::InitError { body }) => {
                        self.reusable = false;
                        return Outcome::InitError(body);
                    }
                    // A late answer for an earlier request: ignore it.
                    Some(_) => continue,
                    None => {
                        self.reusable = false;
                        return Outcome::Exited(None);
                    }
                },
                status = self.child.wait() => {
                    self.reusable = false;
                    let how = status.ok().map(|s| describe_exit(&s));
                    return Outcome::Exited(how.flatten());
                }
                _ = tokio::time::sleep_until(deadline) => {
                    self.reusable = false;
                    let _ = self.child.start_kill();
                    return Outcome::Timeout;
                }
            }
        }
    }
}

/// AWS's wording: `exit status N` or `signal: killed`; `None` for a clean exit.
fn describe_exit(status: &std::process::ExitStatus) -> Option<String> {
    if let Some(code) = status.code() {
        return (code != 0).then(|| format!("exit status {code}"));
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            let name = match sig {
                9 => "killed".to_string(),
                11 => "segmentation fault".to_string(),
                15 => "terminated".to_string(),
                6 => "aborted".to_string(),
                n => format!("signal {n}"),
            };
            return Some(format!("signal: {name}"));
        }
    }
    None
}
