//! Python's `shlex.split` (POSIX mode), because Gunicorn splits `GUNICORN_CMD_ARGS` with it and a
//! `--gunicorn-cmd` string or Procfile line must split the same way.
//!
//! A string Python cannot split ("No closing quotation") makes Gunicorn exit before it starts, so
//! the error text is Python's own.

/// Splits like `shlex.split(s)`: whitespace separates words, `'…'` is literal, `"…"` honours
/// backslash only before `"` and `\`, a bare backslash escapes the next character, `''` is an
/// empty word. `#` is not a comment (`shlex.split` turns comments off).
pub fn split(s: &str) -> Result<Vec<String>, String> {
    #[derive(Clone, Copy, PartialEq)]
    enum St {
        Space,
        Word,
        Single,
        Double,
    }
    let mut out = Vec::new();
    let mut tok = String::new();
    let mut quoted = false;
    let mut st = St::Space;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match st {
            St::Space | St::Word => match c {
                ' ' | '\t' | '\r' | '\n' => {
                    if st == St::Word || quoted {
                        out.push(std::mem::take(&mut tok));
                        quoted = false;
                    }
                    st = St::Space;
                }
                '\\' => match chars.next() {
                    Some(n) => {
                        tok.push(n);
                        st = St::Word;
                    }
                    None => return Err("No escaped character".to_string()),
                },
                '\'' => {
                    quoted = true;
                    st = St::Single;
                }
                '"' => {
                    quoted = true;
                    st = St::Double;
                }
                _ => {
                    tok.push(c);
                    st = St::Word;
                }
            },
            St::Single => {
                if c == '\'' {
                    st = St::Word;
                } else {
                    tok.push(c);
                }
            }
            St::Double => match c {
                '"' => st = St::Word,
                '\\' => match chars.next() {
                    Some(n @ ('"' | '\\')) => tok.push(n),
                    Some(n) => {
                        tok.push('\\');
                        tok.push(n);
                    }
                    None => return Err("No escaped character".to_string()),
                },
                _ => tok.push(c),
            },
        }
    }
    match st {
        St::Single | St::Double => Err("No closing quotation".to_string()),
        St::Word => {
            out.push(tok);
            Ok(out)
        }
        St::Space => {
            if quoted {
                out.push(tok);
            }
            Ok(out)
        }
    }
}

/// Quotes a word for display the way `shlex.quote` does, so sources read like a command line.
pub fn quote(s: &str) -> String {
    let safe = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "@%+=:,./-_".contains(c));
    if safe {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\"'\"'"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sp(s: &str) -> Vec<String> {
        split(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    #[test]
    fn splits_like_python() {
        assert_eq!(sp("  -w 3  --timeout=60 "), ["-w", "3", "--timeout=60"]);
        assert_eq!(sp(r#"a "b c" 'd e' f\ g"#), ["a", "b c", "d e", "f g"]);
        assert_eq!(sp(r#""a\"b\\c\d""#), [r#"a"b\c\d"#]);
        assert_eq!(sp("a '' b"), ["a", "", "b"]);
        assert_eq!(sp("''"), [""]);
        assert_eq!(sp("x#y # z"), ["x#y", "#", "z"]);
        assert_eq!(sp("a'b'\"c\""), ["abc"]);
        assert!(sp("").is_empty());
    }

    #[test]
    fn reports_python_errors() {
        assert_eq!(split("'abc").unwrap_err(), "No closing quotation");
        assert_eq!(split("abc\\").unwrap_err(), "No escaped character");
    }

    #[test]
    fn quote_round_trips() {
        for w in ["plain", "with space", "it's", ""] {
            assert_eq!(sp(&quote(w)), [w]);
        }
    }
}
