//! Function names as callers give them: a name, a partial ARN (`123456789012:function:name`) or a
//! full ARN, each optionally followed by `:qualifier`, plus the separate `Qualifier` member.
//! Validation follows the model's patterns with the wording AWS uses.

use std::sync::LazyLock;

use regex::Regex;

use super::errors;
use crate::service::AwsError;

/// The pattern AWS quotes for read-like operations (`NamespacedFunctionName`).
const NAMESPACED_PATTERN: &str = r"(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_\.]+)(:(\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9-_]+))?";
/// The pattern AWS quotes for CreateFunction (`FunctionName`).
const CREATE_PATTERN: &str = r"(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?";
const QUALIFIER_PATTERN: &str = r"\$(LATEST(\.PUBLISHED)?)|[a-zA-Z0-9-_$]+";

static NAMESPACED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!("^(?:{NAMESPACED_PATTERN})$")).expect("valid regex"));
static CREATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!("^(?:{CREATE_PATTERN})$")).expect("valid regex"));
static QUALIFIER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!("^(?:{QUALIFIER_PATTERN})$")).expect("valid regex"));

/// Collects constraint violations and renders them as AWS's "N validation errors detected" text.
#[derive(Default)]
pub struct Violations(Vec<String>);

impl Violations {
    pub fn push(&mut self, value: &str, field: &str, constraint: &str) {
        self.0.push(format!(
            "Value '{value}' at '{field}' failed to satisfy constraint: {constraint}"
        ));
    }
    pub fn into_result(self) -> Result<(), AwsError> {
        match self.0.len() {
            0 => Ok(()),
            1 => Err(errors::validation(format!(
                "1 validation error detected: {}",
                self.0[0]
            ))),
            n => Err(errors::validation(format!(
                "{n} validation errors detected: {}",
                self.0.join("; ")
            ))),
        }
    }
}

/// A resolved reference to a function, possibly qualified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionRef {
    pub name: String,
    pub qualifier: Option<String>,
}

/// What a name string says, before it is checked against the caller's account and region.
struct Parsed {
    region: Option<String>,
    account: Option<String>,
    name: String,
    qualifier: Option<String>,
}

static REGION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d$").expect("valid regex")
});

/// Split a name that already matched the name pattern, the way the pattern reads it: optional
/// `arn:partition:lambda:`, region, 12-digit account and `function:`, then the name and an
/// optional qualifier.
fn split(input: &str) -> Parsed {
    let mut parts: &[&str] = &input.split(':').collect::<Vec<_>>();
    let owned: Vec<&str>;
    if parts.len() > 3 && parts[0] == "arn" && parts[2] == "lambda" {
        owned = parts[3..].to_vec();
        parts = &owned;
    }
    let mut region = None;
    let mut account = None;
    // Each optional segment is taken only if a name still follows it.
    if parts.len() > 1 && REGION.is_match(parts[0]) {
        region = Some(parts[0].to_string());
        parts = &parts[1..];
    }
    if parts.len() > 1 && parts[0].len() == 12 && parts[0].bytes().all(|b| b.is_ascii_digit()) {
        account = Some(parts[0].to_string());
        parts = &parts[1..];
    }
    if parts.len() > 1 && parts[0] == "function" {
        parts = &parts[1..];
    }
    Parsed {
        region,
        account,
        name: parts.first().map(|s| s.to_string()).unwrap_or_default(),
        qualifier: parts.get(1).map(|q| q.to_string()),
    }
}

/// How an operation treats names: creation uses the stricter `FunctionName` shape.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum NameUse {
    Create,
    Lookup,
}

/// Resolve `FunctionName` (+ optional `Qualifier`) for the caller's account and region.
pub fn resolve(
    function_name: &str,
    qualifier: Option<&str>,
    account: &str,
    region: &str,
    usage: NameUse,
) -> Result<FunctionRef, AwsError> {
    // A bare name that cannot fail any check below (the common case, e.g. every GetFunction
    // by name) skips the pattern matching.
    if usage == NameUse::Lookup && qualifier.is_none() && is_plain_name(function_name) {
        return Ok(FunctionRef {
            name: function_name.to_string(),
            qualifier: None,
        });
    }
    let mut v = Violations::default();
    if let Some(q) = qualifier {
        if q.len() > 128 {
            v.push(
                q,
                "qualifier",
                "Member must have length less than or equal to 128",
            );
        } else if !QUALIFIER.is_match(q) {
            v.push(
                q,
                "qualifier",
                &format!("Member must satisfy regular expression pattern: {QUALIFIER_PATTERN}"),
            );
        }
    }
    let (pattern, regex, max_len) = match usage {
        NameUse::Create => (CREATE_PATTERN, &*CREATE, 140),
        NameUse::Lookup => (NAMESPACED_PATTERN, &*NAMESPACED, 170),
    };
    if function_name.len() > max_len && usage == NameUse::Create {
        v.push(
            function_name,
            "functionName",
            "Member must have length less than or equal to 140",
        );
    }
    if !regex.is_match(function_name) {
        v.push(
            function_name,
            "functionName",
            &format!("Member must satisfy regular expression pattern: {pattern}"),
        );
    }
    v.into_result()?;

    let parsed = split(function_name);
    if let Some(r) = &parsed.region {
        if r != region {
            return Err(errors::not_found(format!(
                "Functions from '{r}' are not reachable in this region ('{region}')"
            )));
        }
    }
    let explicit_arn = parsed.region.is_some() || parsed.account.is_some();
    if usage == NameUse::Create {
        if !explicit_arn && parsed.name.len() > 64 && parsed.qualifier.is_none() {
            return Err(errors::invalid_parameter(format!(
                "1 validation error detected: Value '{}' at 'functionName' failed to satisfy constraint: Member must have length less than or equal to 64",
                parsed.name
            )));
        }
    } else if function_name.len() > 140 {
        let mut v = Violations::default();
        v.push(
            function_name,
            "functionName",
            "Member must have length less than or equal to 140",
        );
        v.into_result()?;
    }
    let qualifier = match (parsed.qualifier, qualifier) {
        (Some(a), Some(b)) if a != b => return Err(errors::invalid_parameter(
            "The derived qualifier from the function name does not match the specified qualifier.",
        )),
        (Some(a), _) => Some(a),
        (None, b) => b.map(str::to_string),
    };
    // A name in another account is simply not there for this caller.
    let name = parsed.name;
    if let Some(a) = &parsed.account {
        if a != account {
            if usage == NameUse::Create {
                // Creating in another account is an authorization failure.
                return Err(errors::access_denied());
            }
            return Err(errors::function_not_found(&function_arn(region, a, &name)));
        }
    }
    Ok(FunctionRef { name, qualifier })
}

/// A name without ARN parts or qualifier, within the lookup length, made only of the
/// characters the name pattern's name group accepts.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 140
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

pub fn function_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:lambda:{region}:{account}:function:{name}")
}

pub fn qualified_arn(region: &str, account: &str, name: &str, qualifier: &str) -> String {
    format!("arn:aws:lambda:{region}:{account}:function:{name}:{qualifier}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(input: &str, q: Option<&str>) -> FunctionRef {
        resolve(input, q, "111111111111", "us-east-1", NameUse::Lookup).unwrap()
    }

    #[test]
    fn name_forms_resolve_to_the_same_function() {
        let want = FunctionRef {
            name: "f".into(),
            qualifier: None,
        };
        assert_eq!(ok("f", None), want);
        assert_eq!(ok("111111111111:function:f", None), want);
        assert_eq!(
            ok("arn:aws:lambda:us-east-1:111111111111:function:f", None),
            want
        );
        assert_eq!(ok("f:3", None).qualifier.as_deref(), Some("3"));
        assert_eq!(
            ok("f", Some("$LATEST")).qualifier.as_deref(),
            Some("$LATEST")
        );
    }

    #[test]
    fn plain_names_resolve_as_the_full_checks_resolve_them() {
        let long = "a".repeat(140);
        let too_long = "a".repeat(141);
        for name in [
            "f",
            "my-fn_1.x",
            long.as_str(),
            too_long.as_str(),
            "",
            "a:b",
            "fn!",
            "fn/x",
            "f n",
        ] {
            let fast = resolve(name, None, "111111111111", "us-east-1", NameUse::Lookup);
            // The same input through the pattern checks (a qualifier forces that path).
            let full = resolve(
                name,
                Some("$LATEST"),
                "111111111111",
                "us-east-1",
                NameUse::Lookup,
            )
            .map(|r| r.name);
            assert_eq!(
                is_plain_name(name),
                full.is_ok() && !name.contains(':'),
                "{name:?}"
            );
            if is_plain_name(name) {
                assert_eq!(fast.map(|r| r.name), full, "{name:?}");
            }
        }
    }

    #[test]
    fn mismatches_and_bad_names_are_rejected_as_aws_does() {
        let e = resolve(
            "f:1",
            Some("2"),
            "111111111111",
            "us-east-1",
            NameUse::Lookup,
        )
        .unwrap_err();
        assert_eq!(e.code, "InvalidParameterValueException");
        let e = resolve(
            "my-function!",
            None,
            "111111111111",
            "us-east-1",
            NameUse::Lookup,
        )
        .unwrap_err();
        assert_eq!(e.code, "ValidationException");
        assert!(e
            .message
            .starts_with("1 validation error detected: Value 'my-function!' at 'functionName'"));
        let e = resolve(
            "arn:aws:lambda:ap-southeast-1:111111111111:function:f",
            None,
            "111111111111",
            "us-east-1",
            NameUse::Lookup,
        )
        .unwrap_err();
        assert_eq!(
            e.message,
            "Functions from 'ap-southeast-1' are not reachable in this region ('us-east-1')"
        );
        let long = "a".repeat(65);
        let e = resolve(&long, None, "111111111111", "us-east-1", NameUse::Create).unwrap_err();
        assert_eq!(e.code, "InvalidParameterValueException");
    }
}
