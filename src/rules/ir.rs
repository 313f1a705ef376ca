//! The compiled form of rule conditions and message templates: flat lists of nodes that the
//! shipped rules carry as static data.
//!
//! evalexpr parses; this module lowers its operator tree into [`Node`]s and splits templates
//! into [`Piece`]s. `build.rs` includes this file and lowers every shipped condition and message
//! when headroom is built, so a check parses no expression: parsing the conditions and messages a
//! run reaches was the largest share of its user-space time (~0.4 ms of a 3 ms check). Rules from
//! `--rules DIR` are type-checked on evalexpr's tree (`condition.rs`), then lowered the same way.
//! This file uses only `std` and evalexpr, so the build script can include it.

use evalexpr::{DefaultNumericTypes, Node as Tree, Operator, Value as EValue};
use std::borrow::Cow;
use std::fmt::Write as _;

pub type Str = Cow<'static, str>;

/// Names usable in conditions that are not facts.
pub const CONSTANTS: &[(&str, i64)] = &[
    ("KiB", 1 << 10),
    ("MiB", 1 << 20),
    ("GiB", 1 << 30),
    ("TiB", 1 << 40),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bin {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Exp,
    Eq,
    Neq,
    Lt,
    Gt,
    Leq,
    Geq,
    And,
    Or,
}

impl Bin {
    /// Binding strength, as evalexpr parses it (higher binds tighter).
    fn precedence(self) -> u8 {
        match self {
            Bin::Or => 1,
            Bin::And => 2,
            Bin::Eq | Bin::Neq | Bin::Lt | Bin::Gt | Bin::Leq | Bin::Geq => 3,
            Bin::Add | Bin::Sub => 4,
            Bin::Mul | Bin::Div | Bin::Mod => 5,
            Bin::Exp => 6,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Bin::Add => "+",
            Bin::Sub => "-",
            Bin::Mul => "*",
            Bin::Div => "/",
            Bin::Mod => "%",
            Bin::Exp => "^",
            Bin::Eq => "==",
            Bin::Neq => "!=",
            Bin::Lt => "<",
            Bin::Gt => ">",
            Bin::Leq => "<=",
            Bin::Geq => ">=",
            Bin::And => "&&",
            Bin::Or => "||",
        }
    }
}

/// Functions conditions may call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Func {
    Min,
    Max,
    Abs,
    Floor,
    Ceil,
    Round,
    If,
}

/// Every function by its name in a condition.
pub const FUNCTIONS: &[(&str, Func)] = &[
    ("min", Func::Min),
    ("max", Func::Max),
    ("abs", Func::Abs),
    ("floor", Func::Floor),
    ("ceil", Func::Ceil),
    ("round", Func::Round),
    ("if", Func::If),
];

impl Func {
    pub fn name(self) -> &'static str {
        FUNCTIONS
            .iter()
            .find(|(_, f)| *f == self)
            .map_or("?", |(n, _)| n)
    }
}

/// One node. Operands are indices of earlier nodes; the root is the last node.
#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(Str),
    /// A named constant (`GiB`), kept by name so an expression prints as written.
    Const(&'static str, i64),
    Fact(Str),
    Not(u32),
    Neg(u32),
    Bin(Bin, u32, u32),
    /// An argument of the call that follows it: a call's arguments are `Arg` nodes in a row.
    Arg(u32),
    /// A call with the index of its first `Arg` node and the number of arguments.
    Call(Func, u32, u32),
}

/// How a template hole's value is formatted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Filter {
    Plain,
    Bytes,
    Duration,
    Percent,
}

/// A piece of a message template.
#[derive(Clone, Debug, PartialEq)]
pub enum Piece {
    Text(Str),
    Expr(Cow<'static, [Node]>, Filter),
    /// `{{ fact.source }}`: where the fact came from.
    Source(Str),
}

/// A piece of template text before its holes are compiled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Raw<'a> {
    Text(&'a str),
    /// A hole's trimmed contents and their byte offset in the template.
    Hole(usize, &'a str),
}

/// Splits a template into text and `{{ … }}` holes; `Err` gives the offset of a `{{` that is
/// never closed.
pub fn split_template(text: &str) -> Result<Vec<Raw<'_>>, usize> {
    let mut out = Vec::new();
    let mut rest = text;
    let mut base = 0;
    while let Some(open) = rest.find("{{") {
        if open > 0 {
            out.push(Raw::Text(&rest[..open]));
        }
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            return Err(base + open);
        };
        let inner = &after[..close];
        let at = base + open + 2 + (inner.len() - inner.trim_start().len());
        out.push(Raw::Hole(at, inner.trim()));
        let consumed = open + 2 + close + 2;
        base += consumed;
        rest = &rest[consumed..];
    }
    if !rest.is_empty() {
        out.push(Raw::Text(rest));
    }
    Ok(out)
}

/// Splits `expr | filter` on the last single `|` (a `||` belongs to the expression); `Err`
/// gives an unknown filter's name.
pub fn split_filter(inner: &str) -> Result<(&str, Filter), &str> {
    let bytes = inner.as_bytes();
    let split = (0..bytes.len()).rev().find(|&i| {
        bytes[i] == b'|' && bytes.get(i + 1) != Some(&b'|') && (i == 0 || bytes[i - 1] != b'|')
    });
    let Some(i) = split else {
        return Ok((inner, Filter::Plain));
    };
    let name = inner[i + 1..].trim();
    let filter = match name {
        "bytes" => Filter::Bytes,
        "duration" => Filter::Duration,
        "percent" => Filter::Percent,
        _ => return Err(name),
    };
    Ok((inner[..i].trim(), filter))
}

/// The argument nodes of a function call: evalexpr gives one child, a tuple for several args.
pub fn call_args(n: &Tree<DefaultNumericTypes>) -> Vec<&Tree<DefaultNumericTypes>> {
    let mut out = Vec::new();
    for c in n.children() {
        let inner = if matches!(c.operator(), Operator::RootNode) && c.children().len() == 1 {
            &c.children()[0]
        } else {
            c
        };
        if matches!(inner.operator(), Operator::Tuple) {
            out.extend(inner.children().iter());
        } else {
            out.push(inner);
        }
    }
    out
}

/// Lowers an evalexpr tree. Type checking happens before (on the tree, where errors can quote
/// it); an error here is a shape no condition may have.
pub fn lower(tree: &Tree<DefaultNumericTypes>) -> Result<Vec<Node>, String> {
    let mut out = Vec::new();
    push(tree, &mut out)?;
    Ok(out)
}

fn push(n: &Tree<DefaultNumericTypes>, out: &mut Vec<Node>) -> Result<u32, String> {
    use Operator as O;
    let kids = n.children();
    let node = match n.operator() {
        O::RootNode => {
            return match kids {
                [one] => push(one, out),
                [] => Err("empty expression".into()),
                _ => Err("several expressions in one".into()),
            };
        }
        O::Const { value } => match value {
            EValue::Int(i) => Node::Int(*i),
            EValue::Float(f) => Node::Float(*f),
            EValue::Boolean(b) => Node::Bool(*b),
            EValue::String(s) => Node::Str(Cow::Owned(s.clone())),
            other => return Err(format!("unsupported constant {other}")),
        },
        O::VariableIdentifierRead { identifier } => {
            match CONSTANTS.iter().find(|(c, _)| c == identifier) {
                Some(&(name, v)) => Node::Const(name, v),
                None => Node::Fact(Cow::Owned(identifier.clone())),
            }
        }
        O::Not | O::Neg => {
            let [a] = kids else {
                return Err(format!("`{n}` needs one operand"));
            };
            let a = push(a, out)?;
            if matches!(n.operator(), O::Not) {
                Node::Not(a)
            } else {
                Node::Neg(a)
            }
        }
        O::FunctionIdentifier { identifier } => {
            let Some(&(_, f)) = FUNCTIONS.iter().find(|(name, _)| name == identifier) else {
                return Err(format!("unknown function `{identifier}`"));
            };
            let args = call_args(n)
                .into_iter()
                .map(|a| push(a, out))
                .collect::<Result<Vec<u32>, String>>()?;
            let first = index(out.len())?;
            out.extend(args.iter().map(|&a| Node::Arg(a)));
            Node::Call(f, first, index(args.len())?)
        }
        op => {
            let bin = match op {
                O::Add => Bin::Add,
                O::Sub => Bin::Sub,
                O::Mul => Bin::Mul,
                O::Div => Bin::Div,
                O::Mod => Bin::Mod,
                O::Exp => Bin::Exp,
                O::Eq => Bin::Eq,
                O::Neq => Bin::Neq,
                O::Lt => Bin::Lt,
                O::Gt => Bin::Gt,
                O::Leq => Bin::Leq,
                O::Geq => Bin::Geq,
                O::And => Bin::And,
                O::Or => Bin::Or,
                _ => return Err(format!("`{n}` is not allowed in a condition")),
            };
            let [a, b] = kids else {
                return Err(format!("`{n}` needs two operands"));
            };
            let (a, b) = (push(a, out)?, push(b, out)?);
            Node::Bin(bin, a, b)
        }
    };
    out.push(node);
    index(out.len() - 1)
}

fn index(i: usize) -> Result<u32, String> {
    u32::try_from(i).map_err(|_| "expression too large".to_string())
}

/// The index of the root node.
pub fn root(nodes: &[Node]) -> usize {
    nodes.len().saturating_sub(1)
}

/// The arguments of the call at `first`..`first + len`, as node indices.
pub fn args(nodes: &[Node], first: u32, len: u32) -> impl Iterator<Item = usize> + '_ {
    let (first, len) = (first as usize, len as usize);
    nodes
        .get(first..first + len)
        .unwrap_or_default()
        .iter()
        .filter_map(|n| match n {
            Node::Arg(a) => Some(*a as usize),
            _ => None,
        })
}

/// The fact names the nodes read, in order (with repeats).
pub fn facts(nodes: &[Node]) -> impl Iterator<Item = &str> {
    nodes.iter().filter_map(|n| match n {
        Node::Fact(f) => Some(f.as_ref()),
        _ => None,
    })
}

/// The fact names a template reads: its holes' facts and its sources, in order (with repeats).
pub fn template_facts(pieces: &[Piece]) -> impl Iterator<Item = &str> {
    pieces.iter().flat_map(|p| {
        let (nodes, source): (&[Node], Option<&str>) = match p {
            Piece::Text(_) => (&[], None),
            Piece::Expr(nodes, _) => (nodes, None),
            Piece::Source(name) => (&[], Some(name)),
        };
        facts(nodes).chain(source)
    })
}

/// The subexpression at `i` as written, for messages.
pub fn infix(nodes: &[Node], i: usize) -> String {
    let at = |j: u32| infix(nodes, j as usize);
    match nodes.get(i) {
        None => String::new(),
        Some(Node::Int(v)) => v.to_string(),
        Some(Node::Float(v)) => format!("{v:?}"),
        Some(Node::Bool(v)) => v.to_string(),
        Some(Node::Str(s)) => format!("{s:?}"),
        Some(Node::Const(name, _)) => (*name).to_string(),
        Some(Node::Fact(f)) => f.to_string(),
        Some(n @ (Node::Not(a) | Node::Neg(a))) => {
            let sign = if matches!(n, Node::Not(_)) { "!" } else { "-" };
            match nodes.get(*a as usize) {
                Some(Node::Bin(..)) => format!("{sign}({})", at(*a)),
                _ => format!("{sign}{}", at(*a)),
            }
        }
        Some(Node::Bin(op, a, b)) => {
            // Parentheses only where the operators' precedence needs them.
            let side = |j: u32, right: bool| {
                let text = at(j);
                match nodes.get(j as usize) {
                    Some(Node::Bin(inner, ..))
                        if inner.precedence() < op.precedence()
                            || (right && inner.precedence() == op.precedence()) =>
                    {
                        format!("({text})")
                    }
                    _ => text,
                }
            };
            format!("{} {} {}", side(*a, false), op.symbol(), side(*b, true))
        }
        Some(Node::Arg(a)) => at(*a),
        Some(Node::Call(f, first, len)) => {
            let parts: Vec<String> = args(nodes, *first, *len).map(|j| infix(nodes, j)).collect();
            format!("{}({})", f.name(), parts.join(", "))
        }
    }
}

/// Rust source for a static node list (`build.rs`); names resolve where `rules/mod.rs` uses them.
pub fn emit(nodes: &[Node]) -> String {
    let mut s = String::from("&[");
    for n in nodes {
        let _ = match n {
            Node::Int(v) => write!(s, "Node::Int({v}),"),
            Node::Float(v) => write!(s, "Node::Float(f64::from_bits({})),", v.to_bits()),
            Node::Bool(v) => write!(s, "Node::Bool({v}),"),
            Node::Str(v) => write!(s, "Node::Str(Cow::Borrowed({v:?})),"),
            Node::Const(name, v) => write!(s, "Node::Const({name:?}, {v}),"),
            Node::Fact(f) => write!(s, "Node::Fact(Cow::Borrowed({f:?})),"),
            Node::Not(a) => write!(s, "Node::Not({a}),"),
            Node::Neg(a) => write!(s, "Node::Neg({a}),"),
            Node::Bin(op, a, b) => write!(s, "Node::Bin(Bin::{op:?}, {a}, {b}),"),
            Node::Arg(a) => write!(s, "Node::Arg({a}),"),
            Node::Call(f, first, len) => write!(s, "Node::Call(Func::{f:?}, {first}, {len}),"),
        };
    }
    s.push(']');
    s
}

/// Rust source for a static template (`build.rs`).
pub fn emit_pieces(pieces: &[Piece]) -> String {
    let mut s = String::from("&[");
    for p in pieces {
        let _ = match p {
            Piece::Text(t) => write!(s, "Piece::Text(Cow::Borrowed({t:?})),"),
            Piece::Source(f) => write!(s, "Piece::Source(Cow::Borrowed({f:?})),"),
            Piece::Expr(nodes, filter) => write!(
                s,
                "Piece::Expr(Cow::Borrowed({}), Filter::{filter:?}),",
                emit(nodes)
            ),
        };
    }
    s.push(']');
    s
}
