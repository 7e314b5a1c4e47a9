//! Layers: versions, their permissions, and listing.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::{json, Map, Value};

use super::code;
use super::input::Input;
use super::names::Violations;
use super::policy;
use super::state::{lambda_timestamp, new_revision, Layer, LayerVersion, Policy};
use super::{errors, paginate, Lambda};
use crate::service::{AwsError, HandlerResult, RequestContext};

const LAYER_VERSION_ARN_PATTERN: &str = r"(arn:(aws[a-zA-Z-]*)?:lambda:(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+)|(arn:[a-zA-Z0-9-]+:lambda:::awslayer:[a-zA-Z0-9-_]+)";
static LAYER_VERSION_ARN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!("^(?:{LAYER_VERSION_ARN_PATTERN})$")).expect("valid regex")
});

/// Every runtime name Lambda's enum has ever had, in the order AWS lists them: layers accept
/// any of them (deprecated ones included) and ListLayers' message lists them all.
const HISTORIC_RUNTIMES: &[&str] = &[
    "ruby3.5",
    "ruby2.6",
    "dotnetcore1.0",
    "python3.7",
    "nodejs8.10",
    "nasa",
    "ruby2.7",
    "python2.7-greengrass",
    "dotnetcore2.0",
    "python3.8",
    "java21",
    "dotnet6",
    "dotnetcore2.1",
    "python3.9",
    "java11",
    "nodejs6.10",
    "provided",
    "dotnetcore3.1",
    "dotnet8",
    "java25",
    "java17",
    "nodejs",
    "nodejs4.3",
    "java8.al2",
    "go1.x",
    "dotnet10",
    "nodejs20.x",
    "go1.9",
    "byol",
    "nodejs10.x",
    "provided.al2023",
    "nodejs22.x",
    "python3.10",
    "java8",
    "nodejs12.x",
    "python3.11",
    "nodejs24.x",
    "nodejs8.x",
    "python3.12",
    "nodejs14.x",
    "nodejs8.9",
    "nodejs26.x",
    "python3.13",
    "python3.14",
    "nodejs16.x",
    "python3.15",
    "provided.al2",
    "nodejs4.3-edge",
    "nodejs18.x",
    "ruby3.2",
    "python3.4",
    "ruby3.3",
    "ruby3.4",
    "ruby2.5",
    "python3.6",
    "python2.7",
];

/// The current runtimes, as PublishLayerVersion's validation message lists them.
const LAYER_RUNTIMES: &[&str] = &[
    "nodejs20.x",
    "python3.14",
    "provided.al2023",
    "python3.12",
    "python3.13",
    "nodejs24.x",
    "nodejs22.x",
    "java25",
    "python3.10",
    "python3.11",
    "java21",
    "ruby3.3",
    "ruby3.4",
    "ruby3.2",
    "python3.8",
    "python3.9",
    "java17",
    "nodejs16.x",
    "dotnet10",
    "dotnet8",
    "java11",
    "dotnet6",
    "nodejs18.x",
    "provided.al2",
    "java8.al2",
];

fn layer_arn(ctx: &RequestContext, name: &str) -> String {
    format!(
        "arn:aws:lambda:{}:{}:layer:{name}",
        ctx.region,
        ctx.account_id()
    )
}

/// A layer name may be given as a name or a layer ARN.
fn layer_name(input: &Input) -> Result<String, AwsError> {
    let raw = input.req_str("LayerName")?;
    Ok(raw.rsplit(':').next().unwrap_or(raw).to_string())
}

fn version_number(input: &Input) -> Result<u64, AwsError> {
    let v = input.i64("VersionNumber").unwrap_or(0);
    if v < 1 {
        return Err(errors::invalid_parameter(
            "Layer Version Cannot be less than 1",
        ));
    }
    Ok(v as u64)
}

fn render(lv: &LayerVersion, with_content: bool) -> Value {
    let mut m = lv.info.clone();
    if !with_content {
        m.shift_remove("Content");
        m.shift_remove("LayerArn");
    }
    super::state::sort_keys(m)
}

fn check_compat(runtimes: &[String], archs: &[String]) -> Result<(), AwsError> {
    let mut v = Violations::default();
    // The two messages are worded differently; both are AWS's.
    if runtimes
        .iter()
        .any(|r| !HISTORIC_RUNTIMES.contains(&r.as_str()))
    {
        v.push(
            &format!("[{}]", runtimes.join(", ")),
            "compatibleRuntimes",
            &format!(
                "Member must satisfy enum value set: [{}]",
                LAYER_RUNTIMES.join(", ")
            ),
        );
    }
    if archs.iter().any(|a| a != "x86_64" && a != "arm64") {
        v.push(
            &format!("[{}]", archs.join(", ")),
            "compatibleArchitectures",
            "Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64], Member must not be null]",
        );
    }
    v.into_result()
}

pub fn publish(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let name = layer_name(input)?;
    let runtimes = input.strings("CompatibleRuntimes").unwrap_or_default();
    let archs = input.strings("CompatibleArchitectures").unwrap_or_default();
    check_compat(&runtimes, &archs)?;
    let content = input.obj("Content").cloned().unwrap_or_default();
    let bundle = code::load(
        code::CodeSource {
            zip_file: content.get("ZipFile").and_then(Value::as_str),
            s3_bucket: content.get("S3Bucket").and_then(Value::as_str),
            image_uri: None,
        },
        lambda.code_id(),
    )?;
    lambda.with_state(ctx, |st| {
        let layer = st.layers.entry(name.clone()).or_insert_with(|| Layer {
            next_version: 1,
            ..Layer::default()
        });
        let n = layer.next_version;
        layer.next_version += 1;
        let arn = layer_arn(ctx, &name);
        let version_arn = format!("{arn}:{n}");
        let mut info = Map::new();
        info.insert("CompatibleArchitectures".into(), json!(archs));
        info.insert("CompatibleRuntimes".into(), json!(runtimes));
        info.insert(
            "Content".into(),
            json!({
                "CodeSha256": bundle.sha256,
                "CodeSize": bundle.size,
                "Location": format!("https://awslambda-{}-layers.s3.{}.amazonaws.com/snapshots/{}/{name}-{}", ctx.region, ctx.region, ctx.account_id(), bundle.id),
            }),
        );
        info.insert("CreatedDate".into(), lambda_timestamp().into());
        info.insert(
            "Description".into(),
            input.str("Description").unwrap_or("").into(),
        );
        info.insert("LayerArn".into(), arn.into());
        info.insert("LayerVersionArn".into(), version_arn.clone().into());
        if let Some(l) = input.str("LicenseInfo") {
            info.insert("LicenseInfo".into(), l.into());
        }
        info.insert("Version".into(), n.into());
        let lv = LayerVersion {
            info,
            code: bundle.clone(),
            policy: Policy::default(),
            policy_revision: new_revision(),
        };
        let out = render(&lv, true);
        layer.versions.insert(n, lv);
        st.layer_code.insert(version_arn, bundle);
        Ok(out)
    })
}

pub fn get(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let name = layer_name(input)?;
    let n = version_number(input)?;
    lambda.with_state(ctx, |st| {
        st.layers
            .get(&name)
            .and_then(|l| l.versions.get(&n))
            .map(|lv| render(lv, true))
            .ok_or_else(errors::resource_missing)
    })
}

pub fn get_by_arn(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let arn = input.req_str("Arn")?;
    if !LAYER_VERSION_ARN.is_match(arn) {
        let mut v = Violations::default();
        v.push(
            arn,
            "arn",
            &format!("Member must satisfy regular expression pattern: {LAYER_VERSION_ARN_PATTERN}"),
        );
        v.into_result()?;
    }
    // arn:aws:lambda:region:account:layer:name:version (AWS-managed `awslayer` ARNs have no
    // version and are never stored here).
    let parts: Vec<&str> = arn.split(':').collect();
    let field = |i: usize| parts.get(i).copied().unwrap_or_default();
    let (account, name, n) = (field(4), field(6), field(7).parse::<u64>().unwrap_or(0));
    if account != ctx.account_id() || field(3) != ctx.region {
        return Err(errors::resource_missing());
    }
    lambda.with_state(ctx, |st| {
        st.layers
            .get(name)
            .and_then(|l| l.versions.get(&n))
            .map(|lv| render(lv, true))
            .ok_or_else(errors::resource_missing)
    })
}

fn filter_args(input: &Input) -> Result<(Option<String>, Option<String>), AwsError> {
    let runtime = input.str("CompatibleRuntime").map(str::to_string);
    let arch = input.str("CompatibleArchitecture").map(str::to_string);
    let mut v = Violations::default();
    if let Some(r) = &runtime {
        if !HISTORIC_RUNTIMES.contains(&r.as_str()) {
            v.push(
                r,
                "compatibleRuntime",
                &format!(
                    "Member must satisfy enum value set: [{}]",
                    HISTORIC_RUNTIMES.join(", ")
                ),
            );
        }
    }
    if let Some(a) = &arch {
        if a != "x86_64" && a != "arm64" {
            v.push(
                a,
                "compatibleArchitecture",
                "Member must satisfy enum value set: [x86_64, arm64]",
            );
        }
    }
    v.into_result()?;
    Ok((runtime, arch))
}

fn matches(lv: &LayerVersion, runtime: &Option<String>, arch: &Option<String>) -> bool {
    let has = |key: &str, want: &Option<String>| {
        want.as_ref().is_none_or(|w| {
            lv.info
                .get(key)
                .and_then(Value::as_array)
                .is_some_and(|a| a.iter().any(|x| x == w.as_str()))
        })
    };
    has("CompatibleRuntimes", runtime) && has("CompatibleArchitectures", arch)
}

pub fn list_versions(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let name = layer_name(input)?;
    let (runtime, arch) = filter_args(input)?;
    let items = lambda.with_state(ctx, |st| {
        Ok(st
            .layers
            .get(&name)
            .map(|l| {
                l.versions
                    .values()
                    .rev()
                    .filter(|lv| matches(lv, &runtime, &arch))
                    .map(|lv| render(lv, false))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default())
    })?;
    let (page, next) = paginate(&items, input)?;
    let mut out = json!({"LayerVersions": page});
    if let Some(n) = next {
        out["NextMarker"] = json!(n);
    }
    Ok(out)
}

pub fn list(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let (runtime, arch) = filter_args(input)?;
    let items = lambda.with_state(ctx, |st| {
        Ok(st
            .layers
            .iter()
            .filter_map(|(name, l)| {
                let latest = l
                    .versions
                    .values()
                    .rev()
                    .find(|lv| matches(lv, &runtime, &arch))?;
                Some(json!({
                    "LatestMatchingVersion": render(latest, false),
                    "LayerArn": layer_arn(ctx, name),
                    "LayerName": name,
                }))
            })
            .collect::<Vec<_>>())
    })?;
    let (page, next) = paginate(&items, input)?;
    let mut out = json!({"Layers": page});
    if let Some(n) = next {
        out["NextMarker"] = json!(n);
    }
    Ok(out)
}

pub fn delete(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let name = layer_name(input)?;
    let n = version_number(input)?;
    lambda.with_state(ctx, |st| {
        // Deleting what is not there succeeds, as on AWS.
        if let Some(l) = st.layers.get_mut(&name) {
            l.versions.remove(&n);
        }
        Ok(json!({}))
    })
}

pub fn add_permission(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let name = layer_name(input)?;
    let n = version_number(input)?;
    let sid = input.req_str("StatementId")?;
    policy::check_statement_id(sid)?;
    let principal = input.req_str("Principal")?;
    let principal = if principal == "*" {
        json!("*")
    } else {
        policy::principal(principal)?
    };
    let action = input.req_str("Action")?;
    lambda.with_state(ctx, |st| {
        let lv = st
            .layers
            .get_mut(&name)
            .and_then(|l| l.versions.get_mut(&n))
            .ok_or_else(errors::resource_missing)?;
        if let Some(r) = input.str("RevisionId") {
            if r != lv.policy_revision {
                return Err(errors::precondition("GetLayerPolicy"));
            }
        }
        if lv.policy.statements.iter().any(|s| s["Sid"] == sid) {
            return Err(errors::conflict(format!(
                "The statement id ({sid}) provided already exists. Please provide a new statement id, or remove the existing statement."
            )));
        }
        let mut statement = Map::new();
        statement.insert("Sid".into(), sid.into());
        statement.insert("Effect".into(), "Allow".into());
        statement.insert("Principal".into(), principal);
        statement.insert("Action".into(), action.into());
        statement.insert(
            "Resource".into(),
            format!("{}:{n}", layer_arn(ctx, &name)).into(),
        );
        if let Some(org) = input.str("OrganizationId") {
            statement.insert(
                "Condition".into(),
                json!({"StringEquals": {"aws:PrincipalOrgID": org}}),
            );
        }
        let statement = Value::Object(statement);
        lv.policy.statements.push(statement.clone());
        lv.policy_revision = new_revision();
        Ok(json!({"RevisionId": lv.policy_revision, "Statement": statement.to_string()}))
    })
}

pub fn remove_permission(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let name = layer_name(input)?;
    let n = version_number(input)?;
    let sid = input.req_str("StatementId")?;
    lambda.with_state(ctx, |st| {
        let lv = st
            .layers
            .get_mut(&name)
            .and_then(|l| l.versions.get_mut(&n))
            .ok_or_else(errors::resource_missing)?;
        if let Some(r) = input.str("RevisionId") {
            if r != lv.policy_revision {
                return Err(errors::precondition("GetLayerPolicy"));
            }
        }
        let before = lv.policy.statements.len();
        lv.policy.statements.retain(|s| s["Sid"] != sid);
        if lv.policy.statements.len() == before {
            return Err(errors::not_found(format!(
                "Statement {sid} is not found in resource policy."
            )));
        }
        lv.policy_revision = new_revision();
        Ok(json!({}))
    })
}

pub fn get_policy(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let name = layer_name(input)?;
    let n = version_number(input)?;
    lambda.with_state(ctx, |st| {
        let lv = st
            .layers
            .get(&name)
            .and_then(|l| l.versions.get(&n))
            .ok_or_else(errors::resource_missing)?;
        if lv.policy.statements.is_empty() {
            return Err(errors::not_found(
                "No policy is associated with the given resource.",
            ));
        }
        Ok(json!({
            "Policy": policy::document(&lv.policy.statements),
            "RevisionId": lv.policy_revision,
        }))
    })
}
