"""`mianshi kb …`: build, add, list, search and show the question bank."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.panel import Panel
from rich.table import Table

from ui.console import err, out, stage_progress

if TYPE_CHECKING:  # the knowledge base (chromadb, the embedder) is imported by the commands that use it
    from rich.markdown import Markdown

    from knowledge.bank import Bank
    from knowledge.imports import ImportReport
    from knowledge.kb import BuildReport, KnowledgeBase
    from knowledge.schema import QuestionItem

app = typer.Typer(help="题库：构建、添加文档、浏览与检索 / the question bank", no_args_is_help=True)


def open_kb() -> KnowledgeBase:
    from knowledge.kb import KnowledgeBase
    from knowledge.settings import KnowledgeSettings

    return KnowledgeBase(KnowledgeSettings())


def ready_kb() -> KnowledgeBase:
    """The knowledge base, built first (with progress) if this is the first use."""
    kb = open_kb()
    if not kb.is_built():
        err.print("[bold]首次使用：正在构建题库…[/bold]")
        with stage_progress() as progress:
            report = kb.build(progress=progress)  # type: ignore[arg-type]
        _print_report(report, brief=True)
    return kb


def _print_report(report: BuildReport, brief: bool = False) -> None:
    if not brief:
        table = Table(title="题库构建结果")
        for col in ("文件", "解析器", "题目", "知识点"):
            table.add_column(col)
        for d in report.documents:
            table.add_row(d.file, d.parser or "-", str(d.items), str(d.notes))
        err.print(table)
    err.print(f"共 {report.items} 道题、{report.notes} 条知识点、{report.chunks} 个片段；"
              f"新向量化 {report.embedded} 条，删除 {report.deleted} 条，用时 {report.seconds:.1f}s")
    for w in report.warnings:
        err.print(f"[yellow]警告[/yellow] {w.render()}")


@app.command()
def build(
    docs: Annotated[list[Path] | None, typer.Option("--docs", help="用这些文档/目录构建（替代默认的内置题库+已添加文档）")] = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="清空向量库，全部重新向量化")] = False,
) -> None:
    """构建题库：解析文档 → 题目 → Chroma 向量库（增量：只重新向量化变化的题目）。"""
    kb = open_kb()
    with stage_progress() as progress:
        report = kb.build(docs=docs, rebuild=rebuild, progress=progress)  # type: ignore[arg-type]
    _print_report(report)
    out.print(f"题库已就绪：{report.items} 道题。开始模拟面试：[bold]mianshi chat[/bold] 或网页版 [bold]mianshi ui[/bold]")


@app.command()
def add(
    paths: Annotated[list[Path], typer.Argument(help="要加入题库的 .md/.markdown/.txt 笔记或目录")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只检查并显示导入报告，不改变题库")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出导入报告（供脚本使用）")] = False,
) -> None:
    """把笔记加入题库（保留已有文档）：先完整检查每个文档，合格的整篇加入、不合格的整篇不加入并说明原因，
    然后一次性增量重建。"""
    from knowledge.imports import ImportFailed

    kb = open_kb()
    try:
        with stage_progress() as progress:
            report = kb.add(paths, dry_run=dry_run, progress=progress)  # type: ignore[arg-type]
    except ImportFailed as exc:
        err.print(f"[bold red]错误[/bold red] {exc}")
        raise typer.Exit(2) from exc
    if as_json:
        print(json.dumps(report.as_json(), ensure_ascii=False, indent=1))
    else:
        print_import_report(report)
    if not report.accepted and (report.rejected or not report.files):
        raise typer.Exit(1)


def print_import_report(report: ImportReport) -> None:
    from knowledge.imports import STATUS_LABELS

    table = Table(title="导入报告（试运行）" if report.dry_run else "导入报告")
    for col in ("文件", "结果", "题目", "无参考答案", "跳过", "存为"):
        table.add_column(col, overflow="fold")
    for f in report.files:
        status = STATUS_LABELS[f.status]
        style = "red" if f.status == "rejected" else "green" if f.status in ("added", "would_add") else "dim"
        table.add_row(f.path, f"[{style}]{status}[/{style}]", str(f.items), str(f.without_reference),
                      str(len(f.skipped)), f.stored or "-")
    err.print(table)
    for w in report.problems:
        err.print(f"[yellow]注意[/yellow] {w.render()}")
    for f in report.files:
        if f.status == "rejected":
            err.print(f"[red]未添加[/red] {f.reason}")
            continue
        for w in f.warnings:
            err.print(f"[yellow]警告[/yellow] {w.render()}")
        for w in f.skipped:
            err.print(f"[dim]跳过[/dim] {w.render()}")
    out.print(report.summary())


def _filter(bank: Bank, source: str | None, topic: str | None) -> list[QuestionItem]:
    items = list(bank.items)
    if source:
        items = [i for i in items if source.lower() in i.source.file.lower()]
    if topic:
        items = [i for i in items if i.matches_topic(topic)]
    return items


def item_json(item: QuestionItem) -> dict[str, object]:
    data = item.model_dump(mode="json")
    data["source"] = {**data["source"], "ref": item.source.ref}
    return data


@app.command("list")
def list_items(
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON 数组")] = False,
    source: Annotated[str | None, typer.Option("--source", help="只看文件名包含该字符串的题，如 003")] = None,
    topic: Annotated[str | None, typer.Option("--topic", help="只看该主题/标签的题")] = None,
) -> None:
    """列出题目。"""
    items = _filter(ready_kb().bank(), source, topic)
    if as_json:
        print(json.dumps([item_json(i) for i in items], ensure_ascii=False, indent=1))
        return
    table = Table(title=f"题目（{len(items)}）")
    for col in ("ID", "来源", "主题", "难度", "题目", "参考"):
        table.add_column(col, overflow="fold")
    for i in items:
        table.add_row(i.id, i.source.ref, i.topic_label, "⭐" * i.difficulty, i.question, "✓" if i.has_reference else "-")
    out.print(table)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="自由文本，如「为啥要除以根号dk」")],
    k: Annotated[int, typer.Option("-k", min=1, max=50, help="返回条数")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON 对象")] = False,
) -> None:
    """检索题库：混合检索（向量 + 关键词），给出匹配置信度。"""
    result = ready_kb().search(query, k=k)
    if as_json:
        print(json.dumps({"query": result.query, "confidence": result.confidence, "matched": result.matched,
                          "hits": [h.model_dump() for h in result.hits]}, ensure_ascii=False, indent=1))
        return
    verdict = "[green]匹配[/green]" if result.matched else "[yellow]题库中没有足够相近的题[/yellow]"
    out.print(f"{verdict}（置信度 {result.confidence:.2f}）")
    table = Table()
    for col in ("ID", "来源", "相似度", "题目"):
        table.add_column(col, overflow="fold")
    for h in result.hits:
        table.add_row(h.id, h.source, f"{h.score:.3f}", h.question)
    out.print(table)


def find_item(bank: Bank, ref: str) -> QuestionItem | None:
    """By id (or a unique id prefix) or by a source reference such as 003:21."""
    found = bank.get(ref)
    if found:
        return found
    return next((i for i in bank.items if i.source.ref == ref), None)


@app.command()
def show(item_id: Annotated[str, typer.Argument(help="题目 ID（或来源编号，如 003:21）")]) -> None:
    """显示一道题的全部信息。"""
    kb = ready_kb()
    bank = kb.bank()
    item = find_item(bank, item_id)
    if item is None:
        err.print(f"[red]找不到题目 {item_id}[/red]：用 `mianshi kb list` 或 `mianshi kb search` 查 ID")
        raise typer.Exit(1)
    out.print(Panel(render_item_markdown(item, bank), title=f"{item.id} · {item.source.ref}"))


def render_item_markdown(item: QuestionItem, bank: Bank) -> Markdown:
    from rich.markdown import Markdown

    by_id = bank.by_id()
    lines = [f"## {item.question}", "",
             f"来源：{item.source.doc}（{item.source.file}）第 {item.source.line} 行 · 主题：{item.topic_label}"
             f"{'（' + item.section + '）' if item.section else ''} · 难度：{'⭐' * item.difficulty}"]
    if item.tags:
        lines.append(f"标签：{'、'.join(item.tags)}")
    if item.companies:
        lines.append(f"公司：{'、'.join(item.companies)}")
    if item.reference_answer:
        lines += ["", "### 参考答案", item.reference_answer]
    if item.key_points:
        lines += ["", "### 考点"] + [f"- {kp.text}" for kp in item.key_points]
    if item.follow_ups:
        lines += ["", "### 反问点"] + [f"- {f.text}" for f in item.follow_ups]
    if item.pitfalls:
        lines += ["", "### 坑位"] + [f"- {p.text}" for p in item.pitfalls]
    for code in item.code:
        lines += ["", "```python", code, "```"]
    if item.related:
        lines += ["", "### 其他文档中的同一问题"] + [
            f"- {by_id[r].source.ref} {by_id[r].question}（{r}）" for r in item.related if r in by_id
        ]
    return Markdown("\n".join(lines))


@app.command()
def enrich(
    source: Annotated[str | None, typer.Option("--source", help="只处理文件名包含该字符串的已添加文档")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出每道题写入或被拒绝的结果")] = False,
) -> None:
    """让已配置的大模型为你添加的文档编写评分材料（要点/别名/追问、错误说法、分级示例答案），
    按与内置材料相同的格式校验，合格的缓存在文档旁（<文档>.material.jsonl），不合格的不写入并说明原因。
    未配置大模型时，这些题目按参考答案原文评分（评分会标注 derived_material）。"""
    from agent.enrich import Enricher
    from agent.llm import make_chat_model
    from agent.settings import AgentSettings

    settings = AgentSettings()
    if not settings.llm_configured:
        err.print("[bold red]错误[/bold red] 未配置大模型：设置 OPENAI_API_KEY（或 OPENAI_BASE_URL 指向兼容接口，"
                  "如 Ollama / vLLM / llama.cpp）后重试。没有评分材料的题目会按参考答案原文评分（标注 derived_material）。")
        raise typer.Exit(2)
    kb = ready_kb()
    bank = kb.bank()
    docs = sorted(p for p in kb.docs_dir.iterdir() if p.is_file()) if kb.docs_dir.is_dir() else []
    docs = [p for p in docs if not p.name.endswith((".jsonl", ".tmp")) and (not source or source in p.name)]
    enricher = Enricher(make_chat_model(settings), settings.llm_model)
    reports = []
    for doc in docs:
        items = [i for i in bank.items if i.source.file == doc.name and i.material == "derived"]
        if not items:
            continue
        stage = f"编写评分材料 {doc.name}"
        with stage_progress() as progress:
            reports.append(enricher.enrich_document(
                doc, items, progress=lambda d, t, stage=stage: progress(stage, d, t)))  # type: ignore[operator,misc]
    if not reports:
        err.print("没有需要编写评分材料的题目（内置题库自带材料；用 `mianshi kb add` 添加你的文档）。")
        return
    if any(r.written for r in reports):
        with stage_progress() as progress:
            kb.build(progress=progress)  # type: ignore[arg-type]
    if as_json:
        print(json.dumps([{"document": r.document, "material_file": r.path, "written": r.written, "rejected": r.rejected,
                           "items": [o.__dict__ for o in r.outcomes]} for r in reports], ensure_ascii=False, indent=1))
    else:
        for r in reports:
            table = Table(title=f"{r.document}：写入 {r.written} 道，拒绝 {r.rejected} 道")
            for col in ("题目", "结果"):
                table.add_column(col)
            for o in r.outcomes:
                table.add_row(o.question[:60], "✓ 已写入" if o.written else f"✗ {o.reason}")
            out.print(table)
    if all(r.written == 0 for r in reports):
        raise typer.Exit(1)
