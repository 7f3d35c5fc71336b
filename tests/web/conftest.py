"""Web tests build the Gradio app in-process (no browser) on a private copy of the built bank."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from agent.interviewer import Interviewer
from agent.settings import AgentSettings
from knowledge.kb import KnowledgeBase
from knowledge.settings import KnowledgeSettings
from ui.web.context import WebContext


def offline_interviewer(home: Path) -> Interviewer:
    return Interviewer(KnowledgeBase(KnowledgeSettings(home=home)), AgentSettings(home=home, backend="offline"))


def make_context(home: Path, work: Path) -> WebContext:
    holder: dict[str, Interviewer] = {}

    def get() -> Interviewer:
        if "iv" not in holder:
            holder["iv"] = offline_interviewer(home)
        return holder["iv"]

    def refresh() -> Interviewer:
        holder.pop("iv", None)
        return get()

    return WebContext(interviewer=get, refresh=refresh, work_dir=work)


@pytest.fixture(scope="module")
def web_home(built_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("web-home") / "home"
    shutil.copytree(built_home, home)
    return home


@pytest.fixture(scope="module")
def ctx(web_home: Path, tmp_path_factory: pytest.TempPathFactory) -> WebContext:
    return make_context(web_home, tmp_path_factory.mktemp("web-work"))


@pytest.fixture(scope="module")
def web(ctx: WebContext):  # type: ignore[no-untyped-def]
    from ui.web.app import create

    return create(ctx)


@pytest.fixture
def fresh_context(built_home: Path, tmp_path: Path) -> Callable[[], WebContext]:
    """A context on a private home of its own (for tests that change the bank)."""

    def make() -> WebContext:
        home = tmp_path / "home"
        if not home.exists():
            shutil.copytree(built_home, home)
        return make_context(home, tmp_path / "work")

    return make
