//! Aliases: named pointers to a version, optionally splitting traffic with a second version.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::{json, Map, Value};

use super::input::Input;
use super::names::Violations;
use super::state::{new_revision, Alias, Function};
use super::{errors, function_ref, lookup, paginate, qualified_arn, Lambda};
use crate::service::{AwsError, HandlerResult, RequestContext};

static ALIAS_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-zA-Z0-9-_]+$").expect("valid regex"));

pub fn render(ctx: &RequestContext, function: &str, a: &Alias) -> Value {
    let mut m = Map::new();
    m.insert(
        "AliasArn".into(),
        qualified_arn(ctx, function, &a.name).into(),
    );
    m.insert("Description".into(), a.description.clone().into());
    m.insert("FunctionVersion".into(), a.function_version.clone().into());
    m.insert("Name".into(), a.name.clone().into());
    m.insert("RevisionId".into(), a.revision_id.clone().into());
    if let Some(r) = &a.routing {
        m.insert("RoutingConfig".into(), r.clone());
    }
    Value::Object(m)
}

fn check_name(name: &str) -> Result<(), AwsError> {
    if ALIAS_NAME.is_match(name) && !name.chars().all(|c| c.is_ascii_digit()) {
        return Ok(());
    }
    let mut v = Violations::default();
    v.push(
        name,
        "name",
        r"Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)",
    );
    v.into_result()
}

fn format_weight(w: f64) -> String {
    if w.fract() == 0.0 {
        format!("{w:.1}")
    } else {
        w.to_string()
    }
}

/// Validate the target version and routing config; returns the routing config to store.
fn check_target(
    ctx: &RequestContext,
    f: &Function,
    version: &str,
    routing: Option<&Map<String, Value>>,
) -> Result<Option<Value>, AwsError> {
    let weights = routing
        .and_then(|r| r.get("AdditionalVersionWeights"))
        .and_then(Value::as_object)
        .filter(|w| !w.is_empty());
    if let Some(w) = weights {
        let shown = format!(
            "{{{}}}",
            w.iter()
                .map(|(k, v)| format!("{k}={}", format_weight(v.as_f64().unwrap_or(f64::NAN))))
                .collect::<Vec<_>>()
                .join(", ")
        );
        if w.keys()
            .any(|k| !k.chars().all(|c| c.is_ascii_digit()) || k.is_empty())
        {
            let mut v = Violations::default();
            v.push(&shown, "routingConfig.additionalVersionWeights", "Map keys must satisfy constraint: [Member must have length less than or equal to 1024, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: [0-9]+]");
            v.into_result()?;
        }
        if w.values()
            .any(|v| !v.as_f64().is_some_and(|x| (0.0..=1.0).contains(&x)))
        {
            let mut v = Violations::default();
            v.push(&shown, "routingConfig.additionalVersionWeights", "Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0, Member must not be null]");
            v.into_result()?;
        }
        if w.len() > 1 {
            return Err(errors::invalid_parameter(
                "Number of items in AdditionalVersionWeights cannot be greater than 1",
            ));
        }
    }
    if !f.has_qualifier(version) || version.parse::<u64>().is_err() && version != "$LATEST" {
        return Err(errors::function_not_found(&qualified_arn(
            ctx, &f.name, version,
        )));
    }
    if let Some(w) = weights {
        if version == "$LATEST" {
            // AWS sends this one without the `Type` member.
            return Err(errors::untyped(
                "InvalidParameterValueException",
                "$LATEST is not supported for an alias pointing to more than 1 version",
                400,
            ));
        }
        for k in w.keys() {
            if k == version {
                return Err(errors::invalid_parameter(format!(
                    "Invalid function version {k}. Function version {k} is already included in routing configuration."
                )));
            }
            if !f.has_qualifier(k) {
                return Err(errors::function_not_found(&qualified_arn(ctx, &f.name, k)));
            }
        }
        return Ok(Some(json!({"AdditionalVersionWeights": w})));
    }
    Ok(None)
}

pub fn create(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let fref = function_ref(ctx, input)?;
    let name = input.req_str("Name")?;
    check_name(name)?;
    let version = input.req_str("FunctionVersion")?;
    lambda.with_state(ctx, |st| {
        // AWS looks up the version the alias is to point at, and names it when missing.
        let Some(f) = st.functions.get_mut(&fref.name) else {
            return Err(errors::function_not_found(&qualified_arn(
                ctx, &fref.name, version,
            )));
        };
        let routing = check_target(ctx, f, version, input.obj("RoutingConfig"))?;
        if f.aliases.contains_key(name) {
            return Err(errors::conflict(format!(
                "Alias already exists: {}",
                qualified_arn(ctx, &f.name, name)
            )));
        }
        let alias = Alias {
            name: name.to_string(),
            function_version: version.to_string(),
            description: input.str("Description").unwrap_or("").to_string(),
            routing,
            revision_id: new_revision(),
        };
        let out = render(ctx, &f.name, &alias);
        f.aliases.insert(name.to_string(), alias);
        Ok(out)
    })
}

pub fn get(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let fref = function_ref(ctx, input)?;
    let name = input.req_str("Name")?;
    lambda.with_state(ctx, |st| {
        let f = lookup(st, ctx, &fref.name)?;
        match f.aliases.get(name) {
            Some(a) => Ok(render(ctx, &f.name, a)),
            None => Err(errors::not_found(format!(
                "Cannot find alias arn: {}",
                qualified_arn(ctx, &f.name, name)
            ))),
        }
    })
}

pub fn update(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let fref = function_ref(ctx, input)?;
    let name = input.req_str("Name")?;
    lambda.with_state(ctx, |st| {
        let f = lookup(st, ctx, &fref.name)?;
        let Some(current) = f.aliases.get(name).cloned() else {
            return Err(errors::not_found(format!(
                "Alias not found: {}",
                qualified_arn(ctx, &f.name, name)
            )));
        };
        if let Some(r) = input.str("RevisionId") {
            if r != current.revision_id {
                return Err(errors::precondition("GetFunction/GetAlias"));
            }
        }
        let version = input
            .str("FunctionVersion")
            .unwrap_or(&current.function_version)
            .to_string();
        let routing = if input.has("RoutingConfig") {
            check_target(ctx, f, &version, input.obj("RoutingConfig"))?
        } else {
            check_target(ctx, f, &version, None)?;
            current.routing.clone()
        };
        let alias = Alias {
            name: name.to_string(),
            function_version: version,
            description: input
                .str("Description")
                .map(str::to_string)
                .unwrap_or(current.description),
            routing,
            revision_id: new_revision(),
        };
        let out = render(ctx, &f.name, &alias);
        f.aliases.insert(name.to_string(), alias);
        Ok(out)
    })
}

pub fn delete(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let fref = function_ref(ctx, input)?;
    let name = input.req_str("Name")?;
    lambda.with_state(ctx, |st| {
        let f = lookup(st, ctx, &fref.name)?;
        // Deleting an alias that is not there succeeds, as on AWS.
        f.aliases.remove(name);
        f.policies.remove(name);
        Ok(json!({}))
    })
}

pub fn list(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let fref = function_ref(ctx, input)?;
    let only = input.str("FunctionVersion");
    let items = lambda.with_state(ctx, |st| {
        let f = lookup(st, ctx, &fref.name)?;
        Ok(f.aliases
            .values()
            .filter(|a| only.is_none_or(|v| a.function_version == v))
            .map(|a| render(ctx, &f.name, a))
            .collect::<Vec<_>>())
    })?;
    let (page, next) = paginate(&items, input)?;
    let mut out = json!({"Aliases": page});
    if let Some(n) = next {
        out["NextMarker"] = json!(n);
    }
    Ok(out)
}
