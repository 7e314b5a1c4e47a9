//! Model documentation (a small HTML subset) as Markdown and as plain text.

/// Converts the model's HTML documentation to Markdown: paragraphs, lists, code, links, emphasis.
pub fn markdown(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    let mut links: Vec<Option<String>> = Vec::new();
    while let Some(start) = rest.find('<') {
        out.push_str(&text(&rest[..start]));
        let Some(end) = rest[start..].find('>') else {
            out.push_str(&text(&rest[start..]));
            rest = "";
            break;
        };
        let tag = &rest[start + 1..start + end];
        rest = &rest[start + end + 1..];
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        match (name.as_str(), closing) {
            // `<li><p>`: the paragraph belongs to the bullet.
            ("p" | "div" | "note" | "important" | "ul" | "ol" | "dl", _)
                if !out.ends_with("\n- ") =>
            {
                out.push_str("\n\n")
            }
            ("li", false) => out.push_str("\n- "),
            ("dt", false) => out.push_str("\n\n**"),
            ("dt", true) => out.push_str("**\n"),
            ("dd", false) => out.push('\n'),
            ("br", _) => out.push('\n'),
            ("code", _) => out.push('`'),
            ("b" | "strong", _) => out.push_str("**"),
            ("i" | "em", _) => out.push('*'),
            ("a", false) => {
                let href = tag
                    .split("href=\"")
                    .nth(1)
                    .and_then(|h| h.split('"').next())
                    .map(str::to_string);
                if href.is_some() {
                    out.push('[');
                }
                links.push(href);
            }
            ("a", true) => {
                if let Some(Some(href)) = links.pop() {
                    out.push_str(&format!("]({href})"));
                }
            }
            _ => {}
        }
    }
    out.push_str(&text(rest));
    tidy(&out)
}

/// Plain text: Markdown without its markup characters for links and emphasis.
pub fn plain(html: &str) -> String {
    let md = markdown(html);
    let mut out = String::new();
    let mut chars = md.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' | '`' | '[' => {}
            ']' if chars.peek() == Some(&'(') => {
                // drop the link target
                for c in chars.by_ref() {
                    if c == ')' {
                        break;
                    }
                }
            }
            _ => out.push(c),
        }
    }
    tidy(&out)
}

/// The first paragraph, for one-line listings.
pub fn summary(html: &str) -> String {
    let md = markdown(html);
    md.split("\n\n")
        .next()
        .unwrap_or_default()
        .trim()
        .to_string()
}

fn text(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

/// Collapses runs of spaces and blank lines left by the markup.
fn tidy(s: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    for line in s.lines() {
        let collapsed = line.split_whitespace().collect::<Vec<_>>().join(" ");
        if collapsed.is_empty() && lines.last().is_none_or(|l| l.is_empty()) {
            continue;
        }
        lines.push(collapsed);
    }
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_the_model_subset() {
        let html = "<p>Creates a <code>User</code>. See <a href=\"https://x\">docs</a>.</p> <ul><li><p>one &amp; two</p></li></ul>";
        assert_eq!(
            markdown(html),
            "Creates a `User`. See [docs](https://x).\n\n- one & two"
        );
        assert_eq!(plain(html), "Creates a User. See docs.\n\n- one & two");
        assert_eq!(summary(html), "Creates a `User`. See [docs](https://x).");
    }
}
