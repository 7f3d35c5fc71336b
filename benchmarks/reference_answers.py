"""How the offline grader scores the bank's own answers: every item's reference answer (003: its key points
joined, as the strong simulated candidate says them), typed back word for word. Prints the mean per document
and the items under 8.4 with their flags.

    python benchmarks/reference_answers.py
"""

from __future__ import annotations

from collections import defaultdict

from common import BENCH_HOME, built_kb, machine

from agent.examiner import Examiner
from agent.grading.rubric import VERSION
from eval.simulate import persona_answer


def main() -> None:
    kb = built_kb(BENCH_HOME)
    ex = Examiner(kb)
    per_doc: dict[str, list[float]] = defaultdict(list)
    low = []
    for item in kb.ensure_built().items:
        ctx = ex.context(item)
        if not ctx.points or ctx.borrowed:
            continue  # 002's questions have no answer of their own
        answer = persona_answer("strong", item, item, 0, [p.text for p in ctx.points])
        g = ex.rubric.grade(item, answer, ctx)
        per_doc[item.source.ref.split(":")[0]].append(g.score)
        if g.score < 8.4:
            low.append((item.source.ref, g.score, ",".join(g.flags), item.question[:30]))
    everything = [s for v in per_doc.values() for s in v]
    print(f"# the bank's own answers, graded offline — {VERSION} — {machine()}")
    print(f"all {len(everything)}: {sum(everything) / len(everything):.2f}")
    for doc, scores in sorted(per_doc.items()):
        print(f"{doc}: n={len(scores)} mean {sum(scores) / len(scores):.2f}")
    for ref, score, flags, q in low:
        print(f"  {ref} {score:.1f} [{flags}] {q}")


if __name__ == "__main__":
    main()
