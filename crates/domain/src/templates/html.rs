//! HTML escaping of text placed into markup.

/// `s` with `& < > " '` replaced by their entities, safe in element content and in quoted
/// attribute values.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_escaped(&mut out, s);
    out
}

/// Appends `s`, HTML-escaped, to `out`.
pub(super) fn push_escaped(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::html_escape;

    #[test]
    fn escapes_the_five_significant_characters_and_nothing_else() {
        assert_eq!(
            html_escape(r#"<a href="x">Tom & Jerry's</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;"
        );
        assert_eq!(html_escape("Peña — ¿qué tal? 😀"), "Peña — ¿qué tal? 😀");
        assert_eq!(html_escape("&amp;"), "&amp;amp;");
    }
}
