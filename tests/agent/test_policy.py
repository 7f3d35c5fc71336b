"""Pure policy decisions."""

from __future__ import annotations

from agent import policy
from agent.domain import FollowUpPlan, FollowUpRecord, InterviewConfig, QuestionRecord
from agent.grading.model import Grade, KeyPointResult
from knowledge.schema import FollowUp, KeyPoint, Pitfall, QuestionItem, SourceRef


def item(n: int, topic: str = "attention", difficulty: int = 3, related: tuple[str, ...] = (), **kw: object) -> QuestionItem:
    return QuestionItem(id=f"q{n}", question=f"问题{n}？", topic=topic, difficulty=difficulty, related=related,
                        key_points=(KeyPoint(id="kp1", text="要点一"), KeyPoint(id="kp2", text="要点二")),
                        source=SourceRef(file=f"f{n % 2}.md", line=n), **kw)  # type: ignore[arg-type]


def grade(score: float, verdicts: tuple[str, ...] = ("covered", "missed"), flags: tuple[str, ...] = (),
          pitfalls: tuple[str, ...] = ()) -> Grade:
    kps = tuple(KeyPointResult(id=f"kp{i + 1}", text=f"要点{'一二'[i]}", verdict=v) for i, v in enumerate(verdicts))  # type: ignore[arg-type]
    return Grade(score=score, verdict="及格", key_points=kps, flags=flags, pitfalls_hit=pitfalls, grader="t", grader_version="t")


def test_no_repeats_including_the_same_question_from_another_document() -> None:
    items = [item(1, related=("q2",)), item(2, related=("q1",)), item(3), item(4)]
    cfg = InterviewConfig(n_questions=4)
    asked: list[str] = []
    while (nxt := policy.next_question(items, cfg, asked, 3)) is not None:
        asked.append(nxt.id)
    assert len(asked) == len(set(asked)) == 3
    assert not {"q1", "q2"} <= set(asked)


def test_spreads_across_topics_and_follows_difficulty() -> None:
    items = [item(1, "attention", 3), item(2, "attention", 3), item(3, "position", 5), item(4, "position", 1)]
    cfg = InterviewConfig()
    first = policy.next_question(items, cfg, [], 3)
    assert first is not None and first.topic == "attention"
    second = policy.next_question(items, cfg, [first.id], 5)
    assert second is not None and second.topic == "position" and second.difficulty == 5
    assert policy.adjust_level(3, 9.0, (1, 5)) == 4
    assert policy.adjust_level(3, 2.0, (1, 5)) == 2
    assert policy.adjust_level(5, 9.0, (1, 5)) == 5
    assert policy.adjust_level(3, 6.0, (1, 5)) == 3


def test_filters_and_review_priority() -> None:
    items = [item(1, "attention", 2), item(2, "position", 4, companies=("字节",)), item(3, "position", 5)]
    assert [i.id for i in policy.eligible(items, InterviewConfig(difficulty=(3, 5)))] == ["q2", "q3"]
    assert [i.id for i in policy.eligible(items, InterviewConfig(companies=("字节",)))] == ["q2"]
    assert [i.id for i in policy.eligible(items, InterviewConfig(topics=("位置编码",)))] == ["q2", "q3"]
    nxt = policy.next_question(items, InterviewConfig(), [], 3, priority=["q3"])
    assert nxt is not None and nxt.id == "q3"


def test_follow_up_order_pitfall_then_missed_then_counter_and_budget() -> None:
    it = item(1, follow_ups=(FollowUp(text="线上用了 RoPE scaling 吗？"),), pitfalls=(Pitfall(text="只说并行更快"),))
    pit = policy.plan_follow_up(it, grade(3.0, pitfalls=("只说并行更快",)), 1)
    assert pit is not None and pit.kind == "pitfall"
    missed = policy.plan_follow_up(it, grade(6.0), 1)
    assert missed is not None and missed.kind == "probe" and missed.targets == ("要点二",)
    counter = policy.plan_follow_up(it, grade(9.0, ("covered", "covered")), 1)
    assert counter is not None and counter.kind == "counter" and counter.targets == ()
    assert policy.plan_follow_up(it, grade(6.0), 0) is None
    assert policy.plan_follow_up(it, grade(0.0, flags=("empty",)), 2) is None
    # the same follow-up is never asked twice
    assert policy.plan_follow_up(it, grade(9.0, ("covered", "covered")), 2, [counter]) is None


def test_final_score_combines_follow_up_and_caps_hints() -> None:
    g = grade(5.0)
    fu = FollowUpRecord(plan=FollowUpPlan(kind="missed", text="要点二", targets=("要点二",)), grade=grade(10.0))
    rec = QuestionRecord(item_id="q1", question="q", topic="注意力机制", difficulty=3, asked_text="q", grade=g, follow_ups=(fu,))
    assert policy.final_score(rec, 7.0) == 7.0  # 5 + 0.4 * 1.0 * 5
    assert policy.final_score(rec.model_copy(update={"hint_used": True, "grade": grade(9.0)}), 7.0) == 7.0
    assert policy.final_score(rec.model_copy(update={"skipped": True}), 7.0) == 0.0
    bad = FollowUpRecord(plan=fu.plan, grade=grade(0.0))
    assert policy.final_score(rec.model_copy(update={"follow_ups": (bad,)}), 7.0) == 5.0
