//! Functions: create, read, list, delete, and the two updates, with AWS's validation.

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};
use std::time::Instant;

use regex::Regex;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::code::{self, CodeSource};
use super::input::Input;
use super::names::{self, NameUse, Violations};
use super::state::{
    lambda_timestamp, new_revision, Function, FunctionVersion, GetFunctionCache, Lifecycle,
    RegionState, SETTLE_DELAY,
};
use super::{
    errors, function_ref, lookup, paginate, qualified_arn, unqualified_arn, versions, Lambda,
};
use crate::service::{AwsError, HandlerResult, RequestContext, SharedHandlerResult};

/// The runtimes AWS accepts for new functions, in the order its error message lists them.
const SUPPORTED_RUNTIMES: &[&str] = &[
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

/// Runtimes the model still names but AWS no longer accepts for creates and updates.
const DEPRECATED_RUNTIMES: &[&str] = &[
    "nodejs",
    "nodejs4.3",
    "nodejs6.10",
    "nodejs8.10",
    "nodejs10.x",
    "nodejs12.x",
    "nodejs14.x",
    "java8",
    "python2.7",
    "python3.6",
    "python3.7",
    "dotnetcore1.0",
    "dotnetcore2.0",
    "dotnetcore2.1",
    "dotnetcore3.1",
    "nodejs4.3-edge",
    "go1.x",
    "ruby2.5",
    "ruby2.7",
    "provided",
];

const ROLE_PATTERN: &str = r"arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+";
static ROLE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!("^(?:{ROLE_PATTERN})$")).expect("valid regex"));
const LAYER_PATTERN: &str = r"(arn:(aws[a-zA-Z-]*)?:lambda:(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+)|(arn:[a-zA-Z0-9-]+:lambda:::awslayer:[a-zA-Z0-9-_]+)";
static LAYER_ARN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!("^(?:{LAYER_PATTERN})$")).expect("valid regex"));

fn check_role(role: &str) -> Result<(), AwsError> {
    if ROLE.is_match(role) {
        return Ok(());
    }
    let mut v = Violations::default();
    v.push(
        role,
        "role",
        &format!("Member must satisfy regular expression pattern: {ROLE_PATTERN}"),
    );
    v.into_result()
}

fn check_runtime(runtime: &str) -> Result<(), AwsError> {
    if SUPPORTED_RUNTIMES.contains(&runtime) {
        return Ok(());
    }
    if DEPRECATED_RUNTIMES.contains(&runtime) {
        return Err(errors::invalid_parameter(format!(
            "The runtime parameter of {runtime} is no longer supported for creating or updating AWS Lambda functions. We recommend you use a supported runtime while creating or updating functions."
        )));
    }
    Err(errors::invalid_parameter(format!(
        "Value {runtime} at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [{}] or be a valid ARN",
        SUPPORTED_RUNTIMES.join(", ")
    )))
}

fn check_architectures(archs: &[Value]) -> Result<Vec<Value>, AwsError> {
    let shown = format!(
        "[{}]",
        archs
            .iter()
            .map(|a| a.as_str().unwrap_or("null").to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut v = Violations::default();
    if archs.len() > 1 {
        v.push(
            &shown,
            "architectures",
            "Member must have length less than or equal to 1",
        );
    } else if archs.is_empty() {
        v.push(
            &shown,
            "architectures",
            "Member must have length greater than or equal to 1",
        );
    } else if !matches!(archs[0].as_str(), Some("x86_64" | "arm64")) {
        v.push(
            &shown,
            "architectures",
            "Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64], Member must not be null]",
        );
    }
    v.into_result()?;
    Ok(archs.to_vec())
}

fn check_limits(input: &Input) -> Result<(), AwsError> {
    let mut v = Violations::default();
    if let Some(t) = input.i64("Timeout") {
        if t < 1 {
            v.push(
                &t.to_string(),
                "timeout",
                "Member must have value greater than or equal to 1",
            );
        } else if t > 900 {
            v.push(
                &t.to_string(),
                "timeout",
                "Member must have value less than or equal to 900",
            );
        }
    }
    if let Some(m) = input.i64("MemorySize") {
        if m < 128 {
            v.push(
                &m.to_string(),
                "memorySize",
                "Member must have value greater than or equal to 128",
            );
        } else if m > 10240 {
            v.push(
                &m.to_string(),
                "memorySize",
                "Member must have value less than or equal to 10240",
            );
        }
    }
    // SnapStart.ApplyOn is an enum in the model; AWS checks it with the other constraints.
    if let Some(apply) = input
        .obj("SnapStart")
        .and_then(|s| s.get("ApplyOn"))
        .and_then(Value::as_str)
    {
        if !["PublishedVersions", "None"].contains(&apply) {
            v.push(
                apply,
                "snapStart.applyOn",
                "Member must satisfy enum value set: [PublishedVersions, None]",
            );
        }
    }
    if let Some(vpc) = input.obj("VpcConfig") {
        for (member, field, pattern) in [
            (
                "SecurityGroupIds",
                "vpcConfig.securityGroupIds",
                "sg-[0-9a-zA-Z]*",
            ),
            ("SubnetIds", "vpcConfig.subnetIds", "subnet-[0-9a-z]*"),
        ] {
            let ids = string_list(vpc.get(member));
            let re = Regex::new(&format!("^{pattern}$")).expect("valid regex");
            if ids.iter().any(|id| !re.is_match(id) || id.len() > 1024) {
                v.push(
                    &format!("[{}]", ids.join(", ")),
                    field,
                    &format!("Member must satisfy constraint: [Member must have length less than or equal to 1024, Member must have length greater than or equal to 0, Member must satisfy regular expression pattern: {pattern}]"),
                );
            }
        }
    }
    v.into_result()
}

fn string_list(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// VPC resources a VpcConfig names must exist. The emulator has no EC2, so the emulated
/// account owns no security groups or subnets: any id named is missing, answered as AWS
/// answers it (security groups are checked before subnets).
fn check_vpc_resources(input: &Input) -> Result<(), AwsError> {
    let Some(vpc) = input.obj("VpcConfig") else {
        return Ok(());
    };
    if let Some(sg) = string_list(vpc.get("SecurityGroupIds")).first() {
        return Err(errors::invalid_parameter(format!(
            "Error occurred while DescribeSecurityGroups. EC2 Error Code: InvalidGroup.NotFound. EC2 Error Message: The security group '{sg}' does not exist"
        )));
    }
    if let Some(subnet) = string_list(vpc.get("SubnetIds")).first() {
        return Err(errors::invalid_parameter(format!(
            "Error occurred while DescribeSubnets. EC2 Error Code: InvalidSubnetID.NotFound. EC2 Error Message: The subnet ID '{subnet}' does not exist"
        )));
    }
    Ok(())
}

/// Resolve `Layers` to `[{Arn, CodeSize}]` against the stored layers, with AWS's checks.
pub fn resolve_layers(
    st: &RegionState,
    ctx: &RequestContext,
    arns: &[String],
) -> Result<Vec<Value>, AwsError> {
    if arns.iter().any(|a| !LAYER_ARN.is_match(a)) {
        let mut v = Violations::default();
        v.push(
            &format!("[{}]", arns.join(", ")),
            "layers",
            &format!("Member must satisfy constraint: [Member must have length less than or equal to 2048, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: {LAYER_PATTERN}, Member must not be null]"),
        );
        return v.into_result().map(|_| Vec::new());
    }
    if arns.len() > 5 {
        return Err(errors::invalid_parameter(
            "Cannot reference more than 5 layers.",
        ));
    }
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    let mut out = Vec::new();
    for arn in arns {
        let parts: Vec<&str> = arn.split(':').collect();
        // arn:aws:lambda:region:account:layer:name:version (`awslayer` ARNs lack parts).
        let field = |i: usize| parts.get(i).copied().unwrap_or_default();
        let (region, account, name, version) = (field(3), field(4), field(6), field(7));
        if region != ctx.region {
            return Err(errors::invalid_parameter(format!(
                "Layers are not in the same region as the function. Layers are expected to be in region {}.",
                ctx.region
            )));
        }
        let layer_key = format!("{region}:{account}:{name}");
        if let Some(prev) = seen.get(&layer_key) {
            return Err(errors::invalid_parameter(format!(
                "Two different versions of the same layer are not allowed to be referenced in the same function. {prev} and {arn} are versions of the same layer."
            )));
        }
        seen.insert(layer_key, arn);
        let size = (account == ctx.account_id())
            .then(|| st.layers.get(name))
            .flatten()
            .and_then(|l| l.versions.get(&version.parse::<u64>().unwrap_or(0)))
            .map(|lv| lv.code.size);
        match size {
            Some(size) => out.push(json!({"Arn": arn, "CodeSize": size})),
            None => {
                return Err(errors::invalid_parameter(format!(
                    "Layer version {arn} does not exist."
                )))
            }
        }
    }
    Ok(out)
}

fn runtime_version_arn(region: &str, runtime: &str) -> String {
    let digest = Sha256::digest(runtime.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("arn:aws:lambda:{region}::runtime:{hex}")
}

fn vpc_config(v: &Map<String, Value>) -> Value {
    let subnets = v.get("SubnetIds").cloned().unwrap_or(json!([]));
    let groups = v.get("SecurityGroupIds").cloned().unwrap_or(json!([]));
    let empty = subnets.as_array().is_none_or(|a| a.is_empty());
    json!({
        "Ipv6AllowedForDualStack": v.get("Ipv6AllowedForDualStack").cloned().unwrap_or(json!(false)),
        "SecurityGroupIds": groups,
        "SubnetIds": subnets,
        // Unreachable with subnets while the emulator has no EC2 (check_vpc_resources refuses
        // every id); kept so VpcConfig renders right once subnets can exist.
        "VpcId": if empty { json!("") } else { json!(format!("vpc-{}", &hex_of(&subnets.to_string())[..17])) },
    })
}

fn hex_of(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn logging_config(
    name: &str,
    given: Option<&Map<String, Value>>,
    current: Option<&Value>,
) -> Value {
    let mut m = current
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_else(|| {
            let mut m = Map::new();
            m.insert("LogFormat".into(), "Text".into());
            m.insert("LogGroup".into(), format!("/aws/lambda/{name}").into());
            m
        });
    if let Some(g) = given {
        for (k, v) in g {
            m.insert(k.clone(), v.clone());
        }
    }
    // JSON logs carry log levels; AWS fills INFO for the ones not given.
    if m.get("LogFormat").and_then(Value::as_str) == Some("JSON") {
        m.entry("ApplicationLogLevel").or_insert("INFO".into());
        m.entry("SystemLogLevel").or_insert("INFO".into());
    } else {
        m.shift_remove("ApplicationLogLevel");
        m.shift_remove("SystemLogLevel");
    }
    super::state::sort_keys(m)
}

/// Copy the configuration members an update or create may set onto `config`.
fn apply_settings(
    config: &mut Map<String, Value>,
    input: &Input,
    name: &str,
    region: &str,
    layers: Option<Vec<Value>>,
) {
    for key in [
        "Role",
        "Handler",
        "Description",
        "Timeout",
        "MemorySize",
        "KMSKeyArn",
    ] {
        if let Some(v) = input.get(key) {
            config.insert(key.into(), v.clone());
        }
    }
    if let Some(rt) = input.str("Runtime") {
        config.insert("Runtime".into(), rt.into());
        config.insert(
            "RuntimeVersionConfig".into(),
            json!({"RuntimeVersionArn": runtime_version_arn(region, rt)}),
        );
    }
    if let Some(env) = input.obj("Environment") {
        let vars = env.get("Variables").cloned().unwrap_or(json!({}));
        config.insert("Environment".into(), json!({"Variables": vars}));
    }
    if let Some(t) = input.obj("TracingConfig") {
        config.insert(
            "TracingConfig".into(),
            json!({"Mode": t.get("Mode").cloned().unwrap_or(json!("PassThrough"))}),
        );
    }
    if let Some(e) = input.obj("EphemeralStorage") {
        config.insert("EphemeralStorage".into(), Value::Object(e.clone()));
    }
    if let Some(v) = input.obj("VpcConfig") {
        config.insert("VpcConfig".into(), vpc_config(v));
    }
    if let Some(d) = input.obj("DeadLetterConfig") {
        if d.get("TargetArn")
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty())
        {
            config.insert("DeadLetterConfig".into(), Value::Object(d.clone()));
        } else {
            config.shift_remove("DeadLetterConfig");
        }
    }
    if let Some(s) = input.obj("SnapStart") {
        let apply = s.get("ApplyOn").cloned().unwrap_or(json!("None"));
        config.insert(
            "SnapStart".into(),
            // $LATEST is never optimized; published versions are (see versions::publish_now).
            json!({"ApplyOn": apply, "OptimizationStatus": "Off"}),
        );
    }
    if input.has("LoggingConfig") || !config.contains_key("LoggingConfig") {
        let current = config.get("LoggingConfig").cloned();
        config.insert(
            "LoggingConfig".into(),
            logging_config(name, input.obj("LoggingConfig"), current.as_ref()),
        );
    }
    if let Some(layers) = layers {
        if layers.is_empty() {
            config.shift_remove("Layers");
        } else {
            config.insert("Layers".into(), Value::Array(layers));
        }
    }
}

pub fn create(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let fref = names::resolve(
        input.req_str("FunctionName")?,
        None,
        ctx.account_id(),
        &ctx.region,
        NameUse::Create,
    )?;
    let name = fref.name;
    check_role(input.req_str("Role")?)?;
    let package_type = input.str("PackageType").unwrap_or("Zip");
    if package_type == "Zip" {
        match (input.str("Runtime"), input.str("Handler")) {
            (Some(rt), Some(_)) => check_runtime(rt)?,
            _ => {
                return Err(errors::invalid_parameter(
                    "Runtime and Handler are mandatory parameters for functions created with deployment packages.",
                ))
            }
        }
    }
    let archs = match input.array("Architectures") {
        Some(a) => check_architectures(a)?,
        None => vec![json!("x86_64")],
    };
    check_limits(input)?;
    check_vpc_resources(input)?;
    if let Some(s) = input.obj("SnapStart") {
        if s.get("ApplyOn").and_then(Value::as_str) == Some("PublishedVersions")
            && !input.str("Runtime").is_some_and(|r| {
                r.starts_with("java") || r.starts_with("python3.1") || r.starts_with("dotnet")
            })
        {
            return Err(errors::invalid_parameter(format!(
                "{} is not supported for SnapStart enabled functions.",
                input.str("Runtime").unwrap_or("")
            )));
        }
    }
    let tags = super::tags::parse_tags(input.obj("Tags"))?;
    let code_input = input.obj("Code").cloned().unwrap_or_default();
    let bundle = code::load(
        CodeSource {
            zip_file: code_input.get("ZipFile").and_then(Value::as_str),
            s3_bucket: code_input.get("S3Bucket").and_then(Value::as_str),
            image_uri: code_input.get("ImageUri").and_then(Value::as_str),
        },
        lambda.code_id(),
    )?;

    lambda.with_state(ctx, |st| {
        if st.functions.contains_key(&name) {
            return Err(errors::conflict(format!("Function already exist: {name}")));
        }
        let layers = match input.strings("Layers") {
            Some(l) => Some(resolve_layers(st, ctx, &l)?),
            None => None,
        };
        let mut config = Map::new();
        config.insert("Architectures".into(), Value::Array(archs));
        config.insert("CodeSha256".into(), bundle.sha256.clone().into());
        config.insert("CodeSize".into(), bundle.size.into());
        config.insert("Description".into(), "".into());
        config.insert("EphemeralStorage".into(), json!({"Size": 512}));
        config.insert("FunctionArn".into(), unqualified_arn(ctx, &name).into());
        config.insert("FunctionName".into(), name.clone().into());
        config.insert("LastModified".into(), lambda_timestamp().into());
        config.insert("MemorySize".into(), 128.into());
        config.insert("PackageType".into(), package_type.into());
        config.insert(
            "SnapStart".into(),
            json!({"ApplyOn": "None", "OptimizationStatus": "Off"}),
        );
        config.insert("Timeout".into(), 3.into());
        config.insert("TracingConfig".into(), json!({"Mode": "PassThrough"}));
        config.insert("Version".into(), "$LATEST".into());
        apply_settings(&mut config, input, &name, &ctx.region, layers);

        let latest = FunctionVersion {
            config,
            code: bundle,
            lifecycle: Lifecycle::Creating,
            settle_at: Some(Instant::now() + SETTLE_DELAY),
            revision_id: new_revision(),
            unpublished: true,
        };
        let mut function = Function {
            name: name.clone(),
            latest,
            versions: BTreeMap::new(),
            next_version: 1,
            aliases: BTreeMap::new(),
            policies: BTreeMap::new(),
            tags,
            reserved_concurrency: None,
            provisioned: BTreeMap::new(),
            url_configs: BTreeMap::new(),
            event_invoke_configs: BTreeMap::new(),
            recursion: "Terminate".into(),
            runtime_management: BTreeMap::new(),
            code_signing_config_arn: input.str("CodeSigningConfigArn").map(str::to_string),
            get_cache: None,
        };
        let mut answer = function.latest.render();
        if input.bool("Publish") == Some(true) {
            versions::publish_now(
                ctx,
                &mut function,
                input.str("Description"),
                Lifecycle::Active,
            );
            // AWS answers the create itself with the number it is publishing.
            answer["Version"] = json!((function.next_version - 1).to_string());
        }
        st.functions.insert(name, function);
        Ok(answer)
    })
}

/// The function version a lookup input names, or AWS's 404 naming what was asked.
fn version_of<'a>(
    f: &'a Function,
    ctx: &RequestContext,
    qualifier: Option<&str>,
) -> Result<&'a FunctionVersion, AwsError> {
    f.version(qualifier).ok_or_else(|| {
        errors::function_not_found(&qualified_arn(ctx, &f.name, qualifier.unwrap_or("$LATEST")))
    })
}

/// The configuration as answered for a qualifier: AWS names the function by the qualifier asked
/// for (`:$LATEST`, `:alias`), not by the version it resolves to.
fn render_qualified(
    v: &FunctionVersion,
    ctx: &RequestContext,
    name: &str,
    qualifier: Option<&str>,
) -> Value {
    let mut out = v.render();
    if let Some(q) = qualifier {
        out["FunctionArn"] = json!(qualified_arn(ctx, name, q));
    }
    out
}

fn not_found_for(ctx: &RequestContext, name: &str, qualifier: Option<&str>) -> AwsError {
    match qualifier {
        Some(q) => errors::function_not_found(&qualified_arn(ctx, name, q)),
        None => errors::function_not_found(&unqualified_arn(ctx, name)),
    }
}

pub fn get(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    get_shared(lambda, ctx, input).map(Arc::unwrap_or_clone)
}

/// GetFunction, answering the function's cached output while no other Lambda operation has
/// touched the state since it was built (the hot path of GetFunction polling and benchmarks).
pub fn get_shared(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> SharedHandlerResult {
    let fref = function_ref(ctx, input)?;
    lambda.with_state_for_get_function(ctx, |st, generation| {
        let Some(f) = st.functions.get_mut(&fref.name) else {
            return Err(not_found_for(ctx, &fref.name, fref.qualifier.as_deref()));
        };
        if f.settle(Instant::now()) {
            // A state transition happened here: no other access saw it, so bump ourselves.
            *generation += 1;
        }
        if let Some(c) = &f.get_cache {
            if c.generation == *generation && c.qualifier == fref.qualifier {
                return Ok(c.output.clone());
            }
        }
        let output = Arc::new(render_get(f, ctx, fref.qualifier.as_deref())?);
        f.get_cache = Some(GetFunctionCache {
            generation: *generation,
            qualifier: fref.qualifier.clone(),
            output: output.clone(),
        });
        Ok(output)
    })
}

fn render_get(f: &Function, ctx: &RequestContext, qualifier: Option<&str>) -> HandlerResult {
    let v = version_of(f, ctx, qualifier)?;
    let mut out = Map::new();
    out.insert(
        "Code".into(),
        json!({
            "Location": format!(
                "https://awslambda-{}-tasks.s3.{}.amazonaws.com/snapshots/{}/{}-{}",
                ctx.region, ctx.region, ctx.account_id(), f.name, v.code.id
            ),
            "RepositoryType": "S3",
        }),
    );
    out.insert(
        "Configuration".into(),
        render_qualified(v, ctx, &f.name, qualifier),
    );
    if !f.tags.is_empty() && qualifier.is_none() {
        out.insert("Tags".into(), json!(f.tags));
    }
    if let Some(r) = f.reserved_concurrency {
        out.insert(
            "Concurrency".into(),
            json!({"ReservedConcurrentExecutions": r}),
        );
    }
    Ok(Value::Object(out))
}

pub fn get_configuration(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let fref = function_ref(ctx, input)?;
    lambda.with_state(ctx, |st| {
        let Some(f) = st.functions.get_mut(&fref.name) else {
            return Err(not_found_for(ctx, &fref.name, fref.qualifier.as_deref()));
        };
        f.settle(Instant::now());
        let v = version_of(f, ctx, fref.qualifier.as_deref())?;
        Ok(render_qualified(v, ctx, &f.name, fref.qualifier.as_deref()))
    })
}

pub fn list(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let all = match input.str("FunctionVersion") {
        None => false,
        Some("ALL") => true,
        Some(other) => {
            let mut v = Violations::default();
            v.push(
                other,
                "functionVersion",
                "Member must satisfy enum value set: [ALL]",
            );
            return v.into_result().map(|_| Value::Null);
        }
    };
    let items: Vec<Value> = lambda.with_state(ctx, |st| {
        let now = Instant::now();
        let mut items = Vec::new();
        for f in st.functions.values_mut() {
            f.settle(now);
            let mut latest = f.latest.render_listed();
            if all {
                latest["FunctionArn"] = json!(qualified_arn(ctx, &f.name, "$LATEST"));
                items.push(latest);
                items.extend(f.versions.values().map(FunctionVersion::render_listed));
            } else {
                items.push(latest);
            }
        }
        Ok(items)
    })?;
    let (page, next) = paginate(&items, input)?;
    let mut out = json!({"Functions": page});
    if let Some(n) = next {
        out["NextMarker"] = json!(n);
    }
    Ok(out)
}

pub fn delete(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let fref = function_ref(ctx, input)?;
    // AWS refuses $LATEST before looking the function up.
    if fref.qualifier.as_deref() == Some("$LATEST") {
        return Err(errors::invalid_parameter(
            "$LATEST version cannot be deleted without deleting the function.",
        ));
    }
    let removed = lambda.with_state(ctx, |st| {
        let Some(f) = st.functions.get_mut(&fref.name) else {
            return Err(errors::function_not_found(&unqualified_arn(ctx, &fref.name)));
        };
        match fref.qualifier.as_deref() {
            None => {
                st.functions.remove(&fref.name);
                Ok(None)
            }
            Some(q) => match q.parse::<u64>() {
                Ok(n) => {
                    if let Some(alias) = f.aliases.values().find(|a| a.function_version == q) {
                        return Err(errors::conflict(format!(
                            "Unable to delete version because the following aliases reference it: [{}]",
                            alias.name
                        )));
                    }
                    f.versions.remove(&n);
                    Ok(Some(q.to_string()))
                }
                Err(_) => Err(errors::invalid_parameter(
                    "Deletion of aliases is not currently supported.",
                )),
            },
        }
    })?;
    lambda.runtimes.retire(
        ctx.account_id(),
        &ctx.region,
        &fref.name,
        removed.as_deref(),
    );
    Ok(json!({"StatusCode": 204}))
}

/// The checks every write to $LATEST shares: revision precondition and no update in flight.
fn check_writable(
    f: &Function,
    ctx: &RequestContext,
    revision: Option<&str>,
) -> Result<(), AwsError> {
    if let Some(r) = revision {
        if r != f.latest.revision_id {
            return Err(errors::precondition("GetFunction/GetAlias"));
        }
    }
    if f.latest.is_pending() {
        return Err(errors::conflict(
            "The operation cannot be performed at this time. The function is currently in the following state: Pending",
        ));
    }
    if f.latest.is_updating() {
        return Err(errors::conflict(format!(
            "The operation cannot be performed at this time. An update is in progress for resource: {}",
            unqualified_arn(ctx, &f.name)
        )));
    }
    Ok(())
}

fn mark_updated(v: &mut FunctionVersion) {
    v.lifecycle = Lifecycle::Updating;
    v.settle_at = Some(Instant::now() + SETTLE_DELAY);
    v.revision_id = new_revision();
    v.unpublished = true;
    v.config
        .insert("LastModified".into(), lambda_timestamp().into());
}

pub fn update_code(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let fref = function_ref(ctx, input)?;
    let archs = match input.array("Architectures") {
        Some(a) => Some(check_architectures(a)?),
        None => None,
    };
    let answer = lambda.with_state(ctx, |st| {
        let f = lookup(st, ctx, &fref.name)?;
        if input.has("ImageUri") && f.latest.str("PackageType") == Some("Zip") {
            return Err(errors::invalid_parameter(
                "Please don't provide ImageUri when updating a function with packageType Zip.",
            ));
        }
        if input.has("ZipFile") && f.latest.str("PackageType") == Some("Image") {
            return Err(errors::invalid_parameter(
                "Please provide ImageUri when updating a function with packageType Image.",
            ));
        }
        check_writable(f, ctx, input.str("RevisionId"))?;
        let bundle = code::load(
            CodeSource {
                zip_file: input.str("ZipFile"),
                s3_bucket: input.str("S3Bucket"),
                image_uri: input.str("ImageUri"),
            },
            lambda.code_id(),
        )?;
        if input.bool("DryRun") == Some(true) {
            let mut preview = f.latest.render();
            preview["CodeSha256"] = json!(bundle.sha256);
            preview["CodeSize"] = json!(bundle.size);
            return Ok(preview);
        }
        let v = &mut f.latest;
        v.config
            .insert("CodeSha256".into(), bundle.sha256.clone().into());
        v.config.insert("CodeSize".into(), bundle.size.into());
        if let Some(a) = archs {
            v.config.insert("Architectures".into(), Value::Array(a));
        }
        v.code = bundle;
        mark_updated(v);
        if input.bool("Publish") == Some(true) {
            // AWS answers for the version being published, still being created.
            let n = versions::publish_now(ctx, f, None, Lifecycle::Creating);
            return Ok(f.versions[&n].render());
        }
        Ok(f.latest.render())
    })?;
    lambda
        .runtimes
        .retire(ctx.account_id(), &ctx.region, &fref.name, Some("$LATEST"));
    Ok(answer)
}

pub fn update_configuration(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let fref = function_ref(ctx, input)?;
    if let Some(role) = input.str("Role") {
        check_role(role)?;
    }
    if let Some(rt) = input.str("Runtime") {
        check_runtime(rt)?;
    }
    check_limits(input)?;
    check_vpc_resources(input)?;
    let answer = lambda.with_state(ctx, |st| {
        let layers = match input.strings("Layers") {
            Some(l) => Some(resolve_layers(st, ctx, &l)?),
            None => None,
        };
        let f = lookup(st, ctx, &fref.name)?;
        check_writable(f, ctx, input.str("RevisionId"))?;
        let name = f.name.clone();
        apply_settings(&mut f.latest.config, input, &name, &ctx.region, layers);
        mark_updated(&mut f.latest);
        Ok(f.latest.render())
    })?;
    lambda
        .runtimes
        .retire(ctx.account_id(), &ctx.region, &fref.name, Some("$LATEST"));
    Ok(answer)
}
