//! Account settings, reserved concurrency and provisioned concurrency.

use std::time::Instant;

use serde_json::{json, Value};

use super::input::Input;
use super::names::Violations;
use super::state::{lambda_timestamp, Function, Provisioned, SETTLE_DELAY};
use super::{errors, function_ref, lookup, paginate, qualified_arn, Lambda};
use crate::service::{AwsError, HandlerResult, RequestContext};

/// What a fresh AWS account gets.
const ACCOUNT_CONCURRENCY: i64 = 1000;
/// AWS keeps this many executions unreserved.
const MIN_UNRESERVED: i64 = 100;

pub fn account_settings(lambda: &Lambda, ctx: &RequestContext, _input: &Input) -> HandlerResult {
    lambda.with_state(ctx, |st| {
        let reserved: i64 = st
            .functions
            .values()
            .filter_map(|f| f.reserved_concurrency)
            .sum();
        let code: u64 = st
            .functions
            .values()
            .map(|f| f.latest.code.size + f.versions.values().map(|v| v.code.size).sum::<u64>())
            .sum::<u64>()
            + st.layers
                .values()
                .flat_map(|l| l.versions.values())
                .map(|v| v.code.size)
                .sum::<u64>();
        Ok(json!({
            "AccountLimit": {
                "CodeSizeUnzipped": 262144000,
                "CodeSizeZipped": 52428800,
                "ConcurrentExecutions": ACCOUNT_CONCURRENCY,
                "TotalCodeSize": 80530636800u64,
                "UnreservedConcurrentExecutions": ACCOUNT_CONCURRENCY - reserved,
            },
            "AccountUsage": {
                "FunctionCount": st.functions.len(),
                "TotalCodeSize": code,
            },
        }))
    })
}

pub fn put_reserved(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let fref = function_ref(ctx, input)?;
    let wanted = input.i64("ReservedConcurrentExecutions").unwrap_or(-1);
    if wanted < 0 {
        let mut v = Violations::default();
        v.push(
            &wanted.to_string(),
            "reservedConcurrentExecutions",
            "Member must have value greater than or equal to 0",
        );
        v.into_result()?;
    }
    lambda.with_state(ctx, |st| {
        let others: i64 = st
            .functions
            .values()
            .filter(|f| f.name != fref.name)
            .filter_map(|f| f.reserved_concurrency)
            .sum();
        let f = lookup(st, ctx, &fref.name)?;
        if ACCOUNT_CONCURRENCY - others - wanted < MIN_UNRESERVED {
            // AWS sends this one without the `Type` member.
            return Err(errors::untyped(
                "InvalidParameterValueException",
                format!("Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [{MIN_UNRESERVED}]."),
                400,
            ));
        }
        let provisioned: i64 = f.provisioned.values().map(|p| p.requested).sum();
        if wanted < provisioned {
            // Wording (leading space, double space) and the missing `Type` are AWS's.
            return Err(errors::untyped(
                "InvalidParameterValueException",
                format!(" ReservedConcurrentExecutions  {wanted} should not be lower than function's total provisioned concurrency [{provisioned}]."),
                400,
            ));
        }
        f.reserved_concurrency = Some(wanted);
        Ok(json!({"ReservedConcurrentExecutions": wanted}))
    })
}

pub fn get_reserved(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let fref = function_ref(ctx, input)?;
    lambda.with_state(ctx, |st| {
        let f = lookup(st, ctx, &fref.name)?;
        Ok(match f.reserved_concurrency {
            Some(r) => json!({"ReservedConcurrentExecutions": r}),
            None => json!({}),
        })
    })
}

pub fn delete_reserved(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let fref = function_ref(ctx, input)?;
    lambda.with_state(ctx, |st| {
        lookup(st, ctx, &fref.name)?.reserved_concurrency = None;
        Ok(json!({}))
    })
}

/// The qualifier of a provisioned-concurrency call: a published version or an alias.
fn provisioned_target(
    ctx: &RequestContext,
    f: Option<&Function>,
    name: &str,
    qualifier: Option<&str>,
    latest_message: &str,
) -> Result<String, AwsError> {
    let q = qualifier.unwrap_or("$LATEST");
    if q == "$LATEST" {
        return Err(errors::invalid_parameter(latest_message));
    }
    let exists = f.is_some_and(|f| f.has_qualifier(q));
    if !exists {
        return Err(if q.parse::<u64>().is_ok() {
            errors::function_not_found(&qualified_arn(ctx, name, q))
        } else {
            errors::not_found(format!(
                "Cannot find alias arn: {}",
                qualified_arn(ctx, name, q)
            ))
        });
    }
    Ok(q.to_string())
}

fn render_provisioned(p: &Provisioned, now: Instant) -> Value {
    let ready = now >= p.ready_at;
    let allocated = if ready { p.requested } else { 0 };
    json!({
        "AllocatedProvisionedConcurrentExecutions": allocated,
        "AvailableProvisionedConcurrentExecutions": allocated,
        "LastModified": p.last_modified,
        "RequestedProvisionedConcurrentExecutions": p.requested,
        "Status": if ready { "READY" } else { "IN_PROGRESS" },
    })
}

const UNPUBLISHED: &str = "The function resource provided must be an alias or a published version.";

pub fn put_provisioned(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let fref = function_ref(ctx, input)?;
    let wanted = input.i64("ProvisionedConcurrentExecutions").unwrap_or(0);
    if wanted < 1 {
        let mut v = Violations::default();
        v.push(
            &wanted.to_string(),
            "provisionedConcurrentExecutions",
            "Member must have value greater than or equal to 1",
        );
        v.into_result()?;
    }
    lambda.with_state(ctx, |st| {
        let q = provisioned_target(
            ctx,
            st.functions.get(&fref.name),
            &fref.name,
            fref.qualifier.as_deref(),
            "Provisioned Concurrency Configs cannot be applied to unpublished function versions.",
        )?;
        let reserved_elsewhere: i64 = st
            .functions
            .values()
            .filter(|f| f.name != fref.name)
            .filter_map(|f| f.reserved_concurrency)
            .sum();
        let f = lookup(st, ctx, &fref.name)?;
        let others: i64 = f
            .provisioned
            .iter()
            .filter(|(k, _)| **k != q)
            .map(|(_, p)| p.requested)
            .sum();
        match f.reserved_concurrency {
            Some(reserved) if others + wanted > reserved => {
                return Err(errors::invalid_parameter(
                    "Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function",
                ))
            }
            Some(_) => {}
            None => {
                // Without a reservation, provisioned concurrency comes out of the unreserved pool.
                let unreserved = ACCOUNT_CONCURRENCY - reserved_elsewhere;
                if others + wanted > unreserved {
                    return Err(errors::untyped(
                        "InvalidParameterValueException",
                        format!("Specified ConcurrentExecutions for function is greater than account's unreserved concurrency [{unreserved}]."),
                        400,
                    ));
                }
                if unreserved - others - wanted < MIN_UNRESERVED {
                    return Err(errors::untyped(
                        "InvalidParameterValueException",
                        format!("Specified ConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [{MIN_UNRESERVED}]."),
                        400,
                    ));
                }
            }
        }
        let p = Provisioned {
            requested: wanted,
            last_modified: lambda_timestamp(),
            ready_at: Instant::now() + SETTLE_DELAY,
        };
        let out = render_provisioned(&p, Instant::now());
        f.provisioned.insert(q, p);
        Ok(out)
    })
}

pub fn get_provisioned(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let fref = function_ref(ctx, input)?;
    lambda.with_state(ctx, |st| {
        let q = provisioned_target(
            ctx,
            st.functions.get(&fref.name),
            &fref.name,
            fref.qualifier.as_deref(),
            UNPUBLISHED,
        )?;
        let f = lookup(st, ctx, &fref.name)?;
        match f.provisioned.get(&q) {
            Some(p) => Ok(render_provisioned(p, Instant::now())),
            None => Err(AwsError::new(
                "ProvisionedConcurrencyConfigNotFoundException",
                "No Provisioned Concurrency Config found for this function",
                404,
            )
            .with_field("Type", "User")),
        }
    })
}

pub fn delete_provisioned(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let fref = function_ref(ctx, input)?;
    lambda.with_state(ctx, |st| {
        let q = provisioned_target(
            ctx,
            st.functions.get(&fref.name),
            &fref.name,
            fref.qualifier.as_deref(),
            UNPUBLISHED,
        )?;
        lookup(st, ctx, &fref.name)?.provisioned.remove(&q);
        Ok(json!({}))
    })
}

pub fn list_provisioned(lambda: &Lambda, ctx: &RequestContext, input: &Input) -> HandlerResult {
    let fref = function_ref(ctx, input)?;
    let items = lambda.with_state(ctx, |st| {
        let f = lookup(st, ctx, &fref.name)?;
        let now = Instant::now();
        Ok(f.provisioned
            .iter()
            .map(|(q, p)| {
                let mut v = render_provisioned(p, now);
                v["FunctionArn"] = json!(qualified_arn(ctx, &f.name, q));
                v
            })
            .collect::<Vec<_>>())
    })?;
    let (page, next) = paginate(&items, input)?;
    let mut out = json!({"ProvisionedConcurrencyConfigs": page});
    if let Some(n) = next {
        out["NextMarker"] = json!(n);
    }
    Ok(out)
}
