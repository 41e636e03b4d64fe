//! System information.

/// The number of CPUs.
pub fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The hostname, from the environment or the kernel.
pub fn hostname() -> String {
    std::env::var("HOSTNAME").unwrap_or_else(|_| std::fs::read_to_string("/etc/hostname").unwrap_or_default())
}
