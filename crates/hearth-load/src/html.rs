//! Just enough HTML reading for the load client, by plain string scanning (no regex, no DOM):
//! hidden form values and same-site links.

/// Decodes the entities Hearth's templates write in attribute values.
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let mut matched = false;
        for (entity, ch) in [
            ("&amp;", '&'),
            ("&quot;", '"'),
            ("&#39;", '\''),
            ("&#x27;", '\''),
            ("&lt;", '<'),
            ("&gt;", '>'),
        ] {
            if rest.starts_with(entity) {
                out.push(ch);
                rest = &rest[entity.len()..];
                matched = true;
                break;
            }
        }
        if !matched {
            out.push('&');
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
    out
}

/// The value of the form field `name` (for example the hidden `csrf` field).
pub fn field_value(body: &str, name: &str) -> Option<String> {
    let key = format!("name=\"{name}\"");
    let mut from = 0;
    while let Some(i) = body[from..].find(&key) {
        let at = from + i;
        // The tag around the attribute.
        let start = body[..at].rfind('<').unwrap_or(0);
        let end = body[at..].find('>').map_or(body.len(), |e| at + e);
        let tag = &body[start..end];
        if let Some(v) = tag.find("value=\"") {
            let v = &tag[v + 7..];
            if let Some(q) = v.find('"') {
                return Some(decode_entities(&v[..q]));
            }
        }
        from = at + key.len();
    }
    None
}

/// Same-site links in `body` (`href="/..."`, or absolute ones starting with `base`), decoded,
/// without `#fragments`, each once, in page order.
pub fn links(body: &str, base: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
    let mut rest = body;
    while let Some(i) = rest.find("href=\"") {
        rest = &rest[i + 6..];
        let Some(q) = rest.find('"') else { break };
        let raw = &rest[..q];
        rest = &rest[q + 1..];
        let raw = raw.strip_prefix(base).unwrap_or(raw);
        if !raw.starts_with('/') || raw.starts_with("//") {
            continue;
        }
        let raw = raw.split('#').next().unwrap_or("");
        if raw.is_empty() || !seen.insert(raw) {
            continue;
        }
        out.push(decode_entities(raw));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_csrf_and_links() {
        let page = r##"<link href="/assets/a.css"><form><input type="hidden" name="csrf" value="ab&amp;c">
            <a href="/services?page=2&amp;sort=name">x</a><a href="#main">skip</a>
            <a href="/services/12#top">y</a><a href="https://example.org/">z</a>
            <a href="http://h:1/home">h</a><a href="/services?page=2&amp;sort=name">again</a>"##;
        assert_eq!(field_value(page, "csrf").as_deref(), Some("ab&c"));
        assert_eq!(field_value(page, "nope"), None);
        assert_eq!(
            links(page, "http://h:1"),
            vec![
                "/assets/a.css",
                "/services?page=2&sort=name",
                "/services/12",
                "/home"
            ]
        );
    }

    #[test]
    fn decodes_entities() {
        assert_eq!(
            decode_entities("a&amp;b&lt;&gt;&quot;&#39;&x"),
            "a&b<>\"'&x"
        );
    }
}
