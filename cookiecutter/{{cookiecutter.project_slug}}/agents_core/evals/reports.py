"""Eval results as a terminal table, JSON, JUnit XML (for CI) and a small HTML page."""

from __future__ import annotations

import html
import json
from typing import Any
from xml.etree import ElementTree

from agents_core.evals.runner import CaseResult, SuiteResult


def table(results: list[SuiteResult]) -> str:
    """One row per case and model; with several models, a column per model side by side."""
    models = list(dict.fromkeys(r.model for r in results))
    rows: dict[tuple[str, str, int], dict[str, CaseResult]] = {}
    for suite_result in results:
        for case in suite_result.results:
            rows.setdefault((case.suite, case.case, case.repeat), {})[case.model] = case
    header = ["suite", "case"] + [
        f"{title} ({m})" if len(models) > 1 else title
        for m in models
        for title in ("result", "latency", "tokens")
    ]
    lines = [header]
    for (suite, case_id, repeat), by_model in rows.items():
        label = case_id if repeat == 1 else f"{case_id} #{repeat}"
        line = [suite, label]
        for model in models:
            found = by_model.get(model)
            if found is None:
                line += ["-", "-", "-"]
                continue
            verdict = "pass" if found.passed else "FAIL"
            if found.passed and found.not_run:
                verdict = "pass*"  # passed what could run; a judge needs a real model
            line += [
                verdict,
                f"{found.latency_s * 1000:.0f} ms",
                f"{found.input_tokens}+{found.output_tokens}",
            ]
        lines.append(line)
    widths = [max(len(row[i]) for row in lines) for i in range(len(header))]
    out = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in lines]
    out.insert(1, "  ".join("-" * w for w in widths))
    for suite_result in results:
        for case in suite_result.results:
            for failure in case.failures:
                out.append(f"FAIL {case.suite}/{case.case} ({case.model}): {failure}")
            for skipped in case.not_run:
                out.append(f"not run {case.suite}/{case.case} ({case.model}): {skipped}")
    out.append("")
    for suite_result in results:
        verdict = "ok" if suite_result.passed else "BELOW THRESHOLD"
        out.append(
            f"{suite_result.suite.name} on {suite_result.model}: "
            f"{sum(r.passed for r in suite_result.results)}/{len(suite_result.results)} passed, "
            f"score {suite_result.score:.0%} (threshold {suite_result.suite.threshold:.0%}) "
            f"{verdict}"
        )
    return "\n".join(out)


def json_report(results: list[SuiteResult]) -> str:
    data: list[dict[str, Any]] = [
        {
            "suite": r.suite.name,
            "agent": r.suite.agent,
            "model": r.model,
            "score": r.score,
            "threshold": r.suite.threshold,
            "passed": r.passed,
            "cases": [case.to_json() for case in r.results],
        }
        for r in results
    ]
    return json.dumps(data, indent=2, ensure_ascii=False, default=str)


def junit_report(results: list[SuiteResult]) -> str:
    """JUnit XML: a testsuite per suite and model, a testcase per case (judges: skipped)."""
    root = ElementTree.Element("testsuites")
    for r in results:
        failures = sum(not case.passed for case in r.results)
        suite = ElementTree.SubElement(
            root,
            "testsuite",
            name=f"{r.suite.name}[{r.model}]",
            tests=str(len(r.results)),
            failures=str(failures),
            time=f"{sum(case.latency_s for case in r.results):.3f}",
        )
        for case in r.results:
            element = ElementTree.SubElement(
                suite,
                "testcase",
                classname=f"evals.{r.suite.name}",
                name=case.case if case.repeat == 1 else f"{case.case}#{case.repeat}",
                time=f"{case.latency_s:.3f}",
            )
            if case.failures:
                failure = ElementTree.SubElement(element, "failure", message=case.failures[0][:200])
                failure.text = "\n".join(case.failures)
            if case.not_run:
                notes = ElementTree.SubElement(element, "system-out")
                notes.text = "not run: " + "; ".join(case.not_run)
    return ElementTree.tostring(root, encoding="unicode", xml_declaration=True)


def html_report(results: list[SuiteResult]) -> str:
    rows = []
    for r in results:
        for case in r.results:
            verdict = "pass" if case.passed else "fail"
            detail = "<br>".join(html.escape(x) for x in case.failures + case.not_run)
            rows.append(
                f'<tr class="{verdict}"><td>{html.escape(r.suite.name)}</td>'
                f"<td>{html.escape(case.case)}</td><td>{html.escape(r.model)}</td>"
                f"<td>{verdict}</td><td>{case.latency_s * 1000:.0f} ms</td>"
                f"<td>{case.input_tokens}+{case.output_tokens}</td>"
                f"<td>{html.escape(case.answer[:300])}</td><td>{detail}</td></tr>"
            )
    summary = "".join(
        f"<li>{html.escape(r.suite.name)} on {html.escape(r.model)}: score {r.score:.0%} "
        f"(threshold {r.suite.threshold:.0%})</li>"
        for r in results
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Eval report</title><style>"
        "body{font-family:sans-serif}td,th{border:1px solid #ccc;padding:4px}"
        "table{border-collapse:collapse}.fail{background:#fdd}.pass{background:#dfd}"
        "</style></head><body><h1>Eval report</h1><ul>"
        f"{summary}</ul><table><tr><th>suite</th><th>case</th><th>model</th><th>result</th>"
        "<th>latency</th><th>tokens</th><th>answer</th><th>notes</th></tr>"
        f"{''.join(rows)}</table></body></html>"
    )
