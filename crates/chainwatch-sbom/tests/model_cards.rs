//! Model cards survive every format chainwatch writes: the CycloneDX specification's own
//! machine-learning examples (1.5–1.7, JSON and XML) are read into the model and written
//! back as CycloneDX JSON, CycloneDX XML, SPDX 2.3 JSON and tag-value (in the package
//! comment) and SPDX 3.0.1 (the AI profile, with what it has no field for reported as
//! lost).

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

use chainwatch_sbom::{
    Code, Format, ModelCard, ModelDataset, ReadOptions, Sbom, ValidateOptions, read, validate,
    write,
};

fn card_of(sbom: &Sbom) -> &ModelCard {
    sbom.components
        .iter()
        .find_map(|c| c.model_card.as_deref())
        .expect("a component with a model card")
}

/// A document of the shared corpus, read; `None` without the corpus.
fn corpus_sbom(rel: &str) -> Option<Sbom> {
    let bytes = std::fs::read(chainwatch_testkit::corpus()?.join(rel)).unwrap();
    Some(read(&bytes, &ReadOptions::default()).unwrap().sbom)
}

fn reread(text: &str) -> Sbom {
    read(text.as_bytes(), &ReadOptions::default()).unwrap().sbom
}

#[test]
fn the_specification_examples_are_read_whole() {
    let Some(corpus) = chainwatch_testkit::corpus() else {
        return;
    };
    let dir = corpus.join("cyclonedx-spec/test-resources");
    let mut checked = 0;
    for version in ["1.5", "1.6", "1.7"] {
        for ext in ["json", "xml"] {
            let path = dir.join(format!("{version}/valid-machine-learning-{version}.{ext}"));
            let bytes = std::fs::read(&path).unwrap();
            let sbom = read(&bytes, &ReadOptions::default()).unwrap().sbom;
            let card = card_of(&sbom);
            assert_eq!(card.approach.as_deref(), Some("supervised"), "{path:?}");
            assert_eq!(card.task.as_deref(), Some("task goes here"));
            assert_eq!(
                card.architecture_family.as_deref(),
                Some("the architecture family goes here")
            );
            assert!(matches!(
                &card.datasets[0],
                ModelDataset::Inline(d) if d.url.as_deref() == Some("https://example.com/path/to/dataset")
            ));
            assert_eq!(card.inputs, ["string"]);
            // (The 1.5 XML example says `string` where the others say `byte[]`.)
            assert_eq!(card.outputs.len(), 1);
            assert_eq!(card.metrics.len(), 1);
            assert!(card.metrics[0].upper_bound.is_some());
            assert_eq!(card.users.len(), 2);
            assert_eq!(card.ethical.len(), 1);
            assert_eq!(card.fairness.len(), 1);
            assert_eq!(card.properties.len(), 2);
            // The graphics are counted as not kept, not silently dropped.
            assert_eq!(
                sbom.not_kept.get("component modelCard graphics"),
                Some(&1),
                "{path:?}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 6);
}

#[test]
fn cards_survive_every_writer() {
    let Some(sbom) =
        corpus_sbom("cyclonedx-spec/test-resources/1.6/valid-machine-learning-1.6.json")
    else {
        return;
    };
    let card = card_of(&sbom).clone();
    for format in [
        Format::CycloneDxJson,
        Format::CycloneDxXml,
        Format::SpdxJson,
        Format::SpdxTagValue,
        Format::Spdx3JsonLd,
    ] {
        let text = write(&sbom, format).unwrap();
        let again = reread(&text);
        assert_eq!(card_of(&again), &card, "{format}");
        // What is written is valid where the format has a schema chainwatch checks.
        let v = validate(
            text.as_bytes(),
            &ValidateOptions {
                strict: true,
                ..Default::default()
            },
        )
        .unwrap();
        let errors: Vec<_> = v
            .diagnostics
            .iter()
            .filter(|d| d.severity == chainwatch_sbom::Severity::Error)
            .filter(|d| d.code != Code::MissingField)
            .collect();
        assert!(errors.is_empty(), "{format}: {errors:#?}");
        // Nothing of the card is reported lost.
        let losses = chainwatch_sbom::conversion_losses(&sbom, format, &text);
        assert!(
            !losses.iter().any(|d| d.message.contains("model_card")),
            "{format}: {losses:#?}"
        );
    }
    // Other tools read SPDX 3's AI profile, not chainwatch's notes: without the notes, what
    // the profile has fields for is still there.
    let text = write(&sbom, Format::Spdx3JsonLd).unwrap();
    let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    for e in doc["@graph"].as_array_mut().unwrap() {
        e.as_object_mut().unwrap().remove("comment");
    }
    let again = reread(&doc.to_string());
    let kept = card_of(&again);
    assert_eq!(kept.approach, card.approach);
    assert_eq!(kept.task, card.task);
    assert_eq!(kept.architecture_family, card.architecture_family);
    assert_eq!(kept.model_architecture, card.model_architecture);
    assert_eq!(kept.limitations, card.limitations);
    assert_eq!(kept.use_cases, card.use_cases);
    assert_eq!(kept.metrics.len(), card.metrics.len());
    assert_eq!(kept.metrics[0].slice, card.metrics[0].slice);
    assert_eq!(kept.metrics[0].value, card.metrics[0].value);
}

/// The SPDX AI example (an `ai_AIPackage` with domain, type, metrics, hyperparameters):
/// its card survives CycloneDX and SPDX 2, and SPDX 3 itself.
#[test]
fn spdx3_ai_packages_survive_every_writer() {
    let Some(sbom) = corpus_sbom("spdx/spdx-examples/ai/example02/spdx3.0/sbom.spdx3.json") else {
        return;
    };
    let card = card_of(&sbom).clone();
    assert_eq!(card.approach.as_deref(), Some("supervised"));
    assert_eq!(card.model_architecture.as_deref(), Some("classification"));
    assert_eq!(card.metrics.len(), 3);
    assert!(
        card.properties
            .iter()
            .any(|p| p.name == "hyperparameter:epoch" && p.value == "100")
    );
    for format in chainwatch_sbom::WRITABLE {
        let text = write(&sbom, *format).unwrap();
        assert_eq!(card_of(&reread(&text)), &card, "{format}");
    }
}

/// SPDX 3 identifiers are IRIs in the document's namespace, and stay the same when an SPDX 3
/// document chainwatch wrote is written again.
#[test]
fn spdx3_identifiers_are_stable() {
    let Some(sbom) =
        corpus_sbom("cyclonedx-spec/test-resources/1.6/valid-machine-learning-1.6.json")
    else {
        return;
    };
    let once = reread(&write(&sbom, Format::Spdx3JsonLd).unwrap());
    let twice = reread(&write(&once, Format::Spdx3JsonLd).unwrap());
    let serial = once.serial.clone().unwrap();
    assert!(
        serial.starts_with(
            "https://spdx.org/spdxdocs/chainwatch-3e671687-395b-41f5-a30f-a58921a69b79"
        ),
        "{serial}"
    );
    assert_eq!(twice.serial, once.serial);
    let ids = |s: &Sbom| {
        s.components
            .iter()
            .map(|c| c.id.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&twice), ids(&once));
    assert!(
        ids(&once).iter().all(|id| id.starts_with("https://")),
        "{:?}",
        ids(&once)
    );
}
