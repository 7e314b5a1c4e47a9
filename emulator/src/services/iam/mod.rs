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
mod server_certificates;
mod service_linked;
mod simulation;
mod state;
mod tagging;
mod users;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, Weak};

use parking_lot::{Mutex, RwLock};
use serde_json::Value;

use crate::service::{AwsError, Caller, HandlerFuture, HandlerResult, RequestContext, Service};
use crate::Shared;

pub(crate) use ids::{access_key_id, random_token, secret_access_key, timestamp};
use input::Input;
use policies::Principal;
use state::Account;
use tagging::Taggable;

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

/// A handler: one IAM operation.
type Handler = fn(&Call) -> HandlerResult;

/// Every operation this module implements, in the model's spelling, with its handler: the one
/// list both dispatch and `implemented_operations` read.
const HANDLERS: &[(&str, Handler)] = &[
    // users
    ("CreateUser", users::create),
    ("GetUser", users::get),
    ("ListUsers", users::list),
    ("UpdateUser", users::update),
    ("DeleteUser", users::delete),
    ("PutUserPermissionsBoundary", users::put_boundary),
    ("DeleteUserPermissionsBoundary", users::delete_boundary),
    // groups and membership
    ("CreateGroup", groups::create),
    ("GetGroup", groups::get),
    ("ListGroups", groups::list),
    ("UpdateGroup", groups::update),
    ("DeleteGroup", groups::delete),
    ("AddUserToGroup", groups::add_user),
    ("RemoveUserFromGroup", groups::remove_user),
    ("ListGroupsForUser", groups::list_for_user),
    // roles
    ("CreateRole", roles::create),
    ("GetRole", roles::get),
    ("ListRoles", roles::list),
    ("UpdateRole", roles::update),
    ("UpdateRoleDescription", roles::update_description),
    ("UpdateAssumeRolePolicy", roles::update_trust_policy),
    ("DeleteRole", roles::delete),
    ("PutRolePermissionsBoundary", roles::put_boundary),
    ("DeleteRolePermissionsBoundary", roles::delete_boundary),
    // service-linked roles
    ("CreateServiceLinkedRole", service_linked::create),
    ("DeleteServiceLinkedRole", service_linked::delete),
    (
        "GetServiceLinkedRoleDeletionStatus",
        service_linked::deletion_status,
    ),
    // managed policies and attachments
    ("CreatePolicy", policies::create),
    ("GetPolicy", policies::get),
    ("ListPolicies", policies::list),
    ("DeletePolicy", policies::delete),
    ("CreatePolicyVersion", policies::create_version),
    ("GetPolicyVersion", policies::get_version),
    ("ListPolicyVersions", policies::list_versions),
    ("DeletePolicyVersion", policies::delete_version),
    ("SetDefaultPolicyVersion", policies::set_default_version),
    ("ListEntitiesForPolicy", policies::list_entities),
    ("AttachUserPolicy", |call| {
        policies::attach(call, Principal::User)
    }),
    ("DetachUserPolicy", |call| {
        policies::detach(call, Principal::User)
    }),
    ("ListAttachedUserPolicies", |call| {
        policies::list_attached(call, Principal::User)
    }),
    ("AttachGroupPolicy", |call| {
        policies::attach(call, Principal::Group)
    }),
    ("DetachGroupPolicy", |call| {
        policies::detach(call, Principal::Group)
    }),
    ("ListAttachedGroupPolicies", |call| {
        policies::list_attached(call, Principal::Group)
    }),
    ("AttachRolePolicy", |call| {
        policies::attach(call, Principal::Role)
    }),
    ("DetachRolePolicy", |call| {
        policies::detach(call, Principal::Role)
    }),
    ("ListAttachedRolePolicies", |call| {
        policies::list_attached(call, Principal::Role)
    }),
    // inline policies
    ("PutUserPolicy", |call| inline::put(call, Principal::User)),
    ("GetUserPolicy", |call| inline::get(call, Principal::User)),
    ("DeleteUserPolicy", |call| {
        inline::delete(call, Principal::User)
    }),
    ("ListUserPolicies", |call| {
        inline::list(call, Principal::User)
    }),
    ("PutGroupPolicy", |call| inline::put(call, Principal::Group)),
    ("GetGroupPolicy", |call| inline::get(call, Principal::Group)),
    ("DeleteGroupPolicy", |call| {
        inline::delete(call, Principal::Group)
    }),
    ("ListGroupPolicies", |call| {
        inline::list(call, Principal::Group)
    }),
    ("PutRolePolicy", |call| inline::put(call, Principal::Role)),
    ("GetRolePolicy", |call| inline::get(call, Principal::Role)),
    ("DeleteRolePolicy", |call| {
        inline::delete(call, Principal::Role)
    }),
    ("ListRolePolicies", |call| {
        inline::list(call, Principal::Role)
    }),
    // credentials
    ("CreateAccessKey", access::create_access_key),
    ("ListAccessKeys", access::list_access_keys),
    ("UpdateAccessKey", access::update_access_key),
    ("DeleteAccessKey", access::delete_access_key),
    ("GetAccessKeyLastUsed", access::access_key_last_used),
    ("CreateLoginProfile", access::create_login_profile),
    ("GetLoginProfile", access::get_login_profile),
    ("UpdateLoginProfile", access::update_login_profile),
    ("DeleteLoginProfile", access::delete_login_profile),
    (
        "CreateServiceSpecificCredential",
        access::create_service_credential,
    ),
    (
        "ListServiceSpecificCredentials",
        access::list_service_credentials,
    ),
    (
        "UpdateServiceSpecificCredential",
        access::update_service_credential,
    ),
    (
        "ResetServiceSpecificCredential",
        access::reset_service_credential,
    ),
    (
        "DeleteServiceSpecificCredential",
        access::delete_service_credential,
    ),
    // instance profiles
    ("CreateInstanceProfile", instance_profiles::create),
    ("GetInstanceProfile", instance_profiles::get),
    ("ListInstanceProfiles", instance_profiles::list),
    ("DeleteInstanceProfile", instance_profiles::delete),
    ("AddRoleToInstanceProfile", instance_profiles::add_role),
    (
        "RemoveRoleFromInstanceProfile",
        instance_profiles::remove_role,
    ),
    (
        "ListInstanceProfilesForRole",
        instance_profiles::list_for_role,
    ),
    // identity providers
    ("CreateOpenIDConnectProvider", providers::create_oidc),
    ("GetOpenIDConnectProvider", providers::get_oidc),
    ("ListOpenIDConnectProviders", providers::list_oidc),
    ("DeleteOpenIDConnectProvider", providers::delete_oidc),
    (
        "AddClientIDToOpenIDConnectProvider",
        providers::add_client_id,
    ),
    (
        "RemoveClientIDFromOpenIDConnectProvider",
        providers::remove_client_id,
    ),
    (
        "UpdateOpenIDConnectProviderThumbprint",
        providers::update_thumbprints,
    ),
    ("CreateSAMLProvider", providers::create_saml),
    ("GetSAMLProvider", providers::get_saml),
    ("ListSAMLProviders", providers::list_saml),
    ("UpdateSAMLProvider", providers::update_saml),
    ("DeleteSAMLProvider", providers::delete_saml),
    // tags
    ("TagUser", |call| tagging::tag(call, Taggable::User)),
    ("UntagUser", |call| tagging::untag(call, Taggable::User)),
    ("ListUserTags", |call| tagging::list(call, Taggable::User)),
    ("TagRole", |call| tagging::tag(call, Taggable::Role)),
    ("UntagRole", |call| tagging::untag(call, Taggable::Role)),
    ("ListRoleTags", |call| tagging::list(call, Taggable::Role)),
    ("TagPolicy", |call| tagging::tag(call, Taggable::Policy)),
    ("UntagPolicy", |call| tagging::untag(call, Taggable::Policy)),
    ("ListPolicyTags", |call| {
        tagging::list(call, Taggable::Policy)
    }),
    ("TagInstanceProfile", |call| {
        tagging::tag(call, Taggable::InstanceProfile)
    }),
    ("UntagInstanceProfile", |call| {
        tagging::untag(call, Taggable::InstanceProfile)
    }),
    ("ListInstanceProfileTags", |call| {
        tagging::list(call, Taggable::InstanceProfile)
    }),
    ("TagOpenIDConnectProvider", |call| {
        tagging::tag(call, Taggable::OidcProvider)
    }),
    ("UntagOpenIDConnectProvider", |call| {
        tagging::untag(call, Taggable::OidcProvider)
    }),
    ("ListOpenIDConnectProviderTags", |call| {
        tagging::list(call, Taggable::OidcProvider)
    }),
    ("TagSAMLProvider", |call| {
        tagging::tag(call, Taggable::SamlProvider)
    }),
    ("UntagSAMLProvider", |call| {
        tagging::untag(call, Taggable::SamlProvider)
    }),
    ("ListSAMLProviderTags", |call| {
        tagging::list(call, Taggable::SamlProvider)
    }),
    // server certificates
    ("UploadServerCertificate", server_certificates::upload),
    ("GetServerCertificate", server_certificates::get),
    ("ListServerCertificates", server_certificates::list),
    ("UpdateServerCertificate", server_certificates::update),
    ("DeleteServerCertificate", server_certificates::delete),
    ("TagServerCertificate", |call| {
        tagging::tag(call, Taggable::ServerCertificate)
    }),
    ("UntagServerCertificate", |call| {
        tagging::untag(call, Taggable::ServerCertificate)
    }),
    ("ListServerCertificateTags", |call| {
        tagging::list(call, Taggable::ServerCertificate)
    }),
    // account
    ("CreateAccountAlias", account::create_alias),
    ("DeleteAccountAlias", account::delete_alias),
    ("ListAccountAliases", account::list_aliases),
    (
        "GetAccountAuthorizationDetails",
        account::authorization_details,
    ),
    ("GetAccountSummary", account::summary),
    (
        "UpdateAccountPasswordPolicy",
        account::update_password_policy,
    ),
    ("GetAccountPasswordPolicy", account::get_password_policy),
    (
        "DeleteAccountPasswordPolicy",
        account::delete_password_policy,
    ),
    // policy simulation
    ("SimulatePrincipalPolicy", simulation::principal),
    ("SimulateCustomPolicy", simulation::custom),
];

fn handler(operation: &str) -> Option<Handler> {
    static TABLE: OnceLock<HashMap<&'static str, Handler>> = OnceLock::new();
    TABLE
        .get_or_init(|| HANDLERS.iter().copied().collect())
        .get(operation)
        .copied()
}

fn operation_names() -> &'static [&'static str] {
    static NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();
    NAMES.get_or_init(|| HANDLERS.iter().map(|(name, _)| *name).collect())
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
            match handler(&ctx.operation) {
                Some(handle) => handle(&call),
                None => Err(AwsError::not_implemented("iam", &ctx.operation)),
            }
        })
    }

    fn implemented_operations(&self) -> &'static [&'static str] {
        operation_names()
    }

    fn reset(&self) {
        let accounts = std::mem::take(&mut *self.state.accounts.write());
        // Keys IAM registered stop authenticating with the state that issued them. Collected
        // first: handlers lock an account before the credential registry, never the reverse.
        let keys: Vec<String> = accounts
            .values()
            .flat_map(|account| {
                account
                    .read()
                    .access_key_owners
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
            })
            .collect();
        let mut credentials = self.shared.credentials.write();
        for key in keys {
            credentials.remove(&key);
        }
    }
}
