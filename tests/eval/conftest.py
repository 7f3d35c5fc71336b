"""Eval tests run the offline embedder the way `mianshi eval` does (see ui/eval_commands.py)."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
