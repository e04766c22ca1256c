//! The core's layout, kept honest: its modules form a graph without an import cycle, and the
//! module map in `ARCHITECTURE.md` lists every module of `core/src`, bottom-up, and nothing else.
//!
//! Dependencies are read from the sources: every `crate::…`, `super::…` and `self::…` path, in a
//! `use` or inline (`crate::audit::details(…)`), expanded through `{…}` groups and resolved to
//! the file of the longest module prefix it names. Comments, strings and the crate root
//! (`lib.rs`, which only declares modules and re-exports them) are left out; the unit tests in
//! `core/src/tests/` are not part of the graph.
//!
//! Two granularities are checked: files (`sweep/drift.rs`), and top-level modules, where a folder
//! counts as one module (`sweep/`). A cycle is reported with the path that closes it and, for
//! each step, the file and line that makes it.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// A module of the core: its path below the crate root (`["sweep", "drift"]`, `[]` for the root).
type Module = Vec<String>;

/// One dependency and the first place that makes it.
#[derive(Debug, Clone)]
struct Edge {
    from: String,
    to: String,
    at: String,
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file below `core/src` except the unit tests, with its module path.
fn module_files() -> BTreeMap<Module, PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<PathBuf> = fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
            .map(|e| e.map(|e| e.path()).unwrap_or_default())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|x| x == "rs") {
                out.push(path);
            }
        }
    }
    let root = src_dir();
    let mut files = Vec::new();
    walk(&root, &mut files);
    let mut out = BTreeMap::new();
    for file in files {
        let rel = file
            .strip_prefix(&root)
            .unwrap_or(&file)
            .to_string_lossy()
            .replace('\\', "/");
        if rel.starts_with("tests/") {
            continue;
        }
        let mut parts: Vec<String> = rel
            .trim_end_matches(".rs")
            .split('/')
            .map(str::to_owned)
            .collect();
        if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
            parts.pop();
        }
        out.insert(parts, file);
    }
    out
}

/// The file a module lives in, as the map names it (`sweep/mod.rs`).
fn file_name(files: &BTreeMap<Module, PathBuf>, module: &Module) -> String {
    files
        .get(module)
        .and_then(|f| f.strip_prefix(src_dir()).ok())
        .map(|f| f.to_string_lossy().replace('\\', "/"))
        .unwrap_or_else(|| module.join("/"))
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Ident(String),
    PathSep,
    Open,
    Close,
    Comma,
    Other,
}

/// Rust source as the tokens a path needs, each with its line; comments, strings, characters
/// and lifetimes are skipped.
fn tokens(source: &str) -> Vec<(Token, usize)> {
    let chars: Vec<char> = source.chars().collect();
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1);
    while i < chars.len() {
        let c = at(i);
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c == '/' && at(i + 1) == '/' {
            while i < chars.len() && at(i) != '\n' {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            while i < chars.len() {
                if at(i) == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if at(i) == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if at(i) == '\n' {
                        line += 1;
                    }
                    i += 1;
                }
            }
        } else if c == 'r'
            && (at(i + 1) == '"' || (at(i + 1) == '#' && matches!(at(i + 2), '"' | '#')))
        {
            // A raw string: r"…", r#"…"#.
            let mut hashes = 0;
            i += 1;
            while at(i) == '#' {
                hashes += 1;
                i += 1;
            }
            i += 1;
            loop {
                if i >= chars.len() {
                    break;
                }
                if at(i) == '"' && (1..=hashes).all(|k| at(i + k) == '#') {
                    i += 1 + hashes;
                    break;
                }
                if at(i) == '\n' {
                    line += 1;
                }
                i += 1;
            }
        } else if c == '"' {
            i += 1;
            while i < chars.len() && at(i) != '"' {
                if at(i) == '\\' {
                    i += 1;
                }
                if at(i) == '\n' {
                    line += 1;
                }
                i += 1;
            }
            i += 1;
        } else if c == '\'' {
            // A character ('x', '\n', '\u{1f}') or a lifetime ('a).
            if at(i + 1) == '\\' {
                i += 2;
                while i < chars.len() && at(i) != '\'' {
                    i += 1;
                }
                i += 1;
            } else if at(i + 2) == '\'' {
                i += 3;
            } else {
                i += 1;
            }
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while at(i).is_alphanumeric() || at(i) == '_' {
                i += 1;
            }
            let word: String = chars.get(start..i).unwrap_or_default().iter().collect();
            out.push((Token::Ident(word), line));
        } else if c == ':' && at(i + 1) == ':' {
            out.push((Token::PathSep, line));
            i += 2;
        } else {
            out.push((
                match c {
                    '{' => Token::Open,
                    '}' => Token::Close,
                    ',' => Token::Comma,
                    _ => Token::Other,
                },
                line,
            ));
            i += 1;
        }
    }
    out
}

/// Reads a path tree from `tokens[*i]` (`a::b::{c, d::e}`) and returns every path it spells.
fn path_tree(tokens: &[(Token, usize)], i: &mut usize) -> Vec<Vec<String>> {
    let mut prefix = Vec::new();
    loop {
        match tokens.get(*i).map(|t| &t.0) {
            Some(Token::Ident(word)) => {
                prefix.push(word.clone());
                *i += 1;
                if tokens.get(*i).map(|t| &t.0) == Some(&Token::PathSep) {
                    *i += 1;
                    continue;
                }
                return vec![prefix];
            }
            Some(Token::Open) => {
                *i += 1;
                let mut out = Vec::new();
                loop {
                    match tokens.get(*i).map(|t| &t.0) {
                        Some(Token::Close) => {
                            *i += 1;
                            break;
                        }
                        Some(Token::Comma) => *i += 1,
                        None => break,
                        Some(_) => {
                            let before = *i;
                            for tail in path_tree(tokens, i) {
                                let mut path = prefix.clone();
                                path.extend(tail);
                                out.push(path);
                            }
                            if *i == before {
                                *i += 1;
                            }
                        }
                    }
                }
                return out;
            }
            _ => return vec![prefix],
        }
    }
}

/// The modules a file uses, each with the first line that uses it.
fn uses(module: &Module, source: &str, known: &BTreeSet<Module>) -> BTreeMap<Module, usize> {
    let tokens = tokens(source);
    let mut out = BTreeMap::new();
    // Inline modules (`mod tests { … }`): their name and the brace depth they opened at.
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < tokens.len() {
        let (token, line) = match tokens.get(i) {
            Some((t, l)) => (t.clone(), *l),
            None => break,
        };
        match &token {
            Token::Open => {
                depth += 1;
                i += 1;
                continue;
            }
            Token::Close => {
                depth = depth.saturating_sub(1);
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
                i += 1;
                continue;
            }
            Token::Ident(word) if word == "mod" => {
                if let (Some((Token::Ident(name), _)), Some((Token::Open, _))) =
                    (tokens.get(i + 1), tokens.get(i + 2))
                {
                    inline.push((name.clone(), depth));
                }
                i += 1;
                continue;
            }
            Token::Ident(word)
                if matches!(word.as_str(), "crate" | "super" | "self")
                    && tokens.get(i + 1).map(|t| &t.0) == Some(&Token::PathSep)
                    // `foo::self` inside a group is not a path start.
                    && !(i > 0 && tokens.get(i - 1).map(|t| &t.0) == Some(&Token::PathSep)) => {}
            _ => {
                i += 1;
                continue;
            }
        }
        for path in path_tree(&tokens, &mut i) {
            let mut here: Module = module.clone();
            here.extend(inline.iter().map(|(n, _)| n.clone()));
            let mut segments = path.into_iter().peekable();
            let mut absolute: Module = match segments.peek().map(String::as_str) {
                Some("crate") => {
                    segments.next();
                    Vec::new()
                }
                _ => {
                    while let Some(s) = segments.peek() {
                        match s.as_str() {
                            "super" => {
                                here.pop();
                            }
                            "self" => {}
                            _ => break,
                        }
                        segments.next();
                    }
                    here
                }
            };
            absolute.extend(segments.filter(|s| s != "self"));
            // The longest prefix that is a module of the core.
            let target = (0..=absolute.len())
                .rev()
                .map(|n| absolute.get(..n).unwrap_or_default().to_vec())
                .find(|m| known.contains(m));
            if let Some(target) = target {
                if !target.is_empty() && target != *module {
                    out.entry(target).or_insert(line);
                }
            }
        }
    }
    out
}

/// The file-level dependency graph, the crate root left out.
fn file_graph() -> (BTreeMap<Module, PathBuf>, Vec<Edge>) {
    let files = module_files();
    let known: BTreeSet<Module> = files.keys().cloned().collect();
    let mut edges = Vec::new();
    for (module, path) in &files {
        if module.is_empty() {
            continue;
        }
        let source = fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        for (target, line) in uses(module, &source, &known) {
            let from = file_name(&files, module);
            edges.push(Edge {
                at: format!("core/src/{from}:{line}"),
                from,
                to: file_name(&files, &target),
            });
        }
    }
    (files, edges)
}

/// The top-level module a file belongs to (`sweep/` for `sweep/drift.rs`).
fn top_level(file: &str) -> String {
    match file.split_once('/') {
        Some((folder, _)) => format!("{folder}/"),
        None => file.to_owned(),
    }
}

/// A cycle in `edges`, as the edges that close it, if there is one.
fn find_cycle(edges: &[Edge]) -> Option<Vec<Edge>> {
    let mut next: BTreeMap<&str, Vec<&Edge>> = BTreeMap::new();
    for e in edges {
        next.entry(e.from.as_str()).or_default().push(e);
    }
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit<'a>(
        node: &'a str,
        next: &BTreeMap<&'a str, Vec<&'a Edge>>,
        marks: &mut BTreeMap<&'a str, Mark>,
        stack: &mut Vec<&'a Edge>,
    ) -> Option<Vec<Edge>> {
        marks.insert(node, Mark::Open);
        for e in next.get(node).into_iter().flatten() {
            match marks.get(e.to.as_str()) {
                Some(Mark::Done) => {}
                Some(Mark::Open) => {
                    let start = stack.iter().position(|s| s.from == e.to).unwrap_or(0);
                    let mut cycle: Vec<Edge> = stack
                        .get(start..)
                        .unwrap_or_default()
                        .iter()
                        .map(|s| (*s).clone())
                        .collect();
                    cycle.push((*e).clone());
                    return Some(cycle);
                }
                None => {
                    stack.push(e);
                    if let Some(c) = visit(e.to.as_str(), next, marks, stack) {
                        return Some(c);
                    }
                    stack.pop();
                }
            }
        }
        marks.insert(node, Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    let nodes: BTreeSet<&str> = edges.iter().map(|e| e.from.as_str()).collect();
    for node in nodes {
        if marks.contains_key(node) {
            continue;
        }
        if let Some(c) = visit(node, &next, &mut marks, &mut Vec::new()) {
            return Some(c);
        }
    }
    None
}

fn describe(cycle: &[Edge]) -> String {
    let names: Vec<&str> = cycle
        .iter()
        .map(|e| e.from.as_str())
        .chain(cycle.last().map(|e| e.to.as_str()))
        .collect();
    let steps: Vec<String> = cycle
        .iter()
        .map(|e| format!("  {} uses {} at {}", e.from, e.to, e.at))
        .collect();
    format!("{}\n{}", names.join(" → "), steps.join("\n"))
}

#[test]
fn top_level_modules_of_the_core_form_no_import_cycle() {
    let (_, edges) = file_graph();
    let mut seen = BTreeSet::new();
    let top: Vec<Edge> = edges
        .iter()
        .filter_map(|e| {
            let (from, to) = (top_level(&e.from), top_level(&e.to));
            (from != to && seen.insert((from.clone(), to.clone()))).then(|| Edge {
                from,
                to,
                at: e.at.clone(),
            })
        })
        .collect();
    if let Some(cycle) = find_cycle(&top) {
        panic!(
            "the core's top-level modules (a folder counts as one) form an import cycle:\n{}",
            describe(&cycle)
        );
    }
}

#[test]
fn files_of_the_core_form_no_import_cycle() {
    let (_, edges) = file_graph();
    if let Some(cycle) = find_cycle(&edges) {
        panic!(
            "the core's files form an import cycle:\n{}",
            describe(&cycle)
        );
    }
}

/// The module map: the lines between the markers in `ARCHITECTURE.md`, each
/// `` - `core/src/<file>` — what it owns ``, as (file, line number).
fn module_map() -> Vec<(String, usize)> {
    const START: &str = "<!-- core-module-map:start -->";
    const END: &str = "<!-- core-module-map:end -->";
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ARCHITECTURE.md");
    let text =
        fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let Some(start) = text.lines().position(|l| l.trim() == START) else {
        panic!("ARCHITECTURE.md has no module map: a line `{START}`, one line per module, `{END}`");
    };
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate().skip(start + 1) {
        let line = line.trim();
        if line == END {
            return out;
        }
        if line.is_empty() {
            continue;
        }
        let file = line
            .strip_prefix("- `core/src/")
            .and_then(|rest| rest.split_once('`'))
            .filter(|(file, what)| {
                file.ends_with(".rs") && what.trim_start().starts_with("— ") && what.len() > 4
            })
            .map(|(file, _)| file.to_owned());
        match file {
            Some(file) => out.push((file, n + 1)),
            None => panic!(
                "ARCHITECTURE.md:{}: a module map line reads `` - `core/src/<file>.rs` — what it owns ``, not `{line}`",
                n + 1
            ),
        }
    }
    panic!("ARCHITECTURE.md: the module map has no `{END}`");
}

#[test]
fn architecture_module_map_lists_every_core_module_and_nothing_else() {
    let files = module_files();
    let tree: BTreeSet<String> = files.keys().map(|m| file_name(&files, m)).collect();
    let map = module_map();
    let mut problems = Vec::new();
    let mut listed = BTreeSet::new();
    for (file, line) in &map {
        if !listed.insert(file.clone()) {
            problems.push(format!(
                "ARCHITECTURE.md:{line}: `core/src/{file}` is listed twice"
            ));
        }
        if !tree.contains(file) {
            problems.push(format!(
                "ARCHITECTURE.md:{line}: the map names `core/src/{file}`, which is no module of the core"
            ));
        }
    }
    for file in &tree {
        if !listed.contains(file) {
            problems.push(format!(
                "`core/src/{file}` is missing from the module map in ARCHITECTURE.md"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn architecture_module_map_reads_bottom_up() {
    let (_, edges) = file_graph();
    let map = module_map();
    let position: BTreeMap<&str, usize> = map
        .iter()
        .enumerate()
        .map(|(i, (file, _))| (file.as_str(), i))
        .collect();
    let problems: Vec<String> = edges
        .iter()
        .filter(|e| match (position.get(e.from.as_str()), position.get(e.to.as_str())) {
            (Some(from), Some(to)) => to > from,
            _ => false,
        })
        .map(|e| {
            format!(
                "the map lists `core/src/{}` above `core/src/{}`, which it uses ({}): a module comes after what it uses",
                e.from, e.to, e.at
            )
        })
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_core_module_starts_with_a_line_saying_what_it_owns() {
    let files = module_files();
    let missing: Vec<String> = files
        .iter()
        .filter(|(_, path)| {
            fs::read_to_string(path)
                .map(|s| !s.starts_with("//! "))
                .unwrap_or(true)
        })
        .map(|(m, _)| {
            format!(
                "core/src/{} does not start with a `//!` line",
                file_name(&files, m)
            )
        })
        .collect();
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}
