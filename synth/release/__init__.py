"""What every release is: its schema, its folder on disk, and the privacy guarantees counted on it.
Shared by both pipelines, the evaluation, the simulation and the app."""
