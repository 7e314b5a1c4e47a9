//! The snapshot state of one scenario run: `match` calls, then record or verify (§2, §3, §5).

use indexmap::IndexMap;
use serde_json::{Map, Value};

use crate::file::Entry;
use crate::replace::Replacer;
use crate::report::{self, VerifyReport};
use crate::transform::{
    fixture_defaults, Context, Prioritized, TextReplacer, TimestampSet, Transformer,
};
use crate::{datetime, jsonpath, pyjson, redact, SnapshotError, TransformerSpec};

#[derive(Debug, Clone)]
pub struct SessionOptions {
    /// The target's account id and region, replaced by the fixture defaults.
    pub account_id: String,
    pub region: String,
    pub timestamps: TimestampSet,
    /// Apply the built-in secret redaction (on by default; see the issue).
    pub redact_secrets: bool,
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions {
            account_id: String::new(),
            region: String::new(),
            timestamps: TimestampSet::New,
            redact_secrets: true,
        }
    }
}

/// The snapshot state of one scenario run: `match` calls, then record or verify.
pub struct Session {
    transformers: Vec<Prioritized>,
    options: SessionOptions,
    /// `{match-key: normalised value}` in match order; datetimes in their in-tree form.
    state: Map<String, Value>,
    secrets: Vec<(String, String)>,
}

/// A transformed state before the text replacements, with the context that holds them.
struct Transformed {
    tree: Map<String, Value>,
    ctx: Context,
}

impl Session {
    pub fn new(
        transformers: Vec<TransformerSpec>,
        options: SessionOptions,
    ) -> Result<Session, SnapshotError> {
        // LocalStack's fixture adds its defaults before the test's own transformers.
        let mut all = fixture_defaults(&options.account_id, &options.region, options.timestamps);
        for spec in &transformers {
            spec.compile(&mut all)?;
        }
        if options.redact_secrets {
            // After everything else, so that a scenario's own name for a secret wins.
            all.push((i32::MAX, Transformer::Secrets));
        }
        // Stable: insertion order within a priority.
        all.sort_by_key(|(priority, _)| *priority);
        Ok(Session {
            transformers: all,
            options,
            state: Map::new(),
            secrets: Vec::new(),
        })
    }

    /// Registers a match point; a key used twice is an error. `datetimes` are JSON pointers
    /// (RFC 6901, relative to `value`) of the values that are timestamps in the service model:
    /// boto3 hands them over as datetime objects, which the transformers treat differently from
    /// strings (`<datetime>`, `datetime`, raw format `YYYY-MM-DDTHH:MM:SS.mmmZ`). Each such value
    /// must be an RFC 3339 string or epoch seconds.
    pub fn match_value(
        &mut self,
        key: &str,
        mut value: Value,
        datetimes: &[String],
    ) -> Result<(), SnapshotError> {
        if self.state.contains_key(key) {
            return Err(SnapshotError::DuplicateKey(key.to_string()));
        }
        for pointer in datetimes {
            let slot = value
                .pointer_mut(pointer)
                .ok_or_else(|| SnapshotError::Datetime {
                    key: key.to_string(),
                    pointer: pointer.clone(),
                    message: "no value at this pointer".into(),
                })?;
            let dt = datetime::parse_input(slot).ok_or_else(|| SnapshotError::Datetime {
                key: key.to_string(),
                pointer: pointer.clone(),
                message: format!(
                    "{} is not an RFC 3339 timestamp",
                    pyjson::dumps_compact(slot)
                ),
            })?;
            *slot = datetime::encode(dt);
        }
        normalise(&mut value);
        if self.options.redact_secrets {
            redact::collect(&value, &mut self.secrets);
        }
        self.state.insert(key.to_string(), value);
        Ok(())
    }

    /// The match keys of this run, in match order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.state.keys().map(String::as_str)
    }

    /// The untransformed state for the raw copy: datetimes as `YYYY-MM-DDTHH:MM:SS.mmmZ`,
    /// secrets redacted.
    pub fn raw_content(&self) -> IndexMap<String, Value> {
        let mut tree = Value::Object(self.state.clone());
        datetime::render_all(&mut tree, &datetime::raw_str);
        if self.options.redact_secrets {
            redact::scrub(&mut tree);
        }
        into_index_map(tree)
    }

    /// Pre-parse, then every transformer in priority order; text replacements are only
    /// registered.
    fn transform(&self) -> Result<Transformed, SnapshotError> {
        let mut tree = Value::Object(self.state.clone());
        pre_parse(&mut tree);
        let mut ctx = Context::default();
        ctx.secrets = self.secrets.clone();
        for (_, transformer) in &self.transformers {
            transformer.run(&mut tree, &mut ctx)?;
        }
        let Value::Object(tree) = tree else {
            unreachable!("the state is an object")
        };
        Ok(Transformed { tree, ctx })
    }

    /// Applies the text replacements to each match key's value (see [`replace`]).
    fn replace(&self, t: Transformed) -> Result<IndexMap<String, Value>, SnapshotError> {
        let mut out = IndexMap::with_capacity(t.tree.len());
        let no_secrets = [];
        let secrets = if self.options.redact_secrets {
            &t.ctx.secrets[..]
        } else {
            &no_secrets
        };
        let replacer = Replacer::new(TextReplacer::new(&t.ctx.replacements)?, secrets);
        for (key, value) in t.tree {
            let value = replacer.replace(&key, value)?;
            out.insert(key, value);
        }
        Ok(out)
    }

    /// Transformed content to record (skip paths are never applied when recording).
    pub fn recorded_content(&self) -> Result<IndexMap<String, Value>, SnapshotError> {
        self.replace(self.transform()?)
    }

    /// Compares the keys matched in this run with `recorded`, after removing `skip_paths` from
    /// both sides (observed: after the transformers, before the text replacements).
    pub fn verify(
        &self,
        recorded: &Entry,
        skip_paths: &[String],
    ) -> Result<VerifyReport, SnapshotError> {
        let mut transformed = self.transform()?;
        let mut observed_tree = Value::Object(std::mem::take(&mut transformed.tree));
        let mut recorded_tree = Value::Object(
            recorded
                .recorded_content
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        );
        jsonpath::remove_all(&mut observed_tree, skip_paths)?;
        jsonpath::remove_all(&mut recorded_tree, skip_paths)?;
        let Value::Object(tree) = observed_tree else {
            unreachable!("the state is an object")
        };
        transformed.tree = tree;
        let observed = self.replace(transformed)?;
        let recorded_map = into_index_map(recorded_tree);
        Ok(report::compare(&observed, &recorded_map))
    }
}

fn into_index_map(value: Value) -> IndexMap<String, Value> {
    match value {
        Value::Object(map) => map.into_iter().collect(),
        _ => IndexMap::new(),
    }
}

/// §2.2: keys sorted recursively by code point, then `ResponseMetadata` moved last; lists are
/// walked only into their object elements.
fn normalise(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.sort_keys();
            if let Some(meta) = map.shift_remove("ResponseMetadata") {
                map.insert("ResponseMetadata".into(), meta);
            }
            map.values_mut().for_each(normalise);
        }
        Value::Array(items) => items
            .iter_mut()
            .filter(|v| v.is_object())
            .for_each(normalise),
        _ => {}
    }
}

/// §3.1: strings in dict values (and in dicts inside lists) that start with `{` and parse as
/// JSON are replaced by the parsed value, which is not walked again.
fn pre_parse(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for v in map.values_mut() {
                if let Value::String(s) = v {
                    if s.starts_with('{') {
                        if let Ok(parsed) = serde_json::from_str::<Value>(s) {
                            *v = parsed;
                        }
                    }
                } else {
                    pre_parse(v);
                }
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .filter(|v| v.is_object())
            .for_each(pre_parse),
        _ => {}
    }
}
