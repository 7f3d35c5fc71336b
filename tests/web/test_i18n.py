"""Every text exists in Chinese and English with the same placeholders."""

from __future__ import annotations

import re
import string

import pytest

from agent.grading.model import FLAGS
from ui.web.i18n import FLAGS_EN, LANGUAGE_CHOICES, TEXTS, VERDICTS_EN, flag_text, lang_of, t, verdict_text


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(TEXTS))
def test_both_languages_with_the_same_placeholders(key: str) -> None:
    zh, en = TEXTS[key]
    assert zh.strip() and en.strip()
    assert fields(zh) == fields(en)
    if key not in ("col_n", "col_id"):
        assert re.search(r"[\u4e00-\u9fff]", zh), f"{key}: Chinese first"


def test_lang_of_defaults_to_chinese() -> None:
    assert [lang_of(label) for label, _ in LANGUAGE_CHOICES] == ["zh", "en"]
    assert lang_of("en") == "en" and lang_of(None) == "zh" and lang_of("fr") == "zh"


def test_t_formats_values() -> None:
    assert t("status_active", "zh", sid="s1", n=2, total=5, backend="离线") == "会话 s1 · 第 2/5 题 · 考官：离线"
    assert t("start", "en") == "Start interview"


def test_verdicts_and_flags_translate() -> None:
    assert verdict_text("良好") == "良好" and verdict_text("良好", "en") == "good"
    assert set(VERDICTS_EN) == {"优秀", "良好", "及格", "不及格"}
    assert set(FLAGS_EN) == set(FLAGS)
    assert flag_text("empty") == "empty（回答为空或表示不会）"
    assert flag_text("unknown-flag", "en") == "unknown-flag"
