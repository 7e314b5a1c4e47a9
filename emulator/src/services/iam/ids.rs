//! Identifiers, secrets, timestamps and the URL-encoding IAM applies to policy documents.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use rand::Rng;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

const UPPER_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const SECRET_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn random_from(alphabet: &[u8], len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| alphabet[rng.random_range(0..alphabet.len())] as char)
        .collect()
}

/// Unique ids of IAM entities: a 4-letter type prefix (AIDA user, AROA role, ANPA policy,
/// AGPA group, AIPA instance profile, ACCA service-specific credential) and 17 characters.
pub(crate) fn entity_id(prefix: &str) -> String {
    format!("{prefix}{}", random_from(UPPER_ALNUM, 17))
}

/// Access key ids: AKIA (long-term) or ASIA (temporary) and 16 characters.
pub(crate) fn access_key_id(prefix: &str) -> String {
    format!("{prefix}{}", random_from(UPPER_ALNUM, 16))
}

pub(crate) fn secret_access_key() -> String {
    random_from(SECRET_CHARS, 40)
}

pub(crate) fn random_token(len: usize) -> String {
    random_from(SECRET_CHARS, len)
}

/// Now, as the RFC 3339 string handlers return (whole seconds, like IAM).
pub(crate) fn now() -> String {
    timestamp(OffsetDateTime::now_utc())
}

pub(crate) fn timestamp(at: OffsetDateTime) -> String {
    at.replace_nanosecond(0)
        .unwrap_or(at)
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// IAM returns policy documents URL-encoded (RFC 3986 unreserved characters kept); clients
/// decode them (botocore does, and so does the dispatch layer).
const DOCUMENT_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

pub(crate) fn encode_document(document: &str) -> String {
    utf8_percent_encode(document, DOCUMENT_ENCODE).to_string()
}
