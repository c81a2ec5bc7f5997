//! House rules enforced as tests: every source file opens with `//!`, SQL
//! and rusqlite stay in `src/db*`, ed25519-dalek stays in `src/crypto*`, the
//! library never prints, and released migrations are never edited.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

fn sources() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            (rel, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

#[test]
fn every_source_file_says_what_it_owns() {
    for (path, text) in sources() {
        assert!(text.starts_with("//!"), "{path} must start with a //! comment");
        assert!(text.contains("Must not"), "{path}: its //! must say what it must not do");
    }
}

#[test]
fn sql_and_signing_stay_in_their_modules() {
    for (path, text) in sources() {
        if !path.starts_with("src/db") {
            assert!(!text.contains("rusqlite"), "{path} uses rusqlite: SQL lives in src/db*");
        }
        if !path.starts_with("src/crypto") {
            assert!(!text.contains("ed25519_dalek"), "{path} uses ed25519_dalek directly");
        }
        if !path.starts_with("src/bin") {
            for bad in ["println!", "print!(", "eprintln!", "std::process::exit", "std::env::var"] {
                assert!(!text.contains(bad), "{path} contains {bad}: only the binary may");
            }
        }
    }
}

#[test]
fn released_migrations_are_never_edited() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let pinned = [
        ("0001_init.sql", "848ea7d6b4b4e8bac187a3a812372380b6e9dad88dec6aa5f67ea65518db0d17"),
        ("0002_claims.sql", "e45a76ca0b1888b57c20bc13b7133c779bffa907adc0be7290fbfe29b8360cc5"),
        ("0003_log.sql", "b226578bbc50b9a0eaeb0366f0d0b129e4e626e0cd1a6cf4ffe894874d31f23d"),
        ("0004_key_owners.sql", "78ba6fe364130ac161706aae378a98ff91c3bbea6183e6b54effd35bb0d068ad"),
        ("0005_bundles.sql", "771ff7268e139ddafd8f38efa1f5e959bb5d900a59bbd8112f22ea3feb3903df"),
        ("0006_search.sql", "caf702801ae8eba5936192b906a6b795e18fab4134870da7625604f484f36035"),
        (
            "0007_search_places_in_time.sql",
            "87019c952827aaf18dbcaab054cbfc52ffe230db8cce9f7cacc2ebc52781f811",
        ),
        (
            "0008_search_flags_after_ingest.sql",
            "474774f06c0858a4222a1773a19208280c202fdf66df97344d9ecbcf8ee68471",
        ),
        (
            "0009_ingest_paths.sql",
            "9cbaa967bf89d548b952c18cf10052c0cb751f8d1f13970cb03c8b5cd402e153",
        ),
    ];
    for (name, digest) in pinned {
        let bytes = std::fs::read(root.join("schema").join(name)).unwrap();
        assert_eq!(
            blake3::hash(&bytes).to_hex().as_str(),
            digest,
            "schema/{name} was edited: add a new migration instead"
        );
    }
}

#[test]
fn evidence_rows_are_never_edited_or_deleted() {
    let db =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/db.rs")).unwrap();
    let sql = db.to_uppercase();
    for forbidden in [
        "UPDATE CLAIMS",
        "DELETE FROM CLAIMS",
        "UPDATE RECORDS",
        "DELETE FROM RECORDS",
        "UPDATE ITEMS",
        "DELETE FROM ITEMS",
    ] {
        assert!(!sql.contains(forbidden), "src/db.rs must not contain {forbidden}");
    }
}

// ---------------------------------------------------------------- the module graph
//
// Every file of the library is a module node (`src/lib.rs` is `crate`,
// `src/a/b.rs` is `a::b`); test-only modules (`#[cfg(test)]`) are left out.
// An edge A -> B is any path A writes that resolves to B: `use` trees and
// inline paths, from `crate::`, `super::`, `self::` or a child module's
// name, resolved to the longest prefix that is a module. The graph must
// have no circle (file by file, and top-level module by top-level module),
// nothing but the crate root may reach `commands`, and ARCHITECTURE.md
// must show the top-level arrows exactly as they are.

use std::collections::{BTreeMap, BTreeSet};

/// Source text with comments, string and char literals blanked out.
fn code_only(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == b'/' && next == Some(b'/') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if c == b'/' && next == Some(b'*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if c == b'r'
            && (next == Some(b'"') || next == Some(b'#'))
            && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_'))
        {
            // Raw string r"…" / r#"…"#.
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&b'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&b'"') {
                out.push(c as char);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= b.len() {
                    break;
                }
                if b[j] == b'"' && (0..hashes).all(|k| b.get(j + 1 + k) == Some(&b'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == b'\'' {
            // A char literal ('a', '\n', '\u{..}') or a lifetime ('a).
            let close = if next == Some(b'\\') {
                (i + 2..b.len().min(i + 12)).find(|&j| b[j] == b'\'')
            } else {
                let ch_len = src[i + 1..].chars().next().map_or(1, char::len_utf8);
                (b.get(i + 1 + ch_len) == Some(&b'\'')).then_some(i + 1 + ch_len)
            };
            match close {
                Some(j) => {
                    out.push_str("' '");
                    i = j + 1;
                }
                None => {
                    out.push('\'');
                    i += 1;
                }
            }
        } else {
            let ch = src[i..].chars().next().unwrap();
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

/// The index of the brace that closes the one opened at `open`.
fn matching_brace(code: &[u8], open: usize) -> usize {
    let mut depth = 0;
    for (j, &c) in code.iter().enumerate().skip(open) {
        match c {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return j;
                }
            }
            _ => {}
        }
    }
    code.len()
}

/// The code without `#[cfg(test)]` items, and the names of the modules it
/// declares (`mod x;`), each marked test-only or not.
fn strip_tests(code: &str) -> (String, Vec<(String, bool)>) {
    let mut out = String::new();
    let mut mods = Vec::new();
    let mut rest = code;
    let decl = regex_lite("mod");
    while let Some(i) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..i]);
        let after = &rest[i + "#[cfg(test)]".len()..];
        let t = after.trim_start();
        let skipped = after.len() - t.len();
        if let Some(name) = t.strip_prefix("mod ").and_then(|r| r.split(';').next())
            && !name.contains('{')
        {
            mods.push((name.trim().to_owned(), true));
            rest = &after[skipped + 4 + name.len() + 1..];
            continue;
        }
        match t.find('{') {
            Some(o) => {
                let end = matching_brace(t.as_bytes(), o);
                rest = &t[(end + 1).min(t.len())..];
            }
            None => rest = "",
        }
    }
    out.push_str(rest);
    for (name, test) in decl(&out) {
        if !test {
            mods.push((name, false));
        }
    }
    (out, mods)
}

/// `mod NAME;` declarations in code (never test-only here).
fn regex_lite(_kw: &str) -> impl Fn(&str) -> Vec<(String, bool)> {
    |code: &str| {
        let mut v = Vec::new();
        for line in code.lines() {
            let t = line.trim();
            let t = t.strip_prefix("pub(crate) ").or_else(|| t.strip_prefix("pub ")).unwrap_or(t);
            if let Some(n) = t.strip_prefix("mod ").and_then(|r| r.strip_suffix(';')) {
                v.push((n.trim().to_owned(), false));
            }
        }
        v
    }
}

/// Expand a `use` tree (`a::{b, c::{d, self}}`) into full paths.
fn use_paths(tree: &str) -> Vec<Vec<String>> {
    fn expand(prefix: &[String], tree: &str, out: &mut Vec<Vec<String>>) {
        let tree = tree.trim();
        if let Some(i) = tree.find('{') {
            let head: Vec<String> = tree[..i]
                .split("::")
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            let inner = &tree[i + 1..tree.rfind('}').unwrap_or(tree.len())];
            let mut base = prefix.to_vec();
            base.extend(head);
            let mut depth = 0;
            let mut start = 0;
            for (j, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        expand(&base, &inner[start..j], out);
                        start = j + 1;
                    }
                    _ => {}
                }
            }
            expand(&base, &inner[start..], out);
        } else if !tree.is_empty() {
            let mut p = prefix.to_vec();
            let tree = tree.split(" as ").next().unwrap_or(tree);
            p.extend(
                tree.split("::")
                    .map(str::trim)
                    .filter(|s| !s.is_empty() && *s != "self")
                    .map(str::to_owned),
            );
            out.push(p);
        }
    }
    let mut out = Vec::new();
    expand(&[], tree, &mut out);
    out
}

/// Every path the code writes: use trees, and inline `a::b::c` paths.
fn paths_in(code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    let is_ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    // use trees
    let mut at = 0;
    while let Some(i) = code[at..].find("use ") {
        let i = at + i;
        at = i + 4;
        if i > 0 && is_ident(bytes[i - 1]) {
            continue;
        }
        let Some(end) = code[at..].find(';') else { break };
        out.extend(use_paths(&code[at..at + end]));
        at += end;
    }
    // inline paths: ident(::ident)+
    let mut i = 0;
    while i < bytes.len() {
        if is_ident(bytes[i]) && (i == 0 || !(is_ident(bytes[i - 1]) || bytes[i - 1] == b':')) {
            let mut segs = Vec::new();
            let mut j = i;
            loop {
                let s = j;
                while j < bytes.len() && is_ident(bytes[j]) {
                    j += 1;
                }
                segs.push(code[s..j].to_owned());
                if code[j..].starts_with("::") && bytes.get(j + 2).is_some_and(|c| is_ident(*c)) {
                    j += 2;
                } else {
                    break;
                }
            }
            if segs.len() > 1 {
                out.push(segs);
            }
            i = j.max(i + 1);
        } else {
            i += 1;
        }
    }
    out
}

struct ModuleGraph {
    /// Module path ("crate" for the root) -> the modules it refers to.
    edges: BTreeMap<String, BTreeSet<String>>,
}

fn module_graph() -> ModuleGraph {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    // Module name of every library file, and its code without tests.
    let mut code: BTreeMap<String, String> = BTreeMap::new();
    let mut children: BTreeMap<String, Vec<(String, bool)>> = BTreeMap::new();
    for f in &files {
        let rel = f.strip_prefix(&root).unwrap().to_string_lossy().into_owned();
        if rel.starts_with("bin/") {
            continue;
        }
        let name = match rel.as_str() {
            "lib.rs" => "crate".to_owned(),
            r => r.trim_end_matches(".rs").replace('/', "::"),
        };
        let (c, mods) = strip_tests(&code_only(&std::fs::read_to_string(f).unwrap()));
        code.insert(name.clone(), c);
        children.insert(name, mods);
    }
    // Drop test-only files.
    let mut test_only = BTreeSet::new();
    for (m, kids) in &children {
        for (k, test) in kids {
            if *test {
                test_only.insert(if m == "crate" { k.clone() } else { format!("{m}::{k}") });
            }
        }
    }
    code.retain(|m, _| !test_only.iter().any(|t| m == t || m.starts_with(&format!("{t}::"))));
    let modules: BTreeSet<String> = code.keys().cloned().collect();
    let mut edges = BTreeMap::new();
    for (m, c) in &code {
        let here: Vec<String> =
            if m == "crate" { vec![] } else { m.split("::").map(str::to_owned).collect() };
        let kids: BTreeSet<&str> =
            children[m].iter().filter(|k| !k.1).map(|k| k.0.as_str()).collect();
        let mut out = BTreeSet::new();
        for p in paths_in(c) {
            let mut abs: Vec<String> = match p[0].as_str() {
                "crate" => p[1..].to_vec(),
                "self" => here.iter().cloned().chain(p[1..].iter().cloned()).collect(),
                "super" => {
                    let ups = p.iter().take_while(|s| *s == "super").count();
                    let keep = here.len().saturating_sub(ups);
                    here[..keep].iter().cloned().chain(p[ups..].iter().cloned()).collect()
                }
                k if kids.contains(k) => here.iter().cloned().chain(p.iter().cloned()).collect(),
                _ => continue, // an external crate or a type's associated item
            };
            // The longest prefix that is a module.
            let target = loop {
                let name = if abs.is_empty() { "crate".to_owned() } else { abs.join("::") };
                if modules.contains(&name) {
                    break name;
                }
                abs.pop();
            };
            if &target != m {
                out.insert(target);
            }
        }
        edges.insert(m.clone(), out);
    }
    ModuleGraph { edges }
}

/// A circle in `edges`, as its path, if there is one.
fn find_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(n.to_owned(), 1);
        stack.push(n.to_owned());
        for m in edges.get(n).into_iter().flatten() {
            match state.get(m.as_str()).copied().unwrap_or(0) {
                1 => {
                    let i = stack.iter().position(|s| s == m).unwrap();
                    let mut c = stack[i..].to_vec();
                    c.push(m.clone());
                    return Some(c);
                }
                0 => {
                    if let Some(c) = visit(m, edges, state, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(n.to_owned(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in edges.keys() {
        if state.get(n.as_str()).copied().unwrap_or(0) == 0
            && let Some(c) = visit(n, edges, &mut state, &mut Vec::new())
        {
            return Some(c);
        }
    }
    None
}

fn top(m: &str) -> String {
    m.split("::").next().unwrap().to_owned()
}

/// The top-level arrows (the crate root left out: it declares everything).
fn top_level(g: &ModuleGraph) -> BTreeMap<String, BTreeSet<String>> {
    let mut t: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (m, targets) in &g.edges {
        if m == "crate" {
            continue;
        }
        let e = t.entry(top(m)).or_default();
        for x in targets {
            if top(x) != top(m) && x != "crate" {
                e.insert(top(x));
            }
        }
    }
    t
}

#[test]
fn the_parser_reads_use_trees_and_inline_paths() {
    let code = code_only(
        "use crate::a::{b, c::{self, D}};\nuse super::x as y; // use crate::zzz::q;\n\
         fn f() { let _ = crate::e::F; let s = \"crate::g::H\"; let c = '{'; }\n",
    );
    let mut paths: Vec<String> = paths_in(&code).into_iter().map(|p| p.join("::")).collect();
    paths.sort();
    paths.dedup();
    assert!(paths.contains(&"crate::a::b".to_owned()), "{paths:?}");
    assert!(paths.contains(&"crate::a::c".to_owned()), "{paths:?}");
    assert!(paths.contains(&"crate::a::c::D".to_owned()), "{paths:?}");
    assert!(paths.contains(&"super::x".to_owned()), "{paths:?}");
    assert!(paths.contains(&"crate::e::F".to_owned()), "{paths:?}");
    assert!(!paths.iter().any(|p| p.contains("zzz") || p.contains("crate::g")), "{paths:?}");
    let (stripped, mods) =
        strip_tests("mod a;\n#[cfg(test)]\nmod b;\n#[cfg(test)]\nmod t { use crate::x; }\n");
    assert!(!stripped.contains("crate::x"));
    assert_eq!(mods, [("b".to_owned(), true), ("a".to_owned(), false)]);
    let mut cyc = BTreeMap::new();
    cyc.insert("a".to_owned(), BTreeSet::from(["b".to_owned()]));
    cyc.insert("b".to_owned(), BTreeSet::from(["a".to_owned()]));
    assert!(find_cycle(&cyc).is_some());
    cyc.insert("b".to_owned(), BTreeSet::new());
    assert!(find_cycle(&cyc).is_none());
}

#[test]
fn modules_import_no_circle_and_only_the_root_reaches_commands() {
    let g = module_graph();
    assert!(g.edges.len() > 30, "the graph was not read: {:?}", g.edges.keys());
    if let Some(c) = find_cycle(&g.edges) {
        panic!("import circle between files: {}", c.join(" -> "));
    }
    if let Some(c) = find_cycle(&top_level(&g)) {
        panic!("import circle between top-level modules: {}", c.join(" -> "));
    }
    // Nothing outside `commands` reaches `commands` (transitively).
    for start in g.edges.keys().filter(|m| *m != "crate" && top(m) != "commands") {
        let mut seen = BTreeSet::new();
        let mut todo = vec![start.clone()];
        while let Some(n) = todo.pop() {
            for m in g.edges.get(&n).into_iter().flatten() {
                assert!(
                    top(m) != "commands",
                    "{start} reaches {m} (through {n}): lower layers must not import commands"
                );
                if seen.insert(m.clone()) {
                    todo.push(m.clone());
                }
            }
        }
    }
}

#[test]
fn architecture_md_shows_the_arrows_as_they_are() {
    let t = top_level(&module_graph());
    let mut want = String::new();
    for (m, targets) in &t {
        let list: Vec<&str> = targets.iter().map(String::as_str).collect();
        want.push_str(&format!(
            "{m} -> {}\n",
            if list.is_empty() { "(nothing)".to_owned() } else { list.join(", ") }
        ));
    }
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("ARCHITECTURE.md"))
            .unwrap();
    let start = "<!-- module arrows: checked by tests/tidy.rs -->\n```text\n";
    let got = doc
        .split_once(start)
        .and_then(|(_, rest)| rest.split_once("```"))
        .map(|(block, _)| block.to_owned())
        .unwrap_or_default();
    assert_eq!(got, want, "update ARCHITECTURE.md's module arrows to:\n{want}");
}
