//! The ingest manifest: a CSV file, one row per file, a header naming the
//! columns (`path` plus any claim field of `claim::fields::FIELDS`). The whole file
//! is read and every row checked — the file exists and is a regular file,
//! no file is listed twice, every field is valid — before anything is
//! ingested; each problem names its line, column and reason.
//!
//! Must not: touch the archive, or stop at the first bad row.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::claim::fields::{self, Fields, Parsed};
use crate::error::{Error, ErrorKind, Result};

/// One good row.
#[derive(Debug, Clone)]
pub struct Row {
    /// The file, absolute.
    pub path: PathBuf,
    /// The collector's claims for it.
    pub claims: Parsed,
}

/// One problem in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// Line number (1 = header).
    pub line: u64,
    /// Column name ('' when the whole row is bad).
    pub column: String,
    /// What is wrong and what to do.
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.column.is_empty() {
            write!(f, "line {}: {}", self.line, self.message)
        } else {
            write!(f, "line {}, column {}: {}", self.line, self.column, self.message)
        }
    }
}

/// A checked manifest.
#[derive(Debug, Clone, Default)]
pub struct Manifest {
    /// Rows that passed every check.
    pub rows: Vec<Row>,
    /// Every problem found.
    pub errors: Vec<RowError>,
    /// The file itself is broken (its header, or a quote never closed):
    /// no row can be trusted, so skipping bad rows cannot help.
    pub broken: bool,
}

/// The line of a quote that opens a quoted field (RFC 4180) and is never
/// closed: the CSV reader would take every later row as part of that one
/// field.
fn unclosed_quote(bytes: &[u8]) -> Option<u64> {
    let (mut line, mut opened_at) = (1u64, None);
    let mut at_field_start = true;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match opened_at {
            None => match b {
                b'"' if at_field_start => {
                    opened_at = Some(line);
                    at_field_start = false;
                }
                b',' | b'\n' => at_field_start = true,
                b'\r' => {}
                _ => at_field_start = false,
            },
            Some(_) if b == b'"' => {
                if bytes.get(i + 1) == Some(&b'"') {
                    i += 1; // "" is a quote inside the value
                } else {
                    opened_at = None;
                }
            }
            Some(_) => {}
        }
        if b == b'\n' {
            line += 1;
        }
        i += 1;
    }
    opened_at
}

/// Read and check a manifest. Paths are relative to the manifest's folder.
/// Only an unreadable file is an error; bad rows are `errors`.
pub fn read(file: &Path) -> Result<Manifest> {
    let bytes = std::fs::read(file).map_err(|e| {
        Error::io("cannot read manifest", file, e)
            .hint("check the --manifest path; nothing was ingested")
    })?;
    let base = file.parent().map(Path::to_path_buf).unwrap_or_default();
    Ok(parse(&bytes, &base))
}

/// Check manifest bytes; relative paths resolve against `base`.
pub fn parse(bytes: &[u8], base: &Path) -> Manifest {
    let mut m = Manifest::default();
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    if let Some(line) = unclosed_quote(bytes) {
        m.broken = true;
        m.errors.push(RowError {
            line,
            column: String::new(),
            message: "a quote opened here is never closed, so every later row would be read \
                      as part of this value; close it (write \"\" for a quote inside a quoted \
                      value)"
                .into(),
        });
        return m;
    }
    let mut rdr = csv::ReaderBuilder::new().flexible(false).from_reader(bytes);
    let names = match columns(&mut rdr) {
        Ok(names) => names,
        Err(errors) => {
            m.broken = true;
            m.errors = errors;
            return m;
        }
    };
    let mut seen: HashMap<PathBuf, u64> = HashMap::new();
    for rec in rdr.byte_records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                let message = match e.kind() {
                    csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
                        format!(
                            "{len} fields, the header has {expected_len}: quote values that contain commas"
                        )
                    }
                    _ => format!("not valid CSV: {e}"),
                };
                m.errors.push(RowError { line, column: String::new(), message });
                continue;
            }
        };
        match row(&names, &rec, base, &mut seen) {
            Ok(r) => m.rows.push(r),
            Err(errs) => m.errors.extend(errs),
        }
    }
    if m.rows.is_empty() && m.errors.is_empty() {
        m.errors.push(RowError {
            line: 1,
            column: String::new(),
            message: "the manifest lists no files".into(),
        });
    }
    m
}

/// The header's column names (lowercase, `-` read as `_`), or what is
/// wrong with it.
fn columns(rdr: &mut csv::Reader<&[u8]>) -> Result<Vec<String>, Vec<RowError>> {
    let headers = rdr.byte_headers().map_err(|e| {
        let message = format!("the header row cannot be read: {e}");
        vec![RowError { line: 1, column: String::new(), message }]
    })?;
    let mut names = Vec::new();
    let mut errors = Vec::new();
    for h in headers.iter() {
        let name = String::from_utf8_lossy(h).trim().to_lowercase().replace('-', "_");
        let known = name == "path" || fields::FIELDS.iter().any(|f| f.name == name);
        let message = if !known {
            format!("unknown column; the columns are path, {}", fields::names())
        } else if names.contains(&name) {
            "column named twice".into()
        } else {
            String::new()
        };
        if !message.is_empty() {
            errors.push(RowError { line: 1, column: name.clone(), message });
        }
        names.push(name);
    }
    if !names.iter().any(|n| n == "path") {
        let message = "the header has no path column".into();
        errors.push(RowError { line: 1, column: "path".into(), message });
    }
    if errors.is_empty() { Ok(names) } else { Err(errors) }
}

/// One data row: its file (checked, not listed before) and its claims.
fn row(
    names: &[String],
    rec: &csv::ByteRecord,
    base: &Path,
    seen: &mut HashMap<PathBuf, u64>,
) -> Result<Row, Vec<RowError>> {
    let line = rec.position().map_or(0, |p| p.line());
    let mut errs = Vec::new();
    let mut err = |column: &str, message: String| {
        errs.push(RowError { line, column: column.into(), message });
    };
    let mut fields = Fields::default();
    let mut path = None;
    for (name, raw) in names.iter().zip(rec.iter()) {
        let Ok(v) = std::str::from_utf8(raw) else {
            err(name, "not valid UTF-8: save the manifest as UTF-8".into());
            continue;
        };
        if name == "path" {
            path = Some(v.trim().to_owned()).filter(|p| !p.is_empty());
        } else if let Err(e) = fields.set(name, v) {
            err(&e.field, e.message);
        }
    }
    let no_relations = |_: &str| Err("relations are made with `custody claim`".to_owned());
    let claims = match fields::parse_fields(&fields, None, &no_relations) {
        Ok(p) => Some(p),
        Err(fe) => {
            for e in fe {
                err(&e.field, e.message);
            }
            None
        }
    };
    let file = match path {
        None => {
            err("path", "empty: name the file this row describes".into());
            None
        }
        Some(p) => check_file(&base.join(&p), &p).map_err(|m| err("path", m)).ok(),
    };
    if let Some(f) = &file {
        if let Some(first) = seen.get(f) {
            let m =
                format!("duplicate row: line {first} already lists this file; merge the two rows");
            err("path", m);
        } else {
            seen.insert(f.clone(), line);
        }
    }
    match (file, claims) {
        (Some(path), Some(claims)) if errs.is_empty() => Ok(Row { path, claims }),
        _ => Err(errs),
    }
}

/// The canonical path of a regular file, or why the row cannot use it.
fn check_file(full: &Path, shown: &str) -> std::result::Result<PathBuf, String> {
    let meta = std::fs::symlink_metadata(full).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => {
            format!("{shown:?} does not exist (paths are relative to the manifest's folder)")
        }
        _ => format!("{shown:?} cannot be read: {e}"),
    })?;
    if meta.file_type().is_symlink() {
        return Err(format!("{shown:?} is a symbolic link; list the file it points to"));
    }
    if meta.is_dir() {
        return Err(format!("{shown:?} is a folder; list its files one per row"));
    }
    if !meta.is_file() {
        return Err(format!("{shown:?} is not a regular file"));
    }
    std::fs::canonicalize(full).map_err(|e| format!("{shown:?} cannot be resolved: {e}"))
}

/// An error summarising a manifest's problems (for callers that refuse
/// it); `skipping` says whether `--skip-bad-rows` was given.
pub fn refusal(file: &Path, m: &Manifest, skipping: bool) -> Error {
    let errors = &m.errors;
    let shown: Vec<String> = errors.iter().take(50).map(|e| format!("  {e}")).collect();
    let more = if errors.len() > 50 {
        format!("\n  … and {} more", errors.len() - 50)
    } else {
        String::new()
    };
    Error::new(
        ErrorKind::InvalidInput,
        format!(
            "manifest {} has {} problem{}; nothing was ingested:\n{}{more}",
            crate::text::shown(file),
            errors.len(),
            if errors.len() == 1 { "" } else { "s" },
            shown.join("\n")
        ),
    )
    .hint(if m.broken {
        "fix the manifest file itself (skipping rows cannot help) and run again"
    } else if skipping {
        "no row is good: fix the rows and run again"
    } else {
        "fix those rows, or pass --skip-bad-rows to ingest only the good ones"
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unclosed_quote_is_an_error_naming_its_line() {
        let dir = tempfile::tempdir().unwrap();
        for f in ["a.jpg", "b.jpg", "c.jpg"] {
            std::fs::write(dir.path().join(f), b"x").unwrap();
        }
        let csv = "path,description\na.jpg,\"fine, with a comma\"\nb.jpg,\"never closed\nc.jpg,x\n";
        let m = parse(csv.as_bytes(), dir.path());
        assert!(m.rows.is_empty() && m.broken, "{m:?}");
        assert_eq!(m.errors.len(), 1);
        assert_eq!(m.errors[0].line, 3);
        assert!(m.errors[0].message.contains("never closed"));
        // Escaped quotes and quoted newlines are not unclosed quotes.
        let ok = "path,description\na.jpg,\"say \"\"hi\"\"\nthen\"\nc.jpg,x\n";
        let m = parse(ok.as_bytes(), dir.path());
        assert_eq!((m.rows.len(), m.errors.len()), (2, 0), "{m:?}");
    }

    #[test]
    fn good_and_bad_rows() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.jpg"), b"x").unwrap();
        std::fs::write(dir.path().join("b.jpg"), b"y").unwrap();
        let csv = "path,lat,lon,captured_at\n\
                   a.jpg,36.1993,37.1627,2024-11-29T14:03:00+03:00\n\
                   b.jpg,91,37,\n";
        let m = parse(csv.as_bytes(), dir.path());
        assert_eq!(m.rows.len(), 1);
        assert!(m.rows[0].path.ends_with("a.jpg"));
        assert_eq!(m.errors.len(), 1);
        assert_eq!((m.errors[0].line, m.errors[0].column.as_str()), (3, "lat"));
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

            #[test]
            fn manifest_parsing_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
                let dir = tempfile::tempdir().unwrap();
                let m = parse(&bytes, dir.path());
                // Nothing exists in an empty folder: no row can be good.
                prop_assert!(m.rows.is_empty());
                prop_assert!(!m.errors.is_empty());
            }
        }
    }
}
