//! Identity providers: OpenID Connect and SAML.

use serde_json::{json, Map, Value};

use super::errors::{already_exists, invalid_input, no_such_entity};
use super::ids::now;
use super::input::{check_name, constraint_error};
use super::state::{tags_json, OidcProvider, SamlProvider};
use super::tagging::read_tags;
use super::Call;
use crate::service::{AwsError, HandlerResult};

const SAML_METADATA_MIN: usize = 1000;

pub(crate) fn no_such_oidc(arn: &str) -> AwsError {
    no_such_entity(format!("OpenIDConnect Provider not found for arn {arn}"))
}

pub(crate) fn no_such_saml(arn: &str) -> AwsError {
    no_such_entity(format!("SAMLProvider {arn} does not exist."))
}

fn with_tags(mut out: Map<String, Value>, tags: &super::state::Tags) -> Value {
    if !tags.is_empty() {
        out.insert("Tags".into(), tags_json(tags));
    }
    Value::Object(out)
}

pub(crate) fn create_oidc(call: &Call) -> HandlerResult {
    let url = call.input.req("Url")?;
    let Some(host_and_path) = url.strip_prefix("https://").filter(|r| !r.is_empty()) else {
        return Err(AwsError::validation("Invalid Open ID Connect Provider URL"));
    };
    let host_and_path = host_and_path.trim_end_matches('/');
    let thumbprints = call.input.strings("ThumbprintList");
    if thumbprints.iter().any(|t| t.len() != 40) {
        return Err(AwsError::validation(
            "1 validation error detected: Value at 'thumbprintList' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 40, Member must have length greater than or equal to 40]",
        ));
    }
    if thumbprints.len() > 5 {
        return Err(invalid_input(
            "Thumbprint list must contain fewer than 5 entries.",
        ));
    }
    let tags = read_tags(call.input)?;
    let account = call.account();
    let mut account = account.write();
    let arn = format!("arn:aws:iam::{}:oidc-provider/{host_and_path}", account.id);
    if account.oidc_providers.contains_key(&arn) {
        return Err(already_exists(format!(
            "Provider with url {url} already exists."
        )));
    }
    let mut client_ids: Vec<String> = Vec::new();
    for id in call.input.strings("ClientIDList") {
        if !client_ids.contains(&id) {
            client_ids.push(id);
        }
    }
    let mut out = Map::new();
    out.insert("OpenIDConnectProviderArn".into(), json!(arn));
    let out = with_tags(out, &tags);
    account.oidc_providers.insert(
        arn,
        OidcProvider {
            url: host_and_path.to_string(),
            client_ids,
            thumbprints,
            created: now(),
            tags,
        },
    );
    Ok(out)
}

pub(crate) fn get_oidc(call: &Call) -> HandlerResult {
    let arn = call.input.req("OpenIDConnectProviderArn")?;
    let account = call.account();
    let account = account.read();
    let provider = account
        .oidc_providers
        .get(arn)
        .ok_or_else(|| no_such_oidc(arn))?;
    let mut out = Map::new();
    out.insert("Url".into(), json!(provider.url));
    out.insert("ClientIDList".into(), json!(provider.client_ids));
    out.insert("ThumbprintList".into(), json!(provider.thumbprints));
    out.insert("CreateDate".into(), json!(provider.created));
    Ok(with_tags(out, &provider.tags))
}

pub(crate) fn list_oidc(call: &Call) -> HandlerResult {
    let account = call.account();
    let account = account.read();
    let items: Vec<Value> = account
        .oidc_providers
        .keys()
        .map(|arn| json!({"Arn": arn}))
        .collect();
    Ok(json!({"OpenIDConnectProviderList": items}))
}

pub(crate) fn delete_oidc(call: &Call) -> HandlerResult {
    let arn = call.input.req("OpenIDConnectProviderArn")?;
    let account = call.account();
    let mut account = account.write();
    account
        .oidc_providers
        .remove(arn)
        .ok_or_else(|| no_such_entity(format!("OpenId connect Provider {arn} cannot be found.")))?;
    Ok(json!({}))
}

fn with_oidc<F>(call: &Call, change: F) -> HandlerResult
where
    F: FnOnce(&mut OidcProvider) -> Result<(), AwsError>,
{
    let arn = call.input.req("OpenIDConnectProviderArn")?;
    let account = call.account();
    let mut account = account.write();
    let provider = account
        .oidc_providers
        .get_mut(arn)
        .ok_or_else(|| no_such_oidc(arn))?;
    change(provider)?;
    Ok(json!({}))
}

pub(crate) fn add_client_id(call: &Call) -> HandlerResult {
    let client_id = call.input.req("ClientID")?.to_string();
    with_oidc(call, |p| {
        if !p.client_ids.contains(&client_id) {
            p.client_ids.push(client_id);
        }
        Ok(())
    })
}

pub(crate) fn remove_client_id(call: &Call) -> HandlerResult {
    let client_id = call.input.req("ClientID")?.to_string();
    with_oidc(call, |p| {
        let before = p.client_ids.len();
        p.client_ids.retain(|c| *c != client_id);
        if p.client_ids.len() == before {
            return Err(no_such_entity(format!("Client ID {client_id} not found.")));
        }
        Ok(())
    })
}

pub(crate) fn update_thumbprints(call: &Call) -> HandlerResult {
    let thumbprints = call.input.strings("ThumbprintList");
    with_oidc(call, |p| {
        p.thumbprints = thumbprints;
        Ok(())
    })
}

fn saml_metadata<'a>(call: &'a Call) -> Result<&'a str, AwsError> {
    let metadata = call.input.req("SAMLMetadataDocument")?;
    if metadata.chars().count() < SAML_METADATA_MIN {
        return Err(constraint_error(
            None,
            "SAMLMetadataDocument",
            "Member must have length greater than or equal to 1000",
        ));
    }
    Ok(metadata)
}

pub(crate) fn create_saml(call: &Call) -> HandlerResult {
    let name = call.input.req("Name")?;
    check_name(name, "Name", 128)?;
    let metadata = saml_metadata(call)?;
    let tags = read_tags(call.input)?;
    let account = call.account();
    let mut account = account.write();
    let arn = format!("arn:aws:iam::{}:saml-provider/{name}", account.id);
    if account.saml_providers.contains_key(&arn) {
        return Err(invalid_input(format!(
            "SAMLProvider {name} already exists."
        )));
    }
    let mut out = Map::new();
    out.insert("SAMLProviderArn".into(), json!(arn));
    let out = with_tags(out, &tags);
    account.saml_providers.insert(
        arn,
        SamlProvider {
            metadata: metadata.to_string(),
            uuid: uuid::Uuid::new_v4().to_string(),
            created: now(),
            tags,
        },
    );
    Ok(out)
}

pub(crate) fn get_saml(call: &Call) -> HandlerResult {
    let arn = call.input.req("SAMLProviderArn")?;
    let account = call.account();
    let account = account.read();
    let provider = account
        .saml_providers
        .get(arn)
        .ok_or_else(|| no_such_saml(arn))?;
    let mut out = Map::new();
    out.insert("SAMLProviderUUID".into(), json!(provider.uuid));
    out.insert("SAMLMetadataDocument".into(), json!(provider.metadata));
    out.insert("CreateDate".into(), json!(provider.created));
    Ok(with_tags(out, &provider.tags))
}

pub(crate) fn list_saml(call: &Call) -> HandlerResult {
    let account = call.account();
    let account = account.read();
    let items: Vec<Value> = account
        .saml_providers
        .iter()
        .map(|(arn, p)| json!({"Arn": arn, "CreateDate": p.created}))
        .collect();
    Ok(json!({"SAMLProviderList": items}))
}

pub(crate) fn update_saml(call: &Call) -> HandlerResult {
    let arn = call.input.req("SAMLProviderArn")?;
    let metadata = saml_metadata(call)?;
    let account = call.account();
    let mut account = account.write();
    let provider = account
        .saml_providers
        .get_mut(arn)
        .ok_or_else(|| no_such_saml(arn))?;
    provider.metadata = metadata.to_string();
    Ok(json!({"SAMLProviderArn": arn}))
}

pub(crate) fn delete_saml(call: &Call) -> HandlerResult {
    let arn = call.input.req("SAMLProviderArn")?;
    let account = call.account();
    let mut account = account.write();
    account
        .saml_providers
        .remove(arn)
        .ok_or_else(|| no_such_entity(format!("Manifest not found for arn {arn}")))?;
    Ok(json!({}))
}
