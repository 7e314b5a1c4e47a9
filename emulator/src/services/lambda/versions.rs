//! Published versions: PublishVersion and ListVersionsByFunction.

use serde_json::{json, Value};

use super::input::Input;
use std::time::Instant;

use super::state::{new_revision, Function, FunctionVersion, Lifecycle, SETTLE_DELAY};
use super::{errors, function_ref, lookup, paginate, qualified_arn, Lambda};
use crate::service::{HandlerResult, RequestContext};

/// Publish $LATEST as the next version (or return the newest one when nothing changed, as AWS
/// does); returns the version number. `lifecycle` is the new version's state: a version
/// published together with a code update is still being created, as on AWS.
pub fn publish_now(
    ctx: &RequestContext,
    f: &mut Function,
    description: Option<&str>,
    lifecycle: Lifecycle,
) -> u64 {
    if !f.latest.unpublished {
        if let Some(n) = f.versions.keys().next_back() {
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
    if let Some(snap) = config.get_mut("SnapStart") {
        if snap["ApplyOn"] == "PublishedVersions" {
            snap["OptimizationStatus"] = "On".into();
        }
    }
    f.versions.insert(
        n,
        FunctionVersion {
            config,
            code: f.latest.code.clone(),
            settle_at: (lifecycle != Lifecycle::Active).then(|| Instant::now() + SETTLE_DELAY),
            lifecycle,
            revision_id: new_revision(),
            unpublished: false,
        },
    );
    // Publishing is a change to $LATEST too: AWS gives it a new RevisionId.
    f.latest.revision_id = new_revision();
    f.latest.unpublished = false;
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
        let n = publish_now(ctx, f, input.str("Description"), Lifecycle::Active);
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
