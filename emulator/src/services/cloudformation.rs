//! CloudFormation: placeholder until its handlers land; every operation answers 501 NotImplemented.

use std::sync::Arc;

use serde_json::Value;

use crate::service::{AwsError, HandlerFuture, RequestContext, Service};
use crate::Shared;

pub struct CloudFormation {
    #[allow(dead_code)]
    shared: Arc<Shared>,
}

impl CloudFormation {
    pub fn new(shared: Arc<Shared>) -> Self {
        CloudFormation { shared }
    }
}

impl Service for CloudFormation {
    fn name(&self) -> &'static str {
        "cloudformation"
    }
    fn handle<'a>(&'a self, ctx: &'a RequestContext, _input: Value) -> HandlerFuture<'a> {
        Box::pin(async move { Err(AwsError::not_implemented("cloudformation", &ctx.operation)) })
    }
    fn implemented_operations(&self) -> &'static [&'static str] {
        &[]
    }
    fn reset(&self) {}
}
