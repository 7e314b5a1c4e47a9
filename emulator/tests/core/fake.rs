//! Stand-in handlers with known answers, so the tests can drive the protocol layer end to end
//! independently of the real IAM/STS/Lambda handlers.

use std::sync::Arc;

use paritytest_emulator::service::HandlerFuture;
use paritytest_emulator::{AwsError, Emulator, RequestContext, Service, Shared};
use serde_json::{json, Value};

/// Echoes its input and context back inside a fixed shape per operation; CreateUser keeps a
/// set of names, so concurrent creates of one name can be checked.
pub struct Fake {
    pub name: &'static str,
    pub users: parking_lot::Mutex<std::collections::HashSet<String>>,
}

impl Service for Fake {
    fn name(&self) -> &'static str {
        self.name
    }
    fn handle<'a>(&'a self, ctx: &'a RequestContext, input: Value) -> HandlerFuture<'a> {
        Box::pin(async move {
            match (self.name, ctx.operation.as_str()) {
                ("iam", "GetUser") => {
                    let name = input["UserName"].as_str().unwrap_or("root").to_string();
                    if name == "missing" {
                        return Err(AwsError::new(
                            "NoSuchEntity",
                            format!("The user with name {name} cannot be found."),
                            404,
                        ));
                    }
                    Ok(json!({"User": {
                        "Path": "/", "UserName": name, "UserId": "AIDAEXAMPLEEXAMPLE1",
                        "Arn": format!("arn:aws:iam::{}:user/{name}", ctx.account_id()),
                        "CreateDate": "2024-05-01T12:00:00Z",
                        "Tags": [{"Key": "k", "Value": "v <&>"}]
                    }}))
                }
                ("iam", "CreateUser") => {
                    let name = input["UserName"].as_str().unwrap_or_default().to_string();
                    if !self.users.lock().insert(name.clone()) {
                        return Err(AwsError::new(
                            "EntityAlreadyExists",
                            format!("User with name {name} already exists."),
                            409,
                        ));
                    }
                    Ok(json!({"User": {"UserName": name, "Path": "/"}}))
                }
                ("iam", "DeleteUser") => panic!("a handler bug"),
                // Handled but not declared in implemented_operations: the core must not call it.
                ("iam", "TagUser") => Ok(json!({})),
                ("sts", "GetCallerIdentity") => Ok(json!({
                    "Account": ctx.account_id(), "Arn": ctx.caller.arn, "UserId": ctx.caller.user_id
                })),
                ("lambda", "Invoke") => Ok(json!({
                    "StatusCode": 200,
                    "ExecutedVersion": "$LATEST",
                    "Payload": input["Payload"].clone(),
                    "FunctionError": input["FunctionName"].clone(),
                })),
                ("lambda", "GetFunction") => {
                    let name = input["FunctionName"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string();
                    Err(AwsError::new(
                        "ResourceNotFoundException",
                        format!("Function not found: {name}"),
                        404,
                    ))
                }
                ("lambda", "GetLayerVersionByArn") => {
                    Ok(json!({"LayerVersionArn": input["Arn"].clone()}))
                }
                ("lambda", "ListFunctions") => {
                    Ok(json!({"Functions": [], "NextMarker": input["Marker"].clone()}))
                }
                (_, op) => Err(AwsError::not_implemented(self.name, op)),
            }
        })
    }
    fn implemented_operations(&self) -> &'static [&'static str] {
        &[
            "GetUser",
            "CreateUser",
            "DeleteUser",
            "GetCallerIdentity",
            "Invoke",
            "GetFunction",
            "GetLayerVersionByArn",
            "ListFunctions",
        ]
    }
    fn reset(&self) {}
}

pub fn emulator(config: paritytest_emulator::Config) -> Arc<Emulator> {
    Emulator::with_services(config, |_shared: &Arc<Shared>| {
        ["iam", "sts", "lambda", "cloudformation"]
            .into_iter()
            .map(|name| {
                Arc::new(Fake {
                    name,
                    users: Default::default(),
                }) as Arc<dyn Service>
            })
            .collect()
    })
}
