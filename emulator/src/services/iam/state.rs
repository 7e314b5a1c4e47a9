//! The IAM entities of one account and how each renders into the model's output shapes.
//!
//! Names of users, groups, roles, policies and instance profiles are unique regardless of case in
//! IAM, so every map is keyed by the lowercased name (which also gives the alphabetical order of
//! the List operations); the entity keeps the name as created.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{json, Map, Value};

use super::ids::encode_document;

pub(crate) type Tags = Vec<(String, String)>;

pub(crate) fn key(name: &str) -> String {
    name.to_ascii_lowercase()
}

pub(crate) fn tags_json(tags: &Tags) -> Value {
    Value::Array(
        tags.iter()
            .map(|(k, v)| json!({"Key": k, "Value": v}))
            .collect(),
    )
}

/// A policy document as the user sent it, and the URL-encoded form IAM answers with.
#[derive(Clone, Debug)]
pub(crate) struct Document {
    pub text: String,
    pub encoded: String,
}

impl Document {
    pub fn new(text: &str) -> Document {
        Document {
            text: text.to_string(),
            encoded: encode_document(text),
        }
    }
}

/// What users, groups and roles share: inline policies and attached managed policies.
#[derive(Default, Debug)]
pub(crate) struct Permissions {
    /// Inline policies by lowercased name: (name as put, document).
    pub inline: BTreeMap<String, (String, Document)>,
    /// ARNs of attached managed policies, in attach order.
    pub attached: Vec<String>,
}

#[derive(Debug)]
pub(crate) struct User {
    pub name: String,
    pub id: String,
    pub path: String,
    pub arn: String,
    pub created: String,
    pub tags: Tags,
    pub boundary: Option<String>,
    pub permissions: Permissions,
    /// Lowercased names of the groups the user is in.
    pub groups: BTreeSet<String>,
    pub login_profile: Option<LoginProfile>,
    pub access_keys: Vec<AccessKey>,
    pub service_credentials: Vec<ServiceCredential>,
    /// Serial numbers of the MFA devices enabled for the user.
    pub mfa_devices: Vec<String>,
}

#[derive(Debug)]
pub(crate) struct LoginProfile {
    pub created: String,
    pub reset_required: bool,
}

#[derive(Debug)]
pub(crate) struct AccessKey {
    pub id: String,
    pub active: bool,
    pub created: String,
}

#[derive(Debug)]
pub(crate) struct ServiceCredential {
    pub id: String,
    pub service: String,
    pub service_user_name: String,
    pub password: String,
    pub active: bool,
    pub created: String,
}

#[derive(Debug)]
pub(crate) struct Group {
    pub name: String,
    pub id: String,
    pub path: String,
    pub arn: String,
    pub created: String,
    pub permissions: Permissions,
    /// Lowercased names of member users, in the order they were added.
    pub members: Vec<String>,
}

#[derive(Debug)]
pub(crate) struct Role {
    pub name: String,
    pub id: String,
    pub path: String,
    pub arn: String,
    pub created: String,
    pub trust_policy: Document,
    pub description: Option<String>,
    pub max_session_duration: i64,
    pub tags: Tags,
    pub boundary: Option<String>,
    pub permissions: Permissions,
    /// Lowercased names of the instance profiles holding this role.
    pub instance_profiles: BTreeSet<String>,
    /// Service-linked roles can only be changed through the service-linked role operations.
    pub service_linked: bool,
}

/// Which operation an entity is rendered for: the shapes differ. For roles, CreateRole omits
/// Description, MaxSessionDuration and RoleLastUsed; UpdateRoleDescription and
/// CreateServiceLinkedRole (`Described`) omit the last two; ListRoles omits RoleLastUsed, tags
/// and the boundary.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum View {
    Created,
    Described,
    Get,
    Listed,
}

#[derive(Debug)]
pub(crate) struct PolicyVersion {
    pub id: String,
    pub document: Document,
    pub created: String,
}

#[derive(Debug)]
pub(crate) struct ManagedPolicy {
    pub name: String,
    pub id: String,
    pub path: String,
    pub arn: String,
    pub description: Option<String>,
    pub created: String,
    pub updated: String,
    pub default_version: String,
    pub versions: Vec<PolicyVersion>,
    /// The number the next created version gets (`v{n}`); ids are never reused.
    pub next_version: u32,
    pub tags: Tags,
}

/// Per-account usage of one managed policy (customer or AWS managed).
#[derive(Default, Debug, Clone, Copy)]
pub(crate) struct Usage {
    pub attachments: u32,
    pub boundaries: u32,
}

#[derive(Debug)]
pub(crate) struct InstanceProfile {
    pub name: String,
    pub id: String,
    pub path: String,
    pub arn: String,
    pub created: String,
    /// Lowercased role names (at most one).
    pub roles: Vec<String>,
    pub tags: Tags,
}

#[derive(Debug)]
pub(crate) struct OidcProvider {
    pub url: String,
    pub client_ids: Vec<String>,
    pub thumbprints: Vec<String>,
    pub created: String,
    pub tags: Tags,
}

#[derive(Debug)]
pub(crate) struct SamlProvider {
    pub metadata: String,
    pub uuid: String,
    pub created: String,
    pub tags: Tags,
}

#[derive(Debug)]
pub(crate) struct ServerCertificate {
    pub name: String,
    pub id: String,
    pub path: String,
    pub arn: String,
    pub uploaded: String,
    pub expiration: String,
    pub body: String,
    pub chain: Option<String>,
    pub tags: Tags,
}

#[derive(Debug)]
pub(crate) struct VirtualMfaDevice {
    /// Lowercased name of the user it is enabled for.
    pub user: Option<String>,
    pub enabled: Option<String>,
    pub tags: Tags,
}

/// All IAM state of one account.
#[derive(Default, Debug)]
pub(crate) struct Account {
    pub id: String,
    /// When this account's state was first touched (the root user's CreateDate).
    pub created: String,
    pub users: BTreeMap<String, User>,
    pub groups: BTreeMap<String, Group>,
    pub roles: BTreeMap<String, Role>,
    pub policies: BTreeMap<String, ManagedPolicy>,
    pub usage: HashMap<String, Usage>,
    pub instance_profiles: BTreeMap<String, InstanceProfile>,
    pub server_certificates: BTreeMap<String, ServerCertificate>,
    /// Virtual MFA devices by serial number (ARN).
    pub mfa_devices: BTreeMap<String, VirtualMfaDevice>,
    /// By ARN.
    pub oidc_providers: BTreeMap<String, OidcProvider>,
    /// By ARN.
    pub saml_providers: BTreeMap<String, SamlProvider>,
    pub aliases: Vec<String>,
    /// The account password policy, in the model's `PasswordPolicy` shape.
    pub password_policy: Option<serde_json::Value>,
    /// Access key id → lowercased user name.
    pub access_key_owners: HashMap<String, String>,
    /// Service-linked role deletion task ids.
    pub deletion_tasks: BTreeSet<String>,
}

impl Account {
    pub fn new(id: &str) -> Account {
        Account {
            id: id.to_string(),
            created: super::ids::now(),
            ..Account::default()
        }
    }

    pub fn usage(&self, arn: &str) -> Usage {
        self.usage.get(arn).copied().unwrap_or_default()
    }
}

fn boundary_json(arn: &str) -> Value {
    json!({"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": arn})
}

impl User {
    pub fn to_json(&self, view: View) -> Value {
        // Sized once and filled without `json!` (which serializes each string): GetUser's path.
        let mut out = Map::with_capacity(7);
        out.insert("Path".into(), Value::String(self.path.clone()));
        out.insert("UserName".into(), Value::String(self.name.clone()));
        out.insert("UserId".into(), Value::String(self.id.clone()));
        out.insert("Arn".into(), Value::String(self.arn.clone()));
        out.insert("CreateDate".into(), Value::String(self.created.clone()));
        if view != View::Listed {
            if let Some(arn) = &self.boundary {
                out.insert("PermissionsBoundary".into(), boundary_json(arn));
            }
            if !self.tags.is_empty() {
                out.insert("Tags".into(), tags_json(&self.tags));
            }
        }
        Value::Object(out)
    }
}

impl Group {
    pub fn to_json(&self) -> Value {
        json!({
            "Path": self.path,
            "GroupName": self.name,
            "GroupId": self.id,
            "Arn": self.arn,
            "CreateDate": self.created,
        })
    }
}

impl Role {
    pub fn to_json(&self, view: View) -> Value {
        let mut out = Map::new();
        out.insert("Path".into(), json!(self.path));
        out.insert("RoleName".into(), json!(self.name));
        out.insert("RoleId".into(), json!(self.id));
        out.insert("Arn".into(), json!(self.arn));
        out.insert("CreateDate".into(), json!(self.created));
        out.insert(
            "AssumeRolePolicyDocument".into(),
            json!(self.trust_policy.encoded),
        );
        if let Some(description) = self.description.as_ref().filter(|_| view != View::Created) {
            out.insert("Description".into(), json!(description));
        }
        if matches!(view, View::Get | View::Listed) {
            out.insert(
                "MaxSessionDuration".into(),
                json!(self.max_session_duration),
            );
        }
        if view != View::Listed {
            if let Some(arn) = &self.boundary {
                out.insert("PermissionsBoundary".into(), boundary_json(arn));
            }
            if !self.tags.is_empty() {
                out.insert("Tags".into(), tags_json(&self.tags));
            }
        }
        if view == View::Get {
            out.insert("RoleLastUsed".into(), json!({}));
        }
        Value::Object(out)
    }
}

impl ManagedPolicy {
    /// `with_details` adds Description and Tags (GetPolicy, CreatePolicy); ListPolicies has neither.
    pub fn to_json(&self, usage: Usage, with_details: bool) -> Value {
        let mut out = Map::new();
        out.insert("PolicyName".into(), json!(self.name));
        out.insert("PolicyId".into(), json!(self.id));
        out.insert("Arn".into(), json!(self.arn));
        out.insert("Path".into(), json!(self.path));
        out.insert("DefaultVersionId".into(), json!(self.default_version));
        out.insert("AttachmentCount".into(), json!(usage.attachments));
        out.insert(
            "PermissionsBoundaryUsageCount".into(),
            json!(usage.boundaries),
        );
        out.insert("IsAttachable".into(), json!(true));
        if with_details {
            if let Some(description) = &self.description {
                out.insert("Description".into(), json!(description));
            }
        }
        out.insert("CreateDate".into(), json!(self.created));
        out.insert("UpdateDate".into(), json!(self.updated));
        if with_details {
            out.insert("Tags".into(), tags_json(&self.tags));
        }
        Value::Object(out)
    }

    pub fn version(&self, id: &str) -> Option<&PolicyVersion> {
        self.versions.iter().find(|v| v.id == id)
    }

    pub fn version_json(&self, version: &PolicyVersion, with_document: bool) -> Value {
        let mut out = Map::new();
        if with_document {
            out.insert("Document".into(), json!(version.document.encoded));
        }
        out.insert("VersionId".into(), json!(version.id));
        out.insert(
            "IsDefaultVersion".into(),
            json!(version.id == self.default_version),
        );
        out.insert("CreateDate".into(), json!(version.created));
        Value::Object(out)
    }
}

impl InstanceProfile {
    pub fn to_json(&self, roles: &BTreeMap<String, Role>, with_tags: bool) -> Value {
        let roles: Vec<Value> = self
            .roles
            .iter()
            .filter_map(|k| roles.get(k))
            .map(|r| r.to_json(View::Created))
            .collect();
        let mut out = json!({
            "Path": self.path,
            "InstanceProfileName": self.name,
            "InstanceProfileId": self.id,
            "Arn": self.arn,
            "CreateDate": self.created,
            "Roles": roles,
        });
        if with_tags && !self.tags.is_empty() {
            out["Tags"] = tags_json(&self.tags);
        }
        out
    }
}

impl AccessKey {
    pub fn status(&self) -> &'static str {
        if self.active {
            "Active"
        } else {
            "Inactive"
        }
    }
}

impl ServiceCredential {
    pub fn to_json(&self, user: &str, with_password: bool) -> Value {
        let mut out = Map::new();
        out.insert("CreateDate".into(), json!(self.created));
        out.insert("ServiceName".into(), json!(self.service));
        if with_password {
            out.insert("ServicePassword".into(), json!(self.password));
        }
        out.insert("ServiceSpecificCredentialId".into(), json!(self.id));
        out.insert("ServiceUserName".into(), json!(self.service_user_name));
        out.insert(
            "Status".into(),
            json!(if self.active { "Active" } else { "Inactive" }),
        );
        out.insert("UserName".into(), json!(user));
        Value::Object(out)
    }
}
