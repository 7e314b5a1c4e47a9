//! A per-call interceptor keeping what the SDK does not expose on its outputs: HTTP status,
//! headers and the raw body (needed for ResponseMetadata and for comparing with the parsed output).

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    AfterDeserializationInterceptorContextRef, BeforeDeserializationInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, Default)]
pub(crate) struct Captured {
    pub status: Option<u16>,
    /// Names lowercased, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

/// One per call (cheap to clone, shared with the SDK's interceptor list), so concurrent calls
/// never see each other's responses.
#[derive(Debug, Clone, Default)]
pub(crate) struct Capture(Arc<Mutex<Captured>>);

impl Capture {
    pub(crate) fn take(&self) -> Captured {
        match self.0.lock() {
            Ok(mut c) => std::mem::take(&mut *c),
            Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
        }
    }

    fn update(&self, f: impl FnOnce(&mut Captured)) {
        match self.0.lock() {
            Ok(mut c) => f(&mut c),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }
}

impl Intercept for Capture {
    fn name(&self) -> &'static str {
        "paritytest::dispatch::Capture"
    }

    fn read_before_deserialization(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let response = context.response();
        self.update(|c| {
            c.status = Some(response.status().as_u16());
            c.headers = response
                .headers()
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
                .collect();
            c.body = response.body().bytes().map(<[u8]>::to_vec);
        });
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // The body is buffered by now (not yet when deserialization starts).
        if let Some(bytes) = context.response().body().bytes() {
            let bytes = bytes.to_vec();
            self.update(|c| c.body = Some(bytes));
        }
        Ok(())
    }
}
