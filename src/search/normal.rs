//! Text as the search index holds it: the visible text of text and HTML
//! objects (charset declared or detected), words normalised so that a
//! reader's query finds them, FTS5 queries rewritten into the same words,
//! and snippets cut from the original text.
//!
//! Normalisation (one function, `word`, for the index and the query):
//! compatibility decomposition (NFKD), combining marks dropped (Latin
//! accents, Arabic harakat, shadda, sukun, superscript alef, hamza and
//! madda above or below, so أ إ آ → ا, ؤ → و, ئ → ي), alef wasla ٱ → ا,
//! taa marbuta ة → ه, alef maqsura ى and Farsi yeh ی → ي, tatweel and
//! spacing modifier letters (ʿ ʾ) dropped, lower case. FTS5's own
//! `remove_diacritics` covers Latin only, and a custom FTS5 tokenizer would
//! need FFI; so the index stores normalised words, space-separated.
//!
//! Must not: touch the database or the store.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// The most visible text indexed per object (the rest is not searchable;
/// the object itself is whole, of course).
pub const MAX_TEXT: usize = 1 << 20;

/// Whether `c` belongs to a word.
fn word_char(c: char) -> bool {
    c.is_alphanumeric() || is_combining_mark(c) || c == '\u{0640}'
}

/// One word, normalised (empty if nothing of it is left).
pub fn word(w: &str) -> String {
    if w.is_ascii() {
        // Nothing to decompose or drop: the common case, made cheap.
        return w.to_ascii_lowercase();
    }
    let mut out = String::with_capacity(w.len());
    for c in w.nfkd().filter_map(fold) {
        out.extend(c.to_lowercase());
    }
    out
}

/// One decomposed character as a word keeps it: `None` for what is
/// dropped (combining marks, tatweel, modifier letters), Arabic letter
/// variants as their plain letter.
fn fold(c: char) -> Option<char> {
    if is_combining_mark(c) || c == '\u{0640}' || ('\u{02B0}'..='\u{02FF}').contains(&c) {
        return None;
    }
    Some(match c {
        '\u{0671}' | '\u{0672}' | '\u{0673}' | '\u{0675}' => '\u{0627}',
        '\u{0629}' => '\u{0647}',
        '\u{0649}' | '\u{06CC}' | '\u{06D2}' => '\u{064A}',
        '\u{06A9}' => '\u{0643}',
        c => c,
    })
}

/// The first character of `body(text)`, found without normalising the
/// rest (the gazetteer sorts its names by it).
pub fn first_char(text: &str) -> Option<char> {
    text.chars()
        .filter(|c| word_char(*c))
        .find_map(|c| c.nfkd().filter_map(fold).flat_map(char::to_lowercase).next())
}

/// The words of `text` with their byte ranges in it.
pub fn words(text: &str) -> impl Iterator<Item = (std::ops::Range<usize>, &str)> {
    let mut rest = text.char_indices().peekable();
    std::iter::from_fn(move || {
        while let Some(&(_, c)) = rest.peek() {
            if word_char(c) {
                break;
            }
            rest.next();
        }
        let (start, _) = *rest.peek()?;
        let mut end = start;
        while let Some(&(i, c)) = rest.peek() {
            if !word_char(c) {
                break;
            }
            end = i + c.len_utf8();
            rest.next();
        }
        Some((start..end, &text[start..end]))
    })
}

/// `text` as the index stores it: its normalised words, space-separated.
pub fn body(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (_, w) in words(text) {
        let n = word(w);
        if !n.is_empty() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&n);
        }
    }
    out
}

/// The visible text of a text or HTML object (its first `MAX_TEXT` bytes
/// of text), decoded with its byte-order mark, its declared charset (HTML
/// `<meta>`) or, failing both, the charset `chardetng` detects; `None` for
/// other media types.
pub fn visible_text(media_type: &str, bytes: &[u8]) -> Option<String> {
    let html = match media_type {
        "text/html" => true,
        "text/plain" => false,
        _ => return None,
    };
    let declared = if html { declared_charset(bytes) } else { None };
    let enc =
        encoding_rs::Encoding::for_bom(bytes).map(|(e, _)| e).or(declared).unwrap_or_else(|| {
            if std::str::from_utf8(bytes).is_ok() {
                encoding_rs::UTF_8
            } else {
                let mut d = chardetng::EncodingDetector::new();
                d.feed(bytes, true);
                d.guess(None, true)
            }
        });
    let (text, _, _) = enc.decode(bytes);
    let text = if html { html_text(&text) } else { text.into_owned() };
    let mut end = text.len().min(MAX_TEXT);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    Some(text[..end].to_owned())
}

/// The charset an HTML page declares in its first 64 KiB.
fn declared_charset(bytes: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let head = &bytes[..bytes.len().min(64 << 10)];
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    let i = lower.windows(8).position(|w| w == b"charset=")? + 8;
    let label: Vec<u8> = lower[i..]
        .iter()
        .skip_while(|b| matches!(b, b'"' | b'\'' | b' '))
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':' | b'.'))
        .copied()
        .collect();
    encoding_rs::Encoding::for_label(&label)
}

/// The text a browser shows: tags, comments and the content of `script`,
/// `style`, `template` and `noscript` removed, every tag a word break,
/// entities decoded (the full HTML5 set, `htmlize`).
fn html_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let lower = html.to_ascii_lowercase();
    let mut at = 0;
    while let Some(lt) = html[at..].find('<').map(|i| i + at) {
        out.push_str(&htmlize::unescape(&html[at..lt]));
        out.push(' ');
        let rest = &lower[lt..];
        at = if rest.starts_with("<!--") {
            rest.find("-->").map_or(html.len(), |i| lt + i + 3)
        } else {
            let close = rest.find('>').map_or(html.len(), |i| lt + i + 1);
            let hidden =
                ["script", "style", "template", "noscript", "title"].into_iter().find(|t| {
                    rest[1..].starts_with(t)
                        && !rest[1 + t.len()..].starts_with(char::is_alphanumeric)
                });
            match hidden {
                Some(t) => {
                    let end = format!("</{t}");
                    lower[close.min(html.len())..].find(&end).map_or(html.len(), |i| {
                        let from = close + i;
                        lower[from..].find('>').map_or(html.len(), |j| from + j + 1)
                    })
                }
                None => close,
            }
        };
    }
    if at < html.len() {
        out.push_str(&htmlize::unescape(&html[at..]));
    }
    out
}

/// One term of a query, as the index holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// Its normalised words (one, or a phrase's).
    pub words: Vec<String>,
    /// A prefix (`word*`).
    pub prefix: bool,
}

/// A query rewritten for FTS5, and the terms it looks for (for snippets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewritten {
    /// The FTS5 MATCH expression.
    pub fts: String,
    /// Every word or phrase it looks for, place-name variants included.
    pub terms: Vec<Term>,
}

/// Rewrite a user's query (FTS5 syntax: words, "phrases", `word*`, AND, OR,
/// NOT, parentheses) into the index's normalised words; each bare word or
/// phrase that names a place the gazetteer knows also matches the place's
/// other names (`expand`). `Err` names what is wrong.
pub fn rewrite(query: &str, expand: &dyn Fn(&str) -> Vec<String>) -> Result<Rewritten, String> {
    let mut fts = Vec::<String>::new();
    let mut terms = Vec::new();
    let mut chars = query.char_indices().peekable();
    let mut push_term = |words: Vec<String>, prefix: bool, fts: &mut Vec<String>| {
        if words.is_empty() {
            return;
        }
        let joined = words.join(" ");
        let mut alts = vec![format!("\"{joined}\"{}", if prefix { "*" } else { "" })];
        terms.push(Term { words: words.clone(), prefix });
        if !prefix {
            for alt in expand(&joined) {
                if alt != joined {
                    alts.push(format!("\"{alt}\""));
                    terms.push(Term {
                        words: alt.split(' ').map(str::to_owned).collect(),
                        prefix: false,
                    });
                }
            }
        }
        fts.push(if alts.len() == 1 { alts.remove(0) } else { format!("({})", alts.join(" OR ")) });
    };
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => {
                let start = i + 1;
                let mut end = None;
                for (j, d) in chars.by_ref() {
                    if d == '"' {
                        end = Some(j);
                        break;
                    }
                }
                let end = end.ok_or_else(|| {
                    format!("the phrase starting at character {} has no closing quote", i + 1)
                })?;
                let prefix = chars.peek().is_some_and(|&(_, d)| d == '*');
                if prefix {
                    chars.next();
                }
                let words: Vec<String> = words(&query[start..end])
                    .map(|(_, w)| word(w))
                    .filter(|w| !w.is_empty())
                    .collect();
                push_term(words, prefix, &mut fts);
            }
            '(' | ')' => fts.push(c.to_string()),
            c if word_char(c) => {
                let mut end = i + c.len_utf8();
                while let Some(&(j, d)) = chars.peek() {
                    if !word_char(d) {
                        break;
                    }
                    end = j + d.len_utf8();
                    chars.next();
                }
                let raw = &query[i..end];
                let prefix = chars.peek().is_some_and(|&(_, d)| d == '*');
                if prefix {
                    chars.next();
                }
                if matches!(raw, "AND" | "OR" | "NOT") {
                    fts.push(raw.to_owned());
                } else {
                    let w = word(raw);
                    push_term(if w.is_empty() { vec![] } else { vec![w] }, prefix, &mut fts);
                }
            }
            _ => {}
        }
    }
    if terms.is_empty() {
        return Err("it has no word to look for".into());
    }
    Ok(Rewritten { fts: fts.join(" "), terms })
}

/// A snippet of `original` around the first place a term matches (a word,
/// a prefix, or a phrase's words in a row), the matched words in
/// [brackets]; `None` when no term matches (the match was in words past
/// the first `SNIPPET_WORDS`).
pub fn snippet(original: &str, terms: &[Term]) -> Option<String> {
    const BEFORE: usize = 8;
    const AFTER: usize = 16;
    const SNIPPET_WORDS: usize = 100_000;
    let all: Vec<(std::ops::Range<usize>, String)> =
        words(original).take(SNIPPET_WORDS).map(|(r, w)| (r, word(w))).collect();
    // The length of the term that matches at `i`, if any.
    let at = |i: usize| {
        terms.iter().find_map(|t| {
            let n = t.words.len();
            let here = all.get(i..i + n)?;
            let last = n - 1;
            let ok = here.iter().zip(&t.words).enumerate().all(|(k, ((_, w), tw))| {
                if t.prefix && k == last { w.starts_with(tw.as_str()) } else { w == tw }
            });
            ok.then_some(n)
        })
    };
    let first = (0..all.len()).find(|&i| at(i).is_some())?;
    let (lo, hi) = (first.saturating_sub(BEFORE), (first + AFTER).min(all.len()));
    let mut marked = vec![false; hi - lo];
    let mut i = lo;
    while i < hi {
        match at(i) {
            Some(n) => {
                for m in marked.iter_mut().skip(i - lo).take(n) {
                    *m = true;
                }
                i += n;
            }
            None => i += 1,
        }
    }
    let mut out = String::new();
    if lo > 0 {
        out.push('…');
    }
    let mut pos = all[lo].0.start;
    for (k, (r, _)) in all[lo..hi].iter().enumerate() {
        out.push_str(&original[pos..r.start]);
        if marked[k] {
            out.push('[');
            out.push_str(&original[r.clone()]);
            out.push(']');
        } else {
            out.push_str(&original[r.clone()]);
        }
        pos = r.end;
    }
    if hi < all.len() {
        out.push('…');
    } else {
        out.push_str(&original[pos..]);
    }
    Some(out.split_whitespace().collect::<Vec<_>>().join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_char_is_the_bodys() {
        for t in [
            "Ḩalab",
            "  حـــلب",
            "\u{0640}ـإدلب",
            "İstanbul",
            "Алеппо",
            "«Alep»",
            "ʿAyn al-ʿArab",
            "",
            "--",
        ] {
            assert_eq!(first_char(t), body(t).chars().next(), "{t:?}");
        }
    }

    fn none(_: &str) -> Vec<String> {
        Vec::new()
    }

    #[test]
    fn arabic_letters_fold_as_a_reader_expects() {
        // Diacritics (harakat, shadda), alef variants, taa marbuta, alef
        // maqsura, tatweel.
        assert_eq!(word("مُحَمَّد"), word("محمد"));
        for alef in ["أحمد", "إحمد", "آحمد", "ٱحمد"] {
            assert_eq!(word(alef), "احمد", "{alef}");
        }
        assert_eq!(word("مدرسة"), word("مدرسه"));
        assert_eq!(word("مستشفى"), word("مستشفي"));
        assert_eq!(word("حـــلب"), "حلب");
        assert_ne!(word("حلب"), word("حلم"));
        // Presentation forms (PDF text) fold to the letters.
        assert_eq!(word("\u{FEA3}\u{FEE0}\u{FE8F}"), "حلب");
    }

    #[test]
    fn latin_diacritics_and_case_fold() {
        assert_eq!(word("Saadalláh"), "saadallah");
        assert_eq!(word("Ḩalab"), "halab");
        assert_eq!(word("ʿAyn"), "ayn");
        assert_eq!(word("ÇELİK"), word("celik"));
        assert_ne!(word("Saadallah"), word("Saadalla"));
    }

    #[test]
    fn bodies_keep_word_order() {
        assert_eq!(body("  Hay'at Tahrir al-Sham, 29/11 "), "hay at tahrir al sham 29 11");
        assert_eq!(body("قيادة العمليات العسكرية"), "قياده العمليات العسكريه");
    }

    #[test]
    fn html_visible_text_only() {
        let page = "<html><head><title>T</title><style>p{x}</style><script>var a='<b>';</script>\
                    </head><body><!-- hidden --><p>Aleppo&nbsp;citadel &amp; square</p>\
                    <noscript>n</noscript><scripted>kept</scripted></body></html>";
        let t = visible_text("text/html", page.as_bytes()).unwrap();
        assert_eq!(body(&t), "aleppo citadel square kept");
        assert_eq!(visible_text("image/jpeg", b"x"), None);
    }

    #[test]
    fn charsets_declared_or_detected() {
        // "حلب" in windows-1256 (0xCD 0xE1 0xC8), declared and undeclared.
        let declared =
            b"<html><head><meta charset=windows-1256></head><body>\xCD\xE1\xC8</body></html>";
        assert_eq!(body(&visible_text("text/html", declared).unwrap()), "حلب");
        let plain = "\u{0642}\u{0627}\u{0644} \u{0645}\u{0631}\u{0643}\u{0632} \u{062d}\u{0644}\u{0628} \
                     \u{0627}\u{0644}\u{0625}\u{0639}\u{0644}\u{0627}\u{0645}\u{064a} \u{0625}\u{0646} \
                     \u{0627}\u{0644}\u{0645}\u{0642}\u{0627}\u{062a}\u{0644}\u{064a}\u{0646} \
                     \u{062f}\u{062e}\u{0644}\u{0648}\u{0627} \u{0627}\u{0644}\u{0645}\u{062f}\u{064a}\u{0646}\u{0629}";
        let (bytes, _, bad) = encoding_rs::WINDOWS_1256.encode(plain);
        assert!(!bad);
        assert_eq!(visible_text("text/plain", &bytes).unwrap(), plain);
    }

    #[test]
    fn queries_are_rewritten_into_index_words() {
        let r = rewrite("Saadalláh AND \"قيادة العمليات\" OR alep* NOT (x)", &none).unwrap();
        assert_eq!(r.fts, "\"saadallah\" AND \"قياده العمليات\" OR \"alep\"* NOT ( \"x\" )");
        assert!(rewrite("\"open", &none).unwrap_err().contains("closing quote"));
        assert!(rewrite("  - ", &none).is_err());
        let alts =
            |w: &str| if w == "halab" { vec!["aleppo".into(), "حلب".into()] } else { vec![] };
        let r = rewrite("Halab", &alts).unwrap();
        assert_eq!(r.fts, "(\"halab\" OR \"aleppo\" OR \"حلب\")");
        assert_eq!(r.terms.len(), 3);
    }

    #[test]
    fn snippets_come_from_the_original() {
        let text = "Reported on 29 November: the Military Operations Command entered Saadalláh al-Jabiri square.";
        let r = rewrite("saadallah", &none).unwrap();
        let s = snippet(text, &r.terms).unwrap();
        assert_eq!(
            s,
            "…on 29 November: the Military Operations Command entered [Saadalláh] al-Jabiri square."
        );
        assert_eq!(snippet("nothing here", &r.terms), None);
        // A phrase is marked only where its words stand in a row; a word of
        // it alone is not a match.
        let r = rewrite("\"operations command\" OR squ*", &none).unwrap();
        let s = snippet("command first, then the operations command, in the square", &r.terms);
        assert_eq!(s.unwrap(), "command first, then the [operations] [command], in the [square]");
    }
}
