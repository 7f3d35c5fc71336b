"""`mianshi eval …`: batch grading of answer transcripts, and agreement with human labels.

``mianshi eval INPUT… --out DIR`` is short for ``mianshi eval run INPUT… --out DIR``.
"""

from __future__ import annotations

import os

# The offline embedder is an OpenMP C engine. With the default (spinning) wait policy a busy machine
# makes every query embedding ~100x slower (1.7 s instead of 15 ms on 2 loaded cores); passive waiting
# costs nothing when the machine is idle. Must be set before the engine is loaded.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import difflib
import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from typer.core import TyperGroup

from agent.examiner import Examiner
from eval.batch import (
    NO_LLM,
    BatchOptions,
    BatchResult,
    EvalError,
    check_output,
    llm_configured,
    make_grader,
    open_kb,
    run_batch,
)
from eval.inputs import AnswerRow, InputProblem
from eval.labelled import AgreementRun, load_labelled, run_agreement
from eval.report import Summary
from eval.workers import ENV as WORKERS_ENV
from eval.workers import parse_workers
from ui.console import err, out, stage_progress

MAX_WARNINGS = 20


def cn(text: str) -> str:
    """Help text with a space after Chinese punctuation, so terminals can wrap it instead of cutting it."""
    return re.sub(r"([，；。：、）])(?=\w)", r"\1 ", text)


class DefaultRunGroup(TyperGroup):
    """A group whose default command is ``run``: ``mianshi eval FILE --out DIR`` = ``mianshi eval run …``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h") and not self._typo(args[0]):
            args = ["run", *args]
        return super().parse_args(ctx, args)

    def _typo(self, word: str) -> bool:
        """A misspelt command (``agreemnt``) rather than a file: let click say so."""
        return not Path(word).exists() and bool(difflib.get_close_matches(word, list(self.commands), cutoff=0.75))


app = typer.Typer(
    cls=DefaultRunGroup,
    no_args_is_help=True,
    help=cn("批量评分与评分器一致性 / batch grading.\n\n"
    "mianshi eval INPUT… --out DIR 等同于 mianshi eval run INPUT… --out DIR。"),
)


class GraderName(StrEnum):
    rubric = "rubric"
    llm = "llm"
    auto = "auto"


class InputFormat(StrEnum):
    auto = "auto"
    jsonl = "jsonl"
    json = "json"
    csv = "csv"
    md = "md"


class SplitName(StrEnum):
    dev = "dev"
    test = "test"
    all = "all"


GraderOption = Annotated[GraderName | None, typer.Option(
    "--grader", help=cn("评分器：rubric 离线规则评分，无需 API Key；llm 每题都用大模型评分；auto 先离线评分，"
    "只把离线评分没把握（uncertain）的回答交给大模型。llm/auto 需要 OPENAI_API_KEY / OPENAI_BASE_URL，"
    "未配置则报错退出，绝不给假分数。默认：配置了大模型时为 auto，否则 rubric"), show_default=False)]
ConcurrencyOption = Annotated[int, typer.Option(
    "--concurrency", "-j", min=1, max=64, help=cn("并发评分线程数。输出始终按输入顺序，结果与顺序评分相同；"
    "大模型评分时调大可提速"))]


def fatal(message: str) -> NoReturn:
    err.print(f"[bold red]错误[/bold red] {escape(message)}")
    raise typer.Exit(2)


def resolve_grader(grader: GraderName | None) -> GraderName:
    """None chosen: auto when an endpoint is configured, else rubric."""
    if grader is None:
        return GraderName.auto if llm_configured() else GraderName.rubric
    return grader


def open_examiner(grader: GraderName | None) -> Examiner:
    """The examiner on MIANSHI_HOME's bank (built first, with progress, on first use) with the chosen
    grader (none chosen: auto when an endpoint is configured, else rubric); a missing LLM configuration
    is reported before anything is built."""
    grader = resolve_grader(grader)
    if grader in (GraderName.llm, GraderName.auto) and not llm_configured():
        fatal(NO_LLM)
    kb = open_kb()
    if not kb.is_built():
        err.print("[bold]首次使用：正在构建题库…[/bold]")
        with stage_progress() as progress:
            kb.build(progress=progress)  # type: ignore[arg-type]
    examiner = Examiner(kb)
    try:
        chosen = make_grader(grader.value, kb, examiner)
    except EvalError as exc:
        fatal(str(exc))
    return Examiner(kb, grader=chosen) if chosen is not None else examiner


def grading_bar() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    TextColumn("剩余"), TimeRemainingColumn(), console=err, transient=False)


class Warnings:
    """Prints the first warnings and counts the rest."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, problem: InputProblem) -> None:
        self.count += 1
        if self.count <= MAX_WARNINGS:
            err.print(f"[yellow]警告[/yellow] {escape(problem.render())}")

    def finish(self) -> None:
        if self.count > MAX_WARNINGS:
            err.print(f"[yellow]另有 {self.count - MAX_WARNINGS} 条警告未显示[/yellow]")


@app.command()
def run(
    inputs: Annotated[list[Path], typer.Argument(
        help=cn("回答文件或目录：JSONL/JSON（{question, answer, id?} 或 {turns: [...]} 会话）、"
        "CSV（表头 question,answer[,id]）、Markdown 记录（Q:/A:、问：/答：、面试官：/候选人：、## 问题 + 回答）"),
        show_default=False)],
    out_dir: Annotated[Path, typer.Option(
        "--out", "-o", help=cn("输出目录：写入 grades.jsonl、grades.csv、report.md、report.html"), show_default=False)],
    grader: GraderOption = None,
    fmt: Annotated[InputFormat, typer.Option(
        "--format", help=cn("输入格式：auto 按扩展名和内容识别，或强制 jsonl / json / csv / md"))]
    = InputFormat.auto,
    concurrency: ConcurrencyOption = 1,
    workers: Annotated[str | None, typer.Option(
        "--workers", help=cn("评分进程数：1–32 或 auto（CPU 核数），默认 1，也可用环境变量 MIANSHI_EVAL_WORKERS。"
        "大于 1 时由多个进程并行评分（每个进程 --concurrency 个线程），结果与单进程逐字节相同，"
        "仍按输入顺序写入、可 --resume"), show_default=False)] = None,
    resume: Annotated[bool, typer.Option(
        "--resume", help=cn("从中断处继续：保留已完成的行，丢弃末尾写了一半的行，只评剩下的。"
        "不加此项时，若已有结果，拒绝覆盖"))] = False,
    fail_under: Annotated[float | None, typer.Option(
        "--fail-under", min=0, max=10, help=cn("平均分低于该值时，以退出码 1 结束（用作 CI 门槛），如 6.0"))] = None,
) -> None:
    """批量评分：逐条匹配题库题目并评分，输出 grades.jsonl/csv 和 Markdown、HTML 报告。

    退出码：0 完成；1 平均分低于 --fail-under；2 无法进行（没有可评分的回答、输出目录已有结果、
    未配置大模型等）；130 被中断（已完成的结果已保存，加 --resume 继续）。
    """
    try:
        processes = parse_workers(workers) if workers is not None else parse_workers(os.environ.get(WORKERS_ENV),
                                                                                       WORKERS_ENV)
    except EvalError as exc:
        fatal(str(exc))
    grader = resolve_grader(grader)
    options = BatchOptions(out_dir=out_dir, fmt=fmt.value, concurrency=concurrency, resume=resume,  # type: ignore[arg-type]
                           workers=processes, grader=grader.value)
    try:
        check_output(options)
    except EvalError as exc:
        fatal(str(exc))
    examiner = open_examiner(grader)
    if processes > 1:
        cores = os.cpu_count() or 1
        more = f"（多于 CPU 核数 {cores}，不会更快）" if processes > cores else ""
        err.print(f"[dim]{processes} 个评分进程并行评分{more}[/dim]")
    warnings = Warnings()
    bar = grading_bar()
    task = bar.add_task("评分", total=None)

    def progress(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    def failure(row: AnswerRow, message: str) -> None:
        err.print(f"[red]评分出错[/red] {escape(row.source)}（{escape(row.id)}）：{escape(message)}")

    try:
        with bar:
            result = run_batch(inputs, options, examiner, on_problem=warnings, on_progress=progress,
                               on_failure=failure)
    except EvalError as exc:
        warnings.finish()
        fatal(str(exc))
    except OSError as exc:  # disk full, no permission… what is finished stays in grades.jsonl
        fatal(f"读写文件失败：{exc}。已完成的结果保存在 {out_dir / 'grades.jsonl'}，修复后加 --resume 继续。")
    except KeyboardInterrupt:
        err.print(f"[yellow]已中断[/yellow]：已完成的结果保存在 {escape(str(out_dir / 'grades.jsonl'))}；"
                  "用同样的命令加 --resume 继续。")
        raise typer.Exit(130) from None
    warnings.finish()
    _print_run(result)
    assert result.summary is not None
    if result.summary.count == 0:
        fatal("没有任何回答评分成功（见上面的错误）。")
    if fail_under is not None:
        if result.summary.mean < fail_under:
            err.print(f"[bold red]未达标[/bold red]：平均分 {result.summary.mean:.2f} 低于 --fail-under {fail_under:g}")
            raise typer.Exit(1)
        out.print(f"[green]达标[/green]：平均分 {result.summary.mean:.2f} ≥ {fail_under:g}")


def _print_run(result: BatchResult) -> None:
    rec = result.recovery
    if rec.torn_bytes:
        err.print(f"[yellow]续跑[/yellow]：grades.jsonl 末尾有一行没写完（{rec.torn_bytes} 字节，上次中断所致），已丢弃并重新评分")
    if rec.bad_lines:
        err.print(f"[yellow]续跑[/yellow]：grades.jsonl 第 {', '.join(map(str, rec.bad_lines[:10]))} 行不是有效结果，已移除并重新评分")
    if result.extra:
        err.print(f"[yellow]续跑[/yellow]：grades.jsonl 中有 {result.extra} 条不在本次输入里，已保留并计入报告")
    if result.reordered:
        err.print("[yellow]续跑[/yellow]：已按输入顺序重排 grades.jsonl")
    assert result.summary is not None
    print_summary(result.summary)
    line = f"本次评分 {result.graded} 条"
    if result.skipped_done:
        line += f"，沿用已完成的 {result.skipped_done} 条"
    if result.problems:
        line += f"，跳过有问题的输入 {len(result.problems)} 处（见上方警告）"
    out.print(line + "。")
    fallback = result.summary.flags.get("llm_fallback", 0)
    if fallback:
        err.print(f"[yellow]{fallback} 条大模型评分失败，已改用离线评分[/yellow]（标记 llm_fallback，原因见各条反馈）")
    if result.failed:
        err.print(f"[red]{len(result.failed)} 条评分出错、未写入结果[/red]：修复后加 --resume 重试这些条目。")
    for path in result.files:
        out.print(f"  {escape(str(path))}")


def print_summary(s: Summary) -> None:
    table = Table(title="评分汇总")
    table.add_column("指标")
    table.add_column("值", justify="right")
    table.add_row("回答数", str(s.count))
    table.add_row("平均分", f"{s.mean:.2f}")
    table.add_row("中位数", f"{s.median:.2f}")
    table.add_row("最低 / 最高", f"{s.minimum:.1f} / {s.maximum:.1f}")
    for verdict, n in s.verdicts.items():
        table.add_row(verdict, str(n))
    table.add_row("未匹配题库", str(s.unmatched))
    out.print(table)
    topics = Table(title="各主题平均分（从低到高）")
    for col, justify in (("主题", "left"), ("回答数", "right"), ("平均分", "right")):
        topics.add_column(col, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for t in s.topics:
        topics.add_row(escape(t.topic), str(t.count), f"{t.mean:.2f}")
    out.print(topics)


@app.command("agreement")
def agreement_command(
    file: Annotated[Path, typer.Argument(
        help=cn("标注好的 JSONL：每行 {question, answer, label(0-10)}，可选 kind、split、question_ref、id；"
        "如 eval/datasets/gold.jsonl"), show_default=False)],
    split: Annotated[SplitName, typer.Option("--split", help=cn("只用该划分的行：dev / test / all（默认全部）"))]
    = SplitName.all,
    grader: GraderOption = None,
    concurrency: ConcurrencyOption = 1,
    as_json: Annotated[bool, typer.Option("--json", help=cn("以 JSON 输出一致性指标（Agreement 对象）"))] = False,
) -> None:
    """评分器与人工标注的一致性：Spearman、二次加权 Kappa（分数取整）、MAE、±1 分准确率，以及各类型的均值。"""
    try:
        rows, problems = load_labelled(file, split.value)  # type: ignore[arg-type]
    except EvalError as exc:
        fatal(str(exc))
    warnings = Warnings()
    for problem in problems:
        warnings(problem)
    warnings.finish()
    if not rows:
        fatal(f"{file} 中没有 split={split.value} 的有效标注行。")
    examiner = open_examiner(grader)
    bar = grading_bar()
    task = bar.add_task("评分", total=len(rows))
    try:
        with bar:
            result = run_agreement(rows, examiner, concurrency,
                                   on_progress=lambda done, total: bar.update(task, completed=done, total=total))
    except EvalError as exc:
        fatal(str(exc))
    for problem in result.problems:
        err.print(f"[red]评分出错[/red] {escape(problem.render())}")
    if as_json:
        print(result.agreement.model_dump_json(indent=1))
        return
    print_agreement(result, split.value)


def print_agreement(result: AgreementRun, split: str) -> None:
    a = result.agreement
    table = Table(title=f"评分一致性（split={split}，n={a.n}）")
    table.add_column("指标")
    table.add_column("值", justify="right")
    rows: list[tuple[str, Any]] = [("Spearman", a.spearman), ("QWK（二次加权 Kappa）", a.qwk), ("MAE", a.mae),
                                   ("±1 准确率", a.within_one)]
    for name, value in rows:
        table.add_row(name, f"{value:.3f}")
    out.print(table)
    kinds = Table(title="各类型")
    for col in ("类型", "数量", "平均标注分", "平均预测分"):
        kinds.add_column(col, justify="left" if col == "类型" else "right")
    for kind, (n, label, predicted) in a.per_kind.items():
        kinds.add_row(escape(kind), str(n), f"{label:.2f}", f"{predicted:.2f}")
    out.print(kinds)


@app.command("train-grader")
def train_grader_command(
    gold: Annotated[Path, typer.Option("--gold", help=cn("金标集；只读取其中 split=dev 的行（test 永不参与训练）"))]
    = Path("eval/datasets/gold.jsonl"),
    out_file: Annotated[Path | None, typer.Option("--out", help=cn("模型文件写到哪里（默认覆盖随包发布的 "
        "agent/grading/data/grader_model.json）"), show_default=False)] = None,
) -> None:
    """训练离线评分器的校准模型：用题库中编写好的分级示例答案、各题自己的参考答案（按 8.0 分）+ 金标集的 dev 划分，结果可逐字节复现。"""
    from agent.grading.calibrated import model_path
    from eval.train_grader import train

    if not gold.exists():
        fatal(f"找不到金标集 {gold}")
    examiner = open_examiner(GraderName.rubric)
    bar = grading_bar()
    task = bar.add_task("计算特征", total=None)
    with bar:
        report = train(examiner, gold, progress=lambda d, t: bar.update(task, completed=d, total=t))
    target = out_file or model_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(report.models.to_json(), encoding="utf-8")
    if out_file is None:
        from agent.grading.vectors import save_vectors, vectors_path

        n = save_vectors(vectors_path(), examiner.kb.bank().items, examiner.kb.embedder)
        out.print(f"已写入评分材料向量 {n} 条：{escape(str(vectors_path()))}")
    m = report.models.authored
    out.print(f"已写入 {escape(str(target))}：示例答案与参考答案 {report.exemplar_rows} 条 + 金标 dev {report.gold_rows} 条，"
              f"ridge={report.ridge:g}，示例答案权重 {report.exemplar_weight:g}，交叉验证 MAE={report.cv_mae:.3f}，错误说法阈值 {m.misconception_at:.3f}，"
              f"训练数据哈希 {m.training_hash}")


@app.command("simulate")
def simulate_command(
    persona: Annotated[list[str], typer.Option("--persona", "-p", help="模拟候选人：strong|partial|wrong|empty|gibberish|injection|repeat|all（可多次）")],
    n: Annotated[int, typer.Option("-n", min=1, max=200, help="每种候选人跑几场面试")] = 3,
    questions: Annotated[int, typer.Option("--questions", min=1, max=20, help="每场题数")] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """用模拟候选人跑完整面试，检查面试官的不变量（注入不加分、空答≤1、漏点会追问、不重复出题、每轮都保存）。

    在临时目录里记录历史，不影响你的面试记录。任一不变量失败则退出码为 1。
    """
    import json as _json

    from eval.simulate import PERSONAS, simulate
    from knowledge.kb import KnowledgeBase
    from knowledge.settings import KnowledgeSettings

    chosen = list(PERSONAS) if "all" in persona else persona
    unknown = [p for p in chosen if p not in PERSONAS]
    if unknown:
        fatal(f"未知的候选人类型：{', '.join(unknown)}（可选：{', '.join(PERSONAS)}、all）")
    kb = KnowledgeBase(KnowledgeSettings())
    kb.ensure_built()
    results = []
    with grading_bar() as bar:
        task = bar.add_task("模拟面试", total=n * len(chosen))
        for p in chosen:
            results.append(simulate(kb, p, n, questions, on_interview=lambda _: bar.advance(task)))
    if as_json:
        print(_json.dumps([r.model_dump() | {"ok": r.ok} for r in results], ensure_ascii=False, indent=1))
    else:
        table = Table(title="模拟候选人：不变量检查")
        for col in ("候选人", "场次", "回答", "平均分", "追问", "注入不加分", "空答≤1", "漏点追问", "不重复", "全部保存"):
            table.add_column(col)
        for r in results:
            cells = [f"{p}/{c}" if c else "-" for p, c in r.checks.values()]
            table.add_row(r.persona, str(r.interviews), str(r.answers), f"{r.mean_score:.2f}", str(r.follow_ups), *cells)
        out.print(table)
    if not all(r.ok for r in results):
        err.print("[red]有不变量未通过[/red]")
        raise typer.Exit(1)
