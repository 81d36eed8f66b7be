//! Url templates: `"https://app.example.com/invoices/{id}"`, whose `{field}`
//! placeholders are filled from the fields' `Display`.

/// A piece of a template.
#[derive(Debug, PartialEq, Eq)]
pub enum Segment {
    Text(String),
    /// A placeholder naming a field.
    Field(String),
}

/// Splits a template into text and placeholders. `{{` and `}}` stand for
/// literal braces, as in `format!`.
pub fn parse(template: &str) -> Result<Vec<Segment>, String> {
    let mut segments = Vec::new();
    let mut text = String::new();
    let mut chars = template.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                text.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                text.push('}');
            }
            '{' => {
                let mut name = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(ch) => name.push(ch),
                        None => {
                            return Err(format!(
                                "`{{{name}` is not closed: write `{{{name}}}`, or `{{{{` for a literal brace"
                            ));
                        }
                    }
                }
                let name = name.trim().to_owned();
                if !is_identifier(&name) {
                    return Err(format!(
                        "`{{{name}}}` is not a placeholder: write the name of a field in braces, like `{{id}}`, \
                         or `{{{{`/`}}}}` for literal braces"
                    ));
                }
                if !text.is_empty() {
                    segments.push(Segment::Text(std::mem::take(&mut text)));
                }
                segments.push(Segment::Field(name));
            }
            '}' => return Err("a lone `}`: write `}}` for a literal brace".to_owned()),
            ch => text.push(ch),
        }
    }
    if !text.is_empty() {
        segments.push(Segment::Text(text));
    }
    Ok(segments)
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|first| first == '_' || first.is_alphabetic())
        && chars.all(|ch| ch == '_' || ch.is_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_text_and_placeholders() {
        assert_eq!(
            parse("https://app.example.com/t/{tenant}/invoices/{id}").unwrap(),
            vec![
                Segment::Text("https://app.example.com/t/".into()),
                Segment::Field("tenant".into()),
                Segment::Text("/invoices/".into()),
                Segment::Field("id".into()),
            ]
        );
    }

    #[test]
    fn doubled_braces_are_literal() {
        assert_eq!(parse("a{{b}}").unwrap(), vec![Segment::Text("a{b}".into())]);
    }

    #[test]
    fn rejects_broken_placeholders() {
        assert!(parse("a/{id").is_err());
        assert!(parse("a/{}").is_err());
        assert!(parse("a/{1x}").is_err());
        assert!(parse("a/}").is_err());
    }
}
