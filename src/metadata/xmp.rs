//! XMP packets (ISO 16684-1): the properties we read, by their standard
//! prefixes (`exif:DateTimeOriginal`, `photoshop:DateCreated`, `dc:title`
//! …) whatever prefix the packet itself binds, whether written as
//! attributes of `rdf:Description` or as elements, simple or as an
//! `rdf:Alt` (the `x-default` item first), `rdf:Seq` or `rdf:Bag` (items
//! joined with "; "); and the value syntaxes XMP uses for dates and GPS
//! coordinates.
//!
//! Must not: decide which claims the properties make (metadata.rs does).

use std::collections::BTreeMap;

const RDF: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
const XML: &str = "http://www.w3.org/XML/1998/namespace";

/// The namespaces read, with the prefix their properties are named by.
const NAMESPACES: &[(&str, &str)] = &[
    ("http://ns.adobe.com/exif/1.0/", "exif"),
    ("http://cipa.jp/exif/1.0/", "exifEX"),
    ("http://ns.adobe.com/exif/1.0/aux/", "aux"),
    ("http://ns.adobe.com/tiff/1.0/", "tiff"),
    ("http://ns.adobe.com/xap/1.0/", "xmp"),
    ("http://ns.adobe.com/photoshop/1.0/", "photoshop"),
    ("http://purl.org/dc/elements/1.1/", "dc"),
    ("http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/", "Iptc4xmpCore"),
];

/// The properties of a packet: `prefix:Name` → value.
pub type Properties = BTreeMap<String, String>;

fn name_of(node: roxmltree::ExpandedName<'_, '_>) -> Option<String> {
    let ns = node.namespace()?;
    let (_, prefix) = NAMESPACES.iter().find(|(uri, _)| *uri == ns)?;
    Some(format!("{prefix}:{}", node.name()))
}

/// The value of a property element: its text, or its container's items.
fn element_value(e: roxmltree::Node<'_, '_>) -> Option<String> {
    let container = e.children().find(|c| {
        c.is_element()
            && c.tag_name().namespace() == Some(RDF)
            && matches!(c.tag_name().name(), "Alt" | "Seq" | "Bag")
    });
    let Some(container) = container else {
        let text: String = e.children().filter(|c| c.is_text()).filter_map(|c| c.text()).collect();
        let text = text.trim();
        // An `rdf:resource` or `rdf:value` form is taken as written.
        let text = if text.is_empty() {
            e.attribute((RDF, "resource")).or_else(|| e.attribute((RDF, "value")))?.trim()
        } else {
            text
        };
        return (!text.is_empty()).then(|| text.to_owned());
    };
    let items: Vec<(Option<&str>, String)> = container
        .children()
        .filter(|c| {
            c.is_element() && c.tag_name().namespace() == Some(RDF) && c.tag_name().name() == "li"
        })
        .filter_map(|li| {
            let t: String =
                li.descendants().filter(|c| c.is_text()).filter_map(|c| c.text()).collect();
            let t = t.trim().to_owned();
            (!t.is_empty()).then(|| (li.attribute((XML, "lang")), t))
        })
        .collect();
    if container.tag_name().name() == "Alt" {
        let default = items.iter().find(|(l, _)| *l == Some("x-default"));
        return default.or(items.first()).map(|(_, t)| t.clone());
    }
    let joined: Vec<String> = items.into_iter().map(|(_, t)| t).collect();
    (!joined.is_empty()).then(|| joined.join("; "))
}

/// Read one packet. `Err` names why it is not XML.
pub fn read(packet: &[u8]) -> Result<Properties, String> {
    let text = std::str::from_utf8(packet).map_err(|e| format!("XMP packet is not UTF-8: {e}"))?;
    // The packet wrapper's processing instructions and any padding are
    // fine for the parser; a BOM is not.
    let text = text.trim_start_matches('\u{feff}').trim_end_matches(['\0', ' ', '\n', '\r', '\t']);
    let opts =
        roxmltree::ParsingOptions { allow_dtd: false, ..roxmltree::ParsingOptions::default() };
    let doc = roxmltree::Document::parse_with_options(text, opts)
        .map_err(|e| format!("XMP packet is not well-formed XML: {e}"))?;
    let mut out = Properties::new();
    for d in doc.descendants().filter(|n| {
        n.is_element()
            && n.tag_name().namespace() == Some(RDF)
            && n.tag_name().name() == "Description"
    }) {
        for a in d.attributes() {
            let Some(ns) = a.namespace() else { continue };
            if let Some((_, prefix)) = NAMESPACES.iter().find(|(uri, _)| *uri == ns) {
                let v = a.value().trim();
                if !v.is_empty() {
                    out.entry(format!("{prefix}:{}", a.name())).or_insert_with(|| v.to_owned());
                }
            }
        }
        for e in d.children().filter(roxmltree::Node::is_element) {
            if let (Some(name), Some(v)) = (name_of(e.tag_name()), element_value(e)) {
                out.entry(name).or_insert(v);
            }
        }
    }
    Ok(out)
}

/// An XMP GPS coordinate: `DDD,MM,SSk` or `DDD,MM.mmk` (k: N, S, E, W),
/// as degrees (south and west negative). Plain signed decimal degrees,
/// which some writers use, are accepted too.
pub fn coordinate(v: &str) -> Option<f64> {
    let v = v.trim();
    let last = v.chars().last()?;
    let sign = match last.to_ascii_uppercase() {
        'N' | 'E' => 1.0,
        'S' | 'W' => -1.0,
        _ => return v.parse::<f64>().ok().filter(|x| x.is_finite()),
    };
    let body = &v[..v.len() - last.len_utf8()];
    let parts: Vec<f64> = body
        .split(',')
        .map(|p| p.trim().parse::<f64>().ok().filter(|x| x.is_finite() && *x >= 0.0))
        .collect::<Option<_>>()?;
    let deg = match parts[..] {
        [d, m] if m < 60.0 => d + m / 60.0,
        [d, m, s] if m < 60.0 && s < 60.0 => d + m / 60.0 + s / 3600.0,
        _ => return None,
    };
    Some(sign * deg)
}

/// An XMP rational (`1234/10`) or decimal.
pub fn rational(v: &str) -> Option<f64> {
    let v = v.trim();
    let x = match v.split_once('/') {
        Some((n, d)) => {
            let (n, d) = (n.trim().parse::<f64>().ok()?, d.trim().parse::<f64>().ok()?);
            if d == 0.0 {
                return None;
            }
            n / d
        }
        None => v.parse::<f64>().ok()?,
    };
    x.is_finite().then_some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PACKET: &str = r#"<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
 <rdf:Description rdf:about="" xmlns:e="http://ns.adobe.com/exif/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/"
   xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"
   e:DateTimeOriginal="2024-11-29T14:03:07+03:00" e:GPSLatitude="36,11.958N" e:GPSLongitude="37,9.762E">
  <dc:title><rdf:Alt><rdf:li xml:lang="ar">القلعة</rdf:li><rdf:li xml:lang="x-default">The citadel</rdf:li></rdf:Alt></dc:title>
  <dc:creator><rdf:Seq><rdf:li>A. Resident</rdf:li><rdf:li>B. Editor</rdf:li></rdf:Seq></dc:creator>
  <photoshop:City>Aleppo</photoshop:City>
 </rdf:Description></rdf:RDF></x:xmpmeta>
<?xpacket end="w"?>"#;

    #[test]
    fn properties_by_standard_prefix() {
        let p = read(PACKET.as_bytes()).unwrap();
        assert_eq!(p["exif:DateTimeOriginal"], "2024-11-29T14:03:07+03:00");
        assert_eq!(p["exif:GPSLatitude"], "36,11.958N");
        assert_eq!(p["dc:title"], "The citadel");
        assert_eq!(p["dc:creator"], "A. Resident; B. Editor");
        assert_eq!(p["photoshop:City"], "Aleppo");
    }

    #[test]
    fn coordinates() {
        assert_eq!(coordinate("36,12.0N"), Some(36.2));
        assert_eq!(coordinate("37,9,45W"), Some(-(37.0 + 9.0 / 60.0 + 45.0 / 3600.0)));
        assert_eq!(coordinate("33,30S"), Some(-33.5));
        assert_eq!(coordinate("-12.5"), Some(-12.5));
        for bad in ["", "N", "36,61N", "36,12,60N", "36;12N", "x,1N", "-36,12N", "36,12.0Q"] {
            assert_eq!(coordinate(bad), None, "{bad}");
        }
        assert_eq!(rational("1234/10"), Some(123.4));
        assert_eq!(rational("5/0"), None);
    }

    #[test]
    fn malformed_packets_are_errors() {
        assert!(read(b"<x:xmpmeta").is_err());
        assert!(read(b"\xff\xfe").is_err());
        assert!(read(b"<!DOCTYPE x [<!ENTITY a 'aaaa'>]><x>&a;</x>").is_err());
        assert!(read(b"<x/>").unwrap().is_empty());
    }
}
