//! Published versions: PublishVersion and ListVersionsByFunction.

use serde_json::{json, Value};

use super::input::Input;
use super::state::{new_revision, Function, FunctionVersion, Lifecycle};
use super::{errors, function_ref, lookup, paginate, qualified_arn, Lambda};
use crate::service::{HandlerResult, RequestContext};

/// Members that differ between versions without being a change worth a new version.
const VOLATILE: &[&str] = &["Version", "FunctionArn", "LastModified", "Description"];

fn same_content(a: &FunctionVersion, b: &FunctionVersion) -> bool {
    a.code.sha256 == b.code.sha256
        && a.config
            .iter()
            .filter(|(k, _)| !VOLATILE.contains(&k.as_str()))
            .all(|(k, v)| b.config.get(k) == Some(v))
        && a.config.len() == b.config.len()
}

/// Publish $LATEST as the next version (or return the newest one when nothing changed, as AWS
/// does); returns the version number.
pub fn publish_now(ctx: &RequestContext, f: &mut Function, description: Option<&str>) -> u64 {
    if let Some((n, last)) = f.versions.iter().next_back() {
        if same_content(last, &f.latest) {
            return *n;
        }
    }
    let n = f.next_version;
    f.next_version += 1;
    let mut config = f.latest.config.clone();
    config.insert("Version".into(), n.to_string().into());
    config.insert(
        "FunctionArn".into(),
        qualified_arn(ctx, &f.name, &n.to_string()).into(),
    );
    if let Some(d) = description {
        config.insert("Description".into(), d.into());
    }
    f.versions.insert(
        n,
        FunctionVersion {
            config,
            code: f.latest.code.clone(),
            lifecycle: Lifecycle::Active,
            settle_at: None,
            revision_id: new_revision(),
        },
    );
    n
}

pub fn publish(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let fref = function_ref(ctx, input)?;
    lambda.with_state(ctx, |st| {
        let f = lookup(st, ctx, &fref.name)?;
        if let Some(r) = input.str("RevisionId") {
            if r != f.latest.revision_id {
                return Err(errors::precondition("GetFunction/GetAlias"));
            }
        }
        if let Some(sha) = input.str("CodeSha256") {
            if sha != f.latest.code.sha256 {
                return Err(errors::invalid_parameter(format!(
                    "CodeSHA256 ({sha}) is different from current CodeSHA256 in $LATEST ({}). Please try again with the CodeSHA256 in $LATEST.",
                    f.latest.code.sha256
                )));
            }
        }
        if f.latest.is_updating() || f.latest.is_pending() {
            return Err(errors::conflict(format!(
                "The operation cannot be performed at this time. An update is in progress for resource: {}",
                super::unqualified_arn(ctx, &f.name)
            )));
        }
        let n = publish_now(ctx, f, input.str("Description"));
        Ok(f.versions[&n].render())
    })
}

pub fn list(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let fref = function_ref(ctx, input)?;
    let items = lambda.with_state(ctx, |st| {
        let f = lookup(st, ctx, &fref.name)?;
        let mut latest = f.latest.render_listed();
        latest["FunctionArn"] = json!(qualified_arn(ctx, &f.name, "$LATEST"));
        let mut items: Vec<Value> = vec![latest];
        items.extend(f.versions.values().map(FunctionVersion::render_listed));
        Ok(items)
    })?;
    let (page, next) = paginate(&items, input)?;
    let mut out = json!({"Versions": page});
    if let Some(n) = next {
        out["NextMarker"] = json!(n);
    }
    Ok(out)
}
