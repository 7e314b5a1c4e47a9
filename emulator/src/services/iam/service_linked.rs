//! Service-linked roles: created by AWS services' names, protected from the ordinary role
//! operations, deleted through a deletion task.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::json;

use super::errors::{invalid_input, no_such_entity, no_such_role};
use super::ids::{entity_id, now};
use super::policies::adjust_usage;
use super::roles::trust_policy;
use super::state::{key, Permissions, Role, View};
use super::Call;
use crate::service::HandlerResult;

const DATA: &str = include_str!("../iam_data/service_linked_roles.json");

#[derive(Deserialize)]
struct Data {
    roles: Vec<Entry>,
}

#[derive(Deserialize)]
pub(crate) struct Entry {
    service: String,
    role: String,
    policy: String,
    description: Option<String>,
    custom_suffix: bool,
}

fn table() -> &'static HashMap<String, Entry> {
    static TABLE: OnceLock<HashMap<String, Entry>> = OnceLock::new();
    TABLE.get_or_init(|| {
        // Bundled with the crate and covered by a test; unreadable data is a build defect.
        let data: Data =
            serde_json::from_str(DATA).expect("iam_data/service_linked_roles.json is valid");
        data.roles
            .into_iter()
            .map(|e| (e.service.clone(), e))
            .collect()
    })
}

pub(crate) fn create(call: &Call) -> HandlerResult {
    let service = call.input.req("AWSServiceName")?;
    let suffix = call.input.str("CustomSuffix");
    let entry = table().get(service);
    if suffix.is_some() && !entry.is_some_and(|e| e.custom_suffix) {
        return Err(invalid_input(format!(
            "Custom suffix is not allowed for {service}"
        )));
    }
    let Some(entry) = entry else {
        return Err(invalid_input(format!(
            "Service {service} does not support service-linked roles in the paritytest emulator"
        )));
    };
    let name = match suffix {
        Some(suffix) => format!("{}_{suffix}", entry.role),
        None => entry.role.clone(),
    };
    let trust = trust_policy(&format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Service":"{service}"}},"Action":"sts:AssumeRole"}}]}}"#
    ))?;
    let policy_arn = format!("arn:aws:iam::aws:policy/aws-service-role/{}", entry.policy);
    let account = call.account();
    let mut account = account.write();
    if account.roles.contains_key(&key(&name)) {
        return Err(invalid_input(format!(
            "Service role name {name} has been taken in this account, please try a different suffix."
        )));
    }
    let path = format!("/aws-service-role/{service}/");
    let role = Role {
        arn: format!("arn:aws:iam::{}:role{path}{name}", account.id),
        name: name.clone(),
        id: entity_id("AROA"),
        path,
        created: now(),
        trust_policy: trust,
        description: call
            .input
            .str("Description")
            .map(str::to_string)
            .or_else(|| entry.description.clone()),
        max_session_duration: 3600,
        tags: Vec::new(),
        boundary: None,
        permissions: Permissions {
            attached: vec![policy_arn.clone()],
            ..Permissions::default()
        },
        instance_profiles: Default::default(),
        service_linked: true,
    };
    let out = json!({"Role": role.to_json(View::Described)});
    account.roles.insert(key(&name), role);
    adjust_usage(&mut account, &policy_arn, 1, 0);
    Ok(out)
}

pub(crate) fn delete(call: &Call) -> HandlerResult {
    let name = call.input.req("RoleName")?;
    let account = call.account();
    let mut account = account.write();
    let role = account
        .roles
        .get(&key(name))
        .ok_or_else(|| no_such_role(name))?;
    if !role.service_linked {
        return Err(invalid_input(format!(
            "Role {} is not a service-linked role.",
            role.name
        )));
    }
    let task = format!("task{}{}/{}", role.path, role.name, uuid::Uuid::new_v4());
    if let Some(role) = account.roles.remove(&key(name)) {
        for arn in &role.permissions.attached {
            adjust_usage(&mut account, arn, -1, 0);
        }
    }
    account.deletion_tasks.insert(task.clone());
    Ok(json!({"DeletionTaskId": task}))
}

pub(crate) fn deletion_status(call: &Call) -> HandlerResult {
    let task = call.input.req("DeletionTaskId")?;
    let account = call.account();
    let account = account.read();
    if !account.deletion_tasks.contains(task) {
        return Err(no_such_entity(format!(
            "Deletion task {task} cannot be found."
        )));
    }
    // Deletion completes synchronously here, so every known task has succeeded.
    Ok(json!({"Status": "SUCCEEDED"}))
}
