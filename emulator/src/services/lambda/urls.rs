//! Function URL configs (one per function or alias).

use serde_json::{json, Map, Value};

use super::input::Input;
use super::names::Violations;
use super::state::Function;
use super::{errors, function_ref, lookup, paginate, qualified_arn, unqualified_arn, Lambda};
use crate::service::{AwsError, HandlerResult, RequestContext};

/// URL config timestamps: ISO 8601 with microseconds, as AWS writes them.
fn url_timestamp() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        now.year(),
        now.month() as u8,
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        now.microsecond()
    )
}

/// URL configs attach to $LATEST or an alias, never to a version number.
fn target(
    ctx: &RequestContext,
    f: &Function,
    qualifier: Option<&str>,
) -> Result<(String, String), AwsError> {
    match qualifier {
        None => Ok(("$LATEST".into(), unqualified_arn(ctx, &f.name))),
        Some("$LATEST") => Ok(("$LATEST".into(), unqualified_arn(ctx, &f.name))),
        Some(q) if q.parse::<u64>().is_ok() => Err(errors::invalid_parameter(
            "1 validation error detected: Value '".to_string()
                + q
                + "' at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression pattern: ((?!^\\d+$)^[0-9a-zA-Z-_]+$)|(^\\$LATEST$)",
        )),
        Some(q) => {
            if !f.aliases.contains_key(q) {
                return Err(errors::function_not_found(&qualified_arn(ctx, &f.name, q)));
            }
            Ok((q.to_string(), qualified_arn(ctx, &f.name, q)))
        }
    }
}

/// The public answer: Get/List show InvokeMode and LastModifiedTime, Create/Update do not.
fn render(stored: &Value, full: bool) -> Value {
    let mut m: Map<String, Value> = stored.as_object().cloned().unwrap_or_default();
    if !full {
        m.shift_remove("LastModifiedTime");
        if m.get("_InvokeModeGiven") != Some(&Value::Bool(true)) {
            m.shift_remove("InvokeMode");
        }
    }
    m.shift_remove("_InvokeModeGiven");
    super::state::sort_keys(m)
}

/// InvokeMode is an enum in the model, checked before anything else.
fn check_invoke_mode(input: &Input) -> Result<(), AwsError> {
    let mut v = Violations::default();
    if let Some(m) = input.str("InvokeMode") {
        if !["RESPONSE_STREAM", "BUFFERED"].contains(&m) {
            v.push(
                m,
                "invokeMode",
                "Member must satisfy enum value set: [RESPONSE_STREAM, BUFFERED]",
            );
        }
    }
    v.into_result()
}

fn function_url(ctx: &RequestContext) -> String {
    let id: String = uuid::Uuid::new_v4().simple().to_string();
    format!("https://{id}.lambda-url.{}.on.aws/", ctx.region)
}

pub fn create(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let fref = function_ref(ctx, input)?;
    let auth = input.req_str("AuthType")?.to_string();
    check_invoke_mode(input)?;
    lambda.with_state(ctx, |st| {
        let f = lookup(st, ctx, &fref.name)?;
        let (key, arn) = target(ctx, f, fref.qualifier.as_deref())?;
        if f.url_configs.contains_key(&key) {
            return Err(errors::conflict(format!(
                "Failed to create function url config for [functionArn = {arn}]. Error message:  FunctionUrlConfig exists for this Lambda function"
            )));
        }
        let now = url_timestamp();
        let mut m = Map::new();
        m.insert("AuthType".into(), auth.into());
        if let Some(c) = input.obj("Cors") {
            m.insert("Cors".into(), Value::Object(c.clone()));
        }
        m.insert("CreationTime".into(), now.clone().into());
        m.insert("FunctionArn".into(), arn.into());
        m.insert("FunctionUrl".into(), function_url(ctx).into());
        m.insert(
            "InvokeMode".into(),
            input.str("InvokeMode").unwrap_or("BUFFERED").into(),
        );
        m.insert("_InvokeModeGiven".into(), input.has("InvokeMode").into());
        m.insert("LastModifiedTime".into(), now.into());
        let stored = Value::Object(m);
        let out = render(&stored, false);
        f.url_configs.insert(key, stored);
        Ok(out)
    })
}

pub fn get(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let fref = function_ref(ctx, input)?;
    lambda.with_state(ctx, |st| {
        let f = lookup(st, ctx, &fref.name)?;
        let (key, _) = target(ctx, f, fref.qualifier.as_deref())?;
        f.url_configs
            .get(&key)
            .map(|v| render(v, true))
            .ok_or_else(errors::resource_missing)
    })
}

pub fn update(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let fref = function_ref(ctx, input)?;
    check_invoke_mode(input)?;
    lambda.with_state(ctx, |st| {
        let f = lookup(st, ctx, &fref.name)?;
        let (key, _) = target(ctx, f, fref.qualifier.as_deref())?;
        let Some(stored) = f.url_configs.get_mut(&key) else {
            return Err(errors::resource_missing());
        };
        if let Some(a) = input.str("AuthType") {
            stored["AuthType"] = a.into();
        }
        if let Some(c) = input.obj("Cors") {
            stored["Cors"] = Value::Object(c.clone());
        }
        if let Some(m) = input.str("InvokeMode") {
            stored["InvokeMode"] = m.into();
        }
        // Once set explicitly, AWS keeps showing InvokeMode in update answers.
        if input.has("InvokeMode") {
            stored["_InvokeModeGiven"] = true.into();
        }
        stored["LastModifiedTime"] = url_timestamp().into();
        let mut out = render(stored, false);
        out["LastModifiedTime"] = stored["LastModifiedTime"].clone();
        Ok(out)
    })
}

pub fn delete(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let fref = function_ref(ctx, input)?;
    lambda.with_state(ctx, |st| {
        let f = lookup(st, ctx, &fref.name)?;
        let (key, _) = target(ctx, f, fref.qualifier.as_deref())?;
        match f.url_configs.remove(&key) {
            Some(_) => Ok(json!({})),
            None => Err(errors::resource_missing()),
        }
    })
}

pub fn list(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let fref = function_ref(ctx, input)?;
    let items = lambda.with_state(ctx, |st| {
        let Some(f) = st.functions.get(&fref.name) else {
            return Err(errors::not_found("Function does not exist"));
        };
        Ok(f.url_configs
            .values()
            .map(|v| render(v, true))
            .collect::<Vec<_>>())
    })?;
    let (page, next) = paginate(&items, input)?;
    let mut out = json!({"FunctionUrlConfigs": page});
    if let Some(n) = next {
        out["NextMarker"] = json!(n);
    }
    Ok(out)
}
