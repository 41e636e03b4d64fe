//! SPDX 2 XML: the JSON document's structure written as elements (the layout of the
//! SPDX tools and the specification's examples: a `<Document>` root, one element per
//! field, a list as the same element repeated). It is read by turning the element tree
//! into the JSON value it mirrors — lists where the SPDX 2.3 JSON schema has arrays,
//! booleans and integers where it has them — and reading that as SPDX JSON.

use quick_xml::Reader;
use quick_xml::events::Event;
use serde_json::{Map, Value};

use super::Doc;
use crate::xmltree::{Node, XmlError, err, read_subtree, start_node};

/// The fields that are arrays in the SPDX 2.3 JSON schema.
const ARRAYS: &[&str] = &[
    "annotations",
    "artifactOfs",
    "attributionTexts",
    "checksums",
    "creators",
    "crossRefs",
    "documentDescribes",
    "externalDocumentRefs",
    "externalRefs",
    "fileContributors",
    "fileDependencies",
    "fileTypes",
    "files",
    "hasExtractedLicensingInfos",
    "hasFiles",
    "licenseInfoFromFiles",
    "licenseInfoInFiles",
    "licenseInfoInSnippets",
    "packageVerificationCodeExcludedFiles",
    "packages",
    "ranges",
    "relationships",
    "revieweds",
    "seeAlsos",
    "snippets",
];

/// The fields that are booleans in the schema.
const BOOLEANS: &[&str] = &["filesAnalyzed", "isLive", "isValid", "isWayBackLink"];

/// The fields that are integers in the schema.
const INTEGERS: &[&str] = &["lineNumber", "offset", "order"];

/// The root element's names: `Document` (SPDX tools 1.1+), `SpdxDocument` (older ones).
const ROOTS: &[&str] = &["Document", "SpdxDocument"];

/// Reads an SPDX 2 XML document into the JSON text it mirrors.
pub(crate) fn to_json(text: &str) -> Result<String, XmlError> {
    let mut reader = Reader::from_str(text);
    let root = loop {
        let pos = usize::try_from(reader.buffer_position()).unwrap_or(0);
        match reader
            .read_event()
            .map_err(|e| err(&reader, e.to_string()))?
        {
            Event::Start(ref e) => {
                let node = start_node(&reader, e, pos)?;
                break read_subtree(&mut reader, node)?;
            }
            Event::Empty(ref e) => break start_node(&reader, e, pos)?,
            Event::Eof => return Err(err(&reader, "the document has no root element")),
            _ => {}
        }
    };
    if !ROOTS.contains(&root.name.as_ref()) {
        return Err(XmlError {
            offset: root.pos,
            message: format!(
                "the root element is `<{}>`, not an SPDX 2 `<Document>`",
                root.name
            ),
        });
    }
    Ok(object(&root).to_string())
}

/// Reads an SPDX 2 XML document into the SPDX 2 intermediate form.
pub(crate) fn read_doc(text: &str) -> Result<Doc, XmlError> {
    let json = to_json(text)?;
    super::json::read_json_doc(&json).map_err(|e| XmlError {
        offset: 0,
        message: format!(
            "the document does not have SPDX 2's structure: {}",
            e.to_string().split(" at line ").next().unwrap_or_default()
        ),
    })
}

/// An element with children as a JSON object. Nesting is bounded by the tree reader
/// (`xmltree::MAX_DEPTH`), so the recursion is too.
fn object(node: &Node) -> Value {
    let mut map = Map::new();
    for child in &node.children {
        let key = child.name.as_ref();
        let value = if child.children.is_empty() {
            leaf(key, child.text.trim())
        } else {
            object(child)
        };
        if ARRAYS.contains(&key) {
            match map
                .entry(key.to_owned())
                .or_insert_with(|| Value::Array(Vec::new()))
            {
                Value::Array(items) => items.push(value),
                other => *other = Value::Array(vec![value]),
            }
        } else {
            // A field given twice: the first wins, as in the other readers.
            map.entry(key.to_owned()).or_insert(value);
        }
    }
    Value::Object(map)
}

/// A field's text as the JSON type the schema gives it (text that does not parse stays
/// text, for the reader to report).
fn leaf(key: &str, text: &str) -> Value {
    if BOOLEANS.contains(&key) {
        match text {
            "true" => return Value::Bool(true),
            "false" => return Value::Bool(false),
            _ => {}
        }
    }
    if INTEGERS.contains(&key)
        && let Ok(n) = text.parse::<i64>()
    {
        return Value::from(n);
    }
    Value::String(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::to_json;

    #[test]
    fn elements_become_the_json_they_mirror() {
        let xml = "<?xml version='1.0'?>\n<Document>\n  <spdxVersion>SPDX-2.3</spdxVersion>\n  \
            <creationInfo><creators>Tool: x</creators><created>2024-01-01T00:00:00Z</created></creationInfo>\n  \
            <documentDescribes>SPDXRef-a</documentDescribes>\n  \
            <packages><SPDXID>SPDXRef-a</SPDXID><name>a &amp; b</name><filesAnalyzed>false</filesAnalyzed></packages>\n  \
            <snippets><ranges><startPointer><offset>310</offset></startPointer></ranges></snippets>\n\
            </Document>";
        let json: serde_json::Value =
            serde_json::from_str(&to_json(xml).expect("read")).expect("json");
        assert_eq!(
            json,
            serde_json::json!({
                "spdxVersion": "SPDX-2.3",
                "creationInfo": {"creators": ["Tool: x"], "created": "2024-01-01T00:00:00Z"},
                "documentDescribes": ["SPDXRef-a"],
                "packages": [{"SPDXID": "SPDXRef-a", "name": "a & b", "filesAnalyzed": false}],
                "snippets": [{"ranges": [{"startPointer": {"offset": 310}}]}]
            })
        );
    }

    #[test]
    fn other_roots_are_refused() {
        let e = to_json("<bom><x/></bom>").expect_err("not SPDX");
        assert!(e.message.contains("`<bom>`"), "{}", e.message);
    }
}
