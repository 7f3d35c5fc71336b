"""Bilingual vocabulary for grading: the glossary's terms plus everyday ML words in Chinese and English,
so an English answer meets Chinese key points on meaning ("gradient" = 梯度, "memory" = 显存)."""

from __future__ import annotations

from functools import lru_cache

from knowledge.glossary import GROUPS, TermMatcher

WORDS: tuple[tuple[str, ...], ...] = (
    ("梯度", "gradient", "grad"), ("显存", "memory", "VRAM", "内存"), ("并行", "parallel", "parallelism", "并行化"),
    ("串行", "sequential", "serial", "逐步"), ("序列", "sequence", "seq"), ("长度", "length", "长文本", "long context"),
    ("矩阵", "matrix", "matrices"), ("维度", "dimension", "dim", "维"), ("方差", "variance"), ("均值", "mean", "average"),
    ("训练", "training", "train"), ("推理", "inference", "生成阶段"), ("权重", "weight"), ("参数", "parameter", "param"),
    ("优化器", "optimizer", "optimiser"), ("动量", "momentum"), ("稀疏", "sparse", "sparsity"), ("专家", "expert"),
    ("路由", "router", "routing", "gate", "门控"), ("负载均衡", "load balancing", "load balance", "balance"),
    ("归一化", "normalize", "normalise", "normalization", "norm"), ("特征", "feature"), ("样本", "sample", "example"),
    ("批", "batch"), ("稳定", "stable", "stability", "稳定性"), ("收敛", "converge", "convergence"),
    ("精度", "precision", "accuracy"), ("溢出", "overflow", "underflow", "下溢"), ("缓存", "cache", "caching", "cached"),
    ("带宽", "bandwidth"), ("低秩", "low-rank", "low rank", "rank"), ("冻结", "freeze", "frozen"),
    ("编码器", "encoder"), ("解码器", "decoder"), ("查询", "query", "queries"), ("键", "key"), ("值", "value"),
    ("位置", "position", "positional"), ("相对", "relative"), ("绝对", "absolute"), ("旋转", "rotation", "rotate", "rotary"),
    ("频率", "frequency", "frequencies"), ("词表", "vocabulary", "vocab"), ("损失", "loss"), ("标签", "label"),
    ("概率", "probability", "probabilities"), ("分布", "distribution"), ("采样", "sampling", "sample"),
    ("温度", "temperature"), ("奖励", "reward"), ("偏好", "preference", "preferred"), ("恒等", "identity"),
    ("捷径", "shortcut"), ("连乘", "product of", "multiply", "multiplied", "连续相乘", "乘积"), ("非线性", "nonlinear", "non-linear", "nonlinearity"),
    ("拼接", "concat", "concatenate", "concatenation"), ("投影", "projection", "project", "linear layer", "线性层"),
    ("子空间", "subspace"), ("头", "head"), ("分块", "tile", "tiling", "block", "chunk"), ("片上", "SRAM", "on-chip"),
    ("高带宽显存", "HBM"), ("读写", "read", "write", "IO", "I/O"), ("重计算", "recompute", "recomputation"),
    ("计算", "compute", "computation", "calculate"), ("复杂度", "complexity", "O(n"), ("平方", "quadratic", "square", "n²", "n^2"),
    ("线性", "linear"), ("指数", "exponential", "exponentially", "exp"), ("消失", "vanish", "vanishing"), ("爆炸", "explode", "exploding"),
    ("层", "layer"), ("深层", "deep", "深度"), ("残差", "residual"), ("掩码", "mask", "masking", "遮罩"),
    ("未来", "future"), ("填充", "padding", "pad"), ("负无穷", "-inf", "negative infinity", "-1e9"),
    ("缩放", "scale", "scaling", "rescale"), ("平滑", "smooth", "smoothing"), ("随机", "random", "randomly"),
    ("丢弃", "drop", "dropout", "置零", "zero out"), ("过拟合", "overfit", "overfitting"), ("泛化", "generalize", "generalization"),
    ("正则", "regularization", "regularize", "penalty", "惩罚"), ("衰减", "decay"), ("解耦", "decouple", "decoupled", "拆开"),
    ("自适应", "adaptive"), ("预测", "predict", "prediction"), ("下一个", "next", "next-token"), ("右移", "shift", "shifted", "错开"),
    ("上下文", "context"), ("外推", "extrapolate", "extrapolation"), ("插值", "interpolate", "interpolation"),
    ("蒸馏", "distill"), ("教师", "teacher"), ("学生", "student"), ("数据", "data", "dataset", "语料", "corpus"),
    ("对齐", "align", "alignment"), ("人类", "human"), ("策略", "policy"), ("价值", "value function", "critic"),
    ("裁剪", "clip", "clipping", "截断"), ("比例", "ratio"), ("参考模型", "reference model", "ref model", "π_ref"),
    ("信息", "information", "info"), ("关系", "relation", "relationship", "dependency", "依赖"), ("模式", "pattern"),
    ("表达能力", "expressive", "expressiveness", "capacity", "表达"), ("统计量", "statistics", "stats"),
    ("共享", "share", "shared", "sharing"), ("分组", "group", "grouped"), ("压缩", "compress", "compression"),
    ("量化", "quantize", "quantized"), ("离群值", "outlier"), ("吞吐", "throughput"), ("延迟", "latency"),
    ("占用", "footprint", "usage"), ("瓶颈", "bottleneck", "bound", "memory-bound"), ("算力", "FLOPS", "compute-bound", "算术强度"),
    ("速度", "speed", "faster", "fast"), ("节省", "save", "saving", "reduce", "减少", "降低"), ("增加", "increase", "grow", "增大"),
    ("单向", "unidirectional", "left-to-right"), ("双向", "bidirectional"), ("理解", "understanding", "NLU"),
    ("生成", "generation", "generate", "generative"), ("顺序", "order", "ordering"), ("置换", "permutation", "permute"),
    ("连续", "contiguous", "continuous"), ("步长", "stride"), ("拷贝", "copy", "复制"), ("视图", "view"),
    ("广播", "broadcast"), ("形状", "shape"), ("token", "词元", "令牌"), ("嵌入", "embedding", "embed"),
    ("相似度", "similarity", "similar"), ("点积", "dot product", "dot-product", "inner product", "内积"),
    ("加权", "weighted", "weighted sum", "加权求和"), ("求和", "sum"), ("最大值", "max", "maximum"), ("减去", "subtract", "minus"),
    ("尖锐", "sharp", "peaky", "peaked", "one-hot"), ("饱和", "saturate", "saturated", "saturation"),
)


@lru_cache(maxsize=1)
def matcher() -> TermMatcher:
    return TermMatcher(GROUPS + WORDS)
