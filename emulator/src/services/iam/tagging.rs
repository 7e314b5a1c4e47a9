//! Tags on every taggable IAM entity: Tag*, Untag* and List*Tags share one implementation.

use serde_json::{json, Value};

use super::errors::{
    invalid_input, limit_exceeded, no_such_instance_profile, no_such_role, no_such_user,
    policy_not_found,
};
use super::input::{constraint_error, Input};
use super::pagination::page;
use super::state::{key, tags_json, Account, Tags};
use super::Call;
use crate::service::{AwsError, HandlerResult};

const MAX_TAGS: usize = 50;

#[derive(Clone, Copy)]
pub(crate) enum Taggable {
    User,
    Role,
    Policy,
    InstanceProfile,
    OidcProvider,
    SamlProvider,
    ServerCertificate,
}

impl Taggable {
    fn id_member(self) -> &'static str {
        match self {
            Taggable::User => "UserName",
            Taggable::Role => "RoleName",
            Taggable::Policy => "PolicyArn",
            Taggable::InstanceProfile => "InstanceProfileName",
            Taggable::OidcProvider => "OpenIDConnectProviderArn",
            Taggable::SamlProvider => "SAMLProviderArn",
            Taggable::ServerCertificate => "ServerCertificateName",
        }
    }

    fn tags_mut<'a>(self, account: &'a mut Account, id: &str) -> Result<&'a mut Tags, AwsError> {
        let k = key(id);
        match self {
            Taggable::User => account
                .users
                .get_mut(&k)
                .map(|e| &mut e.tags)
                .ok_or_else(|| no_such_user(id)),
            Taggable::Role => account
                .roles
                .get_mut(&k)
                .map(|e| &mut e.tags)
                .ok_or_else(|| no_such_role(id)),
            Taggable::Policy => {
                let name = id.rsplit('/').next().unwrap_or(id);
                account
                    .policies
                    .get_mut(&key(name))
                    .filter(|p| p.arn == id)
                    .map(|e| &mut e.tags)
                    .ok_or_else(|| policy_not_found(id))
            }
            Taggable::InstanceProfile => account
                .instance_profiles
                .get_mut(&k)
                .map(|e| &mut e.tags)
                .ok_or_else(|| no_such_instance_profile(id)),
            Taggable::OidcProvider => account
                .oidc_providers
                .get_mut(id)
                .map(|e| &mut e.tags)
                .ok_or_else(|| super::providers::no_such_oidc(id)),
            Taggable::SamlProvider => account
                .saml_providers
                .get_mut(id)
                .map(|e| &mut e.tags)
                .ok_or_else(|| super::providers::no_such_saml(id)),
            Taggable::ServerCertificate => account
                .server_certificates
                .get_mut(&k)
                .map(|e| &mut e.tags)
                .ok_or_else(|| super::server_certificates::no_such_certificate(id)),
        }
    }
}

fn valid_key_char(c: char) -> bool {
    c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c)
}

/// The request's `Tags` member, validated.
pub(crate) fn read_tags(input: Input) -> Result<Tags, AwsError> {
    let Some(Value::Array(items)) = input.get("Tags") else {
        return Ok(Vec::new());
    };
    let mut tags: Tags = Vec::with_capacity(items.len());
    for item in items {
        let tag_key = item.get("Key").and_then(Value::as_str);
        let value = item.get("Value").and_then(Value::as_str);
        let (Some(tag_key), Some(value)) = (tag_key, value) else {
            return Err(constraint_error(
                None,
                "Tags.member.key",
                "Member must not be null",
            ));
        };
        if tag_key.is_empty()
            || tag_key.chars().count() > 128
            || !tag_key.chars().all(valid_key_char)
        {
            return Err(constraint_error(
                Some(tag_key),
                "tags.member.key",
                "Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+",
            ));
        }
        if value.chars().count() > 256 {
            return Err(constraint_error(
                Some(value),
                "tags.member.value",
                "Member must have length less than or equal to 256",
            ));
        }
        if tags.iter().any(|(k, _)| k.eq_ignore_ascii_case(tag_key)) {
            return Err(invalid_input(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
            ));
        }
        tags.push((tag_key.to_string(), value.to_string()));
    }
    if tags.len() > MAX_TAGS {
        return Err(AwsError::validation(
            "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50",
        ));
    }
    Ok(tags)
}

pub(crate) fn tag(call: &Call, kind: Taggable) -> HandlerResult {
    let id = call.input.req(kind.id_member())?;
    let new_tags = read_tags(call.input)?;
    let account = call.account();
    let mut account = account.write();
    let tags = kind.tags_mut(&mut account, id)?;
    let mut merged = tags.clone();
    for (k, v) in new_tags {
        match merged
            .iter_mut()
            .find(|(existing, _)| existing.eq_ignore_ascii_case(&k))
        {
            Some(slot) => *slot = (k, v),
            None => merged.push((k, v)),
        }
    }
    if merged.len() > MAX_TAGS {
        return Err(limit_exceeded(
            "The number of tags has reached the maximum limit.",
        ));
    }
    *tags = merged;
    Ok(json!({}))
}

pub(crate) fn untag(call: &Call, kind: Taggable) -> HandlerResult {
    let id = call.input.req(kind.id_member())?;
    let keys = call.input.strings("TagKeys");
    let account = call.account();
    let mut account = account.write();
    let tags = kind.tags_mut(&mut account, id)?;
    tags.retain(|(k, _)| !keys.iter().any(|r| r.eq_ignore_ascii_case(k)));
    Ok(json!({}))
}

pub(crate) fn list(call: &Call, kind: Taggable) -> HandlerResult {
    let id = call.input.req(kind.id_member())?;
    let account = call.account();
    // Looking up needs the same accessor as the writers; a write lock keeps one code path.
    let mut account = account.write();
    let tags = kind.tags_mut(&mut account, id)?;
    let Value::Array(items) = tags_json(tags) else {
        return Ok(json!({"Tags": [], "IsTruncated": false}));
    };
    Ok(Value::Object(page(items, call.input, "Tags")?))
}
