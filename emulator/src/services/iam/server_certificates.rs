//! Server certificates (IAM's certificate store for load balancers and CloudFront).

use base64::Engine;
use serde_json::{json, Map, Value};

use super::errors::{already_exists, no_such_entity};
use super::ids::{entity_id, now};
use super::input::check_path;
use super::pagination::{page, path_matches};
use super::state::{key, tags_json, ServerCertificate};
use super::tagging::read_tags;
use super::Call;
use crate::service::{AwsError, HandlerResult};

const NAME_MAX: usize = 128;

pub(crate) fn no_such_certificate(name: &str) -> AwsError {
    no_such_entity(format!(
        "The Server Certificate with name {name} cannot be found."
    ))
}

fn malformed(message: &str) -> AwsError {
    AwsError::new("MalformedCertificate", message, 400)
}

/// One DER element: (tag, contents, rest of the input).
fn der(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | *b as usize);
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// The notAfter time of an X.509 certificate in PEM form, as RFC 3339.
fn not_after(pem: &str) -> Option<String> {
    let body: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .map(str::trim)
        .collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(body)
        .ok()?;
    let (_, certificate, _) = der(&bytes)?;
    let (_, tbs, _) = der(certificate)?;
    let mut rest = tbs;
    // [0] version (optional), serial, signature algorithm, issuer, validity.
    let (tag, _, after) = der(rest)?;
    if tag == 0xa0 {
        rest = after;
    }
    for _ in 0..3 {
        rest = der(rest)?.2;
    }
    let (_, validity, _) = der(rest)?;
    let (_, _not_before, after) = der(validity)?;
    let (tag, time, _) = der(after)?;
    let text = std::str::from_utf8(time).ok()?;
    let full = match tag {
        // UTCTime YYMMDDHHMMSSZ: years 50-99 are 19xx.
        0x17 if text.len() >= 12 => {
            let century = if text[..2].parse::<u32>().ok()? >= 50 {
                "19"
            } else {
                "20"
            };
            format!("{century}{text}")
        }
        0x18 => text.to_string(),
        _ => return None,
    };
    let d = full.as_bytes();
    if d.len() < 14 || !d[..14].iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(format!(
        "{}-{}-{}T{}:{}:{}Z",
        &full[0..4],
        &full[4..6],
        &full[6..8],
        &full[8..10],
        &full[10..12],
        &full[12..14]
    ))
}

fn metadata(name: &str, cert: &ServerCertificate) -> Value {
    json!({
        "Path": cert.path,
        "ServerCertificateName": name,
        "ServerCertificateId": cert.id,
        "Arn": cert.arn,
        "UploadDate": cert.uploaded,
        "Expiration": cert.expiration,
    })
}

pub(crate) fn upload(call: &Call) -> HandlerResult {
    let name = call.input.name("ServerCertificateName", NAME_MAX)?;
    let path = call.input.path("Path")?;
    let body = call.input.req("CertificateBody")?;
    call.input.req("PrivateKey")?;
    let expiration = not_after(body).ok_or_else(|| {
        malformed("Unable to parse certificate. Please ensure the certificate is in PEM format.")
    })?;
    let tags = read_tags(call.input)?;
    let account = call.account();
    let mut account = account.write();
    if account.server_certificates.contains_key(&key(name)) {
        return Err(already_exists(format!(
            "The Server Certificate with name {name} already exists."
        )));
    }
    let cert = ServerCertificate {
        name: name.to_string(),
        id: entity_id("ASCA"),
        path: path.to_string(),
        arn: format!("arn:aws:iam::{}:server-certificate{path}{name}", account.id),
        uploaded: now(),
        expiration,
        body: body.to_string(),
        chain: call.input.str("CertificateChain").map(str::to_string),
        tags,
    };
    let mut out = Map::new();
    out.insert("ServerCertificateMetadata".into(), metadata(name, &cert));
    if !cert.tags.is_empty() {
        out.insert("Tags".into(), tags_json(&cert.tags));
    }
    account.server_certificates.insert(key(name), cert);
    Ok(Value::Object(out))
}

pub(crate) fn get(call: &Call) -> HandlerResult {
    let name = call.input.req("ServerCertificateName")?;
    let account = call.account();
    let account = account.read();
    let cert = account
        .server_certificates
        .get(&key(name))
        .ok_or_else(|| no_such_certificate(name))?;
    let mut out = Map::new();
    out.insert(
        "ServerCertificateMetadata".into(),
        metadata(&cert.name, cert),
    );
    out.insert("CertificateBody".into(), json!(cert.body));
    if let Some(chain) = &cert.chain {
        out.insert("CertificateChain".into(), json!(chain));
    }
    out.insert("Tags".into(), tags_json(&cert.tags));
    Ok(json!({"ServerCertificate": out}))
}

pub(crate) fn list(call: &Call) -> HandlerResult {
    let account = call.account();
    let account = account.read();
    let items = account
        .server_certificates
        .values()
        .filter(|c| path_matches(&c.path, call.input))
        .map(|c| metadata(&c.name, c))
        .collect();
    Ok(Value::Object(page(
        items,
        call.input,
        "ServerCertificateMetadataList",
    )?))
}

pub(crate) fn update(call: &Call) -> HandlerResult {
    let name = call.input.req("ServerCertificateName")?;
    let new_name = call.input.str("NewServerCertificateName");
    if let Some(new_name) = new_name {
        super::input::check_name(new_name, "NewServerCertificateName", NAME_MAX)?;
    }
    let new_path = call.input.str("NewPath");
    if let Some(path) = new_path {
        check_path(path)?;
    }
    let account = call.account();
    let mut account = account.write();
    let account = &mut *account;
    if let Some(new_name) = new_name {
        if key(new_name) != key(name) && account.server_certificates.contains_key(&key(new_name)) {
            return Err(already_exists(format!(
                "The Server Certificate with name {new_name} already exists."
            )));
        }
    }
    let mut cert = account
        .server_certificates
        .remove(&key(name))
        .ok_or_else(|| no_such_certificate(name))?;
    if let Some(path) = new_path {
        cert.path = path.to_string();
    }
    if let Some(new_name) = new_name {
        cert.name = new_name.to_string();
    }
    cert.arn = format!(
        "arn:aws:iam::{}:server-certificate{}{}",
        account.id, cert.path, cert.name
    );
    account.server_certificates.insert(key(&cert.name), cert);
    Ok(json!({}))
}

pub(crate) fn delete(call: &Call) -> HandlerResult {
    let name = call.input.req("ServerCertificateName")?;
    let account = call.account();
    let mut account = account.write();
    account
        .server_certificates
        .remove(&key(name))
        .ok_or_else(|| no_such_certificate(name))?;
    Ok(json!({}))
}

#[cfg(test)]
mod tests {
    use super::not_after;

    #[test]
    fn reads_not_after_and_rejects_garbage() {
        assert_eq!(not_after("not a certificate"), None);
        assert_eq!(
            not_after("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"),
            None
        );
    }
}
