//! Strict CycloneDX validation: what the 1.0–1.7 JSON schemas and XSDs require, checked
//! element by element while streaming (memory stays proportional to the largest
//! component, not to the document). Version differences follow the schemas: fields,
//! enumerations and license-choice rules are those of the document's `specVersion`.

use std::collections::HashMap;

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::diag::{Code, Diagnostic, Location, pointer_token};
use crate::validate::{is_date_time, is_uuid_urn, license_error};
use crate::xmltree::Node;

/// `(value, the minor version that introduced it)`.
type Table = &'static [(&'static str, u8)];

const COMPONENT_TYPES: Table = &[
    ("application", 0),
    ("framework", 0),
    ("library", 0),
    ("operating-system", 0),
    ("device", 0),
    ("file", 1),
    ("container", 2),
    ("firmware", 2),
    ("platform", 5),
    ("device-driver", 5),
    ("machine-learning-model", 5),
    ("data", 5),
    ("cryptographic-asset", 6),
];

const HASH_ALGS: Table = &[
    ("MD5", 0),
    ("SHA-1", 0),
    ("SHA-256", 0),
    ("SHA-384", 0),
    ("SHA-512", 0),
    ("SHA3-256", 0),
    ("SHA3-384", 0),
    ("SHA3-512", 0),
    ("BLAKE2b-256", 0),
    ("BLAKE2b-384", 0),
    ("BLAKE2b-512", 0),
    ("BLAKE3", 0),
    ("Streebog-256", 7),
    ("Streebog-512", 7),
];

const EXT_REF_TYPES: Table = &[
    ("vcs", 0),
    ("issue-tracker", 0),
    ("website", 0),
    ("advisories", 0),
    ("bom", 0),
    ("mailing-list", 0),
    ("social", 0),
    ("chat", 0),
    ("documentation", 0),
    ("support", 0),
    ("distribution", 0),
    ("license", 0),
    ("build-meta", 0),
    ("build-system", 0),
    ("other", 0),
    ("release-notes", 4),
    ("distribution-intake", 5),
    ("security-contact", 5),
    ("model-card", 5),
    ("log", 5),
    ("configuration", 5),
    ("evidence", 5),
    ("formulation", 5),
    ("attestation", 5),
    ("threat-model", 5),
    ("adversary-model", 5),
    ("risk-assessment", 5),
    ("vulnerability-assertion", 5),
    ("exploitability-statement", 5),
    ("pentest-report", 5),
    ("static-analysis-report", 5),
    ("dynamic-analysis-report", 5),
    ("runtime-analysis-report", 5),
    ("component-analysis-report", 5),
    ("maturity-report", 5),
    ("certification-report", 5),
    ("codified-infrastructure", 5),
    ("quality-metrics", 5),
    ("poam", 5),
    ("source-distribution", 6),
    ("electronic-signature", 6),
    ("digital-signature", 6),
    ("rfc-9116", 6),
    ("patent", 7),
    ("patent-family", 7),
    ("patent-assertion", 7),
    ("citation", 7),
];

const SCOPES: Table = &[("required", 0), ("optional", 0), ("excluded", 2)];
const PATCH_TYPES: Table = &[
    ("unofficial", 0),
    ("monkey", 0),
    ("backport", 0),
    ("cherry-pick", 0),
];
const ISSUE_TYPES: Table = &[("defect", 0), ("enhancement", 0), ("security", 0)];
const DATA_FLOWS: Table = &[
    ("inbound", 0),
    ("outbound", 0),
    ("bi-directional", 0),
    ("unknown", 0),
];
const ACKNOWLEDGEMENTS: Table = &[("declared", 6), ("concluded", 6)];
const TLP: Table = &[
    ("CLEAR", 7),
    ("GREEN", 7),
    ("AMBER", 7),
    ("AMBER_AND_STRICT", 7),
    ("RED", 7),
];
const SEVERITIES: Table = &[
    ("critical", 4),
    ("high", 4),
    ("medium", 4),
    ("low", 4),
    ("info", 4),
    ("none", 4),
    ("unknown", 4),
];
const RATING_METHODS: Table = &[
    ("CVSSv2", 4),
    ("CVSSv3", 4),
    ("CVSSv31", 4),
    ("CVSSv4", 5),
    ("OWASP", 4),
    ("SSVC", 5),
    ("other", 4),
];
const ANALYSIS_STATES: Table = &[
    ("resolved", 4),
    ("resolved_with_pedigree", 4),
    ("exploitable", 4),
    ("in_triage", 4),
    ("false_positive", 4),
    ("not_affected", 4),
];
const JUSTIFICATIONS: Table = &[
    ("code_not_present", 4),
    ("code_not_reachable", 4),
    ("requires_configuration", 4),
    ("requires_dependency", 4),
    ("requires_environment", 4),
    ("protected_by_compiler", 4),
    ("protected_at_runtime", 4),
    ("protected_at_perimeter", 4),
    ("protected_by_mitigating_control", 4),
];
const RESPONSES: Table = &[
    ("can_not_fix", 4),
    ("will_not_fix", 4),
    ("update", 4),
    ("rollback", 4),
    ("workaround_available", 4),
];

// The fields each object may have (checked from 1.4 on, where the schemas close objects).
const ROOT_KEYS: Table = &[
    ("bomFormat", 0),
    ("specVersion", 0),
    ("serialNumber", 0),
    ("version", 0),
    ("metadata", 0),
    ("components", 0),
    ("services", 0),
    ("externalReferences", 0),
    ("dependencies", 0),
    ("compositions", 3),
    ("$schema", 4),
    ("vulnerabilities", 4),
    ("signature", 4),
    ("annotations", 5),
    ("formulation", 5),
    ("properties", 5),
    ("declarations", 6),
    ("definitions", 6),
    ("citations", 7),
];
const COMPONENT_KEYS: Table = &[
    ("type", 0),
    ("name", 0),
    ("version", 0),
    ("group", 0),
    ("author", 0),
    ("publisher", 0),
    ("supplier", 0),
    ("bom-ref", 0),
    ("components", 0),
    ("copyright", 0),
    ("cpe", 0),
    ("description", 0),
    ("externalReferences", 0),
    ("hashes", 0),
    ("licenses", 0),
    ("mime-type", 0),
    ("modified", 0),
    ("pedigree", 0),
    ("purl", 0),
    ("scope", 0),
    ("swid", 0),
    ("evidence", 3),
    ("properties", 3),
    ("releaseNotes", 4),
    ("signature", 4),
    ("data", 5),
    ("modelCard", 5),
    ("authors", 6),
    ("cryptoProperties", 6),
    ("manufacturer", 6),
    ("omniborId", 6),
    ("swhid", 6),
    ("tags", 6),
    ("isExternal", 7),
    ("patentAssertions", 7),
    ("versionRange", 7),
];
const SERVICE_KEYS: Table = &[
    ("authenticated", 0),
    ("bom-ref", 0),
    ("data", 0),
    ("description", 0),
    ("endpoints", 0),
    ("externalReferences", 0),
    ("group", 0),
    ("licenses", 0),
    ("name", 0),
    ("provider", 0),
    ("services", 0),
    ("version", 0),
    ("x-trust-boundary", 0),
    ("properties", 3),
    ("releaseNotes", 4),
    ("signature", 4),
    ("trustZone", 5),
    ("tags", 6),
    ("patentAssertions", 7),
];
const METADATA_KEYS: Table = &[
    ("authors", 0),
    ("component", 0),
    ("manufacture", 0),
    ("supplier", 0),
    ("timestamp", 0),
    ("tools", 0),
    ("licenses", 3),
    ("properties", 3),
    ("lifecycles", 5),
    ("manufacturer", 6),
    ("distributionConstraints", 7),
];
const LICENSE_KEYS: Table = &[
    ("id", 0),
    ("name", 0),
    ("text", 0),
    ("url", 0),
    ("bom-ref", 5),
    ("licensing", 5),
    ("properties", 5),
    ("acknowledgement", 6),
];
const EXPRESSION_KEYS: Table = &[
    ("expression", 0),
    ("bom-ref", 5),
    ("acknowledgement", 6),
    ("expressionDetails", 7),
    ("licensing", 7),
    ("properties", 7),
];
const HASH_KEYS: Table = &[("alg", 0), ("content", 0)];
const PROPERTY_KEYS: Table = &[("name", 0), ("value", 0)];
const DEPENDENCY_KEYS: Table = &[("ref", 0), ("dependsOn", 0), ("provides", 6)];
const EXT_REF_KEYS: Table = &[
    ("url", 0),
    ("type", 0),
    ("comment", 0),
    ("hashes", 3),
    ("properties", 7),
];
const SWID_KEYS: Table = &[
    ("tagId", 0),
    ("name", 0),
    ("version", 0),
    ("tagVersion", 0),
    ("patch", 0),
    ("text", 0),
    ("url", 0),
];
const ATTACHMENT_KEYS: Table = &[("contentType", 0), ("encoding", 0), ("content", 0)];
const CITATION_KEYS: Table = &[
    ("bom-ref", 7),
    ("pointers", 7),
    ("expressions", 7),
    ("timestamp", 7),
    ("attributedTo", 7),
    ("process", 7),
    ("note", 7),
    ("signature", 7),
];

fn allowed(table: Table, minor: u8, value: &str) -> bool {
    table
        .iter()
        .any(|(v, since)| *v == value && *since <= minor)
}

fn expected(table: Table, minor: u8) -> String {
    let names: Vec<String> = table
        .iter()
        .filter(|(_, since)| *since <= minor)
        .map(|(v, _)| format!("`{v}`"))
        .collect();
    names.join(", ")
}

/// The minor version of a CycloneDX `specVersion` (`1.6` → 6).
pub(crate) fn minor_of(spec_version: &str) -> Option<u8> {
    match spec_version.strip_prefix("1.")?.parse::<u8>() {
        Ok(m) if m <= 7 => Some(m),
        _ => None,
    }
}

/// The digest length the CycloneDX schemas allow for an algorithm, in hex digits.
fn hash_problem(alg: &str, content: &str) -> Option<String> {
    let hex = !content.is_empty() && content.bytes().all(|b| b.is_ascii_hexdigit());
    let len = match alg {
        "MD5" => Some(32),
        "SHA-1" => Some(40),
        "SHA-256" | "SHA3-256" | "BLAKE2b-256" | "Streebog-256" => Some(64),
        "SHA-384" | "SHA3-384" | "BLAKE2b-384" => Some(96),
        "SHA-512" | "SHA3-512" | "BLAKE2b-512" | "Streebog-512" => Some(128),
        _ => None,
    };
    let schema_len = matches!(content.len(), 32 | 40 | 64 | 96 | 128);
    if !hex || !schema_len || len.is_some_and(|n| n != content.len()) {
        Some(match len {
            Some(n) => format!("{alg} hash `{content}` is not {n} hex digits"),
            None => format!("{alg} hash `{content}` is not 32, 40, 64, 96 or 128 hex digits"),
        })
    } else {
        None
    }
}

fn license_id_problem(id: &str) -> Option<String> {
    (spdx::license_id(id).is_none() && spdx::exception_id(id).is_none()).then(|| {
        format!("`{id}` is not an SPDX license identifier (use `name` for other licenses)")
    })
}

/// Where a finding is: a JSON pointer or a byte offset into XML.
#[derive(Clone)]
enum At {
    Pointer(String),
    Offset(usize),
}

/// Findings and the identifiers seen so far.
struct Sink {
    minor: u8,
    found: Vec<(Code, String, At)>,
    bom_refs: HashMap<String, At>,
}

impl Sink {
    fn new(minor: u8) -> Sink {
        Sink {
            minor,
            found: Vec::new(),
            bom_refs: HashMap::new(),
        }
    }

    fn push(&mut self, code: Code, message: String, at: &At) {
        // A document wrong everywhere says so often enough after a few thousand findings.
        if self.found.len() < 10_000 {
            self.found.push((code, message, at.clone()));
        }
    }

    fn bom_ref(&mut self, value: &str, at: &At) {
        if value.is_empty() {
            if self.minor >= 5 {
                self.push(Code::MissingField, "`bom-ref` is empty".to_owned(), at);
            }
            return;
        }
        if self.bom_refs.contains_key(value) {
            self.push(
                Code::DuplicateId,
                format!("`bom-ref` `{value}` is not unique"),
                at,
            );
        } else {
            self.bom_refs.insert(value.to_owned(), at.clone());
        }
    }

    fn check_enum(&mut self, table: Table, what: &str, value: &str, at: &At) {
        if !allowed(table, self.minor, value) {
            let msg = format!(
                "{what} `{value}` is not one of {} (CycloneDX 1.{})",
                expected(table, self.minor),
                self.minor
            );
            self.push(Code::InvalidValue, msg, at);
        }
    }
}

// ---------------------------------------------------------------------------------------
// JSON

fn child(ptr: &str, key: &str) -> String {
    format!("{ptr}/{}", pointer_token(key))
}

fn at(ptr: &str) -> At {
    At::Pointer(ptr.to_owned())
}

struct Json<'s> {
    sink: &'s mut Sink,
}

impl Json<'_> {
    fn minor(&self) -> u8 {
        self.sink.minor
    }

    fn object<'v>(
        &mut self,
        v: &'v Value,
        ptr: &str,
        what: &str,
    ) -> Option<&'v Map<String, Value>> {
        let m = v.as_object();
        if m.is_none() {
            self.sink.push(
                Code::InvalidType,
                format!("{what} must be an object"),
                &at(ptr),
            );
        }
        m
    }

    fn keys(&mut self, m: &Map<String, Value>, table: Table, what: &str, ptr: &str) {
        if self.minor() < 4 {
            return;
        }
        for k in m.keys() {
            if !allowed(table, self.minor(), k) {
                let msg = format!("{what} has no field `{k}` in CycloneDX 1.{}", self.minor());
                self.sink.push(Code::UnknownField, msg, &at(&child(ptr, k)));
            }
        }
    }

    /// A string field: `None` when absent; reports non-strings.
    fn str<'v>(&mut self, m: &'v Map<String, Value>, key: &str, ptr: &str) -> Option<&'v str> {
        if let Value::String(s) = m.get(key)? {
            Some(s)
        } else {
            self.sink.push(
                Code::InvalidType,
                format!("`{key}` must be a string"),
                &at(&child(ptr, key)),
            );
            None
        }
    }

    fn required_str<'v>(
        &mut self,
        m: &'v Map<String, Value>,
        key: &str,
        ptr: &str,
        what: &str,
    ) -> Option<&'v str> {
        if !m.contains_key(key) {
            self.sink.push(
                Code::MissingField,
                format!("{what} has no `{key}`"),
                &at(ptr),
            );
            return None;
        }
        self.str(m, key, ptr)
    }

    fn enum_field(&mut self, m: &Map<String, Value>, key: &str, table: Table, ptr: &str) {
        if let Some(v) = self.str(m, key, ptr) {
            self.sink
                .check_enum(table, &format!("`{key}`"), v, &at(&child(ptr, key)));
        }
    }

    fn array<'v>(&mut self, m: &'v Map<String, Value>, key: &str, ptr: &str) -> &'v [Value] {
        match m.get(key) {
            None => &[],
            Some(Value::Array(a)) => a,
            Some(_) => {
                self.sink.push(
                    Code::InvalidType,
                    format!("`{key}` must be an array"),
                    &at(&child(ptr, key)),
                );
                &[]
            }
        }
    }

    fn bom_ref(&mut self, m: &Map<String, Value>, ptr: &str) {
        if let Some(r) = self.str(m, "bom-ref", ptr) {
            self.sink.bom_ref(r, &at(&child(ptr, "bom-ref")));
        }
    }

    fn date(&mut self, m: &Map<String, Value>, key: &str, ptr: &str) {
        if let Some(t) = self.str(m, key, ptr)
            && !is_date_time(t)
        {
            self.sink.push(
                Code::InvalidDate,
                format!("`{key}` `{t}` is not an RFC 3339 date-time"),
                &at(&child(ptr, key)),
            );
        }
    }

    fn component(&mut self, v: &Value, ptr: &str) {
        let Some(m) = self.object(v, ptr, "a component") else {
            return;
        };
        self.keys(m, COMPONENT_KEYS, "a component", ptr);
        if let Some(t) = self.required_str(m, "type", ptr, "a component") {
            self.sink.check_enum(
                COMPONENT_TYPES,
                "component type",
                t,
                &at(&child(ptr, "type")),
            );
        }
        self.required_str(m, "name", ptr, "a component");
        if self.minor() <= 3 {
            self.required_str(m, "version", ptr, "a component");
        } else {
            self.str(m, "version", ptr);
        }
        self.bom_ref(m, ptr);
        self.enum_field(m, "scope", SCOPES, ptr);
        self.hashes(m, ptr);
        self.licenses(m, ptr);
        if let Some(p) = self.str(m, "purl", ptr)
            && let Err(e) = chainwatch_purl::Purl::parse(p)
        {
            self.sink.push(
                Code::InvalidPurl,
                format!("purl `{p}`: {e}"),
                &at(&child(ptr, "purl")),
            );
        }
        if let Some(s) = m.get("swid") {
            let p = child(ptr, "swid");
            if let Some(sm) = self.object(s, &p, "`swid`") {
                self.keys(sm, SWID_KEYS, "`swid`", &p);
                self.required_str(sm, "tagId", &p, "`swid`");
                self.required_str(sm, "name", &p, "`swid`");
                if let Some(t) = sm.get("text") {
                    self.attachment(t, &child(&p, "text"));
                }
            }
        }
        self.properties(m, ptr);
        self.ext_refs(m, ptr);
        if let Some(p) = m.get("pedigree") {
            self.pedigree(p, &child(ptr, "pedigree"));
        }
        if let Some(e) = m.get("evidence").and_then(Value::as_object) {
            let p = child(ptr, "evidence");
            self.licenses(e, &p);
        }
        if self.minor() >= 7 {
            let external = m.get("isExternal");
            if external.is_some_and(|x| !x.is_boolean()) {
                self.sink.push(
                    Code::InvalidType,
                    "`isExternal` must be a boolean".to_owned(),
                    &at(&child(ptr, "isExternal")),
                );
            }
            if m.contains_key("versionRange") {
                if m.contains_key("version") {
                    self.sink.push(
                        Code::InvalidValue,
                        "a component has both `version` and `versionRange`".to_owned(),
                        &at(&child(ptr, "versionRange")),
                    );
                }
                if external != Some(&Value::Bool(true)) {
                    self.sink.push(
                        Code::InvalidValue,
                        "`versionRange` is only allowed on external components (`isExternal: true`)".to_owned(),
                        &at(&child(ptr, "versionRange")),
                    );
                }
            }
        }
        let children = self.array(m, "components", ptr);
        for (i, c) in children.iter().enumerate() {
            self.component(c, &format!("{ptr}/components/{i}"));
        }
    }

    fn service(&mut self, v: &Value, ptr: &str) {
        let Some(m) = self.object(v, ptr, "a service") else {
            return;
        };
        self.keys(m, SERVICE_KEYS, "a service", ptr);
        self.required_str(m, "name", ptr, "a service");
        self.bom_ref(m, ptr);
        self.licenses(m, ptr);
        self.properties(m, ptr);
        self.ext_refs(m, ptr);
        for (i, d) in self.array(m, "data", ptr).iter().enumerate() {
            let p = format!("{ptr}/data/{i}");
            let Some(dm) = self.object(d, &p, "service data") else {
                continue;
            };
            if self.required_str(dm, "flow", &p, "service data").is_some() {
                self.enum_field(dm, "flow", DATA_FLOWS, &p);
            }
            if !dm.contains_key("classification") {
                self.sink.push(
                    Code::MissingField,
                    "service data has no `classification`".to_owned(),
                    &at(&p),
                );
            }
        }
        let children = self.array(m, "services", ptr);
        for (i, c) in children.iter().enumerate() {
            self.service(c, &format!("{ptr}/services/{i}"));
        }
    }

    fn hashes(&mut self, m: &Map<String, Value>, ptr: &str) {
        for (i, h) in self.array(m, "hashes", ptr).iter().enumerate() {
            let p = format!("{ptr}/hashes/{i}");
            let Some(hm) = self.object(h, &p, "a hash") else {
                continue;
            };
            self.keys(hm, HASH_KEYS, "a hash", &p);
            let alg = self.required_str(hm, "alg", &p, "a hash");
            let content = self.required_str(hm, "content", &p, "a hash");
            if let Some(alg) = alg {
                self.sink
                    .check_enum(HASH_ALGS, "hash algorithm", alg, &at(&child(&p, "alg")));
                if let Some(content) = content
                    && let Some(msg) = hash_problem(alg, content)
                {
                    self.sink
                        .push(Code::InvalidHash, msg, &at(&child(&p, "content")));
                }
            }
        }
    }

    fn attachment(&mut self, v: &Value, ptr: &str) {
        let Some(m) = self.object(v, ptr, "an attachment") else {
            return;
        };
        self.keys(m, ATTACHMENT_KEYS, "an attachment", ptr);
        self.required_str(m, "content", ptr, "an attachment");
        if let Some(e) = self.str(m, "encoding", ptr)
            && e != "base64"
        {
            self.sink.push(
                Code::InvalidValue,
                format!("encoding `{e}` is not `base64`"),
                &at(&child(ptr, "encoding")),
            );
        }
    }

    fn licenses(&mut self, m: &Map<String, Value>, ptr: &str) {
        let items = self.array(m, "licenses", ptr);
        let base = child(ptr, "licenses");
        let mut expressions = 0;
        let mut licenses = 0;
        for (i, item) in items.iter().enumerate() {
            let p = format!("{base}/{i}");
            let Some(im) = self.object(item, &p, "a license choice") else {
                continue;
            };
            let has_license = im.contains_key("license");
            let has_expression = im.contains_key("expression");
            if has_license && has_expression {
                self.sink.push(
                    Code::LicenseChoice,
                    "a license choice has both `license` and `expression`".to_owned(),
                    &at(&p),
                );
            } else if !has_license && !has_expression {
                self.sink.push(
                    Code::MissingField,
                    "a license choice has neither `license` nor `expression`".to_owned(),
                    &at(&p),
                );
            }
            if has_license {
                licenses += 1;
                if self.minor() >= 4 && !has_expression {
                    for k in im.keys().filter(|k| *k != "license") {
                        let msg = format!("a license choice has no field `{k}`");
                        self.sink.push(Code::UnknownField, msg, &at(&child(&p, k)));
                    }
                }
                self.license(&im["license"], &child(&p, "license"));
            }
            if has_expression {
                expressions += 1;
                if !has_license {
                    self.keys(im, EXPRESSION_KEYS, "a license expression", &p);
                }
                self.bom_ref(im, &p);
                self.enum_field(im, "acknowledgement", ACKNOWLEDGEMENTS, &p);
                if let Some(e) = self.str(im, "expression", &p) {
                    self.expression(e, &at(&child(&p, "expression")));
                }
            }
        }
        if (5..=6).contains(&self.minor())
            && (expressions > 1 || (expressions == 1 && licenses > 0))
        {
            self.sink.push(
                Code::LicenseChoice,
                format!(
                    "licenses must be either a list of licenses or exactly one expression in CycloneDX 1.{} (found {licenses} license(s) and {expressions} expression(s))",
                    self.minor()
                ),
                &at(&base),
            );
        }
    }

    fn expression(&mut self, e: &str, at: &At) {
        if let Some(reason) = license_error(e)
            && !reason.starts_with("not a canonical")
        {
            self.sink.push(
                Code::InvalidLicense,
                format!("license expression `{e}`: {reason}"),
                at,
            );
        }
    }

    fn license(&mut self, v: &Value, ptr: &str) {
        let Some(m) = self.object(v, ptr, "a license") else {
            return;
        };
        self.keys(m, LICENSE_KEYS, "a license", ptr);
        match (m.contains_key("id"), m.contains_key("name")) {
            (true, true) => self.sink.push(
                Code::LicenseChoice,
                "a license has both `id` and `name`".to_owned(),
                &at(ptr),
            ),
            (false, false) => self.sink.push(
                Code::MissingField,
                "a license has neither `id` nor `name`".to_owned(),
                &at(ptr),
            ),
            _ => {}
        }
        if let Some(id) = self.str(m, "id", ptr)
            && let Some(msg) = license_id_problem(id)
        {
            self.sink
                .push(Code::InvalidLicense, msg, &at(&child(ptr, "id")));
        }
        self.str(m, "name", ptr);
        self.bom_ref(m, ptr);
        self.enum_field(m, "acknowledgement", ACKNOWLEDGEMENTS, ptr);
        if let Some(t) = m.get("text") {
            self.attachment(t, &child(ptr, "text"));
        }
        self.properties(m, ptr);
    }

    fn properties(&mut self, m: &Map<String, Value>, ptr: &str) {
        for (i, p) in self.array(m, "properties", ptr).iter().enumerate() {
            let pp = format!("{ptr}/properties/{i}");
            let Some(pm) = self.object(p, &pp, "a property") else {
                continue;
            };
            self.keys(pm, PROPERTY_KEYS, "a property", &pp);
            if self.minor() >= 6 {
                self.required_str(pm, "name", &pp, "a property");
            } else {
                self.str(pm, "name", &pp);
            }
            self.str(pm, "value", &pp);
        }
    }

    fn ext_refs(&mut self, m: &Map<String, Value>, ptr: &str) {
        for (i, r) in self.array(m, "externalReferences", ptr).iter().enumerate() {
            let p = format!("{ptr}/externalReferences/{i}");
            let Some(rm) = self.object(r, &p, "an external reference") else {
                continue;
            };
            self.keys(rm, EXT_REF_KEYS, "an external reference", &p);
            self.required_str(rm, "url", &p, "an external reference");
            if let Some(t) = self.required_str(rm, "type", &p, "an external reference") {
                self.sink.check_enum(
                    EXT_REF_TYPES,
                    "external reference type",
                    t,
                    &at(&child(&p, "type")),
                );
            }
            self.hashes(rm, &p);
            self.properties(rm, &p);
        }
    }

    fn pedigree(&mut self, v: &Value, ptr: &str) {
        let Some(m) = self.object(v, ptr, "`pedigree`") else {
            return;
        };
        for key in ["ancestors", "descendants", "variants"] {
            for (i, c) in self.array(m, key, ptr).iter().enumerate() {
                self.component(c, &format!("{ptr}/{key}/{i}"));
            }
        }
        for (i, patch) in self.array(m, "patches", ptr).iter().enumerate() {
            let p = format!("{ptr}/patches/{i}");
            let Some(pm) = self.object(patch, &p, "a patch") else {
                continue;
            };
            if let Some(t) = self.required_str(pm, "type", &p, "a patch") {
                self.sink
                    .check_enum(PATCH_TYPES, "patch type", t, &at(&child(&p, "type")));
            }
            for (j, issue) in self.array(pm, "resolves", &p).iter().enumerate() {
                let ip = format!("{p}/resolves/{j}");
                let Some(im) = self.object(issue, &ip, "an issue") else {
                    continue;
                };
                if let Some(t) = self.required_str(im, "type", &ip, "an issue") {
                    self.sink
                        .check_enum(ISSUE_TYPES, "issue type", t, &at(&child(&ip, "type")));
                }
            }
        }
    }

    fn metadata(&mut self, v: &Value, ptr: &str) {
        let Some(m) = self.object(v, ptr, "`metadata`") else {
            return;
        };
        self.keys(m, METADATA_KEYS, "`metadata`", ptr);
        self.date(m, "timestamp", ptr);
        if let Some(c) = m.get("component") {
            self.component(c, &child(ptr, "component"));
        }
        self.licenses(m, ptr);
        self.properties(m, ptr);
        if let Some(tools) = m.get("tools") {
            let p = child(ptr, "tools");
            match tools {
                Value::Array(_) => {}
                Value::Object(tm) if self.minor() >= 5 => {
                    for (i, c) in self.array(tm, "components", &p).iter().enumerate() {
                        self.component(c, &format!("{p}/components/{i}"));
                    }
                    for (i, s) in self.array(tm, "services", &p).iter().enumerate() {
                        self.service(s, &format!("{p}/services/{i}"));
                    }
                }
                _ => self.sink.push(
                    Code::InvalidType,
                    "`tools` must be an array".to_owned(),
                    &at(&p),
                ),
            }
        }
        if let Some(d) = m.get("distributionConstraints") {
            let p = child(ptr, "distributionConstraints");
            if let Some(dm) = self.object(d, &p, "`distributionConstraints`") {
                self.enum_field(dm, "tlp", TLP, &p);
            }
        }
    }

    fn dependency(&mut self, v: &Value, ptr: &str) {
        let Some(m) = self.object(v, ptr, "a dependency") else {
            return;
        };
        self.keys(m, DEPENDENCY_KEYS, "a dependency", ptr);
        if let Some(r) = self.required_str(m, "ref", ptr, "a dependency")
            && r.is_empty()
        {
            self.sink.push(
                Code::MissingField,
                "a dependency's `ref` is empty".to_owned(),
                &at(&child(ptr, "ref")),
            );
        }
        for key in ["dependsOn", "provides"] {
            for (i, d) in self.array(m, key, ptr).iter().enumerate() {
                match d.as_str() {
                    Some("") if self.minor() >= 5 => {
                        self.sink.push(
                            Code::MissingField,
                            format!("`{key}` has an empty reference"),
                            &at(&format!("{ptr}/{key}/{i}")),
                        );
                    }
                    Some(_) => {}
                    None => self.sink.push(
                        Code::InvalidType,
                        format!("`{key}` items must be strings"),
                        &at(&format!("{ptr}/{key}/{i}")),
                    ),
                }
            }
        }
    }

    fn vulnerability(&mut self, v: &Value, ptr: &str) {
        let Some(m) = self.object(v, ptr, "a vulnerability") else {
            return;
        };
        self.bom_ref(m, ptr);
        for key in ["created", "published", "updated"] {
            self.date(m, key, ptr);
        }
        for (i, r) in self.array(m, "ratings", ptr).iter().enumerate() {
            let p = format!("{ptr}/ratings/{i}");
            let Some(rm) = self.object(r, &p, "a rating") else {
                continue;
            };
            self.enum_field(rm, "severity", SEVERITIES, &p);
            self.enum_field(rm, "method", RATING_METHODS, &p);
        }
        if let Some(a) = m.get("analysis") {
            let p = child(ptr, "analysis");
            if let Some(am) = self.object(a, &p, "`analysis`") {
                self.enum_field(am, "state", ANALYSIS_STATES, &p);
                self.enum_field(am, "justification", JUSTIFICATIONS, &p);
                for (i, r) in self.array(am, "response", &p).iter().enumerate() {
                    if let Some(s) = r.as_str() {
                        self.sink.check_enum(
                            RESPONSES,
                            "response",
                            s,
                            &at(&format!("{p}/response/{i}")),
                        );
                    }
                }
            }
        }
        for (i, a) in self.array(m, "affects", ptr).iter().enumerate() {
            let p = format!("{ptr}/affects/{i}");
            if let Some(am) = self.object(a, &p, "an affected target") {
                self.required_str(am, "ref", &p, "an affected target");
            }
        }
        self.properties(m, ptr);
    }

    fn citation(&mut self, v: &Value, ptr: &str) {
        let Some(m) = self.object(v, ptr, "a citation") else {
            return;
        };
        self.keys(m, CITATION_KEYS, "a citation", ptr);
        self.bom_ref(m, ptr);
        if !m.contains_key("timestamp") {
            self.sink.push(
                Code::MissingField,
                "a citation has no `timestamp`".to_owned(),
                &at(ptr),
            );
        }
        self.date(m, "timestamp", ptr);
        match (m.contains_key("pointers"), m.contains_key("expressions")) {
            (true, true) => self.sink.push(
                Code::InvalidValue,
                "a citation has both `pointers` and `expressions`".to_owned(),
                &at(ptr),
            ),
            (false, false) => self.sink.push(
                Code::MissingField,
                "a citation has neither `pointers` nor `expressions`".to_owned(),
                &at(ptr),
            ),
            _ => {}
        }
        if !m.contains_key("attributedTo") && !m.contains_key("process") {
            self.sink.push(
                Code::MissingField,
                "a citation has neither `attributedTo` nor `process`".to_owned(),
                &at(ptr),
            );
        }
    }

    /// Any object with a `bom-ref` below a value the walkers do not check in detail.
    fn collect_refs(&mut self, v: &Value, ptr: &str) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    if k == "bom-ref" {
                        if let Some(s) = x.as_str() {
                            self.sink.bom_ref(s, &at(&child(ptr, k)));
                        }
                    } else if (x.is_object() || x.is_array()) && k != "formulation" {
                        // Formulation repeats workspaces and tasks by value, bom-ref included.
                        self.collect_refs(x, &child(ptr, k));
                    }
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    if x.is_object() || x.is_array() {
                        self.collect_refs(x, &format!("{ptr}/{i}"));
                    }
                }
            }
            _ => {}
        }
    }

    fn top(&mut self, key: &str, v: &Value) {
        let ptr = child("", key);
        match key {
            "bomFormat" => {
                if v.as_str() != Some("CycloneDX") {
                    self.sink.push(
                        Code::InvalidValue,
                        format!("`bomFormat` is {v}, expected \"CycloneDX\""),
                        &at(&ptr),
                    );
                }
            }
            "specVersion" => {
                if !v.is_string() {
                    self.sink.push(
                        Code::InvalidType,
                        "`specVersion` must be a string".to_owned(),
                        &at(&ptr),
                    );
                }
            }
            "serialNumber" => match v.as_str() {
                Some(s) if is_uuid_urn(s) => {}
                _ => self.sink.push(
                    Code::InvalidSerial,
                    format!("`serialNumber` {v} is not `urn:uuid:<uuid>`"),
                    &at(&ptr),
                ),
            },
            "version" => {
                if v.as_u64().is_none_or(|n| n < 1) {
                    self.sink.push(
                        Code::InvalidValue,
                        format!("`version` {v} is not an integer ≥ 1"),
                        &at(&ptr),
                    );
                }
            }
            "metadata" => self.metadata(v, &ptr),
            "formulation" => {}
            "externalReferences" => {
                if let Some(items) = v.as_array() {
                    let wrapper: Map<String, Value> =
                        [(key.to_owned(), Value::Array(items.clone()))]
                            .into_iter()
                            .collect();
                    self.ext_refs(&wrapper, "");
                }
            }
            "properties" => {
                if let Some(items) = v.as_array() {
                    let wrapper: Map<String, Value> =
                        [(key.to_owned(), Value::Array(items.clone()))]
                            .into_iter()
                            .collect();
                    self.properties(&wrapper, "");
                }
            }
            _ => self.collect_refs(v, &ptr),
        }
    }
}

/// The value under `"specVersion"` at the top of a JSON document, found without parsing
/// everything (members may come in any order).
fn json_spec_version(text: &str) -> Option<String> {
    struct Find<'a>(&'a mut Option<String>);
    impl<'de> Visitor<'de> for Find<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                if key == "specVersion" {
                    *self.0 = map.next_value::<Value>()?.as_str().map(str::to_owned);
                    // Stop here: the rest of the document is not needed.
                    return Err(serde::de::Error::custom("found"));
                }
                map.next_value::<IgnoredAny>()?;
            }
            Ok(())
        }
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let mut found = None;
    let _ = serde::Deserializer::deserialize_map(&mut de, Find(&mut found));
    found
}

/// Streams a top-level array, checking one element at a time.
struct Elements<'a, 's> {
    json: &'a mut Json<'s>,
    key: &'static str,
}

impl<'de> DeserializeSeed<'de> for Elements<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Elements<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an array")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0usize;
        while let Some(v) = seq.next_element::<Value>()? {
            let ptr = format!("/{}/{i}", self.key);
            match self.key {
                "components" => self.json.component(&v, &ptr),
                "services" => self.json.service(&v, &ptr),
                "dependencies" => self.json.dependency(&v, &ptr),
                "vulnerabilities" => self.json.vulnerability(&v, &ptr),
                "citations" => self.json.citation(&v, &ptr),
                _ => {}
            }
            i += 1;
        }
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        self.not_array();
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        self.not_array();
        Ok(())
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        self.not_array();
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        self.not_array();
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        self.not_array();
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        self.not_array();
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        self.not_array();
        Ok(())
    }
}

impl Elements<'_, '_> {
    fn not_array(self) {
        self.json.sink.push(
            Code::InvalidType,
            format!("`{}` must be an array", self.key),
            &at(&format!("/{}", self.key)),
        );
    }
}

struct Root<'a, 's> {
    json: &'a mut Json<'s>,
    seen: Vec<String>,
}

impl<'de> Visitor<'de> for &mut Root<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a CycloneDX object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if self.json.minor() >= 4 && !allowed(ROOT_KEYS, self.json.minor(), &key) {
                let msg = format!(
                    "a CycloneDX 1.{} BOM has no field `{key}`",
                    self.json.minor()
                );
                self.json
                    .sink
                    .push(Code::UnknownField, msg, &at(&child("", &key)));
            }
            let streamed = match key.as_str() {
                "components" => Some("components"),
                "services" => Some("services"),
                "dependencies" => Some("dependencies"),
                "vulnerabilities" => Some("vulnerabilities"),
                "citations" => Some("citations"),
                _ => None,
            };
            if let Some(k) = streamed {
                map.next_value_seed(Elements {
                    json: self.json,
                    key: k,
                })?;
            } else {
                let v: Value = map.next_value()?;
                self.json.top(&key, &v);
            }
            self.seen.push(key);
        }
        Ok(())
    }
}

/// Strict checks of a CycloneDX JSON document that has already been read.
pub(crate) fn check_json(text: &str) -> Vec<Diagnostic> {
    let spec = json_spec_version(text);
    let minor = spec.as_deref().and_then(minor_of).unwrap_or(7);
    let mut sink = Sink::new(minor);
    let mut json = Json { sink: &mut sink };
    let mut root = Root {
        json: &mut json,
        seen: Vec::new(),
    };
    let mut de = serde_json::Deserializer::from_str(text);
    let _ = serde::Deserializer::deserialize_map(&mut de, &mut root);
    let seen = std::mem::take(&mut root.seen);
    let mut required = vec!["bomFormat", "specVersion"];
    if (2..=4).contains(&minor) {
        required.push("version");
    }
    for key in required {
        if !seen.iter().any(|k| k == key) {
            sink.push(
                Code::MissingField,
                format!("the BOM has no `{key}`"),
                &at(""),
            );
        }
    }
    finish(sink, text, true)
}

fn finish(sink: Sink, text: &str, json: bool) -> Vec<Diagnostic> {
    if sink.found.is_empty() {
        return Vec::new();
    }
    let index = crate::input::LineIndex::new(text);
    let locations: HashMap<String, usize> = if json {
        let wanted: std::collections::HashSet<&str> = sink
            .found
            .iter()
            .filter_map(|(_, _, a)| match a {
                At::Pointer(p) => Some(p.as_str()),
                At::Offset(_) => None,
            })
            .collect();
        crate::jsonpos::locate(text, &wanted)
    } else {
        HashMap::new()
    };
    sink.found
        .into_iter()
        .map(|(code, message, a)| {
            let location = match a {
                At::Pointer(p) => {
                    let (line, column) = locations.get(&p).map(|&o| index.line_col(o)).unzip();
                    Location {
                        pointer: Some(p),
                        line,
                        column,
                    }
                }
                At::Offset(o) => {
                    let (l, c) = index.line_col(o);
                    Location::line(l, c)
                }
            };
            Diagnostic::error(code, message, location)
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// XML

struct Xml<'s> {
    sink: &'s mut Sink,
}

fn off(n: &Node) -> At {
    At::Offset(n.pos)
}

impl Xml<'_> {
    fn minor(&self) -> u8 {
        self.sink.minor
    }

    fn required_child(&mut self, n: &Node, name: &str) {
        if n.child(name).is_none() {
            self.sink.push(
                Code::MissingField,
                format!("`<{}>` has no `<{name}>`", n.name),
                &off(n),
            );
        }
    }

    fn bom_ref(&mut self, n: &Node) {
        if let Some(r) = n.attr("bom-ref") {
            self.sink.bom_ref(r, &off(n));
        }
    }

    fn component(&mut self, n: &Node) {
        match n.attr("type") {
            None => self.sink.push(
                Code::MissingField,
                "`<component>` has no `type` attribute".to_owned(),
                &off(n),
            ),
            Some(t) => self
                .sink
                .check_enum(COMPONENT_TYPES, "component type", t, &off(n)),
        }
        self.required_child(n, "name");
        if self.minor() <= 3 {
            self.required_child(n, "version");
        }
        self.bom_ref(n);
        if let Some(s) = n.child("scope") {
            self.sink
                .check_enum(SCOPES, "scope", s.text.trim(), &off(s));
        }
        self.hashes(n);
        if let Some(l) = n.child("licenses") {
            self.licenses(l);
        }
        if let Some(p) = n.child_text("purl")
            && let Err(e) = chainwatch_purl::Purl::parse(&p)
        {
            let at = n.child("purl").map_or_else(|| off(n), off);
            self.sink
                .push(Code::InvalidPurl, format!("purl `{p}`: {e}"), &at);
        }
        if let Some(s) = n.child("swid") {
            for attr in ["tagId", "name"] {
                if s.attr(attr).is_none() {
                    self.sink.push(
                        Code::MissingField,
                        format!("`<swid>` has no `{attr}` attribute"),
                        &off(s),
                    );
                }
            }
        }
        self.properties(n);
        self.ext_refs(n);
        if let Some(p) = n.child("pedigree") {
            for key in ["ancestors", "descendants", "variants"] {
                if let Some(list) = p.child(key) {
                    for c in list.children_named("component") {
                        self.component(c);
                    }
                }
            }
            if let Some(patches) = p.child("patches") {
                for patch in patches.children_named("patch") {
                    self.typed(patch, PATCH_TYPES, "patch type");
                    if let Some(r) = patch.child("resolves") {
                        for issue in r.children_named("issue") {
                            self.typed(issue, ISSUE_TYPES, "issue type");
                        }
                    }
                }
            }
        }
        if let Some(l) = n.child("evidence").and_then(|e| e.child("licenses")) {
            self.licenses(l);
        }
        if self.minor() >= 7 && n.child("versionRange").is_some() {
            let external = n
                .attr("isExternal")
                .or_else(|| n.child("isExternal").map(|x| x.text.trim()));
            if n.child("version").is_some() {
                self.sink.push(
                    Code::InvalidValue,
                    "a component has both `<version>` and `<versionRange>`".to_owned(),
                    &off(n),
                );
            }
            if !matches!(external, Some("true" | "1")) {
                self.sink.push(
                    Code::InvalidValue,
                    "`<versionRange>` is only allowed on external components (`isExternal=\"true\"`)".to_owned(),
                    &off(n),
                );
            }
        }
        if let Some(list) = n.child("components") {
            for c in list.children_named("component") {
                self.component(c);
            }
        }
    }

    fn typed(&mut self, n: &Node, table: Table, what: &str) {
        match n.attr("type") {
            None => self.sink.push(
                Code::MissingField,
                format!("`<{}>` has no `type` attribute", n.name),
                &off(n),
            ),
            Some(t) => self.sink.check_enum(table, what, t, &off(n)),
        }
    }

    fn service(&mut self, n: &Node) {
        self.required_child(n, "name");
        self.bom_ref(n);
        if let Some(l) = n.child("licenses") {
            self.licenses(l);
        }
        self.properties(n);
        self.ext_refs(n);
        if let Some(data) = n.child("data") {
            let flows = data
                .children_named("classification")
                .chain(data.children_named("dataflow"))
                .collect::<Vec<_>>();
            for c in flows {
                match c.attr("flow") {
                    Some(f) => self.sink.check_enum(DATA_FLOWS, "data flow", f, &off(c)),
                    None if c.name == "classification" => {
                        self.sink.push(
                            Code::MissingField,
                            "`<classification>` has no `flow` attribute".to_owned(),
                            &off(c),
                        );
                    }
                    None => {}
                }
                for inner in c.children_named("classification") {
                    if let Some(f) = inner.attr("flow") {
                        self.sink
                            .check_enum(DATA_FLOWS, "data flow", f, &off(inner));
                    }
                }
            }
        }
        if let Some(list) = n.child("services") {
            for s in list.children_named("service") {
                self.service(s);
            }
        }
    }

    fn hashes(&mut self, n: &Node) {
        let Some(hashes) = n.child("hashes") else {
            return;
        };
        for h in hashes.children_named("hash") {
            match h.attr("alg") {
                None => self.sink.push(
                    Code::MissingField,
                    "`<hash>` has no `alg` attribute".to_owned(),
                    &off(h),
                ),
                Some(alg) => {
                    self.sink
                        .check_enum(HASH_ALGS, "hash algorithm", alg, &off(h));
                    if let Some(msg) = hash_problem(alg, h.text.trim()) {
                        self.sink.push(Code::InvalidHash, msg, &off(h));
                    }
                }
            }
        }
    }

    fn licenses(&mut self, list: &Node) {
        let licenses: Vec<&Node> = list.children_named("license").collect();
        let expressions: Vec<&Node> = list.children_named("expression").collect();
        if self.minor() <= 6
            && (expressions.len() > 1 || (!expressions.is_empty() && !licenses.is_empty()))
        {
            self.sink.push(
                Code::LicenseChoice,
                format!(
                    "`<licenses>` must hold either `<license>` elements or one `<expression>` in CycloneDX 1.{} (found {} and {})",
                    self.minor(),
                    licenses.len(),
                    expressions.len()
                ),
                &off(list),
            );
        }
        for e in &expressions {
            self.bom_ref(e);
            if let Some(a) = e.attr("acknowledgement") {
                self.sink
                    .check_enum(ACKNOWLEDGEMENTS, "acknowledgement", a, &off(e));
            }
            if let Some(reason) = license_error(e.text.trim())
                && !reason.starts_with("not a canonical")
            {
                self.sink.push(
                    Code::InvalidLicense,
                    format!("license expression `{}`: {reason}", e.text.trim()),
                    &off(e),
                );
            }
        }
        for l in licenses {
            let ids = l.children_named("id").count();
            let names = l.children_named("name").count();
            if ids + names != 1 {
                let msg = match (ids, names) {
                    (0, 0) => "`<license>` has neither `<id>` nor `<name>`".to_owned(),
                    _ => format!(
                        "`<license>` must have exactly one `<id>` or one `<name>` (found {ids} and {names})"
                    ),
                };
                let code = if ids + names == 0 {
                    Code::MissingField
                } else {
                    Code::LicenseChoice
                };
                self.sink.push(code, msg, &off(l));
            }
            for id in l.children_named("id") {
                if let Some(msg) = license_id_problem(id.text.trim()) {
                    self.sink.push(Code::InvalidLicense, msg, &off(id));
                }
            }
            self.bom_ref(l);
            if let Some(a) = l.attr("acknowledgement") {
                self.sink
                    .check_enum(ACKNOWLEDGEMENTS, "acknowledgement", a, &off(l));
            }
            if let Some(t) = l.child("text")
                && let Some(e) = t.attr("encoding")
                && e != "base64"
            {
                self.sink.push(
                    Code::InvalidValue,
                    format!("encoding `{e}` is not `base64`"),
                    &off(t),
                );
            }
            self.properties(l);
        }
    }

    fn properties(&mut self, n: &Node) {
        let Some(props) = n.child("properties") else {
            return;
        };
        for p in props.children_named("property") {
            if p.attr("name").is_none() {
                self.sink.push(
                    Code::MissingField,
                    "`<property>` has no `name` attribute".to_owned(),
                    &off(p),
                );
            }
        }
    }

    fn ext_refs(&mut self, n: &Node) {
        let Some(refs) = n.child("externalReferences") else {
            return;
        };
        for r in refs.children_named("reference") {
            self.typed(r, EXT_REF_TYPES, "external reference type");
            self.required_child(r, "url");
        }
    }

    fn metadata(&mut self, m: &Node) {
        for c in &m.children {
            if !c.prefixed && !allowed(METADATA_KEYS, self.minor(), &c.name) {
                let msg = format!(
                    "`<metadata>` has no element `<{}>` in CycloneDX 1.{}",
                    c.name,
                    self.minor()
                );
                self.sink.push(Code::UnknownField, msg, &off(c));
            }
        }
        if let Some(t) = m.child("timestamp")
            && !is_date_time(t.text.trim())
        {
            self.sink.push(
                Code::InvalidDate,
                format!("timestamp `{}` is not an RFC 3339 date-time", t.text.trim()),
                &off(t),
            );
        }
        if let Some(c) = m.child("component") {
            self.component(c);
        }
        if let Some(l) = m.child("licenses") {
            self.licenses(l);
        }
        self.properties(m);
        if let Some(tlp) = m
            .child("distributionConstraints")
            .and_then(|d| d.child("tlp"))
        {
            self.sink.check_enum(TLP, "TLP", tlp.text.trim(), &off(tlp));
        }
    }

    fn dependency(&mut self, d: &Node) {
        match d.attr("ref") {
            None => self.sink.push(
                Code::MissingField,
                "`<dependency>` has no `ref` attribute".to_owned(),
                &off(d),
            ),
            Some("") => self.sink.push(
                Code::MissingField,
                "`<dependency>` has an empty `ref`".to_owned(),
                &off(d),
            ),
            Some(_) => {}
        }
        for c in d
            .children_named("dependency")
            .chain(d.children_named("provides"))
        {
            self.dependency(c);
        }
    }

    fn vulnerability(&mut self, v: &Node) {
        self.bom_ref(v);
        if let Some(ratings) = v.child("ratings") {
            for r in ratings.children_named("rating") {
                if let Some(s) = r.child("severity") {
                    self.sink
                        .check_enum(SEVERITIES, "severity", s.text.trim(), &off(s));
                }
                if let Some(m) = r.child("method") {
                    self.sink
                        .check_enum(RATING_METHODS, "rating method", m.text.trim(), &off(m));
                }
            }
        }
        if let Some(a) = v.child("analysis") {
            if let Some(s) = a.child("state") {
                self.sink
                    .check_enum(ANALYSIS_STATES, "analysis state", s.text.trim(), &off(s));
            }
            if let Some(j) = a.child("justification") {
                self.sink
                    .check_enum(JUSTIFICATIONS, "justification", j.text.trim(), &off(j));
            }
            if let Some(rs) = a.child("responses") {
                for r in rs.children_named("response") {
                    self.sink
                        .check_enum(RESPONSES, "response", r.text.trim(), &off(r));
                }
            }
        }
    }

    fn citation(&mut self, c: &Node) {
        self.bom_ref(c);
        self.required_child(c, "timestamp");
        let pointers = c.child("pointers").is_some();
        let expressions = c.child("expressions").is_some();
        if pointers == expressions {
            let msg = if pointers {
                "a citation has both `<pointers>` and `<expressions>`"
            } else {
                "a citation has neither `<pointers>` nor `<expressions>`"
            };
            self.sink.push(
                if pointers {
                    Code::InvalidValue
                } else {
                    Code::MissingField
                },
                msg.to_owned(),
                &off(c),
            );
        }
        if c.child("attributedTo").is_none() && c.child("process").is_none() {
            self.sink.push(
                Code::MissingField,
                "a citation has neither `<attributedTo>` nor `<process>`".to_owned(),
                &off(c),
            );
        }
    }

    fn collect_refs(&mut self, n: &Node) {
        if let Some(r) = n.attr("bom-ref") {
            self.sink.bom_ref(r, &off(n));
        }
        for c in &n.children {
            self.collect_refs(c);
        }
    }

    fn root(&mut self, n: &Node, namespace: Option<&str>) {
        let ok = namespace
            .and_then(|ns| ns.strip_prefix("http://cyclonedx.org/schema/bom/"))
            .and_then(minor_of)
            .is_some();
        if !ok {
            let msg = match namespace {
                Some(ns) => {
                    format!("namespace `{ns}` is not `http://cyclonedx.org/schema/bom/1.x`")
                }
                None => "`<bom>` has no CycloneDX namespace".to_owned(),
            };
            self.sink.push(Code::InvalidNamespace, msg, &off(n));
        }
        if let Some(s) = n.attr("serialNumber")
            && !is_uuid_urn(s)
        {
            self.sink.push(
                Code::InvalidSerial,
                format!("serialNumber `{s}` is not `urn:uuid:<uuid>`"),
                &off(n),
            );
        }
        if let Some(v) = n.attr("version")
            && !v.parse::<u64>().is_ok_and(|x| x >= 1)
        {
            self.sink.push(
                Code::InvalidValue,
                format!("version `{v}` is not an integer ≥ 1"),
                &off(n),
            );
        }
    }
}

/// Reads a CycloneDX XML document with strict checks (one streaming pass).
pub(crate) fn check_xml(
    text: &str,
) -> Result<(crate::model::Sbom, Vec<Diagnostic>), crate::xmltree::XmlError> {
    // The namespace decides the version; read it from the root before anything else.
    let mut minor = 7;
    let mut namespace: Option<String> = None;
    let mut first = true;
    let mut sink = Sink::new(7);
    let mut visit = |n: &Node| {
        if first {
            first = false;
            namespace = super::xml::namespace(n).map(str::to_owned);
            minor = namespace
                .as_deref()
                .and_then(|ns| ns.strip_prefix("http://cyclonedx.org/schema/bom/"))
                .and_then(minor_of)
                .unwrap_or(7);
            sink.minor = minor;
            Xml { sink: &mut sink }.root(n, namespace.as_deref());
            return;
        }
        let mut x = Xml { sink: &mut sink };
        match n.name.as_ref() {
            "component" => x.component(n),
            "service" => x.service(n),
            "dependency" => x.dependency(n),
            "metadata" => x.metadata(n),
            "vulnerabilities" => {
                for v in n.children_named("vulnerability") {
                    x.vulnerability(v);
                }
            }
            "citations" => {
                for c in n.children_named("citation") {
                    x.citation(c);
                }
            }
            "components" | "services" => {}
            _ => x.collect_refs(n),
        }
    };
    let (sbom, _) = super::xml::read(text, &mut visit)?;
    Ok((sbom, finish(sink, text, false)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_and_hashes() {
        assert!(allowed(COMPONENT_TYPES, 6, "cryptographic-asset"));
        assert!(!allowed(COMPONENT_TYPES, 5, "cryptographic-asset"));
        assert!(hash_problem("SHA-1", "da39a3ee5e6b4b0d3255bfef95601890afd80709").is_none());
        assert!(hash_problem("SHA-1", "d41d8cd98f00b204e9800998ecf8427e").is_some());
        assert!(hash_problem("BLAKE3", "d41d8cd98f00b204e9800998ecf8427e").is_none());
        assert!(hash_problem("MD5", "xyz").is_some());
        assert_eq!(minor_of("1.6"), Some(6));
        assert_eq!(minor_of("2.0"), None);
    }

    #[test]
    fn json_pointer_and_line() {
        let text = "{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.6\",\n\"components\":[{\"type\":\"lib\",\"name\":\"a\"}]}";
        let d = check_json(text);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].code, Code::InvalidValue);
        assert_eq!(d[0].location.pointer.as_deref(), Some("/components/0/type"));
        assert_eq!(
            (d[0].location.line, d[0].location.column),
            (Some(2), Some(23))
        );
    }
}
