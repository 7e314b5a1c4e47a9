//! Iam: placeholder until its handlers land; every operation answers 501 NotImplemented.

use std::sync::Arc;

use serde_json::Value;

use crate::service::{AwsError, HandlerFuture, RequestContext, Service};
use crate::Shared;

pub struct Iam {
    #[allow(dead_code)]
    shared: Arc<Shared>,
}

impl Iam {
    pub fn new(shared: Arc<Shared>) -> Self {
        Iam { shared }
    }
}

impl Service for Iam {
    fn name(&self) -> &'static str {
        "iam"
    }
    fn handle<'a>(&'a self, ctx: &'a RequestContext, _input: Value) -> HandlerFuture<'a> {
        Box::pin(async move { Err(AwsError::not_implemented("iam", &ctx.operation)) })
    }
    fn implemented_operations(&self) -> &'static [&'static str] {
        &[]
    }
    fn reset(&self) {}
}
