#![allow(clippy::print_stdout)]
fn main() {
    println!(
        "Component {}",
        std::mem::size_of::<chainwatch_sbom::Component>()
    );
    println!(
        "Relationship {}",
        std::mem::size_of::<chainwatch_sbom::Relationship>()
    );
    println!(
        "RelationshipKind {}",
        std::mem::size_of::<chainwatch_sbom::RelationshipKind>()
    );
    println!(
        "ComponentKind {}",
        std::mem::size_of::<chainwatch_sbom::ComponentKind>()
    );
    println!("Hash {}", std::mem::size_of::<chainwatch_sbom::Hash>());
    println!(
        "License {}",
        std::mem::size_of::<chainwatch_sbom::License>()
    );
}
