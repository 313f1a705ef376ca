//! Loading a project in Compose's order: per file parse → interpolate → `extends` → `include`,
//! then merge the files, then read the typed services (compose-go `loader/loader.go`).
//!
//! Everything a user can get wrong becomes an error message naming the file and, where the YAML
//! parser knows it, the line and column; nothing here panics on any input.

use super::discover::{Discovered, display_name, read_bytes, read_env_file};
use super::interpolate::substitute;
use super::merge::{merge_service, merge_top};
use super::model::{self, Project};
use super::yaml::{self, Item, Node};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// `extends` chains and nested `include`s deeper than this are refused (Compose has no limit, but
/// a cycle through two files must not hang a preflight check).
const MAX_DEPTH: usize = 32;

/// A variable that was used but not set, and where.
#[derive(Clone, Debug, PartialEq)]
pub struct Unset {
    pub var: String,
    /// `compose.yaml:12`, or the file and key path when the line is not known.
    pub at: String,
}

/// A loaded project and what Compose would have warned about.
#[derive(Clone, Debug, Default)]
pub struct Loaded {
    /// Shared, so probes take the project of the run without copying it.
    pub project: Arc<Project>,
    /// Where the project name came from.
    pub name_source: String,
    pub unset: Vec<Unset>,
    /// The files read, as the user would name them.
    pub files: Vec<String>,
}

struct Loader<'a> {
    env: &'a BTreeMap<String, String>,
    process_env: &'a BTreeMap<String, String>,
    project_dir: PathBuf,
    unset: Vec<Unset>,
    files: Vec<String>,
}

/// Loads the discovered files into a project.
pub fn load(d: &Discovered, process_env: &BTreeMap<String, String>) -> Result<Loaded, String> {
    let mut l = Loader {
        env: &d.env,
        process_env,
        project_dir: d.project_dir.clone(),
        unset: Vec::new(),
        files: Vec::new(),
    };
    if d.files.is_empty() {
        return Err("no compose file given".to_string());
    }
    let merged = l.load_files(&d.files, &d.project_dir, 0)?;
    let name_from_file = merged
        .get("name")
        .filter(|i| i.node.scalar_string().is_some_and(|s| !s.is_empty()))
        .map(|i| {
            (
                i.node.scalar_string().unwrap_or_default(),
                format!("name: ({})", i.at()),
            )
        });
    let (name, name_source) = d
        .env
        .get("COMPOSE_PROJECT_NAME")
        .filter(|s| !s.is_empty())
        .map(|v| {
            let src = d
                .env_source
                .get("COMPOSE_PROJECT_NAME")
                .map_or("environment", String::as_str);
            (v.clone(), format!("COMPOSE_PROJECT_NAME ({src})"))
        })
        .or(name_from_file)
        .unwrap_or_else(|| {
            (
                d.project_dir
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                format!("project directory {}", d.project_dir.display()),
            )
        });
    let mut project = Project {
        name: normalize_project_name(&name),
        ..Project::default()
    };
    let lookup = |k: &str| d.env.get(k).cloned();
    if let Some(services) = merged.get("services") {
        let Node::Map(m) = &services.node else {
            return Err(format!(
                "{}: services must be a mapping, not {}",
                services.at(),
                services.node.kind()
            ));
        };
        for (name, item) in m {
            let env_files = l.env_files(name, item)?;
            let svc = model::service(name, item, &env_files, &lookup)?;
            let active = svc.profiles.is_empty()
                || svc
                    .profiles
                    .iter()
                    .any(|p| d.profiles.iter().any(|e| e == p || e == "*"));
            if active {
                project.services.insert(name.clone(), svc);
            } else {
                project.inactive.push(name.clone());
            }
        }
    }
    Ok(Loaded {
        project: Arc::new(project),
        name_source,
        unset: l.unset,
        files: l.files,
    })
}

/// compose-go `NormalizeProjectName`: lower case, only `a-z0-9_-`, not starting with `_` or `-`.
pub fn normalize_project_name(s: &str) -> String {
    let lower: String = s
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-')
        .collect();
    lower.trim_start_matches(['_', '-']).to_string()
}

impl Loader<'_> {
    /// Loads and merges several files; relative paths inside them resolve against `base_dir`.
    fn load_files(
        &mut self,
        files: &[PathBuf],
        base_dir: &Path,
        depth: usize,
    ) -> Result<Item, String> {
        let mut acc: Option<Item> = None;
        for f in files {
            let top = self.load_one(f, base_dir, depth)?;
            acc = Some(match acc {
                None => top,
                Some(a) => merge_top(a, top),
            });
        }
        acc.ok_or_else(|| "no compose file given".to_string())
    }

    /// Parse, interpolate, resolve `extends` and `include` for one file.
    fn load_one(&mut self, path: &Path, base_dir: &Path, depth: usize) -> Result<Item, String> {
        if depth > MAX_DEPTH {
            return Err(format!(
                "{}: include/extends nested more than {MAX_DEPTH} deep (a cycle?)",
                path.display()
            ));
        }
        let mut top = self.parse_file(path, base_dir)?;
        self.resolve_extends(&mut top, path, depth)?;
        self.resolve_include(&mut top, path, depth)?;
        top.node.remove("include");
        Ok(top)
    }

    /// Reads, parses and interpolates one file; `env_file` paths become absolute.
    fn parse_file(&mut self, path: &Path, base_dir: &Path) -> Result<Item, String> {
        let shown = display_name(path, &self.project_dir);
        if !self.files.contains(&shown) {
            self.files.push(shown.clone());
        }
        let bytes = read_bytes(path)?;
        if let Some(pos) = bytes.iter().position(|b| *b == 0) {
            return Err(format!(
                "{shown} is not a text file (NUL byte at offset {pos})"
            ));
        }
        let text = std::str::from_utf8(&bytes).map_err(|e| {
            let line = bytes
                .get(..e.valid_up_to())
                .map_or(0, |b| b.iter().filter(|c| **c == b'\n').count())
                + 1;
            format!("{shown}:{line}: not UTF-8 text")
        })?;
        let mut top = yaml::parse(text).map_err(|e| {
            if e.line > 0 {
                format!("{shown}:{}:{}: {}", e.line, e.column, e.message)
            } else {
                format!("{shown}: {}", e.message)
            }
        })?;
        match &top.node {
            Node::Map(_) => {}
            Node::Null => return Err(format!("{shown}: empty compose file")),
            other => {
                return Err(format!(
                    "{shown}: the top level must be a mapping (services:, volumes:, …), not {}",
                    other.kind()
                ));
            }
        }
        top.set_file(&Arc::from(shown.as_str()));
        self.interpolate(&mut top, &shown, "")?;
        absolutize_env_files(&mut top, base_dir);
        Ok(top)
    }

    fn interpolate(&mut self, item: &mut Item, file: &str, path: &str) -> Result<(), String> {
        let at = if item.line > 0 {
            format!("{file}:{}", item.line)
        } else {
            format!("{file} {}", path.trim_start_matches('.'))
        };
        match &mut item.node {
            Node::Str(s) if s.contains('$') => {
                let env = self.env;
                let r = substitute(s, &|k| env.get(k).cloned())
                    .map_err(|e| format!("{at}: {}: {e}", path.trim_start_matches('.')))?;
                for var in r.unset {
                    self.unset.push(Unset {
                        var,
                        at: at.clone(),
                    });
                }
                *s = r.text;
            }
            Node::Seq(v) => {
                for (i, x) in v.iter_mut().enumerate() {
                    self.interpolate(x, file, &format!("{path}[{i}]"))?;
                }
            }
            Node::Map(m) => {
                for (k, x) in m.iter_mut() {
                    self.interpolate(x, file, &format!("{path}.{k}"))?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Replaces every service that `extends` another with the merge of the two.
    fn resolve_extends(&mut self, top: &mut Item, path: &Path, depth: usize) -> Result<(), String> {
        let Some(services) = top.node.get("services").cloned() else {
            return Ok(());
        };
        let Node::Map(m) = &services.node else {
            return Ok(());
        };
        let mut out = Vec::with_capacity(m.len());
        for (name, _) in m {
            let mut stack = Vec::new();
            let resolved = self.resolve_service(&services, path, name, &mut stack, depth)?;
            out.push((name.clone(), resolved));
        }
        let mut new = services.clone();
        new.node = Node::Map(out);
        top.node.insert("services", new);
        Ok(())
    }

    fn resolve_service(
        &mut self,
        services: &Item,
        file: &Path,
        name: &str,
        stack: &mut Vec<(PathBuf, String)>,
        depth: usize,
    ) -> Result<Item, String> {
        let shown = display_name(file, &self.project_dir);
        let key = (file.to_path_buf(), name.to_string());
        if stack.contains(&key) || stack.len() + depth > MAX_DEPTH {
            return Err(format!(
                "{shown}: service {name} extends itself (through {} steps)",
                stack.len()
            ));
        }
        let Some(svc) = services.get(name) else {
            return Err(format!(
                "{shown}: cannot extend service {name}: no such service"
            ));
        };
        let Some(ext) = svc.get("extends").cloned() else {
            return Ok(svc.clone());
        };
        let (base_name, base_file) = match &ext.node {
            Node::Str(s) => (s.clone(), None),
            Node::Map(_) => {
                let n = ext
                    .get("service")
                    .and_then(|i| i.node.scalar_string())
                    .ok_or_else(|| format!("{}: extends needs a service", ext.at()))?;
                let f = ext.get("file").and_then(|i| i.node.scalar_string());
                (n, f)
            }
            other => {
                return Err(format!(
                    "{}: extends must be a service name or a mapping, not {}",
                    ext.at(),
                    other.kind()
                ));
            }
        };
        stack.push(key);
        let base = match base_file {
            None => self.resolve_service(services, file, &base_name, stack, depth)?,
            Some(f) => {
                let dir = file.parent().unwrap_or(Path::new("."));
                let other = clean(&dir.join(&f));
                let top = self
                    .parse_file(&other, other.parent().unwrap_or(dir))
                    .map_err(|err| format!("{}: extends: {err}", ext.at()))?;
                let Some(other_services) = top.get("services").cloned() else {
                    return Err(format!("{}: {f} has no services to extend", ext.at()));
                };
                self.resolve_service(&other_services, &other, &base_name, stack, depth + 1)?
            }
        };
        stack.pop();
        let mut own = svc.clone();
        own.node.remove("extends");
        let mut base = base;
        base.node.remove("extends");
        Ok(merge_service(base, own))
    }

    /// Adds the services of `include:`d projects; a name defined on both sides is an error, as in
    /// Compose.
    fn resolve_include(&mut self, top: &mut Item, path: &Path, depth: usize) -> Result<(), String> {
        let Some(inc) = top.get("include").cloned() else {
            return Ok(());
        };
        let Node::Seq(entries) = &inc.node else {
            return Err(format!("{}: include must be a list", inc.at()));
        };
        let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        for e in entries {
            let (paths, project_dir, env_file): (Vec<String>, Option<String>, Option<Vec<String>>) =
                match &e.node {
                    Node::Str(s) => (vec![s.clone()], None, None),
                    Node::Map(_) => {
                        let strings = |k: &str| {
                            e.get(k).map(|i| match &i.node {
                                Node::Seq(v) => {
                                    v.iter().filter_map(|x| x.node.scalar_string()).collect()
                                }
                                n => n.scalar_string().into_iter().collect(),
                            })
                        };
                        (
                            strings("path").unwrap_or_default(),
                            e.get("project_directory")
                                .and_then(|i| i.node.scalar_string()),
                            strings("env_file"),
                        )
                    }
                    other => {
                        return Err(format!(
                            "{}: an include entry cannot be {}",
                            e.at(),
                            other.kind()
                        ));
                    }
                };
            if paths.is_empty() {
                return Err(format!("{}: include entry without a path", e.at()));
            }
            let files: Vec<PathBuf> = paths.iter().map(|p| clean(&dir.join(p))).collect();
            let inc_dir = project_dir.map_or_else(
                || {
                    files
                        .first()
                        .and_then(|f| f.parent())
                        .unwrap_or(&dir)
                        .to_path_buf()
                },
                |p| dir.join(p),
            );
            // The included project interpolates with its own .env under the process environment.
            let env_files: Vec<PathBuf> = env_file.map_or_else(
                || {
                    let d = inc_dir.join(".env");
                    if d.is_file() { vec![d] } else { vec![] }
                },
                |v| v.iter().map(|p| dir.join(p)).collect(),
            );
            let mut env = BTreeMap::new();
            for f in &env_files {
                for entry in read_env_file(f, self.process_env)? {
                    env.insert(entry.key, entry.value);
                }
            }
            env.extend(self.process_env.iter().map(|(k, v)| (k.clone(), v.clone())));
            let mut sub = Loader {
                env: &env,
                process_env: self.process_env,
                project_dir: self.project_dir.clone(),
                unset: Vec::new(),
                files: Vec::new(),
            };
            let included = sub
                .load_files(&files, &inc_dir, depth + 1)
                .map_err(|err| format!("{}: include: {err}", e.at()))?;
            self.unset.extend(sub.unset);
            for f in sub.files {
                if !self.files.contains(&f) {
                    self.files.push(f);
                }
            }
            if let Some(Item {
                node: Node::Map(inc_services),
                ..
            }) = included.get("services")
            {
                let mut services = top
                    .get("services")
                    .cloned()
                    .unwrap_or_else(|| Item::new(Node::Map(Vec::new())));
                for (name, svc) in inc_services {
                    if services.get(name).is_some() {
                        return Err(format!(
                            "{}: service {name} is defined here and in included {}",
                            e.at(),
                            paths.join(", ")
                        ));
                    }
                    services.node.insert(name, svc.clone());
                }
                top.node.insert("services", services);
            }
        }
        Ok(())
    }

    /// Reads a service's `env_file:` entries (string, list, or `{path, required}`), in order.
    fn env_files(&self, name: &str, svc: &Item) -> Result<Vec<(String, String)>, String> {
        let Some(ef) = svc.get("env_file") else {
            return Ok(Vec::new());
        };
        let entries: Vec<&Item> = match &ef.node {
            Node::Seq(v) => v.iter().collect(),
            Node::Null => Vec::new(),
            _ => vec![ef],
        };
        let mut out = Vec::new();
        for e in entries {
            let (p, required) = match &e.node {
                Node::Str(s) => (s.clone(), true),
                Node::Map(_) => (
                    e.get("path")
                        .and_then(|i| i.node.scalar_string())
                        .ok_or_else(|| format!("{}: env_file entry without a path", e.at()))?,
                    !matches!(e.get("required").map(|i| &i.node), Some(Node::Bool(false))),
                ),
                other => {
                    return Err(format!(
                        "{}: services.{name}.env_file cannot be {}",
                        e.at(),
                        other.kind()
                    ));
                }
            };
            let path = PathBuf::from(&p);
            if !path.exists() {
                if required {
                    return Err(format!(
                        "{}: services.{name}.env_file: env file {} not found",
                        e.at(),
                        path.display()
                    ));
                }
                continue;
            }
            for entry in read_env_file(&path, self.env)? {
                out.push((entry.key, entry.value));
            }
        }
        Ok(out)
    }
}

/// Makes every service's `env_file` path absolute against the directory it is relative to.
fn absolutize_env_files(top: &mut Item, base_dir: &Path) {
    let Some(Item {
        node: Node::Map(services),
        ..
    }) = top.node.get_mut("services")
    else {
        return;
    };
    let fix = |i: &mut Item| {
        if let Node::Str(s) = &mut i.node {
            *s = clean(&base_dir.join(&*s)).to_string_lossy().into_owned();
        }
    };
    for (_, svc) in services.iter_mut() {
        let Some(ef) = svc.node.get_mut("env_file") else {
            continue;
        };
        match &mut ef.node {
            Node::Str(_) => fix(ef),
            Node::Seq(v) => {
                for e in v.iter_mut() {
                    match &mut e.node {
                        Node::Str(_) => fix(e),
                        Node::Map(_) => {
                            if let Some(p) = e.node.get_mut("path") {
                                fix(p);
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
}

/// `a/./b/../c` → `a/c`, lexically, so messages show the path a user would type.
pub fn clean(p: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}
