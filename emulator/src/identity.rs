//! Who is calling, and where: the SigV4 credential scope of a request and the caller it maps to.
//!
//! Signatures are not verified (an emulator accepts any secret); the scope only routes.

use std::borrow::Cow;

use hyper::header::{HeaderMap, AUTHORIZATION};

use crate::service::Caller;
use crate::Shared;

/// The `Credential=AKID/date/region/service/aws4_request` scope of a SigV4 request, borrowed
/// from the `Authorization` header (owned only when a presigned URL's scope was percent-encoded).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CredentialScope<'a> {
    pub access_key_id: Cow<'a, str>,
    pub region: Cow<'a, str>,
    pub service: Cow<'a, str>,
}

impl<'a> CredentialScope<'a> {
    /// From the `Authorization` header, else from a presigned URL's `X-Amz-Credential`.
    pub fn from_request(headers: &'a HeaderMap, query: &'a str) -> Option<CredentialScope<'a>> {
        // Not `to_str`, which checks byte by byte: a header value never holds control bytes, so
        // it is a `str` exactly when it is ASCII, which is checked a word at a time.
        let auth = headers
            .get(AUTHORIZATION)
            .map(|v| v.as_bytes())
            .filter(|v| v.is_ascii())
            .and_then(|v| std::str::from_utf8(v).ok());
        if let Some(auth) = auth {
            // Byte scans: cheaper than `str` pattern searches on this per-request path.
            const KEY: &[u8] = b"Credential=";
            let bytes = auth.as_bytes();
            let mut from = 0;
            let start = loop {
                let c = from + bytes[from..].iter().position(|&b| b == b'C')?;
                if bytes[c..].starts_with(KEY) {
                    break c + KEY.len();
                }
                from = c + 1;
            };
            let rest = &auth[start..];
            let end = rest
                .bytes()
                .position(|b| b == b',' || b == b' ')
                .unwrap_or(rest.len());
            return Self::parse(Cow::Borrowed(&rest[..end]));
        }
        if query.contains("X-Amz-Credential") {
            return form_urlencoded::parse(query.as_bytes())
                .find(|(k, _)| k == "X-Amz-Credential")
                .and_then(|(_, v)| Self::parse(v));
        }
        None
    }

    fn parse(credential: Cow<'a, str>) -> Option<CredentialScope<'a>> {
        /// Access key, region and service of `AKID/date/region/service[/…]`.
        fn fields(credential: &str) -> Option<(&str, &str, &str)> {
            let mut slashes = credential
                .bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'/')
                .map(|(i, _)| i);
            let (key_end, date_end, region_end) =
                (slashes.next()?, slashes.next()?, slashes.next()?);
            let service_end = slashes.next().unwrap_or(credential.len());
            Some((
                &credential[..key_end],
                &credential[date_end + 1..region_end],
                &credential[region_end + 1..service_end],
            ))
        }
        Some(match credential {
            Cow::Borrowed(credential) => {
                let (access_key_id, region, service) = fields(credential)?;
                CredentialScope {
                    access_key_id: Cow::Borrowed(access_key_id),
                    region: Cow::Borrowed(region),
                    service: Cow::Borrowed(service),
                }
            }
            Cow::Owned(credential) => {
                let (access_key_id, region, service) = fields(&credential)?;
                CredentialScope {
                    access_key_id: Cow::Owned(access_key_id.to_string()),
                    region: Cow::Owned(region.to_string()),
                    service: Cow::Owned(service.to_string()),
                }
            }
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
    // Concatenated rather than `format!`: this runs on every request signed with a test key.
    let mut arn = String::with_capacity(account_id.len() + 18);
    arn.push_str("arn:aws:iam::");
    arn.push_str(account_id);
    arn.push_str(":root");
    Caller {
        access_key_id: access_key_id.to_string(),
        account_id: account_id.to_string(),
        arn,
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
                s.access_key_id.as_ref(),
                s.region.as_ref(),
                s.service.as_ref()
            ),
            ("AKIDEXAMPLE", "eu-west-1", "iam")
        );
        let q = "Action=GetCallerIdentity&X-Amz-Credential=K%2F20240101%2Fus-west-2%2Fsts%2Faws4_request";
        let no_headers = HeaderMap::new();
        let s = CredentialScope::from_request(&no_headers, q).unwrap();
        assert_eq!(
            (s.region.as_ref(), s.service.as_ref()),
            ("us-west-2", "sts")
        );
    }

    #[test]
    fn scope_from_authorization_headers() {
        // (Authorization header, expected access key / region / service)
        let cases = [
            (
                "AWS4-HMAC-SHA256 Credential=AK/20240101/eu-west-1/iam/aws4_request,SignedHeaders=host",
                Some(("AK", "eu-west-1", "iam")),
            ),
            ("AWS4-HMAC-SHA256 Credential=AK/d/r/lambda", Some(("AK", "r", "lambda"))),
            ("AWS4-HMAC-SHA256 Credential=AK/d/r/ x", Some(("AK", "r", ""))),
            ("AWS4-HMAC-SHA256 Credential=AK/d/us-east-1, x", None),
            ("AWS4-HMAC-SHA256 Credential=", None),
            ("AWS4-HMAC-SHA256 Credentia", None),
            ("Bearer xyz", None),
        ];
        for (auth, expected) in cases {
            let mut h = HeaderMap::new();
            h.insert(AUTHORIZATION, auth.parse().unwrap());
            let got = CredentialScope::from_request(&h, "");
            let got = got
                .as_ref()
                .map(|s| (&*s.access_key_id, &*s.region, &*s.service));
            assert_eq!(got, expected, "{auth}");
        }
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
