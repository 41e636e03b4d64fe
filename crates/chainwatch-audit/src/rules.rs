//! The catalog of audit rules: a stable code (never reused for another meaning), a
//! severity and why it matters. docs/audit.md describes each; a test keeps the two
//! in step.

use crate::Severity;

/// One audit rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub code: &'static str,
    pub severity: Severity,
    /// Why it matters, in one line.
    pub why: &'static str,
}

const fn rule(code: &'static str, severity: Severity, why: &'static str) -> Rule {
    Rule {
        code,
        severity,
        why,
    }
}

use Severity::{Critical, High, Low, Medium};

/// Every rule, grouped by what it looks at.
pub const RULES: &[Rule] = &[
    // The archive itself.
    rule(
        "path-traversal",
        Critical,
        "an entry name that is absolute or climbs out with `..` writes outside the target when unpacked",
    ),
    rule(
        "link-escape",
        High,
        "a link that points outside the package reads or overwrites files of the host",
    ),
    rule(
        "unreadable-entry",
        Medium,
        "an entry that cannot be read cannot be audited; installers may still read it",
    ),
    // Install and build time.
    rule(
        "install-script",
        Medium,
        "an npm lifecycle script runs code on every machine that installs the package",
    ),
    rule(
        "install-hook",
        Medium,
        "setup.py replaces a setuptools command, so its code runs when the package is built or installed",
    ),
    rule(
        "gem-extension",
        Medium,
        "a gem extension runs its script at install time without building anything with mkmf",
    ),
    rule(
        "pth-exec",
        High,
        "a `.pth` file's `import` line runs at every start of the Python interpreter",
    ),
    rule(
        "install-network",
        High,
        "code that runs at install or build time (setup.py, an npm install script, a Cargo build script, a gem extension) opens network connections",
    ),
    rule(
        "install-exec",
        Medium,
        "code that runs at install time (setup.py, an npm install script's file, a gem extension) starts other programs",
    ),
    // Code.
    rule(
        "download-exec",
        Critical,
        "downloads something and runs it: the package's real payload is not in the package",
    ),
    rule(
        "eval-decoded",
        High,
        "evaluates code that is decoded, decompressed or assembled at run time, hiding what runs",
    ),
    rule(
        "eval-remote",
        Medium,
        "evaluates code in a file that also fetches from the network",
    ),
    rule(
        "remote-exec",
        High,
        "runs shell commands that arrive over the network: remote control of the host",
    ),
    rule(
        "silent-exec",
        Medium,
        "starts a process detached and with its output discarded, so nothing shows that it ran",
    ),
    rule(
        "hidden-endpoint",
        High,
        "contacts an address that the code decodes at run time, so no reader sees where data goes",
    ),
    rule(
        "secret-harvest",
        High,
        "searches for private keys or tokens by their format in a file that sends data over the network",
    ),
    rule(
        "cryptominer",
        High,
        "names a cryptocurrency miner or mining pool",
    ),
    rule(
        "env-exfiltration",
        High,
        "collects environment variables (where CI secrets and tokens live) in a file that sends data over the network",
    ),
    rule(
        "credential-access",
        Medium,
        "names a credentials store (package manager tokens, cloud keys, SSH keys, browser or wallet data)",
    ),
    rule(
        "exfiltration-endpoint",
        High,
        "names an endpoint attackers use to receive stolen data (chat webhooks, bot APIs, request catchers, tunnels)",
    ),
    rule(
        "ip-url",
        Medium,
        "a URL with a raw public IP address instead of a host name",
    ),
    rule(
        "reverse-shell",
        Critical,
        "connects a shell's input and output to a network socket: remote control of the host",
    ),
    rule(
        "persistence",
        Medium,
        "writes to places that run code at login, boot or on a schedule (shell rc files, cron, startup folders, Run keys, launch agents)",
    ),
    rule(
        "lolbin",
        High,
        "uses a system tool attackers use to fetch or run payloads (rundll32, regsvr32, mshta, certutil, bitsadmin, encoded PowerShell)",
    ),
    rule(
        "clipboard-hijack",
        High,
        "reads or writes the clipboard in code that knows cryptocurrency address formats",
    ),
    rule(
        "wallet-hook",
        High,
        "replaces a function of a library that handles private keys or seed phrases, so every key passes through the replacement",
    ),
    rule(
        "wallet-addresses",
        High,
        "holds many cryptocurrency addresses: the shape of address-swapping malware",
    ),
    rule(
        "obfuscated-code",
        Medium,
        "code passed through an obfuscator or packer (`_0x` names, p,a,c,k,e,d, pyarmor), which hides what it does",
    ),
    rule(
        "encoded-payload",
        Medium,
        "a long base64 or hex string decoded at run time: a payload carried as data",
    ),
    rule(
        "hidden-unicode",
        Medium,
        "bidirectional or invisible characters in code make it read differently from what runs",
    ),
    // Files.
    rule(
        "shipped-binary",
        Medium,
        "an executable or library in a package that is otherwise source; it cannot be reviewed",
    ),
    rule(
        "disguised-file",
        High,
        "an executable named as an image, document or source file, to be renamed and run later",
    ),
    rule(
        "opaque-blob",
        Medium,
        "a file of random-looking bytes that is no known format: encrypted or compressed data with no reader in sight",
    ),
    // Metadata.
    rule(
        "typosquat",
        Medium,
        "the package name imitates a popular package's",
    ),
    rule(
        "typosquat-dependency",
        Medium,
        "depends on a package whose name imitates a popular package's",
    ),
    rule(
        "new-install-script",
        High,
        "this version adds install-time code the previous version did not have",
    ),
    // A release against the source tree of its tag (`audit release`).
    rule(
        "autotools-serial-unknown",
        High,
        "an Autoconf macro whose serial is far above every known upstream copy, so that aclocal prefers it to any installed copy: the xz-utils backdoor shipped `build-to-host.m4` serial 30 when upstream was at 3",
    ),
    rule(
        "autotools-content-mismatch",
        Medium,
        "a copy of an upstream Autoconf macro or build-aux script whose content matches no known upstream copy of its version",
    ),
    rule(
        "autotools-unverified",
        Low,
        "a copy of an upstream Autoconf macro or build-aux script at a version the index does not hold: not verified",
    ),
    rule(
        "release-only-build-file",
        Medium,
        "a build-system file that the release ships, the source tree of its tag lacks and the autotools do not generate",
    ),
    rule(
        "release-only-code",
        Medium,
        "source code that the release ships and the source tree of its tag lacks",
    ),
    rule(
        "release-only-file",
        Low,
        "a file that the release ships and the source tree of its tag lacks",
    ),
    rule(
        "release-differs",
        Medium,
        "a file whose content in the release differs from the source tree of its tag",
    ),
    rule(
        "build-content-search",
        High,
        "a build script searches every file of the tree, binary ones included, by content: it is looking for something it does not name",
    ),
    rule(
        "build-byte-cipher",
        High,
        "a build script maps bytes through a substitution table (`tr` over permuted sets or whole byte ranges): a decoder, not text processing",
    ),
    rule(
        "build-reads-test-data",
        High,
        "a build script reads a test data file: test files have no business in a build",
    ),
    rule(
        "build-edits-makefile",
        Medium,
        "a build script edits Makefiles while configuring: what is built is no longer what the source says",
    ),
    rule(
        "build-decode-exec",
        Critical,
        "a build script that decodes or searches for hidden data pipes into a shell: the shape of the xz-utils backdoor's trigger",
    ),
    rule(
        "build-located-file",
        High,
        "a file that a build script's content search finds: whatever the build does next, it does with this file",
    ),
    rule(
        "hidden-script",
        Critical,
        "a file that, decoded the way the build scripts would decode it, is a script the build runs",
    ),
    rule(
        "hidden-script-reads",
        Critical,
        "a file that a script hidden in another file reads: the next stage of a payload",
    ),
    rule(
        "empty-metadata",
        Low,
        "no description, homepage or repository: nothing tells a reviewer what the package is",
    ),
    // Model files (`audit model`).
    rule(
        "pickle-dangerous-import",
        Critical,
        "loading the file imports a function that runs commands or code, or reaches files, the network or any attribute",
    ),
    rule(
        "pickle-dynamic-import",
        High,
        "the pickle computes what it imports while loading, which hides it from any reading",
    ),
    rule(
        "pickle-extension-import",
        Medium,
        "the pickle imports through the copyreg extension registry, which the loading program fills",
    ),
    rule(
        "pickle-unlisted-import",
        Low,
        "loading the file imports a class or function that neither a checkpoint nor a known machine-learning library needs",
    ),
    rule(
        "pickle-trailing-data",
        Medium,
        "bytes after the last pickle are not part of the model; another load of the stream reads them",
    ),
    rule(
        "numpy-object-array",
        Low,
        "a NumPy array of Python objects is a pickle, which loading with `allow_pickle=True` runs",
    ),
    rule(
        "safetensors-inconsistent",
        Medium,
        "a safetensors header whose dtypes, shapes and offsets disagree is refused by strict loaders and misread by lax ones",
    ),
    rule(
        "safetensors-trailing-data",
        Medium,
        "bytes after the last tensor are read by no loader: a place to hide a payload",
    ),
    rule(
        "gguf-template-injection",
        Critical,
        "a chat template that reaches Python internals runs code where a Jinja engine renders it (CVE-2024-34359)",
    ),
    rule(
        "gguf-inconsistent",
        Medium,
        "a GGUF tensor table whose offsets, alignment or sizes disagree with the file",
    ),
    rule(
        "keras-lambda",
        High,
        "a Keras Lambda layer carries Python code that runs when the model is loaded without safe mode",
    ),
    rule(
        "keras-custom-object",
        Medium,
        "a Keras configuration names a class outside Keras, which loading imports",
    ),
    rule(
        "model-malformed",
        Medium,
        "a model file that breaks off or contradicts its format cannot be fully audited; loaders run what comes before the break",
    ),
];

/// The catalog severity of `code` (medium for an unknown code, which a test forbids).
pub fn severity(code: &str) -> Severity {
    RULES
        .iter()
        .find(|r| r.code == code)
        .map_or(Severity::Medium, |r| r.severity)
}

/// Whether a finding of this rule is raised one severity when it is in a file that
/// runs at install or build time (rules that are about install time already are not).
pub fn escalates(code: &str) -> bool {
    !matches!(
        code,
        "install-script"
            | "install-hook"
            | "gem-extension"
            | "pth-exec"
            | "install-network"
            | "install-exec"
            | "shipped-binary"
            | "disguised-file"
            | "opaque-blob"
            | "typosquat"
            | "typosquat-dependency"
            | "empty-metadata"
            | "new-install-script"
    )
}

/// The rule with this code.
pub fn get(code: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_kebab_case() {
        let mut seen = std::collections::HashSet::new();
        for rule in RULES {
            assert!(seen.insert(rule.code), "`{}` twice", rule.code);
            assert!(
                rule.code
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{}",
                rule.code
            );
            assert!(!rule.why.ends_with('.'), "{}", rule.code);
        }
    }
}
