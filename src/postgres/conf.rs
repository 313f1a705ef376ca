//! `postgresql.conf` as PostgreSQL reads it: the lexer of `guc-file.l`, its line parser, and the
//! `include` / `include_if_exists` / `include_dir` directives.
//!
//! A hand-written reading that is "close enough" would disagree with the server exactly where
//! users get bitten: an unquoted `1.5MB` (a syntax error: the REAL token takes no unit), `'it''s'`
//! quoting, a duplicate further down an included file, `include_dir` ordering. So the lexer follows
//! the flex rules token for token (longest match, ties to the earlier rule), and the loader follows
//! `ParseConfigFile`/`ParseConfigDirectory` (paths relative to the including file, `.conf` files
//! sorted by name, nesting deeper than 10 is an error). [`parse`] is pure and never panics;
//! [`load`] does the file access, through the [`Host`] root.

use crate::probe::Host;
use crate::probe::host::{describe, read_text};
use std::path::{Path, PathBuf};

/// `CONF_FILE_MAX_DEPTH` in guc.h.
pub const MAX_DEPTH: usize = 10;

/// One line of a configuration file, as the parser saw it.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// `name = value` (or `name value`); `name` lower-cased, `value` with quotes and escapes
    /// removed.
    Setting {
        name: String,
        value: String,
        line: u32,
    },
    /// A line PostgreSQL rejects. `name` is the first token when it was a valid name, so the
    /// caller knows which parameter the broken line meant to set.
    SyntaxError {
        name: Option<String>,
        line: u32,
        message: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tok {
    Eol,
    Id,
    QualifiedId,
    Str,
    Unquoted,
    Integer,
    Real,
    Equals,
    Error,
    Eof,
}

struct Lexer<'a> {
    s: &'a [u8],
    pos: usize,
    line: u32,
}

fn is_letter(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}
fn is_letter_or_digit(b: u8) -> bool {
    is_letter(b) || b.is_ascii_digit()
}

impl<'a> Lexer<'a> {
    fn at(&self, k: usize) -> u8 {
        self.s.get(k).copied().unwrap_or(0)
    }

    /// `{LETTER}{LETTER_OR_DIGIT}*` at `k`.
    fn id_len(&self, k: usize) -> usize {
        if k >= self.s.len() || !is_letter(self.s[k]) {
            return 0;
        }
        let mut j = k + 1;
        while j < self.s.len() && is_letter_or_digit(self.s[j]) {
            j += 1;
        }
        j - k
    }

    fn qualified_len(&self, k: usize) -> usize {
        let a = self.id_len(k);
        if a == 0 || self.at(k + a) != b'.' {
            return 0;
        }
        let b = self.id_len(k + a + 1);
        if b == 0 { 0 } else { a + 1 + b }
    }

    fn unquoted_len(&self, k: usize) -> usize {
        if k >= self.s.len() || !is_letter(self.s[k]) {
            return 0;
        }
        let mut j = k + 1;
        while j < self.s.len()
            && (is_letter_or_digit(self.s[j])
                || matches!(self.s[j], b'-' | b'.' | b'_' | b':' | b'/'))
        {
            j += 1;
        }
        j - k
    }

    /// `\'([^'\\\n]|\\.|\'\')*\'`, longest match: every quote met inside could close the string,
    /// so remember the last one that could and keep going while `''` or `\x` continue it.
    fn string_len(&self, k: usize) -> usize {
        if self.at(k) != b'\'' {
            return 0;
        }
        let mut j = k + 1;
        let mut best = 0;
        while j < self.s.len() {
            match self.s[j] {
                b'\'' => {
                    best = j + 1 - k;
                    if self.at(j + 1) == b'\'' {
                        j += 2;
                    } else {
                        break;
                    }
                }
                b'\\' => {
                    if j + 1 < self.s.len() && self.s[j + 1] != b'\n' {
                        j += 2;
                    } else {
                        break;
                    }
                }
                b'\n' => break,
                _ => j += 1,
            }
        }
        best
    }

    /// `{SIGN}?({DIGIT}+|0x{HEXDIGIT}+){UNIT_LETTER}*`
    fn integer_len(&self, k: usize) -> usize {
        let mut j = k;
        if matches!(self.at(j), b'+' | b'-') {
            j += 1;
        }
        let letters = |mut e: usize| {
            while e < self.s.len() && self.s[e].is_ascii_alphabetic() {
                e += 1;
            }
            e
        };
        let mut best = 0;
        let mut d = j;
        while d < self.s.len() && self.s[d].is_ascii_digit() {
            d += 1;
        }
        if d > j {
            best = letters(d) - k;
        }
        if self.at(j) == b'0' && self.at(j + 1) == b'x' {
            let mut h = j + 2;
            while h < self.s.len() && self.s[h].is_ascii_hexdigit() {
                h += 1;
            }
            if h > j + 2 {
                best = best.max(letters(h) - k);
            }
        }
        best
    }

    /// `{SIGN}?{DIGIT}*"."{DIGIT}*{EXPONENT}?`
    fn real_len(&self, k: usize) -> usize {
        let mut j = k;
        if matches!(self.at(j), b'+' | b'-') {
            j += 1;
        }
        while j < self.s.len() && self.s[j].is_ascii_digit() {
            j += 1;
        }
        if self.at(j) != b'.' {
            return 0;
        }
        j += 1;
        while j < self.s.len() && self.s[j].is_ascii_digit() {
            j += 1;
        }
        if matches!(self.at(j), b'e' | b'E') {
            let mut e = j + 1;
            if matches!(self.at(e), b'+' | b'-') {
                e += 1;
            }
            let digits = e;
            while e < self.s.len() && self.s[e].is_ascii_digit() {
                e += 1;
            }
            if e > digits {
                j = e;
            }
        }
        j - k
    }

    fn next(&mut self) -> (Tok, &'a [u8]) {
        loop {
            match self.s.get(self.pos) {
                None => return (Tok::Eof, &[]),
                Some(b'\n') => {
                    self.pos += 1;
                    self.line += 1;
                    return (Tok::Eol, &[]);
                }
                Some(b' ' | b'\t' | b'\r' | b'\x0c') => self.pos += 1,
                Some(b'#') => {
                    while self.pos < self.s.len() && self.s[self.pos] != b'\n' {
                        self.pos += 1;
                    }
                }
                Some(_) => break,
            }
        }
        let k = self.pos;
        // In flex rule order, so that `max(…)` keeps the first rule on a tie.
        let candidates = [
            (Tok::Id, self.id_len(k)),
            (Tok::QualifiedId, self.qualified_len(k)),
            (Tok::Str, self.string_len(k)),
            (Tok::Unquoted, self.unquoted_len(k)),
            (Tok::Integer, self.integer_len(k)),
            (Tok::Real, self.real_len(k)),
            (Tok::Equals, usize::from(self.at(k) == b'=')),
        ];
        let mut best = (Tok::Error, 1);
        for (tok, len) in candidates {
            if len > 0 && (len > best.1 || best.0 == Tok::Error) {
                best = (tok, len);
            }
        }
        // `.` in flex never matches a newline, handled above; a lone byte is GUC_ERROR.
        let end = (k + best.1).min(self.s.len());
        self.pos = end;
        (best.0, &self.s[k..end])
    }
}

/// `DeescapeQuotedString`: strip the quotes, turn `''` into `'` and C escapes into bytes.
fn deescape(tok: &[u8]) -> String {
    let inner = if tok.len() >= 2 {
        &tok[1..tok.len() - 1]
    } else {
        &[][..]
    };
    let mut out = Vec::with_capacity(inner.len());
    let mut i = 0;
    while i < inner.len() {
        let c = inner[i];
        if c == b'\\' && i + 1 < inner.len() {
            i += 1;
            match inner[i] {
                b'b' => out.push(b'\x08'),
                b'f' => out.push(b'\x0c'),
                b'n' => out.push(b'\n'),
                b'r' => out.push(b'\r'),
                b't' => out.push(b'\t'),
                b'0'..=b'7' => {
                    let mut v: u32 = 0;
                    let mut n = 0;
                    while n < 3 && i + n < inner.len() && (b'0'..=b'7').contains(&inner[i + n]) {
                        v = (v << 3) + u32::from(inner[i + n] - b'0');
                        n += 1;
                    }
                    i += n - 1;
                    // C stores it in a char: only the low byte survives.
                    out.push((v & 0xff) as u8);
                }
                other => out.push(other),
            }
        } else if c == b'\'' && inner.get(i + 1) == Some(&b'\'') {
            out.push(b'\'');
            i += 1;
        } else {
            out.push(c);
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parses one configuration file's text into its settings and syntax errors, in file order.
/// Like PostgreSQL it resynchronises at the next line after an error and gives up after 100.
pub fn parse(text: &str) -> Vec<Item> {
    let mut lx = Lexer {
        s: text.as_bytes(),
        pos: 0,
        line: 1,
    };
    let mut items = Vec::new();
    let mut errors = 0;
    loop {
        let (mut tok, mut txt) = lx.next();
        if tok == Tok::Eof {
            break;
        }
        if tok == Tok::Eol {
            continue;
        }
        let line = lx.line;
        let mut name = None;
        let ok = 'line: {
            if tok != Tok::Id && tok != Tok::QualifiedId {
                break 'line false;
            }
            name = Some(String::from_utf8_lossy(txt).to_ascii_lowercase());
            (tok, txt) = lx.next();
            if tok == Tok::Equals {
                (tok, txt) = lx.next();
            }
            if !matches!(
                tok,
                Tok::Id | Tok::Str | Tok::Integer | Tok::Real | Tok::Unquoted
            ) {
                break 'line false;
            }
            let value = if tok == Tok::Str {
                deescape(txt)
            } else {
                String::from_utf8_lossy(txt).into_owned()
            };
            (tok, txt) = lx.next();
            if tok != Tok::Eol && tok != Tok::Eof {
                break 'line false;
            }
            items.push(Item::Setting {
                name: name.clone().unwrap_or_default(),
                value,
                line,
            });
            true
        };
        if ok {
            if tok == Tok::Eof {
                break;
            }
            continue;
        }
        let message = if tok == Tok::Eol || tok == Tok::Eof {
            "syntax error near end of line".to_string()
        } else {
            format!(
                "syntax error near token \"{}\"",
                String::from_utf8_lossy(txt)
            )
        };
        items.push(Item::SyntaxError {
            name,
            line,
            message,
        });
        errors += 1;
        if errors >= 100 {
            break;
        }
        while tok != Tok::Eol && tok != Tok::Eof {
            (tok, _) = lx.next();
        }
        if tok == Tok::Eof {
            break;
        }
    }
    items
}

/// A setting with where it came from, after includes are followed.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// Lower-case parameter name.
    pub name: String,
    pub value: String,
    /// `path:line` as the user would look it up, or `command line -c name=value`.
    pub origin: String,
}

/// Something that makes PostgreSQL refuse the configuration. `at` is the number of entries read
/// before it: a later entry for the same parameter still decides its value.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    pub at: usize,
    /// The parameter the broken line meant to set; `None` when it could be any (a missing include).
    pub name: Option<String>,
    pub reason: String,
}

/// Every setting read from a configuration file and what it includes, in the order PostgreSQL
/// applies them.
#[derive(Clone, Debug, Default)]
pub struct Loaded {
    pub entries: Vec<Entry>,
    pub problems: Vec<Problem>,
    /// Files read, in order (for sources and `data_directory` lookups).
    pub files: Vec<PathBuf>,
}

/// Where a user-visible path lives under the host root.
pub fn resolve(host: &Host, path: &Path) -> PathBuf {
    if path.is_absolute() {
        host.path(&path.to_string_lossy())
    } else {
        host.cwd.join(path)
    }
}

/// Reads `path` (as the user named it) and everything it includes.
pub fn load(host: &Host, path: &Path) -> Loaded {
    let mut out = Loaded::default();
    load_file(host, path, true, None, 0, &mut out);
    out
}

/// Reads a file PostgreSQL would read after `postgresql.conf` (`postgresql.auto.conf`), when it
/// exists.
pub fn load_more(host: &Host, path: &Path, out: &mut Loaded) {
    load_file(host, path, false, None, 0, out);
}

fn problem(out: &mut Loaded, name: Option<String>, reason: String) {
    out.problems.push(Problem {
        at: out.entries.len(),
        name,
        reason,
    });
}

fn load_file(
    host: &Host,
    path: &Path,
    strict: bool,
    caller: Option<(&Path, u32)>,
    depth: usize,
    out: &mut Loaded,
) {
    let at = caller.map_or(String::new(), |(f, l)| format!("{}:{l}: ", f.display()));
    if depth > MAX_DEPTH || caller.is_some_and(|(f, _)| f == path) {
        problem(
            out,
            None,
            format!(
                "{at}could not open configuration file \"{}\": maximum nesting depth exceeded (an include loop?)",
                path.display()
            ),
        );
        return;
    }
    let text = match read_text(&resolve(host, path)) {
        Ok(t) => t,
        Err(e) if !strict && e == "no such file" => return,
        Err(e) => {
            problem(
                out,
                None,
                format!(
                    "{at}could not open configuration file \"{}\": {e}",
                    path.display()
                ),
            );
            return;
        }
    };
    out.files.push(path.to_path_buf());
    let dir = path.parent().unwrap_or(Path::new(""));
    for item in parse(&text) {
        match item {
            Item::SyntaxError {
                name,
                line,
                message,
            } => {
                let reason = format!("{}:{line}: {message}", path.display());
                problem(out, name, reason);
            }
            Item::Setting { name, value, line } => {
                let here = Some((path, line));
                let target = || dir.join(&value);
                match name.as_str() {
                    "include" | "include_if_exists" | "include_dir" if value.trim().is_empty() => {
                        problem(
                            out,
                            None,
                            format!("{}:{line}: empty file name in {name}", path.display()),
                        );
                    }
                    "include" => load_file(host, &target(), true, here, depth + 1, out),
                    "include_if_exists" => {
                        load_file(host, &target(), false, here, depth + 1, out);
                    }
                    "include_dir" => load_dir(host, &target(), here, depth + 1, out),
                    _ => out.entries.push(Entry {
                        name,
                        value,
                        origin: format!("{}:{line}", path.display()),
                    }),
                }
            }
        }
    }
}

fn load_dir(host: &Host, dir: &Path, caller: Option<(&Path, u32)>, depth: usize, out: &mut Loaded) {
    let at = caller.map_or(String::new(), |(f, l)| format!("{}:{l}: ", f.display()));
    let real = resolve(host, dir);
    let rd = match std::fs::read_dir(&real) {
        Ok(rd) => rd,
        Err(e) => {
            problem(
                out,
                None,
                format!(
                    "{at}could not open configuration directory \"{}\": {}",
                    dir.display(),
                    describe(&e)
                ),
            );
            return;
        }
    };
    let mut names: Vec<String> = rd
        .filter_map(Result::ok)
        .filter(|de| de.file_type().is_ok_and(|t| !t.is_dir()))
        .map(|de| de.file_name().to_string_lossy().into_owned())
        .filter(|n| n.len() >= 6 && !n.starts_with('.') && n.ends_with(".conf"))
        .collect();
    // ParseConfigDirectory sorts with strcmp: byte order.
    names.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    for n in names {
        load_file(host, &dir.join(n), true, caller, depth, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(text: &str) -> Vec<(String, String, u32)> {
        parse(text)
            .into_iter()
            .filter_map(|i| match i {
                Item::Setting { name, value, line } => Some((name, value, line)),
                Item::SyntaxError { .. } => None,
            })
            .collect()
    }

    fn errors(text: &str) -> Vec<String> {
        parse(text)
            .into_iter()
            .filter_map(|i| match i {
                Item::SyntaxError { line, message, .. } => Some(format!("{line}: {message}")),
                Item::Setting { .. } => None,
            })
            .collect()
    }

    #[test]
    fn names_values_and_comments() {
        let s = settings(
            "# comment\nShared_Buffers = 128MB  # trailing\nwork_mem '4MB'\n\n  max_connections=50\nhuge_pages off\n",
        );
        assert_eq!(
            s,
            vec![
                ("shared_buffers".into(), "128MB".into(), 2),
                ("work_mem".into(), "4MB".into(), 3),
                ("max_connections".into(), "50".into(), 5),
                ("huge_pages".into(), "off".into(), 6),
            ]
        );
    }

    #[test]
    fn quoting_follows_guc_file_l() {
        let s = settings(
            "a = 'it''s'\nb = 'back\\\\slash \\' quote'\nc = '1 GB'\nd = '\\101\\t'\ne = ''\n",
        );
        let vals: Vec<&str> = s.iter().map(|(_, v, _)| v.as_str()).collect();
        assert_eq!(vals, vec!["it's", "back\\slash ' quote", "1 GB", "A\t", ""]);
    }

    #[test]
    fn unquoted_fraction_with_unit_is_a_syntax_error() {
        assert_eq!(
            errors("work_mem = 1.5MB\n"),
            vec!["1: syntax error near token \"MB\""]
        );
        assert!(errors("work_mem = 1.5\n").is_empty());
        assert_eq!(
            errors("work_mem = \n"),
            vec!["1: syntax error near end of line"]
        );
        assert_eq!(errors("= 5\n"), vec!["1: syntax error near token \"=\""]);
        assert_eq!(
            errors("x = 'open\n"),
            vec!["1: syntax error near token \"'\""]
        );
        // A later line still parses after an error.
        assert_eq!(settings("bad bad bad\nwork_mem = 8MB").len(), 1);
    }

    #[test]
    fn tokens_take_the_longest_match() {
        let s = settings("a = 0x1F\nb = -1\nc = /tmp/x\nd = on\ne = a.b.c\nf = 256MB\n");
        let vals: Vec<&str> = s.iter().map(|(_, v, _)| v.as_str()).collect();
        // `/tmp/x` starts with a byte no token accepts; the rest are single tokens.
        assert_eq!(vals, vec!["0x1F", "-1", "on", "a.b.c", "256MB"]);
        assert_eq!(
            errors("c = /tmp/x\n"),
            vec!["1: syntax error near token \"/\""]
        );
    }

    #[test]
    fn never_panics_on_random_bytes() {
        // A fixed xorshift stream over the characters the lexer cares about.
        let alphabet = b"ab_1.0x-+=' \\\n\t#eE/:kMBG\x80";
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..2000 {
            let mut text = Vec::new();
            for _ in 0..(state % 40) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let i = usize::try_from(state % alphabet.len() as u64).unwrap_or(0);
                text.push(alphabet[i]);
            }
            let text = String::from_utf8_lossy(&text);
            for item in parse(&text) {
                if let Item::Setting { value, .. } = item {
                    for p in crate::postgres::params::PARAMS {
                        let _ = p.parse(&value, 16);
                    }
                }
            }
        }
    }

    #[test]
    fn never_panics() {
        for t in [
            "",
            "\n",
            "'",
            "''",
            "a",
            "a=",
            "a='\\",
            "a='\\\n'",
            "\u{0}",
            "é = 1",
            "a = 'é''",
            "a.b = c",
            "0x",
            "a = +",
            "a = .",
        ] {
            let _ = parse(t);
        }
    }
}
