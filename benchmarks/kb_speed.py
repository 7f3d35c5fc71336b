"""Knowledge-base speed and scale.

Bundled bank: build from scratch (fresh MIANSHI_HOME, includes loading the embedding model),
no-change rebuild, warm query latency p50/p95 over the paraphrase set, peak RSS. Then synthetic
banks (default 1,000 and 10,000 items, generated from the seeds' vocabulary) to show how build
and query time grow.

    python benchmarks/kb_speed.py [--sizes 1000 10000]
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from common import DATA, machine, read_jsonl

from knowledge.bank import bundled_seed_dir, load_documents
from knowledge.kb import KnowledgeBase
from knowledge.settings import KnowledgeSettings


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def latency(kb: KnowledgeBase, queries: list[str]) -> tuple[float, float]:
    """Warm index, cold query: the query's embedding is computed each time (cache cleared)."""
    from knowledge.embeddings import _e5_query_cached

    kb.search("预热 warm up")
    times = []
    for q in queries:
        _e5_query_cached.cache_clear()
        t = time.perf_counter()
        kb.search(q)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def synthetic_docs(n: int, folder: Path) -> None:
    """n items in `## N. question` documents of 500 items each, built from seed sentences."""
    rng = random.Random(n)
    seeds = load_documents([bundled_seed_dir()]).items
    sentences = [kp.text for i in seeds for kp in i.key_points]
    questions = [i.question.rstrip("？?") for i in seeds]
    folder.mkdir(parents=True, exist_ok=True)
    for f in range(0, n, 500):
        lines = ["# synthetic"]
        for k in range(f, min(n, f + 500)):
            q = f"{rng.choice(questions)}（场景 {k}：{rng.choice(questions)[:12]}）？"
            a = "。".join(rng.sample(sentences, 4)) + "。"
            lines += [f"## {k - f + 1}. {q}", "", a, ""]
        (folder / f"syn_{f // 500:03d}.md").write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000])
    args = ap.parse_args()
    queries = [r["query"] for r in read_jsonl(DATA / "retrieval_dev.jsonl")]
    tmp = Path(tempfile.mkdtemp(prefix="mianshi-speed-"))
    print(f"# knowledge-base speed — {machine()}")
    kb = KnowledgeBase(KnowledgeSettings(home=tmp / "bundled"))
    t = time.perf_counter()
    r = kb.build()
    print(f"bundled bank build from scratch: {time.perf_counter() - t:.1f} s ({r.items} items, {r.chunks} chunks, {r.embedded} embedded)")
    t = time.perf_counter()
    r = KnowledgeBase(KnowledgeSettings(home=tmp / "bundled")).build()
    print(f"no-change rebuild (new process state, same home): {time.perf_counter() - t:.2f} s ({r.embedded} embedded)")
    p50, p95 = latency(kb, queries)
    print(f"query latency warm (hybrid, {len(queries)} paraphrases): p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    print(f"peak RSS so far: {peak_mb():.0f} MB")
    for n in args.sizes:
        docs = tmp / f"syn{n}"
        synthetic_docs(n, docs)
        skb = KnowledgeBase(KnowledgeSettings(home=tmp / f"home{n}"))
        t = time.perf_counter()
        r = skb.build(docs=[docs])
        build_s = time.perf_counter() - t
        t = time.perf_counter()
        KnowledgeBase(KnowledgeSettings(home=tmp / f"home{n}")).build(docs=[docs])
        rebuild_s = time.perf_counter() - t
        t = time.perf_counter()
        skb.search("warm up the index")
        first_query = time.perf_counter() - t
        p50, p95 = latency(skb, queries)
        print(f"synthetic {n} items: build {build_s:.0f} s ({r.chunks} chunks), no-change rebuild {rebuild_s:.1f} s, "
              f"first query (loads indexes) {first_query:.2f} s, query p50 {p50:.1f} ms / p95 {p95:.1f} ms, peak RSS {peak_mb():.0f} MB")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
