//! Merging Compose trees the way compose-go's `override` package does, for the keys we model.
//!
//! Used for both multi-file projects (`-f a.yaml -f b.yaml`) and `extends`. Mappings merge key by
//! key; lists append; scalars are replaced. Some keys are special: `command`, `entrypoint` and
//! `healthcheck.test` are replaced whole; `environment`, `labels` and friends merge by key whether
//! written as a mapping or a `KEY=VAL` list; `volumes` merge by mount target.

use super::yaml::{Item, Node};

/// Merges the top level of a later file over an earlier one.
pub fn merge_top(base: Item, over: Item) -> Item {
    merge_at(base, over, &[])
}

/// Merges one service definition over another (`extends`, or the same service in two files).
pub fn merge_service(base: Item, over: Item) -> Item {
    merge_at(base, over, &["services", "*"])
}

fn matches(path: &[&str], pattern: &[&str]) -> bool {
    path.len() == pattern.len() && path.iter().zip(pattern).all(|(p, q)| *q == "*" || p == q)
}

const REPLACED: &[&[&str]] = &[
    &["services", "*", "command"],
    &["services", "*", "entrypoint"],
    &["services", "*", "healthcheck", "test"],
];

const BY_KEY: &[&[&str]] = &[
    &["services", "*", "environment"],
    &["services", "*", "labels"],
    &["services", "*", "build", "args"],
    &["services", "*", "sysctls"],
    &["services", "*", "extra_hosts"],
];

fn merge_at(base: Item, over: Item, path: &[&str]) -> Item {
    if matches!(over.node, Node::Null) {
        return base;
    }
    if REPLACED.iter().any(|p| matches(path, p)) {
        return over;
    }
    if BY_KEY.iter().any(|p| matches(path, p)) {
        return merge_by_key(base, over);
    }
    if matches(path, &["services", "*", "volumes"]) {
        return merge_volumes(base, over);
    }
    match (base.node, over.node) {
        (Node::Map(mut b), Node::Map(o)) => {
            for (k, v) in o {
                if let Some(slot) = b.iter_mut().find(|(bk, _)| *bk == k) {
                    let mut p: Vec<&str> = path.to_vec();
                    p.push(&k);
                    let old = std::mem::replace(&mut slot.1, Item::new(Node::Null));
                    slot.1 = merge_at(old, v, &p);
                } else {
                    b.push((k, v));
                }
            }
            Item::new(Node::Map(b)).with_meta(base.line, base.file)
        }
        (Node::Seq(mut b), Node::Seq(o)) => {
            b.extend(o);
            Item::new(Node::Seq(b)).with_meta(base.line, base.file)
        }
        (_, o) => Item {
            node: o,
            line: over.line,
            file: over.file,
        },
    }
}

impl Item {
    fn with_meta(mut self, line: u64, file: Option<std::sync::Arc<str>>) -> Self {
        self.line = line;
        self.file = file;
        self
    }
}

/// A `KEY=VAL` list or a mapping, as (key, value) pairs; a bare `KEY` has a null value.
pub fn key_values(item: &Item) -> Vec<(String, Item)> {
    match &item.node {
        Node::Map(m) => m.clone(),
        Node::Seq(v) => v
            .iter()
            .filter_map(|i| {
                let s = i.node.scalar_string()?;
                let (k, val) = match s.split_once('=') {
                    Some((k, v)) => (k.to_string(), Node::Str(v.to_string())),
                    None => (s, Node::Null),
                };
                Some((
                    k,
                    Item {
                        node: val,
                        line: i.line,
                        file: i.file.clone(),
                    },
                ))
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn merge_by_key(base: Item, over: Item) -> Item {
    let mut out = key_values(&base);
    for (k, v) in key_values(&over) {
        if let Some(slot) = out.iter_mut().find(|(bk, _)| *bk == k) {
            slot.1 = v;
        } else {
            out.push((k, v));
        }
    }
    Item::new(Node::Map(out)).with_meta(base.line, base.file)
}

/// The container path a volume entry mounts at (short `src:dst[:mode]` or long `target:`).
pub fn volume_target(item: &Item) -> Option<String> {
    match &item.node {
        Node::Str(s) => {
            let parts: Vec<&str> = s.split(':').collect();
            match parts.as_slice() {
                [one] => Some((*one).to_string()),
                [_, dst, ..] => Some((*dst).to_string()),
                [] => None,
            }
        }
        Node::Map(_) => item.get("target").and_then(|t| t.node.scalar_string()),
        _ => None,
    }
}

fn merge_volumes(base: Item, over: Item) -> Item {
    let (Node::Seq(mut b), Node::Seq(o)) = (base.node.clone(), over.node.clone()) else {
        return over;
    };
    for v in o {
        let t = volume_target(&v);
        if let Some(slot) = b.iter_mut().find(|x| t.is_some() && volume_target(x) == t) {
            *slot = v;
        } else {
            b.push(v);
        }
    }
    Item::new(Node::Seq(b)).with_meta(base.line, base.file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::yaml::parse;

    #[test]
    fn services_merge_like_compose() {
        let a = parse(
            "services:\n  web:\n    image: a\n    command: [x, y]\n    environment: [A=1, B=2]\n    volumes: [./a:/data, /cache]\n    ports: ['80']\n",
        )
        .unwrap();
        let b = parse(
            "services:\n  web:\n    image: b\n    command: z\n    environment: {B: 3, C: 4}\n    volumes: [./b:/data]\n    ports: ['81']\n  db:\n    image: pg\n",
        )
        .unwrap();
        let m = merge_top(a, b);
        let web = m.get("services").unwrap().get("web").unwrap();
        assert_eq!(web.get("image").unwrap().node, Node::Str("b".into()));
        assert_eq!(web.get("command").unwrap().node, Node::Str("z".into()));
        let env: Vec<(String, Option<String>)> = key_values(web.get("environment").unwrap())
            .into_iter()
            .map(|(k, v)| (k, v.node.scalar_string()))
            .collect();
        assert_eq!(
            env,
            vec![
                ("A".into(), Some("1".into())),
                ("B".into(), Some("3".into())),
                ("C".into(), Some("4".into()))
            ]
        );
        let Node::Seq(vols) = &web.get("volumes").unwrap().node else {
            panic!("volumes")
        };
        assert_eq!(vols.len(), 2);
        assert_eq!(vols[0].node, Node::Str("./b:/data".into()));
        let Node::Seq(ports) = &web.get("ports").unwrap().node else {
            panic!("ports")
        };
        assert_eq!(ports.len(), 2);
        assert!(m.get("services").unwrap().get("db").is_some());
    }
}
