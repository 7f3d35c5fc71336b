"""Batch grading: answer files -> the Examiner -> ``grades.jsonl`` (input order, resumable) -> reports.

The display (progress bar, tables) belongs to the UI; it passes callbacks. Everything a user can get
wrong raises :class:`EvalError` with a Chinese message, never a traceback.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import threading
from collections import deque
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from agent.examiner import Examined, Examiner
from agent.grading.model import Grader
from agent.settings import AgentSettings
from eval.html_report import write_html
from eval.inputs import AnswerRow, Format, InputProblem, read_inputs
from eval.report import Reference, Summary, summarize, write_csv, write_markdown
from eval.results import GradedRow, KeyPointRow, Recovery, ResultsFile
from knowledge.embeddings import Embedder
from knowledge.kb import KnowledgeBase, make_embedder
from knowledge.settings import KnowledgeSettings

if TYPE_CHECKING:
    from eval.workers import WorkerSpec

GRADERS = ("rubric", "llm", "auto")
GRADES_FILE = "grades.jsonl"
NO_LLM = ("未配置大模型：请设置 OPENAI_API_KEY / OPENAI_BASE_URL（任意 OpenAI 兼容服务：OpenAI、DeepSeek、"
          "通义千问、Ollama、vLLM、llama.cpp server…；模型名用 MIANSHI_LLM_MODEL，且 MIANSHI_BACKEND 不能是 offline），"
          "或改用离线评分 --grader rubric。")


class EvalError(Exception):
    """A failure the user can fix; the message (Chinese) says how. The CLI exits with code 2."""


class GraderUnavailable(EvalError):
    pass


class ReportedFailure(Exception):
    """One answer's failure whose message already says what happened (e.g. from a worker process);
    reported as is, without the exception's type name."""


def failure_message(exc: Exception) -> str:
    return str(exc) if isinstance(exc, ReportedFailure) else f"{type(exc).__name__}: {exc}"


# graders and the knowledge base -------------------------------------------------------------------
def llm_configured() -> bool:
    """An OpenAI-compatible endpoint is configured (OPENAI_API_KEY / OPENAI_BASE_URL or their MIANSHI_
    forms) and MIANSHI_BACKEND is not ``offline``."""
    return AgentSettings().llm_configured


def make_grader(name: str, kb: KnowledgeBase, examiner: Examiner | None = None) -> Grader | None:
    """None for ``rubric`` (the Examiner's offline default); for ``llm`` the LLM grader, with the
    examiner's rubric grader as its flagged fallback (``llm_fallback``) when a call fails. Raises
    :class:`GraderUnavailable` when no LLM is configured or the LLM grader cannot be built — a batch is
    never graded with a made-up score."""
    if name == "rubric":
        return None
    if name not in ("llm", "auto"):
        raise GraderUnavailable(f"未知的评分器「{name}」：可选 {' / '.join(GRADERS)}")
    settings = AgentSettings()
    if not settings.llm_configured:
        raise GraderUnavailable(NO_LLM)
    try:
        llm_grader: Any = importlib.import_module("agent.grading.llm").LLMGrader
        make_chat_model: Any = importlib.import_module("agent.llm").make_chat_model
    except (ImportError, AttributeError) as exc:
        raise GraderUnavailable(f"大模型评分器在此版本中不可用（{exc}）。请改用离线评分 --grader rubric。") from exc
    try:
        grader: Grader = llm_grader(make_chat_model(settings), (examiner or Examiner(kb)).rubric,
                                    cache_path=settings.home_dir / "grade_cache.sqlite", model_name=settings.llm_model)
    except Exception as exc:
        raise GraderUnavailable(f"无法创建大模型评分器：{type(exc).__name__}: {exc}") from exc
    if name == "auto":
        from agent.grading.auto import AutoGrader

        return AutoGrader((examiner or Examiner(kb)).rubric, grader)
    return grader


class SerialEmbedder:
    """One caller at a time into an embedder. The offline e5 engine is a C library with its own OpenMP
    threads; grading threads share it through this lock instead of oversubscribing the CPU."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self._lock = threading.Lock()

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            return self.inner.passages(texts)

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            return self.inner.queries(texts)


def open_kb(settings: KnowledgeSettings | None = None) -> KnowledgeBase:
    """The knowledge base for batch grading (MIANSHI_HOME from the environment unless given)."""
    settings = settings or KnowledgeSettings()
    return KnowledgeBase(settings, embedder=SerialEmbedder(make_embedder(settings)))


def write_reports(out_dir: Path, results: ResultsFile,
                  references: Mapping[str, Reference]) -> tuple[Summary, list[Path]]:
    """grades.csv, report.md and report.html, regenerated from the whole grades.jsonl (streamed);
    each is written to a temporary file and renamed, so a report is never half written."""
    summary = summarize(results.iter_rows())
    files = [out_dir / "grades.csv", out_dir / "report.md", out_dir / "report.html"]
    _atomic(files[0], lambda p: write_csv(p, results.iter_rows()))
    _atomic(files[1], lambda p: write_markdown(p, summary, results.iter_rows(), references))
    _atomic(files[2], lambda p: write_html(p, summary, results.iter_rows(), references))
    return summary, [results.path, *files]


def _atomic(path: Path, write: Callable[[Path], None]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    tmp.replace(path)


def references_of(kb: KnowledgeBase) -> dict[str, Reference]:
    return {i.id: Reference(answer=i.reference_answer, key_points=tuple(k.text for k in i.key_points),
                            ref=i.source.ref) for i in kb.bank().items}


# one row -----------------------------------------------------------------------------------------
def graded_row(row: AnswerRow, examined: Examined) -> GradedRow:
    item, match, grade = examined.item, examined.match, examined.grade
    nearest = match.hits[0] if match is not None and match.hits and item is None else None
    return GradedRow(
        id=row.id, source=row.source, question=row.question, answer=row.answer,
        matched=item is not None,
        matched_question_id=item.id if item else None,
        matched_question=item.question if item else None,
        match_confidence=round(match.confidence if match is not None else (1.0 if item else 0.0), 4),
        nearest_question_id=nearest.id if nearest else None,
        nearest_question=nearest.question if nearest else None,
        topic=item.topic if item else "",
        bank_ref=item.source.ref if item else "",
        score=grade.score, verdict=grade.verdict,
        key_points=tuple(KeyPointRow(id=k.id, text=k.text, verdict=k.verdict, evidence=k.evidence, source=k.source)
                         for k in grade.key_points),
        pitfalls_hit=grade.pitfalls_hit, flags=grade.flags, feedback=grade.feedback, grader=grade.grader,
        grader_version=grade.grader_version, prompt_version=grade.prompt_version, confidence=grade.confidence,
        references=grade.references,
    )


def grader_for(examiner: Examiner) -> Callable[[AnswerRow], GradedRow]:
    def grade(row: AnswerRow) -> GradedRow:
        return graded_row(row, examiner.examine(row.question, row.answer, item_id=row.item_id))

    return grade


# many rows, in order -----------------------------------------------------------------------------
def grade_in_order(rows: Iterable[AnswerRow], grade: Callable[[AnswerRow], GradedRow],
                   concurrency: int = 1) -> Generator[tuple[AnswerRow, GradedRow | Exception], None, None]:
    """Grade rows and yield the results in input order (a row that fails yields its exception).

    With ``concurrency > 1`` rows are graded by a thread pool with a bounded look-ahead window; the
    first row is graded alone first, so lazily built state (models, indexes) is built once."""
    it = iter(rows)
    if concurrency <= 1:
        for row in it:
            yield row, _attempt(grade, row)
        return
    first = next(it, None)
    if first is None:
        return
    yield first, _attempt(grade, first)
    window = concurrency * 4
    pending: deque[tuple[AnswerRow, Future[GradedRow | Exception]]] = deque()
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="mianshi-eval")
    try:
        for row in it:
            pending.append((row, pool.submit(_attempt, grade, row)))
            while pending and (len(pending) >= window or pending[0][1].done()):
                head, fut = pending.popleft()
                yield head, fut.result()
        while pending:
            head, fut = pending.popleft()
            yield head, fut.result()
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _attempt(grade: Callable[[AnswerRow], GradedRow], row: AnswerRow) -> GradedRow | Exception:
    try:
        return grade(row)
    except Exception as exc:  # one answer's failure must not lose the batch
        return exc


# a whole run --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BatchOptions:
    out_dir: Path
    fmt: Format = "auto"
    concurrency: int = 1
    """Grading threads (in each worker process when ``workers`` > 1)."""
    resume: bool = False
    workers: int = 1
    """Worker processes (``--workers``); 1 grades in this process."""
    grader: str = "rubric"
    """The examiner's grader by name (``rubric`` / ``llm`` / ``auto``), so worker processes build the same one."""


@dataclass
class BatchResult:
    total: int = 0
    """Rows in the inputs."""
    graded: int = 0
    """Rows graded by this run."""
    skipped_done: int = 0
    """Rows already in grades.jsonl (``--resume``)."""
    failed: list[tuple[AnswerRow, str]] = field(default_factory=list)
    problems: list[InputProblem] = field(default_factory=list)
    recovery: Recovery = field(default_factory=Recovery)
    reordered: bool = False
    extra: int = 0
    """Rows in grades.jsonl whose ids are not in these inputs (kept)."""
    summary: Summary | None = None
    files: list[Path] = field(default_factory=list)


def scan(paths: Sequence[Path], fmt: Format) -> tuple[list[str], list[InputProblem]]:
    """The ids of every row (input order) and the problems, without keeping the rows."""
    ids: list[str] = []
    problems: list[InputProblem] = []
    for got in read_inputs(paths, fmt):
        if isinstance(got, InputProblem):
            problems.append(got)
        else:
            ids.append(got.id)
    return ids, problems


def check_output(options: BatchOptions) -> ResultsFile:
    """The results file of ``--out``; refuses to overwrite earlier results unless resuming."""
    results = ResultsFile(options.out_dir / GRADES_FILE)
    if options.out_dir.exists() and not options.out_dir.is_dir():
        raise EvalError(f"--out {options.out_dir} 不是目录")
    if results.has_rows() and not options.resume:
        raise EvalError(f"{results.path} 已有 {results.count()} 条评分结果，不会覆盖：加 --resume 从中断处继续，"
                        "或用 --out 指定另一个目录。")
    return results


def prepare_output(options: BatchOptions) -> tuple[ResultsFile, Recovery]:
    results = check_output(options)
    try:
        options.out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise EvalError(f"无法创建输出目录 {options.out_dir}：{exc.strerror or exc}") from exc
    return results, (results.recover() if options.resume else Recovery())


def run_batch(paths: Sequence[Path], options: BatchOptions, examiner: Examiner,
              on_problem: Callable[[InputProblem], None] = lambda p: None,
              on_progress: Callable[[int, int], None] = lambda done, total: None,
              on_failure: Callable[[AnswerRow, str], None] = lambda row, msg: None,
              worker_spec: WorkerSpec | None = None) -> BatchResult:
    """Grade every answer of ``paths`` into ``options.out_dir`` and write the reports.

    Inputs are read twice (a scan for ids and problems, then a stream to grade) and reports are
    streamed from grades.jsonl, so only the ids are held in memory, never all rows or grades.
    With ``options.workers`` > 1 the rows are graded in worker processes (eval/workers.py) built from
    ``worker_spec`` (default: this examiner's settings and ``options.grader``); the file is the same."""
    result = BatchResult()
    ids, result.problems = scan(paths, options.fmt)
    for problem in result.problems:
        on_problem(problem)
    if not ids:
        raise EvalError("输入中没有可评分的回答（见上面的警告）。支持 JSONL/JSON/CSV/Markdown，"
                        "每条需要 question 和 answer。")
    results, result.recovery = prepare_output(options)
    done = set(result.recovery.done)
    order = {row_id: k for k, row_id in enumerate(ids)}
    result.total = len(ids)
    result.skipped_done = sum(1 for i in ids if i in done)
    result.extra = len(done) - result.skipped_done
    on_progress(result.skipped_done, result.total)
    todo = (r for r in read_inputs(paths, options.fmt) if isinstance(r, AnswerRow) and r.id not in done)
    progressed = result.skipped_done
    graded = _grading(todo, options, examiner, result.total - result.skipped_done, worker_spec)
    with results.appender() as out, contextlib.closing(graded):
        for row, got in graded:
            progressed += 1
            if isinstance(got, Exception):
                message = failure_message(got)
                result.failed.append((row, message))
                on_failure(row, message)
            else:
                out.write(got)
                result.graded += 1
            on_progress(progressed, result.total)
    result.reordered = results.reorder(order)
    result.summary, result.files = write_reports(options.out_dir, results, references_of(examiner.kb))
    return result


def _grading(todo: Iterable[AnswerRow], options: BatchOptions, examiner: Examiner, count: int,
             worker_spec: WorkerSpec | None) -> Generator[tuple[AnswerRow, GradedRow | Exception], None, None]:
    """This process's ordered grading, or worker processes' (never more workers than rows)."""
    workers = min(options.workers, count)
    if workers <= 1:
        return grade_in_order(todo, grader_for(examiner), options.concurrency)
    from eval.workers import WorkerSpec, grade_in_workers  # eval.workers imports this module

    kb = examiner.kb
    kb.ensure_built()  # built or refreshed here, once, before any worker reads it
    spec = worker_spec or WorkerSpec(knowledge=kb.settings, grader=options.grader, concurrency=options.concurrency,
                                     omp_threads=max(1, (os.cpu_count() or 1) // workers))
    return grade_in_workers(todo, spec, workers, store=None if kb.settings.chroma_url else kb.store)
