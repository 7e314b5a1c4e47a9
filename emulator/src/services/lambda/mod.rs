//! Lambda: the control plane (functions, versions, aliases, policies, layers, URLs, concurrency,
//! event source mappings and the smaller configs) and Invoke, which really runs the code as local
//! runtime processes speaking the Lambda Runtime API (see `runtime`).

mod aliases;
mod code;
mod concurrency;
mod configs;
mod credentials;
mod errors;
mod event_sources;
mod functions;
mod input;
mod invoke;
mod layers;
mod names;
mod policy;
pub mod runtime;
mod state;
mod tags;
mod urls;
mod versions;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use parking_lot::Mutex;
use serde_json::Value;

use crate::service::{
    AwsError, HandlerFuture, HandlerResult, RequestContext, Service, SharedHandlerFuture,
};
use crate::Shared;
use input::Input;
use names::{FunctionRef, NameUse};
use state::{Function, RegionState};

/// All stored state, and its generation: bumped by every access that may change it, so cached
/// answers (GetFunction's) know when they are stale.
#[derive(Default)]
struct Regions {
    /// account → region → state. Nested so lookups borrow the request's strings (no
    /// allocation on the hot path).
    by_account: HashMap<String, HashMap<String, RegionState>>,
    generation: u64,
}

pub struct Lambda {
    #[allow(dead_code)]
    shared: Arc<Shared>,
    regions: Mutex<Regions>,
    runtimes: Arc<runtime::Runtimes>,
    next_code_id: std::sync::atomic::AtomicU64,
}

impl Lambda {
    pub fn new(shared: Arc<Shared>) -> Self {
        let runtimes =
            runtime::Runtimes::new().with_credentials(credentials::Issuer::new(shared.clone()));
        Lambda {
            shared,
            regions: Mutex::new(Regions::default()),
            runtimes: Arc::new(runtimes),
            next_code_id: std::sync::atomic::AtomicU64::new(1),
        }
    }

    /// Run `f` on the state of the caller's account and region. Any access may change it, so
    /// this bumps the state generation (under the same lock as the change).
    fn with_state<T>(
        &self,
        ctx: &RequestContext,
        f: impl FnOnce(&mut RegionState) -> Result<T, AwsError>,
    ) -> Result<T, AwsError> {
        self.with_state_for_get_function(ctx, |st, generation| {
            *generation += 1;
            f(st)
        })
    }

    /// `with_state` without the generation bump: only for GetFunction, which bumps it itself
    /// when it changes the state (a settled transition) and otherwise only reads and caches.
    fn with_state_for_get_function<T>(
        &self,
        ctx: &RequestContext,
        f: impl FnOnce(&mut RegionState, &mut u64) -> Result<T, AwsError>,
    ) -> Result<T, AwsError> {
        let mut guard = self.regions.lock();
        let Regions {
            by_account,
            generation,
        } = &mut *guard;
        if let Some(st) = by_account
            .get_mut(ctx.account_id())
            .and_then(|r| r.get_mut(&ctx.region))
        {
            return f(st, generation);
        }
        let st = by_account
            .entry(ctx.account_id().to_string())
            .or_default()
            .entry(ctx.region.clone())
            .or_default();
        f(st, generation)
    }

    /// Warm execution environments waiting for work (diagnostics and tests).
    pub fn idle_environments(&self) -> usize {
        self.runtimes.idle_count()
    }

    fn code_id(&self) -> u64 {
        self.next_code_id
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }

    fn dispatch(&self, ctx: &RequestContext, input: &Input) -> HandlerResult {
        match ctx.operation.as_str() {
            "CreateFunction" => functions::create(self, ctx, input),
            "GetFunction" => functions::get(self, ctx, input),
            "GetFunctionConfiguration" => functions::get_configuration(self, ctx, input),
            "ListFunctions" => functions::list(self, ctx, input),
            "DeleteFunction" => functions::delete(self, ctx, input),
            "UpdateFunctionCode" => functions::update_code(self, ctx, input),
            "UpdateFunctionConfiguration" => functions::update_configuration(self, ctx, input),
            "PublishVersion" => versions::publish(self, ctx, input),
            "ListVersionsByFunction" => versions::list(self, ctx, input),
            "CreateAlias" => aliases::create(self, ctx, input),
            "GetAlias" => aliases::get(self, ctx, input),
            "UpdateAlias" => aliases::update(self, ctx, input),
            "DeleteAlias" => aliases::delete(self, ctx, input),
            "ListAliases" => aliases::list(self, ctx, input),
            "AddPermission" => policy::add(self, ctx, input),
            "RemovePermission" => policy::remove(self, ctx, input),
            "GetPolicy" => policy::get(self, ctx, input),
            "TagResource" => tags::tag(self, ctx, input),
            "UntagResource" => tags::untag(self, ctx, input),
            "ListTags" => tags::list(self, ctx, input),
            "GetAccountSettings" => concurrency::account_settings(self, ctx, input),
            "PutFunctionConcurrency" => concurrency::put_reserved(self, ctx, input),
            "GetFunctionConcurrency" => concurrency::get_reserved(self, ctx, input),
            "DeleteFunctionConcurrency" => concurrency::delete_reserved(self, ctx, input),
            "PutProvisionedConcurrencyConfig" => concurrency::put_provisioned(self, ctx, input),
            "GetProvisionedConcurrencyConfig" => concurrency::get_provisioned(self, ctx, input),
            "DeleteProvisionedConcurrencyConfig" => {
                concurrency::delete_provisioned(self, ctx, input)
            }
            "ListProvisionedConcurrencyConfigs" => concurrency::list_provisioned(self, ctx, input),
            "CreateFunctionUrlConfig" => urls::create(self, ctx, input),
            "GetFunctionUrlConfig" => urls::get(self, ctx, input),
            "UpdateFunctionUrlConfig" => urls::update(self, ctx, input),
            "DeleteFunctionUrlConfig" => urls::delete(self, ctx, input),
            "ListFunctionUrlConfigs" => urls::list(self, ctx, input),
            "PutFunctionEventInvokeConfig" => configs::put_event_invoke(self, ctx, input, true),
            "UpdateFunctionEventInvokeConfig" => configs::put_event_invoke(self, ctx, input, false),
            "GetFunctionEventInvokeConfig" => configs::get_event_invoke(self, ctx, input),
            "DeleteFunctionEventInvokeConfig" => configs::delete_event_invoke(self, ctx, input),
            "ListFunctionEventInvokeConfigs" => configs::list_event_invoke(self, ctx, input),
            "PutFunctionRecursionConfig" => configs::put_recursion(self, ctx, input),
            "GetFunctionRecursionConfig" => configs::get_recursion(self, ctx, input),
            "PutRuntimeManagementConfig" => configs::put_runtime_management(self, ctx, input),
            "GetRuntimeManagementConfig" => configs::get_runtime_management(self, ctx, input),
            "CreateCodeSigningConfig" => configs::create_csc(self, ctx, input),
            "GetCodeSigningConfig" => configs::get_csc(self, ctx, input),
            "UpdateCodeSigningConfig" => configs::update_csc(self, ctx, input),
            "DeleteCodeSigningConfig" => configs::delete_csc(self, ctx, input),
            "ListCodeSigningConfigs" => configs::list_csc(self, ctx, input),
            "PutFunctionCodeSigningConfig" => configs::put_function_csc(self, ctx, input),
            "GetFunctionCodeSigningConfig" => configs::get_function_csc(self, ctx, input),
            "DeleteFunctionCodeSigningConfig" => configs::delete_function_csc(self, ctx, input),
            "ListFunctionsByCodeSigningConfig" => configs::list_functions_by_csc(self, ctx, input),
            "PublishLayerVersion" => layers::publish(self, ctx, input),
            "GetLayerVersion" => layers::get(self, ctx, input),
            "GetLayerVersionByArn" => layers::get_by_arn(self, ctx, input),
            "ListLayerVersions" => layers::list_versions(self, ctx, input),
            "ListLayers" => layers::list(self, ctx, input),
            "DeleteLayerVersion" => layers::delete(self, ctx, input),
            "AddLayerVersionPermission" => layers::add_permission(self, ctx, input),
            "RemoveLayerVersionPermission" => layers::remove_permission(self, ctx, input),
            "GetLayerVersionPolicy" => layers::get_policy(self, ctx, input),
            "CreateEventSourceMapping" => event_sources::create(self, ctx, input),
            "GetEventSourceMapping" => event_sources::get(self, ctx, input),
            "UpdateEventSourceMapping" => event_sources::update(self, ctx, input),
            "DeleteEventSourceMapping" => event_sources::delete(self, ctx, input),
            "ListEventSourceMappings" => event_sources::list(self, ctx, input),
            other => Err(AwsError::not_implemented("lambda", other)),
        }
    }
}

/// The operations `dispatch` answers (Invoke and InvokeAsync are async and handled apart).
const IMPLEMENTED: &[&str] = &[
    "AddLayerVersionPermission",
    "AddPermission",
    "CreateAlias",
    "CreateCodeSigningConfig",
    "CreateEventSourceMapping",
    "CreateFunction",
    "CreateFunctionUrlConfig",
    "DeleteAlias",
    "DeleteCodeSigningConfig",
    "DeleteEventSourceMapping",
    "DeleteFunction",
    "DeleteFunctionCodeSigningConfig",
    "DeleteFunctionConcurrency",
    "DeleteFunctionEventInvokeConfig",
    "DeleteFunctionUrlConfig",
    "DeleteLayerVersion",
    "DeleteProvisionedConcurrencyConfig",
    "GetAccountSettings",
    "GetAlias",
    "GetCodeSigningConfig",
    "GetEventSourceMapping",
    "GetFunction",
    "GetFunctionCodeSigningConfig",
    "GetFunctionConcurrency",
    "GetFunctionConfiguration",
    "GetFunctionEventInvokeConfig",
    "GetFunctionRecursionConfig",
    "GetFunctionUrlConfig",
    "GetLayerVersion",
    "GetLayerVersionByArn",
    "GetLayerVersionPolicy",
    "GetPolicy",
    "GetProvisionedConcurrencyConfig",
    "GetRuntimeManagementConfig",
    "Invoke",
    "InvokeAsync",
    "ListAliases",
    "ListCodeSigningConfigs",
    "ListEventSourceMappings",
    "ListFunctionEventInvokeConfigs",
    "ListFunctionUrlConfigs",
    "ListFunctions",
    "ListFunctionsByCodeSigningConfig",
    "ListLayerVersions",
    "ListLayers",
    "ListProvisionedConcurrencyConfigs",
    "ListTags",
    "ListVersionsByFunction",
    "PublishLayerVersion",
    "PublishVersion",
    "PutFunctionCodeSigningConfig",
    "PutFunctionConcurrency",
    "PutFunctionEventInvokeConfig",
    "PutFunctionRecursionConfig",
    "PutProvisionedConcurrencyConfig",
    "PutRuntimeManagementConfig",
    "RemoveLayerVersionPermission",
    "RemovePermission",
    "TagResource",
    "UntagResource",
    "UpdateAlias",
    "UpdateCodeSigningConfig",
    "UpdateEventSourceMapping",
    "UpdateFunctionCode",
    "UpdateFunctionConfiguration",
    "UpdateFunctionEventInvokeConfig",
    "UpdateFunctionUrlConfig",
];

impl Service for Lambda {
    fn name(&self) -> &'static str {
        "lambda"
    }
    fn handle<'a>(&'a self, ctx: &'a RequestContext, input: Value) -> HandlerFuture<'a> {
        Box::pin(async move {
            let input = Input::new(&input);
            match ctx.operation.as_str() {
                "Invoke" => invoke::invoke(self, ctx, &input).await,
                "InvokeAsync" => invoke::invoke_async(self, ctx, &input).await,
                _ => self.dispatch(ctx, &input),
            }
        })
    }
    fn handle_shared<'a>(
        &'a self,
        ctx: &'a RequestContext,
        input: Value,
    ) -> SharedHandlerFuture<'a> {
        Box::pin(async move {
            match ctx.operation.as_str() {
                "GetFunction" => functions::get_shared(self, ctx, &Input::new(&input)),
                _ => self.handle(ctx, input).await.map(Arc::new),
            }
        })
    }
    fn implemented_operations(&self) -> &'static [&'static str] {
        IMPLEMENTED
    }
    fn reset(&self) {
        let mut regions = self.regions.lock();
        regions.by_account.clear();
        regions.generation += 1;
        self.runtimes.shutdown_all();
    }
}

impl Drop for Lambda {
    fn drop(&mut self) {
        self.runtimes.shutdown_all();
    }
}

/// Resolve `FunctionName`/`Qualifier` of a lookup-style input.
fn function_ref(ctx: &RequestContext, input: &Input) -> Result<FunctionRef, AwsError> {
    names::resolve(
        input.req_str("FunctionName")?,
        input.str("Qualifier"),
        ctx.account_id(),
        &ctx.region,
        NameUse::Lookup,
    )
}

/// The stored function a name points at (settling pending transitions first), or AWS's 404.
fn lookup<'a>(
    st: &'a mut RegionState,
    ctx: &RequestContext,
    name: &str,
) -> Result<&'a mut Function, AwsError> {
    match st.functions.get_mut(name) {
        Some(f) => {
            f.settle(Instant::now());
            Ok(f)
        }
        None => Err(errors::function_not_found(&names::function_arn(
            &ctx.region,
            ctx.account_id(),
            name,
        ))),
    }
}

fn unqualified_arn(ctx: &RequestContext, name: &str) -> String {
    names::function_arn(&ctx.region, ctx.account_id(), name)
}

fn qualified_arn(ctx: &RequestContext, name: &str, qualifier: &str) -> String {
    names::qualified_arn(&ctx.region, ctx.account_id(), name, qualifier)
}

/// Paginate a list by an opaque numeric marker (the index of the next item).
fn paginate<T: Clone>(items: &[T], input: &Input) -> Result<(Vec<T>, Option<String>), AwsError> {
    let start = match input.str("Marker") {
        Some(m) => m
            .parse::<usize>()
            .map_err(|_| errors::invalid_parameter("Invalid marker"))?,
        None => 0,
    };
    let max = input.i64("MaxItems").unwrap_or(50).clamp(1, 10_000) as usize;
    let end = (start + max).min(items.len());
    let page = items.get(start..end).unwrap_or(&[]).to_vec();
    let next = (end < items.len()).then(|| end.to_string());
    Ok((page, next))
}
