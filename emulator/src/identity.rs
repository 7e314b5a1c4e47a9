//! Who is calling, and where: the SigV4 credential scope of a request and the caller it maps to.
//!
//! Signatures are not verified (an emulator accepts any secret); the scope only routes.

use hyper::header::{HeaderMap, AUTHORIZATION};

use crate::service::Caller;
use crate::Shared;

/// The `Credential=AKID/date/region/service/aws4_request` scope of a SigV4 request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CredentialScope {
    pub access_key_id: String,
    pub region: String,
    pub service: String,
}

impl CredentialScope {
    /// From the `Authorization` header, else from a presigned URL's `X-Amz-Credential`.
    pub fn from_request(headers: &HeaderMap, query: &str) -> Option<CredentialScope> {
        if let Some(auth) = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) {
            // A char-led scan: cheaper than a substring search on this per-request path.
            let start = auth
                .match_indices('C')
                .find(|(i, _)| auth[*i..].starts_with("Credential="))?
                .0
                + "Credential=".len();
            let rest = &auth[start..];
            let end = rest.find([',', ' ']).unwrap_or(rest.len());
            return Self::parse(&rest[..end]);
        }
        if query.contains("X-Amz-Credential") {
            return form_urlencoded::parse(query.as_bytes())
                .find(|(k, _)| k == "X-Amz-Credential")
                .and_then(|(_, v)| Self::parse(&v));
        }
        None
    }

    fn parse(credential: &str) -> Option<CredentialScope> {
        let mut parts = credential.split('/');
        let access_key_id = parts.next()?.to_string();
        let _date = parts.next()?;
        let region = parts.next()?.to_string();
        let service = parts.next()?.to_string();
        Some(CredentialScope {
            access_key_id,
            region,
            service,
        })
    }
}

/// The caller behind an access key: a registered key (IAM access keys, STS sessions), else a
/// 12-digit numeric key names its account (as LocalStack does), else the default account's root.
pub fn resolve_caller(shared: &Shared, access_key_id: &str) -> Caller {
    {
        let registered = shared.credentials.read();
        // Skips hashing the key while no credentials are registered (the common test setup).
        if !registered.is_empty() {
            if let Some(caller) = registered.get(access_key_id) {
                return caller.clone();
            }
        }
    }
    let account_id =
        if access_key_id.len() == 12 && access_key_id.bytes().all(|b| b.is_ascii_digit()) {
            access_key_id.to_string()
        } else {
            shared.config.default_account_id.clone()
        };
    root_caller(access_key_id, &account_id)
}

/// The root principal of an account, as GetCallerIdentity shows it for root credentials.
pub fn root_caller(access_key_id: &str, account_id: &str) -> Caller {
    Caller {
        access_key_id: access_key_id.to_string(),
        account_id: account_id.to_string(),
        arn: format!("arn:aws:iam::{account_id}:root"),
        user_id: account_id.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Config;

    #[test]
    fn scope_from_header_and_presigned_query() {
        let mut h = HeaderMap::new();
        h.insert(
            AUTHORIZATION,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/eu-west-1/iam/aws4_request, SignedHeaders=host, Signature=abc"
                .parse()
                .unwrap(),
        );
        let s = CredentialScope::from_request(&h, "").unwrap();
        assert_eq!(
            (
                s.access_key_id.as_str(),
                s.region.as_str(),
                s.service.as_str()
            ),
            ("AKIDEXAMPLE", "eu-west-1", "iam")
        );
        let q = "Action=GetCallerIdentity&X-Amz-Credential=K%2F20240101%2Fus-west-2%2Fsts%2Faws4_request";
        let s = CredentialScope::from_request(&HeaderMap::new(), q).unwrap();
        assert_eq!(
            (s.region.as_str(), s.service.as_str()),
            ("us-west-2", "sts")
        );
        let mut bad = HeaderMap::new();
        bad.insert(AUTHORIZATION, "Bearer xyz".parse().unwrap());
        assert_eq!(CredentialScope::from_request(&bad, ""), None);
    }

    #[test]
    fn accounts_from_keys() {
        let shared = Shared::new(Config::default());
        assert_eq!(resolve_caller(&shared, "test").account_id, "000000000000");
        assert_eq!(
            resolve_caller(&shared, "111122223333").account_id,
            "111122223333"
        );
        let registered = Caller {
            access_key_id: "ASIAX".into(),
            account_id: "999999999999".into(),
            arn: "arn:aws:sts::999999999999:assumed-role/r/s".into(),
            user_id: "AROAX:s".into(),
        };
        shared
            .credentials
            .write()
            .insert("ASIAX".into(), registered.clone());
        assert_eq!(resolve_caller(&shared, "ASIAX"), registered);
    }
}
