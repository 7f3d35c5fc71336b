"""A ten-item in-memory bank and a fake grader for driving the engine without Chroma or embeddings.

The fake grader is deliberately simple and visible: a point is covered when the answer contains one
of its aliases; a misconception is found when the answer contains its text; an answer that mostly
restates what the interviewer said (echo_of) is flagged ``echo`` and capped, as the real grader does.
"""

from __future__ import annotations

from agent.grading.model import Finding, Grade, GradingContext, KeyPointResult, ReferencePoint, verdict_for
from agent.policy import final_score  # noqa: F401  (re-exported for tests)
from knowledge.schema import FollowUp, KeyPoint, Misconception, QuestionItem, SourceRef
from knowledge.topics import Topic


def _item(n: int, question: str, points: list[tuple[str, str, str]], topic: Topic, *,
          misconceptions: tuple[Misconception, ...] = (), counter: str = "", material: str = "authored") -> QuestionItem:
    kps = tuple(KeyPoint(id=f"k{i + 1}", text=text, aliases=(alias,), probe=probe) for i, (text, alias, probe) in enumerate(points))
    return QuestionItem(
        id=f"t{n:02d}", question=question, reference_answer="；".join(k.text for k in kps) + "。", key_points=kps,
        misconceptions=misconceptions, follow_ups=(FollowUp(text=counter),) if counter else (), topic=topic,
        material=material,  # type: ignore[arg-type]
        difficulty=1 + n % 5, source=SourceRef(file=f"doc{n % 2}.md", line=n + 1, title=f"测试文档 {n % 2}"))


ITEMS: list[QuestionItem] = [
    _item(0, "为什么 attention 要除以根号 d_k？", [
        ("点积的方差随维度 d_k 线性增长导致数值变大", "方差", "如果 q 和 k 的每一维独立、方差为 1，它们的点积会有什么统计性质？"),
        ("数值过大时 softmax 进入饱和区梯度变得极小", "饱和", "softmax 的输入整体很大时，它的输出和梯度会怎样？"),
    ], Topic.ATTENTION, misconceptions=(Misconception(id="m1", text="为了让计算更快", why="缩放不改变计算量，它控制的是点积的方差", point="k1"),)),
    _item(1, "LayerNorm 和 BatchNorm 有什么区别？", [
        ("LayerNorm 在每个样本的特征维上做归一化", "特征维", "它们各自在张量的哪个维度上计算均值和方差？"),
        ("BatchNorm 依赖批统计量推理时要用滑动平均", "滑动平均", "推理时 batch 只有一个样本，BatchNorm 怎么办？"),
    ], Topic.NORM_RESIDUAL),
    _item(2, "RoPE 旋转位置编码的核心思想是什么？", [
        ("对 q 和 k 按位置角度做二维旋转", "旋转", ""),
        ("旋转后内积只依赖相对位置差", "相对位置", ""),
    ], Topic.POSITION, material="derived"),
    _item(3, "LoRA 为什么能减少微调的显存？", [
        ("只训练低秩矩阵 A 和 B 冻结原始权重", "低秩", "训练时哪些参数需要梯度和优化器状态？"),
        ("B 初始化为零保证训练开始时输出不变", "初始化为零", "训练刚开始时，加上旁路后模型的输出和原来一样吗？为什么？"),
    ], Topic.PEFT, counter="你在项目里用 LoRA 时 rank 怎么选？"),
    _item(4, "KV Cache 为什么能加速自回归推理？", [
        ("缓存历史 token 的键和值避免重复计算", "缓存", "生成第 t 个 token 时，前面 token 的哪些中间结果是不变的？"),
        ("显存随序列长度线性增长", "线性增长", "序列越来越长时，这个缓存的代价是什么？"),
    ], Topic.INFERENCE),
    _item(5, "混合精度训练中为什么需要 loss scaling？", [
        ("FP16 的表示范围小很小的梯度会下溢成零", "下溢", "FP16 能表示的最小正数大概在什么量级？"),
        ("先把 loss 放大再反向传播最后把梯度缩回", "放大", "如果梯度太小，有什么办法在反向传播前后处理？"),
    ], Topic.NUMERICS),
    _item(6, "ZeRO 的三个阶段分别切分了什么？", [
        ("阶段一切分优化器状态", "优化器状态", "显存里占大头的除了参数，还有什么？"),
        ("阶段二再切分梯度阶段三再切分参数", "切分梯度", "在它之后，还能继续切哪些张量？"),
    ], Topic.DISTRIBUTED),
    _item(7, "DPO 相比 RLHF 的 PPO 有什么优势？", [
        ("不需要单独训练奖励模型", "奖励模型", "PPO 的流程里需要先训练哪个额外的模型？"),
        ("直接用偏好数据优化策略训练更稳定", "偏好数据", "它用什么数据、以什么形式直接更新策略？"),
    ], Topic.ALIGNMENT),
    _item(8, "BPE 分词是怎么构建词表的？", [
        ("从字符开始反复合并出现频率最高的相邻符号对", "合并", "词表一开始由什么组成？之后怎么扩充？"),
        ("直到词表达到预设大小", "预设大小", "这个过程什么时候停止？"),
    ], Topic.TOKENIZATION),
    _item(9, "PyTorch 里 view 和 reshape 有什么区别？", [
        ("view 要求张量内存连续", "内存连续", "对一个转置过的张量调用 view 会发生什么？"),
        ("reshape 在不连续时会拷贝数据", "拷贝", "如果内存不连续，reshape 怎么处理？"),
    ], Topic.PYTORCH),
]


def _chars(text: str) -> set[str]:
    return {c for c in text if not c.isspace() and c not in "，。？！、,.?!：:；;「」（）()"}


class FakeGrader:
    """Records each call; grades by alias containment (see module docstring)."""

    name = "fake"

    def __init__(self, items: list[QuestionItem] = ITEMS) -> None:
        self.by_id = {i.id: i for i in items}
        self.calls: list[tuple[str, str, GradingContext]] = []

    def __call__(self, item: QuestionItem, answer: str, ctx: GradingContext) -> Grade:
        return self.grade(item, answer, ctx)

    def grade(self, item: QuestionItem | None, answer: str, ctx: GradingContext) -> Grade:
        assert item is not None
        self.calls.append((item.id, answer, ctx))
        aliases = {k.text: k.aliases for k in item.key_points}
        results = []
        for p in ctx.points:
            hit = next((a for a in (*aliases.get(p.text, ()), *p.aliases) if a and a in answer), "")
            results.append(KeyPointResult(id=p.id, text=p.text, verdict="covered" if hit else "missed", evidence=hit))
        found = tuple(Finding(text=m.text, claim=m.text, why=m.why, point=m.point) for m in item.misconceptions
                      if m.text in answer)
        flags: list[str] = []
        score = 10.0 * sum(r.verdict == "covered" for r in results) / max(len(results), 1)
        if not answer.strip():
            flags.append("empty")
            score = 0.0
        said = [s for s in ctx.echo_of if s]
        a = _chars(answer)
        if a and any(len(a & _chars(s)) / len(a) >= 0.75 for s in said):
            flags.append("echo")
            score = min(score, 1.5)
        if found:
            flags.append("misconception")
            score = min(score, 3.0)
        if ctx.score_cap is not None:
            score = min(score, ctx.score_cap)
        return Grade(score=score, verdict=verdict_for(score), key_points=tuple(results), flags=tuple(flags),
                     misconceptions=found, grader="fake", grader_version="1", item_id=item.id)


def context_fn(item: QuestionItem, cap: float | None) -> GradingContext:
    points = tuple(ReferencePoint(id=k.id, text=k.text, aliases=k.aliases, probe=k.probe) for k in item.key_points)
    return GradingContext(points=points, reference_text=item.reference_answer, score_cap=cap,
                          misconceptions=item.misconceptions, material=item.material)
