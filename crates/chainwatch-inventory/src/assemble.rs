//! The inventory as one SBOM: the project as subject, one component per distinct package
//! URL (the files it was found in as `chainwatch:location` properties), dependency edges
//! from every file, and the project's direct dependencies hanging from the subject.

use std::collections::{HashMap, HashSet};

use chainwatch_license::How;
use chainwatch_purl::Purl;
use chainwatch_sbom::{
    Component, ComponentKind, Format, License, Property, Relationship, RelationshipKind, Sbom,
    Scope,
};

use crate::{FileInventory, Inventory};

/// What the generated document says about itself.
#[derive(Debug, Clone, Default)]
pub struct SbomOptions {
    /// Creation time (RFC 3339); none when the caller wants reproducible output.
    pub created: Option<String>,
    /// The serial number (`urn:uuid:…`).
    pub serial: Option<String>,
    /// The generating tool, as `name version`.
    pub tool: Option<String>,
}

/// How much a scope matters when the same package appears with several.
fn rank(s: Scope) -> u8 {
    match s {
        Scope::Runtime => 5,
        Scope::Optional => 4,
        Scope::Build => 3,
        Scope::Test => 2,
        Scope::Dev => 1,
        Scope::Excluded => 0,
    }
}

fn is_os_file(f: &FileInventory) -> bool {
    matches!(
        f.extractor,
        "dpkg-status" | "apk-installed" | "rpmdb-sqlite"
    )
}

pub(crate) fn to_sbom(inv: &Inventory, options: &SbomOptions) -> Sbom {
    let mut sbom = Sbom::new(Format::CycloneDxJson, "1.6");
    sbom.created.clone_from(&options.created);
    sbom.serial.clone_from(&options.serial);
    sbom.bom_version = Some(1);
    sbom.name = Some(inv.project.name.clone());
    sbom.tools.extend(options.tool.clone());

    let project = &inv.project;
    // A root filesystem (an operating system and no project of its own) is about the
    // operating system: its os-release names the subject.
    let rootfs = inv.distro.is_some() && project.manifest.is_none() && project.purl.is_none();
    let os_component = |d: &crate::Distro| {
        let id = format!("os:{}", d.qualifier());
        let mut c = Component::new(id.clone(), ComponentKind::OperatingSystem, &d.id);
        c.version.clone_from(&d.version_id);
        c.description.clone_from(&d.pretty_name);
        (id, c)
    };
    let subject_id = match (&inv.distro, rootfs) {
        (Some(d), true) => {
            let (id, c) = os_component(d);
            sbom.components.push(c);
            id
        }
        _ => {
            let id = project.purl.as_ref().map_or_else(
                || format!("project:{}", project.name),
                |p| p.canonical().to_owned(),
            );
            let mut subject = Component::new(id.clone(), ComponentKind::Application, &project.name);
            subject.version.clone_from(&project.version);
            subject.purl = project.purl.as_ref().map(|p| p.canonical().to_owned());
            subject
                .licenses
                .extend(project.license.as_deref().map(declared));
            if let Some(m) = project.manifest {
                subject.properties.push(Property {
                    name: "chainwatch:manifest".to_owned(),
                    value: m.to_owned(),
                });
            }
            sbom.components.push(subject);
            id
        }
    };
    sbom.subject = Some(subject_id.clone());

    let os_id = match &inv.distro {
        Some(_) if rootfs => Some(subject_id.clone()),
        Some(d) => {
            let (id, c) = os_component(d);
            sbom.components.push(c);
            sbom.relationships.push(Relationship {
                from: subject_id.clone(),
                to: id.clone(),
                kind: RelationshipKind::DependsOn,
            });
            Some(id)
        }
        None => None,
    };

    // The subject's own package, matched by type and name (lockfiles list the root
    // project, sometimes with a version its manifest leaves to the workspace).
    let is_subject = |p: &Purl| {
        project.purl.as_ref().is_some_and(|s| {
            s.ty() == p.ty()
                && s.namespace() == p.namespace()
                && s.name() == p.name()
                && (s.version().is_none() || s.version() == p.version())
        })
    };

    // Component indices: 0 is the subject, then the operating system (unless it is the
    // subject), then packages.
    let subject_index = 0;
    let os_index = os_id.as_ref().map(|_| usize::from(!rootfs));
    let mut by_purl: HashMap<&str, usize> = HashMap::new();
    let mut edges: Vec<(usize, usize)> = Vec::new();
    let mut ids: Vec<usize> = Vec::new();
    for file in &inv.files {
        ids.clear();
        for p in &file.packages {
            if p.member && is_subject(&p.purl) {
                ids.push(subject_index);
                continue;
            }
            let key = p.purl.canonical();
            let path = p.file.as_deref().unwrap_or(&file.path);
            let location = match p.line {
                Some(l) => format!("{path}:{l}"),
                None => path.to_owned(),
            };
            if let Some(&i) = by_purl.get(key) {
                let c = &mut sbom.components[i];
                if c.scope.is_some_and(|s| rank(s) < rank(p.scope)) {
                    c.scope = Some(p.scope);
                }
                for h in &p.hashes {
                    if !c.hashes.contains(h) {
                        c.hashes.push(h.clone());
                    }
                }
                // A lockfile seldom states licences; an installed or vendored copy of
                // the same package read later does.
                if c.licenses.is_empty()
                    && let Some(l) = &p.license
                {
                    c.licenses.push(declared(l));
                }
                if !c.properties.iter().any(|x| x.value == location) {
                    c.properties.push(Property {
                        name: "chainwatch:location".to_owned(),
                        value: location,
                    });
                }
                ids.push(i);
                continue;
            }
            let mut c = Component::new(
                key,
                match &p.kind {
                    Some(kind) => kind.clone(),
                    None if p.member => ComponentKind::Application,
                    None => ComponentKind::Library,
                },
                p.purl.name(),
            );
            c.group = p.purl.namespace().map(str::to_owned);
            c.version = p.purl.version().map(str::to_owned);
            c.purl = Some(key.to_owned());
            c.hashes.clone_from(&p.hashes);
            c.scope = Some(p.scope);
            c.model_card.clone_from(&p.model_card);
            if let Some(l) = &p.license {
                c.licenses.push(declared(l));
            }
            c.properties.push(Property {
                name: "chainwatch:location".to_owned(),
                value: location,
            });
            if let Some(s) = &p.source {
                c.properties.push(Property {
                    name: "chainwatch:source".to_owned(),
                    value: s.clone(),
                });
            }
            for (name, value) in &p.properties {
                c.properties.push(Property {
                    name: name.clone(),
                    value: value.clone(),
                });
            }
            by_purl.insert(key, sbom.components.len());
            ids.push(sbom.components.len());
            sbom.components.push(c);
        }
        let owner = match (os_index, is_os_file(file)) {
            (Some(os), true) => os,
            _ => subject_index,
        };
        let mut has_incoming = vec![false; file.packages.len()];
        let mut member_targets = HashSet::new();
        for &(a, b) in &file.edges {
            has_incoming[b] = true;
            if file.packages[a].member {
                member_targets.insert(b);
            }
            edges.push((ids[a], ids[b]));
        }
        for (i, p) in file.packages.iter().enumerate() {
            let attach = if p.member {
                ids[i] != subject_index && !has_incoming[i]
            } else if file.knows_direct {
                p.direct && !member_targets.contains(&i)
            } else {
                !has_incoming[i]
            };
            if attach {
                edges.push((owner, ids[i]));
            }
        }
    }
    // Each edge once, in the order first seen.
    let mut seen = HashSet::with_capacity(edges.len());
    for (from, to) in edges {
        if from != to && seen.insert((from, to)) {
            sbom.relationships.push(Relationship {
                from: sbom.components[from].id.clone(),
                to: sbom.components[to].id.clone(),
                kind: RelationshipKind::DependsOn,
            });
        }
    }
    sbom
}

/// A declared licence as the SBOM states it: an SPDX expression when it is one or names
/// one (`Apache License 2.0`, Debian's `GPL-3+ AND (GPL-2+ or Artistic)`, an unknown term
/// kept as a `LicenseRef-`); a name that is no licence as stated.
fn declared(stated: &str) -> License {
    let n = chainwatch_license::normalize(stated);
    let whole_ref = n.expression.starts_with("LicenseRef-") && !n.expression.contains(' ');
    match n.how {
        How::Unknown if !whole_ref => License::Expression(n.expression),
        How::Spdx | How::Corrected | How::Named => License::Expression(n.expression),
        How::Unknown | How::NoAssertion => License::Name(stated.to_owned()),
    }
}
