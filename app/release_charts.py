"""The datasets page's charts as plotly figures: each published figure's interval against the
value achieved on the released rows, and the distribution of one column."""

from __future__ import annotations

import pandas as pd

from tipkit.sim.report.charts import PALETTE


def figures_chart(table: pd.DataFrame):
    """Share figures only (counts have their own scale): the published interval as a bar, the
    value achieved as a dot; a dot inside its bar is a figure that holds."""
    import plotly.graph_objects as go

    shares = table[table.kind == "share"].iloc[::-1]
    labels = [f"{row.id}: {row.figure}" for row in shares.itertuples()]
    fig = go.Figure()
    fig.add_trace(go.Bar(
        name="published interval", y=labels, x=shares.high - shares.low, base=shares.low,
        orientation="h", marker_color="rgba(27,108,168,0.25)",
        hovertext=[f"published: {p}" for p in shares.published], width=0.6))
    fig.add_trace(go.Scatter(
        name="achieved on the released rows", y=labels, x=shares.achieved, mode="markers",
        marker={"color": [PALETTE[0] if h == "yes" else PALETTE[1] for h in shares.holds],
                "size": 10, "symbol": "diamond"}))
    fig.update_layout(template="plotly_white", height=90 + 34 * len(shares),
                      margin={"l": 10, "r": 10, "t": 40, "b": 40}, xaxis_tickformat=".0%",
                      title={"text": "Published figures: interval and value achieved",
                             "x": 0.01},
                      legend={"orientation": "h", "y": -0.12})
    return fig


def distribution_chart(counts: pd.DataFrame, title: str):
    """Rows by value of one column (`value`, `rows`, `share` as tipkit.app.releases.distribution)."""
    import plotly.graph_objects as go

    fig = go.Figure(go.Bar(x=counts["value"].astype(str), y=counts["share"],
                           marker_color=PALETTE[0],
                           hovertext=[f"{n:,} rows" for n in counts["rows"]]))
    fig.update_layout(template="plotly_white", height=300, title={"text": title, "x": 0.01},
                      margin={"l": 10, "r": 10, "t": 40, "b": 10}, yaxis_tickformat=".0%",
                      xaxis_type="category")
    return fig
