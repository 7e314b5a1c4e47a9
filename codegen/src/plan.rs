//! What is dispatchable: the operations, members and types present both in the botocore model
//! and in the locked SDK crate, with the Rust names to use; everything else is listed as skipped.

use crate::model::{Model, Shape};
use crate::naming::{pascal, snake};
use crate::sdk_index::SdkIndex;
use std::collections::{BTreeMap, BTreeSet};

pub struct Service {
    pub name: &'static str,
    pub crate_ident: String,
    pub crate_version: String,
    pub model: Model,
    pub ops: Vec<Op>,
    pub left_out: Vec<(String, String)>,
    pub skipped_members: Vec<(String, String, String)>,
    /// structure shape → (member, setter) for shapes built from JSON.
    pub input_structs: BTreeMap<String, Vec<(String, String)>>,
    /// structure shape → (member, field) for shapes written as JSON.
    pub output_structs: BTreeMap<String, Vec<(String, String)>>,
    /// union shape → (member, variant).
    pub unions: BTreeMap<String, Vec<(String, String)>>,
    /// string shapes the SDK renders as enums.
    pub enums: BTreeSet<String>,
    /// structures whose builder `build()` returns a Result.
    pub fallible_builders: BTreeSet<String>,
}

pub struct Op {
    pub name: String,
    pub module: String,
    pub input: Option<String>,
    pub output: Option<String>,
    pub result_wrapper: Option<String>,
    pub output_type: String,
    pub setters: Vec<(String, String)>,
    pub output_fields: Vec<(String, String)>,
}

impl Service {
    pub fn plan(
        name: &'static str,
        crate_version: String,
        model: Model,
        sdk: &SdkIndex,
    ) -> Result<Service, String> {
        let mut s = Service {
            name,
            crate_ident: format!("aws_sdk_{name}"),
            crate_version,
            model,
            ops: Vec::new(),
            left_out: Vec::new(),
            skipped_members: Vec::new(),
            input_structs: BTreeMap::new(),
            output_structs: BTreeMap::new(),
            unions: BTreeMap::new(),
            enums: BTreeSet::new(),
            fallible_builders: BTreeSet::new(),
        };
        let mut ops = Vec::new();
        for (op_name, op) in &s.model.operations {
            let module = snake(op_name);
            if let Some(reason) = s.unsupported_reason(op_name, op, &module, sdk)? {
                s.left_out.push((op_name.clone(), reason));
                continue;
            }
            let fluent = format!("{op_name}FluentBuilder");
            let output_type = pascal(&format!("{op_name}Output"));
            let mut setters = Vec::new();
            if let Some(input) = &op.input {
                let names: Vec<String> = s
                    .model
                    .shape(&input.shape)?
                    .members
                    .keys()
                    .cloned()
                    .collect();
                for m in &names {
                    match sdk.setter(&fluent, &snake(m)) {
                        Some(setter) => setters.push((m.clone(), setter)),
                        None => s.skipped_members.push((
                            input.shape.clone(),
                            m.clone(),
                            "no setter in the SDK's fluent builder".into(),
                        )),
                    }
                }
            }
            let mut output_fields = Vec::new();
            if let Some(output) = &op.output {
                let names: Vec<String> = s
                    .model
                    .shape(&output.shape)?
                    .members
                    .keys()
                    .cloned()
                    .collect();
                for m in &names {
                    match sdk.field(&output_type, &snake(m)) {
                        Some(field) => output_fields.push((m.clone(), field)),
                        None => s.skipped_members.push((
                            output.shape.clone(),
                            m.clone(),
                            "no field in the SDK's output type".into(),
                        )),
                    }
                }
            }
            ops.push(Op {
                name: op_name.clone(),
                module,
                input: op.input.as_ref().map(|r| r.shape.clone()),
                output: op.output.as_ref().map(|r| r.shape.clone()),
                result_wrapper: op.output.as_ref().and_then(|r| r.result_wrapper.clone()),
                output_type,
                setters,
                output_fields,
            });
        }
        for op in &ops {
            let targets: Vec<String> = match &op.input {
                Some(input) => {
                    let shape = s.model.shape(input)?;
                    op.setters
                        .iter()
                        .map(|(m, _)| shape.members[m].shape.clone())
                        .collect()
                }
                None => vec![],
            };
            for t in targets {
                s.reach(&t, true, sdk)?;
            }
            let targets: Vec<String> = match &op.output {
                Some(output) => {
                    let shape = s.model.shape(output)?;
                    op.output_fields
                        .iter()
                        .map(|(m, _)| shape.members[m].shape.clone())
                        .collect()
                }
                None => vec![],
            };
            for t in targets {
                s.reach(&t, false, sdk)?;
            }
        }
        s.ops = ops;
        s.skipped_members.sort();
        s.skipped_members.dedup();
        Ok(s)
    }

    fn skip(&mut self, shape: &str, member: &str, reason: &str) {
        self.skipped_members
            .push((shape.to_string(), member.to_string(), reason.to_string()));
    }

    fn unsupported_reason(
        &self,
        op_name: &str,
        op: &crate::model::Operation,
        module: &str,
        sdk: &SdkIndex,
    ) -> Result<Option<String>, String> {
        if !sdk.operation_modules.contains(module) {
            return Ok(Some(format!(
                "not in {} {} (newer than the locked SDK)",
                self.crate_ident, self.crate_version
            )));
        }
        for r in op.output.iter() {
            for (m, mref) in &self.model.shape(&r.shape)?.members {
                let target = self.model.shape(&mref.shape)?;
                if target.eventstream {
                    return Ok(Some(format!("output member {m} is an event stream")));
                }
            }
        }
        if !sdk.impls.contains_key(&format!("{op_name}FluentBuilder")) {
            return Ok(Some(format!("no fluent builder for {op_name} in the SDK")));
        }
        if !sdk
            .structs
            .contains_key(&pascal(&format!("{op_name}Output")))
        {
            return Ok(Some(format!("no output type for {op_name} in the SDK")));
        }
        Ok(None)
    }

    /// Marks `shape` and everything under it as needing JSON conversion in one direction.
    fn reach(&mut self, shape_name: &str, input: bool, sdk: &SdkIndex) -> Result<(), String> {
        let shape: &Shape = self.model.shape(shape_name)?;
        match shape.kind.as_str() {
            "list" => {
                let t = shape.member.as_ref().map(|m| m.shape.clone());
                if let Some(t) = t {
                    self.reach(&t, input, sdk)?;
                }
            }
            "map" => {
                let k = shape.key.as_ref().map(|m| m.shape.clone());
                let v = shape.value.as_ref().map(|m| m.shape.clone());
                for t in k.into_iter().chain(v) {
                    self.reach(&t, input, sdk)?;
                }
            }
            "string"
                if !shape.enum_values.is_empty() && sdk.enums.contains_key(&pascal(shape_name)) =>
            {
                self.enums.insert(shape_name.to_string());
            }
            "structure" if shape.union => {
                if self.unions.contains_key(shape_name) {
                    return Ok(());
                }
                let variants = sdk.enums.get(&pascal(shape_name)).cloned().ok_or_else(|| {
                    format!(
                        "{}: the SDK has no union type for shape {shape_name}",
                        self.name
                    )
                })?;
                let members: Vec<(String, String)> = shape
                    .members
                    .keys()
                    .map(|m| (m.clone(), pascal(m)))
                    .collect();
                let mut kept = Vec::new();
                let mut targets = Vec::new();
                for (m, v) in members {
                    if variants.contains(&v) {
                        targets.push(self.model.shape(shape_name)?.members[&m].shape.clone());
                        kept.push((m, v));
                    } else {
                        self.skip(shape_name, &m, "no variant in the SDK's union type");
                    }
                }
                self.unions.insert(shape_name.to_string(), kept);
                for t in targets {
                    self.reach(&t, true, sdk)?;
                    self.reach(&t, false, sdk)?;
                }
            }
            "structure" => {
                let seen = if input {
                    &self.input_structs
                } else {
                    &self.output_structs
                };
                if seen.contains_key(shape_name) {
                    return Ok(());
                }
                let rust = pascal(shape_name);
                if !sdk.structs.contains_key(&rust) {
                    return Err(format!(
                        "{}: the SDK has no type {rust} for shape {shape_name}",
                        self.name
                    ));
                }
                let builder = format!("{rust}Builder");
                let members: Vec<(String, String)> = shape
                    .members
                    .iter()
                    .map(|(m, r)| (m.clone(), r.shape.clone()))
                    .collect();
                if input && sdk.impls.get(&builder).is_some_and(|b| b.build_fallible) {
                    self.fallible_builders.insert(shape_name.to_string());
                }
                let mut kept = Vec::new();
                let mut targets = Vec::new();
                for (m, t) in members {
                    let found = if input {
                        sdk.setter(&builder, &snake(&m))
                    } else {
                        sdk.field(&rust, &snake(&m))
                    };
                    match found {
                        Some(ident) => {
                            kept.push((m, ident));
                            targets.push(t);
                        }
                        None if input => {
                            self.skip(shape_name, &m, "no setter in the SDK's builder")
                        }
                        None => self.skip(shape_name, &m, "no field in the SDK's type"),
                    }
                }
                if input {
                    self.input_structs.insert(shape_name.to_string(), kept);
                } else {
                    self.output_structs.insert(shape_name.to_string(), kept);
                }
                for t in targets {
                    self.reach(&t, input, sdk)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Members of a structure usable in the given direction (None: not reached that way).
    pub fn members(&self, shape: &str, input: bool) -> Option<&Vec<(String, String)>> {
        if input {
            self.input_structs.get(shape)
        } else {
            self.output_structs.get(shape)
        }
    }
}
