//! Event source mappings: stored and answered with AWS's defaults and state transitions
//! (Creating → Enabled/Disabled, Updating → …, Deleting → gone). No poller runs: the emulator
//! has no SQS, Kinesis or DynamoDB to read from.

use std::time::Instant;

use serde_json::{json, Map, Value};

use super::input::Input;
use super::state::{EventSourceMapping, RegionState, SETTLE_DELAY};
use super::{errors, paginate, Lambda};
use crate::service::{AwsError, HandlerResult, RequestContext};

fn rfc3339_now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Apply due transitions; mappings whose deletion finished disappear.
fn settle(st: &mut RegionState) {
    let now = Instant::now();
    st.event_source_mappings.retain(|_, m| match m.transition {
        Some((at, target)) if now >= at => match target {
            Some(state) => {
                m.value["State"] = state.into();
                m.transition = None;
                true
            }
            None => false,
        },
        _ => true,
    });
}

fn source_kind(arn: &str) -> &str {
    arn.split(':').nth(2).unwrap_or("")
}

/// Members every update may set.
const SETTABLE: &[&str] = &[
    "BatchSize",
    "FilterCriteria",
    "KMSKeyArn",
    "MetricsConfig",
    "ScalingConfig",
    "MaximumBatchingWindowInSeconds",
    "ParallelizationFactor",
    "DestinationConfig",
    "MaximumRecordAgeInSeconds",
    "BisectBatchOnFunctionError",
    "MaximumRetryAttempts",
    "TumblingWindowInSeconds",
    "FunctionResponseTypes",
    "SourceAccessConfigurations",
    "AmazonManagedKafkaEventSourceConfig",
    "SelfManagedKafkaEventSourceConfig",
    "DocumentDBEventSourceConfig",
    "ProvisionedPollerConfig",
];

fn function_arn_for(
    st: &RegionState,
    ctx: &RequestContext,
    name: &str,
) -> Result<String, AwsError> {
    let fref = super::names::resolve(
        name,
        None,
        ctx.account_id(),
        &ctx.region,
        super::names::NameUse::Lookup,
    )?;
    let Some(f) = st.functions.get(&fref.name) else {
        return Err(errors::invalid_parameter("Function does not exist"));
    };
    Ok(match &fref.qualifier {
        Some(q) => super::qualified_arn(ctx, &f.name, q),
        None => super::unqualified_arn(ctx, &f.name),
    })
}

pub fn create(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let source = input.str("EventSourceArn");
    if source.is_none() && !input.has("SelfManagedEventSource") {
        return Err(errors::invalid_parameter("Unrecognized event source."));
    }
    let kind = source.map(source_kind).unwrap_or("kafka");
    let streams = matches!(kind, "kinesis" | "dynamodb");
    if input.has("DestinationConfig") && !streams && kind != "kafka" {
        return Err(errors::invalid_parameter(
            "Unsupported DestinationConfig parameter for given event source mapping type.",
        ));
    }
    if streams && !input.has("StartingPosition") {
        return Err(errors::invalid_parameter(
            "1 validation error detected: Value null at 'startingPosition' failed to satisfy constraint: Member must not be null.",
        ));
    }
    let tags = super::tags::parse_tags(input.obj("Tags"))?;
    if source.is_none() {
        return create_self_managed(lambda, ctx, input, tags);
    }
    lambda.with_state(ctx, |st| {
        settle(st);
        let function_arn = function_arn_for(st, ctx, input.req_str("FunctionName")?)?;
        let id = uuid::Uuid::new_v4().to_string();
        let mut m = Map::new();
        let defaults: Value = if streams {
            json!({
                "BatchSize": 100, "BisectBatchOnFunctionError": false,
                "DestinationConfig": {"OnFailure": {}}, "FunctionResponseTypes": [],
                "LastProcessingResult": "No records processed",
                "MaximumBatchingWindowInSeconds": 0, "MaximumRecordAgeInSeconds": -1,
                "MaximumRetryAttempts": -1, "ParallelizationFactor": 1,
                "TumblingWindowInSeconds": 0,
            })
        } else if kind == "sqs" {
            json!({"BatchSize": 10, "FunctionResponseTypes": [], "MaximumBatchingWindowInSeconds": 0})
        } else {
            json!({"BatchSize": 100, "FunctionResponseTypes": [], "MaximumBatchingWindowInSeconds": 0,
                   "DestinationConfig": {"OnFailure": {}}})
        };
        if let Some(d) = defaults.as_object() {
            m.extend(d.clone());
        }
        for k in SETTABLE {
            if let Some(v) = input.get(k) {
                m.insert(k.to_string(), v.clone());
            }
        }
        for k in ["EventSourceArn", "StartingPosition", "StartingPositionTimestamp", "Topics",
                  "Queues", "SelfManagedEventSource"] {
            if let Some(v) = input.get(k) {
                m.insert(k.to_string(), v.clone());
            }
        }
        m.insert(
            "EventSourceMappingArn".into(),
            format!("arn:aws:lambda:{}:{}:event-source-mapping:{id}", ctx.region, ctx.account_id()).into(),
        );
        m.insert("FunctionArn".into(), function_arn.into());
        m.insert("LastModified".into(), rfc3339_now().into());
        m.insert("State".into(), "Creating".into());
        m.insert("StateTransitionReason".into(), "User action".into());
        m.insert("UUID".into(), id.clone().into());
        let value = super::state::sort_keys(m);
        let target = if input.bool("Enabled") == Some(false) { "Disabled" } else { "Enabled" };
        st.event_source_mappings.insert(
            id.clone(),
            EventSourceMapping {
                value: value.clone(),
                transition: Some((Instant::now() + SETTLE_DELAY, Some(target))),
            },
        );
        if !tags.is_empty() {
            st.esm_tags.insert(id, tags);
        }
        Ok(value)
    })
}

fn kafka_servers(v: &Value) -> Vec<String> {
    v.pointer("/SelfManagedEventSource/Endpoints/KAFKA_BOOTSTRAP_SERVERS")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Self-managed Kafka: no EventSourceArn, brokers in SelfManagedEventSource; AWS requires
/// credentials and refuses a second mapping for the same brokers, function and topics.
fn create_self_managed(
    lambda: &Lambda,
    ctx: &RequestContext,
    input: &Input,
    tags: std::collections::BTreeMap<String, String>,
) -> HandlerResult {
    if input
        .array("SourceAccessConfigurations")
        .is_none_or(|a| a.is_empty())
    {
        return Err(errors::invalid_parameter(
            "Required 'sourceAccessConfigurations' parameter is missing.",
        ));
    }
    let source = input
        .get("SelfManagedEventSource")
        .cloned()
        .unwrap_or_default();
    let servers = kafka_servers(&json!({"SelfManagedEventSource": source}));
    let topics = input.strings("Topics").unwrap_or_default();
    lambda.with_state(ctx, |st| {
        settle(st);
        let function_arn = function_arn_for(st, ctx, input.req_str("FunctionName")?)?;
        let duplicate = st.event_source_mappings.values().find(|m| {
            m.value["FunctionArn"] == function_arn.as_str()
                && kafka_servers(&m.value).iter().any(|s| servers.contains(s))
                && m.value["Topics"]
                    .as_array()
                    .is_some_and(|t| t.iter().any(|x| topics.iter().any(|y| x == y.as_str())))
        });
        if let Some(d) = duplicate {
            return Err(errors::conflict(format!(
                "An event source mapping with event source (\"{}\"), function (\"{function_arn}\"), topics (\"{}\") already exists. Please update or delete the existing mapping with UUID {}",
                servers.join(","),
                topics.join(","),
                d.value["UUID"].as_str().unwrap_or_default()
            )));
        }
        let id = uuid::Uuid::new_v4().to_string();
        let mut m = Map::new();
        m.insert("BatchSize".into(), input.get("BatchSize").cloned().unwrap_or(json!(100)));
        m.insert("FunctionArn".into(), function_arn.into());
        m.insert("LastModified".into(), rfc3339_now().into());
        m.insert("LastProcessingResult".into(), "No records processed".into());
        m.insert("SelfManagedEventSource".into(), source);
        m.insert(
            "SelfManagedKafkaEventSourceConfig".into(),
            input
                .get("SelfManagedKafkaEventSourceConfig")
                .cloned()
                .unwrap_or_else(|| json!({"ConsumerGroupId": id})),
        );
        for k in ["SourceAccessConfigurations", "Topics", "FilterCriteria", "MaximumBatchingWindowInSeconds"] {
            if let Some(v) = input.get(k) {
                m.insert(k.into(), v.clone());
            }
        }
        m.insert(
            "StartingPosition".into(),
            input.get("StartingPosition").cloned().unwrap_or(json!("TRIM_HORIZON")),
        );
        m.insert("State".into(), "Creating".into());
        m.insert("StateTransitionReason".into(), "USER_INITIATED".into());
        m.insert("UUID".into(), id.clone().into());
        let value = super::state::sort_keys(m);
        let target = if input.bool("Enabled") == Some(false) { "Disabled" } else { "Enabled" };
        st.event_source_mappings.insert(
            id.clone(),
            EventSourceMapping {
                value: value.clone(),
                transition: Some((Instant::now() + SETTLE_DELAY, Some(target))),
            },
        );
        if !tags.is_empty() {
            st.esm_tags.insert(id, tags);
        }
        Ok(value)
    })
}

pub fn get(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let id = input.req_str("UUID")?;
    lambda.with_state(ctx, |st| {
        settle(st);
        st.event_source_mappings
            .get(id)
            .map(|m| m.value.clone())
            .ok_or_else(errors::resource_missing)
    })
}

pub fn update(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let id = input.req_str("UUID")?;
    lambda.with_state(ctx, |st| {
        settle(st);
        let function_arn = match input.str("FunctionName") {
            Some(name) => Some(function_arn_for(st, ctx, name)?),
            None => None,
        };
        let m = st
            .event_source_mappings
            .get_mut(id)
            .ok_or_else(errors::resource_missing)?;
        if m.transition.is_some() {
            return Err(errors::conflict(format!(
                "The resource you requested is currently in use. Please try again later. (UUID: {id})"
            )));
        }
        let obj = m.value.as_object_mut().expect("stored as an object");
        for k in SETTABLE {
            if let Some(v) = input.get(k) {
                obj.insert(k.to_string(), v.clone());
            }
        }
        if let Some(f) = function_arn {
            obj.insert("FunctionArn".into(), f.into());
        }
        obj.insert("LastModified".into(), rfc3339_now().into());
        let enabled = match input.bool("Enabled") {
            Some(e) => e,
            None => obj.get("State").and_then(Value::as_str) != Some("Disabled"),
        };
        obj.insert("State".into(), "Updating".into());
        m.transition = Some((
            Instant::now() + SETTLE_DELAY,
            Some(if enabled { "Enabled" } else { "Disabled" }),
        ));
        Ok(m.value.clone())
    })
}

pub fn delete(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let id = input.req_str("UUID")?;
    lambda.with_state(ctx, |st| {
        settle(st);
        let m = st
            .event_source_mappings
            .get_mut(id)
            .ok_or_else(errors::resource_missing)?;
        m.value["State"] = "Deleting".into();
        m.transition = Some((Instant::now() + SETTLE_DELAY, None));
        let out = m.value.clone();
        st.esm_tags.remove(id);
        Ok(out)
    })
}

pub fn list(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let source = input.str("EventSourceArn");
    let function = input.str("FunctionName");
    let items = lambda.with_state(ctx, |st| {
        settle(st);
        // A filter, not a lookup: AWS answers an empty list for a missing function.
        let function_arn = match function {
            Some(name) => {
                let fref = super::names::resolve(
                    name,
                    None,
                    ctx.account_id(),
                    &ctx.region,
                    super::names::NameUse::Lookup,
                )?;
                Some(match &fref.qualifier {
                    Some(q) => super::qualified_arn(ctx, &fref.name, q),
                    None => super::unqualified_arn(ctx, &fref.name),
                })
            }
            None => None,
        };
        Ok(st
            .event_source_mappings
            .values()
            .filter(|m| source.is_none_or(|s| m.value["EventSourceArn"] == s))
            .filter(|m| {
                function_arn
                    .as_deref()
                    .is_none_or(|f| m.value["FunctionArn"] == f)
            })
            .map(|m| m.value.clone())
            .collect::<Vec<_>>())
    })?;
    let (page, next) = paginate(&items, input)?;
    let mut out = json!({"EventSourceMappings": page});
    if let Some(n) = next {
        out["NextMarker"] = json!(n);
    }
    Ok(out)
}
