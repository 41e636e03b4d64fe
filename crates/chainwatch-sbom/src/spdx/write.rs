//! SPDX 2.3 writers: JSON and tag-value.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;

use serde_json::{Map, Value, json};

use crate::model::{Component, ComponentKind, Hash, HashAlg, RelationshipKind, Sbom};
use crate::spdx::relationship_type;

const DOCUMENT_ID: &str = "SPDXRef-DOCUMENT";

/// Valid, unique SPDX ids for every component (`SPDXRef-` + letters, digits, `.`, `-`).
pub(crate) fn spdx_ids(sbom: &Sbom) -> HashMap<String, String> {
    let mut used = HashSet::new();
    used.insert(DOCUMENT_ID.to_owned());
    let mut map = HashMap::new();
    for c in &sbom.components {
        if map.contains_key(&c.id) {
            continue;
        }
        let valid = c.id.strip_prefix("SPDXRef-").is_some_and(|rest| {
            !rest.is_empty()
                && rest
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        });
        let base = if valid {
            c.id.clone()
        } else {
            let cleaned: String =
                c.id.chars()
                    .map(|ch| {
                        if ch.is_ascii_alphanumeric() || ch == '.' || ch == '-' {
                            ch
                        } else {
                            '-'
                        }
                    })
                    .collect();
            let cleaned = cleaned.trim_matches('-');
            format!(
                "SPDXRef-{}",
                if cleaned.is_empty() {
                    "component"
                } else {
                    cleaned
                }
            )
        };
        let mut id = base.clone();
        let mut n = 1;
        while !used.insert(id.clone()) {
            n += 1;
            id = format!("{base}-{n}");
        }
        map.insert(c.id.clone(), id);
    }
    map
}

/// `LicenseRef-…` ids used in an expression.
fn license_refs(expr: &str, into: &mut BTreeSet<String>) {
    for token in expr.split(|c: char| c.is_whitespace() || c == '(' || c == ')') {
        if token.starts_with("LicenseRef-") {
            into.insert(token.to_owned());
        }
    }
}

/// What SPDX 2.3 has no field for, kept in the package comment as `Key: value` lines the
/// SPDX readers restore (CycloneDX component types SPDX lacks, and the group).
pub(crate) const TYPE_NOTE: &str = "CycloneDX type: ";
pub(crate) const GROUP_NOTE: &str = "CycloneDX group: ";
pub(crate) const HASH_NOTE: &str = "CycloneDX hash: ";
/// A CycloneDX property, as the JSON array `["name","value"]` (either may hold any text).
pub(crate) const PROPERTY_NOTE: &str = "CycloneDX property: ";
/// A model's card, as the one-line JSON of its CycloneDX `modelCard`.
pub(crate) const MODEL_CARD_NOTE: &str = "CycloneDX modelCard: ";
/// Every note chainwatch writes in a package comment.
pub(crate) const NOTES: [&str; 5] = [
    TYPE_NOTE,
    GROUP_NOTE,
    HASH_NOTE,
    PROPERTY_NOTE,
    MODEL_CARD_NOTE,
];

/// Whether a hash is written as an SPDX checksum (the others go into the comment). SPDX
/// 2.3 names BLAKE3 but spdx-tools, the reference implementation, refuses every 256-bit
/// value of it: a BLAKE3 checksum would make the document invalid where it is checked.
fn checksum(h: &Hash) -> bool {
    h.alg.in_spdx() && h.alg != HashAlg::Blake3
}

pub(crate) fn notes(c: &Component) -> Option<String> {
    let mut lines = Vec::new();
    if !matches!(purpose(&c.kind), Some(p) if p != "OTHER") && c.kind != ComponentKind::Library {
        lines.push(format!("{TYPE_NOTE}{}", c.kind.as_str()));
    }
    if let Some(g) = &c.group {
        lines.push(format!("{GROUP_NOTE}{g}"));
    }
    for h in c.hashes.iter().filter(|h| !checksum(h)) {
        lines.push(format!("{HASH_NOTE}{} {}", h.alg.cyclonedx_name(), h.value));
    }
    for p in &c.properties {
        lines.push(format!(
            "{PROPERTY_NOTE}{}",
            serde_json::json!([p.name, p.value])
        ));
    }
    if let Some(card) = &c.model_card {
        lines.push(format!(
            "{MODEL_CARD_NOTE}{}",
            crate::cyclonedx::modelcard::to_json(card)
        ));
    }
    (!lines.is_empty()).then(|| lines.join("\n"))
}

/// A supplier or originator worth writing (not empty).
fn party(value: Option<&String>) -> Option<&str> {
    value.map(|s| s.trim()).filter(|s| !s.is_empty())
}

fn purpose(kind: &ComponentKind) -> Option<&'static str> {
    Some(match kind {
        ComponentKind::Application => "APPLICATION",
        ComponentKind::Framework => "FRAMEWORK",
        ComponentKind::Library => "LIBRARY",
        ComponentKind::Container => "CONTAINER",
        ComponentKind::OperatingSystem => "OPERATING-SYSTEM",
        ComponentKind::Device => "DEVICE",
        ComponentKind::Firmware => "FIRMWARE",
        ComponentKind::File => "FILE",
        ComponentKind::Snippet => return None,
        _ => "OTHER",
    })
}

struct Prepared<'a> {
    ids: HashMap<String, String>,
    packages: Vec<&'a Component>,
    files: Vec<&'a Component>,
    /// Packages that contain files.
    with_files: HashSet<&'a str>,
    refs: BTreeSet<String>,
    namespace: String,
    name: String,
}

fn prepare(sbom: &Sbom) -> Prepared<'_> {
    let ids = spdx_ids(sbom);
    let mut refs = BTreeSet::new();
    for c in &sbom.components {
        if let Some(e) = c.license_expression() {
            license_refs(&e, &mut refs);
        }
        if let Some(e) = &c.license_concluded {
            license_refs(e, &mut refs);
        }
    }

    let namespace = sbom
        .serial
        .clone()
        .filter(|s| s.contains("://"))
        .unwrap_or_else(|| {
            let tail = sbom
                .serial
                .clone()
                .unwrap_or_default()
                .replace("urn:uuid:", "");
            format!(
                "https://spdx.org/spdxdocs/chainwatch-{}",
                if tail.is_empty() {
                    "document".to_owned()
                } else {
                    tail
                }
            )
        });
    let name = sbom
        .name
        .clone()
        .or_else(|| sbom.subject_component().map(|c| c.name.clone()))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "SBOM".to_owned());
    let files: Vec<&Component> = sbom.components.iter().filter(|c| is_spdx_file(c)).collect();
    Prepared {
        ids,
        packages: sbom
            .components
            .iter()
            // Snippets without their file and ranges cannot be SPDX snippets; they are
            // written as packages noting their kind. Files without a SHA-1 are packages
            // whose purpose is `FILE`.
            .filter(|c| !is_spdx_file(c))
            .collect(),
        with_files: with_files(sbom, &files),
        files,
        refs,
        namespace,
        name,
    }
}

/// Where the package is downloaded from: its SPDX `downloadLocation`, else the first
/// CycloneDX `distribution` reference.
fn download_location(c: &Component) -> Option<&str> {
    c.download_location.as_deref().or_else(|| {
        c.external_refs
            .iter()
            .find(|r| r.kind == "distribution")
            .map(|r| r.url.as_str())
    })
}

/// The external references written as SPDX `externalRefs` besides the purl and CPEs:
/// (category, type, locator). SPDX ones (`package-manager/npm`) keep their category and
/// type; CycloneDX ones (`vcs`, `issue-tracker`…) are `OTHER` with their type. The first
/// `website` is the homepage and the download location is written as such; a locator
/// or type with white space (which SPDX forbids) is left out.
fn other_refs(c: &Component) -> Vec<(String, &str, &str)> {
    let homepage = c.external_refs.iter().position(|r| r.kind == "website");
    let download = download_location(c);
    c.external_refs
        .iter()
        .enumerate()
        .filter(|(i, r)| {
            let written_apart = Some(*i) == homepage
                || (r.kind == "distribution" && Some(r.url.as_str()) == download);
            let unwritable = r.url.is_empty() || r.url.contains(char::is_whitespace);
            !(written_apart || unwritable)
        })
        .filter_map(|(_, r)| {
            let (category, ty) = match r.kind.split_once('/') {
                Some((cat, ty))
                    if matches!(
                        cat,
                        "security" | "package-manager" | "persistent-id" | "other"
                    ) =>
                {
                    (cat.to_ascii_uppercase().replace('-', "_"), ty)
                }
                _ => ("OTHER".to_owned(), r.kind.as_str()),
            };
            (!ty.is_empty() && !ty.contains(char::is_whitespace)).then_some((
                category,
                ty,
                r.url.as_str(),
            ))
        })
        .collect()
}

/// `Person` for the parties the model knows are people, else `Organization`.
fn party_kind(sbom: &Sbom, who: &str) -> &'static str {
    if sbom.persons.contains(who) {
        "Person"
    } else {
        "Organization"
    }
}

fn creators(sbom: &Sbom) -> Vec<String> {
    let mut out: Vec<String> = sbom
        .authors
        .iter()
        .map(|a| format!("{}: {a}", party_kind(sbom, a)))
        .collect();
    out.extend(
        sbom.tools
            .iter()
            .map(|t| format!("Tool: {}", t.replace(' ', "-"))),
    );
    let this = format!("Tool: chainwatch-{}", env!("CARGO_PKG_VERSION"));
    if !out.contains(&this) {
        out.push(this);
    }
    out
}

/// `YYYY-MM-DDThh:mm:ssZ`, as SPDX 2 requires (CycloneDX times have offsets and
/// fractions).
fn created(sbom: &Sbom) -> String {
    sbom.created
        .as_deref()
        .and_then(crate::model::utc_seconds)
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_owned())
}

/// A reference locator without white space (tag-value splits on it; purls and CPEs
/// never hold it unencoded).
fn locator(text: &str) -> String {
    if text.contains(char::is_whitespace) {
        text.trim()
            .chars()
            .map(|c| {
                if c.is_whitespace() {
                    "%20".to_owned()
                } else {
                    c.to_string()
                }
            })
            .collect()
    } else {
        text.to_owned()
    }
}

/// A purl as an external reference when it parses; otherwise kept as an `OTHER`
/// reference (SPDX validates `purl` locators against the purl syntax).
fn purl_ref(text: &str) -> (&'static str, &'static str, String) {
    match chainwatch_purl::Purl::parse(text.trim()) {
        // As written, unless it needs the canonical form's encoding.
        Ok(_) if !text.contains(char::is_whitespace) => {
            ("PACKAGE-MANAGER", "purl", text.to_owned())
        }
        Ok(p) => ("PACKAGE-MANAGER", "purl", p.canonical().to_owned()),
        Err(_) => ("OTHER", "unparsed-purl", locator(text)),
    }
}

/// An SPDX 2.3 file name: relative, starting with `./`.
fn file_name(name: &str) -> String {
    if name.starts_with("./") {
        name.to_owned()
    } else {
        format!(
            "./{}",
            name.trim_start_matches(['/', '.']).trim_start_matches('/')
        )
    }
}

/// Whether a component is written as an SPDX file: a file with a SHA-1 (SPDX 2.3 requires
/// one of every file); other files are packages whose purpose is `FILE`.
fn is_spdx_file(c: &Component) -> bool {
    c.kind == ComponentKind::File
        && c.hashes
            .iter()
            .any(|h| checksum(h) && h.alg == HashAlg::Sha1)
}

/// A component's concluded and declared licences as SPDX 2.3 writes them.
fn licenses(c: &Component) -> (String, String) {
    (
        c.license_concluded.as_deref().map_or_else(
            || "NOASSERTION".to_owned(),
            crate::model::current_license_ids,
        ),
        c.license_expression().map_or_else(
            || "NOASSERTION".to_owned(),
            |e| crate::model::current_license_ids(&e),
        ),
    )
}

/// Every relationship with mapped ids; edges to unknown ids are kept only when they name
/// another document (`DocumentRef-…`) or `NONE`/`NOASSERTION`.
fn relationships(sbom: &Sbom, ids: &HashMap<String, String>) -> Vec<(String, String, String)> {
    let doc_ids: HashSet<&str> = ["SPDXRef-DOCUMENT"]
        .into_iter()
        .chain(sbom.serial.as_deref())
        .collect();
    let map = |id: &str| -> Option<String> {
        if let Some(m) = ids.get(id) {
            Some(m.clone())
        } else if doc_ids.contains(id) {
            Some(DOCUMENT_ID.to_owned())
        } else if id == "NONE" || id == "NOASSERTION" {
            // An element of another document (`DocumentRef-…`) needs that document's
            // reference, which the model does not keep: such edges are left out.
            Some(id.to_owned())
        } else {
            None
        }
    };
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut describes_subject = false;
    for r in &sbom.relationships {
        let (from, kind, to) = relationship_type(r);
        let (Some(f), Some(t)) = (map(from), map(to)) else {
            continue;
        };
        if kind == "DESCRIBES" && f == DOCUMENT_ID {
            describes_subject = true;
        }
        if seen.insert((f.clone(), kind.clone(), t.clone())) {
            out.push((f, kind, t));
        }
    }
    if !describes_subject && let Some(s) = sbom.subject.as_deref().and_then(|s| ids.get(s)) {
        out.insert(
            0,
            (DOCUMENT_ID.to_owned(), "DESCRIBES".to_owned(), s.clone()),
        );
        describes_subject = true;
    }
    if !describes_subject && !sbom.components.is_empty() {
        // SPDX asks what the document describes; without a subject, it describes the
        // roots: the elements nothing else contains or depends on (all, if cyclic).
        let targets: HashSet<&str> = sbom
            .relationships
            .iter()
            .filter(|r| r.kind == RelationshipKind::Contains || r.kind.is_dependency())
            .map(|r| r.to.as_str())
            .collect();
        let mut roots: Vec<&Component> = sbom
            .components
            .iter()
            .filter(|c| !targets.contains(c.id.as_str()))
            .collect();
        if roots.is_empty() {
            roots = sbom.components.iter().collect();
        }
        let described: Vec<(String, String, String)> = roots
            .iter()
            .filter_map(|c| ids.get(&c.id))
            .map(|id| (DOCUMENT_ID.to_owned(), "DESCRIBES".to_owned(), id.clone()))
            .collect();
        out.splice(0..0, described);
    }
    if !out
        .iter()
        .any(|(f, k, _)| f == DOCUMENT_ID && k == "DESCRIBES")
    {
        // SPDX 2.3 requires the document to describe something: here, nothing.
        out.insert(
            0,
            (
                DOCUMENT_ID.to_owned(),
                "DESCRIBES".to_owned(),
                "NONE".to_owned(),
            ),
        );
    }
    out
}

/// Packages that contain files (their files were analyzed: `filesAnalyzed` may not be
/// false).
fn with_files<'a>(sbom: &'a Sbom, files: &[&Component]) -> HashSet<&'a str> {
    let files: HashSet<&str> = files.iter().map(|c| c.id.as_str()).collect();
    sbom.relationships
        .iter()
        .filter(|r| r.kind == RelationshipKind::Contains && files.contains(r.to.as_str()))
        .map(|r| r.from.as_str())
        .collect()
}

fn package_json(sbom: &Sbom, c: &Component, id: &str, has_files: bool) -> Value {
    let mut o = Map::new();
    o.insert("SPDXID".into(), id.into());
    o.insert("name".into(), c.name.clone().into());
    if let Some(v) = &c.version {
        o.insert("versionInfo".into(), v.clone().into());
    }
    o.insert(
        "supplier".into(),
        party(c.supplier.as_ref())
            .map_or("NOASSERTION".to_owned(), |s| {
                format!("{}: {s}", party_kind(sbom, s))
            })
            .into(),
    );
    if let Some(a) = party(c.author.as_ref()) {
        o.insert(
            "originator".into(),
            format!("{}: {a}", party_kind(sbom, a)).into(),
        );
    }
    o.insert(
        "downloadLocation".into(),
        download_location(c).unwrap_or("NOASSERTION").into(),
    );
    if !has_files {
        o.insert("filesAnalyzed".into(), false.into());
    }
    if !c.hashes.is_empty() {
        o.insert(
            "checksums".into(),
            c.hashes
                .iter()
                .filter(|h| checksum(h))
                .map(|h| json!({"algorithm": h.alg.spdx_name(), "checksumValue": h.value}))
                .collect(),
        );
    }
    if let Some(home) = c.external_refs.iter().find(|r| r.kind == "website") {
        o.insert("homepage".into(), home.url.clone().into());
    }
    let (concluded, declared) = licenses(c);
    o.insert("licenseConcluded".into(), concluded.into());
    o.insert("licenseDeclared".into(), declared.into());
    o.insert(
        "copyrightText".into(),
        c.copyright
            .clone()
            .unwrap_or_else(|| "NOASSERTION".to_owned())
            .into(),
    );
    if let Some(d) = &c.description {
        o.insert("description".into(), d.clone().into());
    }
    let mut refs: Vec<Value> = Vec::new();
    if let Some(p) = &c.purl {
        let (category, ty, locator) = purl_ref(p);
        refs.push(json!({"referenceCategory": category, "referenceType": ty, "referenceLocator": locator}));
    }
    for cpe in &c.cpes {
        let ty = if cpe.starts_with("cpe:2.3:") {
            "cpe23Type"
        } else {
            "cpe22Type"
        };
        refs.push(
            json!({"referenceCategory": "SECURITY", "referenceType": ty, "referenceLocator": locator(cpe)}),
        );
    }
    for (category, ty, locator) in other_refs(c) {
        refs.push(json!({"referenceCategory": category, "referenceType": ty, "referenceLocator": locator}));
    }
    if !refs.is_empty() {
        o.insert("externalRefs".into(), refs.into());
    }
    if let Some(p) = purpose(&c.kind) {
        o.insert("primaryPackagePurpose".into(), p.into());
    }
    if let Some(n) = notes(c) {
        o.insert("comment".into(), n.into());
    }
    Value::Object(o)
}

fn file_json(c: &Component, id: &str) -> Value {
    let mut o = Map::new();
    o.insert("SPDXID".into(), id.into());
    o.insert("fileName".into(), file_name(&c.name).into());
    o.insert(
        "checksums".into(),
        c.hashes
            .iter()
            .filter(|h| checksum(h))
            .map(|h| json!({"algorithm": h.alg.spdx_name(), "checksumValue": h.value}))
            .collect(),
    );
    o.insert("licenseConcluded".into(), licenses(c).0.into());
    o.insert(
        "copyrightText".into(),
        c.copyright
            .clone()
            .unwrap_or_else(|| "NOASSERTION".to_owned())
            .into(),
    );
    Value::Object(o)
}

pub(crate) fn to_json(sbom: &Sbom) -> String {
    let p = prepare(sbom);
    let mut out = String::with_capacity(sbom.components.len() * 600 + 1024);
    out.push_str("{\n  \"spdxVersion\": \"SPDX-2.3\",\n  \"dataLicense\": \"CC0-1.0\",\n  \"SPDXID\": \"SPDXRef-DOCUMENT\",\n");
    let _ = writeln!(out, "  \"name\": {},", Value::from(p.name.clone()));
    let _ = writeln!(
        out,
        "  \"documentNamespace\": {},",
        Value::from(p.namespace.clone())
    );
    let _ = writeln!(
        out,
        "  \"creationInfo\": {},",
        json!({"created": created(sbom), "creators": creators(sbom)})
    );
    if !p.refs.is_empty() {
        let infos: Vec<Value> = p
            .refs
            .iter()
            .map(|r| json!({"licenseId": r, "name": r.trim_start_matches("LicenseRef-"), "extractedText": "NOASSERTION"}))
            .collect();
        let _ = writeln!(
            out,
            "  \"hasExtractedLicensingInfos\": {},",
            Value::from(infos)
        );
    }
    out.push_str("  \"packages\": [");
    for (i, c) in p.packages.iter().enumerate() {
        out.push_str(if i == 0 { "\n    " } else { ",\n    " });
        let _ = write!(
            out,
            "{}",
            package_json(sbom, c, &p.ids[&c.id], p.with_files.contains(c.id.as_str()))
        );
    }
    out.push_str(if p.packages.is_empty() {
        "],\n"
    } else {
        "\n  ],\n"
    });
    if !p.files.is_empty() {
        out.push_str("  \"files\": [");
        for (i, c) in p.files.iter().enumerate() {
            out.push_str(if i == 0 { "\n    " } else { ",\n    " });
            let _ = write!(out, "{}", file_json(c, &p.ids[&c.id]));
        }
        out.push_str("\n  ],\n");
    }
    let rels = relationships(sbom, &p.ids);
    out.push_str("  \"relationships\": [");
    for (i, (f, k, t)) in rels.iter().enumerate() {
        out.push_str(if i == 0 { "\n    " } else { ",\n    " });
        let _ = write!(
            out,
            "{}",
            json!({"spdxElementId": f, "relationshipType": k, "relatedSpdxElement": t})
        );
    }
    out.push_str(if rels.is_empty() {
        "]\n}\n"
    } else {
        "\n  ]\n}\n"
    });
    out
}

/// A tag-value value: single line as is, anything else in `<text>`.
fn tv(value: &str) -> String {
    if value.contains('\n') || value.contains("</text>") {
        format!("<text>{}</text>", value.replace("</text>", "</ text>"))
    } else {
        value.to_owned()
    }
}

pub(crate) fn to_tag_value(sbom: &Sbom) -> String {
    let p = prepare(sbom);
    let mut out = String::with_capacity(sbom.components.len() * 500 + 1024);
    let _ = writeln!(
        out,
        "SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\nSPDXID: SPDXRef-DOCUMENT"
    );
    let _ = writeln!(
        out,
        "DocumentName: {}\nDocumentNamespace: {}",
        tv(&p.name),
        tv(&p.namespace)
    );
    for c in creators(sbom) {
        let _ = writeln!(out, "Creator: {}", tv(&c));
    }
    let _ = writeln!(out, "Created: {}", created(sbom));
    // Files before the packages: a file after a package is that package's in tag-value
    // (containment is written as relationships).
    for c in &p.files {
        let _ = writeln!(
            out,
            "\nFileName: {}\nSPDXID: {}",
            tv(&file_name(&c.name)),
            p.ids[&c.id]
        );
        for h in c.hashes.iter().filter(|h| checksum(h)) {
            let _ = writeln!(out, "FileChecksum: {}: {}", h.alg.spdx_name(), h.value);
        }
        let _ = writeln!(out, "LicenseConcluded: {}", tv(&licenses(c).0));
        let _ = writeln!(
            out,
            "FileCopyrightText: {}",
            tv(c.copyright.as_deref().unwrap_or("NOASSERTION"))
        );
    }
    for c in &p.packages {
        let _ = writeln!(
            out,
            "\nPackageName: {}\nSPDXID: {}",
            tv(&c.name),
            p.ids[&c.id]
        );
        if let Some(v) = &c.version {
            let _ = writeln!(out, "PackageVersion: {}", tv(v));
        }
        let _ = writeln!(
            out,
            "PackageSupplier: {}",
            party(c.supplier.as_ref()).map_or("NOASSERTION".to_owned(), |s| format!(
                "{}: {}",
                party_kind(sbom, s),
                tv(s)
            ))
        );
        if let Some(a) = party(c.author.as_ref()) {
            let _ = writeln!(out, "PackageOriginator: {}: {}", party_kind(sbom, a), tv(a));
        }
        let _ = writeln!(
            out,
            "PackageDownloadLocation: {}",
            tv(download_location(c).unwrap_or("NOASSERTION"))
        );
        if !p.with_files.contains(c.id.as_str()) {
            let _ = writeln!(out, "FilesAnalyzed: false");
        }
        for h in c.hashes.iter().filter(|h| checksum(h)) {
            let _ = writeln!(out, "PackageChecksum: {}: {}", h.alg.spdx_name(), h.value);
        }
        if let Some(home) = c.external_refs.iter().find(|r| r.kind == "website") {
            let _ = writeln!(out, "PackageHomePage: {}", tv(&home.url));
        }
        let (concluded, declared) = licenses(c);
        let _ = writeln!(out, "PackageLicenseConcluded: {}", tv(&concluded));
        let _ = writeln!(out, "PackageLicenseDeclared: {}", tv(&declared));
        let _ = writeln!(
            out,
            "PackageCopyrightText: {}",
            tv(c.copyright.as_deref().unwrap_or("NOASSERTION"))
        );
        if let Some(d) = &c.description {
            let _ = writeln!(out, "PackageDescription: {}", tv(d));
        }
        if let Some(purl) = &c.purl {
            let (category, ty, locator) = purl_ref(purl);
            let _ = writeln!(out, "ExternalRef: {category} {ty} {locator}");
        }
        for cpe in &c.cpes {
            let ty = if cpe.starts_with("cpe:2.3:") {
                "cpe23Type"
            } else {
                "cpe22Type"
            };
            let _ = writeln!(out, "ExternalRef: SECURITY {ty} {}", locator(cpe));
        }
        for (category, ty, locator) in other_refs(c) {
            let _ = writeln!(out, "ExternalRef: {category} {ty} {locator}");
        }
        if let Some(pp) = purpose(&c.kind) {
            let _ = writeln!(out, "PrimaryPackagePurpose: {pp}");
        }
        if let Some(n) = notes(c) {
            let _ = writeln!(out, "PackageComment: {}", tv(&n));
        }
    }
    let rels = relationships(sbom, &p.ids);
    if !rels.is_empty() {
        out.push('\n');
    }
    for (f, k, t) in rels {
        let _ = writeln!(out, "Relationship: {f} {k} {t}");
    }
    for r in &p.refs {
        let _ = writeln!(
            out,
            "\nLicenseID: {r}\nExtractedText: NOASSERTION\nLicenseName: {}",
            r.trim_start_matches("LicenseRef-")
        );
    }
    out
}
