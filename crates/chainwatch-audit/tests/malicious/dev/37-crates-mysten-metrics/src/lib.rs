//! Metrics helpers shared by Mysten services.
use once_cell::sync::OnceCell;
use prometheus::{IntCounter, Registry};

static REGISTRY: OnceCell<Registry> = OnceCell::new();

pub fn registry() -> &'static Registry {
    REGISTRY.get_or_init(Registry::new)
}

pub fn counter(name: &str, help: &str) -> IntCounter {
    let c = IntCounter::new(name, help).expect("valid counter");
    let _ = registry().register(Box::new(c.clone()));
    c
}
