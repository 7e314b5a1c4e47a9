//! The service handlers. Each service owns one module; `all()` is the only list of them.

use std::sync::Arc;

use crate::service::Service;
use crate::Shared;

pub mod cloudformation;
pub mod iam;
pub mod lambda;
pub mod sts;

/// Every service the emulator serves, in a stable order.
pub fn all(shared: &Arc<Shared>) -> Vec<Arc<dyn Service>> {
    vec![
        Arc::new(iam::Iam::new(shared.clone())),
        Arc::new(sts::Sts::new(shared.clone())),
        Arc::new(lambda::Lambda::new(shared.clone())),
        Arc::new(cloudformation::CloudFormation::new(shared.clone())),
    ]
}
