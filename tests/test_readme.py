"""The README tells a newcomer the truth: every setting the code reads is in its table."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def settings_read_by_the_code() -> set[str]:
    source = (ROOT / "chat" / "config.py").read_text()
    return set(re.findall(r'env\.get\("([A-Z_]+)"', source)) | set(
        re.findall(r'_number\(env, "([A-Z_]+)"', source)
    )


def test_the_configuration_table_lists_every_setting_the_code_reads() -> None:
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("## Configuration") :].split("\n## ", 1)[0]
    found = settings_read_by_the_code()
    assert len(found) > 20, "the reader of chat/config.py found too little to be right"
    assert sorted(name for name in found if f"`{name}`" not in table) == []


def test_the_table_says_what_the_operators_settings_do() -> None:
    readme = (ROOT / "README.md").read_text()
    rows = {line.split("|")[1].strip(): line for line in readme.splitlines() if line.startswith("| `")}
    assert "`json`" in rows["`LOG_FORMAT`"]
    # What tests/test_operations.py checks /metrics answers without the token, and with a wrong one.
    assert "Unset, `/metrics` answers 404" in rows["`METRICS_TOKEN`"]
    assert "401" in rows["`METRICS_TOKEN`"]
    assert "user name" in rows["`SOCKETIO_ADMIN_USER`"]
    assert "password" in rows["`SOCKETIO_ADMIN_PASSWORD`"]
