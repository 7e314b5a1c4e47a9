//! The AWS managed policies (`arn:aws:iam::aws:policy/...`), loaded once from
//! `iam_data/aws_managed_policies.json` and shared read-only by every account.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use super::ids::entity_id;
use super::state::{Document, ManagedPolicy, PolicyVersion};

const DATA: &str = include_str!("../iam_data/aws_managed_policies.json");

/// Served for the managed policies whose documents are not bundled (see the data file).
const UNBUNDLED_DOCUMENT: &str = r#"{"Version":"2012-10-17","Statement":[]}"#;

#[derive(Deserialize)]
struct Data {
    policies: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    name: String,
    path: String,
    id: Option<String>,
    description: Option<String>,
    created: String,
    updated: String,
    version: String,
    document: Option<serde_json::Value>,
}

/// AWS managed policies by ARN.
pub(crate) fn catalog() -> &'static BTreeMap<String, ManagedPolicy> {
    static CATALOG: OnceLock<BTreeMap<String, ManagedPolicy>> = OnceLock::new();
    CATALOG.get_or_init(|| {
        // The file is part of the crate and covered by a test; an unreadable file is a build defect.
        let data: Data =
            serde_json::from_str(DATA).expect("iam_data/aws_managed_policies.json is valid");
        data.policies
            .into_iter()
            .map(|e| {
                let arn = format!("arn:aws:iam::aws:policy{}{}", e.path, e.name);
                let text = match &e.document {
                    Some(doc) => doc.to_string(),
                    None => UNBUNDLED_DOCUMENT.to_string(),
                };
                let version_number = e.version.trim_start_matches('v').parse().unwrap_or(1);
                let policy = ManagedPolicy {
                    name: e.name,
                    id: e.id.unwrap_or_else(|| entity_id("ANPA")),
                    path: e.path,
                    arn: arn.clone(),
                    description: e.description,
                    created: e.created.clone(),
                    updated: e.updated.clone(),
                    default_version: e.version.clone(),
                    versions: vec![PolicyVersion {
                        id: e.version,
                        document: Document::new(&text),
                        created: e.updated,
                    }],
                    next_version: version_number + 1,
                    tags: Vec::new(),
                };
                (arn, policy)
            })
            .collect()
    })
}

pub(crate) fn is_aws_managed(arn: &str) -> bool {
    arn.starts_with("arn:aws:iam::aws:policy/")
}
