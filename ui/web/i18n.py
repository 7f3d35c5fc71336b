"""User-facing text of the web app: Chinese first, English switchable (pure, no Gradio)."""

from __future__ import annotations

from typing import Literal

from agent.grading.model import FLAGS
from agent.phrasing import VERDICTS_EN as VERDICTS_EN  # re-exported: the UI's verdict labels are the agent's
from agent.phrasing import backend_label, verdict_label
from knowledge.topics import parse_topic, topic_label

Lang = Literal["zh", "en"]

LANGUAGE_CHOICES: tuple[tuple[str, Lang], ...] = (("中文", "zh"), ("English", "en"))

TEXTS: dict[str, tuple[str, str]] = {
    # app
    "title": ('# 面试 mianshi <span class="ms-sub">大模型 / 深度学习算法岗模拟面试</span>',
              '# mianshi <span class="ms-sub">mock interviews for LLM / deep-learning roles</span>'),
    "language": ("界面语言", "Language"),
    "tab_interview": ("模拟面试", "Interview"),
    "tab_bank": ("题库", "Bank"),
    "tab_history": ("历史", "History"),
    "tab_batch": ("批量评测", "Batch"),
    "tab_settings": ("设置", "Settings"),
    # interview setup
    "setup": ("面试设置", "Interview setup"),
    "topics": ("方向（不选 = 全部题库）", "Topics (none = whole bank)"),
    "difficulty_lo": ("最低难度", "Min difficulty"),
    "difficulty_hi": ("最高难度", "Max difficulty"),
    "n_questions": ("题目数", "Questions"),
    "companies": ("公司（不选 = 不限）", "Companies (none = any)"),
    "follow_up_budget": ("每题最多追问", "Follow-ups per question"),
    "start": ("开始面试", "Start interview"),
    "chat": ("面试对话", "Interview"),
    "chat_placeholder": ("在「面试设置」里选好范围，点「开始面试」。", "Choose the scope in the setup, then press Start."),
    "answer_box": ("你的回答", "Your answer"),
    "answer_placeholder": ("在这里输入回答（Shift+Enter 提交）；也可以先问题目的意思。",
                           "Type your answer (Shift+Enter submits), or ask what the question means."),
    "submit": ("提交", "Submit"),
    "skip": ("跳过", "Skip"),
    "hint": ("提示", "Hint"),
    "end": ("结束", "End"),
    "scorecard": ("本题评分", "Scorecard"),
    "scorecard_title": ("### 本题评分", "### Scorecard"),
    "report": ("面试报告", "Report"),
    "download_md": ("下载 Markdown", "Download Markdown"),
    "download_html": ("下载 HTML", "Download HTML"),
    "download_json": ("下载 JSON", "Download JSON"),
    "backend": ("考官", "Examiner"),
    "backend_line": ("考官：**{backend}**", "Examiner: **{backend}**"),
    "status_idle": ("尚未开始面试。", "No interview yet."),
    "status_active": ("会话 {sid} · 第 {n}/{total} 题 · 考官：{backend}",
                      "Session {sid} · question {n}/{total} · examiner: {backend}"),
    "status_finished": ("会话 {sid} · 面试已结束 · 平均 {mean} 分（{verdict}）",
                        "Session {sid} · finished · mean {mean} ({verdict})"),
    "need_session": ("请先点「开始面试」。", "Start an interview first."),
    "empty_answer": ("回答是空的：请先输入内容（或点「跳过」）。", "The answer is empty: type something (or Skip)."),
    "session_missing": ("找不到会话 {sid}（可能已被删除）；请开始新的面试。",
                        "Session {sid} was not found; please start a new interview."),
    "no_questions": ("没有符合条件的题目：请放宽方向、难度或公司。", "No question matches: widen the topics, difficulty or companies."),
    "already_finished": ("这场面试已经结束；可以下载报告，或开始新的面试。",
                         "This interview has finished; download the report or start a new one."),
    "error": ("出错了：{error}。你的输入没有丢失，可以再试一次。", "Something went wrong: {error}. Nothing was lost; try again."),
    # scorecard
    "no_grade": ("回答后这里会显示评分、要点覆盖和参考答案。", "After you answer, the grade, key points and reference appear here."),
    "score": ("得分", "Score"),
    "your_answer": ("你的回答（高亮为要点证据）", "Your answer (evidence highlighted)"),
    "follow_up_answer": ("追问回答（高亮为要点证据）", "Follow-up answer (evidence highlighted)"),
    "key_points": ("要点", "Key points"),
    "covered": ("答到", "covered"),
    "partial": ("部分", "partial"),
    "missed": ("缺失", "missed"),
    "pitfalls": ("踩到的坑", "Pitfalls hit"),
    "flags": ("标记", "Flags"),
    "feedback": ("点评", "Feedback"),
    "reference": ("参考答案", "Reference answer"),
    "reference_later": ("参考答案将在本题结束后显示（还有追问）。", "The reference appears when this question is closed."),
    "no_reference": ("题库中没有这道题的参考答案。", "The bank has no reference answer for this question."),
    "references": ("出处", "Sources"),
    "grader": ("评分器", "Grader"),
    # report
    "report_summary": ("作答 {answered} 题，平均 **{mean}** 分（{verdict}）· 考官：{backend}",
                       "{answered} answered, mean **{mean}** ({verdict}) · examiner: {backend}"),
    "by_topic": ("各方向得分", "Score by topic"),
    "per_question": ("逐题", "Per question"),
    "col_n": ("#", "#"),
    "col_question": ("题目", "Question"),
    "col_topic": ("方向", "Topic"),
    "col_score": ("得分", "Score"),
    "col_verdict": ("评级", "Verdict"),
    "col_follow_ups": ("追问", "Follow-ups"),
    "col_missed": ("遗漏要点", "Missed points"),
    "skipped": ("跳过", "skipped"),
    "hint_used": ("（用过提示）", " (hint used)"),
    "wrong_claims": ("说错的地方", "Wrong claims"),
    "question_open": ("这道题还在进行中（在追问），结束后显示本题得分、要点和参考答案。",
                      "This question is still open (a follow-up is pending); its score, points and the reference appear when it closes."),
    "strengths": ("优势", "Strengths"),
    "to_study": ("建议复习", "To study"),
    "none": ("无", "none"),
    # bank
    "bank_count": ("题库共 **{items}** 道题，来自 {docs} 份文档。", "The bank holds **{items}** questions from {docs} documents."),
    "search": ("搜索（题目关键词或一句话）", "Search (keywords or a sentence)"),
    "search_button": ("搜索", "Search"),
    "all": ("全部", "All"),
    "topic": ("方向", "Topic"),
    "company": ("公司", "Company"),
    "source": ("来源文档", "Source document"),
    "items": ("题目列表（点一行查看详情）", "Questions (click a row for details)"),
    "item_id": ("题目 ID", "Question id"),
    "view_item": ("查看", "View"),
    "item_detail": ("题目详情", "Question details"),
    "item_missing": ("找不到题目 {id}。", "No question {id}."),
    "pick_item": ("点选列表中的一道题查看参考答案、要点、反问点和常见坑。",
                  "Pick a question to see its reference, key points, follow-ups and pitfalls."),
    "follow_ups": ("反问点 / 追问", "Follow-ups (反问点)"),
    "code": ("代码", "Code"),
    "difficulty": ("难度", "Difficulty"),
    "upload_docs": ("添加文档到题库（.md / .txt）", "Add documents to the bank (.md / .txt)"),
    "add_docs": ("添加到题库", "Add to bank"),
    "no_files": ("请先选择要上传的文档。", "Choose documents to upload first."),
    "rejected_all": ("没有添加任何文档：{n} 个文件无法识别为题库文档，题库未改变。",
                     "Nothing was added: {n} file(s) are not question documents; the bank is unchanged."),
    "added": ("已添加 {files} 个文档：题库现有 {items} 道题（新增 {new} 道），用时 {seconds} 秒。",
              "Added {files} document(s): the bank now holds {items} questions ({new} new), in {seconds} s."),
    "rejected_some": ("以下文件未添加：", "Not added:"),
    "warnings": ("解析警告：", "Warnings:"),
    "import_summary": ("已添加 {files} 个文档、{items} 道题（其中 {noref} 道没有参考答案），跳过 {skipped} 处内容；"
                       "题库现有 {total} 道题（新增 {new} 道），用时 {seconds} 秒。",
                       "Added {files} document(s) with {items} questions ({noref} without a reference answer), "
                       "skipped {skipped} block(s); the bank now holds {total} questions ({new} new), in {seconds} s."),
    "imp_file": ("文件", "File"),
    "imp_status": ("结果", "Result"),
    "imp_items": ("题目", "Questions"),
    "imp_noref": ("无参考答案", "No reference"),
    "imp_skipped": ("跳过", "Skipped"),
    "imp_added": ("已添加", "added"),
    "imp_would_add": ("将添加", "would be added"),
    "imp_unchanged": ("已在题库中", "already in the bank"),
    "imp_rejected": ("未添加", "not added"),
    "skipped_blocks": ("跳过的内容（行号与原因）：", "Skipped blocks (line and reason):"),
    "already_added": ("这 {n} 个文档已在题库中，题库未改变。", "These {n} document(s) are already in the bank; the bank is unchanged."),
    # history
    "refresh": ("刷新", "Refresh"),
    "sessions": ("历史会话", "Past sessions"),
    "scores_over_time": ("#### 成绩变化（每场平均分）", "#### Scores over time (mean per session)"),
    "scores_by_topic": ("#### 各方向平均分", "#### Mean score by topic"),
    "scores_by_topic_chart": ("各方向平均分（从低到高）", "Mean score by topic (lowest first)"),
    "weak_questions": ("薄弱题目（得分 < 7，按复习时间排序）", "Weak questions (score < 7, by review date)"),
    "resume_pick": ("未完成的会话", "Unfinished sessions"),
    "resume": ("继续这场面试", "Resume"),
    "review_n": ("复习题数", "Review questions"),
    "review": ("开始复习（重问薄弱题）", "Start a review session"),
    "report_pick": ("查看某次面试的报告", "Report of a session"),
    "show_report": ("查看报告", "Show report"),
    "no_history": ("还没有面试记录。", "No interviews yet."),
    "no_weak": ("暂无需要复习的题目：这次按普通面试出题。", "Nothing to review yet: this is a regular interview."),
    "pick_session": ("请先选择一个会话。", "Choose a session first."),
    "col_session": ("会话", "Session"),
    "col_started": ("开始时间", "Started"),
    "col_answered": ("题数", "Answered"),
    "col_mean": ("平均分", "Mean"),
    "col_status": ("状态", "Status"),
    "col_backend": ("考官", "Examiner"),
    "col_last_score": ("上次得分", "Last score"),
    "col_due": ("下次复习", "Due"),
    "col_id": ("ID", "ID"),
    "col_difficulty": ("难度", "Difficulty"),
    "col_companies": ("公司", "Companies"),
    "col_source": ("出处", "Source"),
    "finished": ("已完成", "finished"),
    "answered_n": ("{n} 题", "{n} answered"),
    "unfinished": ("未完成", "unfinished"),
    # batch
    "batch_files": ("回答文件（JSONL / JSON / CSV / Markdown，与 mianshi eval 相同）",
                    "Answer files (JSONL / JSON / CSV / Markdown, as for mianshi eval)"),
    "batch_format": ("输入格式", "Input format"),
    "batch_grader": ("评分器", "Grader"),
    "batch_run": ("开始评分", "Grade"),
    "grader_rubric": ("离线规则评分（rubric）", "Offline rubric (rubric)"),
    "grader_llm": ("大模型逐题评分（llm）", "LLM for every answer (llm)"),
    "grader_auto": ("离线为主，没把握时问大模型（auto）", "Offline, LLM when unsure (auto)"),
    "batch_results": ("评分结果", "Results"),
    "batch_done": ("已评分 {count} 条：平均 {mean:.2f} 分，中位数 {median:.2f}，未匹配题库 {unmatched} 条。",
                   "Graded {count}: mean {mean:.2f}, median {median:.2f}, {unmatched} not in the bank."),
    "batch_failed": ("{n} 条评分出错、未写入结果。", "{n} answer(s) failed and were not written."),
    "batch_problems": ("输入中的问题（已跳过）：", "Problems in the inputs (skipped):"),
    "download_jsonl": ("下载 grades.jsonl", "Download grades.jsonl"),
    "download_csv": ("下载 grades.csv", "Download grades.csv"),
    "download_report_html": ("下载 report.html", "Download report.html"),
    "download_report_md": ("下载 report.md", "Download report.md"),
    "col_flags": ("标记", "Flags"),
    "grading_progress": ("评分", "Grading"),
    "topic_general": ("综合", "General"),
    "col_title": ("文档", "Document"),
    "line_of": ("第 {line} 行", "line {line}"),
    # settings
    "settings_intro": ("### 当前考官\n{backend}\n\n数据目录：`{home}`",
                       "### Active examiner\n{backend}\n\nData directory: `{home}`"),
    "settings_help": ("填写任意 OpenAI 兼容接口（OpenAI、DeepSeek、通义千问、Ollama、vLLM、llama.cpp server…），"
                      "先「测试连接」，再「保存」：设置写入 `{path}`，立即生效，无需重启。"
                      "环境变量（`OPENAI_API_KEY`、`OPENAI_BASE_URL`、`MIANSHI_LLM_MODEL`…）优先于保存的设置。"
                      "地址和 Key 都留空并保存 = 使用离线考官。",
                      "Fill in any OpenAI-compatible endpoint (OpenAI, DeepSeek, Qwen, Ollama, vLLM, llama.cpp server…), "
                      "Test the connection, then Save: the settings are written to `{path}` and take effect at once, "
                      "without a restart. Environment variables (`OPENAI_API_KEY`, `OPENAI_BASE_URL`, "
                      "`MIANSHI_LLM_MODEL`…) take precedence over saved settings. Save with no address and no key to "
                      "use the offline examiner."),
    "save_settings": ("保存", "Save"),
    "forget_key": ("清除已保存的 API Key", "Forget the saved API key"),
    "saved_key": ("已保存的 Key：{masked}（留空 = 保留）", "Saved key: {masked} (leave empty to keep it)"),
    "no_saved_key": ("未保存 Key", "No key saved"),
    "settings_saved": ("已保存到 {path}，已生效：{backend}", "Saved to {path}; now in effect: {backend}"),
    "settings_env_wins": ("注意：环境变量 {names} 已设置，优先于保存的值。", "Note: {names} set in the environment take precedence over the saved values."),
    "settings_failed": ("保存失败：{detail}", "Saving failed: {detail}"),
    "upload_admin_only": ("多人使用时题库是所有用户共用的：只有管理员可以加入文档（加入的文档所有人都会看到）。",
                          "With accounts the question bank is shared by every user: only an admin may add documents "
                          "(everyone would see them)."),
    "aggregates": ("全部用户汇总（管理员可见，不含任何人的会话、回答或用户名）",
                   "All users (admins only; no one's sessions, answers or names)"),
    "agg_summary": ("{users} 位用户 · {sessions} 场面试（完成 {finished}）· {answers} 次作答 · 平均 {mean}",
                    "{users} users · {sessions} interviews ({finished} finished) · {answers} answers · mean {mean}"),
    "col_answers": ("作答次数", "Answers"),
    "settings_admin_only": ("只有管理员可以修改服务器的大模型设置（对所有用户生效）。",
                            "Only an admin may change the server's LLM settings (they apply to every user)."),
    "base_url": ("接口地址（Base URL）", "Base URL"),
    "base_url_placeholder": ("如 http://127.0.0.1:8080/v1；留空 = api.openai.com", "e.g. http://127.0.0.1:8080/v1; empty = api.openai.com"),
    "api_key": ("API Key（只保存，不显示）", "API key (saved, never shown)"),
    "model": ("模型名", "Model"),
    "test_connection": ("测试连接", "Test connection"),
    "conn_bad_url": ("接口地址需以 http:// 或 https:// 开头：{url}", "The base URL must start with http:// or https://: {url}"),
    "conn_failed": ("测试失败：{detail}", "The test failed: {detail}"),
}

STAGES_EN = {"解析文档": "Parsing documents", "向量化题目": "Embedding questions", "向量化片段": "Embedding passages",
             "检查文档": "Checking documents"}


FLAGS_EN = {
    "empty": "empty or 'I don't know'",
    "off_topic": "off topic",
    "injection": "tried to manipulate the grading (ignored)",
    "keyword_list": "only lists keywords",
    "superficial": "too short / superficial",
    "truncated": "too long: only the beginning was graded",
    "non_chinese": "not in Chinese (graded on content)",
    "no_reference": "no reference answer in the bank",
    "low_match": "weak match with the bank's question",
    "pitfall": "fell into a common pitfall",
    "contradiction": "contradicts the reference",
    "llm_fallback": "the LLM grader failed; graded offline",
    "hint_used": "hint used: the score is capped",
    "misconception": "states a common misconception",
    "uncertain": "the offline grader is unsure: worth a second look",
    "echo": "mostly restates the question or the interviewer",
    "derived_material": "no authored grading material: graded on the reference text",
    "llm_clamped": "the LLM's score disagreed with its own verdicts and was bounded",
    "unverified_evidence": "a quote from the LLM was not in the answer and was dropped",
    "reference_restated": "restates the bank's reference answer: graded as the reference (at least 8; the missing points earn more)",
}


def lang_of(value: str | None) -> Lang:
    """The language code of a radio choice ("中文" / "English") or of a code; Chinese by default."""
    for label, code in LANGUAGE_CHOICES:
        if value in (label, code):
            return code
    return "zh"


def t(key: str, lang: Lang = "zh", **values: object) -> str:
    zh, en = TEXTS[key]
    text = en if lang == "en" else zh
    return text.format(**values) if values else text


def verdict_text(verdict: str, lang: Lang = "zh") -> str:
    return verdict_label(verdict, lang)


def flag_text(flag: str, lang: Lang = "zh") -> str:
    text = FLAGS_EN.get(flag) if lang == "en" else FLAGS.get(flag)
    return f"{flag}（{text}）" if text else flag


def backend_name(backend: str, lang: Lang = "zh") -> str:
    """The examiner's name (the facade says it in Chinese) in the UI's language."""
    return backend_label(backend, lang)


def topic_name(value: str, lang: Lang = "zh") -> str:
    """A canonical topic (id or Chinese name) by its name in ``lang``; anything else as it is."""
    try:
        return topic_label(parse_topic(value), lang)
    except ValueError:
        return value or t("topic_general", lang)


def stage_name(stage: str, lang: Lang = "zh") -> str:
    """A knowledge-base progress stage (named in Chinese by the knowledge base) in ``lang``."""
    return STAGES_EN.get(stage, stage) if lang == "en" else stage
