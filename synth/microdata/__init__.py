"""Releases fitted to case records: readers and public domains, the marginal engine, the privacy
budget, journey legs, and the data card (`tipkit synth fit`)."""
