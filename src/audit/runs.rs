//! Checking the columns that steer the audit itself: an object's
//! `last_checked_at` decides when `audit --limit` re-reads it, so it must
//! be the finish time of a recorded audit run (pushed into the future, it
//! would hide a damaged object from partial audits for ever); and a run's
//! `findings` count must be the number of findings its logged report
//! holds (edited, it would show an audit with findings as a clean one).
//!
//! Must not: read the database (the caller hands in rows) or repair.

use std::collections::HashSet;

use crate::db::{AuditRunRow, ObjectRow};
use crate::finding::{Code, Finding};

/// Findings about objects' edited `last_checked_at` (`objects`: a page of
/// them).
pub fn check_checked_at(objects: &[ObjectRow], runs: &[AuditRunRow]) -> Vec<Finding> {
    let finished: HashSet<&str> = runs.iter().map(|r| r.finished_at.as_str()).collect();
    let mut out = Vec::new();
    for o in objects {
        if let Some(at) = &o.last_checked_at
            && !finished.contains(at.as_str())
        {
            out.push(Finding::new(
                Code::EditedColumn,
                format!("object {}", o.blake3),
                "objects.last_checked_at",
                format!(
                    "last checked at {at:?}, which is not when any recorded audit finished: \
                     the column was edited (a later time would keep partial audits from \
                     re-reading this object)"
                ),
                "clear the column (it is re-derived by the next audit that reads the object)",
            ));
        }
    }
    out
}

/// Findings about audit runs' edited `findings` counts.
pub fn check_run_counts(runs: &[AuditRunRow]) -> Vec<Finding> {
    let mut out = Vec::new();
    for r in runs {
        let logged = serde_json::from_str::<Vec<serde_json::Value>>(&r.report).map(|v| v.len());
        if !matches!(logged, Ok(n) if i64::try_from(n).ok() == Some(r.findings)) {
            let n = logged.map_or("an unreadable number of".to_owned(), |n| n.to_string());
            out.push(Finding::new(
                Code::EditedColumn,
                format!("audit run {}", r.id),
                format!("audit_runs.findings (row {})", r.id),
                format!("column says {} findings, the logged report holds {n}", r.findings),
                "the report is authoritative (its fixity-check event hashes it): restore the \
                 column from it",
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(checked: Option<&str>) -> ObjectRow {
        ObjectRow {
            blake3: "ab".repeat(32),
            sha256: "cd".repeat(32),
            size: 1,
            encoding: "none".into(),
            stored_size: 1,
            stored_at: "2024-11-30T10:00:00Z".into(),
            last_checked_at: checked.map(str::to_owned),
        }
    }

    fn run(at: &str, report: &str, findings: i64) -> AuditRunRow {
        AuditRunRow { id: 1, finished_at: at.into(), report: report.into(), findings }
    }

    #[test]
    fn check_times_must_be_audit_times() {
        let runs = [run("2024-12-01T10:00:00Z", "[]", 0)];
        assert!(
            check_checked_at(&[object(None), object(Some("2024-12-01T10:00:00Z"))], &runs)
                .is_empty()
        );
        let f = check_checked_at(&[object(Some("2099-01-01T00:00:00Z"))], &runs);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].location, "objects.last_checked_at");
    }

    #[test]
    fn finding_counts_must_match_reports() {
        assert!(check_run_counts(&[run("t", "[{\"code\":\"x\"}]", 1)]).is_empty());
        let f = check_run_counts(&[run("t", "[{\"code\":\"x\"}]", 0)]);
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("column says 0 findings, the logged report holds 1"));
    }
}
