"""Self-contained HTML rendering of a report: one file, the paper plot embedded as base64 PNG/SVG.

Jinja2 with autoescaping: text that came from input files (ids, header fields) cannot inject
markup. The draft notice is a red banner at the top and repeated at the bottom.

Example
-------
>>> from medts.examples import simulate_example
>>> from medts.report.build import ReportBuilder
>>> html = render_html(ReportBuilder(text="template").build(simulate_example("sinus")))
>>> "DRAFT for clinician review" in html and "<img" not in html
True
"""

from __future__ import annotations

import base64

import jinja2

from medts.report.render_markdown import section_tables, text_source
from medts.report.schema import Report

_CSS = """
body{font-family:system-ui,Segoe UI,Helvetica,Arial,sans-serif;max-width:1100px;margin:1em auto;color:#222}
.notice{border:3px solid #b00000;background:#fff2f2;color:#b00000;font-weight:bold;padding:.7em 1em;font-size:1.1em}
table{border-collapse:collapse;margin:.3em 0 1em}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}
th{background:#f4f4f4}.flag-high,.flag-low{color:#b00000;font-weight:bold}.note{color:#555;font-style:italic}
img.paper{width:100%;border:1px solid #ddd}.interp{background:#f8f8ff;border-left:4px solid #3b7dd8;padding:.6em 1em}
@media print{body{max-width:none}img.paper{width:297mm;max-width:100%}}
"""

_TEMPLATE = jinja2.Environment(autoescape=True).from_string("""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>DRAFT ECG report {{ r.record.record_id }}</title>
<style>{{ css }}</style></head><body>
<div class="notice" role="alert">&#9888; {{ r.notice }}</div>
<h1>Draft ECG report: {{ r.record.record_id }}</h1>
{% if image_uri %}<img class="paper" alt="12-lead ECG on paper, 25 mm/s, 10 mm/mV" src="{{ image_uri }}">{% endif %}
<h2>Interpretation (draft)</h2>
<div class="interp">{{ r.interpretation.text }}</div>
<p class="note">Text written by: {{ source }}{% for g in r.interpretation.grounding %}; {{ g }}{% endfor %}.</p>
{% for title, note, table in sections %}
<h2>{{ title }}</h2>
{% if note %}<p class="note">{{ note }}</p>{% endif %}
{% if table %}<table>{% if table[1]|select|list %}<tr>{% for h in table[1] %}<th>{{ h }}</th>{% endfor %}</tr>{% endif %}
{% for row in table[2] %}<tr>{% for c in row %}<td{% if c in ("HIGH", "LOW") %} class="flag-{{ c|lower }}"{% endif %}>{{ c }}</td>{% endfor %}</tr>{% endfor %}
</table>{% endif %}
{% endfor %}
{% if figures %}<h2>Whole recording: heart-rate trend and strips of the worst events</h2>
{% for caption, uri in figures %}<figure><img class="paper" alt="{{ caption }}" src="{{ uri }}"><figcaption>{{ caption }}</figcaption></figure>
{% endfor %}{% endif %}
<h2>Tools</h2><table>{% for k, v in r.tools.items() %}<tr><td>{{ k }}</td><td>{{ v }}</td></tr>{% endfor %}</table>
<p class="note">Schema {{ r.schema_version }}; generated {{ r.generated_at }} by medts {{ r.medts_version }}.</p>
<div class="notice">&#9888; {{ r.notice }}</div>
</body></html>
""")


def data_uri(data: bytes, fmt: str = "png") -> str:
    mime = {"png": "image/png", "svg": "image/svg+xml"}[fmt]
    return f"data:{mime};base64," + base64.b64encode(data).decode("ascii")


def render_html(report: Report, *, image: bytes | None = None, image_format: str = "png",
                figures: list[tuple[str, bytes]] | None = None) -> str:
    """The report as one self-contained HTML page (``image``: the paper plot's PNG or SVG bytes;
    ``figures``: (caption, SVG bytes) of the whole-recording trend and event strips)."""
    return _TEMPLATE.render(r=report, css=_CSS, sections=section_tables(report), source=text_source(report.interpretation),
                            image_uri=data_uri(image, image_format) if image else None,
                            figures=[(caption, data_uri(svg, "svg")) for caption, svg in figures or []])
