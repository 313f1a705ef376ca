//! A generic YAML tree with line numbers, the shape Compose itself works on before it knows the
//! schema.
//!
//! Compose (compose-go) loads each file into untyped maps first, interpolates the strings, applies
//! `extends` and `include`, merges the files, and only then reads typed fields. We follow the same
//! order, so we need a generic value. serde-saphyr resolves anchors, aliases and `<<` merge keys
//! for us (with its alias-bomb budget) and gives each node's line through `Spanned`, which we keep
//! so warnings and errors can say `compose.yaml:12`.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;
use std::sync::Arc;

/// One YAML value. Mapping keys are kept as strings (Compose keys always are) in file order.
#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Item>),
    Map(Vec<(String, Item)>),
}

/// A node, the line it was written on (0 when not known) and the file (set by the loader once it
/// knows the name, so merged trees still say where each value came from).
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub node: Node,
    pub line: u64,
    pub file: Option<Arc<str>>,
}

impl Item {
    pub fn new(node: Node) -> Self {
        Self {
            node,
            line: 0,
            file: None,
        }
    }

    /// `compose.yaml:12`, or just the file, or "" when neither is known.
    pub fn at(&self) -> String {
        match (&self.file, self.line) {
            (Some(f), 0) => f.to_string(),
            (Some(f), l) => format!("{f}:{l}"),
            (None, 0) => String::new(),
            (None, l) => format!("line {l}"),
        }
    }

    /// Records the file name on this node and every node under it.
    pub fn set_file(&mut self, file: &Arc<str>) {
        self.file = Some(file.clone());
        match &mut self.node {
            Node::Seq(v) => v.iter_mut().for_each(|i| i.set_file(file)),
            Node::Map(m) => m.iter_mut().for_each(|(_, i)| i.set_file(file)),
            _ => {}
        }
    }

    pub fn get(&self, key: &str) -> Option<&Item> {
        self.node.get(key)
    }
}

impl Node {
    /// The value of `key` when this is a mapping.
    pub fn get(&self, key: &str) -> Option<&Item> {
        match self {
            Node::Map(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Item> {
        match self {
            Node::Map(m) => m.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Sets `key` in a mapping, replacing the value in place or appending it.
    pub fn insert(&mut self, key: &str, value: Item) {
        if let Node::Map(m) = self {
            if let Some(slot) = m.iter_mut().find(|(k, _)| k == key) {
                slot.1 = value;
            } else {
                m.push((key.to_string(), value));
            }
        }
    }

    pub fn remove(&mut self, key: &str) -> Option<Item> {
        match self {
            Node::Map(m) => {
                let i = m.iter().position(|(k, _)| k == key)?;
                Some(m.remove(i).1)
            }
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The scalar as Compose turns it into a string (environment values, labels, command words):
    /// numbers and booleans print the way Go's `fmt.Sprint` does.
    pub fn scalar_string(&self) -> Option<String> {
        match self {
            Node::Str(s) => Some(s.clone()),
            Node::Int(i) => Some(i.to_string()),
            Node::Float(f) => Some(format_float(*f)),
            Node::Bool(b) => Some(b.to_string()),
            Node::Null | Node::Seq(_) | Node::Map(_) => None,
        }
    }

    /// The YAML kind, for error messages ("a list", "a mapping").
    pub fn kind(&self) -> &'static str {
        match self {
            Node::Null => "null",
            Node::Bool(_) => "a boolean",
            Node::Int(_) => "an integer",
            Node::Float(_) => "a number",
            Node::Str(_) => "a string",
            Node::Seq(_) => "a list",
            Node::Map(_) => "a mapping",
        }
    }
}

/// Floats print like Go's `%v`: `1.5`, `2` for 2.0, no trailing `.0`.
pub fn format_float(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{f:.0}")
    } else {
        format!("{f}")
    }
}

/// Parses one YAML document. The error carries `line:col` when serde-saphyr knows it; the caller
/// adds the file name.
pub fn parse(text: &str) -> Result<Item, ParseError> {
    if text.trim().is_empty() {
        return Ok(Item {
            node: Node::Null,
            line: 1,
            file: None,
        });
    }
    let mut opts = serde_saphyr::Options::default();
    opts.with_snippet = false;
    // YAML 1.2 booleans only, as compose-go's yaml.v3 does: `DEBUG: yes` stays the string "yes".
    opts.strict_booleans = true;
    // Real Compose files alias a few `x-` anchors a hundred times or more (getsentry/self-hosted
    // has 160 aliases to 9 anchors), which trips serde-saphyr's alias/anchor ratio check. The
    // absolute limits (events, nodes, replayed anchor events and bytes) still stop alias bombs.
    if let Some(b) = opts.budget.as_mut() {
        b.enforce_alias_anchor_ratio = false;
    }
    serde_saphyr::from_str_with_options::<Item>(text, opts).map_err(|e| {
        let loc = e.location();
        let message = e.without_snippet().to_string();
        // serde-saphyr appends " at line L column C"; the location is reported separately.
        let message = message
            .split(" at line ")
            .next()
            .unwrap_or(&message)
            .trim()
            .to_string();
        ParseError {
            line: loc.map_or(0, |l| l.line()),
            column: loc.map_or(0, |l| l.column()),
            message,
        }
    })
}

/// A YAML syntax error and where it is.
#[derive(Clone, Debug, PartialEq)]
pub struct ParseError {
    pub line: u64,
    pub column: u64,
    pub message: String,
}

impl<'de> Deserialize<'de> for Item {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = serde_saphyr::Spanned::<Node>::deserialize(d)?;
        Ok(Item {
            node: s.value,
            line: s.referenced.line(),
            file: None,
        })
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        Node::deserialize(d)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node, E> {
        Ok(i64::try_from(v).map_or_else(|_| Node::Str(v.to_string()), Node::Int))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Node, E> {
        Ok(i64::try_from(v).map_or_else(|_| Node::Str(v.to_string()), Node::Int))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Node, E> {
        Ok(i64::try_from(v).map_or_else(|_| Node::Str(v.to_string()), Node::Int))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Str(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Node, E> {
        Ok(Node::Str(v))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Node, E> {
        Ok(Node::Str(String::from_utf8_lossy(v).into_owned()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut out = Vec::new();
        while let Some(item) = seq.next_element::<Item>()? {
            out.push(item);
        }
        Ok(Node::Seq(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut out: Vec<(String, Item)> = Vec::new();
        while let Some(Key(key)) = map.next_key::<Key>()? {
            let value = map.next_value::<Item>()?;
            if let Some(slot) = out.iter_mut().find(|(k, _)| *k == key) {
                slot.1 = value;
            } else {
                out.push((key, value));
            }
        }
        Ok(Node::Map(out))
    }
}

/// A mapping key, read as the text written: `y:` and `1:` are the keys "y" and "1".
struct Key(String);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_string(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a scalar mapping key")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
        Ok(Key(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Key, E> {
        Ok(Key(v))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Key, E> {
        Ok(Key(v.to_string()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Key, E> {
        Ok(Key(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Key, E> {
        Ok(Key(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Key, E> {
        Ok(Key(format_float(v)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Key, E> {
        Ok(Key("null".to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_lines_and_resolves_merge_keys() {
        let text = "x: &base\n  a: 1\n  b: two\ny:\n  <<: *base\n  b: three\n";
        let doc = parse(text).unwrap();
        let y = doc.get("y").unwrap();
        assert_eq!(y.line, 5);
        assert_eq!(y.get("a").unwrap().node, Node::Int(1));
        assert_eq!(y.get("b").unwrap().node, Node::Str("three".into()));
        assert_eq!(y.get("b").unwrap().line, 6);
        assert_eq!(doc.get("x").unwrap().get("b").unwrap().line, 3);
        let doc = parse("env:\n  A: yes\n  B: on\n  1: x\n").unwrap();
        let env = doc.get("env").unwrap();
        assert_eq!(env.get("A").unwrap().node, Node::Str("yes".into()));
        assert_eq!(env.get("1").unwrap().node, Node::Str("x".into()));
    }

    #[test]
    fn syntax_errors_have_a_location() {
        let e = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(e.line > 0, "{e:?}");
    }

    #[test]
    fn alias_bombs_are_refused_by_the_node_budget() {
        let mut t = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 0..12 {
            let prev = if i == 0 {
                "a".to_string()
            } else {
                format!("l{}", i - 1)
            };
            t.push_str(&format!("l{i}: &l{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        }
        // 10^13 nodes if expanded; the parser's node budget stops it part-way, at the line
        // where the budget ran out. (Not a timed test: the budget is what bounds the time.)
        let e = parse(&t).unwrap_err();
        assert!(e.message.contains("budget breached"), "{e:?}");
        assert!(e.line <= 7, "{e:?}");
    }

    #[test]
    fn never_panics_on_garbage() {
        for t in [
            "\u{0}\u{1}",
            "- - - -",
            "{",
            "&a [*a]",
            "a: *nope",
            "? [a]\n: b",
            "!!binary x",
        ] {
            let _ = parse(t);
        }
    }
}
