//! Tags on functions, event source mappings and code signing configs.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::{json, Map, Value};

use super::input::Input;
use super::names::Violations;
use super::state::{new_revision, RegionState};
use super::{errors, Lambda};
use crate::service::{AwsError, HandlerResult, RequestContext};

const MAX_TAGS: usize = 50;
const RESOURCE_PATTERN: &str = r"arn:(aws[a-zA-Z-]*):lambda:(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:\d{12}:(function:[a-zA-Z0-9-_]+(:(\$LATEST|[a-zA-Z0-9-_]+))?|layer:([a-zA-Z0-9-_]+)|code-signing-config:csc-[a-z0-9]{17}|event-source-mapping:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|capacity-provider:[a-zA-Z0-9-_]+)";
static RESOURCE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!("^(?:{RESOURCE_PATTERN})$")).expect("valid regex"));

pub fn parse_tags(tags: Option<&Map<String, Value>>) -> Result<BTreeMap<String, String>, AwsError> {
    let Some(tags) = tags else {
        return Ok(BTreeMap::new());
    };
    if tags.len() > MAX_TAGS {
        return Err(errors::invalid_parameter(
            "Number of tags exceeds resource tag limit.",
        ));
    }
    Ok(tags
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
        .collect())
}

/// The tag map an ARN points at.
fn tags_of<'a>(
    st: &'a mut RegionState,
    ctx: &RequestContext,
    arn: &str,
) -> Result<&'a mut BTreeMap<String, String>, AwsError> {
    if !RESOURCE.is_match(arn) {
        let mut v = Violations::default();
        v.push(
            arn,
            "resource",
            &format!("Member must satisfy regular expression pattern: {RESOURCE_PATTERN}"),
        );
        v.into_result()?;
    }
    let parts: Vec<&str> = arn.split(':').collect();
    let (region, account, kind, id) = (parts[3], parts[4], parts[5], parts[6]);
    let foreign = region != ctx.region || account != ctx.account_id();
    match kind {
        "function" => {
            if parts.len() > 7 {
                return Err(errors::invalid_parameter(
                    "Tags on function aliases and versions are not supported. Please specify a function ARN.",
                ));
            }
            match st.functions.get_mut(id).filter(|_| !foreign) {
                Some(f) => Ok(&mut f.tags),
                None => Err(errors::function_not_found(arn)),
            }
        }
        "event-source-mapping" => {
            if foreign || !st.event_source_mappings.contains_key(id) {
                return Err(errors::not_found(format!(
                    "Event source mapping not found: {arn}"
                )));
            }
            Ok(st.esm_tags.entry(id.to_string()).or_default())
        }
        "code-signing-config" => {
            if foreign || !st.code_signing_configs.contains_key(arn) {
                return Err(errors::not_found(format!(
                    "Code signing configuration not found: {arn}"
                )));
            }
            Ok(st.csc_tags.entry(arn.to_string()).or_default())
        }
        // The emulator has no capacity providers: any named one is missing.
        "capacity-provider" => Err(errors::not_found(format!(
            "Capacity provider not found: {arn}"
        ))),
        _ => Err(errors::not_found(format!("Resource not found: {arn}"))),
    }
}

/// Tags are part of a function's configuration on AWS: changing them gives $LATEST a new
/// RevisionId (the recordings show it on GetFunction after Tag/UntagResource).
fn bump_function_revision(st: &mut RegionState, arn: &str) {
    let parts: Vec<&str> = arn.split(':').collect();
    if parts.get(5) == Some(&"function") {
        if let Some(f) = parts.get(6).and_then(|id| st.functions.get_mut(*id)) {
            f.latest.revision_id = new_revision();
        }
    }
}

pub fn tag(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let arn = input.req_str("Resource")?;
    let new = input.obj("Tags").filter(|t| !t.is_empty()).ok_or_else(|| {
        errors::invalid_parameter("An error occurred and the request cannot be processed.")
    })?;
    let new = parse_tags(Some(new))?;
    lambda.with_state(ctx, |st| {
        let tags = tags_of(st, ctx, arn)?;
        let added = new.keys().filter(|k| !tags.contains_key(*k)).count();
        if tags.len() + added > MAX_TAGS {
            return Err(errors::invalid_parameter(
                "Number of tags exceeds resource tag limit.",
            ));
        }
        tags.extend(new);
        bump_function_revision(st, arn);
        Ok(json!({}))
    })
}

pub fn untag(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let arn = input.req_str("Resource")?;
    let Some(keys) = input.strings("TagKeys") else {
        return Err(errors::validation(
            "1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null",
        ));
    };
    lambda.with_state(ctx, |st| {
        let tags = tags_of(st, ctx, arn)?;
        for k in keys {
            tags.remove(&k);
        }
        bump_function_revision(st, arn);
        Ok(json!({}))
    })
}

pub fn list(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let arn = input.req_str("Resource")?;
    lambda.with_state(ctx, |st| {
        let tags = tags_of(st, ctx, arn)?;
        Ok(json!({"Tags": tags}))
    })
}
