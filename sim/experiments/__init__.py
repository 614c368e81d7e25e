"""Experiments on the model: replications (local or Dask), comparisons on common random numbers,
sweeps, the statistics behind their intervals, and the result folders they write."""
