"""The report's charts, each described once (series of points with 95% intervals) and drawn
twice: as an interactive Plotly figure for the HTML page and as a PNG with matplotlib."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

PALETTE = ("#1b6ca8", "#d1495b", "#edae49", "#00798c", "#66a182", "#8d6a9f", "#30638e",
           "#a4243b", "#5c5c5c", "#c17c74")


@dataclass
class Series:
    name: str
    x: list
    y: list[float]
    low: list[float] | None = None
    high: list[float] | None = None
    x_low: list[float] | None = None        # horizontal intervals (scatter only)
    x_high: list[float] | None = None
    text: list[str] | None = None           # point labels (scatter) or hover text
    emphasis: bool = False                  # drawn on top, thicker (e.g. the efficient options)


@dataclass
class Chart:
    """One chart. kind: "lines" (intervals as bands), "points" (intervals as error bars),
    "bars" (categories on x, intervals as error bars) or "hbars" (categories down the side,
    first at the top, for long labels; `x` holds the categories and `y` the values)."""
    key: str
    title: str
    kind: str
    x_label: str
    y_label: str
    series: list[Series]
    caption: str = ""
    y_percent: bool = False
    hline: float | None = None              # a reference level (e.g. beds, zero)
    hline_label: str = ""
    vline: float | None = None
    vline_label: str = ""
    notes: list[str] = field(default_factory=list)


def _clean(values):
    return [None if v is None or (isinstance(v, float) and not math.isfinite(v)) else v
            for v in values]


def _err(s: Series, axis: str):
    mid, lo, hi = (s.y, s.low, s.high) if axis == "y" else (s.x, s.x_low, s.x_high)
    if lo is None or hi is None:
        return None
    plus = [None if (h is None or m is None or not math.isfinite(h)) else h - m
            for m, h in zip(mid, hi)]
    minus = [None if (l_ is None or m is None or not math.isfinite(l_)) else m - l_
             for m, l_ in zip(mid, lo)]
    return {"type": "data", "symmetric": False, "array": plus, "arrayminus": minus,
            "thickness": 1.2, "width": 3}


def to_plotly(chart: Chart):
    """The chart as a plotly Figure."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for i, s in enumerate(chart.series):
        color = PALETTE[i % len(PALETTE)]
        if chart.kind == "bars":
            fig.add_trace(go.Bar(name=s.name, x=s.x, y=_clean(s.y), error_y=_err(s, "y"),
                                 marker_color=color, hovertext=s.text))
            continue
        if chart.kind == "hbars":
            fig.add_trace(go.Bar(name=s.name, y=s.x, x=_clean(s.y), error_x=_err(s, "y"),
                                 orientation="h", marker_color=color, hovertext=s.text))
            continue
        if chart.kind == "lines" and s.low is not None and len(s.x) > 1:
            fig.add_trace(go.Scatter(x=list(s.x) + list(s.x)[::-1],
                                     y=_clean(list(s.high) + list(s.low)[::-1]),
                                     fill="toself", fillcolor=_alpha(color, 0.18),
                                     line={"width": 0}, hoverinfo="skip", showlegend=False,
                                     legendgroup=s.name))
        mode = "lines+markers" if chart.kind == "lines" else "markers"
        if chart.kind == "points" and s.emphasis:
            mode = "lines+markers+text" if s.text else "lines+markers"
        elif chart.kind == "points" and s.text:
            mode = "markers+text"
        fig.add_trace(go.Scatter(
            name=s.name, x=s.x, y=_clean(s.y), mode=mode, legendgroup=s.name,
            line={"color": color, "width": 3 if s.emphasis else 2,
                  "dash": "dot" if (chart.kind == "points" and s.emphasis) else "solid"},
            marker={"color": color, "size": 9 if s.emphasis else 8},
            error_y=_err(s, "y") if (chart.kind == "points" or len(s.x) == 1) else None,
            error_x=_err(s, "x") if chart.kind == "points" else None,
            text=s.text, textposition="top center", hovertext=s.text))
    if chart.hline is not None:
        fig.add_hline(y=chart.hline, line_dash="dash", line_color="#555",
                      annotation_text=chart.hline_label, annotation_position="top left")
    if chart.vline is not None:
        fig.add_vline(x=chart.vline, line_dash="dot", line_color="#555",
                      annotation_text=chart.vline_label, annotation_position="top right")
    height = 430
    if chart.kind == "hbars":
        fig.update_yaxes(autorange="reversed", automargin=True)
        height = max(height, 120 + 28 * max((len(s.x) for s in chart.series), default=0))
    fig.update_layout(template="plotly_white", title={"text": chart.title, "x": 0.01},
                      xaxis_title=chart.x_label, yaxis_title=chart.y_label, height=height,
                      margin={"l": 70, "r": 20, "t": 60, "b": 60}, barmode="group",
                      legend={"orientation": "h", "y": -0.2})
    if chart.y_percent:
        (fig.update_xaxes if chart.kind == "hbars" else fig.update_yaxes)(tickformat=".0%")
    return fig


def to_png(chart: Chart, path: Path) -> None:
    """The chart as a PNG (no browser needed)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import PercentFormatter

    rows = max((len(s.x) for s in chart.series), default=0)
    tall = chart.kind == "hbars" and rows > 10
    fig, ax = plt.subplots(figsize=(8.5, 1.2 + 0.32 * rows if tall else 4.8), dpi=110)
    if chart.kind == "hbars":
        for i, s in enumerate(chart.series):
            ax.barh(range(len(s.x)), _nan(s.y), color=PALETTE[i % len(PALETTE)], label=s.name,
                    xerr=_mpl_err(s) if s.low is not None else None, capsize=3)
            ax.set_yticks(range(len(s.x)))
            ax.set_yticklabels([_wrap(str(c), 48) for c in s.x], fontsize=7)
        ax.invert_yaxis()
    elif chart.kind == "bars":
        categories = list(dict.fromkeys(x for s in chart.series for x in s.x))
        width = 0.8 / max(1, len(chart.series))
        for i, s in enumerate(chart.series):
            pos = [categories.index(x) + (i - (len(chart.series) - 1) / 2) * width for x in s.x]
            ax.bar(pos, _nan(s.y), width, label=s.name, color=PALETTE[i % len(PALETTE)],
                   yerr=_mpl_err(s) if s.low is not None else None, capsize=3)
        ax.set_xticks(range(len(categories)))
        ax.set_xticklabels([_wrap(str(c)) for c in categories], fontsize=8,
                           rotation=30 if len(categories) > 4 else 0, ha="right"
                           if len(categories) > 4 else "center")
    else:
        for i, s in enumerate(chart.series):
            color = PALETTE[i % len(PALETTE)]
            if chart.kind == "lines":
                ax.plot(s.x, _nan(s.y), "-o", color=color, label=s.name, ms=4)
                if s.low is not None and len(s.x) > 1:
                    ax.fill_between(s.x, _nan(s.low), _nan(s.high), color=color, alpha=0.18,
                                    lw=0)
                elif s.low is not None:
                    ax.errorbar(s.x, _nan(s.y), yerr=_mpl_err(s), fmt="none", ecolor=color)
            else:
                style = ":o" if s.emphasis else "o"
                ax.errorbar(s.x, _nan(s.y), yerr=_mpl_err(s) if s.low is not None else None,
                            xerr=_mpl_err(s, "x") if s.x_low is not None else None,
                            fmt=style, color=color, label=s.name, capsize=3, ms=6,
                            lw=2 if s.emphasis else 1)
                for x, y, t in zip(s.x, s.y, s.text or []):
                    if t and not s.emphasis and x is not None and y is not None:
                        ax.annotate(t, (x, y), fontsize=7, xytext=(4, 4),
                                    textcoords="offset points")
    if chart.hline is not None:
        ax.axhline(chart.hline, ls="--", color="#555", lw=1)
        if chart.hline_label:
            ax.annotate(chart.hline_label, (0.01, chart.hline), xycoords=("axes fraction", "data"),
                        fontsize=8, xytext=(0, 3), textcoords="offset points")
    if chart.vline is not None:
        ax.axvline(chart.vline, ls=":", color="#555", lw=1)
        if chart.vline_label:
            ax.annotate(chart.vline_label, (chart.vline, 1.0), xycoords=("data", "axes fraction"),
                        fontsize=8, xytext=(3, -12), textcoords="offset points")
    if chart.y_percent:
        (ax.xaxis if chart.kind == "hbars" else ax.yaxis).set_major_formatter(
            PercentFormatter(1.0))
    ax.set_title(chart.title, loc="left", fontsize=11)
    ax.set_xlabel(chart.x_label)
    ax.set_ylabel(chart.y_label)
    ax.grid(alpha=0.3)
    if len(chart.series) > 1 or chart.kind not in ("bars", "hbars"):
        ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    fig.savefig(path, format="png")  # the path may be a temporary name
    plt.close(fig)


def _nan(values):
    return [math.nan if v is None else v for v in values]


def _mpl_err(s: Series, axis: str = "y"):
    mid, lo, hi = (s.y, s.low, s.high) if axis == "y" else (s.x, s.x_low, s.x_high)
    below = [0 if (m is None or l_ is None or not math.isfinite(l_)) else max(0, m - l_)
             for m, l_ in zip(mid, lo)]
    above = [0 if (m is None or h is None or not math.isfinite(h)) else max(0, h - m)
             for m, h in zip(mid, hi)]
    return [below, above]


def _wrap(text: str, width: int = 18) -> str:
    words, lines, line = text.split(), [], ""
    for w in words:
        if len(line) + len(w) + 1 > width and line:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    lines.append(line)
    return "\n".join(lines)


def _alpha(hex_color: str, alpha: float) -> str:
    r, g, b = (int(hex_color[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"
