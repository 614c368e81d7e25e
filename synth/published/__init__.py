"""Releases from published figures: the figures as data, their consistency, the joint they imply,
k-anonymous profiles sized to meet them, and the data card (`tipkit synth check`, `generate`)."""
