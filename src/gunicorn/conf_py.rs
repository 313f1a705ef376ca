//! A static reader for `gunicorn.conf.py`: what can be known without running the file.
//!
//! Gunicorn executes its config file as Python and takes every module-level name that matches a
//! setting. headroom must never run it (it may open database connections, read secrets, or simply
//! not be runnable here), so this module evaluates the small subset that real config files use
//! for the numbers that matter: literals, arithmetic, names assigned earlier, `os.environ` /
//! `os.getenv` lookups, `multiprocessing.cpu_count()` / `os.cpu_count()` (the host count as
//! Python sees it, passed in), `int()`/`str()`/`bool()`/`float()`/`min()`/`max()`, string
//! methods, `%`-formatting and f-strings. Anything else makes *that name* unknown with the line
//! and the snippet; a Python error that certainly happens (`int("auto")`, a name bound nowhere)
//! is reported as the error Gunicorn would exit with. A hand-written tokenizer keeps the
//! dependency list short: a full Python parser crate would be far larger than this subset needs.

use std::collections::{BTreeMap, BTreeSet};

/// A Python value the evaluator can hold.
#[derive(Clone, Debug, PartialEq)]
pub enum PyVal {
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
    None,
    List(Vec<PyVal>),
    Tuple(Vec<PyVal>),
    /// A module or function object: it exists, but is not a setting value.
    Object(String),
}

impl PyVal {
    fn type_name(&self) -> &'static str {
        match self {
            PyVal::Int(_) => "int",
            PyVal::Float(_) => "float",
            PyVal::Str(_) => "str",
            PyVal::Bool(_) => "bool",
            PyVal::None => "NoneType",
            PyVal::List(_) => "list",
            PyVal::Tuple(_) => "tuple",
            PyVal::Object(_) => "object",
        }
    }

    pub fn truthy(&self) -> bool {
        match self {
            PyVal::Int(i) => *i != 0,
            PyVal::Float(f) => *f != 0.0,
            PyVal::Str(s) => !s.is_empty(),
            PyVal::Bool(b) => *b,
            PyVal::None => false,
            PyVal::List(v) | PyVal::Tuple(v) => !v.is_empty(),
            PyVal::Object(_) => true,
        }
    }

    /// Python's `str()`; `None` when the text is not certain (unusual floats).
    pub fn py_str(&self) -> Option<String> {
        Some(match self {
            PyVal::Int(i) => i.to_string(),
            PyVal::Float(f) => float_repr(*f)?,
            PyVal::Str(s) => s.clone(),
            PyVal::Bool(true) => "True".into(),
            PyVal::Bool(false) => "False".into(),
            PyVal::None => "None".into(),
            PyVal::List(v) => format!("[{}]", reprs(v)?),
            PyVal::Tuple(v) if v.len() == 1 => format!("({},)", reprs(v)?),
            PyVal::Tuple(v) => format!("({})", reprs(v)?),
            PyVal::Object(_) => return None,
        })
    }

    /// Python's `repr()`.
    pub fn py_repr(&self) -> Option<String> {
        match self {
            PyVal::Str(s) => Some(super::argv::pyrepr(s)),
            other => other.py_str(),
        }
    }
}

fn reprs(v: &[PyVal]) -> Option<String> {
    let parts: Option<Vec<String>> = v.iter().map(PyVal::py_repr).collect();
    Some(parts?.join(", "))
}

fn float_repr(f: f64) -> Option<String> {
    if !f.is_finite() {
        return None;
    }
    let a = f.abs();
    if a != 0.0 && !(1e-4..1e16).contains(&a) {
        return None;
    }
    if f.fract() == 0.0 {
        Some(format!("{f:.1}"))
    } else {
        Some(format!("{f}"))
    }
}

/// What a module-level name holds once the file has run, as far as headroom can tell.
#[derive(Clone, Debug, PartialEq)]
pub enum Binding {
    /// Known value, assigned at this 1-based line.
    Value(PyVal, usize),
    /// Cannot be known statically; the reason names the line.
    Unknown(String),
}

/// The outcome of reading one config file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ConfFile {
    /// Module-level names → what they hold at the end of the file.
    pub names: BTreeMap<String, Binding>,
    /// Python errors that would stop Gunicorn from loading the file ("Failed to read config
    /// file"), with their line. Empty when the file would load.
    pub errors: Vec<String>,
}

impl ConfFile {
    pub fn get(&self, name: &str) -> Option<&Binding> {
        self.names.get(name)
    }
}

/// The facts outside the file that its expressions may read.
#[derive(Clone, Debug, Default)]
pub struct Env<'a> {
    pub vars: Option<&'a BTreeMap<String, String>>,
    /// `os.cpu_count()` as Python would report it on the host; `None` when unknown.
    pub cpus: Option<i64>,
}

// ---------------------------------------------------------------------------------------------
// Tokenizer

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Name(String),
    Int(i64),
    Float(f64),
    /// A string literal; `fmt` for f-strings (the raw text between the quotes).
    Str {
        val: String,
        fmt: bool,
    },
    Op(&'static str),
    /// A literal the tokenizer understood but cannot value (bytes, huge ints, imaginary).
    Opaque,
}

/// One logical line: its first physical line (1-based), indentation, tokens and source text.
#[derive(Clone, Debug)]
struct Line {
    no: usize,
    indent: usize,
    toks: Vec<Tok>,
    text: String,
}

const OPS: &[&str] = &[
    "**=", "//=", ">>=", "<<=", "...", "->", ":=", "**", "//", "==", "!=", "<=", ">=", "<<", ">>",
    "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "@=", "+", "-", "*", "/", "%", "@", "<", ">",
    "=", "(", ")", "[", "]", "{", "}", ",", ":", ".", ";", "~", "&", "|", "^", "!",
];

struct Lexer<'a> {
    src: &'a [char],
    pos: usize,
    line: usize,
}

impl Lexer<'_> {
    fn peek(&self, off: usize) -> Option<char> {
        self.src.get(self.pos + off).copied()
    }
}

/// Splits the source into logical lines. A tokenizer error gives the line it happened on.
fn lex(src: &str) -> Result<Vec<Line>, (usize, String)> {
    let chars: Vec<char> = src.chars().collect();
    let mut lx = Lexer {
        src: &chars,
        pos: 0,
        line: 1,
    };
    let mut lines = Vec::new();
    let mut cur: Vec<Tok> = Vec::new();
    let mut depth = 0usize;
    let mut start_line = 1;
    let mut start_pos = 0;
    let mut indent = 0;
    let mut at_line_start = true;
    loop {
        if at_line_start && depth == 0 {
            // Measure indentation of a new logical line.
            let mut n = 0;
            while let Some(c) = lx.peek(0) {
                match c {
                    ' ' => n += 1,
                    '\t' => n = (n / 8 + 1) * 8,
                    '\x0c' => n = 0,
                    _ => break,
                }
                lx.pos += 1;
            }
            indent = n;
            start_line = lx.line;
            start_pos = lx.pos;
            at_line_start = false;
        }
        let Some(c) = lx.peek(0) else { break };
        match c {
            '\n' => {
                lx.pos += 1;
                lx.line += 1;
                if depth == 0 {
                    if !cur.is_empty() {
                        let text: String = chars
                            .get(start_pos..lx.pos - 1)
                            .map(|s| s.iter().collect())
                            .unwrap_or_default();
                        lines.push(Line {
                            no: start_line,
                            indent,
                            toks: std::mem::take(&mut cur),
                            text,
                        });
                    }
                    at_line_start = true;
                }
            }
            ' ' | '\t' | '\r' | '\x0c' => lx.pos += 1,
            '#' => {
                while lx.peek(0).is_some_and(|c| c != '\n') {
                    lx.pos += 1;
                }
            }
            '\\' if lx.peek(1) == Some('\n') => {
                lx.pos += 2;
                lx.line += 1;
            }
            '\\' if lx.peek(1) == Some('\r') && lx.peek(2) == Some('\n') => {
                lx.pos += 3;
                lx.line += 1;
            }
            c if c.is_ascii_digit()
                || (c == '.' && lx.peek(1).is_some_and(|d| d.is_ascii_digit())) =>
            {
                cur.push(lex_number(&mut lx)?);
            }
            c if c.is_alphabetic() || c == '_' => {
                let start = lx.pos;
                while lx.peek(0).is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    lx.pos += 1;
                }
                let word: String = chars[start..lx.pos].iter().collect();
                let lower = word.to_ascii_lowercase();
                let is_prefix = word.len() <= 3
                    && lower.chars().all(|c| "rbuf".contains(c))
                    && matches!(lx.peek(0), Some('"' | '\''));
                if is_prefix {
                    cur.push(lex_string(&mut lx, &lower)?);
                } else {
                    cur.push(Tok::Name(word));
                }
            }
            '"' | '\'' => cur.push(lex_string(&mut lx, "")?),
            _ => {
                let rest: String = chars[lx.pos..chars.len().min(lx.pos + 3)].iter().collect();
                let Some(op) = OPS.iter().find(|op| rest.starts_with(**op)) else {
                    return Err((lx.line, format!("unexpected character {c:?}")));
                };
                lx.pos += op.chars().count();
                match *op {
                    "(" | "[" | "{" => depth += 1,
                    ")" | "]" | "}" => depth = depth.saturating_sub(1),
                    _ => {}
                }
                cur.push(Tok::Op(op));
            }
        }
    }
    if depth > 0 {
        return Err((start_line, "unclosed bracket".into()));
    }
    if !cur.is_empty() {
        let text: String = chars
            .get(start_pos..)
            .map(|s| s.iter().collect())
            .unwrap_or_default();
        lines.push(Line {
            no: start_line,
            indent,
            toks: cur,
            text,
        });
    }
    Ok(lines)
}

fn lex_number(lx: &mut Lexer) -> Result<Tok, (usize, String)> {
    let start = lx.pos;
    let mut is_float = false;
    let radix_prefix = lx.peek(0) == Some('0')
        && lx
            .peek(1)
            .is_some_and(|c| matches!(c.to_ascii_lowercase(), 'x' | 'o' | 'b'));
    if radix_prefix {
        lx.pos += 2;
        while lx
            .peek(0)
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            lx.pos += 1;
        }
    } else {
        while let Some(c) = lx.peek(0) {
            if c.is_ascii_digit() || c == '_' {
                lx.pos += 1;
            } else if c == '.' && !is_float {
                is_float = true;
                lx.pos += 1;
            } else if matches!(c, 'e' | 'E')
                && (lx.peek(1).is_some_and(|d| d.is_ascii_digit())
                    || (matches!(lx.peek(1), Some('+' | '-'))
                        && lx.peek(2).is_some_and(|d| d.is_ascii_digit())))
            {
                is_float = true;
                lx.pos += 2;
            } else {
                break;
            }
        }
    }
    let text: String = lx.src[start..lx.pos].iter().collect();
    if lx.peek(0).is_some_and(|c| c == 'j' || c == 'J') {
        lx.pos += 1;
        return Ok(Tok::Opaque);
    }
    if lx.peek(0).is_some_and(|c| c.is_alphanumeric() || c == '_') {
        return Err((lx.line, format!("invalid number {text}")));
    }
    if is_float {
        return text
            .replace('_', "")
            .parse::<f64>()
            .map(Tok::Float)
            .map_err(|_| (lx.line, format!("invalid number {text}")));
    }
    match super::pyint::int0(&text) {
        Ok(v) => Ok(Tok::Int(v)),
        // Digits that overflow i64 are valid Python; leading zeros ("0777") are not.
        Err(_)
            if text.chars().all(|c| c.is_ascii_digit() || c == '_') && !text.starts_with('0') =>
        {
            Ok(Tok::Opaque)
        }
        Err(_) => Err((lx.line, format!("invalid number {text}"))),
    }
}

fn lex_string(lx: &mut Lexer, prefix: &str) -> Result<Tok, (usize, String)> {
    let raw = prefix.contains('r');
    let bytes = prefix.contains('b');
    let fmt = prefix.contains('f');
    let Some(q) = lx.peek(0) else {
        return Err((lx.line, "unterminated string".into()));
    };
    let triple = lx.peek(1) == Some(q) && lx.peek(2) == Some(q);
    lx.pos += if triple { 3 } else { 1 };
    let start_line = lx.line;
    let mut val = String::new();
    loop {
        let Some(c) = lx.peek(0) else {
            return Err((start_line, "unterminated string".into()));
        };
        if c == q && (!triple || (lx.peek(1) == Some(q) && lx.peek(2) == Some(q))) {
            lx.pos += if triple { 3 } else { 1 };
            break;
        }
        if c == '\n' {
            if !triple {
                return Err((start_line, "unterminated string".into()));
            }
            lx.line += 1;
        }
        if c == '\\' {
            let Some(n) = lx.peek(1) else {
                return Err((start_line, "unterminated string".into()));
            };
            lx.pos += 2;
            if n == '\n' {
                lx.line += 1;
            }
            if raw || fmt {
                // f-strings keep escapes for the second pass; raw strings keep them verbatim.
                val.push('\\');
                val.push(n);
                continue;
            }
            match n {
                '\n' => {}
                'n' => val.push('\n'),
                't' => val.push('\t'),
                'r' => val.push('\r'),
                '0' => val.push('\0'),
                '\\' | '\'' | '"' => val.push(n),
                other => {
                    val.push('\\');
                    val.push(other);
                }
            }
            continue;
        }
        val.push(c);
        lx.pos += 1;
    }
    if bytes {
        return Ok(Tok::Opaque);
    }
    Ok(Tok::Str { val, fmt })
}

// ---------------------------------------------------------------------------------------------
// Expressions

#[derive(Clone, Debug)]
enum Expr {
    Const(PyVal),
    Name(String),
    Attr(Box<Expr>, String),
    Call(Box<Expr>, Vec<Expr>, Vec<(String, Expr)>),
    Index(Box<Expr>, Box<Expr>),
    Unary(&'static str, Box<Expr>),
    Bin(&'static str, Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Compare(Box<Expr>, Vec<(String, Expr)>),
    IfElse(Box<Expr>, Box<Expr>, Box<Expr>),
    List(Vec<Expr>),
    Tuple(Vec<Expr>),
    FStr(Vec<FPart>),
}

#[derive(Clone, Debug)]
enum FPart {
    Lit(String),
    Expr(Expr),
}

struct Parser<'a> {
    toks: &'a [Tok],
    pos: usize,
}

type PResult<T> = Result<T, String>;

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }
    fn is_op(&self, op: &str) -> bool {
        matches!(self.peek(), Some(Tok::Op(o)) if *o == op)
    }
    fn is_kw(&self, kw: &str) -> bool {
        matches!(self.peek(), Some(Tok::Name(n)) if n == kw)
    }
    fn eat_op(&mut self, op: &str) -> bool {
        if self.is_op(op) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn eat_kw(&mut self, kw: &str) -> bool {
        if self.is_kw(kw) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn expect_op(&mut self, op: &str) -> PResult<()> {
        if self.eat_op(op) {
            Ok(())
        } else {
            Err(format!("expected `{op}`"))
        }
    }

    /// An expression list: `a` or `a, b` (a tuple).
    fn exprs(&mut self) -> PResult<Expr> {
        let first = self.expr()?;
        if !self.is_op(",") {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.eat_op(",") {
            if self.at_end_of_exprs() {
                break;
            }
            items.push(self.expr()?);
        }
        Ok(Expr::Tuple(items))
    }

    fn at_end_of_exprs(&self) -> bool {
        match self.peek() {
            None => true,
            Some(Tok::Op(o)) => matches!(*o, ")" | "]" | "}" | "=" | ";" | ":"),
            _ => false,
        }
    }

    fn expr(&mut self) -> PResult<Expr> {
        if self.is_kw("lambda") {
            return Err("lambda".into());
        }
        let e = self.or()?;
        if self.eat_kw("if") {
            let c = self.or()?;
            if !self.eat_kw("else") {
                return Err("expected `else`".into());
            }
            let f = self.expr()?;
            return Ok(Expr::IfElse(Box::new(c), Box::new(e), Box::new(f)));
        }
        Ok(e)
    }
    fn or(&mut self) -> PResult<Expr> {
        let mut e = self.and()?;
        while self.eat_kw("or") {
            e = Expr::Or(Box::new(e), Box::new(self.and()?));
        }
        Ok(e)
    }
    fn and(&mut self) -> PResult<Expr> {
        let mut e = self.not()?;
        while self.eat_kw("and") {
            e = Expr::And(Box::new(e), Box::new(self.not()?));
        }
        Ok(e)
    }
    fn not(&mut self) -> PResult<Expr> {
        if self.eat_kw("not") {
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        self.compare()
    }
    fn compare(&mut self) -> PResult<Expr> {
        let first = self.bitor()?;
        let mut rest = Vec::new();
        loop {
            let op = match self.peek() {
                Some(Tok::Op(o)) if matches!(*o, "==" | "!=" | "<" | ">" | "<=" | ">=") => {
                    let o = (*o).to_string();
                    self.pos += 1;
                    o
                }
                Some(Tok::Name(n)) if n == "in" => {
                    self.pos += 1;
                    "in".to_string()
                }
                Some(Tok::Name(n)) if n == "is" => {
                    self.pos += 1;
                    if self.eat_kw("not") { "is not" } else { "is" }.to_string()
                }
                Some(Tok::Name(n)) if n == "not" => {
                    if matches!(self.toks.get(self.pos + 1), Some(Tok::Name(m)) if m == "in") {
                        self.pos += 2;
                        "not in".to_string()
                    } else {
                        break;
                    }
                }
                _ => break,
            };
            rest.push((op, self.bitor()?));
        }
        if rest.is_empty() {
            Ok(first)
        } else {
            Ok(Expr::Compare(Box::new(first), rest))
        }
    }
    fn bitor(&mut self) -> PResult<Expr> {
        let e = self.arith()?;
        if matches!(self.peek(), Some(Tok::Op("|" | "&" | "^" | "<<" | ">>"))) {
            return Err("bitwise operator".into());
        }
        Ok(e)
    }
    fn arith(&mut self) -> PResult<Expr> {
        let mut e = self.term()?;
        while let Some(Tok::Op(o @ ("+" | "-"))) = self.peek() {
            let op = *o;
            self.pos += 1;
            e = Expr::Bin(op, Box::new(e), Box::new(self.term()?));
        }
        Ok(e)
    }
    fn term(&mut self) -> PResult<Expr> {
        let mut e = self.factor()?;
        loop {
            let op = match self.peek() {
                Some(Tok::Op(o @ ("*" | "/" | "//" | "%"))) => *o,
                Some(Tok::Op("@")) => return Err("matrix multiplication".into()),
                _ => break,
            };
            self.pos += 1;
            e = Expr::Bin(op, Box::new(e), Box::new(self.factor()?));
        }
        Ok(e)
    }
    fn factor(&mut self) -> PResult<Expr> {
        match self.peek() {
            Some(Tok::Op(o @ ("-" | "+" | "~"))) => {
                let o = *o;
                self.pos += 1;
                Ok(Expr::Unary(o, Box::new(self.factor()?)))
            }
            _ => self.power(),
        }
    }
    fn power(&mut self) -> PResult<Expr> {
        let base = self.primary()?;
        if self.eat_op("**") {
            return Ok(Expr::Bin("**", Box::new(base), Box::new(self.factor()?)));
        }
        Ok(base)
    }
    fn primary(&mut self) -> PResult<Expr> {
        let mut e = self.atom()?;
        loop {
            if self.eat_op(".") {
                match self.peek() {
                    Some(Tok::Name(n)) => {
                        let n = n.clone();
                        self.pos += 1;
                        e = Expr::Attr(Box::new(e), n);
                    }
                    _ => return Err("expected a name after `.`".into()),
                }
            } else if self.eat_op("(") {
                let mut args = Vec::new();
                let mut kwargs = Vec::new();
                while !self.eat_op(")") {
                    if self.is_op("*") || self.is_op("**") {
                        return Err("argument unpacking".into());
                    }
                    let kw = match (self.peek(), self.toks.get(self.pos + 1)) {
                        (Some(Tok::Name(n)), Some(Tok::Op("="))) => Some(n.clone()),
                        _ => None,
                    };
                    if let Some(k) = kw {
                        self.pos += 2;
                        kwargs.push((k, self.expr()?));
                    } else {
                        args.push(self.expr()?);
                        if self.is_kw("for") {
                            return Err("generator expression".into());
                        }
                    }
                    if !self.eat_op(",") {
                        self.expect_op(")")?;
                        break;
                    }
                }
                e = Expr::Call(Box::new(e), args, kwargs);
            } else if self.eat_op("[") {
                let idx = self.exprs()?;
                if self.is_op(":") {
                    return Err("slice".into());
                }
                self.expect_op("]")?;
                e = Expr::Index(Box::new(e), Box::new(idx));
            } else {
                break;
            }
        }
        Ok(e)
    }
    fn atom(&mut self) -> PResult<Expr> {
        let Some(t) = self.peek().cloned() else {
            return Err("expression expected".into());
        };
        self.pos += 1;
        match t {
            Tok::Int(i) => Ok(Expr::Const(PyVal::Int(i))),
            Tok::Float(f) => Ok(Expr::Const(PyVal::Float(f))),
            Tok::Opaque => Err("literal".into()),
            Tok::Str { val, fmt } => {
                // Adjacent literals concatenate ("a" "b").
                let mut parts = Vec::new();
                push_str_part(&mut parts, val, fmt)?;
                while let Some(Tok::Str { val, fmt }) = self.peek().cloned() {
                    self.pos += 1;
                    push_str_part(&mut parts, val, fmt)?;
                }
                if parts.iter().all(|p| matches!(p, FPart::Lit(_))) {
                    let s: String = parts
                        .into_iter()
                        .map(|p| match p {
                            FPart::Lit(s) => s,
                            FPart::Expr(_) => String::new(),
                        })
                        .collect();
                    Ok(Expr::Const(PyVal::Str(s)))
                } else {
                    Ok(Expr::FStr(parts))
                }
            }
            Tok::Name(n) => match n.as_str() {
                "True" => Ok(Expr::Const(PyVal::Bool(true))),
                "False" => Ok(Expr::Const(PyVal::Bool(false))),
                "None" => Ok(Expr::Const(PyVal::None)),
                "lambda" | "yield" | "await" => Err(n),
                _ => Ok(Expr::Name(n)),
            },
            Tok::Op("(") => {
                if self.eat_op(")") {
                    return Ok(Expr::Tuple(vec![]));
                }
                let e = self.exprs()?;
                if self.is_kw("for") {
                    return Err("generator expression".into());
                }
                self.expect_op(")")?;
                Ok(e)
            }
            Tok::Op("[") => {
                let mut items = Vec::new();
                while !self.eat_op("]") {
                    if self.is_op("*") {
                        return Err("unpacking".into());
                    }
                    items.push(self.expr()?);
                    if self.is_kw("for") {
                        return Err("list comprehension".into());
                    }
                    if !self.eat_op(",") {
                        self.expect_op("]")?;
                        break;
                    }
                }
                Ok(Expr::List(items))
            }
            Tok::Op("{") => Err("dict or set".into()),
            Tok::Op(o) => Err(format!("unexpected `{o}`")),
        }
    }
}

fn push_str_part(parts: &mut Vec<FPart>, val: String, fmt: bool) -> PResult<()> {
    if !fmt {
        parts.push(FPart::Lit(val));
        return Ok(());
    }
    // f-string: `{{`/`}}` are braces, `{expr}` is str(expr). Format specs and conversions are
    // not evaluated.
    let chars: Vec<char> = val.chars().collect();
    let mut i = 0;
    let mut lit = String::new();
    while i < chars.len() {
        let c = chars[i];
        if c == '{' && chars.get(i + 1) == Some(&'{') {
            lit.push('{');
            i += 2;
        } else if c == '}' && chars.get(i + 1) == Some(&'}') {
            lit.push('}');
            i += 2;
        } else if c == '{' {
            let end = chars[i..]
                .iter()
                .position(|c| *c == '}')
                .ok_or_else(|| "f-string".to_string())?;
            let inner: String = chars[i + 1..i + end].iter().collect();
            if inner.contains([':', '{', '\\'])
                || inner.trim_end().ends_with('=')
                || inner.contains("!r")
                || inner.contains("!s")
                || inner.contains("!a")
            {
                return Err("f-string with a format spec".into());
            }
            let lines = lex(&inner).map_err(|(_, e)| e)?;
            let toks: Vec<Tok> = lines.into_iter().flat_map(|l| l.toks).collect();
            let mut p = Parser {
                toks: &toks,
                pos: 0,
            };
            let e = p.expr()?;
            if p.pos != toks.len() {
                return Err("f-string".into());
            }
            if !lit.is_empty() {
                parts.push(FPart::Lit(std::mem::take(&mut lit)));
            }
            parts.push(FPart::Expr(e));
            i += end + 1;
        } else if c == '\\' {
            match chars.get(i + 1) {
                Some('n') => lit.push('\n'),
                Some('t') => lit.push('\t'),
                Some(n @ ('\\' | '\'' | '"')) => lit.push(*n),
                Some(n) => {
                    lit.push('\\');
                    lit.push(*n);
                }
                None => lit.push('\\'),
            }
            i += 2;
        } else {
            lit.push(c);
            i += 1;
        }
    }
    if !lit.is_empty() {
        parts.push(FPart::Lit(lit));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Evaluation

/// Why an expression has no value.
#[derive(Clone, Debug, PartialEq)]
enum Fail {
    /// Outside the static subset: the name becomes unknown.
    Unknown(String),
    /// Python would raise this: the file fails to load and Gunicorn exits.
    Raise(String),
}

type EResult = Result<PyVal, Fail>;

/// What a name means in the file's namespace while it is being read.
#[derive(Clone, Debug, PartialEq)]
enum Slot {
    Val(PyVal, usize),
    Unknown(String),
    Module(&'static str),
    Func(&'static str),
}

struct Eval<'a> {
    env: &'a Env<'a>,
    ns: BTreeMap<String, Slot>,
    /// Every name bound anywhere in the file (any scope, any branch): a name outside this set and
    /// the builtins is a certain NameError.
    maybe_bound: BTreeSet<String>,
    star_import: bool,
}

const BUILTINS_SUPPORTED: &[&str] = &["int", "str", "bool", "float", "min", "max", "len"];

fn unknown(why: impl Into<String>) -> Fail {
    Fail::Unknown(why.into())
}

fn raise(why: impl Into<String>) -> Fail {
    Fail::Raise(why.into())
}

impl Eval<'_> {
    fn eval(&self, e: &Expr) -> EResult {
        match e {
            Expr::Const(v) => Ok(v.clone()),
            Expr::Name(n) => self.name(n),
            Expr::Attr(obj, attr) => self.attr(obj, attr),
            Expr::Call(f, args, kwargs) => self.call(f, args, kwargs),
            Expr::Index(obj, idx) => self.index(obj, idx),
            Expr::Unary(op, x) => unary(op, self.eval(x)?),
            Expr::Bin(op, a, b) => binary(op, self.eval(a)?, self.eval(b)?),
            Expr::And(a, b) => {
                let l = self.eval(a)?;
                if l.truthy() { self.eval(b) } else { Ok(l) }
            }
            Expr::Or(a, b) => {
                let l = self.eval(a)?;
                if l.truthy() { Ok(l) } else { self.eval(b) }
            }
            Expr::Not(x) => Ok(PyVal::Bool(!self.eval(x)?.truthy())),
            Expr::Compare(first, rest) => {
                let mut left = self.eval(first)?;
                for (op, e) in rest {
                    let right = self.eval(e)?;
                    if !compare(op, &left, &right)? {
                        return Ok(PyVal::Bool(false));
                    }
                    left = right;
                }
                Ok(PyVal::Bool(true))
            }
            Expr::IfElse(c, a, b) => {
                if self.eval(c)?.truthy() {
                    self.eval(a)
                } else {
                    self.eval(b)
                }
            }
            Expr::List(items) => Ok(PyVal::List(self.all(items)?)),
            Expr::Tuple(items) => Ok(PyVal::Tuple(self.all(items)?)),
            Expr::FStr(parts) => {
                let mut s = String::new();
                for p in parts {
                    match p {
                        FPart::Lit(l) => s.push_str(l),
                        FPart::Expr(e) => s.push_str(
                            &self
                                .eval(e)?
                                .py_str()
                                .ok_or_else(|| unknown("f-string value"))?,
                        ),
                    }
                }
                Ok(PyVal::Str(s))
            }
        }
    }

    fn all(&self, items: &[Expr]) -> Result<Vec<PyVal>, Fail> {
        items.iter().map(|e| self.eval(e)).collect()
    }

    fn name(&self, n: &str) -> EResult {
        match self.ns.get(n) {
            Some(Slot::Val(v, _)) => Ok(v.clone()),
            Some(Slot::Unknown(why)) => Err(unknown(why.clone())),
            Some(Slot::Module(m)) => Ok(PyVal::Object(format!("module {m}"))),
            Some(Slot::Func(f)) => Ok(PyVal::Object(format!("function {f}"))),
            None if BUILTINS_SUPPORTED.contains(&n) => Ok(PyVal::Object(format!("builtin {n}"))),
            None if self.maybe_bound.contains(n) || self.star_import || is_builtin(n) => {
                Err(unknown(format!("`{n}` has no static value")))
            }
            None => Err(raise(format!("NameError: name '{n}' is not defined"))),
        }
    }

    /// The dotted path an expression names, resolved through imports (`mp.cpu_count` →
    /// `multiprocessing.cpu_count`).
    fn path(&self, e: &Expr) -> Option<String> {
        match e {
            Expr::Name(n) => match self.ns.get(n) {
                Some(Slot::Module(m) | Slot::Func(m)) => Some((*m).to_string()),
                None if BUILTINS_SUPPORTED.contains(&n.as_str()) => Some(n.clone()),
                _ => None,
            },
            Expr::Attr(obj, attr) => self.path(obj).map(|p| format!("{p}.{attr}")),
            _ => None,
        }
    }

    fn attr(&self, obj: &Expr, attr: &str) -> EResult {
        if let Some(p) = self.path(obj) {
            return Ok(PyVal::Object(format!("{p}.{attr}")));
        }
        let v = self.eval(obj)?;
        Err(unknown(format!(
            "attribute `{attr}` of a {}",
            v.type_name()
        )))
    }

    fn environ(&self) -> Result<&BTreeMap<String, String>, Fail> {
        self.env
            .vars
            .ok_or_else(|| unknown("the environment is not known"))
    }

    fn index(&self, obj: &Expr, idx: &Expr) -> EResult {
        let key = self.eval(idx)?;
        if self.path(obj).as_deref() == Some("os.environ") {
            let PyVal::Str(k) = key else {
                return Err(raise(
                    "TypeError: str expected, not ".to_string() + key.type_name(),
                ));
            };
            return match self.environ()?.get(&k) {
                Some(v) => Ok(PyVal::Str(v.clone())),
                None => Err(raise(format!("KeyError: {}", super::argv::pyrepr(&k)))),
            };
        }
        let v = self.eval(obj)?;
        match (&v, &key) {
            (PyVal::List(items) | PyVal::Tuple(items), PyVal::Int(i)) => {
                let len = i64::try_from(items.len()).unwrap_or(i64::MAX);
                let at = if *i < 0 { len + i } else { *i };
                usize::try_from(at)
                    .ok()
                    .and_then(|at| items.get(at).cloned())
                    .ok_or_else(|| raise("IndexError: index out of range"))
            }
            _ => Err(unknown(format!("indexing a {}", v.type_name()))),
        }
    }

    fn call(&self, f: &Expr, args: &[Expr], kwargs: &[(String, Expr)]) -> EResult {
        // Methods on values: "…".lower(), os.environ.get(…) is handled by path below.
        if let Expr::Attr(obj, method) = f
            && self.path(obj).is_none()
        {
            let recv = self.eval(obj)?;
            if !kwargs.is_empty() {
                return Err(unknown("keyword arguments"));
            }
            return str_method(&recv, method, &self.all(args)?);
        }
        let Some(path) = self.path(f) else {
            let v = self.eval(f)?;
            return Err(unknown(format!("calling a {}", v.type_name())));
        };
        if !kwargs.is_empty() {
            return Err(unknown(format!("{path}() with keyword arguments")));
        }
        let a = self.all(args)?;
        match (path.as_str(), a.as_slice()) {
            ("os.cpu_count" | "multiprocessing.cpu_count", []) => self
                .env
                .cpus
                .map(PyVal::Int)
                .ok_or_else(|| unknown("the host CPU count is not known")),
            ("os.environ.get" | "os.getenv", [PyVal::Str(k)]) => Ok(self
                .environ()?
                .get(k)
                .map_or(PyVal::None, |v| PyVal::Str(v.clone()))),
            ("os.environ.get" | "os.getenv", [PyVal::Str(k), d]) => Ok(self
                .environ()?
                .get(k)
                .map_or_else(|| d.clone(), |v| PyVal::Str(v.clone()))),
            ("int", []) => Ok(PyVal::Int(0)),
            ("int", [x]) => to_int(x),
            ("int", [PyVal::Str(s), PyVal::Int(0)]) => super::pyint::int0(s)
                .map(PyVal::Int)
                .map_err(|e| raise(format!("ValueError: {e}"))),
            ("int", [PyVal::Str(s), PyVal::Int(10)]) => super::pyint::int10(s)
                .map(PyVal::Int)
                .map_err(|e| raise(format!("ValueError: {e}"))),
            ("str", []) => Ok(PyVal::Str(String::new())),
            ("str", [x]) => x
                .py_str()
                .map(PyVal::Str)
                .ok_or_else(|| unknown("str() of this value")),
            ("bool", []) => Ok(PyVal::Bool(false)),
            ("bool", [x]) => Ok(PyVal::Bool(x.truthy())),
            ("float", [x]) => to_float(x),
            ("len", [PyVal::Str(s)]) => Ok(PyVal::Int(count(s.chars().count()))),
            ("len", [PyVal::List(v) | PyVal::Tuple(v)]) => Ok(PyVal::Int(count(v.len()))),
            ("min" | "max", [PyVal::List(v) | PyVal::Tuple(v)]) => min_max(&path, v),
            ("min" | "max", items) if items.len() >= 2 => min_max(&path, items),
            _ => Err(unknown(format!("{path}()"))),
        }
    }
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn is_builtin(n: &str) -> bool {
    const B: &[&str] = &[
        "abs",
        "all",
        "any",
        "ascii",
        "bin",
        "bytes",
        "callable",
        "chr",
        "dict",
        "dir",
        "divmod",
        "enumerate",
        "eval",
        "exec",
        "filter",
        "format",
        "frozenset",
        "getattr",
        "globals",
        "hasattr",
        "hash",
        "hex",
        "id",
        "input",
        "isinstance",
        "issubclass",
        "iter",
        "list",
        "locals",
        "map",
        "next",
        "object",
        "oct",
        "open",
        "ord",
        "pow",
        "print",
        "range",
        "repr",
        "reversed",
        "round",
        "set",
        "setattr",
        "slice",
        "sorted",
        "sum",
        "super",
        "tuple",
        "type",
        "vars",
        "zip",
        "__name__",
        "__file__",
        "__doc__",
        "__builtins__",
        "Exception",
        "ValueError",
        "KeyError",
        "ImportError",
        "TypeError",
        "OSError",
        "RuntimeError",
        "NotImplemented",
        "Ellipsis",
        "__import__",
        "compile",
        "memoryview",
        "bytearray",
        "complex",
        "property",
        "staticmethod",
        "classmethod",
        "breakpoint",
        "delattr",
    ];
    B.contains(&n)
}

fn to_int(x: &PyVal) -> EResult {
    match x {
        PyVal::Int(i) => Ok(PyVal::Int(*i)),
        PyVal::Bool(b) => Ok(PyVal::Int(i64::from(*b))),
        PyVal::Float(f) if f.is_finite() && f.abs() < 9.0e18 =>
        {
            #[allow(clippy::cast_possible_truncation)]
            Ok(PyVal::Int(f.trunc() as i64))
        }
        PyVal::Float(_) => Err(unknown("int() of a huge float")),
        PyVal::Str(s) => super::pyint::int10(s)
            .map(PyVal::Int)
            .map_err(|e| raise(format!("ValueError: {e}"))),
        other => Err(raise(format!(
            "TypeError: int() argument must be a string, a bytes-like object or a real number, not '{}'",
            other.type_name()
        ))),
    }
}

fn to_float(x: &PyVal) -> EResult {
    match x {
        #[allow(clippy::cast_precision_loss)]
        PyVal::Int(i) => Ok(PyVal::Float(*i as f64)),
        PyVal::Bool(b) => Ok(PyVal::Float(if *b { 1.0 } else { 0.0 })),
        PyVal::Float(f) => Ok(PyVal::Float(*f)),
        PyVal::Str(s) => {
            let t = s.trim();
            let plain = !t.is_empty()
                && t.chars()
                    .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'));
            match t.parse::<f64>() {
                Ok(f) if plain => Ok(PyVal::Float(f)),
                _ => Err(unknown("float() of this string")),
            }
        }
        _ => Err(unknown("float() of this value")),
    }
}

fn num(v: &PyVal) -> Option<f64> {
    match v {
        #[allow(clippy::cast_precision_loss)]
        PyVal::Int(i) => Some(*i as f64),
        PyVal::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        PyVal::Float(f) => Some(*f),
        _ => None,
    }
}

fn int_like(v: &PyVal) -> Option<i64> {
    match v {
        PyVal::Int(i) => Some(*i),
        PyVal::Bool(b) => Some(i64::from(*b)),
        _ => None,
    }
}

fn min_max(which: &str, items: &[PyVal]) -> EResult {
    let mut best: Option<&PyVal> = None;
    for v in items {
        let n = num(v).ok_or_else(|| unknown(format!("{which}() of a {}", v.type_name())))?;
        let better = match best {
            None => true,
            Some(b) => {
                let bn = num(b).unwrap_or(n);
                if which == "min" { n < bn } else { n > bn }
            }
        };
        if better {
            best = Some(v);
        }
    }
    best.cloned()
        .ok_or_else(|| raise(format!("ValueError: {which}() arg is an empty sequence")))
}

fn str_method(recv: &PyVal, method: &str, args: &[PyVal]) -> EResult {
    let PyVal::Str(s) = recv else {
        return Err(unknown(format!(
            "method `{method}` of a {}",
            recv.type_name()
        )));
    };
    match (method, args) {
        ("lower", []) => Ok(PyVal::Str(s.to_lowercase())),
        ("upper", []) => Ok(PyVal::Str(s.to_uppercase())),
        ("strip", []) => Ok(PyVal::Str(s.trim().to_string())),
        ("split", []) => Ok(PyVal::List(
            s.split_whitespace()
                .map(|p| PyVal::Str(p.to_string()))
                .collect(),
        )),
        ("split", [PyVal::Str(sep)]) if !sep.is_empty() => Ok(PyVal::List(
            s.split(sep.as_str())
                .map(|p| PyVal::Str(p.to_string()))
                .collect(),
        )),
        ("isdigit", []) => Ok(PyVal::Bool(
            !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()),
        )),
        _ => Err(unknown(format!("str.{method}()"))),
    }
}

fn unary(op: &str, v: PyVal) -> EResult {
    match (op, &v) {
        ("-", PyVal::Float(f)) => Ok(PyVal::Float(-f)),
        ("+", PyVal::Float(f)) => Ok(PyVal::Float(*f)),
        ("-", _) if int_like(&v).is_some() => int_like(&v)
            .and_then(i64::checked_neg)
            .map(PyVal::Int)
            .ok_or_else(|| unknown("integer overflow")),
        ("+", _) if int_like(&v).is_some() => Ok(PyVal::Int(int_like(&v).unwrap_or(0))),
        ("~", _) if int_like(&v).is_some() => Ok(PyVal::Int(!int_like(&v).unwrap_or(0))),
        _ => Err(raise(format!(
            "TypeError: bad operand type for unary {op}: '{}'",
            v.type_name()
        ))),
    }
}

const MAX_STR: usize = 1 << 20;

fn binary(op: &str, a: PyVal, b: PyVal) -> EResult {
    let overflow = || unknown("integer overflow");
    if let (Some(x), Some(y)) = (int_like(&a), int_like(&b)) {
        return match op {
            "+" => x.checked_add(y).map(PyVal::Int).ok_or_else(overflow),
            "-" => x.checked_sub(y).map(PyVal::Int).ok_or_else(overflow),
            "*" => x.checked_mul(y).map(PyVal::Int).ok_or_else(overflow),
            "/" if y == 0 => Err(raise("ZeroDivisionError: division by zero")),
            #[allow(clippy::cast_precision_loss)]
            "/" => Ok(PyVal::Float(x as f64 / y as f64)),
            "//" | "%" if y == 0 => Err(raise(
                "ZeroDivisionError: integer division or modulo by zero",
            )),
            "//" => {
                let q = x.checked_div(y).ok_or_else(overflow)?;
                let adjust = x.checked_rem(y).is_some_and(|r| r != 0) && ((x < 0) != (y < 0));
                Ok(PyVal::Int(if adjust { q - 1 } else { q }))
            }
            "%" => {
                let r = x.checked_rem(y).ok_or_else(overflow)?;
                Ok(PyVal::Int(if r != 0 && ((r < 0) != (y < 0)) {
                    r + y
                } else {
                    r
                }))
            }
            "**" if y >= 0 => u32::try_from(y)
                .ok()
                .and_then(|e| x.checked_pow(e))
                .map(PyVal::Int)
                .ok_or_else(overflow),
            _ => Err(unknown(format!("operator {op}"))),
        };
    }
    if let (Some(x), Some(y)) = (num(&a), num(&b)) {
        return match op {
            "+" => Ok(PyVal::Float(x + y)),
            "-" => Ok(PyVal::Float(x - y)),
            "*" => Ok(PyVal::Float(x * y)),
            "/" | "//" | "%" if y == 0.0 => Err(raise("ZeroDivisionError: float division by zero")),
            "/" => Ok(PyVal::Float(x / y)),
            "//" => Ok(PyVal::Float((x / y).floor())),
            _ => Err(unknown(format!("float operator {op}"))),
        };
    }
    match (op, &a, &b) {
        ("+", PyVal::Str(x), PyVal::Str(y)) => Ok(PyVal::Str(format!("{x}{y}"))),
        ("+", PyVal::List(x), PyVal::List(y)) => {
            Ok(PyVal::List(x.iter().chain(y.iter()).cloned().collect()))
        }
        ("+", PyVal::Tuple(x), PyVal::Tuple(y)) => {
            Ok(PyVal::Tuple(x.iter().chain(y.iter()).cloned().collect()))
        }
        ("*", PyVal::Str(s), n) | ("*", n, PyVal::Str(s)) if int_like(n).is_some() => {
            let n = usize::try_from(int_like(n).unwrap_or(0)).unwrap_or(0);
            if s.len().saturating_mul(n) > MAX_STR {
                return Err(unknown("a very long string"));
            }
            Ok(PyVal::Str(s.repeat(n)))
        }
        ("%", PyVal::Str(fmt), args) => percent_format(fmt, args),
        ("+" | "-" | "*" | "/" | "//" | "%" | "**", _, _) => Err(raise(format!(
            "TypeError: unsupported operand type(s) for {op}: '{}' and '{}'",
            a.type_name(),
            b.type_name()
        ))),
        _ => Err(unknown(format!("operator {op}"))),
    }
}

/// `"…%s…" % x` with `%s`, `%d` and `%%` only.
fn percent_format(fmt: &str, args: &PyVal) -> EResult {
    let items: Vec<PyVal> = match args {
        PyVal::Tuple(v) => v.clone(),
        other => vec![other.clone()],
    };
    let mut it = items.iter();
    let mut out = String::new();
    let mut chars = fmt.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some('s') => {
                let v = it
                    .next()
                    .ok_or_else(|| raise("TypeError: not enough arguments for format string"))?;
                out.push_str(&v.py_str().ok_or_else(|| unknown("%s of this value"))?);
            }
            Some('d') => {
                let v = it
                    .next()
                    .ok_or_else(|| raise("TypeError: not enough arguments for format string"))?;
                let i = int_like(v).ok_or_else(|| unknown("%d of this value"))?;
                out.push_str(&i.to_string());
            }
            _ => return Err(unknown("a % format other than %s/%d")),
        }
    }
    if it.next().is_some() {
        return Err(raise(
            "TypeError: not all arguments converted during string formatting",
        ));
    }
    Ok(PyVal::Str(out))
}

fn compare(op: &str, a: &PyVal, b: &PyVal) -> Result<bool, Fail> {
    match op {
        "==" => eq(a, b),
        "!=" => eq(a, b).map(|e| !e),
        "is" | "is not" => match (a, b) {
            (PyVal::None, _) | (_, PyVal::None) => {
                let same = matches!((a, b), (PyVal::None, PyVal::None));
                Ok(if op == "is" { same } else { !same })
            }
            _ => Err(unknown("`is` between values")),
        },
        "in" | "not in" => {
            let found = match b {
                PyVal::Str(h) => match a {
                    PyVal::Str(n) => h.contains(n.as_str()),
                    _ => {
                        return Err(raise(
                            "TypeError: 'in <string>' requires string as left operand",
                        ));
                    }
                },
                PyVal::List(v) | PyVal::Tuple(v) => {
                    let mut f = false;
                    for x in v {
                        if eq(a, x)? {
                            f = true;
                            break;
                        }
                    }
                    f
                }
                PyVal::Object(o) if o == "os.environ" => return Err(unknown("`in os.environ`")),
                _ => return Err(unknown(format!("`in` a {}", b.type_name()))),
            };
            Ok(if op == "in" { found } else { !found })
        }
        _ => {
            let ord = match (num(a), num(b), a, b) {
                (Some(x), Some(y), _, _) => x.partial_cmp(&y),
                (_, _, PyVal::Str(x), PyVal::Str(y)) => Some(x.cmp(y)),
                _ => {
                    return Err(raise(format!(
                        "TypeError: '{op}' not supported between instances of '{}' and '{}'",
                        a.type_name(),
                        b.type_name()
                    )));
                }
            };
            let Some(o) = ord else { return Ok(false) };
            Ok(match op {
                "<" => o.is_lt(),
                ">" => o.is_gt(),
                "<=" => o.is_le(),
                ">=" => o.is_ge(),
                _ => false,
            })
        }
    }
}

fn eq(a: &PyVal, b: &PyVal) -> Result<bool, Fail> {
    if let (Some(x), Some(y)) = (num(a), num(b)) {
        return Ok(x == y);
    }
    match (a, b) {
        (PyVal::Object(_), _) | (_, PyVal::Object(_)) => Err(unknown("comparing objects")),
        _ => Ok(a == b),
    }
}

// ---------------------------------------------------------------------------------------------
// Statements

const COMPOUND: &[&str] = &[
    "if", "elif", "else", "for", "while", "with", "try", "except", "finally", "def", "class",
    "async", "match", "case",
];

fn snippet(text: &str) -> String {
    let t = text.trim();
    let one: String = t.split('\n').next().unwrap_or("").trim().to_string();
    let mut s: String = one.chars().take(80).collect();
    if s.len() < one.len() || one.len() < t.len() {
        s.push('…');
    }
    s
}

/// Splits a logical line's tokens on top-level `;`.
fn statements(toks: &[Tok]) -> Vec<&[Tok]> {
    toks.split(|t| *t == Tok::Op(";"))
        .filter(|s| !s.is_empty())
        .collect()
}

/// The names a statement binds, wherever it is (for the NameError pre-scan).
fn bound_names(toks: &[Tok], out: &mut BTreeSet<String>) -> bool {
    let mut star = false;
    let first = match toks.first() {
        Some(Tok::Name(n)) => n.as_str(),
        _ => return false,
    };
    match first {
        "import" | "from" => {
            let mut i = 1;
            if first == "from" {
                while i < toks.len() && toks[i] != Tok::Name("import".into()) {
                    i += 1;
                }
                i += 1;
            }
            let mut last_name: Option<String> = None;
            while i < toks.len() {
                match &toks[i] {
                    Tok::Name(n) if n == "as" => {}
                    Tok::Name(n) if toks.get(i.wrapping_sub(1)) != Some(&Tok::Op(".")) => {
                        last_name = Some(n.clone());
                    }
                    Tok::Op(",") => {
                        if let Some(n) = last_name.take() {
                            out.insert(n);
                        }
                    }
                    Tok::Op("*") => star = true,
                    _ => {}
                }
                i += 1;
            }
            if let Some(n) = last_name {
                out.insert(n);
            }
            // `import a.b` binds `a`: also record the first segment.
            if first == "import"
                && let Some(Tok::Name(n)) = toks.get(1)
            {
                out.insert(n.clone());
            }
        }
        "def" | "class" | "for" | "global" | "nonlocal" | "del" => {
            for t in toks.iter().skip(1) {
                match t {
                    Tok::Name(n) if n == "in" => break,
                    Tok::Name(n) => {
                        out.insert(n.clone());
                    }
                    Tok::Op("(" | ":") => break,
                    _ => {}
                }
            }
        }
        _ => {}
    }
    // Any `NAME =` / `NAME :=` / `as NAME` in the statement.
    for w in toks.windows(2) {
        match (&w[0], &w[1]) {
            (
                Tok::Name(n),
                Tok::Op("=" | ":=" | "+=" | "-=" | "*=" | "/=" | "//=" | "%=" | ","),
            ) => {
                out.insert(n.clone());
            }
            (Tok::Name(a), Tok::Name(n)) if a == "as" => {
                out.insert(n.clone());
            }
            _ => {}
        }
    }
    star
}

/// Reads a config file's text. Never panics, never executes anything.
pub fn parse(src: &str, env: &Env) -> ConfFile {
    let mut out = ConfFile::default();
    let lines = match lex(src) {
        Ok(l) => l,
        Err((line, why)) => {
            // The file is not Python headroom can read; every setting it might hold is unknown.
            out.names.insert(
                "*".into(),
                Binding::Unknown(format!("line {line}: cannot parse the file ({why})")),
            );
            return out;
        }
    };
    let mut ev = Eval {
        env,
        ns: BTreeMap::new(),
        maybe_bound: BTreeSet::new(),
        star_import: false,
    };
    for l in &lines {
        for st in statements(&l.toks) {
            if bound_names(st, &mut ev.maybe_bound) {
                ev.star_import = true;
            }
        }
    }
    let mut i = 0;
    while i < lines.len() {
        let l = &lines[i];
        i += 1;
        let first = match l.toks.first() {
            Some(Tok::Name(n)) => n.as_str(),
            Some(Tok::Op("@")) => "def",
            _ => "",
        };
        let is_compound = COMPOUND.contains(&first)
            && !matches!(l.toks.get(1), Some(Tok::Op("=" | "." | "(" | "[")));
        if l.indent > 0 && !is_compound {
            // A stray indented line outside any block we followed: treat like a block body.
            block_line(&mut ev, l, "block");
            continue;
        }
        if is_compound {
            // Collect the block: this line and every following line indented deeper.
            let kind = first;
            let base = l.indent;
            let mut body = vec![l];
            while i < lines.len() && lines[i].indent > base {
                body.push(&lines[i]);
                i += 1;
            }
            if matches!(kind, "def" | "class" | "async") {
                // The name is bound to a function/class; its body runs later, not at load.
                if let Some(Tok::Name(n)) = l
                    .toks
                    .iter()
                    .skip_while(|t| !matches!(t, Tok::Name(k) if k == "def" || k == "class"))
                    .nth(1)
                {
                    ev.ns.insert(
                        n.clone(),
                        Slot::Unknown(format!("line {}: `{n}` is a function or class", l.no)),
                    );
                }
                continue;
            }
            let mut skip_indent: Option<usize> = None;
            for (k, bl) in body.iter().enumerate() {
                if let Some(ind) = skip_indent {
                    if bl.indent > ind {
                        continue;
                    }
                    skip_indent = None;
                }
                let starts_def =
                    matches!(bl.toks.first(), Some(Tok::Name(n)) if n == "def" || n == "class");
                if starts_def && k > 0 {
                    skip_indent = Some(bl.indent);
                    continue;
                }
                block_line(&mut ev, bl, kind);
            }
            continue;
        }
        for st in statements(&l.toks) {
            simple_statement(&mut ev, st, l, &mut out.errors);
        }
    }
    for (name, slot) in ev.ns {
        let b = match slot {
            Slot::Val(v, line) => Binding::Value(v, line),
            Slot::Unknown(why) => Binding::Unknown(why),
            Slot::Module(m) => Binding::Value(PyVal::Object(format!("module {m}")), 0),
            Slot::Func(f) => Binding::Value(PyVal::Object(format!("function {f}")), 0),
        };
        out.names.insert(name, b);
    }
    if ev.star_import {
        out.names.insert(
            "*".into(),
            Binding::Unknown("a `from … import *` may set any setting".into()),
        );
    }
    out
}

/// A line inside an `if`/`for`/`try`/`with` block: whatever it binds depends on run-time control
/// flow, so those names become unknown; imports are still recorded (they nearly always succeed).
fn block_line(ev: &mut Eval, l: &Line, kind: &str) {
    let mut names = BTreeSet::new();
    // One-line compounds (`if x: workers = 3`): look after the first top-level `:`.
    let toks: &[Tok] = if COMPOUND.contains(&match l.toks.first() {
        Some(Tok::Name(n)) => n.as_str(),
        _ => "",
    }) {
        match l.toks.iter().position(|t| *t == Tok::Op(":")) {
            Some(p) if p + 1 < l.toks.len() => &l.toks[p + 1..],
            _ => {
                // The header itself: `for x in …:` / `with … as x:` bind names.
                bound_names(&l.toks, &mut names);
                &[]
            }
        }
    } else {
        &l.toks
    };
    for st in statements(toks) {
        if matches!(st.first(), Some(Tok::Name(n)) if n == "import" || n == "from") {
            let mut ignore = Vec::new();
            import(ev, st, &mut ignore);
            continue;
        }
        bound_names(st, &mut names);
    }
    for n in names {
        ev.ns.insert(
            n.clone(),
            Slot::Unknown(format!(
                "line {}: `{n}` is assigned inside a `{kind}` block: cannot evaluate statically: {}",
                l.no,
                snippet(&l.text)
            )),
        );
    }
}

fn import(ev: &mut Eval, st: &[Tok], _errors: &mut Vec<String>) {
    let names: Vec<String> = st
        .iter()
        .map(|t| match t {
            Tok::Name(n) => n.clone(),
            Tok::Op(o) => (*o).to_string(),
            _ => String::new(),
        })
        .collect();
    let known_module = |m: &str| -> Option<&'static str> {
        match m {
            "os" => Some("os"),
            "multiprocessing" => Some("multiprocessing"),
            "os.environ" => Some("os.environ"),
            _ => None,
        }
    };
    if names.first().map(String::as_str) == Some("import") {
        // import a, b.c as d
        for part in names[1..].split(|w| w == ",") {
            let (dotted, alias) = match part.iter().position(|w| w == "as") {
                Some(p) => (part[..p].concat(), part.get(p + 1).cloned()),
                None => (part.concat(), None),
            };
            match alias {
                Some(a) => {
                    let slot = known_module(&dotted).map_or_else(
                        || Slot::Unknown(format!("`{a}` is the module {dotted}")),
                        Slot::Module,
                    );
                    ev.ns.insert(a, slot);
                }
                None => {
                    let top = dotted.split('.').next().unwrap_or("").to_string();
                    let slot = known_module(&top).map_or_else(
                        || Slot::Unknown(format!("`{top}` is the module {top}")),
                        Slot::Module,
                    );
                    ev.ns.insert(top, slot);
                }
            }
        }
        return;
    }
    // from m import a as b, c
    let Some(imp) = names.iter().position(|w| w == "import") else {
        return;
    };
    let module = names[1..imp].concat();
    let rest: Vec<String> = names[imp + 1..]
        .iter()
        .filter(|w| *w != "(" && *w != ")")
        .cloned()
        .collect();
    for part in rest.split(|w| w == ",") {
        let Some(name) = part.first() else { continue };
        if name == "*" {
            continue;
        }
        let alias = match part.iter().position(|w| w == "as") {
            Some(p) => part.get(p + 1).cloned().unwrap_or_else(|| name.clone()),
            None => name.clone(),
        };
        let full = format!("{module}.{name}");
        let slot = match full.as_str() {
            "os.environ" => Slot::Module("os.environ"),
            "os.getenv" => Slot::Func("os.getenv"),
            "os.cpu_count" => Slot::Func("os.cpu_count"),
            "multiprocessing.cpu_count" => Slot::Func("multiprocessing.cpu_count"),
            _ => Slot::Unknown(format!("`{alias}` is imported from {module}")),
        };
        ev.ns.insert(alias, slot);
    }
}

fn simple_statement(ev: &mut Eval, st: &[Tok], l: &Line, errors: &mut Vec<String>) {
    match st.first() {
        Some(Tok::Name(n)) if n == "import" || n == "from" => {
            import(ev, st, errors);
            return;
        }
        Some(Tok::Name(n)) if n == "del" => {
            for t in &st[1..] {
                if let Tok::Name(n) = t {
                    ev.ns.remove(n);
                }
            }
            return;
        }
        Some(Tok::Name(n))
            if matches!(
                n.as_str(),
                "pass" | "global" | "nonlocal" | "assert" | "raise" | "return"
            ) =>
        {
            return;
        }
        _ => {}
    }
    // Split `a = b = expr` on top-level `=`.
    let mut depth = 0i32;
    let mut parts: Vec<&[Tok]> = Vec::new();
    let mut start = 0;
    let mut aug: Option<&'static str> = None;
    let mut annotated = false;
    for (k, t) in st.iter().enumerate() {
        match t {
            Tok::Op("(" | "[" | "{") => depth += 1,
            Tok::Op(")" | "]" | "}") => depth -= 1,
            Tok::Op("=") if depth == 0 => {
                parts.push(&st[start..k]);
                start = k + 1;
            }
            Tok::Op(o @ ("+=" | "-=" | "*=" | "/=" | "//=" | "%=" | "**="))
                if depth == 0 && parts.is_empty() =>
            {
                aug = Some(o);
                parts.push(&st[start..k]);
                start = k + 1;
            }
            Tok::Op(":") if depth == 0 && parts.is_empty() && k == 1 => annotated = true,
            _ => {}
        }
    }
    let rhs = &st[start..];
    if parts.is_empty() {
        // An expression statement (a call, a docstring): ignored, it binds nothing.
        return;
    }
    let snip = snippet(&l.text);
    let value: Result<PyVal, Fail> = {
        let mut p = Parser { toks: rhs, pos: 0 };
        match p.exprs() {
            Ok(e) if p.pos == rhs.len() => ev.eval(&e),
            Ok(_) | Err(_) => Err(unknown("")),
        }
    };
    let value = match (aug, value) {
        (Some(op), Ok(v)) => {
            let target = match parts.first().and_then(|p| p.first()) {
                Some(Tok::Name(n)) => n.clone(),
                _ => String::new(),
            };
            ev.name(&target)
                .and_then(|cur| binary(op.trim_end_matches('='), cur, v))
        }
        (_, v) => v,
    };
    if let Err(Fail::Raise(e)) = &value {
        errors.push(format!("line {}: {e}", l.no));
    }
    for target in parts {
        let target = if annotated {
            target.get(..1).unwrap_or(target)
        } else {
            target
        };
        let names: Vec<&String> = target
            .iter()
            .filter_map(|t| match t {
                Tok::Name(n) => Some(n),
                _ => None,
            })
            .collect();
        let simple = target.len() == 1 && names.len() == 1;
        let tuple = target
            .iter()
            .all(|t| matches!(t, Tok::Name(_) | Tok::Op("," | "(" | ")" | "[" | "]")));
        let slot_for = |v: &Result<PyVal, Fail>| match v {
            Ok(v) => Slot::Val(v.clone(), l.no),
            Err(Fail::Unknown(why)) => {
                let why = if why.is_empty() {
                    String::new()
                } else {
                    format!(" ({why})")
                };
                Slot::Unknown(format!(
                    "line {}: cannot evaluate statically: {snip}{why}",
                    l.no
                ))
            }
            Err(Fail::Raise(e)) => Slot::Unknown(format!(
                "line {}: {e}: gunicorn exits with 'Failed to read config file'",
                l.no
            )),
        };
        if simple {
            ev.ns.insert(names[0].clone(), slot_for(&value));
        } else if tuple {
            let items = match &value {
                Ok(PyVal::Tuple(v) | PyVal::List(v)) if v.len() == names.len() => Some(v.clone()),
                _ => None,
            };
            for (k, n) in names.iter().enumerate() {
                let s = match &items {
                    Some(v) => Slot::Val(v[k].clone(), l.no),
                    None => slot_for(&Err(unknown("unpacking"))),
                };
                ev.ns.insert((*n).clone(), s);
            }
        }
        // Attribute and item targets (`os.environ["X"] = …`) change no module-level name.
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    }

    fn read(src: &str, vars: &BTreeMap<String, String>) -> ConfFile {
        parse(
            src,
            &Env {
                vars: Some(vars),
                cpus: Some(4),
            },
        )
    }

    fn val(c: &ConfFile, n: &str) -> Option<PyVal> {
        match c.get(n) {
            Some(Binding::Value(v, _)) => Some(v.clone()),
            _ => None,
        }
    }

    #[test]
    fn literals_arithmetic_and_names() {
        let c = read(
            "# comment\nimport multiprocessing\nbase = 2\nworkers = multiprocessing.cpu_count() * base + 1\n\
             timeout = (30 + 15) // 2  # trailing\nkeepalive = 7 % 4\nbind = ['0.0.0.0:8000', \"unix:/x\"]\n\
             preload_app = True\nmax_requests = 1_000\nthreads = int('3')\n",
            &env_of(&[]),
        );
        assert!(c.errors.is_empty(), "{:?}", c.errors);
        assert_eq!(val(&c, "workers"), Some(PyVal::Int(9)));
        assert_eq!(c.get("workers"), Some(&Binding::Value(PyVal::Int(9), 4)));
        assert_eq!(val(&c, "timeout"), Some(PyVal::Int(22)));
        assert_eq!(val(&c, "keepalive"), Some(PyVal::Int(3)));
        assert_eq!(val(&c, "preload_app"), Some(PyVal::Bool(true)));
        assert_eq!(val(&c, "max_requests"), Some(PyVal::Int(1000)));
        assert_eq!(val(&c, "threads"), Some(PyVal::Int(3)));
        assert_eq!(
            val(&c, "bind"),
            Some(PyVal::List(vec![
                PyVal::Str("0.0.0.0:8000".into()),
                PyVal::Str("unix:/x".into())
            ]))
        );
    }

    #[test]
    fn environment_lookups() {
        let e = env_of(&[("WORKERS", "5"), ("PORT", "9000")]);
        let c = read(
            "import os\nfrom os import getenv\nworkers = int(os.environ.get('WORKERS', 2))\n\
             threads = int(getenv('THREADS', '3'))\nbind = f\"0.0.0.0:{os.environ['PORT']}\"\n\
             timeout = int(os.getenv('TIMEOUT') or 60)\nworker_tmp_dir = '/dev/shm' if os.cpu_count() > 2 else None\n",
            &e,
        );
        assert_eq!(val(&c, "workers"), Some(PyVal::Int(5)));
        assert_eq!(val(&c, "threads"), Some(PyVal::Int(3)));
        assert_eq!(val(&c, "bind"), Some(PyVal::Str("0.0.0.0:9000".into())));
        assert_eq!(val(&c, "timeout"), Some(PyVal::Int(60)));
        assert_eq!(
            val(&c, "worker_tmp_dir"),
            Some(PyVal::Str("/dev/shm".into()))
        );
    }

    #[test]
    fn unknown_with_line_and_snippet() {
        let c = read(
            "import os\nworkers = 3\nworkers = compute_workers()\ndef compute_workers():\n    return 4\n\
             if os.environ.get('X'):\n    timeout = 10\n",
            &env_of(&[]),
        );
        match c.get("workers") {
            Some(Binding::Unknown(why)) => {
                assert!(
                    why.starts_with(
                        "line 3: cannot evaluate statically: workers = compute_workers()"
                    ),
                    "{why}"
                );
            }
            other => panic!("{other:?}"),
        }
        match c.get("timeout") {
            Some(Binding::Unknown(why)) => assert!(
                why.contains("line 7") && why.contains("`if` block"),
                "{why}"
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn python_errors_are_reported() {
        let c = read(
            "import os\nworkers = int(os.environ.get('WEB', 'auto'))\n",
            &env_of(&[]),
        );
        assert_eq!(c.errors.len(), 1);
        assert!(
            c.errors[0]
                .contains("line 2: ValueError: invalid literal for int() with base 10: 'auto'"),
            "{:?}",
            c.errors
        );
        let c = read("workers = undefined_name + 1\n", &env_of(&[]));
        assert!(c.errors[0].contains("NameError"), "{:?}", c.errors);
        let c = read("workers = cpu_count()\n", &env_of(&[]));
        assert!(c.errors[0].contains("NameError"), "{:?}", c.errors);
    }

    #[test]
    fn never_panics_on_garbage() {
        // A fixed-seed xorshift: reproducible, no dependency.
        let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
        let alphabet: &[u8] = b"abcxyz_019 \t\n\\'\"#()[]{}:;,.=+-*/%<>!@~&|^fbr\xc3\xa9\xff";
        let e = env_of(&[("A", "1")]);
        for round in 0..4000 {
            let len = (round % 97) + 1;
            let mut bytes = Vec::with_capacity(len);
            for _ in 0..len {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                let k = usize::try_from(s % alphabet.len() as u64).unwrap_or(0);
                bytes.push(alphabet[k]);
            }
            let text = String::from_utf8_lossy(&bytes);
            let _ = read(&text, &e);
            let _ = read(&format!("workers = {text}\n"), &e);
        }
    }
}
