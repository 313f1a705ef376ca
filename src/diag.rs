//! Diagnostics about headroom's own inputs (rule files, facts files, arguments), rendered the way
//! cargo-deny and ruff do: `error[kind]: message`, a `file:line:col` arrow, the source line and a
//! caret under the exact spot, then `= help:` lines.

use std::fmt::Write as _;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// A kebab-case kind, e.g. `rule-file`, `facts-file`.
    pub kind: &'static str,
    pub message: String,
    pub file: String,
    /// 1-based; 0 when unknown.
    pub line: usize,
    /// 1-based, in characters; 0 when unknown.
    pub col: usize,
    /// How many characters the caret underlines (at least 1).
    pub width: usize,
    /// The source line the error is on, if known.
    pub source_line: Option<String>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(kind: &'static str, file: &str, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            file: file.to_string(),
            line: 0,
            col: 0,
            width: 1,
            source_line: None,
            help: None,
        }
    }

    /// Points at `line:col` in `text` (the whole file), remembering the line for the snippet.
    #[must_use]
    pub fn at(mut self, text: &str, line: usize, col: usize, width: usize) -> Self {
        self.line = line;
        self.col = col.max(1);
        self.width = width.max(1);
        self.source_line = text.lines().nth(line.saturating_sub(1)).map(str::to_string);
        self
    }

    #[must_use]
    pub fn help(mut self, help: Option<String>) -> Self {
        self.help = help;
        self
    }

    /// `file:line:col`, or as much of it as is known.
    pub fn location(&self) -> String {
        match (self.line, self.col) {
            (0, _) => self.file.clone(),
            (l, 0) => format!("{}:{l}", self.file),
            (l, c) => format!("{}:{l}:{c}", self.file),
        }
    }

    pub fn render(&self) -> String {
        let mut s = format!("error[{}]: {}\n", self.kind, self.message);
        let _ = writeln!(s, "  --> {}", self.location());
        if let Some(src) = &self.source_line {
            let num = self.line.to_string();
            let pad = " ".repeat(num.len());
            let _ = writeln!(s, "{pad} |");
            let _ = writeln!(s, "{num} | {src}");
            let caret_pad: String = src
                .chars()
                .take(self.col.saturating_sub(1))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            let _ = writeln!(s, "{pad} | {caret_pad}{}", "^".repeat(self.width));
        }
        if let Some(h) = &self.help {
            let _ = writeln!(s, "  = help: {h}");
        }
        s
    }
}

/// Renders many diagnostics, then a one-line count, as compilers do.
pub fn render_all(diags: &[Diagnostic]) -> String {
    let mut s = String::new();
    for d in diags {
        s.push_str(&d.render());
        s.push('\n');
    }
    let n = diags.len();
    let _ = writeln!(
        s,
        "error: {n} problem{} found; nothing was checked",
        if n == 1 { "" } else { "s" }
    );
    s
}
