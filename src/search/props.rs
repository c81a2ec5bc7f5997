//! Property tests over the search parsers of untrusted input: the visible
//! text of arbitrary bytes and of mutated HTML, query rewriting of
//! arbitrary strings, snippets, and the normaliser. None may panic; a
//! rewritten query is always one FTS5 accepts; a body holds only
//! normalised words.
//!
//! Must not: run outside `cargo test`.

use proptest::prelude::*;

use super::normal::{body, rewrite, snippet, visible_text, word};

fn none(_: &str) -> Vec<String> {
    Vec::new()
}

thread_local! {
    /// An empty archive database to run rewritten queries against.
    static DB: (tempfile::TempDir, crate::db::Db) = {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::Db::create(&dir.path().join("t.db"), &|_, _| Ok(())).unwrap();
        (dir, db)
    };
}

proptest! {
    #[test]
    fn visible_text_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let _ = visible_text("text/html", &bytes);
        let _ = visible_text("text/plain", &bytes);
    }

    #[test]
    fn mutated_html_never_panics(cut in 0usize..400, flip in 0usize..400, b in any::<u8>()) {
        let page = "<html><head><meta charset=windows-1256><title>t</title><script>x<y</script></head>\
                    <body><!-- c --><p>Aleppo &amp; citadel</p><style>s</style></body></html>";
        let mut bytes = page.as_bytes().to_vec();
        if flip < bytes.len() {
            bytes[flip] = b;
        }
        bytes.truncate(cut);
        let _ = visible_text("text/html", &bytes);
    }

    #[test]
    fn every_rewritten_query_is_valid_fts5(q in "\\PC{0,40}") {
        if let Ok(r) = rewrite(&q, &none) {
            let ok = DB.with(|db| db.1.read().search_text(&r.fts).map(drop));
            // Unbalanced parentheses and dangling operators are the user's
            // syntax errors; anything else must parse.
            let user_syntax = q.contains(['(', ')']) || ["AND", "OR", "NOT"].iter().any(|o| q.contains(o));
            prop_assert!(ok.is_ok() || user_syntax, "{q:?} -> {:?}: {ok:?}", r.fts);
            let _ = snippet(&q, &r.terms);
        }
    }

    #[test]
    fn bodies_hold_normalised_words(text in "\\PC{0,80}") {
        let b = body(&text);
        for w in b.split(' ').filter(|w| !w.is_empty()) {
            prop_assert_eq!(word(w), w.to_owned());
        }
    }
}
