"""Server-rendered SVG charts: no script, no CDN, readable by screen readers (a title, a
description and the figures as text), printable as they are."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

PALETTE = ("#1f5fa8", "#c2571a", "#2e8540", "#7a3e9d", "#a07a00", "#5a6b7b")


def bar_chart(title: str, labels: Sequence[str], series: dict[str, Sequence[float]],
              *, width: int = 640, unit: str = "") -> str:
    """Grouped bars: one group per label, one bar per series (legend below the axis)."""
    names = list(series)
    n = max(len(labels), 1)
    top = max([max(v, default=0.0) for v in series.values()] + [0.0]) or 1.0
    left, right, head, foot = 48, 12, 28, 64 + 16 * ((len(names) + 2) // 3)
    plot_h = 200
    height = head + plot_h + foot
    group_w = (width - left - right) / n
    bar_w = max(2.0, min(28.0, group_w * 0.8 / max(len(names), 1)))
    parts = [
        (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
        f'width="100%" class="chart" aria-labelledby="t d">'),
        f'<title id="t">{escape(title)}</title>',
        f'<desc id="d">{escape(_describe(labels, series, unit))}</desc>',
        f'<text x="{left}" y="18" class="chart-title" font-weight="bold">{escape(title)}</text>',
        (f'<line x1="{left}" y1="{head + plot_h}" x2="{width - right}" y2="{head + plot_h}" '
        'stroke="#555"/>'),
    ]
    for tick in range(5):
        value = top * tick / 4
        y = head + plot_h - plot_h * tick / 4
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" '
                     f'font-size="10">{_fmt(value)}</text>')
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
                     'stroke="#ddd"/>')
    for i, label in enumerate(labels):
        x0 = left + i * group_w + (group_w - bar_w * len(names)) / 2
        for j, name in enumerate(names):
            value = float(series[name][i]) if i < len(series[name]) else 0.0
            h = plot_h * value / top
            x = x0 + j * bar_w
            parts.append(
                f'<rect x="{x:.1f}" y="{head + plot_h - h:.1f}" width="{bar_w - 1:.1f}" '
                f'height="{h:.1f}" fill="{PALETTE[j % len(PALETTE)]}">'
                f'<title>{escape(label)}, {escape(name)}: {_fmt(value)}{escape(unit)}</title>'
                '</rect>')
        parts.append(f'<text x="{left + (i + 0.5) * group_w:.1f}" y="{head + plot_h + 14}" '
                     f'text-anchor="middle" font-size="10">{escape(_short(label))}</text>')
    for j, name in enumerate(names):
        x = left + (j % 3) * 190
        y = head + plot_h + 36 + 16 * (j // 3)
        parts.append(f'<rect x="{x}" y="{y - 9}" width="10" height="10" '
                     f'fill="{PALETTE[j % len(PALETTE)]}"/>')
        parts.append(f'<text x="{x + 14}" y="{y}" font-size="11">{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def line_chart(title: str, labels: Sequence[str], series: dict[str, Sequence[float]],
               *, width: int = 640) -> str:
    """Lines over periods (trends), one per series."""
    n = max(len(labels), 1)
    top = max([max(v, default=0.0) for v in series.values()] + [0.0]) or 1.0
    left, right, head, plot_h = 48, 12, 28, 180
    height = head + plot_h + 64 + 16 * ((len(series) + 2) // 3)
    step = (width - left - right) / max(n - 1, 1)
    parts = [
        (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
        f'width="100%" class="chart" aria-labelledby="lt ld">'),
        f'<title id="lt">{escape(title)}</title>',
        f'<desc id="ld">{escape(_describe(labels, series, ""))}</desc>',
        f'<text x="{left}" y="18" font-weight="bold">{escape(title)}</text>',
        (f'<line x1="{left}" y1="{head + plot_h}" x2="{width - right}" y2="{head + plot_h}" '
        'stroke="#555"/>'),
    ]
    for tick in range(5):
        y = head + plot_h - plot_h * tick / 4
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" '
                     f'font-size="10">{_fmt(top * tick / 4)}</text>')
    for i, label in enumerate(labels):
        if n <= 12 or i % 2 == 0:
            parts.append(f'<text x="{left + i * step:.1f}" y="{head + plot_h + 14}" '
                         f'text-anchor="middle" font-size="10">{escape(label)}</text>')
    for j, (name, values) in enumerate(series.items()):
        colour = PALETTE[j % len(PALETTE)]
        points = " ".join(f"{left + i * step:.1f},{head + plot_h - plot_h * float(v) / top:.1f}"
                          for i, v in enumerate(values))
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" '
                     f'points="{points}"/>')
        x = left + (j % 3) * 190
        y = head + plot_h + 36 + 16 * (j // 3)
        parts.append(f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{x + 14}" y="{y}" font-size="11">{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _describe(labels: Sequence[str], series: dict[str, Sequence[float]], unit: str) -> str:
    rows = []
    for name, values in series.items():
        cells = ", ".join(f"{label} {_fmt(float(v))}{unit}" for label, v in zip(labels, values))
        rows.append(f"{name}: {cells}")
    return "; ".join(rows) or "no data"


def _fmt(value: float) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if value >= 10_000:
        return f"{value / 1000:.0f}k"
    return f"{value:.0f}" if value == int(value) else f"{value:.2f}"


def _short(label: str, size: int = 14) -> str:
    return label if len(label) <= size else label[: size - 1] + "…"
