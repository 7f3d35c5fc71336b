"""The small fixed taxonomy of canonical topics every question belongs to (filters, charts, spread).

A document keeps its own heading as the item's ``section``; ``topic`` is one of these, so "Transformer
Interview Prep" and "Transformer 架构基础" do not become two topics in a filter.
"""

from __future__ import annotations

from enum import StrEnum


class Topic(StrEnum):
    ATTENTION = "attention"
    POSITION = "position"
    NORM_RESIDUAL = "norm_residual"
    ARCHITECTURE = "architecture"
    TRAINING = "training"
    NUMERICS = "numerics"
    DISTRIBUTED = "distributed"
    PEFT = "peft"
    ALIGNMENT = "alignment"
    INFERENCE = "inference"
    TOKENIZATION = "tokenization"
    EVALUATION = "evaluation"
    PYTORCH = "pytorch"
    OPEN = "open"


TOPIC_LABELS: dict[Topic, tuple[str, str]] = {
    Topic.ATTENTION: ("注意力机制", "Attention"),
    Topic.POSITION: ("位置编码", "Positional encoding"),
    Topic.NORM_RESIDUAL: ("归一化与残差", "Normalisation & residuals"),
    Topic.ARCHITECTURE: ("模型结构", "Model architecture"),
    Topic.TRAINING: ("训练与优化", "Training & optimisation"),
    Topic.NUMERICS: ("数值稳定性", "Numerical stability"),
    Topic.DISTRIBUTED: ("分布式与显存", "Distributed training & memory"),
    Topic.PEFT: ("微调与 PEFT", "Fine-tuning & PEFT"),
    Topic.ALIGNMENT: ("对齐与强化学习", "Alignment & RL"),
    Topic.INFERENCE: ("推理优化与部署", "Inference & deployment"),
    Topic.TOKENIZATION: ("分词与数据", "Tokenisation & data"),
    Topic.EVALUATION: ("评估", "Evaluation"),
    Topic.PYTORCH: ("PyTorch 实践", "PyTorch practice"),
    Topic.OPEN: ("开放问题", "Open questions"),
}

_BY_ZH = {zh: t for t, (zh, _en) in TOPIC_LABELS.items()}


def topic_label(topic: Topic | str, lang: str = "zh") -> str:
    """Display name of a canonical topic; an unknown string is shown as it is."""
    try:
        t = Topic(topic)
    except ValueError:
        return str(topic)
    zh, en = TOPIC_LABELS[t]
    return en if lang == "en" else zh


def parse_topic(value: str) -> Topic:
    """A topic from its id ("attention") or its Chinese name ("注意力机制")."""
    value = value.strip()
    if value in _BY_ZH:
        return _BY_ZH[value]
    return Topic(value)


_KEYWORDS: tuple[tuple[Topic, tuple[str, ...]], ...] = (
    (Topic.PEFT, ("lora", "qlora", "adapter", "peft", "prefix", "p-tuning", "微调", "adalora")),
    (Topic.ALIGNMENT, ("rlhf", "ppo", "dpo", "grpo", "奖励", "reward", "对齐", "强化学习", "偏好", "r1")),
    (Topic.POSITION, ("位置编码", "rope", "alibi", "外推", "position", "旋转")),
    (Topic.NORM_RESIDUAL, ("layernorm", "rmsnorm", "归一化", "残差", "pre-ln", "post-ln", "batchnorm", "norm")),
    (Topic.NUMERICS, ("nan", "溢出", "数值", "fp16", "bf16", "精度", "inf", "下溢")),
    (Topic.DISTRIBUTED, ("zero", "deepspeed", "fsdp", "并行", "显存", "分布式", "megatron", "checkpointing")),
    (Topic.INFERENCE, ("kv cache", "量化", "推理", "vllm", "flash", "投机", "speculative", "部署", "解码", "beam")),
    (Topic.TOKENIZATION, ("token", "bpe", "wordpiece", "分词", "词表", "数据", "sentencepiece")),
    (Topic.EVALUATION, ("评估", "ppl", "困惑度", "bleu", "rouge", "benchmark", "评测", "幻觉")),
    (Topic.PYTORCH, ("pytorch", "tensor", "view", "contiguous", "autograd", "no_grad", "dataloader", "代码")),
    (Topic.ATTENTION, ("attention", "注意力", "qkv", "q/k/v", "多头", "mha", "gqa", "mqa", "softmax")),
    (Topic.TRAINING, ("优化器", "adam", "学习率", "warmup", "梯度", "loss", "训练", "过拟合", "dropout")),
    (Topic.ARCHITECTURE, ("transformer", "moe", "ffn", "decoder", "encoder", "gpt", "bert", "llama", "架构")),
)


def guess_topic(text: str) -> Topic:
    """A canonical topic for an item without authored material, from keywords of its question and
    section (first match in a fixed priority order; 开放问题 when nothing matches)."""
    low = text.lower()
    for topic, words in _KEYWORDS:
        if any(w in low for w in words):
            return topic
    return Topic.OPEN
