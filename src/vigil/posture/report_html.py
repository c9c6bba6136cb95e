"""The posture report as one static HTML page (scores, checks with their fixes, and the
controls proven by the lake's events)."""

from __future__ import annotations

import html

from vigil.posture.report import PostureReport


def to_html(report: PostureReport) -> str:
    e = html.escape
    parts = [
        f"<html><head><meta charset='utf-8'><title>Vigil posture {e(report.snapshot)}</title>"
        "<style>body{font-family:sans-serif}td{padding:2px 8px;vertical-align:top}"
        ".FAILED{color:#b00}.WARNING{color:#a60}.PASSED{color:#070}</style></head><body>",
        f"<h1>Posture</h1><p>snapshot {e(report.snapshot)} ({e(report.source)})</p><table>",
    ]
    for name, s in report.scores.items():
        parts.append(f"<tr><td>{s.score}%</td><td>{e(name)}</td><td>{s.passed}/{s.total}</td></tr>")
    parts.append("</table><h2>Checks</h2><table>")
    for row in report.checks:
        bad = "".join(
            f"<div>{e(r.resource)}: {e(r.reason)}</div>"
            for r in row.resources
            if r.status != "PASSED"
        )
        remedy = row.remediation
        fix = f"<div><b>fix</b> {e(remedy['console'])}</div><code>{e(remedy['cli'])}</code>"
        fix = fix if bad else ""
        parts.append(
            f"<tr><td class='{row.status}'>{row.status}</td><td>{e(row.severity)}</td>"
            f"<td><b>{e(row.check)}</b> {e(row.title)}{bad}{fix}</td></tr>"
        )
    parts.append("</table>")
    if report.proven:
        parts.append("<h2>Proven by the lake's events</h2><table>")
        for p in report.proven:
            missed = ", ".join(p.missed[:5])
            parts.append(
                f"<tr><td>{e(p.control)}</td><td>{e(p.verdict)}</td>"
                f"<td>{p.should_match} event(s)</td><td>{e(missed)}</td></tr>"
            )
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)
