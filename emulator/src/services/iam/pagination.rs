//! Marker/MaxItems pagination as every IAM List operation does it.

use base64::Engine;
use serde_json::{json, Map, Value};

use super::input::{constraint_error, Input};
use crate::service::AwsError;

const DEFAULT_MAX_ITEMS: i64 = 100;

fn encode_marker(offset: usize) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("offset:{offset}"))
}

fn decode_marker(marker: &str) -> Option<usize> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(marker)
        .ok()?;
    String::from_utf8(bytes)
        .ok()?
        .strip_prefix("offset:")?
        .parse()
        .ok()
}

/// Cut `items` per the request's Marker and MaxItems into `{list_member: [...], IsTruncated,
/// Marker?}`; the caller adds any other members.
pub(crate) fn page(
    items: Vec<Value>,
    input: Input,
    list_member: &str,
) -> Result<Map<String, Value>, AwsError> {
    let max_items = input.int("MaxItems").unwrap_or(DEFAULT_MAX_ITEMS);
    if !(1..=1000).contains(&max_items) {
        let constraint = if max_items < 1 {
            "Member must have value greater than or equal to 1"
        } else {
            "Member must have value less than or equal to 1000"
        };
        return Err(constraint_error(
            Some(&max_items.to_string()),
            "MaxItems",
            constraint,
        ));
    }
    let start = match input.str("Marker") {
        None => 0,
        Some(marker) => decode_marker(marker)
            .filter(|offset| *offset <= items.len())
            .ok_or_else(|| AwsError::validation("Invalid Marker."))?,
    };
    let end = start.saturating_add(max_items as usize).min(items.len());
    let truncated = end < items.len();
    let mut out = Map::new();
    out.insert(
        list_member.to_string(),
        Value::Array(items.into_iter().skip(start).take(end - start).collect()),
    );
    out.insert("IsTruncated".into(), json!(truncated));
    if truncated {
        out.insert("Marker".into(), json!(encode_marker(end)));
    }
    Ok(out)
}

/// Keep entities whose path starts with the request's PathPrefix (default `/`).
pub(crate) fn path_matches(path: &str, input: Input) -> bool {
    path.starts_with(input.str("PathPrefix").unwrap_or("/"))
}

/// Marker/MaxItems over several lists answered together (GetAccountAuthorizationDetails,
/// ListEntitiesForPolicy): items are counted across the lists in order and regrouped; a list
/// cut away entirely stays present and empty.
pub(crate) fn page_lists(
    lists: Map<String, Value>,
    input: Input,
) -> Result<Map<String, Value>, AwsError> {
    let mut tagged = Vec::new();
    for (list, items) in &lists {
        for item in items.as_array().into_iter().flatten() {
            tagged.push(json!({"list": list, "item": item}));
        }
    }
    let mut paged = page(tagged, input, "Items")?;
    let mut out: Map<String, Value> = lists.keys().map(|k| (k.clone(), json!([]))).collect();
    if let Some(Value::Array(items)) = paged.remove("Items") {
        for entry in items {
            let (Some(list), Some(item)) = (entry["list"].as_str(), entry.get("item")) else {
                continue;
            };
            if let Some(Value::Array(target)) = out.get_mut(list) {
                target.push(item.clone());
            }
        }
    }
    out.extend(paged);
    Ok(out)
}
