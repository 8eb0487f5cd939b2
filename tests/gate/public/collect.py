#!/usr/bin/env python3
"""Lays out the public secret-scanning corpus and writes its manifest.

    collect.py OUT SECRETLINT_GIT DETECT_SECRETS_GIT REALWORLD_MANIFEST REALWORLD_DIR > MANIFEST.tsv

SECRETLINT_GIT and DETECT_SECRETS_GIT are git directories of secretlint/secretlint and
Yelp/detect-secrets (bare clones do); the files are read at their HEAD commit. The real-world
request files are copied from REALWORLD_DIR, laid out as REALWORLD_MANIFEST says. Every file
is written under OUT as `<owner>__<repository>/<path>`, with the repositories' licences in
OUT/LICENSES/. The labels follow the rules of README.md beside this script.
"""

import hashlib
import json
import os
import subprocess
import sys

# The rules of secretlint's recommended preset (its package.json), whose own fixtures are
# taken. Fixtures that need options (a `.secretlintrc.json` beside them, `options.*`, names
# with `--`) are left out: the preset runs with none.
PRESET_RULES = [
    "1password", "anthropic", "aws", "basicauth", "cloudflare",
    "database-connection-string", "databricks", "docker", "figma", "gcp", "github",
    "gitlab", "grafana", "groq", "hashicorp-vault", "huggingface", "linear", "notion",
    "npm", "openai", "privatekey", "sendgrid", "shopify", "slack", "stripe", "tailscale",
    "vercel",
]

# Fixtures whose expected finding is an identifier that grants nothing on its own (an
# account number): not a credential, so the fixture is left out rather than mislabelled.
NOT_CREDENTIALS = {"aws/ng.AWS Account ID"}

# detect-secrets' test data: file -> the lines its tests expect to be found or, for
# each_secret.py, the lines the file itself names as secrets.
DETECT_SECRETS = {
    # Each assignment names what it holds; `red_herring` and `id` are its decoys.
    "test_data/each_secret.py": [4, 5, 6, 8, 9],
    # tests/core/baseline_test.py: one secret (line 4 carries an allowlist pragma).
    "test_data/files/file_with_secrets.py": [3],
    # tests/core/baseline_test.py: two secrets, both on line 3.
    "test_data/files/tmp/file_with_secrets.py": [3],
    "test_data/files/file_with_no_secrets.py": [],
    # A private key block, named so.
    "test_data/files/private_key": [1],
    # tests/core/secrets_collection_test.py: a high-entropy value found in an unknown file type.
    "test_data/config.env": [1],
}


def git(gitdir, *args):
    return subprocess.run(
        ["git", "--git-dir", gitdir, *args], check=True, capture_output=True
    ).stdout


def head(gitdir):
    return git(gitdir, "rev-parse", "HEAD").decode().strip()


def put(out, place, data):
    path = os.path.join(out, place)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    return hashlib.sha256(data).hexdigest()


def row(place, kind, repo, commit, path, licence, sha, lines, why):
    label = ",".join(str(n) for n in sorted(set(lines))) or "-"
    return "\t".join([place, kind, repo, commit, path, licence, sha, label, why])


def secretlint(out, gitdir):
    repo, commit = "secretlint/secretlint", head(gitdir)
    files = git(gitdir, "ls-tree", "-r", "--name-only", "HEAD").decode().splitlines()
    rows = []
    for rule in PRESET_RULES:
        base = f"packages/@secretlint/secretlint-rule-{rule}/test/snapshots/"
        cases = sorted({f[len(base):].split("/")[0] for f in files if f.startswith(base)})
        for case in cases:
            if case.startswith("options.") or "--" in case:
                continue
            if f"{rule}/{case}" in NOT_CREDENTIALS:
                continue
            inside = [f for f in files if f.startswith(base + case + "/")]
            if any(f.endswith((".secretlintrc.json", "options.ts")) for f in inside):
                continue
            inputs = [f for f in inside if os.path.basename(f).startswith("input")]
            if len(inputs) != 1:
                continue
            data = git(gitdir, "show", f"HEAD:{inputs[0]}")
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                # Binary fixtures (PKCS#12 files) have no lines to label.
                continue
            expected = json.loads(git(gitdir, "show", f"HEAD:{base}{case}/output.json"))
            lines = [m["loc"]["start"]["line"] for m in expected["messages"]]
            place = f"secretlint__secretlint/{inputs[0]}"
            sha = put(out, place, data)
            rows.append(row(place, "fixture", repo, commit, inputs[0], "MIT", sha, lines,
                            "secretlint test snapshot output.json"))
    put(out, "LICENSES/secretlint__secretlint", git(gitdir, "show", "HEAD:LICENSE"))
    return rows


def detect_secrets(out, gitdir):
    repo, commit = "Yelp/detect-secrets", head(gitdir)
    rows = []
    for path, lines in DETECT_SECRETS.items():
        data = git(gitdir, "show", f"HEAD:{path}")
        place = f"Yelp__detect-secrets/{path}"
        sha = put(out, place, data)
        rows.append(row(place, "fixture", repo, commit, path, "Apache-2.0", sha, lines,
                        "detect-secrets test expectation"))
    put(out, "LICENSES/Yelp__detect-secrets", git(gitdir, "show", "HEAD:LICENSE"))
    return rows


def realworld(out, manifest, src):
    rows = []
    with open(manifest) as f:
        next(f)
        for line in f:
            place, kind, repo, commit, path, licence, sha = line.rstrip("\n").split("\t")
            with open(os.path.join(src, place), "rb") as g:
                data = g.read()
            assert put(out, "realworld/" + place, data) == sha, place
            rows.append(row("realworld/" + place, kind, repo, commit, path, licence, sha, [],
                            "real-world request file (no credential)"))
    lic = os.path.join(src, "LICENSES")
    for name in os.listdir(lic) if os.path.isdir(lic) else []:
        with open(os.path.join(lic, name), "rb") as g:
            put(out, "LICENSES/" + name, g.read())
    return rows


def main():
    out, sl, ds, rw_manifest, rw_dir = sys.argv[1:6]
    print("file\tkind\trepository\tcommit\tpath\tlicence\tsha256\tsecret_lines\tlabel_from")
    for r in secretlint(out, sl) + detect_secrets(out, ds) + realworld(out, rw_manifest, rw_dir):
        print(r)


if __name__ == "__main__":
    main()
