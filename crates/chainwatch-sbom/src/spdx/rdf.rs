//! SPDX 2 RDF/XML. The XML is read as RDF — node and property elements, `rdf:about`,
//! `rdf:ID`, `rdf:nodeID`, `rdf:resource`, `rdf:parseType`, property attributes,
//! `rdf:li` and `xml:base` — into a graph, so that where a writer chose to describe a
//! node (in full where it is first mentioned, or at the top level and referred to)
//! does not matter. The graph is then walked from its `spdx:SpdxDocument` node into
//! the SPDX 2.3 JSON value it means, which is read as SPDX JSON. IRIs are names only:
//! nothing is ever fetched.
//!
//! Two simplifications of RDF/XML that SPDX documents do not need: the members of an
//! `rdf:parseType="Collection"` become values of the property itself (no `rdf:List`),
//! and an `rdf:parseType="Literal"` value is its text without the markup.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

use quick_xml::NsReader;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use serde_json::{Map, Value};

use super::Doc;
use crate::xmltree::{MAX_DEPTH, XmlError, err};

const RDF: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
const RDFS: &str = "http://www.w3.org/2000/01/rdf-schema#";
const XML: &str = "http://www.w3.org/XML/1998/namespace";
const SPDX: &str = "http://spdx.org/rdf/terms#";
const DOAP: &str = "http://usefulinc.com/ns/doap#";
const PTR: &str = "http://www.w3.org/2009/pointers#";
/// The SPDX licence list: `http://spdx.org/licenses/MIT` is `MIT`.
const LICENSES: &str = "http://spdx.org/licenses/";
/// Where the SPDX vocabulary names external reference types.
const REFERENCE_TYPES: &str = "http://spdx.org/rdf/references/";
/// How deeply licence expressions may nest (sets of sets).
const MAX_EXPRESSION_DEPTH: usize = 64;
/// How many nodes one licence expression may visit: a graph may share a set between
/// members (or loop), and an expression written out from it would grow exponentially.
const MAX_EXPRESSION_NODES: usize = 4_096;

/// An RDF term.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Term {
    Iri(String),
    Blank(String),
    Literal(String),
}

/// The triples, by subject, in document order.
#[derive(Default)]
struct Graph {
    props: HashMap<Term, Vec<(String, Term)>>,
    /// Subjects in the order they were first described.
    order: Vec<Term>,
    /// Every triple once: a node described in full twice is not read twice.
    seen: HashSet<(Term, String, Term)>,
    fresh: usize,
}

impl Graph {
    fn add(&mut self, s: &Term, p: &str, o: Term) {
        if !self.seen.insert((s.clone(), p.to_owned(), o.clone())) {
            return;
        }
        match self.props.entry(s.clone()) {
            Entry::Occupied(e) => e.into_mut().push((p.to_owned(), o)),
            Entry::Vacant(v) => {
                self.order.push(s.clone());
                v.insert(vec![(p.to_owned(), o)]);
            }
        }
    }

    fn blank(&mut self) -> Term {
        self.fresh += 1;
        // `#` cannot appear in an `rdf:nodeID`, so these never meet the document's own.
        Term::Blank(format!("#{}", self.fresh))
    }

    fn all<'a, 'p>(&'a self, s: &Term, p: &'p str) -> impl Iterator<Item = &'a Term> + use<'a, 'p> {
        self.props
            .get(s)
            .into_iter()
            .flatten()
            .filter(move |(q, _)| q == p)
            .map(|(_, o)| o)
    }

    fn one(&self, s: &Term, p: &str) -> Option<&Term> {
        self.all(s, p).next()
    }

    fn is_a(&self, s: &Term, class: &str) -> bool {
        let rdf_type = format!("{RDF}type");
        self.all(s, &rdf_type)
            .any(|t| matches!(t, Term::Iri(i) if i == class))
    }
}

/// What an open element is, for the elements inside it.
enum Frame {
    /// `rdf:RDF`: its children are nodes.
    Root,
    /// A node element: its children are its properties.
    Node { subject: Term, li: u32 },
    /// A property element: its content is text or one node (any number of nodes in a
    /// collection).
    Property {
        subject: Term,
        predicate: String,
        object: Option<Term>,
        text: String,
        collection: bool,
        literal: bool,
    },
    /// Markup inside an `rdf:parseType="Literal"` value.
    Markup,
}

struct Open {
    frame: Frame,
    base: Option<String>,
    /// Whether this frame ends with the element that opened it (a `parseType="Resource"`
    /// property opens two frames for one element).
    owns: bool,
}

/// An attribute with its namespace resolved.
struct Attr {
    ns: String,
    local: String,
    value: String,
}

/// Reads an SPDX 2 RDF/XML document into the SPDX 2 intermediate form.
pub(crate) fn read_doc(text: &str) -> Result<Doc, XmlError> {
    let json = to_json(text)?;
    super::json::read_json_doc(&json.to_string()).map_err(|e| XmlError {
        offset: 0,
        message: format!(
            "the RDF graph does not have SPDX 2's structure: {}",
            e.to_string().split(" at line ").next().unwrap_or_default()
        ),
    })
}

/// Reads an SPDX 2 RDF/XML document into the SPDX 2.3 JSON value it means.
pub(crate) fn to_json(text: &str) -> Result<Value, XmlError> {
    let graph = parse(text)?;
    Ok(Spdx::new(&graph)?.document())
}

fn parse(text: &str) -> Result<Graph, XmlError> {
    let mut reader = NsReader::from_str(text);
    let mut graph = Graph::default();
    let mut open: Vec<Open> = Vec::new();
    let mut seen_root = false;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| err(&reader, e.to_string()))?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                if open.len() >= MAX_DEPTH {
                    return Err(err(
                        &reader,
                        format!("elements are nested more than {MAX_DEPTH} deep"),
                    ));
                }
                if open.is_empty() && seen_root {
                    return Err(err(&reader, "a second root element"));
                }
                seen_root = true;
                let empty = matches!(event, Event::Empty(_));
                start(&reader, e, &mut open, &mut graph)?;
                if empty {
                    end(&mut open, &mut graph);
                }
            }
            Event::End(_) => end(&mut open, &mut graph),
            Event::Text(ref t) => {
                let s = t.decode().map_err(|x| err(&reader, x.to_string()))?;
                push_text(&mut open, &s);
            }
            Event::CData(ref c) => {
                let s = c.decode().map_err(|x| err(&reader, x.to_string()))?;
                push_text(&mut open, &s);
            }
            Event::GeneralRef(ref r) => {
                let s = if let Ok(Some(ch)) = r.resolve_char_ref() {
                    ch.to_string()
                } else {
                    let name = r.decode().map_err(|x| err(&reader, x.to_string()))?;
                    quick_xml::escape::resolve_predefined_entity(&name)
                        .ok_or_else(|| err(&reader, format!("unknown entity `&{name};`")))?
                        .to_owned()
                };
                push_text(&mut open, &s);
            }
            Event::Eof => {
                if !open.is_empty() {
                    return Err(err(&reader, "the document ends inside an element"));
                }
                if !seen_root {
                    return Err(err(&reader, "the document has no root element"));
                }
                return Ok(graph);
            }
            _ => {}
        }
    }
}

/// Text goes to the property element it is the value of (through any literal markup).
fn push_text(open: &mut [Open], s: &str) {
    for o in open.iter_mut().rev() {
        match &mut o.frame {
            Frame::Markup => {}
            Frame::Property {
                object: None, text, ..
            } => {
                text.push_str(s);
                return;
            }
            // Whitespace between elements.
            _ => return,
        }
    }
}

fn start(
    reader: &NsReader<&[u8]>,
    e: &BytesStart<'_>,
    open: &mut Vec<Open>,
    graph: &mut Graph,
) -> Result<(), XmlError> {
    let (ns, local) = reader.resolver().resolve_element(e.name());
    let ns = namespace(&ns);
    let local = String::from_utf8_lossy(local.as_ref()).into_owned();
    let mut attrs = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|x| err(reader, x.to_string()))?;
        if a.key.as_namespace_binding().is_some() {
            continue;
        }
        let (ans, alocal) = reader.resolver().resolve_attribute(a.key);
        let value = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|x| err(reader, x.to_string()))?
            .into_owned();
        attrs.push(Attr {
            ns: namespace(&ans),
            local: String::from_utf8_lossy(alocal.as_ref()).into_owned(),
            value,
        });
    }
    let parent_base = open.last().and_then(|o| o.base.clone());
    let base = match attr(&attrs, XML, "base") {
        Some(b) => Some(resolve(parent_base.as_deref(), b)),
        None => parent_base,
    };
    let is_rdf = |name: &str| ns == RDF && local == name;
    match open.last_mut().map(|o| &mut o.frame) {
        None if is_rdf("RDF") => {
            open.push(Open {
                frame: Frame::Root,
                base,
                owns: true,
            });
        }
        None | Some(Frame::Root) => {
            let subject = node(graph, &ns, &local, &attrs, base.as_deref());
            open.push(Open {
                frame: Frame::Node { subject, li: 0 },
                base,
                owns: true,
            });
        }
        Some(Frame::Property { literal: true, .. } | Frame::Markup) => open.push(Open {
            frame: Frame::Markup,
            base,
            owns: true,
        }),
        Some(Frame::Property {
            subject,
            predicate,
            object,
            collection,
            ..
        }) => {
            if object.is_some() && !*collection {
                return Err(err(
                    reader,
                    format!("the property `{predicate}` has more than one value"),
                ));
            }
            let (s, p, collection) = (subject.clone(), predicate.clone(), *collection);
            let value = node(graph, &ns, &local, &attrs, base.as_deref());
            graph.add(&s, &p, value.clone());
            if !collection
                && let Some(Frame::Property { object, .. }) = open.last_mut().map(|o| &mut o.frame)
            {
                *object = Some(value.clone());
            }
            open.push(Open {
                frame: Frame::Node {
                    subject: value,
                    li: 0,
                },
                base,
                owns: true,
            });
        }
        Some(Frame::Node { subject, li }) => {
            let subject = subject.clone();
            let predicate = if is_rdf("li") {
                *li += 1;
                format!("{RDF}_{li}")
            } else {
                format!("{ns}{local}")
            };
            let parse_type = attr(&attrs, RDF, "parseType");
            let mut frame = Frame::Property {
                subject: subject.clone(),
                predicate: predicate.clone(),
                object: None,
                text: String::new(),
                collection: parse_type == Some("Collection"),
                literal: parse_type == Some("Literal"),
            };
            if parse_type == Some("Resource") {
                let value = graph.blank();
                graph.add(&subject, &predicate, value.clone());
                if let Frame::Property { object, .. } = &mut frame {
                    *object = Some(value.clone());
                }
                open.push(Open {
                    frame,
                    base: base.clone(),
                    owns: true,
                });
                open.push(Open {
                    frame: Frame::Node {
                        subject: value,
                        li: 0,
                    },
                    base,
                    owns: false,
                });
                return Ok(());
            }
            if parse_type.is_none() {
                let reference = if let Some(r) = attr(&attrs, RDF, "resource") {
                    Some(Term::Iri(resolve(base.as_deref(), r)))
                } else {
                    attr(&attrs, RDF, "nodeID").map(|n| Term::Blank(n.to_owned()))
                };
                let described: Vec<&Attr> = attrs.iter().filter(|a| is_property_attr(a)).collect();
                let value = match reference {
                    Some(r) => Some(r),
                    None if !described.is_empty() => Some(graph.blank()),
                    None => None,
                };
                if let Some(value) = value {
                    for a in described {
                        property_attr(graph, &value, a, base.as_deref());
                    }
                    graph.add(&subject, &predicate, value.clone());
                    if let Frame::Property { object, .. } = &mut frame {
                        *object = Some(value);
                    }
                }
            }
            open.push(Open {
                frame,
                base,
                owns: true,
            });
        }
    }
    Ok(())
}

/// Closes the innermost element: a property element that received no node has its
/// text as its value.
fn end(open: &mut Vec<Open>, graph: &mut Graph) {
    while let Some(o) = open.pop() {
        if let Frame::Property {
            subject,
            predicate,
            object: None,
            text,
            collection: false,
            ..
        } = o.frame
        {
            graph.add(&subject, &predicate, Term::Literal(text));
        }
        if o.owns {
            return;
        }
    }
}

/// A node element: its subject, typed by its name unless `rdf:Description`, described
/// by its property attributes.
fn node(graph: &mut Graph, ns: &str, local: &str, attrs: &[Attr], base: Option<&str>) -> Term {
    let subject = if let Some(about) = attr(attrs, RDF, "about") {
        Term::Iri(resolve(base, about))
    } else if let Some(id) = attr(attrs, RDF, "ID") {
        Term::Iri(resolve(base, &format!("#{id}")))
    } else if let Some(n) = attr(attrs, RDF, "nodeID") {
        Term::Blank(n.to_owned())
    } else {
        graph.blank()
    };
    if !(ns == RDF && local == "Description") {
        graph.add(
            &subject,
            &format!("{RDF}type"),
            Term::Iri(format!("{ns}{local}")),
        );
    }
    for a in attrs.iter().filter(|a| is_property_attr(a)) {
        property_attr(graph, &subject, a, base);
    }
    subject
}

/// Whether an attribute states a property (not RDF/XML syntax or an XML attribute).
fn is_property_attr(a: &Attr) -> bool {
    if a.ns == XML || a.ns.is_empty() {
        return false;
    }
    !(a.ns == RDF
        && matches!(
            a.local.as_str(),
            "about"
                | "ID"
                | "nodeID"
                | "resource"
                | "parseType"
                | "datatype"
                | "bagID"
                | "aboutEach"
        ))
}

fn property_attr(graph: &mut Graph, subject: &Term, a: &Attr, base: Option<&str>) {
    let object = if a.ns == RDF && a.local == "type" {
        Term::Iri(resolve(base, &a.value))
    } else {
        Term::Literal(a.value.clone())
    };
    graph.add(subject, &format!("{}{}", a.ns, a.local), object);
}

fn namespace(r: &ResolveResult<'_>) -> String {
    match r {
        ResolveResult::Bound(ns) => String::from_utf8_lossy(ns.as_ref()).into_owned(),
        _ => String::new(),
    }
}

fn attr<'a>(attrs: &'a [Attr], ns: &str, local: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|a| a.ns == ns && a.local == local)
        .map(|a| a.value.as_str())
}

/// An IRI reference resolved against the base in effect (RFC 3986, without dot-segment
/// removal, which SPDX IRIs do not use).
fn resolve(base: Option<&str>, reference: &str) -> String {
    let has_scheme = reference.split_once(':').is_some_and(|(s, _)| {
        s.starts_with(|c: char| c.is_ascii_alphabetic())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    });
    let Some(base) = base else {
        return reference.to_owned();
    };
    if has_scheme {
        return reference.to_owned();
    }
    let base = base.split('#').next().unwrap_or(base);
    if reference.is_empty() {
        return base.to_owned();
    }
    if reference.starts_with('#') {
        return format!("{base}{reference}");
    }
    if let Some(rest) = reference.strip_prefix("//") {
        let scheme = base.split(':').next().unwrap_or("http");
        return format!("{scheme}://{rest}");
    }
    if reference.starts_with('/') {
        let authority_end = base
            .find("://")
            .and_then(|i| base[i + 3..].find('/').map(|j| i + 3 + j))
            .unwrap_or(base.len());
        return format!("{}{reference}", &base[..authority_end]);
    }
    match base.rfind('/') {
        Some(i) => format!("{}{reference}", &base[..=i]),
        None => reference.to_owned(),
    }
}

/// The walk from the document node to SPDX JSON.
struct Spdx<'g> {
    g: &'g Graph,
    doc: &'g Term,
    /// The document namespace (the document node's IRI before `#`).
    namespace: String,
    /// `(namespace of another document, DocumentRef-… id)`.
    external: Vec<(String, String)>,
}

fn p(vocabulary: &str, name: &str) -> String {
    format!("{vocabulary}{name}")
}

impl<'g> Spdx<'g> {
    fn new(g: &'g Graph) -> Result<Self, XmlError> {
        let class = p(SPDX, "SpdxDocument");
        let doc = g
            .order
            .iter()
            .find(|s| g.is_a(s, &class))
            .ok_or_else(|| XmlError {
                offset: 0,
                message: "the RDF graph has no `spdx:SpdxDocument` node".to_owned(),
            })?;
        let Term::Iri(iri) = doc else {
            return Err(XmlError {
                offset: 0,
                message: "the `spdx:SpdxDocument` node has no IRI (`rdf:about`), so its \
                          namespace is unknown"
                    .to_owned(),
            });
        };
        let namespace = iri.split('#').next().unwrap_or(iri).to_owned();
        let mut this = Spdx {
            g,
            doc,
            namespace,
            external: Vec::new(),
        };
        let refs: Vec<&Term> = g.all(doc, &p(SPDX, "externalDocumentRef")).collect();
        for r in refs {
            let id = this
                .text(r, &p(SPDX, "externalDocumentId"))
                .or_else(|| fragment(r));
            let target = g.one(r, &p(SPDX, "spdxDocument")).and_then(iri_or_text);
            if let (Some(id), Some(target)) = (id, target) {
                let target = target.split('#').next().unwrap_or(&target).to_owned();
                this.external.push((target, id));
            }
        }
        Ok(this)
    }

    /// A literal's trimmed text, or an IRI as text; `None` when absent or empty.
    fn text(&self, s: &Term, predicate: &str) -> Option<String> {
        self.g.one(s, predicate).and_then(iri_or_text)
    }

    /// A field that holds text or one of SPDX's `NONE`/`NOASSERTION` individuals.
    fn value(&self, s: &Term, predicate: &str) -> Option<String> {
        self.g.one(s, predicate).and_then(special_or_text)
    }

    fn texts(&self, s: &Term, predicate: &str) -> Vec<Value> {
        self.g
            .all(s, predicate)
            .filter_map(iri_or_text)
            .map(Value::String)
            .collect()
    }

    /// An element's SPDX identifier: its IRI's fragment, prefixed with the external
    /// document's `DocumentRef-…` when it is another document's element.
    fn id(&self, t: &Term) -> Option<String> {
        if let Some(s) = special(t) {
            return Some(s.to_owned());
        }
        let Term::Iri(iri) = t else {
            return None;
        };
        let (ns, frag) = iri.split_once('#')?;
        if ns == self.namespace {
            return Some(frag.to_owned());
        }
        match self.external.iter().find(|(n, _)| n == ns) {
            Some((_, doc)) => Some(format!("{doc}:{frag}")),
            None => Some(frag.to_owned()),
        }
    }

    /// A licence expression: a listed licence, a `LicenseRef-…`, `NONE`/`NOASSERTION`,
    /// or a conjunctive/disjunctive set, `WITH` exception or `+` of those.
    fn license(&self, t: &Term, depth: usize, budget: &mut usize) -> Option<String> {
        if depth > MAX_EXPRESSION_DEPTH || *budget == 0 {
            return None;
        }
        *budget -= 1;
        if let Some(s) = special(t) {
            return Some(s.to_owned());
        }
        if let Term::Literal(s) = t {
            let s = s.trim();
            return (!s.is_empty()).then(|| s.to_owned());
        }
        let mut members = |op: &str| -> Option<String> {
            let parts: Vec<String> = self
                .g
                .all(t, &p(SPDX, "member"))
                .filter_map(|m| self.license(m, depth + 1, budget))
                .map(|m| {
                    if m.contains(" AND ") || m.contains(" OR ") {
                        format!("({m})")
                    } else {
                        m
                    }
                })
                .collect();
            (!parts.is_empty()).then(|| parts.join(op))
        };
        if self.g.is_a(t, &p(SPDX, "ConjunctiveLicenseSet")) {
            return members(" AND ");
        }
        if self.g.is_a(t, &p(SPDX, "DisjunctiveLicenseSet")) {
            return members(" OR ");
        }
        if self.g.is_a(t, &p(SPDX, "WithExceptionOperator")) {
            let license = self.license(self.g.one(t, &p(SPDX, "member"))?, depth + 1, budget)?;
            let exception = self.g.one(t, &p(SPDX, "licenseException"))?;
            let exception = self
                .text(exception, &p(SPDX, "licenseExceptionId"))
                .or_else(|| listed(exception))?;
            return Some(format!("{license} WITH {exception}"));
        }
        if self.g.is_a(t, &p(SPDX, "OrLaterOperator")) {
            let license = self.license(self.g.one(t, &p(SPDX, "member"))?, depth + 1, budget)?;
            return Some(format!("{license}+"));
        }
        self.text(t, &p(SPDX, "licenseId"))
            .or_else(|| listed(t))
            .or_else(|| fragment(t))
    }

    fn license_of(&self, s: &Term, predicate: &str) -> Option<Value> {
        self.g
            .one(s, predicate)
            .and_then(|t| self.expression(t))
            .map(Value::String)
    }

    /// A whole licence expression, or nothing when it is too large to write out (rather
    /// than a part of it).
    fn expression(&self, t: &Term) -> Option<String> {
        let mut budget = MAX_EXPRESSION_NODES;
        let e = self.license(t, 0, &mut budget)?;
        (budget > 0).then_some(e)
    }

    fn licenses_of(&self, s: &Term, predicate: &str) -> Option<Value> {
        let all: Vec<Value> = self
            .g
            .all(s, predicate)
            .filter_map(|t| self.expression(t))
            .map(Value::String)
            .collect();
        (!all.is_empty()).then_some(Value::Array(all))
    }

    fn document(&self) -> Value {
        let (g, doc) = (self.g, self.doc);
        let mut out = Map::new();
        put(
            &mut out,
            "spdxVersion",
            self.text(doc, &p(SPDX, "specVersion")),
        );
        if let Some(l) = self.license_of(doc, &p(SPDX, "dataLicense")) {
            out.insert("dataLicense".into(), l);
        }
        put(&mut out, "SPDXID", self.id(doc));
        put(&mut out, "name", self.text(doc, &p(SPDX, "name")));
        out.insert(
            "documentNamespace".into(),
            Value::String(self.namespace.clone()),
        );
        put(&mut out, "comment", self.text(doc, &p(RDFS, "comment")));
        if let Some(info) = g.one(doc, &p(SPDX, "creationInfo")) {
            let mut c = Map::new();
            put(&mut c, "created", self.text(info, &p(SPDX, "created")));
            c.insert(
                "creators".into(),
                Value::Array(self.texts(info, &p(SPDX, "creator"))),
            );
            put(
                &mut c,
                "licenseListVersion",
                self.text(info, &p(SPDX, "licenseListVersion")),
            );
            put(&mut c, "comment", self.text(info, &p(RDFS, "comment")));
            out.insert("creationInfo".into(), Value::Object(c));
        }
        let refs: Vec<Value> = g
            .all(doc, &p(SPDX, "externalDocumentRef"))
            .filter_map(|r| {
                let mut m = Map::new();
                put(
                    &mut m,
                    "externalDocumentId",
                    self.text(r, &p(SPDX, "externalDocumentId"))
                        .or_else(|| fragment(r)),
                );
                put(
                    &mut m,
                    "spdxDocument",
                    self.text(r, &p(SPDX, "spdxDocument")),
                );
                if let Some(c) = self.checksums(r).into_iter().next() {
                    m.insert("checksum".into(), c);
                }
                (!m.is_empty()).then_some(Value::Object(m))
            })
            .collect();
        put_array(&mut out, "externalDocumentRefs", refs);
        let describes: Vec<Value> = g
            .all(doc, &p(SPDX, "describesPackage"))
            .filter_map(|t| self.id(t))
            .map(Value::String)
            .collect();
        put_array(&mut out, "documentDescribes", describes);
        put_array(&mut out, "annotations", self.annotations(doc));

        let (mut packages, mut files, mut snippets, mut extracted) =
            (vec![], vec![], vec![], vec![]);
        for s in &g.order {
            if g.is_a(s, &p(SPDX, "Package")) {
                packages.push(self.package(s));
            } else if g.is_a(s, &p(SPDX, "File")) {
                files.push(self.file(s));
            } else if g.is_a(s, &p(SPDX, "Snippet")) {
                snippets.push(self.snippet(s));
            } else if g.is_a(s, &p(SPDX, "ExtractedLicensingInfo")) {
                extracted.push(self.extracted(s));
            }
        }
        put_array(&mut out, "hasExtractedLicensingInfos", extracted);
        put_array(&mut out, "packages", packages);
        put_array(&mut out, "files", files);
        put_array(&mut out, "snippets", snippets);

        let mut relationships = Vec::new();
        for s in &g.order {
            for r in g.all(s, &p(SPDX, "relationship")) {
                let mut m = Map::new();
                put(&mut m, "spdxElementId", self.id(s));
                put(
                    &mut m,
                    "relationshipType",
                    g.one(r, &p(SPDX, "relationshipType"))
                        .and_then(|t| vocabulary(t, "relationshipType_"))
                        .map(|v| screaming(&v, '_')),
                );
                put(
                    &mut m,
                    "relatedSpdxElement",
                    g.one(r, &p(SPDX, "relatedSpdxElement"))
                        .and_then(|t| self.id(t)),
                );
                put(&mut m, "comment", self.text(r, &p(RDFS, "comment")));
                relationships.push(Value::Object(m));
            }
        }
        put_array(&mut out, "relationships", relationships);
        Value::Object(out)
    }

    /// The fields packages, files and snippets share.
    fn common(&self, s: &Term) -> Map<String, Value> {
        let mut m = Map::new();
        put(&mut m, "SPDXID", self.id(s));
        put(&mut m, "name", self.text(s, &p(SPDX, "name")));
        if let Some(l) = self.license_of(s, &p(SPDX, "licenseConcluded")) {
            m.insert("licenseConcluded".into(), l);
        }
        put(
            &mut m,
            "licenseComments",
            self.text(s, &p(SPDX, "licenseComments")),
        );
        put(
            &mut m,
            "copyrightText",
            self.value(s, &p(SPDX, "copyrightText")),
        );
        put(&mut m, "comment", self.text(s, &p(RDFS, "comment")));
        put_array(
            &mut m,
            "attributionTexts",
            self.texts(s, &p(SPDX, "attributionText")),
        );
        put_array(&mut m, "annotations", self.annotations(s));
        m
    }

    fn package(&self, s: &Term) -> Value {
        let mut m = self.common(s);
        for (key, predicate) in [
            ("versionInfo", p(SPDX, "versionInfo")),
            ("packageFileName", p(SPDX, "packageFileName")),
            ("supplier", p(SPDX, "supplier")),
            ("originator", p(SPDX, "originator")),
            ("sourceInfo", p(SPDX, "sourceInfo")),
            ("summary", p(SPDX, "summary")),
            ("description", p(SPDX, "description")),
            ("releaseDate", p(SPDX, "releaseDate")),
            ("builtDate", p(SPDX, "builtDate")),
            ("validUntilDate", p(SPDX, "validUntilDate")),
        ] {
            put(&mut m, key, self.text(s, &predicate));
        }
        put(
            &mut m,
            "downloadLocation",
            self.value(s, &p(SPDX, "downloadLocation")),
        );
        put(&mut m, "homepage", self.value(s, &p(DOAP, "homepage")));
        if let Some(Term::Literal(v)) = self.g.one(s, &p(SPDX, "filesAnalyzed")) {
            match v.trim() {
                "true" => {
                    m.insert("filesAnalyzed".into(), Value::Bool(true));
                }
                "false" => {
                    m.insert("filesAnalyzed".into(), Value::Bool(false));
                }
                _ => {}
            }
        }
        if let Some(l) = self.license_of(s, &p(SPDX, "licenseDeclared")) {
            m.insert("licenseDeclared".into(), l);
        }
        if let Some(l) = self.licenses_of(s, &p(SPDX, "licenseInfoFromFiles")) {
            m.insert("licenseInfoFromFiles".into(), l);
        }
        put(
            &mut m,
            "primaryPackagePurpose",
            self.g
                .one(s, &p(SPDX, "primaryPackagePurpose"))
                .and_then(|t| vocabulary(t, "purpose_"))
                .map(|v| screaming(&v, '_')),
        );
        if let Some(code) = self.g.one(s, &p(SPDX, "packageVerificationCode")) {
            let mut c = Map::new();
            put(
                &mut c,
                "packageVerificationCodeValue",
                self.text(code, &p(SPDX, "packageVerificationCodeValue")),
            );
            put_array(
                &mut c,
                "packageVerificationCodeExcludedFiles",
                self.texts(code, &p(SPDX, "packageVerificationCodeExcludedFile")),
            );
            m.insert("packageVerificationCode".into(), Value::Object(c));
        }
        put_array(&mut m, "checksums", self.checksums(s));
        let refs: Vec<Value> = self
            .g
            .all(s, &p(SPDX, "externalRef"))
            .map(|r| {
                let mut e = Map::new();
                put(
                    &mut e,
                    "referenceCategory",
                    self.g
                        .one(r, &p(SPDX, "referenceCategory"))
                        .and_then(|t| vocabulary(t, "referenceCategory_"))
                        .map(|v| screaming(&v, '-')),
                );
                put(
                    &mut e,
                    "referenceType",
                    self.g
                        .one(r, &p(SPDX, "referenceType"))
                        .and_then(Self::reference_type),
                );
                put(
                    &mut e,
                    "referenceLocator",
                    self.text(r, &p(SPDX, "referenceLocator")),
                );
                put(&mut e, "comment", self.text(r, &p(RDFS, "comment")));
                Value::Object(e)
            })
            .collect();
        put_array(&mut m, "externalRefs", refs);
        let files: Vec<Value> = self
            .g
            .all(s, &p(SPDX, "hasFile"))
            .filter_map(|f| self.id(f))
            .map(Value::String)
            .collect();
        put_array(&mut m, "hasFiles", files);
        Value::Object(m)
    }

    fn file(&self, s: &Term) -> Value {
        let mut m = self.common(s);
        m.remove("name");
        put(&mut m, "fileName", self.text(s, &p(SPDX, "fileName")));
        put(&mut m, "noticeText", self.text(s, &p(SPDX, "noticeText")));
        put_array(&mut m, "checksums", self.checksums(s));
        let types: Vec<Value> = self
            .g
            .all(s, &p(SPDX, "fileType"))
            .filter_map(|t| vocabulary(t, "fileType_"))
            .map(|v| Value::String(v.to_ascii_uppercase()))
            .collect();
        put_array(&mut m, "fileTypes", types);
        if let Some(l) = self.licenses_of(s, &p(SPDX, "licenseInfoInFile")) {
            m.insert("licenseInfoInFiles".into(), l);
        }
        put_array(
            &mut m,
            "fileContributors",
            self.texts(s, &p(SPDX, "fileContributor")),
        );
        Value::Object(m)
    }

    fn snippet(&self, s: &Term) -> Value {
        let mut m = self.common(s);
        put(
            &mut m,
            "snippetFromFile",
            self.g
                .one(s, &p(SPDX, "snippetFromFile"))
                .and_then(|f| self.id(f)),
        );
        if let Some(l) = self.licenses_of(s, &p(SPDX, "licenseInfoInSnippet")) {
            m.insert("licenseInfoInSnippets".into(), l);
        }
        let ranges: Vec<Value> = self
            .g
            .all(s, &p(SPDX, "range"))
            .map(|r| {
                let mut range = Map::new();
                for key in ["startPointer", "endPointer"] {
                    if let Some(ptr) = self.g.one(r, &p(PTR, key)) {
                        let mut m = Map::new();
                        put(
                            &mut m,
                            "reference",
                            self.g
                                .one(ptr, &p(PTR, "reference"))
                                .and_then(|f| self.id(f)),
                        );
                        for (field, predicate) in
                            [("offset", "offset"), ("lineNumber", "lineNumber")]
                        {
                            if let Some(n) = self
                                .text(ptr, &p(PTR, predicate))
                                .and_then(|t| t.parse::<u64>().ok())
                            {
                                m.insert(field.into(), Value::from(n));
                            }
                        }
                        range.insert(key.into(), Value::Object(m));
                    }
                }
                Value::Object(range)
            })
            .collect();
        put_array(&mut m, "ranges", ranges);
        Value::Object(m)
    }

    fn extracted(&self, s: &Term) -> Value {
        let mut m = Map::new();
        put(
            &mut m,
            "licenseId",
            self.text(s, &p(SPDX, "licenseId")).or_else(|| fragment(s)),
        );
        put(
            &mut m,
            "extractedText",
            self.text(s, &p(SPDX, "extractedText")),
        );
        put(&mut m, "name", self.text(s, &p(SPDX, "name")));
        put(&mut m, "comment", self.text(s, &p(RDFS, "comment")));
        put_array(&mut m, "seeAlsos", self.texts(s, &p(RDFS, "seeAlso")));
        Value::Object(m)
    }

    fn checksums(&self, s: &Term) -> Vec<Value> {
        self.g
            .all(s, &p(SPDX, "checksum"))
            .filter_map(|c| {
                let algorithm = self
                    .g
                    .one(c, &p(SPDX, "algorithm"))
                    .and_then(|t| vocabulary(t, "checksumAlgorithm_"))
                    .map(|a| algorithm(&a))?;
                let value = self.text(c, &p(SPDX, "checksumValue"))?;
                let mut m = Map::new();
                m.insert("algorithm".into(), Value::String(algorithm));
                m.insert("checksumValue".into(), Value::String(value));
                Some(Value::Object(m))
            })
            .collect()
    }

    fn annotations(&self, s: &Term) -> Vec<Value> {
        self.g
            .all(s, &p(SPDX, "annotation"))
            .map(|a| {
                let mut m = Map::new();
                put(
                    &mut m,
                    "annotationType",
                    self.g
                        .one(a, &p(SPDX, "annotationType"))
                        .and_then(|t| vocabulary(t, "annotationType_"))
                        .map(|v| v.to_ascii_uppercase()),
                );
                put(&mut m, "annotator", self.text(a, &p(SPDX, "annotator")));
                put(
                    &mut m,
                    "annotationDate",
                    self.text(a, &p(SPDX, "annotationDate")),
                );
                put(&mut m, "comment", self.text(a, &p(RDFS, "comment")));
                Value::Object(m)
            })
            .collect()
    }

    /// `http://spdx.org/rdf/references/purl` is `purl`; a type the document defines
    /// keeps its IRI.
    fn reference_type(t: &Term) -> Option<String> {
        match t {
            Term::Iri(i) => Some(
                i.strip_prefix(REFERENCE_TYPES)
                    .or_else(|| i.strip_prefix(SPDX))
                    .unwrap_or(i)
                    .to_owned(),
            ),
            other => iri_or_text(other),
        }
    }
}

fn put(m: &mut Map<String, Value>, key: &str, value: Option<String>) {
    if let Some(v) = value {
        m.insert(key.to_owned(), Value::String(v));
    }
}

fn put_array(m: &mut Map<String, Value>, key: &str, values: Vec<Value>) {
    if !values.is_empty() {
        m.insert(key.to_owned(), Value::Array(values));
    }
}

fn iri_or_text(t: &Term) -> Option<String> {
    match t {
        Term::Iri(i) => Some(i.clone()),
        Term::Literal(s) => {
            let s = s.trim();
            (!s.is_empty()).then(|| s.to_owned())
        }
        Term::Blank(_) => None,
    }
}

/// SPDX's `NONE` and `NOASSERTION` individuals.
fn special(t: &Term) -> Option<&'static str> {
    match t {
        Term::Iri(i) => match i.strip_prefix(SPDX) {
            Some("none") => Some("NONE"),
            Some("noassertion") => Some("NOASSERTION"),
            _ => None,
        },
        _ => None,
    }
}

fn special_or_text(t: &Term) -> Option<String> {
    special(t).map(str::to_owned).or_else(|| iri_or_text(t))
}

/// A listed licence or exception's identifier from its IRI.
fn listed(t: &Term) -> Option<String> {
    let Term::Iri(i) = t else { return None };
    let id = i.strip_prefix(LICENSES)?;
    let id = id
        .strip_suffix(".html")
        .or_else(|| id.strip_suffix(".json"))
        .unwrap_or(id);
    (!id.is_empty()).then(|| id.to_owned())
}

fn fragment(t: &Term) -> Option<String> {
    let Term::Iri(i) = t else { return None };
    let (_, f) = i.split_once('#')?;
    (!f.is_empty()).then(|| f.to_owned())
}

/// The name of an SPDX vocabulary individual: `…terms#relationshipType_dependsOn` with
/// the prefix `relationshipType_` is `dependsOn`.
fn vocabulary(t: &Term, prefix: &str) -> Option<String> {
    match t {
        Term::Iri(i) => i
            .strip_prefix(SPDX)
            .and_then(|n| n.strip_prefix(prefix))
            .map(str::to_owned),
        // A writer that put the JSON value in a literal.
        Term::Literal(s) => {
            let s = s.trim();
            (!s.is_empty()).then(|| s.strip_prefix(prefix).unwrap_or(s).to_owned())
        }
        Term::Blank(_) => None,
    }
}

/// `dependsOn` → `DEPENDS_ON` (with `_`), `packageManager` → `PACKAGE-MANAGER` (with `-`).
fn screaming(name: &str, separator: char) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push(separator);
        }
        out.push(if c == '_' || c == '-' {
            separator
        } else {
            c.to_ascii_uppercase()
        });
    }
    out
}

/// A checksum algorithm's JSON name: `sha256` → `SHA256`, `sha3_256` → `SHA3-256`,
/// `blake2b256` → `BLAKE2b-256`.
fn algorithm(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    if let Some(bits) = lower.strip_prefix("blake2b") {
        return format!("BLAKE2b-{}", bits.trim_start_matches(['-', '_']));
    }
    lower.replace('_', "-").to_ascii_uppercase()
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use serde_json::json;

    use super::{resolve, screaming, to_json};

    const HEAD: &str = r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
        xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#" xmlns:spdx="http://spdx.org/rdf/terms#">"#;

    #[test]
    fn nesting_and_references_mean_the_same_graph() {
        let nested = format!(
            r#"{HEAD}<spdx:SpdxDocument rdf:about="https://x.example/doc#SPDXRef-DOCUMENT">
              <spdx:specVersion>SPDX-2.3</spdx:specVersion>
              <spdx:relationship><spdx:Relationship>
                <spdx:relationshipType rdf:resource="http://spdx.org/rdf/terms#relationshipType_describes"/>
                <spdx:relatedSpdxElement>
                  <spdx:Package rdf:about="https://x.example/doc#SPDXRef-a">
                    <spdx:name>a</spdx:name>
                    <spdx:licenseConcluded><spdx:DisjunctiveLicenseSet>
                      <spdx:member rdf:resource="http://spdx.org/licenses/MIT"/>
                      <spdx:member><spdx:ConjunctiveLicenseSet>
                        <spdx:member rdf:resource="http://spdx.org/licenses/Apache-2.0"/>
                        <spdx:member><spdx:WithExceptionOperator>
                          <spdx:member rdf:resource="http://spdx.org/licenses/GPL-2.0-only"/>
                          <spdx:licenseException><spdx:LicenseException>
                            <spdx:licenseExceptionId>Classpath-exception-2.0</spdx:licenseExceptionId>
                          </spdx:LicenseException></spdx:licenseException>
                        </spdx:WithExceptionOperator></spdx:member>
                      </spdx:ConjunctiveLicenseSet></spdx:member>
                    </spdx:DisjunctiveLicenseSet></spdx:licenseConcluded>
                    <spdx:downloadLocation rdf:resource="http://spdx.org/rdf/terms#noassertion"/>
                    <spdx:externalRef><spdx:ExternalRef>
                      <spdx:referenceCategory rdf:resource="http://spdx.org/rdf/terms#referenceCategory_packageManager"/>
                      <spdx:referenceType rdf:resource="http://spdx.org/rdf/references/purl"/>
                      <spdx:referenceLocator>pkg:npm/a@1</spdx:referenceLocator>
                    </spdx:ExternalRef></spdx:externalRef>
                  </spdx:Package>
                </spdx:relatedSpdxElement>
              </spdx:Relationship></spdx:relationship>
            </spdx:SpdxDocument></rdf:RDF>"#
        );
        let json = to_json(&nested).expect("read");
        assert_eq!(json["SPDXID"], "SPDXRef-DOCUMENT");
        assert_eq!(json["documentNamespace"], "https://x.example/doc");
        assert_eq!(
            json["relationships"],
            json!([{"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES",
                    "relatedSpdxElement": "SPDXRef-a"}])
        );
        let package = &json["packages"][0];
        assert_eq!(
            package["licenseConcluded"],
            "MIT OR (Apache-2.0 AND GPL-2.0-only WITH Classpath-exception-2.0)"
        );
        assert_eq!(package["downloadLocation"], "NOASSERTION");
        assert_eq!(
            package["externalRefs"],
            json!([{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                    "referenceLocator": "pkg:npm/a@1"}])
        );

        // The same package at the top level, referred to by IRI, with parseType="Resource"
        // and a property attribute.
        let flat = format!(
            r#"{HEAD}<spdx:Package rdf:about="https://x.example/doc#SPDXRef-a" spdx:name="a">
              <spdx:downloadLocation rdf:resource="http://spdx.org/rdf/terms#noassertion"/>
            </spdx:Package>
            <rdf:Description rdf:about="https://x.example/doc#SPDXRef-DOCUMENT">
              <rdf:type rdf:resource="http://spdx.org/rdf/terms#SpdxDocument"/>
              <spdx:relationship rdf:parseType="Resource">
                <spdx:relationshipType rdf:resource="http://spdx.org/rdf/terms#relationshipType_describes"/>
                <spdx:relatedSpdxElement rdf:resource="https://x.example/doc#SPDXRef-a"/>
              </spdx:relationship>
            </rdf:Description></rdf:RDF>"#
        );
        let json = to_json(&flat).expect("read");
        assert_eq!(json["relationships"][0]["relatedSpdxElement"], "SPDXRef-a");
        assert_eq!(json["packages"][0]["name"], "a");
    }

    #[test]
    fn a_graph_without_a_document_is_refused() {
        let e = to_json(&format!(
            "{HEAD}<spdx:Package rdf:about=\"x#y\"/></rdf:RDF>"
        ))
        .expect_err("no document");
        assert!(e.message.contains("spdx:SpdxDocument"), "{}", e.message);
        let e = to_json(&format!("{HEAD}<spdx:Package>")).expect_err("truncated");
        assert!(e.message.contains("ends inside"), "{}", e.message);
    }

    #[test]
    fn shared_and_looping_licence_sets_stay_small() {
        // 40 sets, each with two members that both hold the next set: 2^40 leaves if
        // written out; and a set that is its own member.
        let mut text = format!(
            r#"{HEAD}<spdx:SpdxDocument rdf:about="https://x.example/d#SPDXRef-DOCUMENT">
            <spdx:specVersion>SPDX-2.3</spdx:specVersion>
            <spdx:describesPackage><spdx:Package rdf:about="https://x.example/d#SPDXRef-a">
            <spdx:name>a</spdx:name><spdx:licenseConcluded rdf:nodeID="s0"/>
            <spdx:licenseDeclared rdf:nodeID="loop"/></spdx:Package></spdx:describesPackage>
            </spdx:SpdxDocument>
            <spdx:ConjunctiveLicenseSet rdf:nodeID="loop"><spdx:member rdf:nodeID="loop"/></spdx:ConjunctiveLicenseSet>"#
        );
        for i in 0..40 {
            let next = i + 1;
            let _ = write!(
                text,
                r#"<spdx:ConjunctiveLicenseSet rdf:nodeID="s{i}"><spdx:member rdf:nodeID="a{i}"/><spdx:member rdf:nodeID="b{i}"/></spdx:ConjunctiveLicenseSet>
                <spdx:DisjunctiveLicenseSet rdf:nodeID="a{i}"><spdx:member rdf:nodeID="s{next}"/></spdx:DisjunctiveLicenseSet>
                <spdx:DisjunctiveLicenseSet rdf:nodeID="b{i}"><spdx:member rdf:nodeID="s{next}"/></spdx:DisjunctiveLicenseSet>"#
            );
        }
        text.push_str(r#"<spdx:ConjunctiveLicenseSet rdf:nodeID="s40"><spdx:member rdf:resource="http://spdx.org/licenses/MIT"/></spdx:ConjunctiveLicenseSet></rdf:RDF>"#);
        let started = std::time::Instant::now();
        let json = to_json(&text).expect("read");
        assert!(started.elapsed().as_secs() < 5);
        assert_eq!(json["packages"][0].get("licenseConcluded"), None);
        assert_eq!(json["packages"][0].get("licenseDeclared"), None);
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let mut text = HEAD.to_owned();
        for _ in 0..5_000 {
            text.push_str("<spdx:Package><spdx:x>");
        }
        let e = to_json(&text).expect_err("too deep");
        assert!(e.message.contains("nested"), "{}", e.message);
    }

    #[test]
    fn names_and_references() {
        assert_eq!(screaming("dependsOn", '_'), "DEPENDS_ON");
        assert_eq!(screaming("packageManager", '-'), "PACKAGE-MANAGER");
        assert_eq!(screaming("operatingSystem", '_'), "OPERATING_SYSTEM");
        assert_eq!(
            resolve(Some("https://a.example/d/x#f"), "#y"),
            "https://a.example/d/x#y"
        );
        assert_eq!(
            resolve(Some("https://a.example/d/x"), "z"),
            "https://a.example/d/z"
        );
        assert_eq!(
            resolve(Some("https://a.example/d/x"), "/z"),
            "https://a.example/z"
        );
        assert_eq!(resolve(None, "urn:x"), "urn:x");
    }
}
