//! Routing: which service (SigV4 credential scope, X-Amz-Target, host, then path or Action) and
//! which operation (awsQuery `Action`, restJson1 method + URI template) a request is for.

use std::collections::HashSet;
use std::sync::{Arc, OnceLock};

use hyper::header::{HeaderMap, HOST};

use crate::identity::CredentialScope;
use crate::model::{Model, Operation, PinnedModel, Protocol};
use crate::protocol::rest_json::RouteIndex;
use crate::protocol::{query, HttpRequest};
use crate::service::{AwsError, Service};

/// A service as the router sees it: its handler, its model and (for restJson1) its compiled URI
/// templates, built on first use.
pub struct Route {
    pub name: &'static str,
    pub handler: Arc<dyn Service>,
    /// What the handler declares it implements: the only operations it is called for, so the
    /// `paritytest operations` listing and the 501s never disagree.
    implemented: HashSet<&'static str, foldhash::fast::RandomState>,
    pinned: &'static PinnedModel,
    templates: OnceLock<RouteIndex>,
}

impl Route {
    pub fn implements(&self, operation: &str) -> bool {
        self.implemented.contains(operation)
    }

    pub fn model(&self) -> &'static Model {
        self.pinned.get()
    }

    /// The restJson1 operation whose method and URI template match, the most specific first
    /// (the index only tries the templates that share the request's first path segment).
    pub fn match_rest(&self, method: &str, path: &str, query: &str) -> Option<&'static Operation> {
        let model = self.model();
        let i = self
            .templates
            .get_or_init(|| RouteIndex::new(model))
            .find(method, path, query)?;
        model.operations.get_index(i).map(|(_, op)| op)
    }
}

/// What the router decided for a request.
pub enum Decision<'r> {
    /// A modeled operation, with the awsQuery parameters already decoded when that protocol.
    Operation {
        route: &'r Route,
        op: &'static Operation,
        params: Option<query::Params<'r>>,
    },
    /// The service is known but the request names no valid operation.
    Error { route: &'r Route, error: AwsError },
    /// No service matches.
    NoService,
}

pub struct Router {
    routes: Vec<Route>,
}

impl Router {
    pub fn new(handlers: Vec<Arc<dyn Service>>) -> Router {
        let routes = handlers
            .into_iter()
            .filter_map(|handler| {
                let pinned = crate::model::pinned(handler.name())?;
                Some(Route {
                    name: handler.name(),
                    implemented: handler.implemented_operations().iter().copied().collect(),
                    handler,
                    pinned,
                    templates: OnceLock::new(),
                })
            })
            .collect();
        Router { routes }
    }

    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    pub fn route(&self, name: &str) -> Option<&Route> {
        self.routes.iter().find(|r| r.name == name)
    }

    /// The service a request is addressed to, from the cheapest signal to the costliest.
    fn service_for<'r>(
        &'r self,
        scope: Option<&CredentialScope<'_>>,
        headers: &HeaderMap,
        req: &HttpRequest<'r>,
        params: &mut Option<query::Params<'r>>,
    ) -> Option<&'r Route> {
        if let Some(route) = scope.and_then(|s| self.route(&s.service)) {
            return Some(route);
        }
        if let Some(target) = headers.get("x-amz-target").and_then(|v| v.to_str().ok()) {
            let prefix = target.split('.').next().unwrap_or_default();
            if let Some(route) = self
                .routes
                .iter()
                .find(|r| r.model().metadata.target_prefix.as_deref() == Some(prefix))
            {
                return Some(route);
            }
        }
        if let Some(host) = headers.get(HOST).and_then(|v| v.to_str().ok()) {
            let label = host.split(['.', ':']).next().unwrap_or_default();
            if let Some(route) = self.routes.iter().find(|r| r.name == label) {
                return Some(route);
            }
        }
        // Unsigned requests (e.g. AssumeRoleWithWebIdentity): restJson1 paths, then the awsQuery
        // service that defines the Action (STS first: unsigned calls are STS's).
        if let Some(route) = self.routes.iter().find(|r| {
            r.model().protocol == Protocol::RestJson
                && r.match_rest(req.method, req.path, req.query).is_some()
        }) {
            return Some(route);
        }
        let p = params.get_or_insert_with(|| query::Params::from_request(req));
        let action = p.get("Action")?;
        let mut query_routes: Vec<&Route> = self
            .routes
            .iter()
            .filter(|r| r.model().protocol == Protocol::Query)
            .collect();
        query_routes.sort_by_key(|r| r.name != "sts");
        query_routes
            .into_iter()
            .find(|r| r.model().operation(action).is_some())
    }

    /// Route a request; the decision borrows from both the router and the request.
    pub fn decide<'r>(
        &'r self,
        scope: Option<&CredentialScope<'_>>,
        req: &HttpRequest<'r>,
    ) -> Decision<'r> {
        let mut params = None;
        let Some(route) = self.service_for(scope, req.headers, req, &mut params) else {
            return Decision::NoService;
        };
        let model = route.model();
        match model.protocol {
            Protocol::Query => {
                let params = params.unwrap_or_else(|| query::Params::from_request(req));
                let Some(action) = params.get("Action") else {
                    return Decision::Error {
                        route,
                        error: AwsError::new(
                            "MissingAction",
                            "The request is missing an action or a required parameter.",
                            400,
                        ),
                    };
                };
                match model.operation(action) {
                    Some(op) => Decision::Operation {
                        route,
                        op,
                        params: Some(params),
                    },
                    None => Decision::Error {
                        route,
                        error: AwsError::new(
                            "InvalidAction",
                            format!(
                                "Could not find operation {action} for version {}",
                                model.metadata.api_version
                            ),
                            400,
                        ),
                    },
                }
            }
            Protocol::RestJson => match route.match_rest(req.method, req.path, req.query) {
                Some(op) => Decision::Operation {
                    route,
                    op,
                    params: None,
                },
                None => Decision::Error {
                    route,
                    error: AwsError::new(
                        "UnknownOperationException",
                        format!(
                            "No {} operation matches {} {}",
                            route.name, req.method, req.path
                        ),
                        404,
                    ),
                },
            },
        }
    }
}
