"""The policy report: plain-language answer, charts (Plotly in HTML, matplotlib PNG) and tables,
from a result folder."""
