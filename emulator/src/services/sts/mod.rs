//! Sts: placeholder until its handlers land; every operation answers 501 NotImplemented.

use std::sync::Arc;

use serde_json::Value;

use crate::service::{AwsError, HandlerFuture, RequestContext, Service};
use crate::Shared;

pub struct Sts {
    #[allow(dead_code)]
    shared: Arc<Shared>,
}

impl Sts {
    pub fn new(shared: Arc<Shared>) -> Self {
        Sts { shared }
    }
}

impl Service for Sts {
    fn name(&self) -> &'static str {
        "sts"
    }
    fn handle<'a>(&'a self, ctx: &'a RequestContext, _input: Value) -> HandlerFuture<'a> {
        Box::pin(async move { Err(AwsError::not_implemented("sts", &ctx.operation)) })
    }
    fn implemented_operations(&self) -> &'static [&'static str] {
        &[]
    }
    fn reset(&self) {}
}
