"""tipkit: safe synthetic trafficking-case data and border-screening what-if simulation.

The command line lives in `tipkit.cli`; the work is done by the `synth` and `sim` packages.
"""

__version__ = "0.1.0"
