//! A small element tree over quick-xml, built one subtree at a time so that memory stays
//! proportional to the largest subtree, not to the document.

use std::borrow::Cow;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

/// An element: local name, attributes, text content and children.
#[derive(Debug, Clone, Default)]
pub(crate) struct Node {
    /// The local name; CycloneDX's own names are not allocated.
    pub(crate) name: Cow<'static, str>,
    pub(crate) attrs: Vec<(String, String)>,
    pub(crate) text: String,
    pub(crate) children: Vec<Node>,
    /// Byte offset of the start tag in the document.
    pub(crate) pos: usize,
    /// Whether the name had a namespace prefix (`dg:dependency`).
    pub(crate) prefixed: bool,
}

impl Node {
    pub(crate) fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    pub(crate) fn children_named<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The trimmed text of a child, if present and not empty.
    pub(crate) fn child_text(&self, name: &str) -> Option<String> {
        self.child(name).and_then(Node::trimmed)
    }

    pub(crate) fn trimmed(&self) -> Option<String> {
        let t = self.text.trim();
        (!t.is_empty()).then(|| t.to_owned())
    }

    pub(crate) fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The local part of a possibly prefixed name; CycloneDX's own names are shared.
pub(crate) fn local(name: &[u8]) -> Cow<'static, str> {
    let local = match name.iter().rposition(|&b| b == b':') {
        Some(i) => &name[i + 1..],
        None => name,
    };
    Cow::Borrowed(match local {
        b"affects" => "affects",
        b"analysis" => "analysis",
        b"author" => "author",
        b"authors" => "authors",
        b"bom" => "bom",
        b"classification" => "classification",
        b"comment" => "comment",
        b"component" => "component",
        b"components" => "components",
        b"contact" => "contact",
        b"copyright" => "copyright",
        b"cpe" => "cpe",
        b"cwe" => "cwe",
        b"cwes" => "cwes",
        b"data" => "data",
        b"dependencies" => "dependencies",
        b"dependency" => "dependency",
        b"description" => "description",
        b"detail" => "detail",
        b"email" => "email",
        b"endpoint" => "endpoint",
        b"endpoints" => "endpoints",
        b"evidence" => "evidence",
        b"expression" => "expression",
        b"externalReferences" => "externalReferences",
        b"group" => "group",
        b"hash" => "hash",
        b"hashes" => "hashes",
        b"id" => "id",
        b"justification" => "justification",
        b"license" => "license",
        b"licenses" => "licenses",
        b"lifecycle" => "lifecycle",
        b"lifecycles" => "lifecycles",
        b"manufacture" => "manufacture",
        b"manufacturer" => "manufacturer",
        b"metadata" => "metadata",
        b"method" => "method",
        b"mime-type" => "mime-type",
        b"name" => "name",
        b"organization" => "organization",
        b"pedigree" => "pedigree",
        b"phase" => "phase",
        b"properties" => "properties",
        b"property" => "property",
        b"provider" => "provider",
        b"provides" => "provides",
        b"published" => "published",
        b"publisher" => "publisher",
        b"purl" => "purl",
        b"rating" => "rating",
        b"ratings" => "ratings",
        b"recommendation" => "recommendation",
        b"ref" => "ref",
        b"reference" => "reference",
        b"references" => "references",
        b"response" => "response",
        b"responses" => "responses",
        b"scope" => "scope",
        b"score" => "score",
        b"service" => "service",
        b"services" => "services",
        b"severity" => "severity",
        b"source" => "source",
        b"state" => "state",
        b"supplier" => "supplier",
        b"swid" => "swid",
        b"target" => "target",
        b"text" => "text",
        b"timestamp" => "timestamp",
        b"tool" => "tool",
        b"tools" => "tools",
        b"updated" => "updated",
        b"url" => "url",
        b"vector" => "vector",
        b"version" => "version",
        b"vulnerabilities" => "vulnerabilities",
        b"vulnerability" => "vulnerability",
        _ => return Cow::Owned(String::from_utf8_lossy(local).into_owned()),
    })
}

/// An XML syntax error with its byte offset.
#[derive(Debug, Clone)]
pub(crate) struct XmlError {
    pub(crate) offset: usize,
    pub(crate) message: String,
}

pub(crate) fn err(reader: &Reader<&[u8]>, message: impl Into<String>) -> XmlError {
    XmlError {
        offset: usize::try_from(reader.error_position()).unwrap_or(0),
        message: message.into(),
    }
}

pub(crate) fn start_node(
    reader: &Reader<&[u8]>,
    e: &BytesStart<'_>,
    pos: usize,
) -> Result<Node, XmlError> {
    let mut attrs = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|x| err(reader, x.to_string()))?;
        let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
        // Most values have nothing to unescape or normalize: take them as they are.
        let raw = a.value.as_ref();
        let value = match std::str::from_utf8(raw) {
            Ok(v)
                if !raw
                    .iter()
                    .any(|b| matches!(b, b'&' | b'\t' | b'\n' | b'\r')) =>
            {
                v.to_owned()
            }
            _ => a
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|x| err(reader, x.to_string()))?
                .into_owned(),
        };
        attrs.push((key, value));
    }
    let prefixed = e.name().as_ref().contains(&b':');
    Ok(Node {
        name: local(e.name().as_ref()),
        attrs,
        text: String::new(),
        children: Vec::new(),
        pos,
        prefixed,
    })
}

/// Appends the text of a `Text`, `CData` or `GeneralRef` event.
pub(crate) fn push_text(
    reader: &Reader<&[u8]>,
    node: &mut Node,
    event: &Event<'_>,
) -> Result<(), XmlError> {
    match event {
        Event::Text(t) => {
            let s = t.decode().map_err(|x| err(reader, x.to_string()))?;
            // Indentation before the first child: values are trimmed anyway, and most
            // elements hold only children.
            if !(node.text.is_empty() && s.trim().is_empty()) {
                node.text.push_str(&s);
            }
        }
        Event::CData(c) => {
            let s = c.decode().map_err(|x| err(reader, x.to_string()))?;
            node.text.push_str(&s);
        }
        Event::GeneralRef(r) => {
            if let Ok(Some(ch)) = r.resolve_char_ref() {
                node.text.push(ch);
            } else {
                let name = r.decode().map_err(|x| err(reader, x.to_string()))?;
                match quick_xml::escape::resolve_predefined_entity(&name) {
                    Some(s) => node.text.push_str(s),
                    None => return Err(err(reader, format!("unknown entity `&{name};`"))),
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// How deeply elements may nest below the element a subtree starts at. CycloneDX nests
/// components in components, but real documents stay below 30 levels; a limit keeps a
/// small hostile document (thousands of nested elements in a few kilobytes) from
/// exhausting memory or the stack of the code that walks the tree.
pub(crate) const MAX_DEPTH: usize = 256;

/// Reads the rest of the element `node` (whose start tag was just read) into a tree,
/// without recursion, refusing elements nested deeper than [`MAX_DEPTH`].
pub(crate) fn read_subtree(reader: &mut Reader<&[u8]>, node: Node) -> Result<Node, XmlError> {
    // The open elements, innermost last.
    let mut open: Vec<Node> = vec![node];
    loop {
        let pos = usize::try_from(reader.buffer_position()).unwrap_or(0);
        let event = reader
            .read_event()
            .map_err(|e| err(reader, e.to_string()))?;
        match event {
            Event::Start(ref e) => {
                if open.len() >= MAX_DEPTH {
                    return Err(err(
                        reader,
                        format!("elements are nested more than {MAX_DEPTH} deep"),
                    ));
                }
                open.push(start_node(reader, e, pos)?);
            }
            Event::Empty(ref e) => {
                let child = start_node(reader, e, pos)?;
                if let Some(parent) = open.last_mut() {
                    parent.children.push(child);
                }
            }
            Event::End(_) => {
                let Some(done) = open.pop() else {
                    return Err(err(reader, "an end tag without its start tag"));
                };
                match open.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => return Ok(done),
                }
            }
            Event::Eof => {
                let name = open.last().map_or_else(String::new, |n| n.name.to_string());
                return Err(err(reader, format!("the document ends inside `<{name}>`")));
            }
            ref other => {
                if let Some(node) = open.last_mut() {
                    push_text(reader, node, other)?;
                }
            }
        }
    }
}
