//! The stored Lambda resources of one account and region.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use indexmap::IndexMap;
use serde_json::{Map, Value};

/// How long a function stays Pending / InProgress after a create or update. AWS takes seconds;
/// a short, non-zero delay keeps "read right after the write" answers AWS-shaped while waiters
/// in scenarios finish almost at once.
pub const SETTLE_DELAY: Duration = Duration::from_millis(100);

pub fn new_revision() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Lambda's own timestamp text (`2024-05-01T12:00:00.000+0000`).
pub fn lambda_timestamp() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}+0000",
        now.year(),
        now.month() as u8,
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        now.millisecond()
    )
}

/// A deployment package: the zip as uploaded, and what AWS reports about it.
#[derive(Debug)]
pub struct CodeBundle {
    /// Unique per upload: runtime environments and extracted dirs are keyed by it.
    pub id: u64,
    pub zip: Vec<u8>,
    pub sha256: String,
    pub size: u64,
}

/// Where a function version is in AWS's state machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lifecycle {
    /// Just created: State Pending until settled.
    Creating,
    /// Updated: LastUpdateStatus InProgress until settled.
    Updating,
    /// Active, LastUpdateStatus Successful.
    Active,
}

#[derive(Debug, Clone)]
pub struct FunctionVersion {
    /// FunctionConfiguration members that do not depend on the lifecycle.
    pub config: Map<String, Value>,
    pub code: Arc<CodeBundle>,
    pub lifecycle: Lifecycle,
    pub settle_at: Option<Instant>,
    pub revision_id: String,
    /// $LATEST only: code or configuration changed since the last PublishVersion (AWS then
    /// publishes a new version; otherwise it answers the newest one again).
    pub unpublished: bool,
}

impl FunctionVersion {
    /// Apply a pending transition when its time has come; AWS gives a new RevisionId then too.
    /// True when the version changed.
    pub fn settle(&mut self, now: Instant) -> bool {
        match self.settle_at {
            Some(at) if now >= at => {
                self.settle_at = None;
                self.lifecycle = Lifecycle::Active;
                self.revision_id = new_revision();
                true
            }
            _ => false,
        }
    }

    pub fn is_pending(&self) -> bool {
        self.lifecycle == Lifecycle::Creating
    }
    pub fn is_updating(&self) -> bool {
        self.lifecycle == Lifecycle::Updating
    }

    /// The FunctionConfiguration as Get* answers it (with state members). Member order is left
    /// to the protocol layer, which writes structures in model order: this is on the path of
    /// every GetFunction, so it only clones and adds.
    pub fn render(&self) -> Value {
        let mut m = self.config.clone();
        m.insert("RevisionId".into(), self.revision_id.clone().into());
        let (state, reason, update) = match &self.lifecycle {
            Lifecycle::Creating => (
                "Pending",
                Some(("The function is being created.", "Creating")),
                None,
            ),
            Lifecycle::Updating => (
                "Active",
                None,
                Some((
                    "InProgress",
                    Some(("The function is being created.", "Creating")),
                )),
            ),
            Lifecycle::Active => ("Active", None, Some(("Successful", None))),
        };
        m.insert("State".into(), state.into());
        if let Some((r, c)) = reason {
            m.insert("StateReason".into(), r.into());
            m.insert("StateReasonCode".into(), c.into());
        }
        if let Some((status, reason)) = update {
            m.insert("LastUpdateStatus".into(), status.into());
            if let Some((r, c)) = reason {
                m.insert("LastUpdateStatusReason".into(), r.into());
                m.insert("LastUpdateStatusReasonCode".into(), c.into());
            }
        }
        Value::Object(m)
    }

    /// The shape ListFunctions / ListVersionsByFunction answer: no state or runtime version.
    pub fn render_listed(&self) -> Value {
        let mut m = self.config.clone();
        m.insert("RevisionId".into(), self.revision_id.clone().into());
        m.shift_remove("RuntimeVersionConfig");
        Value::Object(m)
    }

    pub fn str(&self, key: &str) -> Option<&str> {
        self.config.get(key).and_then(Value::as_str)
    }
    pub fn int(&self, key: &str) -> Option<i64> {
        self.config.get(key).and_then(Value::as_i64)
    }
}

/// AWS answers configurations with members in alphabetical order.
pub fn sort_keys(mut m: Map<String, Value>) -> Value {
    // In place: reorders entries and reuses their cached hashes (this is on the hot path of
    // every Get*).
    m.sort_keys();
    Value::Object(m)
}

/// A provisioned concurrency config: IN_PROGRESS until `ready_at`, then READY.
#[derive(Debug, Clone)]
pub struct Provisioned {
    pub requested: i64,
    pub last_modified: String,
    pub ready_at: Instant,
}

#[derive(Debug, Clone)]
pub struct Alias {
    pub name: String,
    pub function_version: String,
    pub description: String,
    pub routing: Option<Value>,
    pub revision_id: String,
}

/// A resource-based policy: its statements in insertion order.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    pub statements: Vec<Value>,
    /// Function policies: the RevisionId of the function (or alias) when the policy last
    /// changed. GetPolicy answers it; later changes to the function (PublishVersion...) do not
    /// move it, as the recordings show.
    pub revision_id: String,
}

#[derive(Debug)]
pub struct Function {
    pub name: String,
    pub latest: FunctionVersion,
    pub versions: BTreeMap<u64, FunctionVersion>,
    pub next_version: u64,
    pub aliases: BTreeMap<String, Alias>,
    /// Keyed by qualifier ("$LATEST" for the unqualified function).
    pub policies: BTreeMap<String, Policy>,
    pub tags: BTreeMap<String, String>,
    pub reserved_concurrency: Option<i64>,
    pub provisioned: BTreeMap<String, Provisioned>,
    pub url_configs: BTreeMap<String, Value>,
    pub event_invoke_configs: BTreeMap<String, Value>,
    pub recursion: String,
    pub runtime_management: BTreeMap<String, Value>,
    pub code_signing_config_arn: Option<String>,
    /// The last GetFunction answer, shared with the serializer (see `GetFunctionCache`).
    pub get_cache: Option<GetFunctionCache>,
}

/// A GetFunction output kept to answer the next GetFunction without rebuilding it (cloning the
/// stored configuration is most of its cost). Valid only while the Lambda state generation is
/// unchanged: every state access other than GetFunction's own bumps it (see `Lambda::with_state`).
#[derive(Debug)]
pub struct GetFunctionCache {
    pub generation: u64,
    pub qualifier: Option<String>,
    pub output: Arc<Value>,
}

impl Function {
    /// Apply pending transitions whose time has come; true when any version changed.
    pub fn settle(&mut self, now: Instant) -> bool {
        let mut changed = self.latest.settle(now);
        for v in self.versions.values_mut() {
            changed |= v.settle(now);
        }
        changed
    }

    /// The version a qualifier names, resolving aliases to their primary version.
    pub fn version(&self, qualifier: Option<&str>) -> Option<&FunctionVersion> {
        match qualifier {
            None | Some("$LATEST") => Some(&self.latest),
            Some(q) => {
                if let Ok(n) = q.parse::<u64>() {
                    self.versions.get(&n)
                } else {
                    let alias = self.aliases.get(q)?;
                    self.version(Some(&alias.function_version))
                }
            }
        }
    }

    /// Does the qualifier name something that exists (a version or an alias)?
    pub fn has_qualifier(&self, qualifier: &str) -> bool {
        self.version(Some(qualifier)).is_some()
    }
}

#[derive(Debug, Clone)]
pub struct LayerVersion {
    pub info: Map<String, Value>,
    pub code: Arc<CodeBundle>,
    pub policy: Policy,
    pub policy_revision: String,
}

#[derive(Debug, Default)]
pub struct Layer {
    pub versions: BTreeMap<u64, LayerVersion>,
    pub next_version: u64,
}

/// An event source mapping as answered, plus its pending state transition.
#[derive(Debug, Clone)]
pub struct EventSourceMapping {
    pub value: Value,
    /// (when, the State to reach then); `None` state means "gone" (deletion finished).
    pub transition: Option<(Instant, Option<&'static str>)>,
}

/// Everything Lambda stores for one account in one region.
#[derive(Debug, Default)]
pub struct RegionState {
    pub functions: BTreeMap<String, Function>,
    pub layers: BTreeMap<String, Layer>,
    /// Layer contents by version ARN. Kept after DeleteLayerVersion: functions that reference
    /// a deleted layer version keep running with it, as on AWS.
    pub layer_code: BTreeMap<String, Arc<CodeBundle>>,
    pub event_source_mappings: IndexMap<String, EventSourceMapping>,
    pub esm_tags: BTreeMap<String, BTreeMap<String, String>>,
    pub code_signing_configs: IndexMap<String, Value>,
    pub csc_tags: BTreeMap<String, BTreeMap<String, String>>,
}
