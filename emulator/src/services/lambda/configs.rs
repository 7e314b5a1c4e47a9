//! The smaller per-function configs: event invoke configs, recursion, runtime management, and
//! code signing configs (account-level resources plus the function binding).

use std::sync::LazyLock;

use regex::Regex;
use serde_json::{json, Map, Value};

use super::input::Input;
use super::names::Violations;
use super::state::Function;
use super::{errors, function_ref, lookup, paginate, qualified_arn, unqualified_arn, Lambda};
use crate::service::{AwsError, HandlerResult, RequestContext};

fn rfc3339_now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn no_event_invoke_config(arn: &str) -> AwsError {
    errors::not_found(format!(
        "The function {arn} doesn't have an EventInvokeConfig"
    ))
}

/// The model's `DestinationArn` pattern, as AWS quotes it in the validation message.
const DESTINATION_ARN_PATTERN: &str = r"$|kafka://([^.]([a-zA-Z0-9\-_.]{0,248}))|arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\-])+:((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1})?:(\d{12})?:(.*)";

/// The pattern anchored at both ends, as the service (Java's `matches`) applies it.
static DESTINATION_ARN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!("^(?:{DESTINATION_ARN_PATTERN})$")).expect("valid regex"));

/// Model-level check of the destination ARNs: a ValidationException before anything else.
fn validate_destination_arns(input: &Input) -> Result<(), AwsError> {
    let Some(dest) = input.obj("DestinationConfig") else {
        return Ok(());
    };
    let mut v = Violations::default();
    for (kind, field) in [("OnSuccess", "onSuccess"), ("OnFailure", "onFailure")] {
        let arn = dest
            .get(kind)
            .and_then(|c| c.get("Destination"))
            .and_then(Value::as_str);
        if let Some(arn) = arn.filter(|a| !DESTINATION_ARN.is_match(a)) {
            v.push(
                arn,
                &format!("destinationConfig.{field}.destination"),
                &format!(
                    "Member must satisfy regular expression pattern: {DESTINATION_ARN_PATTERN}"
                ),
            );
        }
    }
    v.into_result()
}

/// What the service checks about well-formed destinations, once the function is known.
fn check_destination(
    ctx: &RequestContext,
    st_functions: &std::collections::BTreeMap<String, Function>,
    own: &str,
    dest: &Map<String, Value>,
) -> Result<(), AwsError> {
    for cfg in dest.values() {
        let Some(arn) = cfg.get("Destination").and_then(Value::as_str) else {
            continue;
        };
        let parts: Vec<&str> = arn.split(':').collect();
        if parts.len() < 6 || parts[0] != "arn" {
            // `kafka://` URIs and the empty string pass the pattern without being ARNs.
            continue;
        }
        match parts[2] {
            "lambda" => {
                let name = parts.get(6).copied().unwrap_or_default();
                if name == own {
                    return Err(errors::invalid_parameter(
                        "You can't specify the function as a destination for itself.",
                    ));
                }
                if parts[4] == ctx.account_id() && !st_functions.contains_key(name) {
                    return Err(errors::invalid_parameter(format!(
                        "The destination ARN {arn} is invalid."
                    )));
                }
            }
            "sqs" | "sns" | "events" | "s3" => {}
            _ => {
                let show = |k: &str| {
                    dest.get(k)
                        .and_then(|c| c.get("Destination"))
                        .and_then(Value::as_str)
                        .map(|d| {
                            let cls = if k == "OnFailure" {
                                "OnFailure"
                            } else {
                                "OnSuccess"
                            };
                            format!("{cls}(destination={d})")
                        })
                        .unwrap_or_else(|| "null".into())
                };
                return Err(errors::invalid_parameter(format!(
                    "The provided destination config DestinationConfig(onSuccess={}, onFailure={}) is invalid.",
                    show("OnSuccess"),
                    show("OnFailure")
                )));
            }
        }
    }
    Ok(())
}

pub fn put_event_invoke(
    lambda: &Lambda,
    ctx: &RequestContext,
    input: &Input,
    replace: bool,
) -> HandlerResult {
    let fref = function_ref(ctx, input)?;
    validate_destination_arns(input)?;
    // AWS checks the arguments before it looks the function up.
    let has_settings = [
        "MaximumRetryAttempts",
        "MaximumEventAgeInSeconds",
        "DestinationConfig",
    ]
    .iter()
    .any(|k| input.has(k));
    if !has_settings {
        return Err(errors::invalid_parameter(
            "You must specify at least one of error handling or destination setting.",
        ));
    }
    lambda.with_state(ctx, |st| {
        let q = fref.qualifier.clone().unwrap_or_else(|| "$LATEST".into());
        let exists = st
            .functions
            .get(&fref.name)
            .is_some_and(|f| f.has_qualifier(&q));
        if !exists {
            return Err(errors::not_found("The function doesn't exist."));
        }
        let arn = qualified_arn(ctx, &fref.name, &q);
        let current = st.functions[&fref.name]
            .event_invoke_configs
            .get(&q)
            .cloned();
        if !replace && current.is_none() {
            return Err(no_event_invoke_config(&arn));
        }
        if let Some(d) = input.obj("DestinationConfig") {
            check_destination(ctx, &st.functions, &fref.name, d)?;
        }
        let mut m = if replace {
            Map::new()
        } else {
            current
                .and_then(|c| c.as_object().cloned())
                .unwrap_or_default()
        };
        let mut dest = m
            .get("DestinationConfig")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_else(|| {
                let mut d = Map::new();
                d.insert("OnFailure".into(), json!({}));
                d.insert("OnSuccess".into(), json!({}));
                d
            });
        if let Some(d) = input.obj("DestinationConfig") {
            for (k, v) in d {
                dest.insert(k.clone(), v.clone());
            }
        }
        m.insert("DestinationConfig".into(), Value::Object(dest));
        m.insert("FunctionArn".into(), arn.into());
        m.insert("LastModified".into(), rfc3339_now().into());
        for k in ["MaximumEventAgeInSeconds", "MaximumRetryAttempts"] {
            if let Some(v) = input.get(k) {
                m.insert(k.into(), v.clone());
            }
        }
        let value = super::state::sort_keys(m);
        let f = lookup(st, ctx, &fref.name)?;
        f.event_invoke_configs.insert(q, value.clone());
        Ok(value)
    })
}

pub fn get_event_invoke(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let fref = function_ref(ctx, input)?;
    let q = fref.qualifier.clone().unwrap_or_else(|| "$LATEST".into());
    lambda.with_state(ctx, |st| {
        st.functions
            .get(&fref.name)
            .and_then(|f| f.event_invoke_configs.get(&q))
            .cloned()
            .ok_or_else(|| no_event_invoke_config(&qualified_arn(ctx, &fref.name, &q)))
    })
}

pub fn delete_event_invoke(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let fref = function_ref(ctx, input)?;
    let q = fref.qualifier.clone().unwrap_or_else(|| "$LATEST".into());
    lambda.with_state(ctx, |st| {
        st.functions
            .get_mut(&fref.name)
            .and_then(|f| f.event_invoke_configs.remove(&q))
            .map(|_| json!({}))
            .ok_or_else(|| no_event_invoke_config(&qualified_arn(ctx, &fref.name, &q)))
    })
}

pub fn list_event_invoke(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let fref = function_ref(ctx, input)?;
    let items = lambda.with_state(ctx, |st| {
        let f = st
            .functions
            .get(&fref.name)
            .ok_or_else(|| errors::not_found("The function doesn't exist."))?;
        Ok(f.event_invoke_configs.values().cloned().collect::<Vec<_>>())
    })?;
    let (page, next) = paginate(&items, input)?;
    let mut out = json!({"FunctionEventInvokeConfigs": page});
    if let Some(n) = next {
        out["NextMarker"] = json!(n);
    }
    Ok(out)
}

pub fn put_recursion(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let fref = function_ref(ctx, input)?;
    let value = input.req_str("RecursiveLoop")?;
    if !matches!(value, "Terminate" | "Allow") {
        let mut v = Violations::default();
        v.push(
            value,
            "recursiveLoop",
            "Member must satisfy enum value set: [Terminate, Allow]",
        );
        v.into_result()?;
    }
    lambda.with_state(ctx, |st| {
        lookup(st, ctx, &fref.name)?.recursion = value.to_string();
        Ok(json!({"RecursiveLoop": value}))
    })
}

pub fn get_recursion(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let fref = function_ref(ctx, input)?;
    lambda.with_state(ctx, |st| {
        Ok(json!({"RecursiveLoop": lookup(st, ctx, &fref.name)?.recursion}))
    })
}

pub fn put_runtime_management(
    lambda: &Lambda,
    ctx: &RequestContext,
    input: &Input,
) -> HandlerResult {
    let fref = function_ref(ctx, input)?;
    let mode = input.req_str("UpdateRuntimeOn")?;
    if !matches!(mode, "Auto" | "Manual" | "FunctionUpdate") {
        let mut v = Violations::default();
        v.push(
            mode,
            "updateRuntimeOn",
            "Member must satisfy enum value set: [Auto, Manual, FunctionUpdate]",
        );
        v.into_result()?;
    }
    if mode == "Manual" && !input.has("RuntimeVersionArn") {
        return Err(errors::invalid_parameter(
            "You must specify a RuntimeVersionArn when UpdateRuntimeOn is set to Manual.",
        ));
    }
    lambda.with_state(ctx, |st| {
        let f = lookup(st, ctx, &fref.name)?;
        let q = fref.qualifier.clone().unwrap_or_else(|| "$LATEST".into());
        if !f.has_qualifier(&q) {
            return Err(errors::function_not_found(&qualified_arn(ctx, &f.name, &q)));
        }
        let mut m = Map::new();
        m.insert("FunctionArn".into(), unqualified_arn(ctx, &f.name).into());
        if let Some(arn) = input.str("RuntimeVersionArn") {
            m.insert("RuntimeVersionArn".into(), arn.into());
        }
        m.insert("UpdateRuntimeOn".into(), mode.into());
        let v = Value::Object(m);
        f.runtime_management.insert(q, v.clone());
        Ok(v)
    })
}

pub fn get_runtime_management(
    lambda: &Lambda,
    ctx: &RequestContext,
    input: &Input,
) -> HandlerResult {
    let fref = function_ref(ctx, input)?;
    lambda.with_state(ctx, |st| {
        let f = lookup(st, ctx, &fref.name)?;
        let q = fref.qualifier.clone().unwrap_or_else(|| "$LATEST".into());
        if !f.has_qualifier(&q) {
            return Err(errors::function_not_found(&qualified_arn(ctx, &f.name, &q)));
        }
        Ok(f.runtime_management.get(&q).cloned().unwrap_or_else(
            || json!({"FunctionArn": unqualified_arn(ctx, &f.name), "UpdateRuntimeOn": "Auto"}),
        ))
    })
}

fn csc_not_found(arn: &str) -> AwsError {
    errors::not_found(format!(
        "The Lambda code signing configuration {arn} can not be found."
    ))
}

fn csc_policies(input: &Input) -> Value {
    json!({"UntrustedArtifactOnDeployment": input
        .obj("CodeSigningPolicies")
        .and_then(|p| p.get("UntrustedArtifactOnDeployment"))
        .cloned()
        .unwrap_or(json!("Warn"))})
}

pub fn create_csc(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let publishers = input
        .obj("AllowedPublishers")
        .cloned()
        .ok_or_else(|| errors::invalid_parameter("AllowedPublishers is required."))?;
    let id = format!("csc-{}", &uuid::Uuid::new_v4().simple().to_string()[..17]);
    let arn = format!(
        "arn:aws:lambda:{}:{}:code-signing-config:{id}",
        ctx.region,
        ctx.account_id()
    );
    let config = json!({
        "AllowedPublishers": publishers,
        "CodeSigningConfigArn": arn,
        "CodeSigningConfigId": id,
        "CodeSigningPolicies": csc_policies(input),
        "Description": input.str("Description").unwrap_or(""),
        "LastModified": rfc3339_now(),
    });
    let tags = super::tags::parse_tags(input.obj("Tags"))?;
    lambda.with_state(ctx, |st| {
        st.code_signing_configs.insert(arn.clone(), config.clone());
        if !tags.is_empty() {
            st.csc_tags.insert(arn.clone(), tags);
        }
        Ok(json!({"CodeSigningConfig": config}))
    })
}

pub fn get_csc(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let arn = input.req_str("CodeSigningConfigArn")?;
    lambda.with_state(ctx, |st| {
        st.code_signing_configs
            .get(arn)
            .map(|c| json!({"CodeSigningConfig": c}))
            .ok_or_else(|| csc_not_found(arn))
    })
}

pub fn update_csc(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let arn = input.req_str("CodeSigningConfigArn")?;
    lambda.with_state(ctx, |st| {
        let c = st
            .code_signing_configs
            .get_mut(arn)
            .ok_or_else(|| csc_not_found(arn))?;
        if let Some(p) = input.obj("AllowedPublishers") {
            c["AllowedPublishers"] = Value::Object(p.clone());
        }
        if input.has("CodeSigningPolicies") {
            c["CodeSigningPolicies"] = csc_policies(input);
        }
        if let Some(d) = input.str("Description") {
            c["Description"] = d.into();
        }
        c["LastModified"] = rfc3339_now().into();
        Ok(json!({"CodeSigningConfig": c}))
    })
}

pub fn delete_csc(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let arn = input.req_str("CodeSigningConfigArn")?;
    lambda.with_state(ctx, |st| {
        st.code_signing_configs
            .shift_remove(arn)
            .ok_or_else(|| csc_not_found(arn))?;
        st.csc_tags.remove(arn);
        for f in st.functions.values_mut() {
            if f.code_signing_config_arn.as_deref() == Some(arn) {
                f.code_signing_config_arn = None;
            }
        }
        Ok(json!({}))
    })
}

pub fn list_csc(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let items = lambda.with_state(ctx, |st| {
        Ok(st
            .code_signing_configs
            .values()
            .cloned()
            .collect::<Vec<_>>())
    })?;
    let (page, next) = paginate(&items, input)?;
    let mut out = json!({"CodeSigningConfigs": page});
    if let Some(n) = next {
        out["NextMarker"] = json!(n);
    }
    Ok(out)
}

pub fn put_function_csc(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let fref = function_ref(ctx, input)?;
    let arn = input.req_str("CodeSigningConfigArn")?;
    lambda.with_state(ctx, |st| {
        if !st.code_signing_configs.contains_key(arn) {
            return Err(csc_not_found(arn));
        }
        let f = lookup(st, ctx, &fref.name)?;
        f.code_signing_config_arn = Some(arn.to_string());
        Ok(json!({"CodeSigningConfigArn": arn, "FunctionName": f.name}))
    })
}

pub fn get_function_csc(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let fref = function_ref(ctx, input)?;
    lambda.with_state(ctx, |st| {
        let f = lookup(st, ctx, &fref.name)?;
        Ok(match &f.code_signing_config_arn {
            Some(arn) => json!({"CodeSigningConfigArn": arn, "FunctionName": f.name}),
            None => json!({"CodeSigningConfigArn": "", "FunctionName": f.name}),
        })
    })
}

pub fn delete_function_csc(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let fref = function_ref(ctx, input)?;
    lambda.with_state(ctx, |st| {
        lookup(st, ctx, &fref.name)?.code_signing_config_arn = None;
        Ok(json!({}))
    })
}

pub fn list_functions_by_csc(
    lambda: &Lambda,
    ctx: &RequestContext,
    input: &Input,
) -> HandlerResult {
    let arn = input.req_str("CodeSigningConfigArn")?;
    let items = lambda.with_state(ctx, |st| {
        if !st.code_signing_configs.contains_key(arn) {
            return Err(csc_not_found(arn));
        }
        Ok(st
            .functions
            .values()
            .filter(|f| f.code_signing_config_arn.as_deref() == Some(arn))
            .map(|f| Value::String(unqualified_arn(ctx, &f.name)))
            .collect::<Vec<_>>())
    })?;
    let (page, next) = paginate(&items, input)?;
    let mut out = json!({"FunctionArns": page});
    if let Some(n) = next {
        out["NextMarker"] = json!(n);
    }
    Ok(out)
}
