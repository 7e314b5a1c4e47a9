//! Reading handler inputs (JSON keyed by model member names) with AWS's validation messages.

use serde_json::Value;

use crate::service::AwsError;

/// A borrowed view of one request's input object.
#[derive(Clone, Copy)]
pub(crate) struct Input<'a>(pub &'a Value);

/// AWS's "1 validation error detected" prefix for one failed constraint.
pub(crate) fn constraint_error(value: Option<&str>, member: &str, constraint: &str) -> AwsError {
    let value = match value {
        Some(v) => format!("Value '{v}' at"),
        None => "Value null at".to_string(),
    };
    AwsError::validation(format!(
        "1 validation error detected: {value} '{}' failed to satisfy constraint: {constraint}",
        wire_name(member)
    ))
}

/// AWS names members in validation messages with a lowercase first letter (`userName`).
pub(crate) fn wire_name(member: &str) -> String {
    let mut chars = member.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

impl<'a> Input<'a> {
    pub fn get(&self, member: &str) -> Option<&'a Value> {
        self.0.get(member).filter(|v| !v.is_null())
    }

    pub fn str(&self, member: &str) -> Option<&'a str> {
        self.get(member).and_then(Value::as_str)
    }

    /// A required string member; absence is AWS's "Member must not be null".
    pub fn req(&self, member: &str) -> Result<&'a str, AwsError> {
        self.str(member)
            .ok_or_else(|| constraint_error(None, member, "Member must not be null"))
    }

    pub fn int(&self, member: &str) -> Option<i64> {
        self.get(member).and_then(|v| {
            v.as_i64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        })
    }

    pub fn bool(&self, member: &str) -> Option<bool> {
        self.get(member).and_then(|v| {
            v.as_bool().or_else(|| match v.as_str() {
                Some("true") => Some(true),
                Some("false") => Some(false),
                _ => None,
            })
        })
    }

    /// A list of strings (absent → empty).
    pub fn strings(&self, member: &str) -> Vec<String> {
        match self.get(member) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// A required name matching `[\w+=,.@-]+` with a maximum length.
    pub fn name(&self, member: &str, max_len: usize) -> Result<&'a str, AwsError> {
        let value = self.req(member)?;
        check_name(value, member, max_len)?;
        Ok(value)
    }

    /// An optional path (`/` by default) that must begin and end with `/`.
    pub fn path(&self, member: &str) -> Result<&'a str, AwsError> {
        match self.str(member) {
            None => Ok("/"),
            Some(path) => {
                check_path(path)?;
                Ok(path)
            }
        }
    }
}

/// `[\w+=,.@-]+` and a length limit, as IAM validates entity names.
pub(crate) fn check_name(value: &str, member: &str, max_len: usize) -> Result<(), AwsError> {
    if value.is_empty() || value.chars().count() > max_len {
        let constraint = if value.is_empty() {
            "Member must have length greater than or equal to 1".to_string()
        } else {
            format!("Member must have length less than or equal to {max_len}")
        };
        return Err(constraint_error(Some(value), member, &constraint));
    }
    if !value.chars().all(is_name_char) {
        return Err(constraint_error(
            Some(value),
            member,
            "Member must satisfy regular expression pattern: [\\w+=,.@-]+",
        ));
    }
    Ok(())
}

pub(crate) fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '=' | ',' | '.' | '@' | '-')
}

pub(crate) fn check_path(path: &str) -> Result<(), AwsError> {
    let valid = path.len() <= 512
        && path.starts_with('/')
        && path.ends_with('/')
        && path.chars().all(|c| ('\u{21}'..='\u{7f}').contains(&c));
    if valid {
        Ok(())
    } else {
        Err(AwsError::validation(
            "The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.",
        ))
    }
}
