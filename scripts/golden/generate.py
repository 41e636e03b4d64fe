#!/usr/bin/env python3
"""Generates the golden files of chainwatch-version's differential tests.

For each ecosystem it builds version pairs (from the shared corpus fixtures and from a
seeded generator of tricky versions), asks the ecosystem's own implementation once, and
writes `crates/chainwatch-version/tests/golden/<scheme>.tsv`: `A<TAB>op<TAB>B` lines.

Oracles (install once, as root): dpkg (Debian), `apt-get install rpm ruby php-cli
php-composer-semver`, maven-artifact (with Maven), `npm install --prefix /opt/oracles semver`,
`python3 -m venv /opt/oracles/py && /opt/oracles/py/bin/pip install packaging`.

The tests read only the golden files; this script is run by hand when they change.
"""
import os
import random
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.environ.get("CHAINWATCH_CORPUS", os.path.join(ROOT, "..", "shared", "corpus"))
OUT = os.path.join(ROOT, "crates", "chainwatch-version", "tests", "golden")
ORACLES = os.environ.get("ORACLES", "/opt/oracles")
PAIRS = 3000

rng = random.Random(20261127)


def fixture_versions(name):
    path = os.path.join(CORPUS, "versions", "osv-scalibr", name)
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#") or line.startswith("//"):
                continue
            parts = line.split(" ")
            if len(parts) == 3:
                out += [parts[0], parts[2]]
    return out


def pick(choices):
    return choices[rng.randrange(len(choices))]


def number():
    return pick(["0", "1", "2", "9", "10", "01", "00", "11", "99", "100", "007", "12345678901234567890"])


def npm_number():
    return pick(["0", "1", "2", "9", "10", "11", "99", "100", "12345"])


def tricky(pieces, seps, count=400, max_parts=6):
    out = []
    for _ in range(count):
        s = number()
        for _ in range(rng.randrange(max_parts)):
            s += pick(seps) + (number() if rng.random() < 0.55 else pick(pieces))
        out.append(s)
    return out


GENERATORS = {
    "deb": lambda: tricky(["a", "b", "rc", "dfsg", "really", "ubuntu", "deb", "git", "z"],
                          [".", "-", "+", "~", ".", "~", ""]) +
                   [pick(["1", "2", "10"]) + ":" + v for v in tricky(["a", "rc"], [".", "-", "~", "+"], 80)],
    "rpm": lambda: tricky(["a", "b", "rc", "el", "fc", "git", "pre", "Z"],
                          [".", "-", "~", "^", "_", "+", ""]) +
                   [pick(["1", "2"]) + ":" + v for v in tricky(["el", "rc"], [".", "-", "~", "^"], 80)],
    "gem": lambda: tricky(["a", "b", "pre", "rc", "beta", "alpha", "A"], [".", ".", "-", ""]),
    "maven": lambda: tricky(["alpha", "a", "beta", "b", "milestone", "m", "rc", "cr", "snapshot",
                             "SNAPSHOT", "ga", "final", "release", "sp", "foo", "x"], [".", "-", ""]),
    "composer": lambda: tricky(["dev", "alpha", "a", "beta", "b", "RC", "rc", "pl", "p", "patch",
                                "stable", "foo"], [".", "-", "_", "+", ""]),
    "npm": lambda: [
        f"{npm_number()}.{npm_number()}.{npm_number()}" + (
            "-" + ".".join(pick(["alpha", "beta", "rc", "0", "1", "10", "x-y", "Foo"])
                           for _ in range(rng.randrange(1, 4))) if rng.random() < 0.6 else ""
        )
        for _ in range(400)
    ],
    "pypi": lambda: [
        (pick(["", "", "", "1!", "2!"]) + ".".join(number() for _ in range(rng.randrange(1, 4)))
         + pick(["", "", "a1", "b2", "rc3", "c1", "alpha2", "-beta.1", ".pre4", "preview5", "a"])
         + pick(["", "", ".post1", "-1", "post", ".rev2", "r3"])
         + pick(["", "", ".dev0", "dev", ".dev12"])
         + pick(["", "", "", "+local", "+1.a", "+ubuntu.2"]))
        for _ in range(500)
    ],
}

FIXTURES = {
    "deb": ["debian-versions.txt", "debian-versions-generated.txt"],
    "rpm": ["redhat-versions.txt"],
    "gem": ["rubygems-versions.txt", "rubygems-versions-generated.txt"],
    "maven": ["maven-versions.txt", "maven-versions-generated.txt"],
    "composer": ["packagist-versions.txt", "packagist-versions-generated.txt"],
    "npm": ["semver-versions.txt"],
    "pypi": ["pypi-versions.txt", "pypi-versions-generated.txt"],
}


def pairs_for(scheme):
    versions = []
    for f in FIXTURES[scheme]:
        versions += fixture_versions(f)
    generated = GENERATORS[scheme]()
    versions = sorted(set(versions))
    pool = versions + generated
    pairs = set()
    # Neighbours in the fixture order are the hard cases; random pairs cover the rest.
    while len(pairs) < PAIRS:
        if rng.random() < 0.5:
            a, b = pick(generated), pick(pool)
        else:
            a, b = pick(pool), pick(pool)
        if a != b and "\t" not in a + b and " " not in a + b:
            pairs.add((a, b))
    return sorted(pairs)


def run_batch(cmd, pairs, stdin_format="{a}\t{b}\n"):
    data = "".join(stdin_format.format(a=a, b=b) for a, b in pairs)
    out = subprocess.run(cmd, input=data, capture_output=True, text=True, check=True).stdout.split()
    assert len(out) == len(pairs), (cmd, len(out), len(pairs))
    return [int(x) if x in ("-1", "0", "1") else None for x in out]


def oracle_deb(pairs):
    res = []
    for a, b in pairs:
        if subprocess.run(["dpkg", "--compare-versions", a, "lt", b], capture_output=True).returncode == 0:
            res.append(-1)
        elif subprocess.run(["dpkg", "--compare-versions", a, "eq", b], capture_output=True).returncode == 0:
            res.append(0)
        else:
            check = subprocess.run(["dpkg", "--compare-versions", a, "gt", b], capture_output=True)
            res.append(1 if check.returncode == 0 else None)
    return res


def oracle_rpm(pairs):
    with tempfile.NamedTemporaryFile("w", delete=False, suffix=".tsv") as f:
        f.write("".join(f"{a}\t{b}\n" for a, b in pairs))
        path = f.name
    lua = ("%{lua: for line in io.lines('" + path + "') do "
           "local a, b = line:match('([^\\t]*)\\t(.*)') "
           "local ok, r = pcall(function() return rpm.vercmp(a, b) end) "
           "if ok then print(r .. ' ') else print('x ') end end}")
    out = subprocess.run(["rpm", "--eval", lua], capture_output=True, text=True, check=True).stdout.split()
    os.unlink(path)
    return [int(x) if x in ("-1", "0", "1") else None for x in out]


def oracle_gem(pairs):
    script = ("STDIN.each_line { |l| a, b = l.chomp.split(\"\\t\", 2); "
              "begin; puts(Gem::Version.new(a) <=> Gem::Version.new(b)); rescue ArgumentError; puts 'x'; end }")
    return run_batch(["ruby", "-e", script], pairs)


def oracle_composer(pairs):
    script = ('require "/usr/share/php/Composer/Semver/autoload.php"; '
              'while (($l = fgets(STDIN)) !== false) { [$a, $b] = explode("\\t", rtrim($l, "\\n"), 2); '
              'echo (Composer\\Semver\\Comparator::lessThan($a, $b) ? -1 : '
              '(Composer\\Semver\\Comparator::equalTo($a, $b) ? 0 : 1)), "\\n"; }')
    return run_batch(["php", "-r", script], pairs)


def oracle_maven(pairs):
    here = os.path.dirname(os.path.abspath(__file__))
    jar = "/usr/share/java/maven3-artifact.jar"
    build = tempfile.mkdtemp()
    subprocess.run(["javac", "-cp", jar, "-d", build, os.path.join(here, "CompareVersions.java")], check=True)
    return run_batch(["java", "-cp", f"{jar}:{build}", "CompareVersions"], pairs)


def oracle_npm(pairs):
    script = ("const semver = require('semver'); const lines = require('fs').readFileSync(0, 'utf8').split('\\n');"
              "for (const l of lines) { if (!l) continue; const [a, b] = l.split('\\t');"
              " if (!semver.valid(a) || !semver.valid(b)) { console.log('x'); continue; }"
              " console.log(semver.compare(a, b)); }")
    env = dict(os.environ, NODE_PATH=os.path.join(ORACLES, "node_modules"))
    data = "".join(f"{a}\t{b}\n" for a, b in pairs)
    out = subprocess.run(["node", "-e", script], input=data, capture_output=True, text=True, check=True, env=env).stdout.split()
    return [int(x) if x in ("-1", "0", "1") else None for x in out]


def oracle_pypi(pairs):
    script = ("import sys\nfrom packaging.version import Version, InvalidVersion\n"
              "for l in sys.stdin:\n a, b = l.rstrip('\\n').split('\\t', 1)\n"
              " try:\n  x, y = Version(a), Version(b)\n  print((x > y) - (x < y))\n"
              " except InvalidVersion:\n  print('x')\n")
    return run_batch([os.path.join(ORACLES, "py", "bin", "python"), "-c", script], pairs)


ORACLE = {
    "deb": ("dpkg " + subprocess.run(["dpkg-query", "-W", "-f=${Version}", "dpkg"], capture_output=True, text=True).stdout, oracle_deb),
    "rpm": ("rpm (rpm.vercmp)", oracle_rpm),
    "gem": ("Ruby Gem::Version", oracle_gem),
    "composer": ("composer/semver Comparator", oracle_composer),
    "maven": ("maven-artifact 3.8.7 ComparableVersion", oracle_maven),
    "npm": ("node-semver", oracle_npm),
    "pypi": ("Python packaging", oracle_pypi),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for scheme in sys.argv[1:] or sorted(ORACLE):
        label, oracle = ORACLE[scheme]
        pairs = pairs_for(scheme)
        answers = oracle(pairs)
        lines = [f"# {scheme}: answers of {label}, generated by scripts/golden/generate.py\n"]
        kept = 0
        for (a, b), r in zip(pairs, answers):
            if r is None:
                continue  # the oracle rejects one of them: not a comparison it defines
            lines.append(f"{a}\t{'<=>'[r + 1]}\t{b}\n")
            kept += 1
        with open(os.path.join(OUT, f"{scheme}.tsv"), "w", encoding="utf-8") as f:
            f.writelines(lines)
        print(f"{scheme}: {kept} pairs", file=sys.stderr)


if __name__ == "__main__":
    main()
