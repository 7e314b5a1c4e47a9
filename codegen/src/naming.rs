//! smithy-rs naming: how a model name becomes a Rust identifier in the SDK crates.
//! Rules measured in /work/shared/docs/sdk-dispatch.md; every result is checked against the SDK
//! sources afterwards, so a wrong guess is reported as a skipped member, never miscompiled.

/// Words cased irregularly that smithy-rs keeps whole (`IPv4`, `MiB`).
const COMPLETE_WORDS: &[&str] = &["ipv4", "ipv6", "sigv4", "mib", "gib", "kib", "ttl"];

pub fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let all_lower = name.to_lowercase() == name;
    let mut out = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let peek = chars.get(i + 1).copied();
        let double_peek = chars.get(i + 2).copied();
        let rest: String = chars[i..].iter().collect();
        let in_progress = format!("{current}{rest}").to_lowercase();
        let complete_word_in_progress = COMPLETE_WORDS.iter().any(|w| in_progress.starts_with(w))
            && !COMPLETE_WORDS.contains(&current.to_lowercase().as_str());
        let last = current.chars().last();
        let boundary = if !c.is_alphanumeric() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current).to_lowercase());
            }
            continue;
        } else if current.is_empty() {
            false
        } else if !complete_word_in_progress
            && ((c.is_uppercase() && last.is_some_and(|l| l.is_ascii_digit() || l.is_lowercase()))
                || (all_lower && last.is_some_and(|l| l.is_ascii_digit()) && c.is_lowercase()))
        {
            // `Abc|Def`, `Ab2|Def`, and in all-lowercase names `s3|key`
            true
        } else {
            end_of_acronym(last, c, peek, double_peek)
        };
        if boundary {
            out.push(std::mem::take(&mut current).to_lowercase());
        }
        current.push(c);
    }
    if !current.is_empty() {
        out.push(current.to_lowercase());
    }
    out
}

fn end_of_acronym(
    last: Option<char>,
    c: char,
    peek: Option<char>,
    double_peek: Option<char>,
) -> bool {
    if !last.is_some_and(|l| l.is_uppercase()) || !c.is_uppercase() {
        return false;
    }
    if !peek.is_some_and(|p| p.is_lowercase()) {
        return false;
    }
    // `ARNs`, `ACLs`: a pluralised acronym is one word.
    peek != Some('s') || double_peek.is_some_and(|d| d.is_lowercase())
}

pub fn snake(name: &str) -> String {
    words(name).join("_")
}

pub fn pascal(name: &str) -> String {
    words(name)
        .iter()
        .map(|w| {
            let mut cs = w.chars();
            match cs.next() {
                Some(f) => f.to_uppercase().chain(cs).collect::<String>(),
                None => String::new(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measured_cases() {
        for (input, want) in [
            ("SSEKMSKeyArn", "ssekms_key_arn"),
            ("MFADevice", "mfa_device"),
            ("OpenIDConnectProviderArn", "open_id_connect_provider_arn"),
            ("ETag", "e_tag"),
            ("NotificationARNs", "notification_arns"),
            ("QRCodePNG", "qr_code_png"),
            ("AuthenticationCode1", "authentication_code1"),
            ("DBProxy", "db_proxy"),
            ("IAMUser", "iam_user"),
            ("Ipv6AddressCount", "ipv6_address_count"),
            ("MemorySizeMiB", "memory_size_mib"),
        ] {
            assert_eq!(snake(input), want, "{input}");
        }
        assert_eq!(pascal("CreateSAMLProviderInput"), "CreateSamlProviderInput");
        assert_eq!(pascal("policyDocumentType"), "PolicyDocumentType");
    }
}
