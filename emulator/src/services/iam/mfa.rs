//! Virtual MFA devices and their assignment to users.

use base64::Engine;
use serde_json::{json, Map, Value};

use super::errors::{already_exists, delete_conflict, no_such_entity};
use super::ids::now;
use super::pagination::page;
use super::state::{key, tags_json, VirtualMfaDevice};
use super::tagging::read_tags;
use super::users::user_mut;
use super::Call;
use crate::service::{AwsError, HandlerResult};

const BASE32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

pub(crate) fn no_such_device(serial: &str) -> AwsError {
    no_such_entity(format!(
        "VirtualMFADevice with serial number {serial} doesn't exist."
    ))
}

fn in_use() -> AwsError {
    already_exists("MFA Device is already in use.")
}

/// TOTP codes are six digits.
fn check_code(call: &Call, member: &str) -> Result<(), AwsError> {
    let code = call.input.req(member)?;
    if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(AwsError::new(
            "InvalidAuthenticationCode",
            "Authentication code for device is not valid.",
            403,
        ))
    }
}

pub(crate) fn create_virtual(call: &Call) -> HandlerResult {
    let name = call.input.name("VirtualMFADeviceName", 226)?;
    let path = call.input.path("Path")?;
    let tags = read_tags(call.input)?;
    let account = call.account();
    let mut account = account.write();
    let serial = format!("arn:aws:iam::{}:mfa{path}{name}", account.id);
    if account.mfa_devices.contains_key(&serial) {
        return Err(already_exists(
            "MFADevice entity at the same path and name already exists.",
        ));
    }
    // The seed is a base32 secret; the blob member carries its text (base64 in handler JSON).
    let seed: String = super::ids::random_token(64)
        .bytes()
        .map(|b| BASE32[b as usize % BASE32.len()] as char)
        .collect();
    // Like AWS, the seed is shown once, at creation, and not kept.
    let device = VirtualMfaDevice {
        user: None,
        enabled: None,
        tags,
    };
    let mut out = Map::new();
    out.insert("SerialNumber".into(), json!(serial));
    out.insert(
        "Base32StringSeed".into(),
        json!(base64::engine::general_purpose::STANDARD.encode(seed.as_bytes())),
    );
    if !device.tags.is_empty() {
        out.insert("Tags".into(), tags_json(&device.tags));
    }
    account.mfa_devices.insert(serial, device);
    Ok(json!({"VirtualMFADevice": out}))
}

pub(crate) fn enable(call: &Call) -> HandlerResult {
    let name = call.input.req("UserName")?;
    let serial = call.input.req("SerialNumber")?;
    check_code(call, "AuthenticationCode1")?;
    check_code(call, "AuthenticationCode2")?;
    let account = call.account();
    let mut account = account.write();
    user_mut(&mut account, name)?;
    let device = account
        .mfa_devices
        .get_mut(serial)
        .ok_or_else(|| no_such_device(serial))?;
    if device.user.is_some() {
        return Err(in_use());
    }
    device.user = Some(key(name));
    device.enabled = Some(now());
    user_mut(&mut account, name)?
        .mfa_devices
        .push(serial.to_string());
    Ok(json!({}))
}

pub(crate) fn deactivate(call: &Call) -> HandlerResult {
    let serial = call.input.req("SerialNumber")?;
    let account = call.account();
    let mut account = account.write();
    let account = &mut *account;
    let device = account
        .mfa_devices
        .get_mut(serial)
        .filter(|d| d.user.is_some())
        .ok_or_else(|| {
            no_such_entity(format!(
                "MFA Device with serial number {serial} does not exist."
            ))
        })?;
    if let Some(owner) = device.user.take() {
        if let Some(user) = account.users.get_mut(&owner) {
            user.mfa_devices.retain(|s| s != serial);
        }
    }
    device.enabled = None;
    Ok(json!({}))
}

pub(crate) fn delete_virtual(call: &Call) -> HandlerResult {
    let serial = call.input.req("SerialNumber")?;
    let account = call.account();
    let mut account = account.write();
    let device = account
        .mfa_devices
        .get(serial)
        .ok_or_else(|| no_such_device(serial))?;
    if device.user.is_some() {
        return Err(delete_conflict("MFA Device is already in use."));
    }
    account.mfa_devices.remove(serial);
    Ok(json!({}))
}

pub(crate) fn list(call: &Call) -> HandlerResult {
    let account = call.account();
    let account = account.read();
    let filter = call.input.str("UserName").map(key);
    let items = account
        .mfa_devices
        .iter()
        .filter_map(|(serial, d)| {
            let owner = d.user.as_ref()?;
            if filter.as_ref().is_some_and(|f| f != owner) {
                return None;
            }
            let user = account.users.get(owner)?;
            Some(json!({"UserName": user.name, "SerialNumber": serial, "EnableDate": d.enabled}))
        })
        .collect();
    Ok(Value::Object(page(items, call.input, "MFADevices")?))
}

pub(crate) fn list_virtual(call: &Call) -> HandlerResult {
    let status = call.input.str("AssignmentStatus").unwrap_or("Any");
    let account = call.account();
    let account = account.read();
    let items = account
        .mfa_devices
        .iter()
        .filter(|(_, d)| match status {
            "Assigned" => d.user.is_some(),
            "Unassigned" => d.user.is_none(),
            _ => true,
        })
        .map(|(serial, d)| {
            let mut out = Map::new();
            out.insert("SerialNumber".into(), json!(serial));
            if let Some(user) = d.user.as_ref().and_then(|u| account.users.get(u)) {
                out.insert("User".into(), user.to_json(super::state::View::Listed));
            }
            if let Some(enabled) = &d.enabled {
                out.insert("EnableDate".into(), json!(enabled));
            }
            Value::Object(out)
        })
        .collect();
    Ok(Value::Object(page(items, call.input, "VirtualMFADevices")?))
}

pub(crate) fn get(call: &Call) -> HandlerResult {
    let serial = call.input.req("SerialNumber")?;
    let account = call.account();
    let account = account.read();
    let device = account
        .mfa_devices
        .get(serial)
        .filter(|d| d.user.is_some())
        .ok_or_else(|| no_such_device(serial))?;
    let user = device.user.as_ref().and_then(|u| account.users.get(u));
    let mut out = Map::new();
    if let Some(user) = user {
        out.insert("UserName".into(), json!(user.name));
    }
    out.insert("SerialNumber".into(), json!(serial));
    if let Some(enabled) = &device.enabled {
        out.insert("EnableDate".into(), json!(enabled));
    }
    Ok(Value::Object(out))
}
