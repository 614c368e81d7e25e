"""What every release is: its schema, ids and legs, the one checker of its guarantees, its folder
on disk and its release.json. Shared by both pipelines, the evaluation, the simulation and the app."""
