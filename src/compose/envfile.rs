//! `.env` and `env_file:` files, parsed the way Compose parses them (compose-go `dotenv`).
//!
//! `KEY=VAL`, `export KEY=VAL`, `'single'` (literal, no expansion), `"double"` (escapes and
//! `${VAR}` expansion, may span lines), unquoted values trimmed with a ` #comment` cut off, and a
//! bare `KEY` taking its value from the environment. Expansion looks at the process environment
//! first and then at the keys defined earlier in the same file, as compose-go does. Bytes that are
//! not UTF-8 are an error naming the line, since Compose would reject the file too.

use super::interpolate::{SubstError, substitute};

/// One `KEY=value` entry and the line it starts on.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: String,
    pub value: String,
    pub line: usize,
}

/// A problem in an env file, with the 1-based line.
#[derive(Clone, Debug, PartialEq)]
pub struct EnvError {
    pub line: usize,
    pub message: String,
}

/// Parses an env file's bytes. `lookup` is the process environment (for bare `KEY` lines and for
/// expansion).
pub fn parse(
    bytes: &[u8],
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<Entry>, EnvError> {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let line = bytes[..e.valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count()
                + 1;
            return Err(EnvError {
                line,
                message: "not UTF-8 text".to_string(),
            });
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut entries: Vec<Entry> = Vec::new();
    let lines: Vec<&str> = text.split('\n').collect();
    let mut i = 0;
    while let Some(raw) = lines.get(i) {
        let start = i;
        let raw = raw.trim_end_matches('\r');
        i += 1;
        let line = raw.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").map_or(line, str::trim_start);
        let err = |message: String| EnvError {
            line: start + 1,
            message,
        };
        let Some(eq) = line.find('=') else {
            // A bare name inherits the value from the environment, or is skipped.
            let key = line.split('#').next().unwrap_or("").trim();
            check_key(key).map_err(err)?;
            if let Some(v) = lookup(key) {
                push(&mut entries, key, v, start + 1);
            }
            continue;
        };
        let key = line[..eq].trim();
        check_key(key).map_err(err)?;
        let rest = line[eq + 1..].trim_start();
        let value = if let Some(body) = rest.strip_prefix('\'') {
            let (v, _) = quoted(body, &lines, &mut i, '\'')
                .ok_or_else(|| err(format!("unterminated single-quoted value for {key}")))?;
            // Literal (no escapes, no expansion), except that `\'` is a quote.
            v.replace("\\'", "'")
        } else if let Some(body) = rest.strip_prefix('"') {
            let (v, _) = quoted(body, &lines, &mut i, '"')
                .ok_or_else(|| err(format!("unterminated double-quoted value for {key}")))?;
            let v = unescape(&v);
            expand(&v, &entries, lookup).map_err(|e| err(e.to_string()))?
        } else {
            let v = cut_comment(rest).trim_end();
            expand(v, &entries, lookup).map_err(|e| err(e.to_string()))?
        };
        push(&mut entries, key, value, start + 1);
    }
    Ok(entries)
}

fn push(entries: &mut Vec<Entry>, key: &str, value: String, line: usize) {
    entries.retain(|e| e.key != key);
    entries.push(Entry {
        key: key.to_string(),
        value,
        line,
    });
}

fn check_key(key: &str) -> Result<(), String> {
    if key.is_empty() {
        return Err("a line with no variable name".to_string());
    }
    if key
        .chars()
        .any(|c| c.is_whitespace() || c == '\'' || c == '"')
    {
        return Err(format!("invalid variable name {key:?}"));
    }
    Ok(())
}

/// Reads a quoted value that may continue on the following lines. Returns the raw body (without
/// the quotes) and leaves `i` after the last line used.
fn quoted(first: &str, lines: &[&str], i: &mut usize, q: char) -> Option<(String, usize)> {
    let mut body = String::new();
    let mut cur = first.to_string();
    let mut used = 0;
    loop {
        if let Some(end) = closing(&cur, q) {
            body.push_str(&cur[..end]);
            return Some((body, used));
        }
        body.push_str(&cur);
        body.push('\n');
        let next = lines.get(*i)?;
        *i += 1;
        used += 1;
        cur = next.trim_end_matches('\r').to_string();
    }
}

/// The index of the closing quote; a backslash escapes the next character (`'Let\'s go!'`).
fn closing(s: &str, q: char) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        if c == '\\' {
            escaped = true;
            continue;
        }
        if c == q {
            return Some(i);
        }
    }
    None
}

/// Escapes inside double quotes, as Docker documents them for env files: `\n`, `\r`, `\t`,
/// `\\` and `\"`; any other backslash is kept as written.
/// <https://docs.docker.com/compose/environment-variables/env-file/>
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('\\') => out.push('\\'),
            Some('"') => out.push('"'),
            Some(o) => {
                out.push('\\');
                out.push(o);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// An unquoted value ends at ` #` (a `#` with whitespace before it): `a#b` keeps its `#`.
fn cut_comment(v: &str) -> &str {
    let mut prev_space = false;
    for (i, c) in v.char_indices() {
        if c == '#' && prev_space {
            return &v[..i];
        }
        prev_space = c == ' ' || c == '\t';
    }
    v
}

fn expand(
    v: &str,
    entries: &[Entry],
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<String, SubstError> {
    let find = |name: &str| {
        lookup(name).or_else(|| {
            entries
                .iter()
                .find(|e| e.key == name)
                .map(|e| e.value.clone())
        })
    };
    // compose-go's dotenv leaves a lone `$` alone rather than failing the whole file.
    match substitute(v, &find) {
        Ok(s) => Ok(s.text),
        Err(SubstError::Invalid { .. }) => Ok(v.to_string()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn parse_ok(text: &str) -> Vec<(String, String)> {
        parse(text.as_bytes(), &no_env)
            .unwrap()
            .into_iter()
            .map(|e| (e.key, e.value))
            .collect()
    }

    fn kv(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    }

    #[test]
    fn the_forms_compose_accepts() {
        let got = parse_ok(
            "# comment\n\nA=1\nexport B=two\nC='lit ${A} \\n'\nD=\"x\\ty ${A} \\\"q\\\" \\\\n\"\nE=val # comment\nF=val#hash\nG=\nH=  spaced  \nI=${A}-${NOPE:-d}\nJ=\"multi\nline\"\n",
        );
        assert_eq!(
            got,
            kv(&[
                ("A", "1"),
                ("B", "two"),
                ("C", "lit ${A} \\n"),
                ("D", "x\ty 1 \"q\" \\n"),
                ("E", "val"),
                ("F", "val#hash"),
                ("G", ""),
                ("H", "spaced"),
                ("I", "1-d"),
                ("J", "multi\nline"),
            ])
        );
    }

    #[test]
    fn docker_documented_examples() {
        // https://docs.docker.com/compose/environment-variables/env-file/
        let got = parse_ok(concat!(
            "A=VAL # comment\n",
            "B=VAL# not a comment\n",
            "C=\"VAL # not a comment\"\n",
            "D=\"VAL\" # comment\n",
            "E='$OTHER'\n",
            "F='${OTHER}'\n",
            "G='Let\\'s go!'\n",
            "H=\"{\\\"hello\\\": \\\"json\\\"}\"\n",
            "I=\"some\\tvalue\"\n",
            "J='some\\tvalue'\n",
            "K=some\\tvalue\n",
        ));
        assert_eq!(
            got,
            kv(&[
                ("A", "VAL"),
                ("B", "VAL# not a comment"),
                ("C", "VAL # not a comment"),
                ("D", "VAL"),
                ("E", "$OTHER"),
                ("F", "${OTHER}"),
                ("G", "Let's go!"),
                ("H", "{\"hello\": \"json\"}"),
                ("I", "some\tvalue"),
                ("J", "some\\tvalue"),
                ("K", "some\\tvalue"),
            ])
        );
    }

    #[test]
    fn bare_key_inherits_from_environment() {
        let env = |k: &str| (k == "HOME").then(|| "/root".to_string());
        let got = parse(b"HOME\nNOPE\n", &env).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].value, "/root");
    }

    #[test]
    fn process_environment_wins_in_expansion() {
        let env = |k: &str| (k == "A").then(|| "env".to_string());
        let got = parse(b"A=file\nB=${A}\n", &env).unwrap();
        assert_eq!(got[1].value, "env");
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse(b"A=1\nB=\xff\xfe\n", &no_env).unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("UTF-8"));
        let e = parse(b"A=1\nB=\"open\n", &no_env).unwrap_err();
        assert_eq!(e.line, 2);
        let e = parse(b"=x\n", &no_env).unwrap_err();
        assert_eq!(e.line, 1);
        let e = parse(b"A=${B:?need B}\n", &no_env).unwrap_err();
        assert!(e.message.contains("need B"));
    }
}
