"""A fresh clone has everything its commands need, and nothing of the machine it was made on."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "benchmarks" / "reference"
# An absolute path into a home or work folder of some machine (a URL's path is not one: a word
# character, dot or tilde comes before its slash).
MACHINE_PATH = re.compile(r"(?:^|[^\w.~/-])/(?:work|root|home|Users)/")


def tracked_text_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=30
    ).stdout
    paths = [ROOT / name for name in listed.decode().split("\0") if name]
    return [p for p in paths if p.is_file() and p.suffix not in {".png", ".ico", ".woff2"}]


def test_the_path_check_finds_a_machine_path() -> None:
    # Put together here, or this file would hold the very paths it looks for.
    assert MACHINE_PATH.search(f"server in /{'work'}/shared/bench")
    assert MACHINE_PATH.search(f'"app_dir": "/{"root"}/parley"')
    work = "work"
    assert not MACHINE_PATH.search(f"https://example.com/home/ and ~/{work}/ and benchmarks/{work}/")


def test_no_tracked_file_names_a_path_of_some_machine() -> None:
    files = tracked_text_files()
    assert len(files) > 100, "git ls-files found too little to be right"
    found = []
    for path in files:
        text = path.read_text(errors="replace")
        found += [f"{path.relative_to(ROOT)}: {m.group(0)!r}" for m in MACHINE_PATH.finditer(text)]
    assert found == []


def test_the_benchmarks_reference_server_is_in_the_checkout_with_its_lockfile() -> None:
    wanted = json.loads((REFERENCE / "package.json").read_text())["dependencies"]
    lock = json.loads((REFERENCE / "package-lock.json").read_text())
    assert re.fullmatch(r"4\.8\.\d+", wanted["socket.io"]), "the reference is socket.io 4.8"
    assert lock["packages"][""]["dependencies"] == wanted, "npm ci refuses a lockfile out of date"
    assert lock["packages"]["node_modules/socket.io"]["version"] == wanted["socket.io"]
    assert "require('socket.io')" in (REFERENCE / "server.js").read_text()
    makefile = (ROOT / "Makefile").read_text()
    assert "cd benchmarks/reference && npm ci" in makefile
    assert re.search(r"^bench: .*\$\(REFERENCE_DEPS\)", makefile, re.MULTILINE)
