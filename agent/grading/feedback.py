"""Chinese feedback for a Grade: what was right, what was missing, what to study and where."""

from __future__ import annotations

from agent.grading.model import FLAGS, Grade
from knowledge.schema import QuestionItem


def write_feedback(grade: Grade, item: QuestionItem | None) -> str:
    lines = [f"得分 {grade.score:.1f}/10（{grade.verdict}）。"]
    if "empty" in grade.flags:
        lines.append("这题没有作答。先看参考答案，理解后用自己的话复述一遍。")
    covered = [k.text for k in grade.key_points if k.verdict == "covered"]
    partial = [k.text for k in grade.key_points if k.verdict == "partial"]
    missed = [k.text for k in grade.key_points if k.verdict == "missed"]
    if covered:
        lines.append("答到了：" + "；".join(covered) + "。")
    if partial:
        lines.append("提到但没讲透：" + "；".join(partial) + "。")
    if missed and "empty" not in grade.flags:
        lines.append("还缺：" + "；".join(missed) + "。")
    for w in grade.misconceptions:
        lines.append(f"说法有误：「{w.text}」——{w.why}")
    if grade.pitfalls_hit:
        lines.append("注意坑位：" + "；".join(grade.pitfalls_hit))
    notes = [FLAGS[f] for f in grade.flags if f in FLAGS and f not in ("empty",)]
    if notes:
        lines.append("评分说明：" + "；".join(notes) + "。")
    if "no_reference" in grade.flags:
        lines.append("题库里没有这道题的参考答案，分数只是粗略估计，仅供参考。")
    if grade.references and (missed or partial or grade.score < 8.5):
        lines.append("建议复习：" + "；".join(grade.references[:4]) + "。")
    return "\n".join(lines)
