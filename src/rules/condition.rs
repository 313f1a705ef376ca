//! Rule conditions: evalexpr syntax, type-checked against the fact registry when rules load.
//!
//! evalexpr (a maintained crate, pinned exactly) parses the expression; this module checks its
//! operator tree against the registry, and evaluates the lowered form ([`ir`]) that the shipped
//! rules carry precompiled. We evaluate ourselves rather than
//! through `evalexpr::eval` for three reasons measured on evalexpr 13.1: it does not
//! short-circuit `&&`/`||` (so `false && unknown.fact` could not be decided), it answers
//! `30 == 30.0` with `false` (int and float facts must compare as numbers), and it answers
//! `"x" == 1` with `false` instead of an error. The semantics kept are evalexpr's own otherwise:
//! checked i64 arithmetic, integer division truncates, int and float mix as floats.

use super::ir::{self, Bin, CONSTANTS, Func, Node};
use crate::facts::{FactType, Facts, Value, lookup};
use evalexpr::{DefaultNumericTypes, Operator};
use std::borrow::Cow;
use std::collections::BTreeSet;

type N = evalexpr::Node<DefaultNumericTypes>;
type EValue = evalexpr::Value<DefaultNumericTypes>;

/// A type-checked condition, lowered for evaluation.
#[derive(Clone, Debug)]
pub struct Condition {
    pub text: ir::Str,
    nodes: Cow<'static, [Node]>,
}

/// The static type of a subexpression.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    Int,
    Float,
    Bool,
    Str,
}

impl Ty {
    fn name(self) -> &'static str {
        match self {
            Ty::Int => "int",
            Ty::Float => "float",
            Ty::Bool => "bool",
            Ty::Str => "string",
        }
    }
    fn numeric(self) -> bool {
        matches!(self, Ty::Int | Ty::Float)
    }
    fn of(ft: FactType) -> Ty {
        match ft {
            FactType::Int => Ty::Int,
            FactType::Float => Ty::Float,
            FactType::Bool => Ty::Bool,
            FactType::Str => Ty::Str,
        }
    }
}

/// A problem found in an expression, with the fragment it is about so the caller can point at it.
#[derive(Clone, Debug, PartialEq)]
pub struct ExprError {
    pub message: String,
    /// Text to point the caret at inside the expression (an identifier), if any.
    pub at: Option<String>,
    pub help: Option<String>,
}

impl ExprError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            at: None,
            help: None,
        }
    }
}

/// Parses and type-checks `text`; `want` is the type the whole expression must have.
pub fn compile(text: &str, want: Option<Ty>) -> Result<(N, Ty, BTreeSet<String>), ExprError> {
    let tree = evalexpr::build_operator_tree::<DefaultNumericTypes>(text)
        .map_err(|e| ExprError::new(format!("cannot parse expression: {e}")))?;
    let mut facts = BTreeSet::new();
    let ty = infer(&tree, &mut facts)?;
    if let Some(w) = want
        && ty != w
    {
        return Err(ExprError::new(format!(
            "the condition has type {}, but a condition must be a bool (a comparison like `x < 1 * GiB`)",
            ty.name()
        )));
    }
    Ok((tree, ty, facts))
}

impl Condition {
    pub fn parse(text: &str) -> Result<Self, ExprError> {
        let (tree, _, _) = compile(text, Some(Ty::Bool))?;
        Ok(Self {
            text: Cow::Owned(text.to_string()),
            nodes: Cow::Owned(ir::lower(&tree).map_err(ExprError::new)?),
        })
    }

    /// A shipped condition, lowered by `build.rs` (and type-checked by the tests).
    pub fn precompiled(text: &'static str, nodes: &'static [Node]) -> Self {
        Self {
            text: Cow::Borrowed(text),
            nodes: Cow::Borrowed(nodes),
        }
    }

    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// Every fact name the condition reads, in order (with repeats).
    pub fn facts(&self) -> impl Iterator<Item = &str> {
        ir::facts(&self.nodes)
    }

    /// Evaluates against the facts. `Err(Unknown)` names the first unknown fact on the path
    /// actually taken (short-circuit), which makes the rule skip.
    pub fn holds(&self, facts: &Facts, read: &mut BTreeSet<String>) -> Result<bool, EvalError> {
        match eval(&self.nodes, facts, read)? {
            V::Bool(b) => Ok(b),
            other => Err(EvalError::Failed(format!(
                "condition gave {other:?}, not a bool"
            ))),
        }
    }
}

fn children_of_root(n: &N) -> Result<&N, ExprError> {
    match n.children() {
        [one] => Ok(one),
        [] => Err(ExprError::new("empty expression")),
        _ => Err(ExprError::new(
            "several expressions in one: separate conditions with && or ||",
        )),
    }
}

fn did_you_mean(name: &str) -> Option<String> {
    // The distance is at least the difference in length, so most names need no comparison; a
    // fuzzed 400-character identifier against every fact name ran at 60 rule files a second.
    let len = name.chars().count();
    let best = crate::facts::registry()
        .iter()
        .filter(|s| s.name.chars().count().abs_diff(len) <= 3)
        .map(|s| (strsim(name, s.name), s.name))
        .filter(|(d, _)| *d <= 3)
        .min_by_key(|(d, _)| *d)?;
    Some(format!(
        "did you mean `{}`? (`headroom facts --list` shows every fact)",
        best.1
    ))
}

/// Levenshtein distance, for "did you mean".
fn strsim(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

fn infer(n: &N, facts: &mut BTreeSet<String>) -> Result<Ty, ExprError> {
    use Operator as O;
    let kids = n.children();
    let bin = |facts: &mut BTreeSet<String>| -> Result<(Ty, Ty), ExprError> {
        match kids {
            [a, b] => Ok((infer(a, facts)?, infer(b, facts)?)),
            _ => Err(ExprError::new(format!("`{n}` needs two operands"))),
        }
    };
    match n.operator() {
        O::RootNode => infer(children_of_root(n)?, facts),
        O::Const { value } => match value {
            EValue::Int(_) => Ok(Ty::Int),
            EValue::Float(_) => Ok(Ty::Float),
            EValue::Boolean(_) => Ok(Ty::Bool),
            EValue::String(_) => Ok(Ty::Str),
            _ => Err(ExprError::new(format!("unsupported constant `{n}`"))),
        },
        O::VariableIdentifierRead { identifier } => {
            if CONSTANTS.iter().any(|(c, _)| c == identifier) {
                return Ok(Ty::Int);
            }
            match lookup(identifier) {
                Some(spec) => {
                    facts.insert(identifier.clone());
                    Ok(Ty::of(spec.ty))
                }
                None => Err(ExprError {
                    message: format!("unknown fact `{identifier}`"),
                    at: Some(identifier.clone()),
                    help: did_you_mean(identifier)
                        .or_else(|| Some("`headroom facts --list` shows every fact".to_string())),
                }),
            }
        }
        O::Add | O::Sub | O::Mul | O::Div | O::Mod | O::Exp => {
            let (a, b) = bin(facts)?;
            if matches!(n.operator(), O::Add) && a == Ty::Str && b == Ty::Str {
                return Ok(Ty::Str);
            }
            if !a.numeric() || !b.numeric() {
                return Err(type_error(n, a, b, "arithmetic needs numbers"));
            }
            if matches!(n.operator(), O::Exp) || a == Ty::Float || b == Ty::Float {
                Ok(Ty::Float)
            } else {
                Ok(Ty::Int)
            }
        }
        O::Neg => match kids {
            [a] => {
                let t = infer(a, facts)?;
                if t.numeric() {
                    Ok(t)
                } else {
                    Err(ExprError::new(format!(
                        "`{}`: cannot negate a {}",
                        infix(n),
                        t.name()
                    )))
                }
            }
            _ => Err(ExprError::new(format!("`{n}` needs one operand"))),
        },
        O::Eq | O::Neq => {
            let (a, b) = bin(facts)?;
            if a == b || (a.numeric() && b.numeric()) {
                Ok(Ty::Bool)
            } else {
                Err(type_error(n, a, b, "compares values of different types"))
            }
        }
        O::Lt | O::Gt | O::Leq | O::Geq => {
            let (a, b) = bin(facts)?;
            if (a.numeric() && b.numeric()) || (a == Ty::Str && b == Ty::Str) {
                Ok(Ty::Bool)
            } else {
                Err(type_error(n, a, b, "orders values of different types"))
            }
        }
        O::And | O::Or => {
            let (a, b) = bin(facts)?;
            if a == Ty::Bool && b == Ty::Bool {
                Ok(Ty::Bool)
            } else {
                Err(type_error(n, a, b, "&& and || need bools on both sides"))
            }
        }
        O::Not => match kids {
            [a] => match infer(a, facts)? {
                Ty::Bool => Ok(Ty::Bool),
                t => Err(ExprError::new(format!(
                    "type mismatch in `{}`: ! needs a bool, got {}",
                    infix(n),
                    t.name()
                ))),
            },
            _ => Err(ExprError::new(format!("`{n}` needs one operand"))),
        },
        O::FunctionIdentifier { identifier } => infer_call(n, identifier, facts),
        O::Tuple => Err(ExprError::new(format!(
            "a tuple `{n}` is not a value in a condition"
        ))),
        _ => Err(ExprError::new(format!(
            "`{n}` is not allowed in a condition (no assignments or `;` chains)"
        ))),
    }
}

fn infer_call(n: &N, name: &str, facts: &mut BTreeSet<String>) -> Result<Ty, ExprError> {
    let args = ir::call_args(n);
    let tys: Vec<Ty> = args
        .iter()
        .map(|a| infer(a, facts))
        .collect::<Result<_, _>>()?;
    let bad = |why: &str| ExprError::new(format!("`{}`: {why}", infix(n)));
    match name {
        "min" | "max" => {
            if tys.len() < 2 || !tys.iter().all(|t| t.numeric()) {
                return Err(bad("needs two or more numbers"));
            }
            Ok(if tys.contains(&Ty::Float) {
                Ty::Float
            } else {
                Ty::Int
            })
        }
        "abs" => match tys.as_slice() {
            [t] if t.numeric() => Ok(*t),
            _ => Err(bad("needs one number")),
        },
        "floor" | "ceil" | "round" => match tys.as_slice() {
            [t] if t.numeric() => Ok(Ty::Int),
            _ => Err(bad("needs one number")),
        },
        "if" => match tys.as_slice() {
            [Ty::Bool, a, b] if a == b => Ok(*a),
            [Ty::Bool, a, b] if a.numeric() && b.numeric() => Ok(Ty::Float),
            _ => Err(bad("needs (bool, value, value of the same type)")),
        },
        _ => Err(ExprError {
            message: format!("unknown function `{name}`"),
            at: Some(name.to_string()),
            help: Some(format!(
                "functions: {}",
                ir::FUNCTIONS
                    .iter()
                    .map(|(f, _)| *f)
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }),
    }
}

fn type_error(n: &N, a: Ty, b: Ty, why: &str) -> ExprError {
    ExprError {
        message: format!(
            "type mismatch in `{}`: {why} ({} and {})",
            infix(n),
            a.name(),
            b.name()
        ),
        at: first_leaf(n),
        help: Some("sizes are int bytes (write `512 * MiB`), durations float seconds; `headroom facts --list` gives each fact's type".into()),
    }
}

/// The expression as written (evalexpr's `Display` prints operators in prefix form).
pub fn infix(n: &N) -> String {
    use Operator as O;
    let k = n.children();
    let op = match n.operator() {
        O::RootNode => {
            return match k {
                [one] => infix(one),
                _ => k.iter().map(infix).collect::<Vec<_>>().join(", "),
            };
        }
        O::Const { value } => return value.to_string(),
        O::VariableIdentifierRead { identifier } => return identifier.clone(),
        O::FunctionIdentifier { identifier } => {
            let args: Vec<String> = ir::call_args(n).into_iter().map(infix).collect();
            return format!("{identifier}({})", args.join(", "));
        }
        O::Not => return format!("!{}", k.first().map(infix).unwrap_or_default()),
        O::Neg => return format!("-{}", k.first().map(infix).unwrap_or_default()),
        O::Add => "+",
        O::Sub => "-",
        O::Mul => "*",
        O::Div => "/",
        O::Mod => "%",
        O::Exp => "^",
        O::Eq => "==",
        O::Neq => "!=",
        O::Lt => "<",
        O::Gt => ">",
        O::Leq => "<=",
        O::Geq => ">=",
        O::And => "&&",
        O::Or => "||",
        _ => return n.to_string(),
    };
    match k {
        [a, b] => format!("{} {op} {}", infix(a), infix(b)),
        _ => n.to_string(),
    }
}

/// The first operand as written, for pointing a caret at.
fn first_leaf(n: &N) -> Option<String> {
    match n.operator() {
        Operator::VariableIdentifierRead { identifier } => Some(identifier.clone()),
        Operator::Const { value } => Some(value.to_string()),
        _ => n.children().iter().find_map(first_leaf),
    }
}

/// A run-time value.
#[derive(Clone, Debug, PartialEq)]
pub enum V {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
}

impl V {
    #[allow(clippy::cast_precision_loss)]
    fn f(&self) -> Option<f64> {
        match self {
            V::Int(i) => Some(*i as f64),
            V::Float(f) => Some(*f),
            _ => None,
        }
    }

    pub fn to_value(&self) -> Value {
        match self {
            V::Int(i) => Value::Int(*i),
            V::Float(f) => Value::Float(*f),
            V::Bool(b) => Value::Bool(*b),
            V::Str(s) => Value::Str(s.clone()),
        }
    }
}

/// Why a condition could not be decided.
#[derive(Clone, Debug, PartialEq)]
pub enum EvalError {
    /// A fact on the evaluated path is unknown; carries its name.
    Unknown(String),
    /// Arithmetic failed (overflow, division by zero).
    Failed(String),
}

/// Evaluates lowered nodes (the root is the last); shared with message templates.
pub fn eval(nodes: &[Node], facts: &Facts, read: &mut BTreeSet<String>) -> Result<V, EvalError> {
    eval_at(nodes, ir::root(nodes), facts, read)
}

fn eval_at(
    nodes: &[Node],
    i: usize,
    facts: &Facts,
    read: &mut BTreeSet<String>,
) -> Result<V, EvalError> {
    let fail = |m: String| EvalError::Failed(m);
    let text = || ir::infix(nodes, i);
    let at = |j: u32, read: &mut BTreeSet<String>| eval_at(nodes, j as usize, facts, read);
    match nodes.get(i) {
        None => Err(fail("empty expression".into())),
        Some(Node::Int(v)) | Some(Node::Const(_, v)) => Ok(V::Int(*v)),
        Some(Node::Float(v)) => Ok(V::Float(*v)),
        Some(Node::Bool(v)) => Ok(V::Bool(*v)),
        Some(Node::Str(s)) => Ok(V::Str(s.to_string())),
        Some(Node::Fact(name)) => {
            if !read.contains(name.as_ref()) {
                read.insert(name.to_string());
            }
            fact_value(facts, name)
        }
        Some(Node::Arg(a)) => at(*a, read),
        Some(Node::Bin(op @ (Bin::And | Bin::Or), a, b)) => {
            let is_and = *op == Bin::And;
            match at(*a, read)? {
                V::Bool(x) if x != is_and => Ok(V::Bool(x)),
                V::Bool(_) => at(*b, read),
                other => Err(fail(format!("{other:?} is not a bool"))),
            }
        }
        Some(Node::Not(a)) => match at(*a, read)? {
            V::Bool(b) => Ok(V::Bool(!b)),
            other => Err(fail(format!("{other:?} is not a bool"))),
        },
        Some(Node::Neg(a)) => match at(*a, read)? {
            V::Int(v) => v
                .checked_neg()
                .map(V::Int)
                .ok_or_else(|| fail(format!("overflow in `{}`", text()))),
            V::Float(f) => Ok(V::Float(-f)),
            other => Err(fail(format!("cannot negate {other:?}"))),
        },
        Some(Node::Bin(op, a, b)) => {
            let (a, b) = (at(*a, read)?, at(*b, read)?);
            binary(*op, &a, &b).map_err(|m| fail(format!("{m} in `{}`", text())))
        }
        Some(Node::Call(f, first, len)) => {
            let args: Vec<usize> = ir::args(nodes, *first, *len).collect();
            call(nodes, i, *f, &args, facts, read)
        }
    }
}

fn binary(op: Bin, a: &V, b: &V) -> Result<V, String> {
    if let (V::Int(x), V::Int(y)) = (a, b) {
        let (x, y) = (*x, *y);
        let r = match op {
            Bin::Add => x.checked_add(y),
            Bin::Sub => x.checked_sub(y),
            Bin::Mul => x.checked_mul(y),
            Bin::Div => x.checked_div(y),
            Bin::Mod => x.checked_rem(y),
            Bin::Eq => return Ok(V::Bool(x == y)),
            Bin::Neq => return Ok(V::Bool(x != y)),
            Bin::Lt => return Ok(V::Bool(x < y)),
            Bin::Gt => return Ok(V::Bool(x > y)),
            Bin::Leq => return Ok(V::Bool(x <= y)),
            Bin::Geq => return Ok(V::Bool(x >= y)),
            Bin::Exp => {
                #[allow(clippy::cast_precision_loss)]
                return Ok(V::Float((x as f64).powf(y as f64)));
            }
            Bin::And | Bin::Or => return Err("unsupported operator".into()),
        };
        return r.map(V::Int).ok_or_else(|| {
            if y == 0 && matches!(op, Bin::Div | Bin::Mod) {
                "division by zero".to_string()
            } else {
                "integer overflow".to_string()
            }
        });
    }
    if let (Some(x), Some(y)) = (a.f(), b.f()) {
        return Ok(match op {
            Bin::Add => V::Float(x + y),
            Bin::Sub => V::Float(x - y),
            Bin::Mul => V::Float(x * y),
            Bin::Div => V::Float(x / y),
            Bin::Mod => V::Float(x % y),
            Bin::Exp => V::Float(x.powf(y)),
            Bin::Eq => V::Bool((x - y).abs() < f64::EPSILON),
            Bin::Neq => V::Bool((x - y).abs() >= f64::EPSILON),
            Bin::Lt => V::Bool(x < y),
            Bin::Gt => V::Bool(x > y),
            Bin::Leq => V::Bool(x <= y),
            Bin::Geq => V::Bool(x >= y),
            Bin::And | Bin::Or => return Err("unsupported operator".into()),
        });
    }
    match (op, a, b) {
        (Bin::Add, V::Str(x), V::Str(y)) => Ok(V::Str(format!("{x}{y}"))),
        (Bin::Eq, x, y) => Ok(V::Bool(x == y)),
        (Bin::Neq, x, y) => Ok(V::Bool(x != y)),
        (Bin::Lt, V::Str(x), V::Str(y)) => Ok(V::Bool(x < y)),
        (Bin::Gt, V::Str(x), V::Str(y)) => Ok(V::Bool(x > y)),
        (Bin::Leq, V::Str(x), V::Str(y)) => Ok(V::Bool(x <= y)),
        (Bin::Geq, V::Str(x), V::Str(y)) => Ok(V::Bool(x >= y)),
        _ => Err(format!("cannot combine {a:?} and {b:?}")),
    }
}

fn call(
    nodes: &[Node],
    i: usize,
    f: Func,
    args: &[usize],
    facts: &Facts,
    read: &mut BTreeSet<String>,
) -> Result<V, EvalError> {
    let fail = |m: &str| EvalError::Failed(format!("`{}`: {m}", ir::infix(nodes, i)));
    if f == Func::If {
        let [c, a, b] = args else {
            return Err(fail("needs three arguments"));
        };
        return match eval_at(nodes, *c, facts, read)? {
            V::Bool(true) => eval_at(nodes, *a, facts, read),
            V::Bool(false) => eval_at(nodes, *b, facts, read),
            _ => Err(fail("first argument is not a bool")),
        };
    }
    let vals: Vec<V> = args
        .iter()
        .map(|&a| eval_at(nodes, a, facts, read))
        .collect::<Result<_, _>>()?;
    match f {
        Func::Min | Func::Max => {
            let min = f == Func::Min;
            let all_int = vals.iter().all(|v| matches!(v, V::Int(_)));
            if all_int {
                let ints = vals.iter().filter_map(|v| match v {
                    V::Int(i) => Some(*i),
                    _ => None,
                });
                let r = if min { ints.min() } else { ints.max() };
                return r.map(V::Int).ok_or_else(|| fail("no arguments"));
            }
            let fs: Vec<f64> = vals.iter().filter_map(V::f).collect();
            if fs.len() != vals.len() || fs.is_empty() {
                return Err(fail("needs numbers"));
            }
            let start = if min {
                f64::INFINITY
            } else {
                f64::NEG_INFINITY
            };
            let r = fs
                .iter()
                .copied()
                .fold(start, |acc, x| if min { acc.min(x) } else { acc.max(x) });
            Ok(V::Float(r))
        }
        Func::Abs => match vals.as_slice() {
            [V::Int(i)] => i.checked_abs().map(V::Int).ok_or_else(|| fail("overflow")),
            [V::Float(f)] => Ok(V::Float(f.abs())),
            _ => Err(fail("needs one number")),
        },
        Func::Floor | Func::Ceil | Func::Round => match vals.as_slice() {
            [V::Int(i)] => Ok(V::Int(*i)),
            [V::Float(x)] => {
                let r = match f {
                    Func::Floor => x.floor(),
                    Func::Ceil => x.ceil(),
                    _ => x.round(),
                };
                #[allow(clippy::cast_possible_truncation)]
                if r.is_finite() && r.abs() < 9.0e18 {
                    Ok(V::Int(r as i64))
                } else {
                    Err(fail("result out of range"))
                }
            }
            _ => Err(fail("needs one number")),
        },
        // Decided before its arguments were evaluated (only the taken branch is).
        Func::If => Err(fail("needs three arguments")),
    }
}

/// A fact as a run-time value, with its registry type applied so an int-looking float from a
/// JSON snapshot (`30`) still compares as the float it is.
pub fn fact_value(facts: &Facts, name: &str) -> Result<V, EvalError> {
    let Some(v) = facts.value(name) else {
        return Err(EvalError::Unknown(name.to_string()));
    };
    let ty = lookup(name).map(|s| s.ty);
    Ok(match (v, ty) {
        #[allow(clippy::cast_precision_loss)]
        (Value::Int(i), Some(FactType::Float)) => V::Float(*i as f64),
        (Value::Int(i), _) => V::Int(*i),
        #[allow(clippy::cast_possible_truncation)]
        (Value::Float(f), Some(FactType::Int)) if f.fract() == 0.0 && f.abs() < 9.0e18 => {
            V::Int(*f as i64)
        }
        (Value::Float(f), _) => V::Float(*f),
        (Value::Bool(b), _) => V::Bool(*b),
        (Value::Str(s), _) => V::Str(s.clone()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> Facts {
        let mut f = Facts::new();
        f.set("memory.effective_total", 512_i64 << 20, "test");
        f.set("memory.host_total", i64::MAX, "test");
        f.set("gunicorn.timeout", 30.0_f64, "test");
        f.set("gunicorn.worker_class", "sync", "test");
        f.set("swap.cgroup_limited", false, "test");
        f.unknown("gunicorn.workers", "test: not known");
        f
    }

    fn holds(text: &str) -> Result<bool, EvalError> {
        let c = Condition::parse(text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
        c.holds(&facts(), &mut BTreeSet::new())
    }

    #[test]
    fn evaluation_keeps_the_language_rules() {
        // Short-circuit: the unknown fact on the path not taken does not matter.
        assert_eq!(
            holds("swap.cgroup_limited && gunicorn.workers > 1"),
            Ok(false)
        );
        assert_eq!(
            holds("!swap.cgroup_limited || gunicorn.workers > 1"),
            Ok(true)
        );
        // On the path taken it makes the rule skip, naming the fact.
        assert_eq!(
            holds("gunicorn.workers > 1 || swap.cgroup_limited"),
            Err(EvalError::Unknown("gunicorn.workers".into()))
        );
        // `if` evaluates only the branch it takes.
        assert_eq!(
            holds("if(swap.cgroup_limited, gunicorn.workers, 0) == 0"),
            Ok(true)
        );
        // Ints and floats compare as numbers; constants are ints.
        assert_eq!(holds("gunicorn.timeout == 30"), Ok(true));
        assert_eq!(holds("memory.effective_total == 512 * MiB"), Ok(true));
        assert_eq!(holds("max(gunicorn.timeout, 1) == 30.0"), Ok(true));
        assert_eq!(
            holds("min(memory.effective_total, 1 * GiB, 2 * TiB) == 512 * MiB"),
            Ok(true)
        );
        assert_eq!(
            holds("-memory.effective_total < 0 && abs(-3) == 3"),
            Ok(true)
        );
        assert_eq!(holds("round(gunicorn.timeout / 7) == 4"), Ok(true));
        assert_eq!(holds("gunicorn.worker_class == \"sync\""), Ok(true));
        // Checked arithmetic: an overflow is an error quoting the subexpression, never a wrap.
        assert_eq!(
            holds("memory.host_total * 4 > 1"),
            Err(EvalError::Failed(
                "integer overflow in `memory.host_total * 4`".into()
            ))
        );
        assert_eq!(
            holds("memory.effective_total / (1 - 1) > 1"),
            Err(EvalError::Failed(
                "division by zero in `memory.effective_total / (1 - 1)`".into()
            ))
        );
    }

    #[test]
    fn a_type_mismatch_is_an_error_when_the_rule_loads() {
        for text in [
            "memory.effective_total < \"512M\"",
            "swap.cgroup_limited == 1",
            "gunicorn.worker_class > 3",
            "memory.effective_total && swap.cgroup_limited",
            "memory.effective_total + 1",
        ] {
            let e = Condition::parse(text).err();
            assert!(e.is_some(), "`{text}` was accepted");
        }
    }

    #[test]
    fn lowered_conditions_print_as_written() {
        for text in [
            "min(memory.effective_total, 2 * GiB) < -gunicorn.timeout",
            "(memory.effective_total - 1) * 2 > 3 - (1 - 1) || !(gunicorn.timeout > 1 && true)",
        ] {
            let c = Condition::parse(text).unwrap();
            assert_eq!(ir::infix(c.nodes(), ir::root(c.nodes())), text);
        }
        let c =
            Condition::parse("min(memory.effective_total, 2 * GiB) < -gunicorn.timeout").unwrap();
        let facts: Vec<&str> = c.facts().collect();
        assert_eq!(facts, ["memory.effective_total", "gunicorn.timeout"]);
    }

    /// Found by the `condition` fuzz target: a very long unknown identifier was compared with
    /// every fact name by edit distance (60 inputs a second). It must still be an unknown-fact
    /// error, with the generic help, and a near miss must still get its suggestion.
    #[test]
    fn fuzz_long_unknown_identifier_skips_the_edit_distance() {
        let long = format!("memory.{}", "x".repeat(400));
        let e = Condition::parse(&format!("{long} > 1")).err().unwrap();
        assert_eq!(e.message, format!("unknown fact `{long}`"));
        assert_eq!(
            e.help.as_deref(),
            Some("`headroom facts --list` shows every fact")
        );
        let near = Condition::parse("memory.efective_total > 1").err().unwrap();
        assert!(
            near.help
                .as_deref()
                .is_some_and(|h| h.contains("`memory.effective_total`")),
            "{near:?}"
        );
    }
}
