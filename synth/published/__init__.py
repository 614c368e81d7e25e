"""Releases from published figures: the figures as data, their consistency, the joint they imply,
k-anonymous profiles sized to meet them, and the data card (`tipkit synth check`, `generate`)."""

from pathlib import Path

FOLDER = Path(__file__).resolve().parent  # the figure and priors files installed with tipkit
IOM_2018 = "iom-2018-border-crossings.yaml"


def default_figures(folder: Path = FOLDER) -> Path:
    """The IOM 2018 figures file in `folder` (by default the copy installed with tipkit). From a
    checkout it is named as the README and `make demo` name it, synth/published/..., so that the
    data card of the default release quotes the documented command byte for byte."""
    path = Path(folder) / IOM_2018
    relative = Path("synth/published") / IOM_2018
    if relative.is_file() and relative.resolve() == path.resolve():
        return relative
    return path
