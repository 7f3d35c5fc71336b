"""Batch grading in several worker processes: ``mianshi eval run --workers N``.

The parent reads the inputs, hands out small chunks of rows, writes grades.jsonl in input order (so
``--resume`` works exactly as with one process) and drives the one progress bar. Each worker is a
*spawned* process (no fork after the parent's threads) with its own read-only :class:`Examiner`.

Embedded Chroma is thread-safe but not process-safe, so workers never open it: their knowledge base
gets a proxy client whose reads (count / query / get) the parent answers from its own store — the
same index a single-process run queries, so nearest neighbours, scores and therefore every grade
are the same bytes. Writes through the proxy are refused (the parent builds the bank before any
worker starts). With ``MIANSHI_CHROMA_URL`` set, workers talk to the Chroma server themselves.

Crashes: a worker grades its chunks in order and reports every row, so when it dies the parent knows
the row it was on. Its unfinished rows go back to the queue, each on its own; a row that kills a
worker while graded alone is tried once more in a fresh worker and is then reported as a failure —
never written, never given a score; ``--resume`` tries it again.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing as mp
import os
import queue
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

from agent.examiner import Examiner
from eval.batch import EvalError, ReportedFailure, SerialEmbedder, grade_in_order, grader_for, make_grader
from eval.inputs import AnswerRow
from eval.results import GradedRow
from knowledge.bank import Bank
from knowledge.kb import KnowledgeBase, make_embedder
from knowledge.settings import KnowledgeSettings

ENV = "MIANSHI_EVAL_WORKERS"
MAX_WORKERS = 32
CHUNK = 8
"""Rows per message to a worker."""
QUEUED = 2
"""Chunks handed to a worker ahead of time, so it never waits for the parent."""
CRASH_RETRIES = 1
"""A row that crashes a worker while graded alone is graded once more in a fresh worker."""
READ_ONLY = "评分进程只读题库，不能构建或写入（题库由主进程在启动评分进程前构建好）"
Result = GradedRow | Exception


def parse_workers(value: str | None, source: str = "--workers") -> int:
    """The number of worker processes from ``--workers`` or MIANSHI_EVAL_WORKERS: 1–32 or ``auto``
    (the CPU count); empty means 1. Anything else raises :class:`EvalError` naming where it came from."""
    text = (value or "").strip().lower()
    if not text:
        return 1
    if text == "auto":
        return max(1, min(os.cpu_count() or 1, MAX_WORKERS))
    n = int(text) if text.isdigit() else 0
    if not 1 <= n <= MAX_WORKERS:
        raise EvalError(f"{source} 的值「{value}」无效：评分进程数应为 1 到 {MAX_WORKERS} 之间的整数，"
                        "或 auto（按 CPU 核数）。")
    return n


class WorkerCrashed(ReportedFailure):
    """A row that made its worker process exit, on every try."""


class WorkerFailed(ReportedFailure):
    """A grading exception raised inside a worker, carried as its message."""


@dataclass(frozen=True)
class WorkerSpec:
    """What a worker needs to build the parent's examiner again (picklable: sent to spawned processes)."""

    knowledge: KnowledgeSettings
    grader: str = "rubric"
    concurrency: int = 1
    """Grading threads in each worker (useful for LLM grading)."""
    omp_threads: int = 1
    """OpenMP threads of the offline embedder in each worker (unless OMP_NUM_THREADS is set)."""
    factory: Callable[[WorkerSpec, Any], Examiner] | None = None
    """Builds the examiner from the spec and a Chroma client (a module-level function; None: the
    standard one, :func:`open_worker_examiner`). Tests use it to inject faults."""


# the worker process ------------------------------------------------------------------------------
class Channel:
    """The worker's end of its connection: a reader thread routes the parent's messages (tasks to a
    queue, replies to the waiting caller) so the pipe never fills up, and exits the process at once
    when the parent is gone (killed): nothing of the worker's is unsaved."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.tasks: queue.Queue[tuple[list[int], list[AnswerRow]] | None] = queue.Queue()
        self._send_lock = threading.Lock()
        self._replies: dict[int, queue.Queue[tuple[bool, Any]]] = {}
        self._ids = itertools.count(1)
        threading.Thread(target=self._read, name="mianshi-worker-reader", daemon=True).start()

    def send(self, message: tuple[Any, ...]) -> None:
        with self._send_lock:
            self.conn.send(message)

    def call(self, op: str, name: str, kwargs: dict[str, Any]) -> Any:
        rid = next(self._ids)
        slot: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=1)
        self._replies[rid] = slot
        self.send(("call", rid, op, name, kwargs))
        ok, value = slot.get()
        if not ok:
            raise RuntimeError(value)
        return value

    def _read(self) -> None:
        try:
            while True:
                message = self.conn.recv()
                if message[0] == "reply":
                    self._replies.pop(message[1]).put((message[2], message[3]))
                elif message[0] == "task":
                    self.tasks.put((message[1], message[2]))
                else:
                    self.tasks.put(None)
        except (EOFError, OSError):  # the parent is gone: exit the clean way (below), or at once
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(10)
            os._exit(0)


class ProxyClient:
    """The part of a Chroma client that :class:`knowledge.store.ChromaStore` uses, answered by the
    parent's store; read-only."""

    def __init__(self, channel: Channel) -> None:
        self.channel = channel

    def get_or_create_collection(self, name: str, embedding_function: Any = None, metadata: Any = None,
                                 **_: Any) -> ProxyCollection:
        return ProxyCollection(name, self.channel)

    get_collection = get_or_create_collection

    def delete_collection(self, name: str) -> None:
        raise PermissionError(READ_ONLY)


class ProxyCollection:
    def __init__(self, name: str, channel: Channel) -> None:
        self.name = name
        self._channel = channel
        self._count: int | None = None

    def count(self) -> int:
        if self._count is None:  # the bank does not change during a batch
            self._count = int(self._channel.call("count", self.name, {}))
        return self._count

    def query(self, **kwargs: Any) -> Any:
        return self._channel.call("query", self.name, kwargs)

    def get(self, **kwargs: Any) -> Any:
        return self._channel.call("get", self.name, kwargs)

    def upsert(self, **_: Any) -> None:
        raise PermissionError(READ_ONLY)

    add = update = delete = upsert


class ReadOnlyKnowledgeBase(KnowledgeBase):
    """The bank exactly as the parent built and checked it: never rebuilt here, even when the shipped
    material on disk changed since (a worker must grade with the parent's bank, not decide anew)."""

    def ensure_built(self, progress: Any = None) -> Bank:
        return self.bank()

    def build(self, *args: Any, **kwargs: Any) -> Any:
        raise PermissionError(READ_ONLY)

    add = build


def open_worker_examiner(spec: WorkerSpec, client: Any) -> Examiner:
    """The examiner a worker grades with: the parent's bank (``bank.json``, read-only), the parent's
    Chroma through ``client`` (or the Chroma server when configured) and the same grader, warmed up."""
    settings = spec.knowledge
    kb = ReadOnlyKnowledgeBase(settings, embedder=SerialEmbedder(make_embedder(settings)),
                               client=None if settings.chroma_url else client)
    examiner = Examiner(kb)
    grader = make_grader(spec.grader, kb, examiner)
    if grader is not None:
        examiner = Examiner(kb, grader=grader)
    _ = examiner.grader, examiner.by_id, examiner.by_text  # build the lazy state before saying "ready"
    return examiner


def _exit_cleanly(signum: int, frame: Any) -> None:
    """SIGTERM: leave through SystemExit, so multiprocessing's finalisers release what libraries
    registered (tqdm's semaphore) instead of the resource tracker warning about leaks."""
    raise SystemExit(0)


def worker_main(conn: Connection, spec: WorkerSpec) -> None:
    """A worker process: build the examiner, then grade each task's rows in order, one message a row."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group; the parent stops us
    signal.signal(signal.SIGTERM, _exit_cleanly)
    os.environ.setdefault("OMP_NUM_THREADS", str(spec.omp_threads))  # before the embedder's OpenMP loads
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    channel = Channel(conn)
    try:
        examiner = (spec.factory or open_worker_examiner)(spec, ProxyClient(channel))
    except Exception as exc:  # reported to the parent, which stops the run with this message
        channel.send(("failed", f"{type(exc).__name__}: {exc}"))
        return
    channel.send(("ready", os.getpid()))
    grade = grader_for(examiner)
    while (task := channel.tasks.get()) is not None:
        seqs, rows = task
        for seq, (_, got) in zip(seqs, grade_in_order(rows, grade, spec.concurrency), strict=True):
            channel.send(("row", seq, got if isinstance(got, GradedRow) else f"{type(got).__name__}: {got}"))


# the parent --------------------------------------------------------------------------------------
@dataclass(eq=False)
class _Worker:
    process: BaseProcess
    conn: Connection
    ready: bool = False
    tasks: deque[list[int]] = field(default_factory=deque)
    """The sequence numbers of each chunk sent and not yet finished, in the order it grades them."""


def grade_in_workers(rows: Iterable[AnswerRow], spec: WorkerSpec, workers: int, store: Any = None
                     ) -> Generator[tuple[AnswerRow, Result], None, None]:
    """Grade rows in ``workers`` processes and yield the results in input order, like
    :func:`eval.batch.grade_in_order` (a row that fails yields an exception). ``store`` is the
    parent's :class:`knowledge.store.ChromaStore`, whose reads the workers' proxies forward to (None
    when workers use a Chroma server). Raises :class:`EvalError` when a worker cannot start or workers
    keep crashing; closing the generator stops every worker."""
    pool = _Pool(spec, workers, store)
    finished = False
    try:
        yield from pool.run(iter(rows))
        finished = True
    finally:
        pool.close(graceful=finished)


class _Pool:
    def __init__(self, spec: WorkerSpec, size: int, store: Any) -> None:
        self.spec = spec
        self.size = size
        self.store = store
        self.ctx = mp.get_context("spawn")
        self.workers: list[_Worker] = []
        self.crashes = 0
        self.max_crashes = 10 + 3 * size
        self.alone_crashes: dict[int, int] = {}
        self._collections: dict[str, Any] | None = None
        # the state of a run
        self.rows: dict[int, AnswerRow] = {}
        self.results: dict[int, Result] = {}
        self.retry: list[list[int]] = []

    def run(self, source: Iterator[AnswerRow]) -> Iterator[tuple[AnswerRow, Result]]:
        numbered = enumerate(source)
        taken = done = 0
        exhausted = False
        window = self.size * QUEUED * CHUNK * 4
        for _ in range(self.size):
            self._spawn()
        while True:
            for worker in self._hungry():
                if self.retry:
                    chunk = self.retry.pop(0)
                elif not exhausted and taken - done < window:
                    chunk = []
                    for seq, row in itertools.islice(numbered, CHUNK):
                        self.rows[seq] = row
                        chunk.append(seq)
                    taken += len(chunk)
                    exhausted = len(chunk) < CHUNK
                    if not chunk:
                        break
                else:
                    break
                worker.tasks.append(chunk)
                worker.conn.send(("task", chunk, [self.rows[s] for s in chunk]))
            while done in self.results:
                yield self.rows.pop(done), self.results.pop(done)
                done += 1
            if exhausted and done == taken:
                return
            self._wait()

    def _hungry(self) -> list[_Worker]:
        """Ready workers short of work, the least loaded first, each listed once per missing chunk."""
        slots = [(len(w.tasks) + k, n, w) for n, w in enumerate(self.workers) if w.ready
                 for k in range(QUEUED - len(w.tasks))]
        return [w for _, _, w in sorted(slots, key=lambda s: (s[0], s[1]))]

    def _spawn(self) -> None:
        parent_end, child_end = self.ctx.Pipe(duplex=True)
        process = self.ctx.Process(target=worker_main, args=(child_end, self.spec), daemon=True,
                                   name=f"mianshi-eval-worker-{len(self.workers) + self.crashes + 1}")
        process.start()
        child_end.close()
        self.workers.append(_Worker(process, parent_end))

    def _wait(self) -> None:
        by_object: dict[Any, _Worker] = {}
        for w in self.workers:
            by_object[w.conn] = w
            by_object[w.process.sentinel] = w
        dead: list[_Worker] = []
        for ready in wait(list(by_object)):
            worker = by_object[ready]
            if worker in dead:
                continue
            if not self._drain(worker) or worker.process.exitcode is not None:
                dead.append(worker)
        for worker in dead:
            self._bury(worker)

    def _drain(self, worker: _Worker) -> bool:
        """Handle every message waiting from a worker; False once its end of the pipe is closed."""
        try:
            while worker.conn.poll():
                self._handle(worker, worker.conn.recv())
        except (EOFError, OSError):
            return False
        return True

    def _handle(self, worker: _Worker, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == "row":
            seq, payload = message[1], message[2]
            chunk = worker.tasks[0]
            assert chunk[0] == seq, f"worker answered row {seq}, expected {chunk[0]}"
            chunk.pop(0)
            if not chunk:
                worker.tasks.popleft()
            self.results[seq] = payload if isinstance(payload, GradedRow) else WorkerFailed(payload)
        elif kind == "call":
            ok, value = self._serve(message[2], message[3], message[4])
            worker.conn.send(("reply", message[1], ok, value))
        elif kind == "ready":
            worker.ready = True
        elif kind == "failed":
            raise EvalError(f"评分进程启动失败：{message[1]}。已完成的结果保存在 grades.jsonl，修复后加 --resume 继续。")

    def _serve(self, op: str, name: str, kwargs: dict[str, Any]) -> tuple[bool, Any]:
        """A worker's read of the parent's Chroma."""
        if self.store is None:
            return False, "主进程不提供题库查询（设置了 MIANSHI_CHROMA_URL 时，评分进程直接连接 Chroma 服务器）"
        if self._collections is None:
            self._collections = {c.name: c for c in (self.store.collection(k) for k in ("questions", "chunks"))}
        collection = self._collections.get(name)
        if collection is None or op not in ("count", "query", "get"):
            return False, f"不支持的题库读取：{op} {name}"
        try:
            return True, getattr(collection, op)(**kwargs)
        except Exception as exc:  # the worker raises it as that row's grading error
            return False, f"{type(exc).__name__}: {exc}"

    def _bury(self, worker: _Worker) -> None:
        """A worker exited: put its unfinished rows back (the row it was on alone), or report that row
        when it keeps crashing workers; start a replacement."""
        worker.process.join(timeout=10)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join(timeout=10)
        worker.conn.close()
        self.workers.remove(worker)
        code = worker.process.exitcode
        how = f"被信号 {signal.Signals(-code).name} 终止" if code is not None and code < 0 else f"退出码 {code}"
        if not worker.ready:
            raise EvalError(f"评分进程启动时意外退出（{how}）。已完成的结果保存在 grades.jsonl，修复后加 --resume 继续。")
        self.crashes += 1
        if worker.tasks:
            current = worker.tasks.popleft()
            if len(current) == 1:
                seq = current[0]
                self.alone_crashes[seq] = self.alone_crashes.get(seq, 0) + 1
                if self.alone_crashes[seq] > CRASH_RETRIES:
                    self.results[seq] = WorkerCrashed(
                        f"评分进程在评这条回答时意外退出（{how}），单独重试 {CRASH_RETRIES} 次仍然如此，未写入结果；"
                        "可加 --resume 再试")
                else:
                    self.retry.append(current)
            else:
                self.retry.extend([seq] for seq in current)
            self.retry.extend(worker.tasks)
            self.retry.sort(key=lambda chunk: chunk[0])
        if self.crashes > self.max_crashes:
            raise EvalError(f"评分进程反复意外退出（{self.crashes} 次，最近一次{how}），已停止。"
                            "已完成的结果保存在 grades.jsonl，加 --resume 继续。")
        self._spawn()

    def close(self, graceful: bool) -> None:
        """Stop every worker: ask nicely after a finished run, terminate otherwise."""
        for w in self.workers:
            with contextlib.suppress(OSError):
                if graceful:
                    w.conn.send(("stop",))
                else:
                    w.process.terminate()
        for w in self.workers:
            w.process.join(timeout=10 if graceful else 5)
            if w.process.is_alive():
                w.process.kill()
                w.process.join(timeout=5)
            w.conn.close()
        self.workers.clear()
