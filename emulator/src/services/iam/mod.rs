//! IAM: users, groups, roles, managed and inline policies, access keys, instance profiles,
//! login profiles, service-linked roles, identity providers, tags and account settings.
//!
//! State is kept per account (`ctx.caller.account_id`): one `RwLock<Account>` each, so a create
//! checks and inserts under one write lock (concurrent creates of one name: exactly one wins).

mod access;
mod account;
mod aws_managed;
mod errors;
mod groups;
mod ids;
mod inline;
pub(crate) mod input;
mod instance_profiles;
mod pagination;
mod policies;
mod policy_document;
mod providers;
mod roles;
mod service_linked;
mod simulation;
mod state;
mod tagging;
mod users;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::{Arc, Weak};

use parking_lot::{Mutex, RwLock};
use serde_json::Value;

use crate::service::{AwsError, Caller, HandlerFuture, HandlerResult, RequestContext, Service};
use crate::Shared;

pub(crate) use ids::{access_key_id, random_token, secret_access_key, timestamp};
use input::Input;
use state::Account;

/// What other services (STS) may learn about a role.
#[derive(Debug, Clone)]
pub(crate) struct RoleInfo {
    pub name: String,
    pub id: String,
    pub arn: String,
    pub max_session_duration: i64,
    /// The trust policy as sent (JSON text).
    pub trust_policy: String,
}

/// The IAM state of every account, shareable with STS.
#[derive(Default)]
pub(crate) struct IamState {
    accounts: RwLock<HashMap<String, Arc<RwLock<Account>>>>,
}

impl IamState {
    fn account(&self, id: &str) -> Arc<RwLock<Account>> {
        if let Some(account) = self.accounts.read().get(id) {
            return account.clone();
        }
        self.accounts
            .write()
            .entry(id.to_string())
            .or_insert_with(|| Arc::new(RwLock::new(Account::new(id))))
            .clone()
    }

    /// The role an ARN names, if it exists (`arn:aws:iam::ACCOUNT:role/PATH/NAME`).
    pub(crate) fn role_by_arn(&self, arn: &str) -> Option<RoleInfo> {
        let rest = arn.strip_prefix("arn:aws:iam::")?;
        let (account_id, resource) = rest.split_once(':')?;
        let name = resource.strip_prefix("role/")?.rsplit('/').next()?;
        let account = self.accounts.read().get(account_id)?.clone();
        let account = account.read();
        let role = account.roles.get(&state::key(name))?;
        (role.arn == arn).then(|| RoleInfo {
            name: role.name.clone(),
            id: role.id.clone(),
            arn: role.arn.clone(),
            max_session_duration: role.max_session_duration,
            trust_policy: role.trust_policy.text.clone(),
        })
    }
}

/// Links each `Shared` to the IAM state serving it, so STS (built separately by
/// `services::all`) reaches the same roles. Weak on both sides: nothing outlives its emulator.
static REGISTRY: Mutex<Vec<(Weak<Shared>, Weak<IamState>)>> = Mutex::new(Vec::new());

/// The IAM state of the emulator that owns `shared`.
pub(crate) fn state_for(shared: &Arc<Shared>) -> Option<Arc<IamState>> {
    let registry = REGISTRY.lock();
    registry
        .iter()
        .find(|(s, _)| std::ptr::eq(s.as_ptr(), Arc::as_ptr(shared)))
        .and_then(|(_, state)| state.upgrade())
}

pub struct Iam {
    shared: Arc<Shared>,
    state: Arc<IamState>,
}

impl Iam {
    pub fn new(shared: Arc<Shared>) -> Self {
        let state = Arc::new(IamState::default());
        let mut registry = REGISTRY.lock();
        registry.retain(|(s, st)| s.strong_count() > 0 && st.strong_count() > 0);
        registry.push((Arc::downgrade(&shared), Arc::downgrade(&state)));
        Iam { shared, state }
    }
}

/// One request as the handlers see it.
pub(crate) struct Call<'a> {
    pub shared: &'a Shared,
    pub ctx: &'a RequestContext,
    pub input: Input<'a>,
    state: &'a IamState,
}

impl Call<'_> {
    pub fn account(&self) -> Arc<RwLock<Account>> {
        self.state.account(&self.ctx.caller.account_id)
    }

    pub fn account_id(&self) -> &str {
        &self.ctx.caller.account_id
    }

    pub fn caller(&self) -> &Caller {
        &self.ctx.caller
    }
}

/// Every operation this module implements, in the model's spelling.
const OPERATIONS: &[&str] = &[
    // users
    "CreateUser",
    "GetUser",
    "ListUsers",
    "UpdateUser",
    "DeleteUser",
    "PutUserPermissionsBoundary",
    "DeleteUserPermissionsBoundary",
    // groups
    "CreateGroup",
    "GetGroup",
    "ListGroups",
    "UpdateGroup",
    "DeleteGroup",
    "AddUserToGroup",
    "RemoveUserFromGroup",
    "ListGroupsForUser",
    // roles
    "CreateRole",
    "GetRole",
    "ListRoles",
    "UpdateRole",
    "UpdateRoleDescription",
    "UpdateAssumeRolePolicy",
    "DeleteRole",
    "PutRolePermissionsBoundary",
    "DeleteRolePermissionsBoundary",
    // service-linked roles
    "CreateServiceLinkedRole",
    "DeleteServiceLinkedRole",
    "GetServiceLinkedRoleDeletionStatus",
    // managed policies
    "CreatePolicy",
    "GetPolicy",
    "ListPolicies",
    "DeletePolicy",
    "CreatePolicyVersion",
    "GetPolicyVersion",
    "ListPolicyVersions",
    "DeletePolicyVersion",
    "SetDefaultPolicyVersion",
    "ListEntitiesForPolicy",
    "AttachUserPolicy",
    "DetachUserPolicy",
    "ListAttachedUserPolicies",
    "AttachGroupPolicy",
    "DetachGroupPolicy",
    "ListAttachedGroupPolicies",
    "AttachRolePolicy",
    "DetachRolePolicy",
    "ListAttachedRolePolicies",
    // inline policies
    "PutUserPolicy",
    "GetUserPolicy",
    "DeleteUserPolicy",
    "ListUserPolicies",
    "PutGroupPolicy",
    "GetGroupPolicy",
    "DeleteGroupPolicy",
    "ListGroupPolicies",
    "PutRolePolicy",
    "GetRolePolicy",
    "DeleteRolePolicy",
    "ListRolePolicies",
    // credentials
    "CreateAccessKey",
    "ListAccessKeys",
    "UpdateAccessKey",
    "DeleteAccessKey",
    "GetAccessKeyLastUsed",
    "CreateLoginProfile",
    "GetLoginProfile",
    "UpdateLoginProfile",
    "DeleteLoginProfile",
    "CreateServiceSpecificCredential",
    "ListServiceSpecificCredentials",
    "UpdateServiceSpecificCredential",
    "ResetServiceSpecificCredential",
    "DeleteServiceSpecificCredential",
    // instance profiles
    "CreateInstanceProfile",
    "GetInstanceProfile",
    "ListInstanceProfiles",
    "DeleteInstanceProfile",
    "AddRoleToInstanceProfile",
    "RemoveRoleFromInstanceProfile",
    "ListInstanceProfilesForRole",
    // identity providers
    "CreateOpenIDConnectProvider",
    "GetOpenIDConnectProvider",
    "ListOpenIDConnectProviders",
    "DeleteOpenIDConnectProvider",
    "AddClientIDToOpenIDConnectProvider",
    "RemoveClientIDFromOpenIDConnectProvider",
    "UpdateOpenIDConnectProviderThumbprint",
    "CreateSAMLProvider",
    "GetSAMLProvider",
    "ListSAMLProviders",
    "UpdateSAMLProvider",
    "DeleteSAMLProvider",
    // tags
    "TagUser",
    "UntagUser",
    "ListUserTags",
    "TagRole",
    "UntagRole",
    "ListRoleTags",
    "TagPolicy",
    "UntagPolicy",
    "ListPolicyTags",
    "TagInstanceProfile",
    "UntagInstanceProfile",
    "ListInstanceProfileTags",
    "TagOpenIDConnectProvider",
    "UntagOpenIDConnectProvider",
    "ListOpenIDConnectProviderTags",
    "TagSAMLProvider",
    "UntagSAMLProvider",
    "ListSAMLProviderTags",
    // account
    "CreateAccountAlias",
    "DeleteAccountAlias",
    "ListAccountAliases",
    "GetAccountAuthorizationDetails",
    "GetAccountSummary",
    // policy simulation
    "SimulatePrincipalPolicy",
    "SimulateCustomPolicy",
];

impl Iam {
    fn dispatch(&self, call: &Call) -> HandlerResult {
        use tagging::Taggable;
        match call.ctx.operation.as_str() {
            "CreateUser" => users::create(call),
            "GetUser" => users::get(call),
            "ListUsers" => users::list(call),
            "UpdateUser" => users::update(call),
            "DeleteUser" => users::delete(call),
            "PutUserPermissionsBoundary" => users::put_boundary(call),
            "DeleteUserPermissionsBoundary" => users::delete_boundary(call),

            "CreateGroup" => groups::create(call),
            "GetGroup" => groups::get(call),
            "ListGroups" => groups::list(call),
            "UpdateGroup" => groups::update(call),
            "DeleteGroup" => groups::delete(call),
            "AddUserToGroup" => groups::add_user(call),
            "RemoveUserFromGroup" => groups::remove_user(call),
            "ListGroupsForUser" => groups::list_for_user(call),

            "CreateRole" => roles::create(call),
            "GetRole" => roles::get(call),
            "ListRoles" => roles::list(call),
            "UpdateRole" => roles::update(call),
            "UpdateRoleDescription" => roles::update_description(call),
            "UpdateAssumeRolePolicy" => roles::update_trust_policy(call),
            "DeleteRole" => roles::delete(call),
            "PutRolePermissionsBoundary" => roles::put_boundary(call),
            "DeleteRolePermissionsBoundary" => roles::delete_boundary(call),

            "CreateServiceLinkedRole" => service_linked::create(call),
            "DeleteServiceLinkedRole" => service_linked::delete(call),
            "GetServiceLinkedRoleDeletionStatus" => service_linked::deletion_status(call),

            "CreatePolicy" => policies::create(call),
            "GetPolicy" => policies::get(call),
            "ListPolicies" => policies::list(call),
            "DeletePolicy" => policies::delete(call),
            "CreatePolicyVersion" => policies::create_version(call),
            "GetPolicyVersion" => policies::get_version(call),
            "ListPolicyVersions" => policies::list_versions(call),
            "DeletePolicyVersion" => policies::delete_version(call),
            "SetDefaultPolicyVersion" => policies::set_default_version(call),
            "ListEntitiesForPolicy" => policies::list_entities(call),
            "AttachUserPolicy" => policies::attach(call, policies::Principal::User),
            "DetachUserPolicy" => policies::detach(call, policies::Principal::User),
            "ListAttachedUserPolicies" => policies::list_attached(call, policies::Principal::User),
            "AttachGroupPolicy" => policies::attach(call, policies::Principal::Group),
            "DetachGroupPolicy" => policies::detach(call, policies::Principal::Group),
            "ListAttachedGroupPolicies" => {
                policies::list_attached(call, policies::Principal::Group)
            }
            "AttachRolePolicy" => policies::attach(call, policies::Principal::Role),
            "DetachRolePolicy" => policies::detach(call, policies::Principal::Role),
            "ListAttachedRolePolicies" => policies::list_attached(call, policies::Principal::Role),

            "PutUserPolicy" => inline::put(call, policies::Principal::User),
            "GetUserPolicy" => inline::get(call, policies::Principal::User),
            "DeleteUserPolicy" => inline::delete(call, policies::Principal::User),
            "ListUserPolicies" => inline::list(call, policies::Principal::User),
            "PutGroupPolicy" => inline::put(call, policies::Principal::Group),
            "GetGroupPolicy" => inline::get(call, policies::Principal::Group),
            "DeleteGroupPolicy" => inline::delete(call, policies::Principal::Group),
            "ListGroupPolicies" => inline::list(call, policies::Principal::Group),
            "PutRolePolicy" => inline::put(call, policies::Principal::Role),
            "GetRolePolicy" => inline::get(call, policies::Principal::Role),
            "DeleteRolePolicy" => inline::delete(call, policies::Principal::Role),
            "ListRolePolicies" => inline::list(call, policies::Principal::Role),

            "CreateAccessKey" => access::create_access_key(call),
            "ListAccessKeys" => access::list_access_keys(call),
            "UpdateAccessKey" => access::update_access_key(call),
            "DeleteAccessKey" => access::delete_access_key(call),
            "GetAccessKeyLastUsed" => access::access_key_last_used(call),
            "CreateLoginProfile" => access::create_login_profile(call),
            "GetLoginProfile" => access::get_login_profile(call),
            "UpdateLoginProfile" => access::update_login_profile(call),
            "DeleteLoginProfile" => access::delete_login_profile(call),
            "CreateServiceSpecificCredential" => access::create_service_credential(call),
            "ListServiceSpecificCredentials" => access::list_service_credentials(call),
            "UpdateServiceSpecificCredential" => access::update_service_credential(call),
            "ResetServiceSpecificCredential" => access::reset_service_credential(call),
            "DeleteServiceSpecificCredential" => access::delete_service_credential(call),

            "CreateInstanceProfile" => instance_profiles::create(call),
            "GetInstanceProfile" => instance_profiles::get(call),
            "ListInstanceProfiles" => instance_profiles::list(call),
            "DeleteInstanceProfile" => instance_profiles::delete(call),
            "AddRoleToInstanceProfile" => instance_profiles::add_role(call),
            "RemoveRoleFromInstanceProfile" => instance_profiles::remove_role(call),
            "ListInstanceProfilesForRole" => instance_profiles::list_for_role(call),

            "CreateOpenIDConnectProvider" => providers::create_oidc(call),
            "GetOpenIDConnectProvider" => providers::get_oidc(call),
            "ListOpenIDConnectProviders" => providers::list_oidc(call),
            "DeleteOpenIDConnectProvider" => providers::delete_oidc(call),
            "AddClientIDToOpenIDConnectProvider" => providers::add_client_id(call),
            "RemoveClientIDFromOpenIDConnectProvider" => providers::remove_client_id(call),
            "UpdateOpenIDConnectProviderThumbprint" => providers::update_thumbprints(call),
            "CreateSAMLProvider" => providers::create_saml(call),
            "GetSAMLProvider" => providers::get_saml(call),
            "ListSAMLProviders" => providers::list_saml(call),
            "UpdateSAMLProvider" => providers::update_saml(call),
            "DeleteSAMLProvider" => providers::delete_saml(call),

            "TagUser" => tagging::tag(call, Taggable::User),
            "UntagUser" => tagging::untag(call, Taggable::User),
            "ListUserTags" => tagging::list(call, Taggable::User),
            "TagRole" => tagging::tag(call, Taggable::Role),
            "UntagRole" => tagging::untag(call, Taggable::Role),
            "ListRoleTags" => tagging::list(call, Taggable::Role),
            "TagPolicy" => tagging::tag(call, Taggable::Policy),
            "UntagPolicy" => tagging::untag(call, Taggable::Policy),
            "ListPolicyTags" => tagging::list(call, Taggable::Policy),
            "TagInstanceProfile" => tagging::tag(call, Taggable::InstanceProfile),
            "UntagInstanceProfile" => tagging::untag(call, Taggable::InstanceProfile),
            "ListInstanceProfileTags" => tagging::list(call, Taggable::InstanceProfile),
            "TagOpenIDConnectProvider" => tagging::tag(call, Taggable::OidcProvider),
            "UntagOpenIDConnectProvider" => tagging::untag(call, Taggable::OidcProvider),
            "ListOpenIDConnectProviderTags" => tagging::list(call, Taggable::OidcProvider),
            "TagSAMLProvider" => tagging::tag(call, Taggable::SamlProvider),
            "UntagSAMLProvider" => tagging::untag(call, Taggable::SamlProvider),
            "ListSAMLProviderTags" => tagging::list(call, Taggable::SamlProvider),

            "CreateAccountAlias" => account::create_alias(call),
            "DeleteAccountAlias" => account::delete_alias(call),
            "ListAccountAliases" => account::list_aliases(call),
            "GetAccountAuthorizationDetails" => account::authorization_details(call),
            "GetAccountSummary" => account::summary(call),
            "SimulatePrincipalPolicy" => simulation::principal(call),
            "SimulateCustomPolicy" => simulation::custom(call),
            other => Err(AwsError::not_implemented("iam", other)),
        }
    }
}

impl Service for Iam {
    fn name(&self) -> &'static str {
        "iam"
    }

    fn handle<'a>(&'a self, ctx: &'a RequestContext, input: Value) -> HandlerFuture<'a> {
        Box::pin(async move {
            let call = Call {
                shared: &self.shared,
                ctx,
                input: Input(&input),
                state: &self.state,
            };
            self.dispatch(&call)
        })
    }

    fn implemented_operations(&self) -> &'static [&'static str] {
        OPERATIONS
    }

    fn reset(&self) {
        let accounts = std::mem::take(&mut *self.state.accounts.write());
        // Keys IAM registered stop authenticating with the state that issued them.
        let mut credentials = self.shared.credentials.write();
        for account in accounts.values() {
            for key in account.read().access_key_owners.keys() {
                credentials.remove(key);
            }
        }
    }
}
