//! Deployment packages: the `Code` of CreateFunction / UpdateFunctionCode / PublishLayerVersion.
//! Only inline zips exist here; S3 and container images are answered as AWS answers when the
//! bucket or image is not there (the emulator has neither S3 nor ECR).

use std::io::Cursor;
use std::sync::Arc;

use base64::Engine;
use sha2::{Digest, Sha256};

use super::errors;
use super::state::CodeBundle;
use crate::service::AwsError;

/// AWS's limit for a zip uploaded inline.
const MAX_ZIPPED: usize = 52_428_800;

/// Where the package comes from, as the request members say.
pub struct CodeSource<'a> {
    pub zip_file: Option<&'a str>,
    pub s3_bucket: Option<&'a str>,
    pub image_uri: Option<&'a str>,
}

pub fn load(source: CodeSource, id: u64) -> Result<Arc<CodeBundle>, AwsError> {
    if let Some(b64) = source.zip_file {
        let zip = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|_| unzip_error())?;
        return bundle(zip, id);
    }
    if source.s3_bucket.is_some() {
        return Err(errors::invalid_parameter(
            "Error occurred while GetObject. S3 Error Code: NoSuchBucket. S3 Error Message: The specified bucket does not exist",
        ));
    }
    if let Some(uri) = source.image_uri {
        return Err(errors::invalid_parameter(format!(
            "Source image {uri} does not exist. Provide a valid source image."
        )));
    }
    Err(errors::invalid_parameter(
        "Please provide a source for function code.",
    ))
}

fn unzip_error() -> AwsError {
    errors::invalid_parameter(
        "Could not unzip uploaded file. Please check your file, then try to upload again.",
    )
}

/// Check that the bytes are a readable zip and describe them as AWS does.
pub fn bundle(zip: Vec<u8>, id: u64) -> Result<Arc<CodeBundle>, AwsError> {
    if zip.len() > MAX_ZIPPED {
        return Err(AwsError::new(
            "RequestEntityTooLargeException",
            format!("Zipped size must be smaller than {MAX_ZIPPED} bytes"),
            413,
        ));
    }
    zip::ZipArchive::new(Cursor::new(&zip)).map_err(|_| unzip_error())?;
    let sha256 = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&zip));
    Ok(Arc::new(CodeBundle {
        id,
        size: zip.len() as u64,
        zip,
        sha256,
    }))
}

/// Unpack a bundle into `dir` (created if needed). Entries escaping `dir` are refused by the
/// zip crate's `enclosed_name`, so a hostile zip cannot write outside.
pub fn extract(code: &CodeBundle, dir: &std::path::Path) -> std::io::Result<()> {
    let mut archive = zip::ZipArchive::new(Cursor::new(&code.zip))
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
    std::fs::create_dir_all(dir)?;
    for i in 0..archive.len() {
        let mut entry = archive
            .by_index(i)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        let Some(rel) = entry.enclosed_name() else {
            continue;
        };
        let out = dir.join(rel);
        if entry.is_dir() {
            std::fs::create_dir_all(&out)?;
            continue;
        }
        if let Some(parent) = out.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut file = std::fs::File::create(&out)?;
        std::io::copy(&mut entry, &mut file)?;
        #[cfg(unix)]
        if let Some(mode) = entry.unix_mode() {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&out, std::fs::Permissions::from_mode(mode & 0o777))?;
        }
    }
    Ok(())
}
