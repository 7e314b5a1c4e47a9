//! Transformers: their declaration in scenario files ([`TransformerSpec`]), the presets and
//! fixture defaults, and their semantics (snapshot-semantics.md §3, §4).

use std::collections::{BTreeSet, HashMap, HashSet};

/// Hash tables of reference values: thousands of inserts and lookups per run, where SipHash
/// cost more than the rest of a registration (no untrusted-input flooding concern here).
type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
type FastSet<T> = HashSet<T, foldhash::fast::RandomState>;
use std::sync::LazyLock;

use regex::Regex;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::{datetime, jsonpath, SnapshotError};

/// A transformer as declared in a scenario file, one kind per list item:
///
/// ```yaml
/// transformers:
///   - key_value: {key: RoleName}                  # <role-name:1>, <role-name:2>, ...
///   - key_value: {key: RevisionId, reference_replacement: false}   # "revision-id"
///   - jsonpath: {path: "$..Code.Location", replacement: location, reference_replacement: false}
///   - regex: {pattern: 'vpc-[0-9a-f]+', replacement: '<vpc-id>'}
///   - text: {text: my-bucket, replacement: '<bucket>'}
///   - resource_name: {}
///   - uuid: {}
///   - sorting: {key: Tags, by: Key}
///   - remove_key: x-amz-request-id
///   - json_string: Policy
///   - preset: lambda_api
///   - timestamps: new
///   - response_metadata: {}
/// ```
///
/// Every kind takes an optional `priority` (default 0; lower runs first, ties keep declaration
/// order; the fixture defaults run at 0 and 2). The short forms `remove_key: KEY`,
/// `json_string: KEY`, `preset: NAME` and `timestamps: SET` take it as `{key: KEY, priority: -1}`,
/// `{name: NAME, priority: 1}` and `{set: SET, priority: 1}`.
// `remote = "Self"`: the derive becomes an inherent `TransformerSpec::deserialize`, used by the
// trait impl below, which reads any format through `serde_json::Value` first: serde_yaml 0.9
// only maps enums from `!tags`, and scenarios write `- key_value: {...}`.
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(remote = "Self", rename_all = "snake_case", deny_unknown_fields)]
pub enum TransformerSpec {
    /// Replaces the value of every dict entry whose key is exactly `key` (values `null` and `""`
    /// are left alone; `0` and `false` are not). With references (the default) the value gets
    /// `<replacement:N>` everywhere in the text, inside ARNs and messages too; `replacement`
    /// defaults to the key in kebab case (`FunctionName` → `function-name`). Without
    /// references, the value itself becomes the bare `replacement` string, whatever its type.
    KeyValue(KeyValueSpec),
    /// Like `key_value` for the nodes a JSONPath selects (jsonpath-ng syntax, evaluated on
    /// `{match-key: value}`, so `$.match-key.Field` works). With references every match must be a
    /// string; without, every match is overwritten by `replacement`.
    Jsonpath(JsonpathSpec),
    /// A regular expression replaced in the dumped JSON text of each match key (Python `re.sub`
    /// semantics: `\1` and `\g<name>` backreferences). It sees keys, punctuation and numbers.
    Regex(RegexSpec),
    /// A literal substring replaced in the dumped JSON text of each match key.
    Text(TextSpec),
    /// Registers the resource part of every ARN string value as `<replacement:N>` (default
    /// `resource`): the last `/` segment, a Lambda function name without `:$LATEST`, a layer
    /// name, a change set's `name/uuid`, ...
    ResourceName(ResourceNameSpec),
    /// Registers string values starting with a UUID under keys ending in `id` (any case) as
    /// `<uuid:N>`.
    Uuid(PrioritySpec),
    /// Sorts every list found under `key`, at any depth: by the member `by` of its objects,
    /// or in natural order of its scalars. A priority below 0 makes reference numbers follow the
    /// sorted order.
    Sorting(SortingSpec),
    /// Drops the key at every depth.
    RemoveKey(KeyArg),
    /// Parses the JSON object or array string found at `key` (and JSON strings nested in it).
    JsonString(KeyArg),
    /// A bundle: `iam_api`, `lambda_api`, `cloudformation_api` or `sts_api`.
    Preset(PresetArg),
    /// A basic timestamp set: `new` (`<datetime>`, `<timestamp:…>`) or `legacy` (`date`,
    /// `datetime`, `timestamp`). The fixture defaults already add one (see `SessionOptions`).
    Timestamps(TimestampsArg),
    /// Reduces every `ResponseMetadata` to `{"HTTPHeaders": {}, "HTTPStatusCode": code}`. Part
    /// of the fixture defaults.
    ResponseMetadata(PrioritySpec),
}

impl<'de> Deserialize<'de> for TransformerSpec {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        TransformerSpec::deserialize(value).map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyValueSpec {
    /// The exact dict key to match.
    pub key: String,
    /// Reference name (or, without references, the replacement text); default: the key in
    /// kebab case.
    #[serde(default)]
    pub replacement: Option<String>,
    /// `<replacement:N>` references shared across the whole text (default true).
    #[serde(default = "yes")]
    pub reference_replacement: bool,
    #[serde(default)]
    pub priority: i32,
}

#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JsonpathSpec {
    /// jsonpath-ng syntax, e.g. `$..Code.Location` or `$.create-fn.Configuration.Role`.
    pub path: String,
    pub replacement: String,
    /// `<replacement:N>` references (default true).
    #[serde(default = "yes")]
    pub reference_replacement: bool,
    #[serde(default)]
    pub priority: i32,
}

#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegexSpec {
    pub pattern: String,
    pub replacement: String,
    #[serde(default)]
    pub priority: i32,
}

#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TextSpec {
    pub text: String,
    pub replacement: String,
    #[serde(default)]
    pub priority: i32,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourceNameSpec {
    /// Reference name (default `resource`).
    #[serde(default)]
    pub replacement: Option<String>,
    #[serde(default)]
    pub priority: i32,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrioritySpec {
    #[serde(default)]
    pub priority: i32,
}

#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SortingSpec {
    pub key: String,
    /// Sort objects by this member (natural order of scalars when absent).
    #[serde(default)]
    pub by: Option<String>,
    #[serde(default)]
    pub priority: i32,
}

/// `KEY` or `{key: KEY, priority: N}`.
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum KeyArg {
    Key(String),
    WithPriority {
        key: String,
        #[serde(default)]
        priority: i32,
    },
}

/// `NAME` or `{name: NAME, priority: N}`.
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum PresetArg {
    Name(Preset),
    WithPriority {
        name: Preset,
        #[serde(default)]
        priority: i32,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    /// key_value on UserName, UserId, RoleId, RoleName, PolicyName, PolicyId, GroupName,
    /// GroupId, InstanceProfileName, InstanceProfileId and Marker.
    IamApi,
    /// FunctionName, CodeSize, code and layer locations, resource names, log stream names.
    LambdaApi,
    /// resource names, change set ids and names, stack names.
    CloudformationApi,
    /// AccessKeyId and RoleSessionName references, resource names (secret keys and session
    /// tokens are redacted by default anyway).
    StsApi,
}

/// `new|legacy` or `{set: new, priority: N}`.
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum TimestampsArg {
    Set(TimestampSet),
    WithPriority {
        set: TimestampSet,
        #[serde(default)]
        priority: i32,
    },
}

/// Which basic timestamp set the fixture defaults use (LocalStack: legacy for lambda_ and
/// cloudformation tests, new elsewhere).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimestampSet {
    #[default]
    New,
    Legacy,
}

fn yes() -> bool {
    true
}

/// `FunctionName` → `function-name`, `MD5OfBody` → `m-d5-of-body` (LocalStack's rule).
pub fn kebab(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        if c.is_uppercase() {
            out.push('-');
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out.trim_matches('-').to_string()
}

/// A transformer ready to run.
#[derive(Debug, Clone)]
pub(crate) enum Transformer {
    KeyValueRef {
        key: String,
        name: String,
    },
    KeyValueDirect {
        key: String,
        replacement: String,
    },
    JsonpathRef {
        path: jsonpath::Path,
        name: String,
    },
    JsonpathDirect {
        path: jsonpath::Path,
        replacement: String,
    },
    Regex {
        regex: Regex,
        replacement: String,
    },
    Text {
        text: String,
        replacement: String,
    },
    ResourceName {
        name: String,
    },
    Uuid,
    Sorting {
        key: String,
        by: Option<String>,
    },
    RemoveKey(String),
    JsonString(String),
    ResponseMetadata,
    NewTimestamps,
    LegacyIsoRegex,
    LegacyDatetime,
    LegacyTimestampKeys,
    LogStreamName,
    ChangeSetIdName,
    /// Built-in secret redaction: registers the secrets seen at match time.
    Secrets,
}

/// A transformer with its priority, sorted stably before running.
pub(crate) type Prioritized = (i32, Transformer);

fn bad_regex(pattern: &str, e: regex::Error) -> SnapshotError {
    SnapshotError::Transformer(format!("invalid regex {pattern:?}: {e}"))
}

/// Python `re.sub` replacement syntax → regex crate syntax.
fn python_replacement(rep: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = rep.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '$' {
            out.push_str("$$");
        } else if c == '\\' && i + 1 < chars.len() {
            let n = chars[i + 1];
            if n.is_ascii_digit() {
                let mut j = i + 1;
                let mut digits = String::new();
                while j < chars.len() && chars[j].is_ascii_digit() && digits.len() < 2 {
                    digits.push(chars[j]);
                    j += 1;
                }
                out.push_str(&format!("${{{digits}}}"));
                i = j;
                continue;
            } else if n == 'g' && chars.get(i + 2) == Some(&'<') {
                if let Some(end) = chars[i + 3..].iter().position(|c| *c == '>') {
                    let name: String = chars[i + 3..i + 3 + end].iter().collect();
                    out.push_str(&format!("${{{name}}}"));
                    i += 4 + end;
                    continue;
                }
                out.push(c);
            } else {
                match n {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    '\\' => out.push('\\'),
                    other => {
                        out.push('\\');
                        out.push(other);
                    }
                }
                i += 2;
                continue;
            }
        } else {
            out.push(c);
        }
        i += 1;
    }
    out
}

impl TransformerSpec {
    /// Expands the declaration (presets into their members) with priorities.
    pub(crate) fn compile(&self, out: &mut Vec<Prioritized>) -> Result<(), SnapshotError> {
        match self {
            TransformerSpec::KeyValue(s) => {
                let name = s.replacement.clone().unwrap_or_else(|| kebab(&s.key));
                out.push((
                    s.priority,
                    if s.reference_replacement {
                        Transformer::KeyValueRef {
                            key: s.key.clone(),
                            name,
                        }
                    } else {
                        Transformer::KeyValueDirect {
                            key: s.key.clone(),
                            replacement: name,
                        }
                    },
                ));
            }
            TransformerSpec::Jsonpath(s) => {
                // Fail on a bad path at declaration, not mid-run.
                let path = jsonpath::Path::parse(&s.path)?;
                if path.is_root() {
                    // `$` is the `{match-key: value}` state itself, neither a string to register
                    // nor a value to overwrite.
                    return Err(SnapshotError::JsonPath {
                        path: s.path.clone(),
                        message: "selects the whole state; name a match key or field".into(),
                    });
                }
                out.push((
                    s.priority,
                    if s.reference_replacement {
                        Transformer::JsonpathRef {
                            path,
                            name: s.replacement.clone(),
                        }
                    } else {
                        Transformer::JsonpathDirect {
                            path,
                            replacement: s.replacement.clone(),
                        }
                    },
                ));
            }
            TransformerSpec::Regex(s) => {
                let regex = Regex::new(&s.pattern).map_err(|e| bad_regex(&s.pattern, e))?;
                out.push((
                    s.priority,
                    Transformer::Regex {
                        regex,
                        replacement: python_replacement(&s.replacement),
                    },
                ));
            }
            TransformerSpec::Text(s) => out.push((
                s.priority,
                Transformer::Text {
                    text: s.text.clone(),
                    replacement: s.replacement.clone(),
                },
            )),
            TransformerSpec::ResourceName(s) => out.push((
                s.priority,
                Transformer::ResourceName {
                    name: s.replacement.clone().unwrap_or_else(|| "resource".into()),
                },
            )),
            TransformerSpec::Uuid(s) => out.push((s.priority, Transformer::Uuid)),
            TransformerSpec::Sorting(s) => out.push((
                s.priority,
                Transformer::Sorting {
                    key: s.key.clone(),
                    by: s.by.clone(),
                },
            )),
            TransformerSpec::RemoveKey(k) => {
                let (key, priority) = k.parts();
                out.push((priority, Transformer::RemoveKey(key)));
            }
            TransformerSpec::JsonString(k) => {
                let (key, priority) = k.parts();
                out.push((priority, Transformer::JsonString(key)));
            }
            TransformerSpec::Preset(p) => {
                let (preset, priority) = match p {
                    PresetArg::Name(n) => (*n, 0),
                    PresetArg::WithPriority { name, priority } => (*name, *priority),
                };
                out.extend(preset_members(preset).into_iter().map(|t| (priority, t)));
            }
            TransformerSpec::Timestamps(t) => {
                let (set, priority) = match t {
                    TimestampsArg::Set(s) => (*s, 0),
                    TimestampsArg::WithPriority { set, priority } => (*set, *priority),
                };
                out.extend(basic_set(set).into_iter().map(|t| (priority, t)));
            }
            TransformerSpec::ResponseMetadata(p) => {
                out.push((p.priority, Transformer::ResponseMetadata))
            }
        }
        Ok(())
    }
}

impl KeyArg {
    fn parts(&self) -> (String, i32) {
        match self {
            KeyArg::Key(k) => (k.clone(), 0),
            KeyArg::WithPriority { key, priority } => (key.clone(), *priority),
        }
    }
}

fn kv(key: &str) -> Transformer {
    Transformer::KeyValueRef {
        key: key.into(),
        name: kebab(key),
    }
}

fn static_path(path: &str) -> jsonpath::Path {
    jsonpath::Path::parse(path).expect("static JSONPath")
}

fn preset_members(preset: Preset) -> Vec<Transformer> {
    match preset {
        Preset::IamApi => [
            "UserName",
            "UserId",
            "RoleId",
            "RoleName",
            "PolicyName",
            "PolicyId",
            "GroupName",
            "GroupId",
            "InstanceProfileName",
            "InstanceProfileId",
            "Marker",
        ]
        .iter()
        .map(|k| kv(k))
        .collect(),
        Preset::LambdaApi => vec![
            kv("FunctionName"),
            Transformer::KeyValueDirect {
                key: "CodeSize".into(),
                replacement: "<code-size>".into(),
            },
            Transformer::JsonpathDirect {
                path: static_path("$..Code.Location"),
                replacement: "<location>".into(),
            },
            Transformer::JsonpathDirect {
                path: static_path("$..Content.Location"),
                replacement: "<layer-location>".into(),
            },
            Transformer::ResourceName {
                name: "resource".into(),
            },
            Transformer::LogStreamName,
        ],
        Preset::CloudformationApi => vec![
            Transformer::ResourceName {
                name: "resource".into(),
            },
            Transformer::ChangeSetIdName,
            kv("ChangeSetName"),
            kv("ChangeSetId"),
            kv("StackName"),
        ],
        // Not in LocalStack's utility. Access key ids and session names, plus resource names
        // (federated users). `AssumedRoleId` (`<role id>:<session>`) is left to the parts'
        // references, as the STS recordings show it: `<role-id:1>:<role-session-name:1>`.
        Preset::StsApi => vec![
            kv("AccessKeyId"),
            kv("RoleSessionName"),
            Transformer::ResourceName {
                name: "resource".into(),
            },
        ],
    }
}

/// The basic sets, in LocalStack's order: metadata, uuids, then the timestamps.
pub(crate) fn basic_set(set: TimestampSet) -> Vec<Transformer> {
    match set {
        TimestampSet::New => vec![
            Transformer::ResponseMetadata,
            Transformer::Uuid,
            Transformer::NewTimestamps,
        ],
        TimestampSet::Legacy => vec![
            Transformer::ResponseMetadata,
            Transformer::Uuid,
            Transformer::LegacyIsoRegex,
            Transformer::LegacyDatetime,
            Transformer::LegacyTimestampKeys,
        ],
    }
}

/// The LocalStack fixture's defaults for a target account and region.
pub(crate) fn fixture_defaults(
    account_id: &str,
    region: &str,
    set: TimestampSet,
) -> Vec<Prioritized> {
    let mut out = vec![(0, Transformer::RemoveKey("x-localstack".into()))];
    let literal = |text: &str, replacement: &str| Transformer::Text {
        text: text.into(),
        replacement: replacement.into(),
    };
    if !account_id.is_empty() {
        out.push((2, literal(account_id, "111111111111")));
    }
    if !region.is_empty() {
        out.push((2, literal(region, "<region>")));
    }
    out.push((
        2,
        literal(&format!("arn:{}:", partition(region)), "arn:<partition>:"),
    ));
    out.extend(basic_set(set).into_iter().map(|t| (2, t)));
    out
}

fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("us-iso-") {
        "aws-iso"
    } else if region.starts_with("us-isob-") {
        "aws-iso-b"
    } else {
        "aws"
    }
}

/// A text replacement registered by a deferred transformer.
#[derive(Debug, Clone)]
pub(crate) enum Replacement {
    Literal { from: String, to: String },
    Regex { regex: Regex, to: String },
}

/// A cheap test that a regex cannot match a text (false: it certainly does not).
type Precheck = fn(&[u8]) -> bool;

/// Applies the registered replacements, in order, to one match key's text, with the result
/// LocalStack's sequential `str.replace`/`re.sub` calls give.
///
/// Trying each of thousands of reference values on each text is quadratic, so an Aho-Corasick
/// automaton over all literal values first finds which occur (a superset is kept): a literal
/// that does not occur is skipped. After a literal replacement only the surroundings of the
/// inserted text can hold new occurrences, so only those windows are scanned again; after a
/// regex replacement the whole text is.
pub(crate) struct TextReplacer<'a> {
    replacements: &'a [Replacement],
    /// Pattern id → the indices of the literal replacements with that text (ascending).
    users: Vec<Vec<usize>>,
    /// The regex replacements, each with a cheap test that its regex cannot match a text.
    regexes: Vec<(usize, Option<Precheck>)>,
    automaton: Option<aho_corasick::AhoCorasick>,
    max_len: usize,
    /// Where a literal can start: see [`Starts`].
    starts: Starts,
    /// Every pair of consecutive bytes in some literal, as a 64 Kib bitmap.
    inner_pairs: Box<[u64; 1024]>,
}

/// The first two bytes of every literal (the byte alone for one-byte literals), as a 64 Kib
/// bitmap. aho-corasick turns its own prefilters off for thousands of patterns, and its
/// automaton then costs several times a bitmap test per byte; most string leaves hold no
/// position where a reference can start, so they skip the automaton entirely.
struct Starts {
    pairs: Box<[u64; 1024]>,
    singles: [bool; 256],
    any_single: bool,
}

impl Starts {
    fn new(patterns: &[&str]) -> Self {
        let mut starts = Starts {
            pairs: Box::new([0; 1024]),
            singles: [false; 256],
            any_single: false,
        };
        for p in patterns.iter().map(|p| p.as_bytes()) {
            match p {
                [a] => {
                    starts.singles[*a as usize] = true;
                    starts.any_single = true;
                }
                [a, b, ..] => {
                    let i = (*a as usize) << 8 | *b as usize;
                    starts.pairs[i >> 6] |= 1 << (i & 63);
                }
                [] => {}
            }
        }
        starts
    }

    /// The first position where a literal may start; every occurrence starts there or later.
    fn first(&self, bytes: &[u8]) -> Option<usize> {
        if !self.any_single {
            // The common case (no one-byte literal): pairs only.
            let pair = bytes.windows(2).position(|w| {
                let pair = (w[0] as usize) << 8 | w[1] as usize;
                self.pairs[pair >> 6] & (1 << (pair & 63)) != 0
            });
            return pair;
        }
        for (i, &a) in bytes.iter().enumerate() {
            if self.singles[a as usize] {
                return Some(i);
            }
            if let Some(&b) = bytes.get(i + 1) {
                let pair = (a as usize) << 8 | b as usize;
                if self.pairs[pair >> 6] & (1 << (pair & 63)) != 0 {
                    return Some(i);
                }
            }
        }
        None
    }
}

impl<'a> TextReplacer<'a> {
    pub(crate) fn new(replacements: &'a [Replacement]) -> Result<Self, SnapshotError> {
        let mut ids: FastMap<&str, usize> = FastMap::default();
        let mut unique: Vec<&str> = Vec::new();
        let mut users: Vec<Vec<usize>> = Vec::new();
        let mut regexes = Vec::new();
        for (i, r) in replacements.iter().enumerate() {
            match r {
                Replacement::Literal { from, .. } if !from.is_empty() => {
                    let id = *ids.entry(from.as_str()).or_insert_with(|| {
                        unique.push(from.as_str());
                        users.push(Vec::new());
                        unique.len() - 1
                    });
                    users[id].push(i);
                }
                Replacement::Literal { .. } => {}
                Replacement::Regex { regex, .. } => {
                    let precheck = (regex.as_str() == ISO8601.as_str())
                        .then_some(iso8601_candidate as Precheck);
                    regexes.push((i, precheck));
                }
            }
        }
        let max_len = unique.iter().map(|p| p.len()).max().unwrap_or(0);
        let mut inner_pairs = Box::new([0u64; 1024]);
        for pair in unique.iter().flat_map(|p| p.as_bytes().windows(2)) {
            let i = (pair[0] as usize) << 8 | pair[1] as usize;
            inner_pairs[i >> 6] |= 1 << (i & 63);
        }
        let automaton = if unique.is_empty() {
            None
        } else {
            Some(aho_corasick::AhoCorasick::new(&unique).map_err(|e| {
                SnapshotError::Transformer(format!("cannot index the reference values: {e}"))
            })?)
        };
        Ok(TextReplacer {
            replacements,
            users,
            regexes,
            automaton,
            max_len,
            starts: Starts::new(&unique),
            inner_pairs,
        })
    }

    /// Queues every literal replacement after `after` whose text occurs in `bytes`.
    fn mark(&self, bytes: &[u8], after: Option<usize>, pending: &mut BTreeSet<usize>) {
        let Some(start) = self.starts.first(bytes) else {
            return;
        };
        if let Some(ac) = &self.automaton {
            // Pattern ids only: the positions do not matter here.
            for m in ac.find_overlapping_iter(&bytes[start..]) {
                let users = &self.users[m.pattern().as_usize()];
                let from = after.map_or(0, |a| users.partition_point(|&j| j <= a));
                pending.extend(&users[from..]);
            }
        }
    }

    /// Whether an occurrence of a literal can cross the edge between `bytes[at - 1]` and
    /// `bytes[at]`: only if some literal holds that pair of bytes (for `<name:N>` references
    /// next to ordinary text, none does).
    fn edge_may_join(&self, bytes: &[u8], at: usize) -> bool {
        match (at.checked_sub(1).and_then(|b| bytes.get(b)), bytes.get(at)) {
            (Some(&a), Some(&b)) => {
                let pair = (a as usize) << 8 | b as usize;
                self.inner_pairs[pair >> 6] & (1 << (pair & 63)) != 0
            }
            _ => false,
        }
    }

    /// Queues the regexes after `after` whose precheck passes on the changed text.
    fn requeue_regexes(&self, bytes: &[u8], after: usize, pending: &mut BTreeSet<usize>) {
        for &(j, precheck) in &self.regexes {
            if j > after && precheck.is_none_or(|may| may(bytes)) {
                pending.insert(j);
            }
        }
    }

    /// Whether some replacement may match in `text` (false means [`TextReplacer::apply`]
    /// certainly leaves it unchanged).
    pub(crate) fn may_match(&self, text: &str) -> bool {
        let bytes = text.as_bytes();
        self.automaton.as_ref().is_some_and(|ac| {
            self.starts
                .first(bytes)
                .is_some_and(|start| ac.is_match(&bytes[start..]))
        }) || self.regexes.iter().any(|&(i, precheck)| {
            precheck.is_none_or(|may| may(bytes))
                && matches!(&self.replacements[i],
                    Replacement::Regex { regex, .. } if regex.is_match(text))
        })
    }

    /// [`TextReplacer::may_match`] for a text whose replacements are token-local (no literal
    /// holds `"`): the automaton scans only the `"`-free runs that hold a possible start,
    /// each to its end instead of to the end of the text.
    pub(crate) fn may_match_runs(&self, text: &str) -> bool {
        let bytes = text.as_bytes();
        if let Some(ac) = &self.automaton {
            let mut at = 0;
            while let Some(start) = self.starts.first(&bytes[at..]).map(|s| at + s) {
                let end = memchr::memchr(b'"', &bytes[start..]).map_or(bytes.len(), |e| start + e);
                if ac.is_match(&bytes[start..end]) {
                    return true;
                }
                at = end.max(start + 1);
            }
        }
        self.regexes.iter().any(|&(i, precheck)| {
            precheck.is_none_or(|may| may(bytes))
                && matches!(&self.replacements[i],
                    Replacement::Regex { regex, .. } if regex.is_match(text))
        })
    }

    /// Whether no match can cross or create a JSON string delimiter, so that replacing in each
    /// `"`-separated run of a text gives the whole text's result (see `replace`): no literal
    /// or replacement holds `"`, `\` or a control character, and the only regex is the
    /// built-in ISO 8601 one (no anchors, no `"`, never empty) with such a replacement.
    pub(crate) fn is_token_local(&self) -> bool {
        let safe = |s: &str| !s.bytes().any(|b| b == b'"' || b == b'\\' || b < b' ');
        self.replacements.iter().all(|r| match r {
            Replacement::Literal { from, to } => safe(from) && safe(to),
            Replacement::Regex { regex, to } => {
                regex.as_str() == ISO8601.as_str() && safe(to) && !to.contains('$')
            }
        })
    }

    pub(crate) fn apply(&self, text: &mut String) {
        // The replacements still to try, in order: a superset of those that can match. A regex
        // whose precheck fails now may match after a replacement: it is queued again then.
        let mut pending: BTreeSet<usize> = self
            .regexes
            .iter()
            .filter(|(_, precheck)| precheck.is_none_or(|may| may(text.as_bytes())))
            .map(|(i, _)| *i)
            .collect();
        self.mark(text.as_bytes(), None, &mut pending);
        // The text before each literal replacement: one buffer for all of them.
        let mut out = String::new();
        let mut inserted = Vec::new();
        while let Some(i) = pending.pop_first() {
            match &self.replacements[i] {
                Replacement::Literal { from, to } => {
                    out.clear();
                    inserted.clear();
                    let mut last = 0;
                    for at in find_all(text, from) {
                        out.push_str(&text[last..at]);
                        inserted.push((out.len(), out.len() + to.len()));
                        out.push_str(to);
                        last = at + from.len();
                    }
                    if inserted.is_empty() {
                        continue;
                    }
                    out.push_str(&text[last..]);
                    std::mem::swap(text, &mut out);
                    // Every occurrence was replaced; new ones can only touch inserted text: lie
                    // inside a copy of `to` (so `to` alone tells), or cross one of its edges.
                    let bytes = text.as_bytes();
                    self.mark(to.as_bytes(), Some(i), &mut pending);
                    let reach = self.max_len.saturating_sub(1);
                    for &(start, end) in &inserted {
                        if self.edge_may_join(bytes, start) || self.edge_may_join(bytes, end) {
                            let window =
                                start.saturating_sub(reach)..(end + reach).min(bytes.len());
                            self.mark(&bytes[window], Some(i), &mut pending);
                        }
                    }
                    self.requeue_regexes(bytes, i, &mut pending);
                }
                Replacement::Regex { regex, to } => {
                    if let std::borrow::Cow::Owned(s) = regex.replace_all(text, to.as_str()) {
                        *text = s;
                        self.mark(text.as_bytes(), Some(i), &mut pending);
                        self.requeue_regexes(text.as_bytes(), i, &mut pending);
                    }
                }
            }
        }
    }
}

/// The shared transform context: the reference cache, counters and text replacements.
#[derive(Debug, Default)]
pub(crate) struct Context {
    cache: FastSet<String>,
    counters: FastMap<String, usize>,
    pub(crate) replacements: Vec<Replacement>,
    /// Secrets seen at match time, for the built-in redaction.
    pub(crate) secrets: Vec<(String, String)>,
}

impl Context {
    /// Registers `value` as `<name:N>` unless a transformer already registered it.
    fn register(&mut self, value: &str, name: &str) {
        if self.cache.contains(value) {
            return;
        }
        self.cache.insert(value.to_string());
        // `get_mut` first: no copy of the name for every value.
        let n = match self.counters.get_mut(name) {
            Some(n) => n,
            None => self.counters.entry(name.to_string()).or_insert(0),
        };
        *n += 1;
        let from = if value.contains('"') {
            value.replace('"', "\\\"")
        } else {
            value.to_string()
        };
        self.replacements.push(Replacement::Literal {
            from,
            to: reference(name, *n),
        });
    }
}

/// `<name:n>`, written directly: `format!` cost more than the rest of a registration.
fn reference(name: &str, n: usize) -> String {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = n;
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    let digits = std::str::from_utf8(&digits[at..]).unwrap_or_default();
    let mut out = String::with_capacity(name.len() + digits.len() + 3);
    out.push('<');
    out.push_str(name);
    out.push(':');
    out.push_str(digits);
    out.push('>');
    out
}

/// Where the tree-walking transformers put the reference values they find: the shared
/// [`Context`] (whole-state route) or a [`Log`] (per-key route). `'t` is the transformers'
/// lifetime, which the reference names borrow from.
pub(crate) trait Registry<'t> {
    fn register(&mut self, value: &str, name: &'t str);
}

impl<'t> Registry<'t> for Context {
    fn register(&mut self, value: &str, name: &'t str) {
        Context::register(self, value, name)
    }
}

fn register_value<'t>(
    reg: &mut impl Registry<'t>,
    value: &Value,
    name: &'t str,
) -> Result<(), SnapshotError> {
    match value {
        Value::String(s) if !datetime::is_datetime(value) => {
            reg.register(s, name);
            Ok(())
        }
        other => Err(SnapshotError::Transformer(format!(
            "reference {name:?}: the value {} is not a string",
            crate::pyjson::dumps_compact(other)
        ))),
    }
}

/// What the transformers found while each match key was transformed on its own: per
/// transformer, the reference values in match-key order then walk order, which is the order
/// in which the whole-state pipeline registers them (transformer order first, §4). Replaying it
/// numbers the references exactly as that pipeline does.
pub(crate) struct Log<'t> {
    /// The values, back to back (one allocation instead of one per value).
    arena: String,
    entries: Vec<Vec<Logged<'t>>>,
}

enum Logged<'t> {
    Ref {
        range: std::ops::Range<usize>,
        name: &'t str,
    },
    /// The transformer failed on a match key; the whole-state pipeline stops there.
    Failed(SnapshotError),
}

impl<'t> Log<'t> {
    pub(crate) fn new(transformers: usize) -> Self {
        Log {
            arena: String::new(),
            entries: (0..transformers).map(|_| Vec::new()).collect(),
        }
    }

    /// The [`Registry`] of transformer number `t`.
    pub(crate) fn at(&mut self, t: usize) -> LogAt<'_, 't> {
        LogAt { log: self, t }
    }

    pub(crate) fn fail(&mut self, t: usize, error: SnapshotError) {
        self.entries[t].push(Logged::Failed(error));
    }

    /// Registers everything in whole-state order: per transformer, its logged references, then
    /// its deferred text replacements. The first failure in that order is the result.
    pub(crate) fn replay(
        self,
        transformers: &[Prioritized],
        ctx: &mut Context,
    ) -> Result<(), SnapshotError> {
        // At most one cache entry and one replacement per logged value: no rehash on growth.
        let logged: usize = self.entries.iter().map(Vec::len).sum();
        ctx.cache.reserve(logged);
        ctx.replacements.reserve(logged + transformers.len());
        for ((_, transformer), entries) in transformers.iter().zip(self.entries) {
            for entry in entries {
                match entry {
                    Logged::Ref { range, name } => ctx.register(&self.arena[range], name),
                    Logged::Failed(error) => return Err(error),
                }
            }
            transformer.defer(ctx);
        }
        Ok(())
    }
}

pub(crate) struct LogAt<'l, 't> {
    log: &'l mut Log<'t>,
    t: usize,
}

impl<'t> Registry<'t> for LogAt<'_, 't> {
    fn register(&mut self, value: &str, name: &'t str) {
        let start = self.log.arena.len();
        self.log.arena.push_str(value);
        let range = start..self.log.arena.len();
        self.log.entries[self.t].push(Logged::Ref { range, name });
    }
}

/// LocalStack's key/value walk: dict entries in order; no descent into a matched value;
/// descent into dict values and into the dict elements of lists (not lists inside lists).
// Generic rather than `dyn`: the walks run over every node, and inlined tests are cheaper.
fn kv_walk<F>(value: &mut Value, f: &mut F) -> Result<(), SnapshotError>
where
    F: FnMut(&str, &mut Value) -> Result<bool, SnapshotError>,
{
    if let Value::Object(map) = value {
        for (k, v) in map.iter_mut() {
            if f(k, v)? {
                continue;
            }
            match v {
                Value::Object(_) => kv_walk(v, f)?,
                Value::Array(items) => {
                    for item in items.iter_mut().filter(|i| i.is_object()) {
                        kv_walk(item, f)?;
                    }
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// Every string (and datetime) in dicts and lists at any depth.
fn walk_strings(value: &mut Value, f: &mut dyn FnMut(&mut Value)) {
    match value {
        Value::String(_) => f(value),
        Value::Array(items) => items.iter_mut().for_each(|v| walk_strings(v, f)),
        Value::Object(map) => map.values_mut().for_each(|v| walk_strings(v, f)),
        _ => {}
    }
}

static UUID_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12}")
        .expect("static regex")
});
/// LocalStack's strict ISO 8601 pattern (calendar-checked, leap years included).
static ISO8601: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?:[1-9]\d{3}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)",
        r"|(?:0[13578]|1[02])-31)|(?:[1-9]\d(?:0[48]|[2468][048]|[13579][26])",
        r"|(?:[2468][048]|[13579][26])00)-02-29)T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d",
        r"(?:\.\d{1,9})?(?:Z|[+-][01]\d:?(?:[0-5]\d)?)"
    ))
    .expect("static regex")
});
/// The regex of the legacy set's deferred ISO 8601 replacement.
#[cfg(test)]
pub(crate) fn iso8601_regex() -> Regex {
    ISO8601.clone()
}
static ISO8601_ANCHORED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!("^(?:{})", ISO8601.as_str())).expect("static regex"));
/// The starts of the non-overlapping occurrences of `from` in `text`, leftmost first, as
/// `str::match_indices` gives them: texts here are single JSON strings, too short for its
/// two-way searcher's setup (per call) to pay off, so memchr finds the candidates.
fn find_all<'a>(text: &'a str, from: &'a str) -> impl Iterator<Item = usize> + 'a {
    let (bytes, pattern) = (text.as_bytes(), from.as_bytes());
    let mut next = 0;
    std::iter::from_fn(move || {
        let (&first, _) = pattern.split_first()?;
        while next + pattern.len() <= bytes.len() {
            let at = next + memchr::memchr(first, &bytes[next..=bytes.len() - pattern.len()])?;
            if bytes[at..].starts_with(pattern) {
                next = at + pattern.len();
                return Some(at);
            }
            next = at + 1;
        }
        None
    })
}

/// A cheap necessary condition for [`ISO8601`] to match: `-DDTHH:` somewhere.
fn iso8601_candidate(bytes: &[u8]) -> bool {
    // The shortest match, `YYYY-MM-DDTHH:MM:SSZ`, has 20 bytes: most leaves are shorter.
    // memchr: every longer string leaf pays for this test, and `T` is rare.
    bytes.len() >= 20
        && memchr::memchr_iter(b'T', bytes)
            .any(|t| t >= 3 && bytes.get(t - 3) == Some(&b'-') && bytes.get(t + 3) == Some(&b':'))
}

/// `k.lower().endswith("id")` without allocating.
fn ends_with_id(k: &str) -> bool {
    k.len() >= 2 && k.as_bytes()[k.len() - 2..].eq_ignore_ascii_case(b"id")
}

/// LocalStack's `/timestamp/i` key test. Python's IGNORECASE also folds a few non-ASCII letters
/// (e.g. the Kelvin sign); keys are ASCII in AWS responses.
fn contains_ignore_ascii_case(haystack: &str, needle: &str) -> bool {
    let needle = needle.as_bytes();
    let Some(&first) = needle.first() else {
        return true;
    };
    // Every key pays for this test: compare whole windows only where the first byte matches.
    let first = first.to_ascii_lowercase();
    haystack
        .as_bytes()
        .windows(needle.len())
        .any(|w| w[0].to_ascii_lowercase() == first && w.eq_ignore_ascii_case(needle))
}
/// New-set string patterns, tested from the start (`.` is any character).
static NEW_TIMESTAMPS: LazyLock<[(Regex, &'static str); 4]> = LazyLock::new(|| {
    let d = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}";
    let r = |p: String| Regex::new(&p).expect("static regex");
    [
        (
            r(format!(r"{d}.\d{{3}}Z")),
            "<timestamp:2022-07-13T13:48:01.000Z>",
        ),
        (
            r(format!(r"{d}.\d{{3}}\+\d{{4}}")),
            "<timestamp:2022-07-13T13:48:01.000+0000>",
        ),
        (
            r(format!(r"{d}.\d{{6}}\+\d{{2}}:\d{{2}}")),
            "<timestamp:2022-07-13T13:48:01.000000+00:00>",
        ),
        (r(format!(r"{d}Z")), "<timestamp:2022-07-13T13:48:01Z>"),
    ]
});
/// The ARN shape `resource_name` accepts, as LocalStack writes it; the parser below is what the
/// engine runs (see [`arn_parts`]).
#[cfg(test)]
static ARN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^arn:aws[a-zA-Z-]*:([a-zA-Z0-9._-]+):[^:]*:(?:\d{12})?:(.*)$")
        .expect("static regex")
});

/// `(service, rest)` of an ARN matching [`ARN`], parsed by hand: a capturing regex search per
/// ARN string was the most expensive step of the lambda_api preset. Every field of the pattern
/// ends at the first `:` (none of its classes holds `:`), so the parse is unique.
fn arn_parts(value: &str) -> Option<(&str, &str)> {
    let rest = value.strip_prefix("arn:aws")?;
    let (partition_tail, rest) = rest.split_once(':')?;
    if !partition_tail
        .bytes()
        .all(|b| b.is_ascii_alphabetic() || b == b'-')
    {
        return None;
    }
    let (service, rest) = rest.split_once(':')?;
    let service_byte = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-');
    if service.is_empty() || !service.bytes().all(service_byte) {
        return None;
    }
    let (_region, rest) = rest.split_once(':')?;
    let (account, resource) = rest.split_once(':')?;
    if !(account.is_empty() || account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    // `.*$`: `.` stops at a line feed, and `$` is the end of the text.
    (!resource.contains('\n')).then_some((service, resource))
}
static LOG_STREAM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\d{4}/\d{1,2}/\d{1,2}/\[(?:\$LATEST|\d+)\][0-9a-f]+$").expect("static regex")
});

/// The resource part of an ARN that `resource_name` registers (§4), if any.
pub(crate) fn arn_resource(value: &str) -> Option<&str> {
    let (service, rest) = arn_parts(value)?;
    if rest.starts_with('<') && rest.ends_with('>') {
        return None;
    }
    // A finder built once: `split_once` with a str pattern sets up a searcher for every ARN.
    static CHANGE_SET: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(":changeSet/"));
    let found = if let Some(at) = CHANGE_SET.find(value.as_bytes()) {
        &value[at + ":changeSet/".len()..]
    } else if let Some((_, last)) = rest.rsplit_once('/') {
        last
    } else if let (Some(f), "lambda") = (rest.strip_prefix("function:"), service) {
        let cut = f.split('$').next().unwrap_or(f);
        cut.strip_suffix(':').unwrap_or(cut)
    } else if let Some(layer) = rest.strip_prefix("layer:") {
        layer.split(':').next().unwrap_or(layer)
    } else if let Some((_, last)) = rest.rsplit_once(':') {
        last
    } else {
        rest
    };
    (!found.is_empty()).then_some(found)
}

fn is_unset(v: &Value) -> bool {
    v.is_null() || v.as_str() == Some("")
}

impl Transformer {
    /// Runs one transformer over the whole state (`{match-key: value}`).
    pub(crate) fn run(&self, state: &mut Value, ctx: &mut Context) -> Result<(), SnapshotError> {
        self.edit(state, ctx)?;
        self.defer(ctx);
        Ok(())
    }

    /// Whether what this transformer does to a match key's value depends on that value alone
    /// (given the match keys), so that each key can be transformed on its own. Only JSONPath
    /// can look across keys: non-structural shapes, or `$..X` where X is a match key (the
    /// root's own member comes first in pre-order).
    pub(crate) fn is_key_local(&self, is_match_key: &dyn Fn(&str) -> bool) -> bool {
        match self {
            Transformer::JsonpathRef { path, .. } | Transformer::JsonpathDirect { path, .. } => {
                path.is_key_local(is_match_key)
            }
            _ => true,
        }
    }

    /// The tree part: structural edits, and the references found in the tree, on the state or
    /// on one match key's `{key: value}`.
    pub(crate) fn edit<'t>(
        &'t self,
        state: &mut Value,
        ctx: &mut impl Registry<'t>,
    ) -> Result<(), SnapshotError> {
        match self {
            Transformer::KeyValueRef { key, name } => kv_walk(state, &mut |k, v| {
                if k == key && !is_unset(v) {
                    register_value(ctx, v, name)?;
                    return Ok(true);
                }
                Ok(false)
            }),
            Transformer::KeyValueDirect { key, replacement } => kv_walk(state, &mut |k, v| {
                if k == key && !is_unset(v) {
                    *v = Value::String(replacement.clone());
                    return Ok(true);
                }
                Ok(false)
            }),
            Transformer::JsonpathRef { path, name } => {
                for steps in path.find(state)? {
                    if let Some(v) = jsonpath::get_mut(state, &steps) {
                        register_value(ctx, v, name)?;
                    }
                }
                Ok(())
            }
            Transformer::JsonpathDirect { path, replacement } => {
                for steps in path.find(state)? {
                    if let Some(v) = jsonpath::get_mut(state, &steps) {
                        *v = Value::String(replacement.clone());
                    }
                }
                Ok(())
            }
            Transformer::ResourceName { name } => kv_walk(state, &mut |_, v| {
                let arn = v.as_str().filter(|s| s.starts_with("arn:"));
                if let Some(resource) = arn.and_then(arn_resource) {
                    ctx.register(resource, name);
                    return Ok(true);
                }
                Ok(false)
            }),
            Transformer::Uuid => kv_walk(state, &mut |k, v| match v.as_str() {
                Some(s) if ends_with_id(k) && s.len() >= 36 && UUID_PREFIX.is_match(s) => {
                    ctx.register(s, "uuid");
                    Ok(true)
                }
                _ => Ok(false),
            }),
            Transformer::LogStreamName => kv_walk(state, &mut |_, v| match v.as_str() {
                Some(s)
                    if s.as_bytes().first().is_some_and(u8::is_ascii_digit)
                        && LOG_STREAM.is_match(s) =>
                {
                    ctx.register(s, "log-stream-name");
                    Ok(true)
                }
                _ => Ok(false),
            }),
            Transformer::ChangeSetIdName => kv_walk(state, &mut |k, v| match v.as_str() {
                Some(s) if k == "Id" && s.contains(":changeSet/") => {
                    let after = s.split_once(":changeSet/").map_or("", |(_, a)| a);
                    let name = after.split('/').next().unwrap_or(after);
                    if !name.is_empty() {
                        ctx.register(name, "change-set-id");
                    }
                    Ok(true)
                }
                _ => Ok(false),
            }),
            Transformer::Sorting { key, by } => sort_lists(state, key, by.as_deref()),
            Transformer::RemoveKey(key) => {
                remove_key(state, key);
                Ok(())
            }
            Transformer::JsonString(key) => {
                json_string(state, key);
                Ok(())
            }
            Transformer::ResponseMetadata => {
                simplify_metadata(state);
                Ok(())
            }
            Transformer::NewTimestamps => {
                walk_strings(state, &mut |v| {
                    if datetime::is_datetime(v) {
                        *v = Value::String("<datetime>".into());
                    } else if let Some(s) = v.as_str() {
                        if let Some((_, rep)) = NEW_TIMESTAMPS.iter().find(|(re, _)| re.is_match(s))
                        {
                            *v = Value::String((*rep).into());
                        }
                    }
                });
                Ok(())
            }
            Transformer::LegacyDatetime => kv_walk(state, &mut |_, v| {
                if datetime::is_datetime(v) {
                    *v = Value::String("datetime".into());
                    return Ok(true);
                }
                Ok(false)
            }),
            Transformer::LegacyTimestampKeys => kv_walk(state, &mut |k, v| {
                let timestamp_key = contains_ignore_ascii_case(k, "timestamp")
                    || k == "creationTime"
                    || k == "ingestionTime";
                // Only timestamp keys pay for the regex.
                if timestamp_key
                    && !is_unset(v)
                    && !v.as_str().is_some_and(|s| ISO8601_ANCHORED.is_match(s))
                {
                    *v = Value::String("timestamp".into());
                    return Ok(true);
                }
                Ok(false)
            }),
            // Deferred: see `defer`.
            Transformer::Regex { .. }
            | Transformer::Text { .. }
            | Transformer::LegacyIsoRegex
            | Transformer::Secrets => Ok(()),
        }
    }

    /// The deferred part: text replacements that do not depend on the tree.
    pub(crate) fn defer(&self, ctx: &mut Context) {
        match self {
            Transformer::Regex { regex, replacement } => {
                ctx.replacements.push(Replacement::Regex {
                    regex: regex.clone(),
                    to: replacement.clone(),
                });
            }
            Transformer::Text { text, replacement } => {
                ctx.replacements.push(Replacement::Literal {
                    from: text.clone(),
                    to: replacement.clone(),
                });
            }
            Transformer::LegacyIsoRegex => {
                ctx.replacements.push(Replacement::Regex {
                    regex: ISO8601.clone(),
                    to: "date".into(),
                });
            }
            Transformer::Secrets => {
                let secrets = std::mem::take(&mut ctx.secrets);
                for (key, value) in &secrets {
                    ctx.register(value, &kebab(key));
                }
                ctx.secrets = secrets;
            }
            _ => {}
        }
    }
}

fn remove_key(value: &mut Value, key: &str) {
    match value {
        Value::Object(map) => {
            // A scan of the few keys costs less than hashing `key` for every object.
            if map.keys().any(|k| k == key) {
                map.shift_remove(key);
            }
            map.values_mut()
                .filter(|v| v.is_object() || v.is_array())
                .for_each(|v| remove_key(v, key));
        }
        Value::Array(items) => items
            .iter_mut()
            .filter(|v| v.is_object() || v.is_array())
            .for_each(|v| remove_key(v, key)),
        _ => {}
    }
}

fn sort_lists(value: &mut Value, key: &str, by: Option<&str>) -> Result<(), SnapshotError> {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if k == key {
                    let Value::Array(items) = v else {
                        return Err(SnapshotError::Transformer(format!(
                            "sorting: {key:?} is not a list"
                        )));
                    };
                    sort_items(items, key, by)?;
                }
                sort_lists(v, key, by)?;
            }
        }
        Value::Array(items) => {
            for item in items {
                sort_lists(item, key, by)?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn sort_items(items: &mut [Value], key: &str, by: Option<&str>) -> Result<(), SnapshotError> {
    let sort_key = |v: &Value| -> Option<Value> {
        match by {
            Some(member) => v.get(member).cloned(),
            None => Some(v.clone()),
        }
    };
    let keys: Vec<Option<Value>> = items.iter().map(sort_key).collect();
    // Python compares only numbers with numbers and strings with strings.
    let all_str = keys.iter().all(|k| matches!(k, Some(Value::String(_))));
    let all_num = keys.iter().all(|k| matches!(k, Some(Value::Number(_))));
    if !all_str && !all_num {
        return Err(SnapshotError::Transformer(format!(
            "sorting {key:?}: the sort keys are not all strings or all numbers"
        )));
    }
    let mut indexed: Vec<(Option<Value>, Value)> =
        keys.into_iter().zip(items.iter().cloned()).collect();
    indexed.sort_by(|(a, _), (b, _)| match (a, b) {
        (Some(Value::String(a)), Some(Value::String(b))) => a.cmp(b),
        (Some(Value::Number(a)), Some(Value::Number(b))) => a
            .as_f64()
            .partial_cmp(&b.as_f64())
            .unwrap_or(std::cmp::Ordering::Equal),
        _ => std::cmp::Ordering::Equal,
    });
    for (slot, (_, v)) in items.iter_mut().zip(indexed) {
        *slot = v;
    }
    Ok(())
}

/// Parses JSON object/array strings at `key`, then JSON strings nested in the result.
fn json_string(value: &mut Value, key: &str) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if k == key {
                    if let Some(parsed) = parse_json_container(v) {
                        *v = parsed;
                        parse_nested(v);
                        continue;
                    }
                }
                json_string(v, key);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| json_string(v, key)),
        _ => {}
    }
}

fn parse_json_container(v: &Value) -> Option<Value> {
    let s = v.as_str()?;
    match serde_json::from_str::<Value>(s) {
        Ok(parsed @ (Value::Object(_) | Value::Array(_))) => Some(parsed),
        _ => None,
    }
}

fn parse_nested(value: &mut Value) {
    match value {
        Value::String(_) => {
            if let Some(parsed) = parse_json_container(value) {
                *value = parsed;
                parse_nested(value);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(parse_nested),
        Value::Object(map) => map.values_mut().for_each(parse_nested),
        _ => {}
    }
}

/// The ResponseMetadata simplifier (§4): reachable through dicts only.
fn simplify_metadata(value: &mut Value) {
    let Value::Object(map) = value else { return };
    for (k, v) in map.iter_mut() {
        if k == "ResponseMetadata" {
            if let Some(meta) = v.as_object() {
                if let Some(Value::Object(headers)) = meta.get("HTTPHeaders") {
                    let mut new_headers = Map::new();
                    if let Some(ct) = headers.get("content_type") {
                        new_headers.insert("content_type".into(), ct.clone());
                    }
                    let mut simplified = Map::new();
                    simplified.insert("HTTPHeaders".into(), Value::Object(new_headers));
                    if let Some(code) = meta.get("HTTPStatusCode").filter(|c| truthy(c)) {
                        simplified.insert("HTTPStatusCode".into(), code.clone());
                    }
                    *v = Value::Object(simplified);
                    continue;
                }
            }
        }
        if v.is_object() {
            simplify_metadata(v);
        }
    }
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The precheck's length bound is the shortest text the regex matches.
    #[test]
    fn iso8601_precheck_admits_the_shortest_match() {
        let shortest = "2024-01-31T10:11:12Z";
        assert_eq!(shortest.len(), 20);
        assert!(ISO8601.is_match(shortest) && iso8601_candidate(shortest.as_bytes()));
        for shorter in [
            "2024-01-31T10:11:12",
            "024-01-31T10:11:12Z",
            "2024-01-31T10:11:2Z",
        ] {
            assert!(!ISO8601.is_match(shorter), "{shorter}");
        }
    }

    #[test]
    fn reference_text_is_the_formatted_one() {
        for n in [0, 1, 9, 10, 99, 100, 12345, usize::MAX] {
            assert_eq!(reference("arn-ref", n), format!("<arn-ref:{n}>"));
        }
    }

    /// The indexed replacer gives exactly the naive sequential result, including occurrences
    /// that earlier replacements create across the edges of inserted text.
    #[test]
    fn text_replacer_equals_sequential_replacement() {
        // A small deterministic generator over a tiny alphabet, so that patterns collide often.
        let mut seed: u64 = 0x2545F4914F6CDD1D;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        // Pieces of ISO 8601 dates too, so that replacements create dates the built-in regex
        // (and its precheck) must see.
        let alphabet = ["a", "b", "c", "\"", "2024-01-31", "T", "10:11:12", "Z", "-"];
        let mut dates = 0;
        for round in 0..6000 {
            let letters = if round % 2 == 0 {
                4
            } else {
                alphabet.len() as u64
            };
            let word = |max: u64, next: &mut dyn FnMut(u64) -> u64| -> String {
                let len = 1 + next(max);
                (0..len).map(|_| alphabet[next(letters) as usize]).collect()
            };
            let text = if round % 2 == 0 {
                word(30, &mut next)
            } else {
                // Near-dates that one replacement completes (`a` → `T`, `Z` appended...).
                let near = [
                    "2024-01-31T10:11:12Z",
                    "2024-01-31a10:11:12Z",
                    "2024-01-31T10:11:12",
                ];
                (0..1 + next(4))
                    .map(|_| match next(3) {
                        0 => near[next(3) as usize].to_string(),
                        _ => word(2, &mut next),
                    })
                    .collect()
            };
            let count = 1 + next(6);
            let mut replacements = Vec::new();
            for _ in 0..count {
                let (from, to) = if round % 2 == 0 {
                    let to = word(4, &mut next);
                    // References look like this: edges that occur in no literal.
                    let to = if next(3) == 0 { format!("<{to}>") } else { to };
                    (word(3, &mut next), to)
                } else {
                    let from = ["a", "b", "T", "Z"][next(4) as usize];
                    (
                        from.to_string(),
                        ["T", "Z", "", "a"][next(4) as usize].to_string(),
                    )
                };
                if next(5) == 0 {
                    let regex = Regex::new(&regex::escape(&from)).unwrap();
                    replacements.push(Replacement::Regex { regex, to });
                } else if round % 2 == 1 && next(3) == 0 {
                    let to = "date".to_string();
                    replacements.push(Replacement::Regex {
                        regex: ISO8601.clone(),
                        to,
                    });
                } else {
                    replacements.push(Replacement::Literal { from, to });
                }
            }
            let mut naive = text.clone();
            for r in &replacements {
                naive = match r {
                    Replacement::Literal { from, to } => naive.replace(from.as_str(), to),
                    Replacement::Regex { regex, to } => {
                        regex.replace_all(&naive, to.as_str()).into_owned()
                    }
                };
            }
            let mut fast = text.clone();
            TextReplacer::new(&replacements).unwrap().apply(&mut fast);
            assert_eq!(fast, naive, "text {text:?}, replacements {replacements:?}");
            dates += naive.contains("date") as usize;
        }
        assert!(dates > 100, "dates replaced in {dates} cases");
    }

    /// The hand parser accepts exactly what the regex accepts, with the same captures.
    #[test]
    fn arn_parser_equals_regex() {
        let pieces = [
            "arn",
            ":",
            "aws",
            "aws-cn",
            "-",
            "lambda",
            "s3",
            "a.b_c",
            "us-east-1",
            "123456789012",
            "12345678901",
            "function",
            "fn",
            "$LATEST",
            "/",
            "\n",
            "é",
            "x",
            "",
        ];
        let mut seed: u64 = 0x9E3779B97F4A7C15;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let mut accepted = 0;
        for round in 0..40000 {
            let mut value: String = if round % 2 == 0 {
                "arn:aws".into()
            } else {
                String::new()
            };
            for _ in 0..next(12) {
                value.push_str(pieces[next(pieces.len() as u64) as usize]);
                if next(2) == 0 {
                    value.push(':');
                }
            }
            let by_regex = ARN.captures(&value).map(|c| {
                (
                    c.get(1).map_or("", |m| m.as_str()),
                    c.get(2).map_or("", |m| m.as_str()),
                )
            });
            assert_eq!(arn_parts(&value), by_regex, "{value:?}");
            accepted += by_regex.is_some() as usize;
        }
        for value in [
            "arn:aws:lambda:us-east-1:123456789012:function:fn",
            "arn:aws:iam::aws:policy/x",
            "arn:aws-cn:s3:::bucket",
            "arn:aws:lambda:us-east-1:123456789012:function:fn\nx",
        ] {
            let by_regex = ARN
                .captures(value)
                .map(|c| (c.get(1).unwrap().as_str(), c.get(2).unwrap().as_str()));
            assert_eq!(arn_parts(value), by_regex, "{value:?}");
        }
        assert!(accepted > 200, "{accepted} accepted");
    }

    /// The occurrences `find_all` gives are `str::match_indices`'s.
    #[test]
    fn find_all_equals_match_indices() {
        let mut seed: u64 = 0xD1B54A32D192ED03;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let alphabet = ["a", "b", "aa", "é", ""];
        let mut found = 0;
        for _ in 0..20000 {
            let mut word = |max: u64| -> String {
                (0..next(max + 1))
                    .map(|_| alphabet[next(alphabet.len() as u64) as usize])
                    .collect()
            };
            let (text, from) = (word(12), word(3));
            if from.is_empty() {
                continue;
            }
            let want: Vec<usize> = text
                .match_indices(from.as_str())
                .map(|(at, _)| at)
                .collect();
            found += want.len();
            assert_eq!(
                find_all(&text, &from).collect::<Vec<_>>(),
                want,
                "{text:?} / {from:?}"
            );
        }
        assert!(found > 10000, "{found} occurrences");
    }

    #[test]
    fn python_replacement_syntax() {
        assert_eq!(python_replacement(r"x\1y\g<name>$"), "x${1}y${name}$$");
    }
}
