"""The release committed under releases/iom-2018 is exactly what the documented command builds."""

from pathlib import Path

from click.testing import CliRunner

from tipkit.cli import main

COMMITTED = Path(__file__).parents[1] / "releases" / "iom-2018"


def test_committed_release_is_rebuilt_byte_for_byte(tmp_path, monkeypatch):
    monkeypatch.chdir(Path(__file__).parents[1])  # the command as the README gives it
    out = tmp_path / "iom-2018"
    result = CliRunner().invoke(main, [
        "synth", "generate", "--published", "synth/published/iom-2018-border-crossings.yaml",
        "--cases", "8000", "--k", "11", "--seed", "7", "--out", str(out)])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in COMMITTED.iterdir())
    assert names == ["cases.csv", "datacard.md", "datapackage.json", "dataset.jsonld",
                     "legs.csv", "metadata.json", "release.json"]
    for name in names:
        assert (out / name).read_bytes() == (COMMITTED / name).read_bytes(), f"{name} is stale"
