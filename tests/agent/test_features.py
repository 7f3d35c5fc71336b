"""Each grading feature on small cases: claims, cues, point coverage with aliases, misconceptions per
claim (and their margin against the right point), slots, exemplar neighbours, echo."""

from __future__ import annotations

from agent.grading.claims import antonym_swap, hedges, negated, negates_near, split_claims
from agent.grading.coverage import IdfTable
from agent.grading.features import FEATURES, bigram_cosine, compute, knn
from agent.grading.model import GradingContext, ReferencePoint
from agent.grading.ordered import ordered_support
from knowledge.schema import Exemplar, Misconception, Slot

Q = "softmax 为什么会数值不稳定？如何解决？"
CTX = GradingContext(
    points=(ReferencePoint(id="k1", text="exp 在输入较大时上溢为 inf", weight=2, aliases=("overflow", "溢出成 inf")),
            ReferencePoint(id="k2", text="每行减去最大值后再做 exp，结果不变", weight=2, aliases=("减去 max", "x - max(x)")),
            ReferencePoint(id="k3", text="分子分母同乘常数，softmax 的值不变", weight=1)),
    misconceptions=(Misconception(id="m1", text="减去最小值让 exp 不下溢", why="应减去最大值：防止上溢", point="k2"),
                    Misconception(id="m2", text="加一个很小的 epsilon 就能防止溢出", why="epsilon 防除零，不防 exp 上溢")),
    slots=(Slot(id="s1", point="k2", right=("最大值", "max"), wrong=("最小值", "min("), why="减去的是最大值"),),
    exemplars=(Exemplar(score=9.5, kind="excellent", answer="exp 在 logit 大时会上溢成 inf，减去每行最大值后最大项为 e^0=1，结果不变。"),
               Exemplar(score=2.0, kind="fluent_wrong", answer="减去最小值可以让 exp 不下溢，这样 softmax 就稳定了。"),
               Exemplar(score=6.5, kind="good", answer="输入太大时 exp 会溢出，所以要减去最大值。")),
)
IDF = IdfTable([Q, *(p.text for p in CTX.points), "注意力 维度 方差", "学习率 warmup 预热"])


def f(answer: str, ctx: GradingContext = CTX):  # type: ignore[no-untyped-def]
    return compute(Q, answer, ctx, IDF)


def test_claims_keep_spans_into_the_answer() -> None:
    text = "exp 会溢出。所以减去最大值；结果不变\n这是第三句"
    claims = split_claims(text)
    assert [c.text for c in claims] == ["exp 会溢出", "所以减去最大值", "结果不变", "这是第三句"]
    assert all(text[c.start:c.end] == c.text for c in claims)


def test_cues() -> None:
    assert negated("这样不会溢出", "这样会溢出") and not negated("会溢出", "不会溢出吗")
    assert antonym_swap("减去最小值", "减去最大值") == "最大" and antonym_swap("减去最大值", "减去最大值") == ""
    assert hedges("可能是这样吧，我猜") == 2


def test_aliases_count_as_the_point() -> None:
    plain = f("数值太大的时候会 overflow，要先 x - max(x)。")
    assert plain.values["coverage"] > 0.5
    nothing = f("学习率要用 warmup 预热。")
    assert nothing.values["coverage"] == 0.0


def test_misconception_is_found_in_its_claim_and_not_in_the_right_answer() -> None:
    wrong = f("exp 容易出问题。做法是先减去最小值，这样 exp 不会下溢，结果不变。")
    right = f("exp 在输入较大时会上溢为 inf。做法是每行减去最大值再做 exp，分子分母同乘常数，结果不变。")
    assert wrong.misconceptions and wrong.misconceptions[0].misconception.id == "m1"
    s, e = wrong.misconceptions[0].span
    assert "最小值" in "exp 容易出问题。做法是先减去最小值，这样 exp 不会下溢，结果不变。"[s:e]
    assert wrong.values["mis_strength"] > right.values["mis_strength"] + 0.3
    assert wrong.values["mis_core"] > 0  # m1 contradicts a main (weight-2) point


def test_negated_misconception_is_not_stated() -> None:
    stated = f("要减去最小值让 exp 不下溢。")
    denied = f("不是减去最小值让 exp 不下溢，而是减去最大值防止上溢。")
    assert denied.values["mis_strength"] < stated.values["mis_strength"]


def test_slots_check_the_value_deterministically() -> None:
    assert f("先减去最小值再做 exp。").values["slot_wrong"] == 1.0
    ok = f("先减去最大值再做 exp。")
    assert ok.values["slot_wrong"] == 0.0 and ok.values["slot_right"] == 1.0
    both = f("不是最小值，是减去最大值。")
    assert both.values["slot_wrong"] == 0.0


def test_exemplar_neighbours_carry_their_scores() -> None:
    near_wrong = f("减去最小值可以让 exp 不下溢，softmax 就稳定了。")
    near_right = f("logit 大时 exp 会上溢成 inf，减去每行最大值后最大项是 e^0=1，结果不变。")
    assert near_wrong.values["knn"] < 4 < near_right.values["knn"]
    assert near_wrong.values["knn_wrong_margin"] > 0 > near_right.values["knn_wrong_margin"]
    left_out = compute(Q, CTX.exemplars[0].answer, CTX, IDF, exclude_exemplar=CTX.exemplars[0].answer)
    assert left_out.values["knn_sim"] < 0.99  # training never sees an exemplar as its own neighbour
    assert knn([0.9, 0.1], [9.0, 1.0])[0] > 8.9 and bigram_cosine("abc", "abc") > 0.99


def test_echo_of_what_was_said() -> None:
    ctx = CTX.model_copy(update={"echo_of": ("如果输入里有一个很大的数，exp 之后会怎样？",)})
    echo = f("如果输入里有一个很大的数，exp 之后会怎样", ctx)
    assert echo.values["echo"] > 0.8
    assert f("会上溢成 inf，所以要减去最大值。", ctx).values["echo"] < 0.5


def test_no_material_is_a_feature_and_vectors_have_a_fixed_order() -> None:
    bare = CTX.model_copy(update={"misconceptions": (), "slots": (), "exemplars": ()})
    v = f("减去最大值。", bare)
    assert v.values["no_material"] == 1.0 and v.values["mis_strength"] == 0.0
    assert len(v.vector()) == len(FEATURES) and v.vector()[0] == 1.0


def test_far_neighbours_shrink_toward_the_prior() -> None:
    # every exemplar far away (an answer to another question): the neighbours say nothing
    far, _ = knn([0.06, 0.05, 0.04], [9.5, 7.0, 2.0])
    assert abs(far - (9.5 + 7.0 + 2.0) / 3) < 0.1
    assert abs(knn([0.06, 0.05], [9.5, 2.0], prior=5.0)[0] - 5.0) < 0.05
    near, sim = knn([0.6, 0.05], [9.5, 2.0], prior=5.0)
    assert near > 9.3 and sim == 0.6
    unrelated = f("学习率要用 warmup 预热，先小后大。")
    assert 4.5 < unrelated.values["knn"] < 6.5  # the mean of the exemplars (6.0), not the least-far one's score


def test_a_recitation_of_the_reference_states_every_clause() -> None:
    from agent.grading.reference import reference_features

    ref = "softmax 有 exp，x 大时 exp 溢出变 inf；减去最大值，数值等价但稳定"
    recited = reference_features("softmax 里有 exp，x 大时 exp 溢出变 inf，所以减去最大值，数值等价但稳定。", ref, Q)
    rewritten = reference_features("softmax 里有 exp，x 大时 exp 溢出变 inf，所以要加一个 epsilon。", ref, Q)
    assert recited["ref_clause_min"] > 0.8 and recited["ref_precision"] > 0.6
    assert rewritten["ref_clause_min"] < 0.5 and rewritten["ref_recall"] > 0.3  # most words kept, one clause gone
    assert reference_features("", ref, Q)["ref_recall"] == 0.0


def test_a_claim_that_says_the_reference_the_other_way_round_is_a_conflict() -> None:
    from agent.grading.reference import clause_conflict, reference_conflicts

    ref = "注意力对输入 token 的排列天然不敏感（置换不变）。warmup 让学习率从小到大逐步升高。attention score 只与相对位置有关。"
    assert "敏感" in clause_conflict("注意力对输入 token 的排列天然敏感", "注意力对输入 token 的排列天然不敏感", ref)[1]
    assert clause_conflict("然后学习率从大到小逐步降低", "warmup 让学习率从小到大逐步升高", ref)[0] > 0.5
    assert clause_conflict("attention score 只与绝对位置有关", "attention score 只与相对位置有关", ref)[0] > 0.5
    assert clause_conflict("自注意力复杂度是 O(n)", "自注意力复杂度是 O(n²)", "自注意力复杂度是 O(n²)")[1].startswith("复杂度")
    # the same words said the right way, and a negation about another subject, are not conflicts
    assert clause_conflict("注意力对 token 的排列天然不敏感", "注意力对输入 token 的排列天然不敏感", ref) == (0.0, "")
    assert clause_conflict("buffer 不被优化器更新", "Parameter 会被优化器更新", "Parameter 会被优化器更新") == (0.0, "")
    answer = "位置编码很重要。注意力对输入 token 的排列天然敏感，所以要加位置编码。"
    hits = reference_conflicts([(0, len(answer), answer)], ref, "为什么需要位置编码？")
    assert hits and answer[hits[0][1][0]:hits[0][1][1]] == "注意力对输入 token 的排列天然敏感"


def test_a_conflict_with_the_reference_is_a_feature_and_is_linked_to_its_point() -> None:
    ctx = CTX.model_copy(update={"reference_text": "exp 在输入较大时上溢为 inf；每行减去最大值后再做 exp，结果不变"})
    wrong = f("exp 在输入较大时上溢为 inf，每行减去最小值后再做 exp，结果不变。", ctx)
    assert wrong.values["ref_contra"] > 0.5 and wrong.conflicts[0].point == "k2" and wrong.conflicts[0].core
    assert f("exp 在输入较大时上溢为 inf，每行减去最大值后再做 exp，结果不变。", ctx).values["ref_contra"] == 0.0


def test_a_claim_the_slot_finds_right_does_not_state_that_points_misconception() -> None:
    """An order-reversed misconception ("A = V − Q") shares every word with the right claim ("A = Q − V"):
    the deterministic slot of the same point decides, so the right formula is never called wrong."""
    q = "强化学习中策略函数和值函数是什么"
    ctx = GradingContext(
        points=(ReferencePoint(id="k4", text="优势 A(s,a)=Q(s,a)−V(s)，V(s)=Σ_a π(a|s)Q(s,a)", weight=1),),
        misconceptions=(Misconception(id="m5", text="优势函数 A = V − Q", why="方向反了：A=Q−V", point="k4"),),
        slots=(Slot(id="s1", point="k4", right=("Q-V", "Q−V", "Q(s,a)−V(s)"), wrong=("V-Q", "V−Q", "V(s)−Q(s,a)"),
                    why="优势是 Q 减 V"),),
    )
    idf = IdfTable([q, "优势函数 A = V − Q", "注意力 维度 方差", "学习率 warmup 预热"])
    right = compute(q, "优势函数 A(s,a)=Q(s,a)−V(s)，表示动作比平均好多少。", ctx, idf)
    assert not right.misconceptions and right.values["mis_strength"] == 0.0
    wrong = compute(q, "优势函数 A = V − Q，表示动作比平均好多少。", ctx, idf)
    assert wrong.misconceptions and wrong.misconceptions[0].misconception.id == "m5"
    assert wrong.values["slot_wrong"] == 1.0


def test_english_sentences_are_claims_of_their_own() -> None:
    text = "BERT is an encoder. It is pretrained with MLM, not next-token prediction. A ratio of 0.5 is fine"
    assert [c.text for c in split_claims(text)] == [
        "BERT is an encoder", "It is pretrained with MLM, not next-token prediction", "A ratio of 0.5 is fine"]


def test_an_english_wording_needs_its_subject_and_its_order() -> None:
    idf = IdfTable(["LayerNorm 对单个 token 的特征维归一化", "BatchNorm 在 batch 维上归一化", "注意力 维度", "学习率"])
    wrong = "LayerNorm normalizes across the batch"
    assert ordered_support(wrong, "LayerNorm normalizes each feature across the batch dimension", frozenset(), idf) == 1.0
    # the same words about another subject (a bag of words finds it: every word but one is there)
    assert ordered_support(wrong, "BatchNorm normalizes each feature across the batch", frozenset(), idf) == 0.0
    said_backwards = ordered_support(wrong, "Across the batch, LayerNorm normalizes", frozenset(), idf)
    assert 0.0 < said_backwards < 0.8


EN_CTX = GradingContext(
    points=(ReferencePoint(id="k1", text="LayerNorm 对单个 token 的特征维求均值方差", weight=2,
                           aliases=("LayerNorm normalizes over the features of each token",)),
            ReferencePoint(id="k2", text="BatchNorm 依赖 batch 统计量，小 batch 和变长序列不稳定", weight=1)),
    misconceptions=(Misconception(id="m1", text="LayerNorm 在 batch 维上求均值方差", why="那是 BatchNorm；LN 对每个 token 的特征维归一化",
                                  point="k1", aliases=("LayerNorm normalizes across the batch",)),),
)


def test_an_english_misconception_is_found_in_an_english_claim_and_not_in_a_right_one() -> None:
    q = "LayerNorm 和 BatchNorm 有什么区别？"
    idf = IdfTable([q, *(p.text for p in EN_CTX.points), "注意力 维度", "学习率 预热"])
    wrong = compute(q, "LayerNorm normalizes across the batch, so it needs large batches to work well.", EN_CTX, idf)
    assert wrong.misconceptions and wrong.misconceptions[0].misconception.id == "m1"
    right = compute(q, "LayerNorm normalizes over the features of each token. BatchNorm normalizes each feature "
                       "across the batch, which is unstable for small batches.", EN_CTX, idf)
    assert not right.misconceptions


def test_a_claim_word_for_word_in_the_reference_is_never_a_misconception() -> None:
    from agent.grading.reference import said_in_reference

    ref = "Decoder 通过 cross-attention 与 Encoder 交互。其中 Query 来自 Decoder，Key 和 Value 来自 Encoder 的输出。"
    assert said_in_reference("其中 query 来自 decoder, key 和 value 来自 encoder 的输出", ref)  # case, spaces, punctuation
    assert not said_in_reference("其中 Query 来自 Encoder，Key 和 Value 来自 Decoder 的输出", ref)  # same words, swapped
    assert not said_in_reference("来自", ref)  # too short to say anything
    # a passage the material marks as a mistake of the document is not exempt
    assert said_in_reference("Decoder 通过 cross-attention 与 Encoder 交互", ref, errors=("Key 和 Value",))
    assert not said_in_reference("其中 Query 来自 Decoder，Key 和 Value 来自 Encoder 的输出", ref, errors=("Key 和 Value",))
    swap = Misconception(id="m1", text="cross-attention 里 Q 来自 encoder，K、V 来自 decoder", why="Q 来自 decoder",
                         point="k1")
    ctx = GradingContext(points=(ReferencePoint(id="k1", text="Query 来自 Decoder，Key 和 Value 来自 Encoder 的输出"),),
                         misconceptions=(swap,), reference_text=ref)
    idf = IdfTable([ref, swap.text, "注意力 维度 方差"])
    q = "Encoder 和 Decoder 如何交互？"
    recited = compute(q, "其中 Query 来自 Decoder，Key 和 Value 来自 Encoder 的输出。", ctx, idf)
    swapped = compute(q, "其中 Query 来自 Encoder，Key 和 Value 来自 Decoder 的输出。", ctx, idf)
    assert not recited.misconceptions
    assert swapped.misconceptions and swapped.misconceptions[0].misconception.id == "m1"


def test_a_claim_in_the_right_points_word_order_does_not_state_a_swapped_misconception() -> None:
    from agent.grading.ordered import order_kept

    right = "SmoothQuant 把激活的离群值通过缩放迁移到权重上"
    swapped = "SmoothQuant 是把权重的离群值迁移到激活上"
    idf = IdfTable([right, swapped, "量化 误差 舍入", "注意力 维度 方差"])
    assert abs(order_kept(right, right, idf)[1] - 1.0) < 1e-9
    assert order_kept(swapped, right, idf)[1] < 0.9  # every word shared, not in the same order
    assert order_kept("量化误差", right, idf)[0] < 3  # too little in common to compare order
    ctx = GradingContext(points=(ReferencePoint(id="k1", text=right, weight=2),),
                         misconceptions=(Misconception(id="m1", text=swapped, why="是激活的离群值迁移到权重", point="k1"),))
    q = "SmoothQuant 做了什么？"
    assert not compute(q, "SmoothQuant 把激活的离群值通过缩放迁移到权重上，使 W8A8 可行。", ctx, idf).misconceptions
    assert compute(q, "SmoothQuant 把权重的离群值迁移到激活上，使 W8A8 可行。", ctx, idf).misconceptions


def test_a_claim_that_denies_the_misconception_does_not_state_it() -> None:
    ctx = GradingContext(points=(ReferencePoint(id="k1", text="off-policy 指采样策略与被优化策略不同", weight=2),),
                         misconceptions=(Misconception(id="m1", text="off-policy 就是 offline RL", why="二者不同", point="k1"),))
    idf = IdfTable(["off-policy offline RL 策略", "注意力 维度 方差"])
    q = "on-policy 和 off-policy 的区别？"
    denied = compute(q, "off-policy 不等于 offline RL，也可以在线采样。", ctx, idf).misconceptions
    stated = compute(q, "off-policy 就是 offline RL，用离线数据训练。", ctx, idf).misconceptions
    assert stated and (not denied or denied[0].strength < 0.5 * stated[0].strength)
    for cue in ("不等于", "不同于", "不意味着", "不代表"):
        assert negates_near(f"off-policy {cue} offline RL", ["offline"])


def test_a_claim_that_states_a_misconception_without_its_consequence_still_states_it() -> None:
    from agent.grading.features import _with_heads

    mis = "Decoder-only 的注意力是双向的，所以理解能力更强"
    assert _with_heads((mis,)) == [mis, "Decoder-only 的注意力是双向的"]
    assert _with_heads(("短，所以很长的后果",)) == ["短，所以很长的后果"]  # a head too short to be a claim
    ctx = GradingContext(points=(ReferencePoint(id="k1", text="decoder-only 用因果注意力，每个位置只看左侧", weight=2),),
                         misconceptions=(Misconception(id="m1", text=mis, why="decoder-only 是单向的因果注意力", point="k1"),))
    idf = IdfTable([mis, "decoder-only 因果注意力 左侧", "注意力 维度 方差", "训练 推理 显存"])
    q = "为什么现在的大模型多是 decoder-only？"
    stated = compute(q, "而且 decoder-only 的注意力是双向的，每个位置能看到整个序列，所以效果更好。", ctx, idf)
    assert stated.misconceptions and stated.misconceptions[0].strength >= 0.4
    # the head alone is matched only about its own subject
    other = compute(q, "双向注意力矩阵更容易低秩，表达能力可能受限。", ctx, idf)
    assert not other.misconceptions or other.misconceptions[0].strength < 0.3
