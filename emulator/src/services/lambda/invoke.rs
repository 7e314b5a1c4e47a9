//! Invoke and InvokeAsync: resolve the version (aliases route by weight), check limits, run the
//! code through `runtime`, and shape the answer as AWS does (FunctionError, LogResult tail,
//! ExecutedVersion, timeouts and crashes as error payloads).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use base64::Engine;
use bytes::Bytes;
use rand::Rng;
use serde_json::{json, Value};

use super::input::Input;
use super::runtime::{FunctionSpec, Invocation, InvokeResult, Outcome};
use super::state::Function;
use super::{errors, function_ref, qualified_arn, unqualified_arn, Lambda};
use crate::service::{AwsError, HandlerResult, RequestContext};

const MAX_SYNC_PAYLOAD: usize = 6_291_456;
const MAX_ASYNC_PAYLOAD: usize = 262_144;
/// Responses may be 100 bytes over the request limit: a 6 MiB string comes back with its JSON
/// quotes (the large-response recording), and AWS's error names this number.
const MAX_SYNC_RESPONSE: usize = 6_291_556;
/// AWS reports the last 4 KB of the log in LogResult.
const TAIL_BYTES: usize = 4096;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Pick the version an alias routes this call to (weighted), or the version named.
fn executed_version(f: &Function, qualifier: Option<&str>) -> Option<String> {
    match qualifier {
        None | Some("$LATEST") => Some("$LATEST".into()),
        Some(q) if q.parse::<u64>().is_ok() => f.version(Some(q)).map(|_| q.to_string()),
        Some(alias) => {
            let a = f.aliases.get(alias)?;
            if let Some(weights) = a
                .routing
                .as_ref()
                .and_then(|r| r.get("AdditionalVersionWeights"))
                .and_then(Value::as_object)
            {
                let roll: f64 = rand::rng().random();
                let mut acc = 0.0;
                for (v, w) in weights {
                    acc += w.as_f64().unwrap_or(0.0);
                    if roll < acc {
                        return Some(v.clone());
                    }
                }
            }
            Some(a.function_version.clone())
        }
    }
}

/// Everything Invoke needs from the store, taken under the lock.
fn prepare(
    lambda: &Lambda,
    ctx: &RequestContext,
    input: &Input,
) -> Result<(FunctionSpec, String), AwsError> {
    let fref = function_ref(ctx, input)?;
    lambda.with_state(ctx, |st| {
        let missing = || {
            errors::function_not_found(&qualified_arn(
                ctx,
                &fref.name,
                fref.qualifier.as_deref().unwrap_or("$LATEST"),
            ))
        };
        let f = st.functions.get_mut(&fref.name).ok_or_else(missing)?;
        f.settle(Instant::now());
        let version = executed_version(f, fref.qualifier.as_deref()).ok_or_else(missing)?;
        let v = f.version(Some(&version)).ok_or_else(missing)?;
        if v.is_pending() {
            return Err(errors::conflict(
                "The operation cannot be performed at this time. The function is currently in the following state: Pending",
            ));
        }
        if f.reserved_concurrency == Some(0) {
            return Err(errors::too_many_requests(
                "Rate Exceeded.",
                "ReservedFunctionConcurrentInvocationLimitExceeded",
            ));
        }
        let variables: BTreeMap<String, String> = v
            .config
            .get("Environment")
            .and_then(|e| e.get("Variables"))
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect()
            })
            .unwrap_or_default();
        let layers = v
            .config
            .get("Layers")
            .and_then(Value::as_array)
            .map(|ls| {
                ls.iter()
                    .filter_map(|l| l.get("Arn").and_then(Value::as_str))
                    .filter_map(|arn| st.layer_code.get(arn).cloned())
                    .collect()
            })
            .unwrap_or_default();
        let spec = FunctionSpec {
            account: ctx.account_id().to_string(),
            region: ctx.region.clone(),
            name: f.name.clone(),
            version: version.clone(),
            runtime: v.str("Runtime").unwrap_or_default().to_string(),
            handler: v.str("Handler").unwrap_or_default().to_string(),
            role: v.str("Role").unwrap_or_default().to_string(),
            memory_mb: v.int("MemorySize").unwrap_or(128),
            timeout: Duration::from_secs(v.int("Timeout").unwrap_or(3).max(1) as u64),
            variables,
            code: v.code.clone(),
            layers,
            log_group: v
                .config
                .get("LoggingConfig")
                .and_then(|l| l.get("LogGroup"))
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| format!("/aws/lambda/{}", f.name)),
            reserved_concurrency: f.reserved_concurrency,
            // Provisioned environments serve the version, however it is invoked: through the
            // alias that holds the config or by its number.
            provisioned: f.provisioned.iter().any(|(q, p)| {
                let target = f.aliases.get(q).map_or(q.as_str(), |a| &a.function_version);
                target == version && p.ready_at <= Instant::now()
            }),
        };
        let invoked_arn = match &fref.qualifier {
            Some(q) => qualified_arn(ctx, &f.name, q),
            None => unqualified_arn(ctx, &f.name),
        };
        Ok((spec, invoked_arn))
    })
}

fn decode_payload(input: &Input, field: &str) -> Result<Bytes, AwsError> {
    let raw = match input.str(field) {
        Some(b64) => B64
            .decode(b64)
            .map_err(|_| errors::invalid_parameter("Payload is not valid base64"))?,
        None => Vec::new(),
    };
    if !raw.is_empty() {
        if let Err(e) = serde_json::from_slice::<Value>(&raw) {
            let reason = if std::str::from_utf8(&raw).is_err() {
                "Invalid UTF-8".to_string()
            } else {
                e.to_string()
            };
            return Err(AwsError::new(
                "InvalidRequestContentException",
                format!("Could not parse request body into json: Could not parse payload into json: {reason}"),
                400,
            )
            .with_field("Type", "User"));
        }
    }
    Ok(Bytes::from(raw))
}

fn too_large(limit: usize) -> AwsError {
    errors::too_large(format!(
        "Request must be smaller than {limit} bytes for the InvokeFunction operation"
    ))
}

/// The error payload of a failed run, shaped as AWS's runtime reports it.
fn failure_payload(outcome: &Outcome, request_id: &str, timeout: Duration) -> Option<Bytes> {
    let v = match outcome {
        Outcome::Success(_) | Outcome::HandlerError(_) | Outcome::InitError(_) => return None,
        Outcome::Timeout => json!({
            "errorType": "Sandbox.Timedout",
            "errorMessage": format!(
                "RequestId: {request_id} Error: Task timed out after {:.2} seconds",
                timeout.as_secs_f64()
            ),
        }),
        Outcome::Exited(None) => json!({
            "errorType": "Runtime.ExitError",
            "errorMessage": format!("RequestId: {request_id} Error: Runtime exited without providing a reason"),
        }),
        Outcome::Exited(Some(how)) => json!({
            "errorType": "Runtime.ExitError",
            "errorMessage": format!("RequestId: {request_id} Error: Runtime exited with error: {how}"),
        }),
    };
    Some(Bytes::from(v.to_string()))
}

/// START/END/REPORT around the function's output; LogResult is the base64 of its last 4 KB.
fn log_tail(spec: &FunctionSpec, request_id: &str, result: &InvokeResult) -> String {
    let ms = result.duration.as_secs_f64() * 1000.0;
    let mut log = format!("START RequestId: {request_id} Version: {}\n", spec.version);
    log.push_str(&String::from_utf8_lossy(&result.output));
    if !log.ends_with('\n') {
        log.push('\n');
    }
    log.push_str(&format!("END RequestId: {request_id}\n"));
    log.push_str(&format!(
        "REPORT RequestId: {request_id}\tDuration: {ms:.2} ms\tBilled Duration: {} ms\tMemory Size: {} MB\tMax Memory Used: {} MB\t",
        ms.ceil() as u64,
        spec.memory_mb,
        spec.memory_mb.min(40)
    ));
    if let Some(init) = result.init_duration {
        log.push_str(&format!(
            "Init Duration: {:.2} ms\t",
            init.as_secs_f64() * 1000.0
        ));
    }
    if matches!(result.outcome, Outcome::Timeout) {
        log.push_str("Status: timeout\t");
    }
    log.push('\n');
    let bytes = log.as_bytes();
    let mut start = bytes.len().saturating_sub(TAIL_BYTES);
    // Never cut a UTF-8 sequence in half.
    while start < bytes.len() && (bytes[start] & 0xC0) == 0x80 {
        start += 1;
    }
    B64.encode(&bytes[start..])
}

pub async fn invoke(lambda: &Lambda, ctx: &RequestContext, input: &Input<'_>) -> HandlerResult {
    let invocation_type = input.str("InvocationType").unwrap_or("RequestResponse");
    if !matches!(invocation_type, "RequestResponse" | "Event" | "DryRun") {
        return Err(errors::validation(format!(
            "1 validation error detected: Value '{invocation_type}' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]"
        )));
    }
    let payload = decode_payload(input, "Payload")?;
    let limit = if invocation_type == "Event" {
        MAX_ASYNC_PAYLOAD
    } else {
        MAX_SYNC_PAYLOAD
    };
    if payload.len() > limit {
        return Err(too_large(limit));
    }
    let (spec, invoked_arn) = prepare(lambda, ctx, input)?;
    match invocation_type {
        "DryRun" => return Ok(json!({"StatusCode": 204})),
        "Event" => {
            run_in_background(lambda, spec, invoked_arn, payload);
            return Ok(json!({"StatusCode": 202}));
        }
        _ => {}
    }
    let request_id = uuid::Uuid::new_v4().to_string();
    let want_logs = input.str("LogType") == Some("Tail");
    let client_context = input
        .str("ClientContext")
        .and_then(|b| B64.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok());
    let result = lambda
        .runtimes
        .invoke(
            &spec,
            Invocation {
                request_id: request_id.clone(),
                payload,
                invoked_arn,
                client_context,
                want_logs,
            },
        )
        .await;
    let mut out = json!({"StatusCode": 200, "ExecutedVersion": spec.version});
    let result = match result {
        Ok(r) => r,
        Err(super::runtime::RuntimeError::Throttled { .. }) => {
            return Err(errors::too_many_requests(
                "Rate Exceeded.",
                "ReservedFunctionConcurrentInvocationLimitExceeded",
            ))
        }
        Err(e) => {
            // The function cannot run here (no interpreter, unsupported runtime): answer as a
            // failed run, naming what is missing.
            out["FunctionError"] = json!("Unhandled");
            out["Payload"] = json!(B64.encode(
                json!({"errorType": "Runtime.Unavailable", "errorMessage": e.to_string()})
                    .to_string()
            ));
            return Ok(out);
        }
    };
    let body = match &result.outcome {
        Outcome::Success(b) if b.len() > MAX_SYNC_RESPONSE => {
            out["FunctionError"] = json!("Unhandled");
            Bytes::from(
                json!({
                    "errorType": "Function.ResponseSizeTooLarge",
                    "errorMessage": format!("Response payload size exceeded maximum allowed payload size ({MAX_SYNC_RESPONSE} bytes)."),
                })
                .to_string(),
            )
        }
        Outcome::Success(b) => b.clone(),
        Outcome::HandlerError(b) | Outcome::InitError(b) => {
            out["FunctionError"] = json!("Unhandled");
            b.clone()
        }
        other => {
            out["FunctionError"] = json!("Unhandled");
            failure_payload(other, &request_id, spec.timeout).unwrap_or_default()
        }
    };
    out["Payload"] = json!(B64.encode(&body));
    if want_logs {
        out["LogResult"] = json!(log_tail(&spec, &request_id, &result));
    }
    Ok(out)
}

fn run_in_background(lambda: &Lambda, mut spec: FunctionSpec, invoked_arn: String, payload: Bytes) {
    let runtimes = lambda.runtimes.clone();
    // AWS queues events beyond reserved concurrency rather than rejecting them; here they run.
    spec.reserved_concurrency = None;
    // Event invocations outlive the request; without a tokio runtime (in-process use from
    // plain threads) there is nowhere to run them, so they are dropped as AWS drops events
    // it cannot deliver.
    if let Ok(handle) = tokio::runtime::Handle::try_current() {
        handle.spawn(async move {
            let _ = runtimes
                .invoke(
                    &spec,
                    Invocation {
                        request_id: uuid::Uuid::new_v4().to_string(),
                        payload,
                        invoked_arn,
                        client_context: None,
                        want_logs: false,
                    },
                )
                .await;
        });
    }
}

/// The legacy InvokeAsync: an Event invocation whose payload is `InvokeArgs`.
pub async fn invoke_async(
    lambda: &Lambda,
    ctx: &RequestContext,
    input: &Input<'_>,
) -> HandlerResult {
    let payload = decode_payload(input, "InvokeArgs")?;
    if payload.len() > MAX_ASYNC_PAYLOAD {
        return Err(too_large(MAX_ASYNC_PAYLOAD));
    }
    let (spec, invoked_arn) = prepare(lambda, ctx, input)?;
    run_in_background(lambda, spec, invoked_arn, payload);
    Ok(json!({"Status": 202}))
}
