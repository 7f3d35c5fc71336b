"""`mianshi eval simulate`: whole interviews with simulated candidates; every invariant holds."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from ui.cli import app


def test_every_persona_keeps_the_invariants(home_copy: Path) -> None:
    res = CliRunner().invoke(app, ["eval", "simulate", "-p", "all", "-n", "1", "--questions", "2", "--json"])
    assert res.exit_code == 0, res.output
    results = {r["persona"]: r for r in json.loads(res.stdout)}
    assert set(results) == {"strong", "partial", "wrong", "empty", "gibberish", "injection", "repeat"}
    assert all(r["ok"] for r in results.values())
    assert results["injection"]["checks"]["injection_never_raises"][1] >= 1
    assert results["empty"]["checks"]["empty_low"][1] >= 1
    assert results["strong"]["mean_score"] > results["partial"]["mean_score"] > results["empty"]["mean_score"]
    # simulations never touch the user's own history
    assert not (home_copy / "history.sqlite").exists()


def test_unknown_persona_is_a_clear_error(home_copy: Path) -> None:
    res = CliRunner().invoke(app, ["eval", "simulate", "-p", "genius"])
    assert res.exit_code == 2 and "未知的候选人类型" in res.output
