//! The snapshot state of one scenario run: `match` calls, then record or verify (§2, §3, §5).

use std::borrow::Cow;

use indexmap::IndexMap;
use serde_json::{Map, Value};

use crate::file::Entry;
use crate::jsonpath::{self, Path};
use crate::replace::Replacer;
use crate::report::{self, VerifyReport};
use crate::transform::{
    fixture_defaults, Context, Log, Prioritized, TextReplacer, TimestampSet, Transformer,
};
use crate::{datetime, pyjson, redact, SnapshotError, TransformerSpec};

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
    /// `{match-key: value}` in match order.
    tree: Vec<(String, Value)>,
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
    /// secrets redacted, both under their own keys and wherever a value seen under a secret key
    /// is repeated (a payload echoing a credential).
    pub fn raw_content(&self) -> IndexMap<String, Value> {
        let mut tree = Value::Object(self.state.clone());
        datetime::render_all(&mut tree, &datetime::raw_str);
        if self.options.redact_secrets {
            redact::scrub(&mut tree);
            redact::scrub_strings(&mut tree, &self.secrets);
        }
        into_index_map(tree)
    }

    /// Pre-parse, then every transformer in priority order; text replacements are only
    /// registered. Each match key is transformed on its own when that gives the whole-state
    /// result (see [`Session::transform_per_key`]).
    fn transform(&self) -> Result<Transformed, SnapshotError> {
        if self.is_key_local() {
            self.transform_per_key()
        } else {
            self.transform_whole()
        }
    }

    /// Whether each match key can be transformed on its own ([`Session::transform_per_key`]).
    fn is_key_local(&self) -> bool {
        let is_match_key = |k: &str| self.state.contains_key(k);
        self.transformers
            .iter()
            .all(|(_, t)| t.is_key_local(&is_match_key))
    }

    /// The reference pipeline: each transformer over the whole state in turn.
    fn transform_whole(&self) -> Result<Transformed, SnapshotError> {
        let mut state = self.state.clone();
        state.values_mut().for_each(pre_parse);
        let mut tree = Value::Object(state);
        let mut ctx = self.context();
        for (_, transformer) in &self.transformers {
            transformer.run(&mut tree, &mut ctx)?;
        }
        let Value::Object(tree) = tree else {
            unreachable!("the state is an object")
        };
        Ok(Transformed {
            tree: tree.into_iter().collect(),
            ctx,
        })
    }

    /// The same result, with every transformer run on one match key's `{key: value}` before
    /// the next key: the walks stay within a few kilobytes (in cache) instead of streaming the
    /// whole state once per transformer. The references found are logged and then registered
    /// in whole-state order, so the numbering is the same; valid when every transformer is
    /// [`Transformer::is_key_local`].
    fn transform_per_key(&self) -> Result<Transformed, SnapshotError> {
        self.transform_entries(self.state.iter().map(|(k, v)| (k.as_str(), v.clone())))
    }

    /// [`Session::transform_per_key`] over `(key, value)` pairs the caller hands over: a
    /// borrowed state's copies, or an owned state's values moved in.
    fn transform_entries<K: AsRef<str>>(
        &self,
        entries: impl ExactSizeIterator<Item = (K, Value)>,
    ) -> Result<Transformed, SnapshotError> {
        let mut log = Log::new(self.transformers.len());
        let mut tree = Vec::with_capacity(entries.len());
        for (key, value) in entries {
            tree.extend(self.transform_key(key.as_ref(), value, &mut log));
        }
        let mut ctx = self.context();
        log.replay(&self.transformers, &mut ctx)?;
        Ok(Transformed { tree, ctx })
    }

    /// One match key's `(key, value)` after pre-parse and every transformer, `None` when a
    /// transformer removed the key itself or failed (the failure goes to the log).
    fn transform_key<'t>(
        &'t self,
        key: &str,
        mut value: Value,
        log: &mut Log<'t>,
    ) -> Option<(String, Value)> {
        pre_parse(&mut value);
        let mut single = Map::with_capacity(1);
        single.insert(key.to_string(), value);
        let mut single = Value::Object(single);
        for (t, (_, transformer)) in self.transformers.iter().enumerate() {
            if let Err(error) = transformer.edit(&mut single, &mut log.at(t)) {
                log.fail(t, error);
                return None;
            }
        }
        match single {
            Value::Object(single) => single.into_iter().next(),
            _ => None,
        }
    }

    fn context(&self) -> Context {
        let mut ctx = Context::default();
        ctx.secrets = self.secrets.clone();
        ctx
    }

    /// Applies the text replacements to each match key's value (see [`replace`]).
    fn replace(&self, t: Transformed) -> Result<IndexMap<String, Value>, SnapshotError> {
        let mut out = IndexMap::with_capacity(t.tree.len());
        let replacer = self.replacer(&t.ctx)?;
        for (key, value) in t.tree {
            let value = replacer.replace(&key, value)?;
            out.insert(key, value);
        }
        Ok(out)
    }

    fn replacer<'a>(&self, ctx: &'a Context) -> Result<Replacer<'a>, SnapshotError> {
        let secrets: &[(String, String)] = if self.options.redact_secrets {
            &ctx.secrets
        } else {
            &[]
        };
        Ok(Replacer::new(
            TextReplacer::new(&ctx.replacements)?,
            secrets,
        ))
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
        let Some(skip_paths) = structural(skip_paths) else {
            // Errors too are reported where the whole-state route reports them.
            return self.verify_whole(recorded, skip_paths);
        };
        let skip_paths = &skip_paths[..];
        // Structural skip paths select inside each match key's value alone, so each key is
        // skipped, replaced and compared on its own, while its data is still in cache.
        if !self.is_key_local() {
            let t = self.transform_whole()?;
            return self.verify_keys(t.tree.into_iter(), &t.ctx, recorded, skip_paths);
        }
        // Transforming each key again right before its comparison (instead of keeping every
        // transformed value) measured slower: the transformers cost more than the memory.
        let t = self.transform_per_key()?;
        self.verify_keys(t.tree.into_iter(), &t.ctx, recorded, skip_paths)
    }

    /// [`Session::verify`] as the session's last use: the matched values are moved through the
    /// transformers instead of copied (the copy and its freeing were about a seventh of verify's
    /// instructions on the 10 MB bench). Same result as `verify` (tested on every data-driven case).
    pub fn verify_owned(
        mut self,
        recorded: &Entry,
        skip_paths: &[String],
    ) -> Result<VerifyReport, SnapshotError> {
        match structural(skip_paths) {
            Some(paths) if self.is_key_local() => {
                let state = std::mem::take(&mut self.state);
                let t = self.transform_entries(state.into_iter())?;
                self.verify_keys(t.tree.into_iter(), &t.ctx, recorded, &paths)
            }
            // Every other route reads the state where it is.
            _ => self.verify(recorded, skip_paths),
        }
    }

    /// Skips, replaces and compares each transformed `(key, value)`.
    fn verify_keys(
        &self,
        keys: impl Iterator<Item = (String, Value)>,
        ctx: &Context,
        recorded: &Entry,
        skip_paths: &[Path],
    ) -> Result<VerifyReport, SnapshotError> {
        let replacer = self.replacer(ctx)?;
        let mut report = VerifyReport::default();
        for (key, value) in keys {
            // A skip path may drop the match key itself: then it is not compared.
            let Some((key, value)) = without(skip_paths, key, value)? else {
                continue;
            };
            let actual = replacer.replace(&key, value)?;
            let expected = match recorded.recorded_content.get(&key) {
                Some(v) if skip_paths.is_empty() => Some(Cow::Borrowed(v)),
                // Equal: nothing to report, and no need to copy the recording.
                Some(v)
                    if jsonpath::entry_equal_without(&key, v, skip_paths, &actual)
                        == Some(true) =>
                {
                    continue;
                }
                Some(v) => without(skip_paths, key.clone(), v.clone())?.map(|(_, v)| Cow::Owned(v)),
                None => None,
            };
            let failure = report::compare_key(&key, &actual, expected.as_deref());
            report.failures.extend(failure);
        }
        Ok(report)
    }

    /// [`Session::verify`] for any skip path, on the whole state.
    fn verify_whole(
        &self,
        recorded: &Entry,
        skip_paths: &[String],
    ) -> Result<VerifyReport, SnapshotError> {
        let mut transformed = self.transform()?;
        let mut observed_tree =
            Value::Object(std::mem::take(&mut transformed.tree).into_iter().collect());
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
        transformed.tree = tree.into_iter().collect();
        let observed = self.replace(transformed)?;
        let recorded_map = into_index_map(recorded_tree);
        Ok(report::compare(&observed, &recorded_map))
    }
}

/// `value` without what `skip_paths` select in `{key: value}`; `None` when they select the key.
fn without(
    skip_paths: &[Path],
    key: String,
    value: Value,
) -> Result<Option<(String, Value)>, SnapshotError> {
    if skip_paths.is_empty() {
        return Ok(Some((key, value)));
    }
    let mut tree = Map::with_capacity(1);
    tree.insert(key, value);
    let mut tree = Value::Object(tree);
    jsonpath::remove_all_parsed(&mut tree, skip_paths)?;
    let Value::Object(tree) = tree else {
        unreachable!("an object stays an object")
    };
    Ok(tree.into_iter().next())
}

/// The skip paths parsed, when each selects inside one match key's value (per-key verify);
/// `None` for a parse error or a path reaching across keys (the whole-state route).
fn structural(skip_paths: &[String]) -> Option<Vec<Path>> {
    let paths: Vec<Path> = skip_paths
        .iter()
        .map(|p| Path::parse(p))
        .collect::<Result<_, _>>()
        .ok()?;
    paths.iter().all(Path::is_structural).then_some(paths)
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

/// §3.1, on a dict value of the (copied) state: a string that starts with `{` and parses as
/// JSON is replaced by the parsed value, which is not walked again; dict values are walked,
/// and the dicts inside lists (not lists inside lists).
fn pre_parse(value: &mut Value) {
    match value {
        Value::String(s) if s.starts_with('{') => {
            if let Ok(parsed) = serde_json::from_str::<Value>(s) {
                *value = parsed;
            }
        }
        Value::Object(map) => map.values_mut().for_each(pre_parse),
        Value::Array(items) => items
            .iter_mut()
            .filter(|item| item.is_object())
            .for_each(pre_parse),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// xorshift: deterministic, no dependency.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n
        }
        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            items[self.next(items.len() as u64) as usize]
        }
    }

    fn random_value(rng: &mut Rng, depth: u32) -> Value {
        let leaves = [
            "x",
            "y",
            "arn:aws:s3:::b/x",
            "1",
            "6fa459ea-ee8a-3ca4-894e-db77e160355e",
            "{\"b\": [\"y\"]}",
        ];
        match rng.next(if depth > 2 { 2 } else { 5 }) {
            0 => Value::String(rng.pick(&leaves).into()),
            1 => json!(rng.next(3)),
            2 => Value::Array(
                (0..rng.next(4))
                    .map(|_| random_value(rng, depth + 1))
                    .collect(),
            ),
            _ => {
                let mut map = Map::new();
                for _ in 0..rng.next(4) {
                    let k = rng.pick(&["a", "b", "Tags", "index", "k1", "Id", "ResponseMetadata"]);
                    map.insert(k.into(), random_value(rng, depth + 1));
                }
                Value::Object(map)
            }
        }
    }

    fn session(values: &[Value]) -> Session {
        let specs = serde_json::from_value(json!([{"key_value": {"key": "a"}}])).unwrap();
        let mut s = Session::new(specs, SessionOptions::default()).unwrap();
        for (i, v) in values.iter().enumerate() {
            s.match_value(&format!("k{i}"), v.clone(), &[]).unwrap();
        }
        s
    }

    /// Transforming each match key on its own gives the whole-state pipeline's tree,
    /// replacements (reference numbers) and first error, whenever the transformers are key-local.
    #[test]
    fn per_key_transform_equals_whole_state_transform() {
        let mut rng = Rng(0x2545F4914F6CDD1D);
        let pool = [
            json!({"key_value": {"key": "a"}}),
            json!({"key_value": {"key": "b", "replacement": "bee"}}),
            json!({"key_value": {"key": "Tags", "reference_replacement": false}}),
            json!({"key_value": {"key": "k1"}}),
            json!({"jsonpath": {"path": "$..index", "replacement": "ix"}}),
            json!({"jsonpath": {"path": "$.k0.a", "replacement": "k0a"}}),
            json!({"jsonpath": {"path": "$..k1", "replacement": "deep"}}),
            json!({"jsonpath": {"path": "$..b[0]", "replacement": "first", "reference_replacement": false}}),
            json!({"jsonpath": {"path": "$.*", "replacement": "all", "reference_replacement": false, "priority": 1}}),
            json!({"resource_name": {}}),
            json!({"uuid": {"priority": -1}}),
            json!({"sorting": {"key": "Tags", "priority": -2}}),
            json!({"remove_key": "index"}),
            json!({"remove_key": {"key": "k0", "priority": 1}}),
            json!({"regex": {"pattern": "y+", "replacement": "<y>"}}),
            json!({"text": {"text": "x", "replacement": "<x>"}}),
            json!({"response_metadata": {"priority": -1}}),
            json!({"json_string": "a"}),
        ];
        let (mut compared, mut failed) = (0, 0);
        for _ in 0..3000 {
            let specs: Vec<Value> = (0..rng.next(5))
                .map(|_| pool[rng.next(pool.len() as u64) as usize].clone())
                .collect();
            let specs: Vec<TransformerSpec> = serde_json::from_value(Value::Array(specs)).unwrap();
            let options = SessionOptions {
                account_id: "1".into(),
                region: "us".into(),
                ..SessionOptions::default()
            };
            let mut s = Session::new(specs, options).unwrap();
            for i in 0..rng.next(4) {
                let value = match rng.next(6) {
                    0 => json!("6fa459ea-ee8a-3ca4-894e-db77e160355e"),
                    1 => json!("{\"a\": \"x\"}"),
                    _ => random_value(&mut rng, 0),
                };
                s.match_value(&format!("k{i}"), value, &[]).unwrap();
            }
            let is_match_key = |k: &str| s.state.contains_key(k);
            if !s
                .transformers
                .iter()
                .all(|(_, t)| t.is_key_local(&is_match_key))
            {
                continue;
            }
            let summary = |r: Result<Transformed, SnapshotError>| {
                r.map(|t| (t.tree, format!("{:?}", t.ctx.replacements)))
                    .map_err(|e| e.to_string())
            };
            let whole = summary(s.transform_whole());
            failed += whole.is_err() as usize;
            compared += 1;
            assert_eq!(summary(s.transform_per_key()), whole, "state {:?}", s.state);
        }
        assert!(
            compared > 1500 && failed > 50,
            "{compared} compared, {failed} failed"
        );
    }

    /// Verifying per match key (structural skip paths) gives the whole-state result.
    #[test]
    fn per_key_verify_equals_whole_state_verify() {
        let mut rng = Rng(0xD1B54A32D192ED03);
        let paths = [
            "$..a",
            "$.k1",
            "$..Tags.index",
            "$.*",
            "$..b[0]",
            "$..b[*].a",
            "$.k0.a",
            "$..[0]",
            "$..Tags[1]",
        ];
        let mut per_key_taken = 0;
        for _ in 0..1500 {
            let values: Vec<Value> = (0..1 + rng.next(3))
                .map(|_| random_value(&mut rng, 0))
                .collect();
            let mut changed = values.clone();
            if rng.next(2) == 0 {
                let i = rng.next(changed.len() as u64) as usize;
                changed[i] = random_value(&mut rng, 0);
            }
            let Ok(content) = session(&changed).recorded_content() else {
                continue;
            };
            let entry = Entry {
                recorded_date: String::new(),
                recorded_content: content,
            };
            let skip: Vec<String> = (0..rng.next(3))
                .map(|_| rng.pick(&paths).to_string())
                .collect();
            per_key_taken += skip.iter().all(|p| jsonpath::is_structural(p)) as usize;
            let s = session(&values);
            let summary = |r: Result<VerifyReport, SnapshotError>| {
                r.map(|r| {
                    r.failures
                        .into_iter()
                        .map(|f| (f.key, f.differences, f.missing_from_recording, f.lines))
                        .collect::<Vec<_>>()
                })
                .map_err(|e| e.to_string())
            };
            assert_eq!(
                summary(s.verify(&entry, &skip)),
                summary(s.verify_whole(&entry, &skip)),
                "values {values:?}, recorded {changed:?}, skip {skip:?}"
            );
        }
        assert!(
            per_key_taken > 500,
            "per-key route taken {per_key_taken} times"
        );
    }
}
