//! Running one scenario: steps in order with templated input, expectations, captures,
//! assertions and match points; cleanups in reverse order whatever happened; then the snapshot
//! is recorded or verified.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use paritytest_snapshot::TransformerSpec;
use serde_json::Value;
use tokio::sync::Notify;

use crate::dispatch::Outcome;
use crate::scenario::{
    Assertion, CallStep, Check, Expect, Scenario, Step, StepKind, Transformer, WaitCondition,
    WaitStep,
};
use crate::snapshots::{self, SnapshotOptions, SnapshotStatus};
use crate::target::Target;
use crate::template::{Context, Templates};
use crate::waiters::{self, AcceptorState};

/// Ctrl-C: set once, observed by every running scenario.
#[derive(Default)]
pub struct Cancel {
    flag: AtomicBool,
    notify: Notify,
}

impl Cancel {
    pub fn cancel(&self) {
        self.flag.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }
    pub fn is_cancelled(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }
    async fn cancelled(&self) {
        loop {
            let n = self.notify.notified();
            if self.is_cancelled() {
                return;
            }
            n.await;
        }
    }
}

/// What went wrong in a step.
#[derive(Debug, Clone, PartialEq)]
pub struct StepFailure {
    pub step: String,
    /// `file:line` of the step.
    pub location: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Passed,
    Failed,
    Skipped(String),
    /// Failed as its `known_gap` marker says it would (not a failure of the run).
    KnownGap(String),
}

/// One operation call a scenario made (steps, waits and cleanups alike), for parity metrics.
#[derive(Debug, Clone)]
pub struct CallRecord {
    pub service: String,
    pub operation: String,
    pub input: Value,
    pub status: u16,
    pub error_code: Option<String>,
}

/// How a scenario stands against its expected snapshot entry, for the parity summary.
#[derive(Debug, Clone, Default)]
pub struct ParityFacts {
    /// The expected entry exists and was validated against real AWS.
    pub expected_from_aws: bool,
    pub match_points: usize,
    pub match_points_failed: usize,
    pub skip_paths: usize,
}

#[derive(Debug, Clone)]
pub struct ScenarioResult {
    pub id: String,
    pub name: String,
    pub file: String,
    pub verdict: Verdict,
    pub failures: Vec<StepFailure>,
    /// Cleanup failures fail the scenario too: leaked resources are never hidden.
    pub cleanup_failures: Vec<StepFailure>,
    pub snapshot: SnapshotStatus,
    pub duration: Duration,
    /// Every call made, in order.
    pub calls: Vec<CallRecord>,
    pub parity: ParityFacts,
}

pub struct RunEnv<'a> {
    pub target: &'a Target,
    pub cancel: &'a Cancel,
    pub snapshots: SnapshotOptions,
    pub color: bool,
}

struct Run<'a> {
    env: &'a RunEnv<'a>,
    templates: Templates,
    ctx: Context,
    session: Option<paritytest_snapshot::Session>,
    /// Cleanup steps with the variables at registration.
    cleanups: Vec<(Step, Context)>,
    /// Running the cleanups: Ctrl-C no longer stops steps, and calls register nothing.
    in_cleanup: bool,
    /// Calls made so far (a Mutex because `send` borrows the run immutably while it awaits).
    calls: std::sync::Mutex<Vec<CallRecord>>,
}

fn fail(step: &Step, message: impl Into<String>) -> StepFailure {
    StepFailure {
        step: step.label.clone(),
        location: step.location(),
        message: message.into(),
    }
}

/// Runs one scenario to its verdict.
pub async fn run_scenario(sc: &Scenario, env: &RunEnv<'_>) -> ScenarioResult {
    let started = Instant::now();
    let mut result = ScenarioResult {
        id: sc.id.clone(),
        name: sc.name.clone(),
        file: sc.file.display().to_string(),
        verdict: Verdict::Passed,
        failures: Vec::new(),
        cleanup_failures: Vec::new(),
        snapshot: SnapshotStatus::None,
        duration: Duration::ZERO,
        calls: Vec::new(),
        parity: ParityFacts::default(),
    };
    if let Some(reason) = &sc.skip_reason {
        result.verdict = Verdict::Skipped(reason.clone());
        return result;
    }
    let scenario_step = Step {
        label: "scenario".into(),
        file: sc.file.clone(),
        pos: sc.pos,
        when: None,
        for_each: None,
        loop_var: String::new(),
        kind: StepKind::Set(Default::default()),
    };
    let mut run = Run {
        env,
        templates: Templates::new(),
        ctx: Context {
            vars: Default::default(),
            dir: sc.dir(),
        },
        session: None,
        cleanups: Vec::new(),
        in_cleanup: false,
        calls: Default::default(),
    };
    run.ctx.vars.insert(
        "account_id".into(),
        Value::String(env.target.account_id.clone()),
    );
    run.ctx
        .vars
        .insert("region".into(), Value::String(env.target.region.clone()));
    for (k, v) in &sc.matrix_vars {
        run.ctx.vars.insert(k.clone(), v.clone());
    }
    let setup = async {
        for (k, v) in &sc.vars {
            let value = run
                .templates
                .render(v, &run.ctx)
                .map_err(|e| fail(&scenario_step, format!("vars.{k}: {e}")))?;
            run.ctx.vars.insert(k.clone(), value);
        }
        if sc.has_match_points() {
            let options = paritytest_snapshot::SessionOptions {
                account_id: env.target.account_id.clone(),
                region: env.target.region.clone(),
                timestamps: sc.timestamps,
                redact_secrets: true,
            };
            let mut specs = Vec::new();
            for (i, t) in sc.transformers.iter().enumerate() {
                specs.push(run.transformer(i, t)?);
            }
            run.session = Some(
                paritytest_snapshot::Session::new(specs, options)
                    .map_err(|e| fail(&scenario_step, format!("snapshot transformers: {e}")))?,
            );
        }
        Ok::<(), StepFailure>(())
    }
    .await;
    let call_started = Instant::now();
    let body = match setup {
        Ok(()) => run.steps(&sc.steps).await,
        Err(e) => Err(e),
    };
    let call_time = call_started.elapsed();
    if let Err(f) = body {
        result.failures.push(f);
    }

    let teardown_started = Instant::now();
    result.cleanup_failures = run.cleanup().await;
    let teardown = teardown_started.elapsed();

    // Snapshots only after a clean run: a failed scenario never writes anything.
    if result.failures.is_empty() && result.cleanup_failures.is_empty() {
        if let Some(session) = run.session.take() {
            let durations = paritytest_snapshot::Durations {
                setup: 0.0,
                call: call_time.as_secs_f64(),
                teardown: teardown.as_secs_f64(),
                total: started.elapsed().as_secs_f64(),
            };
            match snapshots::finish(
                sc,
                session,
                env.target.spec.is_aws(),
                env.snapshots,
                durations,
                env.color,
                &mut result.parity,
            ) {
                Ok(status) => result.snapshot = status,
                Err(message) => {
                    result.failures.push(StepFailure {
                        step: "snapshot".into(),
                        location: format!("{}:{}", sc.file.display(), sc.pos.line),
                        message,
                    });
                }
            }
        }
    }
    let known_gap = sc.known_gap.as_ref().filter(|_| !env.target.spec.is_aws());
    if let (Some(reason), true) = (
        known_gap,
        result.failures.is_empty() && result.cleanup_failures.is_empty(),
    ) {
        result.failures.push(StepFailure {
            step: "known_gap".into(),
            location: format!("{}:{}", sc.file.display(), sc.pos.line),
            message: format!("passes now, but is marked known_gap ({reason}): remove the marker"),
        });
    }
    if !result.failures.is_empty() || !result.cleanup_failures.is_empty() {
        result.verdict = match known_gap {
            Some(reason) if result.failures.iter().all(|f| f.step != "known_gap") => {
                Verdict::KnownGap(reason.clone())
            }
            _ => Verdict::Failed,
        };
        if result.parity.match_points == 0 && sc.has_match_points() {
            result.parity = snapshots::facts_without_verify(sc);
        }
    }
    result.calls = std::mem::take(run.calls.get_mut().unwrap_or_else(|e| e.into_inner()));
    result.duration = started.elapsed();
    result
}

impl Run<'_> {
    /// A transformer's spec, its templates rendered with the scenario's variables.
    fn transformer(&self, i: usize, t: &Transformer) -> Result<TransformerSpec, StepFailure> {
        let Some(template) = &t.template else {
            return Ok(t.spec.clone());
        };
        let failure = |message: String| StepFailure {
            step: format!("transformers[{i}]"),
            location: t.location.clone(),
            message,
        };
        let rendered = self
            .templates
            .render(template, &self.ctx)
            .map_err(|e| failure(e.to_string()))?;
        serde_json::from_value(rendered.clone())
            .map_err(|e| failure(format!("after templating, {rendered}: {e}")))
    }

    async fn steps(&mut self, steps: &[Step]) -> Result<(), StepFailure> {
        for step in steps {
            Box::pin(self.step(step)).await?;
        }
        Ok(())
    }

    async fn step(&mut self, step: &Step) -> Result<(), StepFailure> {
        if self.env.cancel.is_cancelled() && !self.in_cleanup {
            return Err(fail(step, "interrupted (Ctrl-C)"));
        }
        if let Some(w) = &step.when {
            let v = self
                .templates
                .eval(w, &self.ctx)
                .map_err(|e| fail(step, format!("when: {e}")))?;
            if !truthy(&v) {
                return Ok(());
            }
        }
        let Some(items) = &step.for_each else {
            return self.kind(step).await;
        };
        let list = match items {
            Value::String(expr) => {
                let e = expr.trim().trim_start_matches("{{").trim_end_matches("}}");
                self.templates.eval(e, &self.ctx)
            }
            other => self.templates.render(other, &self.ctx),
        }
        .map_err(|e| fail(step, format!("for_each: {e}")))?;
        let Value::Array(list) = list else {
            return Err(fail(step, format!("for_each gave {list}, not a list")));
        };
        let saved = self.ctx.vars.get(&step.loop_var).cloned();
        for item in list {
            self.ctx.vars.insert(step.loop_var.clone(), item);
            self.kind(step).await?;
        }
        match saved {
            Some(v) => self.ctx.vars.insert(step.loop_var.clone(), v),
            None => self.ctx.vars.shift_remove(&step.loop_var),
        };
        Ok(())
    }

    async fn kind(&mut self, step: &Step) -> Result<(), StepFailure> {
        match &step.kind {
            StepKind::Call(c) if self.in_cleanup => self.cleanup_call(step, c).await,
            StepKind::Call(c) => self.call(step, c).await,
            StepKind::Wait(w) => self.wait(step, w).await,
            StepKind::Include { params, steps, .. } => {
                let mut rendered = Vec::new();
                for (k, v) in params {
                    let value = self
                        .templates
                        .render(v, &self.ctx)
                        .map_err(|e| fail(step, format!("with.{k}: {e}")))?;
                    rendered.push((k.clone(), value));
                }
                // Parameters are the group's own: afterwards each name has its value from before
                // the include again (or none). What the group captures or sets is its output
                // and stays visible.
                let mut saved = Vec::new();
                for (k, v) in rendered {
                    saved.push((k.clone(), self.ctx.vars.insert(k, v)));
                }
                let result = self.steps(steps).await;
                for (k, before) in saved.into_iter().rev() {
                    match before {
                        Some(v) => self.ctx.vars.insert(k, v),
                        None => self.ctx.vars.shift_remove(&k),
                    };
                }
                result
            }
            StepKind::Match { key, value } => {
                let key = self.render_key(step, key)?;
                let value = self
                    .templates
                    .render(value, &self.ctx)
                    .map_err(|e| fail(step, format!("value: {e}")))?;
                self.match_value(step, &key, value, &[])
            }
            StepKind::Assert(list) => {
                for a in list {
                    let value = match &a.value {
                        Some(v) => self
                            .templates
                            .render(v, &self.ctx)
                            .map_err(|e| fail(step, format!("assert value: {e}")))?,
                        None => Value::Null,
                    };
                    self.assert(step, a, &value)?;
                }
                Ok(())
            }
            StepKind::Set(vars) => {
                for (k, v) in vars {
                    let value = self
                        .templates
                        .render(v, &self.ctx)
                        .map_err(|e| fail(step, format!("set.{k}: {e}")))?;
                    self.ctx.vars.insert(k.clone(), value);
                }
                Ok(())
            }
        }
    }

    fn render_key(&self, step: &Step, key: &str) -> Result<String, StepFailure> {
        match self.templates.render_str(key, &self.ctx) {
            Ok(Value::String(s)) => Ok(s),
            Ok(other) => Ok(other.to_string()),
            Err(e) => Err(fail(step, format!("match key: {e}"))),
        }
    }

    fn match_value(
        &mut self,
        step: &Step,
        key: &str,
        value: Value,
        datetimes: &[String],
    ) -> Result<(), StepFailure> {
        let session = self
            .session
            .as_mut()
            .ok_or_else(|| fail(step, "internal: no snapshot session for a match point"))?;
        session
            .match_value(key, value, datetimes)
            .map_err(|e| fail(step, format!("match {key}: {e}")))
    }

    /// Sends one call, or gives up when Ctrl-C arrives.
    async fn send(
        &self,
        step: &Step,
        service: &str,
        operation: &str,
        input: &Value,
    ) -> Result<Outcome, StepFailure> {
        let call = crate::dispatch::call(&self.env.target.clients, service, operation, input);
        let outcome = tokio::select! {
            r = call => r.map_err(|e| fail(step, e.to_string())),
            _ = self.env.cancel.cancelled() => Err(fail(step, "interrupted (Ctrl-C)")),
        }?;
        self.record_call(service, operation, input, &outcome);
        Ok(outcome)
    }

    fn record_call(&self, service: &str, operation: &str, input: &Value, outcome: &Outcome) {
        let record = CallRecord {
            service: service.to_string(),
            operation: operation.to_string(),
            input: input.clone(),
            status: outcome.status,
            error_code: outcome.error_code.clone(),
        };
        self.calls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(record);
    }

    async fn call(&mut self, step: &Step, c: &CallStep) -> Result<(), StepFailure> {
        let input = self
            .templates
            .render(&c.input, &self.ctx)
            .map_err(|e| fail(step, format!("input: {e}")))?;
        let outcome = self.send(step, &c.service, &c.operation, &input).await?;
        check_expect(&c.expect, &outcome).map_err(|m| fail(step, m))?;
        self.capture(step, &c.capture, &outcome.body)?;
        // Register cleanups as soon as the resource exists, before anything else can fail.
        for cleanup in &c.cleanup {
            self.cleanups.push((cleanup.clone(), self.ctx.clone()));
        }
        for a in &c.assertions {
            self.assert(step, a, &outcome.body)?;
        }
        if let Some(key) = &c.match_key {
            let key = self.render_key(step, key)?;
            self.match_value(step, &key, outcome.body.clone(), &outcome.datetimes)?;
        }
        Ok(())
    }

    fn capture(
        &mut self,
        step: &Step,
        capture: &[(String, String)],
        body: &Value,
    ) -> Result<(), StepFailure> {
        for (name, path) in capture {
            let found =
                query(body, path).map_err(|e| fail(step, format!("capture {name}: {e}")))?;
            let value = match found.len() {
                0 => {
                    return Err(fail(
                        step,
                        format!(
                            "capture {name}: {path} selected nothing in {}",
                            preview(body)
                        ),
                    ))
                }
                1 => found.into_iter().next().expect("one"),
                _ => Value::Array(found),
            };
            self.ctx.vars.insert(name.clone(), value);
        }
        Ok(())
    }

    fn assert(&self, step: &Step, a: &Assertion, value: &Value) -> Result<(), StepFailure> {
        let mut step_at = fail(step, "");
        step_at.location = format!("{}:{}", step.file.display(), a.pos.line);
        let found = query(value, &a.path).map_err(|e| StepFailure {
            message: e,
            ..step_at.clone()
        })?;
        let actual = match found.len() {
            0 => None,
            1 => found.first().cloned(),
            _ => Some(Value::Array(found.clone())),
        };
        let render = |v: &Value| {
            self.templates
                .render(v, &self.ctx)
                .map_err(|e| StepFailure {
                    message: format!("assert: {e}"),
                    ..step_at.clone()
                })
        };
        let problem = match (&a.check, &actual) {
            (Check::Exists(want), _) => (actual.is_some() != *want).then(|| {
                if *want {
                    format!("{} selected nothing", a.path)
                } else {
                    format!(
                        "{} exists: {}",
                        a.path,
                        preview(actual.as_ref().unwrap_or(&Value::Null))
                    )
                }
            }),
            (_, None) => Some(format!("{} selected nothing in {}", a.path, preview(value))),
            (Check::Equals(e), Some(act)) => {
                let e = render(e)?;
                (e != *act).then(|| format!("{}: expected {e}, got {act}", a.path))
            }
            (Check::NotEquals(e), Some(act)) => {
                let e = render(e)?;
                (e == *act).then(|| format!("{}: expected anything but {e}", a.path))
            }
            (Check::Matches(re), Some(act)) => {
                let pattern = match render(&Value::String(re.clone()))? {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                let re = regex::Regex::new(&pattern).map_err(|e| StepFailure {
                    message: format!("bad regular expression: {e}"),
                    ..step_at.clone()
                })?;
                match act.as_str() {
                    Some(s) if re.is_match(s) => None,
                    _ => Some(format!("{}: {act} does not match /{re}/", a.path)),
                }
            }
            (Check::Contains(item), Some(act)) => {
                let item = render(item)?;
                let ok = match (act, &item) {
                    (Value::Array(list), _) => list.contains(&item),
                    (Value::String(s), Value::String(sub)) => s.contains(sub.as_str()),
                    _ => false,
                };
                (!ok).then(|| format!("{}: {act} does not contain {item}", a.path))
            }
            (Check::Length(n), Some(act)) => {
                let len = match act {
                    Value::Array(l) => Some(l.len()),
                    Value::String(s) => Some(s.chars().count()),
                    Value::Object(m) => Some(m.len()),
                    _ => None,
                };
                (len != Some(*n)).then(|| format!("{}: expected length {n}, got {act}", a.path))
            }
        };
        match problem {
            None => Ok(()),
            Some(message) => Err(StepFailure { message, ..step_at }),
        }
    }

    async fn wait(&mut self, step: &Step, w: &WaitStep) -> Result<(), StepFailure> {
        let input = self
            .templates
            .render(&w.input, &self.ctx)
            .map_err(|e| fail(step, format!("input: {e}")))?;
        let deadline = Instant::now() + w.timeout;
        let mut interval = w.interval;
        let mut polls = 0u32;
        loop {
            polls += 1;
            let outcome = self.send(step, &w.service, &w.operation, &input).await?;
            let done = match &w.condition {
                WaitCondition::Until(a) => {
                    outcome.error_code.is_none() && self.assert(step, a, &outcome.body).is_ok()
                }
                WaitCondition::Waiter(name, waiter) => {
                    match waiters::evaluate(
                        waiter,
                        outcome.status,
                        outcome.error_code.as_deref(),
                        &outcome.body,
                    ) {
                        Some(AcceptorState::Success) => true,
                        Some(AcceptorState::Failure) => {
                            return Err(fail(
                                step,
                                format!(
                                    "waiter {name} reached a failure state: {}",
                                    preview(&outcome.body)
                                ),
                            ))
                        }
                        Some(AcceptorState::Retry) | None => {
                            if outcome.error_code.is_some()
                                && !waiter
                                    .acceptors
                                    .iter()
                                    .any(|a| a.matcher == "error" || a.matcher == "status")
                            {
                                return Err(fail(
                                    step,
                                    format!("waiter {name}: {}", describe_error(&outcome)),
                                ));
                            }
                            false
                        }
                    }
                }
            };
            if done {
                self.capture(step, &w.capture, &outcome.body)?;
                if let Some(key) = &w.match_key {
                    let key = self.render_key(step, key)?;
                    self.match_value(step, &key, outcome.body.clone(), &outcome.datetimes)?;
                }
                return Ok(());
            }
            if Instant::now() + interval > deadline {
                return Err(fail(
                    step,
                    format!(
                        "condition not met after {polls} polls ({:?}); last response: {}",
                        w.timeout,
                        preview(&outcome.body)
                    ),
                ));
            }
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = self.env.cancel.cancelled() => return Err(fail(step, "interrupted (Ctrl-C)")),
            }
            interval = interval.mul_f64(w.backoff);
        }
    }

    /// Runs the registered cleanups, last first, through the ordinary step path (so `when:` and
    /// `for_each:` hold); every failure is reported. Ctrl-C does not stop them: they are the
    /// part that must still happen.
    async fn cleanup(&mut self) -> Vec<StepFailure> {
        let mut failures = Vec::new();
        self.in_cleanup = true;
        while let Some((step, ctx)) = self.cleanups.pop() {
            self.ctx = ctx;
            if let Err(f) = self.step(&step).await {
                failures.push(f);
            }
        }
        self.in_cleanup = false;
        failures
    }

    async fn cleanup_call(&mut self, step: &Step, c: &CallStep) -> Result<(), StepFailure> {
        let input = self
            .templates
            .render(&c.input, &self.ctx)
            .map_err(|e| fail(step, format!("input: {e}")))?;
        let outcome =
            crate::dispatch::call(&self.env.target.clients, &c.service, &c.operation, &input)
                .await
                .map_err(|e| fail(step, e.to_string()))?;
        self.record_call(&c.service, &c.operation, &input, &outcome);
        check_expect(&c.expect, &outcome).map_err(|m| fail(step, m))
    }
}

fn describe_error(o: &Outcome) -> String {
    let msg = o
        .body
        .pointer("/Error/Message")
        .and_then(Value::as_str)
        .unwrap_or("");
    format!(
        "{} (HTTP {}): {msg}",
        o.error_code.as_deref().unwrap_or("?"),
        o.status
    )
}

fn check_expect(expect: &Expect, o: &Outcome) -> Result<(), String> {
    match expect {
        Expect::Any => Ok(()),
        Expect::Success => match &o.error_code {
            None => Ok(()),
            Some(_) => Err(format!("expected success, got {}", describe_error(o))),
        },
        Expect::Status(s) => match &o.error_code {
            Some(_) => Err(format!(
                "expected success with HTTP {s}, got {}",
                describe_error(o)
            )),
            None if o.status != *s => Err(format!("expected HTTP {s}, got {}", o.status)),
            None => Ok(()),
        },
        Expect::Error { code, status } => {
            let Some(actual) = &o.error_code else {
                return Err(format!(
                    "expected error {}, but the call succeeded: {}",
                    code.as_deref().unwrap_or("(any)"),
                    preview(&o.body)
                ));
            };
            if let Some(c) = code {
                if c != actual {
                    return Err(format!("expected error {c}, got {}", describe_error(o)));
                }
            }
            if let Some(s) = status {
                if *s != o.status {
                    return Err(format!("expected HTTP {s}, got {}", describe_error(o)));
                }
            }
            Ok(())
        }
    }
}

/// Values selected by a JSONPath.
pub fn query(value: &Value, path: &str) -> Result<Vec<Value>, String> {
    use jsonpath_rust::JsonPath;
    value
        .query(path)
        .map(|v| v.into_iter().cloned().collect())
        .map_err(|e| format!("bad JSONPath {path:?}: {e}"))
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(m) => !m.is_empty(),
    }
}

/// A response shortened for a failure message.
fn preview(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 400 {
        format!("{}…", s.chars().take(400).collect::<String>())
    } else {
        s
    }
}
