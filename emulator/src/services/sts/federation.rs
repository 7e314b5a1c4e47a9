//! Federated sessions: AssumeRoleWithWebIdentity (OIDC JWTs) and AssumeRoleWithSAML.
//!
//! Signatures are not verified (the emulator holds no IdP keys); the claims are read so the
//! answer carries the subject, issuer and audience AWS echoes back.

use base64::Engine;
use quick_xml::events::Event;
use quick_xml::Reader;
use serde_json::{json, Map, Value};

use super::{assumed_role_user, duration, packed_policy_size, role_account, session_name, Sts};
use crate::service::{AwsError, HandlerResult};
use crate::services::iam::input::Input;

fn invalid_token(message: &str) -> AwsError {
    AwsError::new("InvalidIdentityToken", message, 400)
}

/// The claims of a JWT (`header.payload.signature`, base64url without padding).
fn jwt_claims(token: &str) -> Option<Map<String, Value>> {
    let mut parts = token.split('.');
    let (_header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(claims) => Some(claims),
        _ => None,
    }
}

pub(super) fn web_identity(sts: &Sts, input: Input) -> HandlerResult {
    let session = session_name(input, "RoleSessionName", 64)?;
    let role_arn = input.req("RoleArn")?;
    let token = input.req("WebIdentityToken")?;
    let claims = jwt_claims(token).ok_or_else(|| {
        invalid_token("The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)")
    })?;
    if let Some(exp) = claims.get("exp").and_then(Value::as_i64) {
        if exp < time::OffsetDateTime::now_utc().unix_timestamp() {
            return Err(AwsError::new(
                "ExpiredTokenException",
                "Token expired: current date/time must be before the expiration date/time",
                400,
            ));
        }
    }
    let packed = packed_policy_size(input)?;
    let role = sts.role(role_arn, "AssumeRoleWithWebIdentity")?;
    let seconds = duration(
        input,
        3600,
        role.max_session_duration,
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    )?;
    let (arn, user_id, user_json) = assumed_role_user(&role, session);
    let issued = sts.issue(role_account(&role), &arn, &user_id, seconds);
    let subject = claims
        .get("sub")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let audience = match claims.get("aud") {
        Some(Value::String(aud)) => aud.clone(),
        Some(Value::Array(auds)) => auds
            .first()
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        _ => claims
            .get("azp")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
    };
    let provider = match input.str("ProviderId") {
        Some(provider) => provider.to_string(),
        None => claims
            .get("iss")
            .and_then(Value::as_str)
            .map(|iss| iss.trim_start_matches("https://").to_string())
            .unwrap_or_default(),
    };
    let mut out = Map::new();
    out.insert("Credentials".into(), issued);
    out.insert("SubjectFromWebIdentityToken".into(), json!(subject));
    out.insert("AssumedRoleUser".into(), user_json);
    if let Some(packed) = packed {
        out.insert("PackedPolicySize".into(), json!(packed));
    }
    out.insert("Provider".into(), json!(provider));
    out.insert("Audience".into(), json!(audience));
    Ok(Value::Object(out))
}

/// What AWS reads from a SAML response.
#[derive(Default)]
struct Assertion {
    issuer: Option<String>,
    name_id: Option<String>,
    name_id_format: Option<String>,
    audience: Option<String>,
    session_name: Option<String>,
}

const SESSION_NAME_ATTRIBUTE: &str = "https://aws.amazon.com/SAML/Attributes/RoleSessionName";

fn parse_assertion(xml: &str) -> Option<Assertion> {
    let mut reader = Reader::from_str(xml);
    let mut found = Assertion::default();
    let mut current: Option<String> = None;
    let mut in_session_attribute = false;
    let mut saw_element = false;
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) => {
                saw_element = true;
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if name == "NameID" {
                    found.name_id_format = e
                        .attributes()
                        .flatten()
                        .find(|a| a.key.local_name().as_ref() == b"Format")
                        .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()));
                }
                if name == "Attribute" {
                    in_session_attribute = e.attributes().flatten().any(|a| {
                        a.key.local_name().as_ref() == b"Name"
                            && a.unescape_value()
                                .is_ok_and(|v| v == SESSION_NAME_ATTRIBUTE)
                    });
                }
                current = Some(name);
            }
            Event::Empty(_) => saw_element = true,
            Event::Text(t) => {
                let text = t.unescape().ok()?.trim().to_string();
                if text.is_empty() {
                    continue;
                }
                match current.as_deref() {
                    Some("Issuer") if found.issuer.is_none() => found.issuer = Some(text),
                    Some("NameID") if found.name_id.is_none() => found.name_id = Some(text),
                    Some("Audience") if found.audience.is_none() => found.audience = Some(text),
                    Some("AttributeValue")
                        if in_session_attribute && found.session_name.is_none() =>
                    {
                        found.session_name = Some(text)
                    }
                    _ => {}
                }
            }
            Event::End(e) => {
                if e.local_name().as_ref() == b"Attribute" {
                    in_session_attribute = false;
                }
                current = None;
            }
            Event::Eof => break,
            _ => {}
        }
    }
    saw_element.then_some(found)
}

pub(super) fn saml(sts: &Sts, input: Input) -> HandlerResult {
    let role_arn = input.req("RoleArn")?;
    let principal_arn = input.req("PrincipalArn")?;
    let encoded = input.req("SAMLAssertion")?;
    let xml = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| invalid_token("Invalid base64 SAMLResponse"))?;
    let assertion = parse_assertion(&xml).ok_or_else(|| invalid_token("Invalid SAML response"))?;
    let session = assertion
        .session_name
        .clone()
        .ok_or_else(|| invalid_token("RoleSessionName is required in AuthnResponse"))?;
    super::check_arn(principal_arn)?;
    let packed = packed_policy_size(input)?;
    let role = sts.role(role_arn, "AssumeRoleWithSAML")?;
    let seconds = duration(
        input,
        3600,
        role.max_session_duration,
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    )?;
    let (arn, user_id, user_json) = assumed_role_user(&role, &session);
    let issued = sts.issue(role_account(&role), &arn, &user_id, seconds);
    let subject_type = match assertion.name_id_format.as_deref() {
        Some(format) => format
            .strip_prefix("urn:oasis:names:tc:SAML:2.0:nameid-format:")
            .unwrap_or(format)
            .to_string(),
        None => "transient".to_string(),
    };
    let mut out = Map::new();
    out.insert("Credentials".into(), issued);
    out.insert("AssumedRoleUser".into(), user_json);
    if let Some(packed) = packed {
        out.insert("PackedPolicySize".into(), json!(packed));
    }
    out.insert(
        "Subject".into(),
        json!(assertion.name_id.unwrap_or_default()),
    );
    out.insert("SubjectType".into(), json!(subject_type));
    out.insert("Issuer".into(), json!(assertion.issuer.unwrap_or_default()));
    out.insert(
        "Audience".into(),
        json!(assertion
            .audience
            .unwrap_or_else(|| "https://signin.aws.amazon.com/saml".into())),
    );
    Ok(Value::Object(out))
}
