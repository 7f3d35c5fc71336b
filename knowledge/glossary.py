"""Equivalent terms of the domain (Chinese / English / abbreviation), for query expansion.

Candidates mix languages freely ("为啥 LN 比 BN 好", "旋转位置编码"), so a query is expanded with the
other names of every term it uses before dense and lexical retrieval. Written from the field's
standard vocabulary, not from the evaluation queries.
"""

from __future__ import annotations

import re
from functools import lru_cache

GROUPS: tuple[tuple[str, ...], ...] = (
    ("LayerNorm", "层归一化", "LN", "layer normalization"),
    ("BatchNorm", "批归一化", "BN", "batch normalization"),
    ("RMSNorm", "均方根归一化"),
    ("GroupNorm", "组归一化", "group normalization"),
    ("InstanceNorm", "实例归一化", "instance normalization"),
    ("多头注意力", "multi-head attention", "MHA", "多头"),
    ("自注意力", "self-attention", "self attention"),
    ("交叉注意力", "cross-attention", "cross attention"),
    ("稀疏注意力", "sparse attention"),
    ("线性注意力", "linear attention"),
    ("缩放点积", "scaled dot-product", "scaled", "除以根号", "√d_k", "根号dk", "sqrt(d_k)"),
    ("位置编码", "positional encoding", "position embedding", "位置嵌入", "PE"),
    ("旋转位置编码", "RoPE", "rotary position embedding", "rotary"),
    ("ALiBi", "线性偏置", "attention with linear biases"),
    ("长度外推", "length extrapolation", "外推"),
    ("前馈网络", "FFN", "feed-forward", "feed forward", "MLP"),
    ("残差连接", "residual connection", "残差", "skip connection"),
    ("梯度消失", "vanishing gradient"),
    ("梯度爆炸", "exploding gradient"),
    ("梯度裁剪", "gradient clipping", "梯度截断"),
    ("学习率预热", "warmup", "预热"),
    ("学习率", "learning rate", "LR"),
    ("混合精度", "mixed precision", "半精度", "FP16", "BF16"),
    ("混合专家", "MoE", "mixture of experts", "专家模型"),
    ("稠密模型", "dense model", "Dense"),
    ("因果掩码", "causal mask", "因果遮罩", "因果mask"),
    ("填充掩码", "padding mask", "填充遮罩", "padding"),
    ("掩码语言模型", "MLM", "masked language model", "完形填空"),
    ("因果语言模型", "CLM", "causal language model", "自回归语言模型"),
    ("自回归", "autoregressive"),
    ("仅解码器", "decoder-only", "decoder only"),
    ("仅编码器", "encoder-only", "encoder only"),
    ("编码器-解码器", "encoder-decoder"),
    ("键值缓存", "KV Cache", "KV缓存", "kv cache"),
    ("分组查询注意力", "GQA", "grouped-query attention", "group query attention"),
    ("多查询注意力", "MQA", "multi-query attention"),
    ("多头潜在注意力", "MLA", "multi-head latent attention", "多头隐变量注意力"),
    ("闪存注意力", "FlashAttention", "Flash-Attention", "flash attention"),
    ("分页注意力", "PagedAttention"),
    ("连续批处理", "continuous batching", "动态批处理", "dynamic batching"),
    ("低秩适配", "LoRA", "low-rank adaptation"),
    ("参数高效微调", "PEFT"),
    ("监督微调", "SFT", "指令微调", "instruction tuning"),
    ("人类反馈强化学习", "RLHF"),
    ("直接偏好优化", "DPO", "direct preference optimization"),
    ("近端策略优化", "PPO", "proximal policy optimization"),
    ("过程奖励模型", "PRM", "过程监督"),
    ("困惑度", "perplexity", "PPL"),
    ("交叉熵", "cross-entropy", "cross entropy"),
    ("分词器", "tokenizer", "分词"),
    ("字节对编码", "BPE", "byte pair encoding", "BBPE"),
    ("知识蒸馏", "distillation", "蒸馏"),
    ("量化", "quantization", "INT8", "INT4"),
    ("剪枝", "pruning"),
    ("迁移学习", "transfer learning"),
    ("增量预训练", "continued pretraining", "继续预训练"),
    ("预训练", "pretraining", "pre-training"),
    ("微调", "fine-tuning", "finetune", "fine tune"),
    ("显存带宽", "memory bandwidth", "带宽"),
    ("计算量", "FLOPs", "浮点运算"),
    ("参数量", "parameters", "参数规模"),
    ("激活函数", "activation function", "激活"),
    ("状态空间模型", "Mamba", "SSM", "state space model"),
    ("视觉Transformer", "ViT", "vision transformer"),
    ("强化学习", "reinforcement learning", "RL"),
    ("策略函数", "policy", "策略"),
    ("价值函数", "value function", "值函数"),
    ("对数求和指数", "logsumexp", "log-sum-exp"),
    ("数值稳定", "numerical stability", "溢出", "overflow"),
    ("循环神经网络", "RNN", "LSTM", "循环网络"),
    ("卷积神经网络", "CNN", "卷积网络", "卷积"),
    ("权重衰减", "weight decay"),
    ("权重共享", "weight sharing", "weight tying", "参数共享"),
    ("数据污染", "contamination", "泄漏", "数据泄露"),
    ("预填充", "prefill"),
    ("解码阶段", "decode"),
    ("张量形状", "shape", "维度"),
    ("广播", "broadcasting", "broadcast"),
    ("连续内存", "contiguous"),
    ("重复生成", "repetition", "复读"),
    ("零冗余优化器", "ZeRO", "DeepSpeed"),
    ("教师强制", "teacher forcing"),
    ("标签平滑", "label smoothing"),
    ("适配器", "Adapter"),
    ("前缀微调", "prefix-tuning", "prefix tuning"),
    ("提示微调", "prompt-tuning", "prompt tuning", "P-tuning"),
    ("长尾分布", "long tail", "长尾"),
    ("端到端", "end-to-end", "end to end"),
    ("大海捞针", "needle in a haystack", "needle"),
)


@lru_cache(maxsize=1)
def _pattern() -> tuple[re.Pattern[str], dict[str, tuple[str, ...]]]:
    index: dict[str, tuple[str, ...]] = {}
    for group in GROUPS:
        for term in group:
            index.setdefault(term.lower(), group)
    terms = sorted(index, key=len, reverse=True)
    alts = "|".join(
        (r"(?<![A-Za-z])" + re.escape(t) + r"(?![A-Za-z])") if re.fullmatch(r"[A-Za-z0-9 .\-_()√]+", t) else re.escape(t)
        for t in terms
    )
    return re.compile(alts, re.I), index


def expand(text: str, limit: int = 12) -> str:
    """``text`` followed by the other names of the terms it mentions (at most ``limit`` extra names)."""
    pattern, index = _pattern()
    seen_groups: list[tuple[str, ...]] = []
    for m in pattern.finditer(text):
        group = index[m.group(0).lower()]
        if group not in seen_groups:
            seen_groups.append(group)
    lowered = text.lower()
    extra = [t for g in seen_groups for t in g[:3] if t.lower() not in lowered][:limit]
    return f"{text}（{' '.join(extra)}）" if extra else text


def _term_regex(term: str) -> str:
    if re.fullmatch(r"[A-Za-z][A-Za-z0-9 \-]*", term):
        suffix = r"(?:s|es|d|ed|ing|ly|ation|ations|ize|izes|ized)?" if len(term) >= 4 else ""
        return r"(?<![A-Za-z])" + re.escape(term) + suffix + r"(?![A-Za-z])"
    if re.fullmatch(r"[A-Za-z0-9 .\-_()√]+", term):
        return r"(?<![A-Za-z0-9])" + re.escape(term) + r"(?![A-Za-z0-9])"
    return re.escape(term)


class TermMatcher:
    """Finds which synonym groups a text mentions (word boundaries for Latin terms, English inflections).

    A plain substring test per term first (fast, in C); the boundary-aware regex runs only for the
    few Latin terms actually present.
    """

    def __init__(self, groups: tuple[tuple[str, ...], ...]) -> None:
        self.groups = groups
        index: dict[str, int] = {}
        for n, group in enumerate(groups):
            for term in group:
                index.setdefault(term.lower(), n)
        self._index = index
        self._terms = [
            (t, g, re.compile(_term_regex(t), re.I) if re.search(r"[A-Za-z0-9]", t) else None) for t, g in index.items()
        ]

    def groups_in(self, text: str) -> set[int]:
        """Leftmost-longest, non-overlapping matches (as a regex alternation of the terms would give)."""
        low = text.lower()
        spans: list[tuple[int, int, int]] = []
        for term, group, pattern in self._terms:
            if term not in low:
                continue
            if pattern is None:
                start = low.find(term)
                while start != -1:
                    spans.append((start, -(start + len(term)), group))
                    start = low.find(term, start + 1)
            else:
                spans.extend((m.start(), -m.end(), group) for m in pattern.finditer(text))
        found: set[int] = set()
        pos = 0
        for start, neg_end, group in sorted(spans):
            if start >= pos:
                found.add(group)
                pos = -neg_end
        return found
