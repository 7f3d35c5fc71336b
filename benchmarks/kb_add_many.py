"""`mianshi kb add DIR` with 60 note files: one check of every file, one copy, one embedding pass.

Generates 60 notes (10 questions each, in the shapes users bring: `## N. 问题` headings, interview
logs with a numbered list and no answers, `问：/答：` pairs, ```text fences) from the bundled seeds'
vocabulary into a temporary folder, builds the bundled bank in a fresh MIANSHI_HOME (not timed), then
times the real CLI as a subprocess (process start and model load included). For comparison it also
times adding 3 more files one command each.

    python benchmarks/kb_add_many.py [--files 60]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import machine

from knowledge.bank import bundled_seed_dir, load_documents
from knowledge.kb import KnowledgeBase
from knowledge.settings import KnowledgeSettings

QUESTIONS_PER_FILE = 10


def write_notes(folder: Path, n: int, rng: random.Random) -> None:
    seeds = load_documents([bundled_seed_dir()]).items
    sentences = [kp.text for i in seeds for kp in i.key_points]
    questions = [i.question.rstrip("？?") for i in seeds]
    folder.mkdir(parents=True, exist_ok=True)
    for f in range(n):
        picked = [f"{q}（笔记 {f}-{k}）？" for k, q in enumerate(rng.sample(questions, QUESTIONS_PER_FILE))]
        answers = ["。".join(rng.sample(sentences, 3)) + "。" for _ in picked]
        shape = f % 4
        lines = [f"# 面试笔记 {f}", ""]
        for k, (q, a) in enumerate(zip(picked, answers, strict=True), start=1):
            if shape == 0:
                lines += [f"## {k}. {q}", "", a, ""]
            elif shape == 1:
                lines += [f"{k}. {q}"]
            elif shape == 2:
                lines += [f"问：{q}", f"答：{a}", ""]
            else:
                lines += [f"{k}. {q}", "", "```text", a, "```", ""]
        if shape == 1:
            lines += ["", "整体感觉面试官挺好的，应该能过。"]
        sub = folder / f"company_{f % 6}"
        sub.mkdir(exist_ok=True)
        (sub / f"note_{f:03d}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    t = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    return time.perf_counter() - t, proc


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=60)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="mianshi-add-"))
    notes = tmp / "notes"
    write_notes(notes, args.files, random.Random(11))
    home = tmp / "home"
    t = time.perf_counter()
    base = KnowledgeBase(KnowledgeSettings(home=home)).build()
    print(f"# kb add of {args.files} files — {machine()}")
    print(f"bundled bank built first (not timed in the figure): {time.perf_counter() - t:.1f} s, {base.items} items")
    env = {**os.environ, "MIANSHI_HOME": str(home)}
    mianshi = str(Path(sys.executable).parent / "mianshi")
    seconds, proc = timed([mianshi, "kb", "add", "--json", str(notes)], env)
    if proc.returncode != 0:
        print(proc.stderr[-2000:])
        raise SystemExit(proc.returncode)
    report = json.loads(proc.stdout)
    s = report["summary"]
    print(f"mianshi kb add DIR ({args.files} files, {s['items_added']} questions, {s['without_reference']} without "
          f"reference, {s['skipped_blocks']} skipped blocks): {seconds:.1f} s wall, one build "
          f"({report['embedded']} texts embedded, {report['seconds']:.1f} s inside the command); "
          f"bank now {report['bank_items']} items")
    extra = tmp / "extra"
    write_notes(extra, 3, random.Random(12))
    each = []
    for path in sorted(extra.rglob("*.md")):
        seconds_one, proc = timed([mianshi, "kb", "add", str(path)], env)
        each.append(seconds_one)
    print(f"for comparison, one more file per command: {', '.join(f'{x:.1f}' for x in each)} s each")


if __name__ == "__main__":
    main()
