//! `${VAR}` substitution exactly as Compose does it (compose-go `template/template.go`).
//!
//! Compose substitutes after parsing the YAML, in every string value (never in keys), from the
//! process environment with the project's `.env` underneath. An unset variable without a default
//! becomes "" and Compose warns "The X variable is not set"; we record those so a user sees which
//! limit silently vanished. `${VAR:?msg}` stops the load with the message. A `$` that starts no
//! variable (`$1`, `$ `) is kept as written, as the current Compose reference says; a malformed
//! `${…}` is an error ("You may need to escape any $ with another $").

/// Why a string could not be substituted.
#[derive(Clone, Debug, PartialEq)]
pub enum SubstError {
    /// `${VAR:?message}` or `${VAR?message}` with VAR unset (or empty, for `:?`).
    Required { var: String, message: String },
    /// A malformed or unclosed `${…}`.
    Invalid { template: String },
}

impl std::fmt::Display for SubstError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SubstError::Required { var, message } => {
                write!(f, "required variable {var} is missing a value: {message}")
            }
            SubstError::Invalid { template } => write!(
                f,
                "invalid interpolation format \"{template}\"; you may need to escape any $ with another $"
            ),
        }
    }
}

/// The result of substituting one string: the text and the variables that were unset (in order).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Substituted {
    pub text: String,
    pub unset: Vec<String>,
}

/// Substitutes every `$` form in `s`, looking variables up with `lookup`.
pub fn substitute(
    s: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Substituted, SubstError> {
    let mut out = Substituted::default();
    let text = subst_into(s, s, lookup, &mut out.unset)?;
    out.text = text;
    Ok(out)
}

fn is_name_start(c: char) -> bool {
    c == '_' || c.is_ascii_alphabetic()
}

fn is_name_char(c: char) -> bool {
    c == '_' || c.is_ascii_alphanumeric()
}

fn subst_into(
    s: &str,
    whole: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    unset: &mut Vec<String>,
) -> Result<String, SubstError> {
    let invalid = || SubstError::Invalid {
        template: whole.to_string(),
    };
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        let mut chars = after.chars();
        match chars.next() {
            Some('$') => {
                out.push('$');
                rest = &after[1..];
            }
            Some('{') => {
                let body_start = &after[1..];
                let close = matching_brace(body_start).ok_or_else(invalid)?;
                let body = &body_start[..close];
                out.push_str(&braced(body, whole, lookup, unset)?);
                rest = &body_start[close + 1..];
            }
            Some(c) if is_name_start(c) => {
                let end = after
                    .char_indices()
                    .find(|(_, c)| !is_name_char(*c))
                    .map_or(after.len(), |(i, _)| i);
                let name = &after[..end];
                match lookup(name) {
                    Some(v) => out.push_str(&v),
                    None => unset.push(name.to_string()),
                }
                rest = &after[end..];
            }
            // "Compose processes any string following a $ sign as long as it makes it a valid
            // variable definition […] In other circumstances, it will be preserved" (Compose
            // file reference, Interpolation). Compose v1 rejected these instead.
            _ => {
                out.push('$');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Index of the `}` closing a `${`, counting nested `${…}` in defaults.
fn matching_brace(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'$' if bytes.get(i + 1) == Some(&b'{') => {
                depth += 1;
                i += 2;
                continue;
            }
            b'}' => {
                if depth == 0 {
                    return Some(i);
                }
                depth -= 1;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

fn braced(
    body: &str,
    whole: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    unset: &mut Vec<String>,
) -> Result<String, SubstError> {
    let invalid = || SubstError::Invalid {
        template: whole.to_string(),
    };
    let name_end = body
        .char_indices()
        .find(|(_, c)| !is_name_char(*c))
        .map_or(body.len(), |(i, _)| i);
    let name = &body[..name_end];
    if name.is_empty() || !name.starts_with(is_name_start) {
        return Err(invalid());
    }
    let op = &body[name_end..];
    let value = lookup(name);
    if op.is_empty() {
        return Ok(value.unwrap_or_else(|| {
            unset.push(name.to_string());
            String::new()
        }));
    }
    // The operator is `:-`, `-`, `:?`, `?`, `:+` or `+`; the colon forms also treat "" as unset.
    let (colon, op) = match op.strip_prefix(':') {
        Some(o) => (true, o),
        None => (false, op),
    };
    let mut it = op.chars();
    let kind = it.next().ok_or_else(invalid)?;
    let arg = it.as_str();
    let is_set = match &value {
        Some(v) => !(colon && v.is_empty()),
        None => false,
    };
    match kind {
        '-' => {
            if is_set {
                Ok(value.unwrap_or_default())
            } else {
                subst_into(arg, whole, lookup, unset)
            }
        }
        '+' => {
            if is_set {
                subst_into(arg, whole, lookup, unset)
            } else {
                Ok(String::new())
            }
        }
        '?' => {
            if is_set {
                Ok(value.unwrap_or_default())
            } else {
                let message = subst_into(arg, whole, lookup, unset)?;
                Err(SubstError::Required {
                    var: name.to_string(),
                    message,
                })
            }
        }
        _ => Err(invalid()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "SET" => Some("value".into()),
            "EMPTY" => Some(String::new()),
            "B" => Some("bee".into()),
            _ => None,
        }
    }

    fn sub(s: &str) -> Result<Substituted, SubstError> {
        substitute(s, &env)
    }

    fn text(s: &str) -> String {
        sub(s).unwrap().text
    }

    #[test]
    fn all_the_forms() {
        assert_eq!(text("$SET"), "value");
        assert_eq!(text("${SET}"), "value");
        assert_eq!(text("a${SET}b$SET.c"), "avaluebvalue.c");
        assert_eq!(text("${UNSET:-def}"), "def");
        assert_eq!(text("${EMPTY:-def}"), "def");
        assert_eq!(text("${EMPTY-def}"), "");
        assert_eq!(text("${UNSET-def}"), "def");
        assert_eq!(text("${SET:+alt}"), "alt");
        assert_eq!(text("${EMPTY:+alt}"), "");
        assert_eq!(text("${EMPTY+alt}"), "alt");
        assert_eq!(text("${UNSET+alt}"), "");
        assert_eq!(text("$$SET"), "$SET");
        assert_eq!(text("${UNSET:-${B}}"), "bee");
        assert_eq!(text("${UNSET:-${NOPE:-x}y}"), "xy");
        assert_eq!(text("${SET:?boom}"), "value");
        assert_eq!(text("${UNSET:-a-b:c}"), "a-b:c");
    }

    #[test]
    fn unset_variables_are_recorded() {
        let r = sub("${A}/$B/${C:-x}/$D").unwrap();
        assert_eq!(r.text, "/bee/x/");
        assert_eq!(r.unset, vec!["A".to_string(), "D".to_string()]);
    }

    #[test]
    fn required_and_invalid() {
        assert_eq!(
            sub("${UNSET:?set it please}"),
            Err(SubstError::Required {
                var: "UNSET".into(),
                message: "set it please".into()
            })
        );
        assert!(matches!(
            sub("${EMPTY:?x}"),
            Err(SubstError::Required { .. })
        ));
        assert_eq!(text("${EMPTY?x}"), "");
        assert_eq!(text("awk '{print $1}' $ 5$"), "awk '{print $1}' $ 5$");
        for bad in ["${", "${}", "${A", "${1A}", "${A:x}", "${A B}", "x ${SET"] {
            assert!(matches!(sub(bad), Err(SubstError::Invalid { .. })), "{bad}");
        }
    }

    #[test]
    fn defaults_are_lazy() {
        assert_eq!(text("${SET:-${NOPE:?never}}"), "value");
    }
}
