"""The datasets page: the releases in the releases folder, each with its privacy guarantee in
plain words, its published figures against the values achieved, its main distributions, its
data card and a one-file download; and a form to build a new release."""

import streamlit as st

from tipkit.app import releases, settings
from tipkit.app.release_charts import distribution_chart, figures_chart
from tipkit.app.screens import job_progress
from tipkit.app.screens.job_progress import follow
from tipkit.errors import UserError

JOB = "build_job"
CHOSEN = "release"
SHOWN = "build_shown"


@st.cache_resource(show_spinner="Reading and measuring the release...", max_entries=8)
def examined(folder: str, published: str, stamp: float) -> releases.Examined:
    """A release read and measured once per version of its files (`stamp`: newest mtime)."""
    return releases.examine(folder, published)


@st.cache_data(show_spinner=False, max_entries=8)
def zipped(folder: str, stamp: float) -> bytes:
    return releases.release_zip(folder)


def main() -> None:
    config = settings.current()
    st.title("Datasets")
    st.caption("Safe synthetic case records of trafficking victims, with their journey legs: "
               "look before you download. No row describes a real person.")
    found = releases.find_releases(config.releases)
    job = st.session_state.get(JOB)
    if job is not None and job.succeeded and st.session_state.get(SHOWN) is not job:
        st.session_state[CHOSEN] = job.result      # show the release just built, once
        st.session_state[SHOWN] = job
    if not found:
        st.warning(f"No release in {settings.shown(config.releases)} yet: build one below.")
    else:
        _browse(found, config)
    st.divider()
    _build_form(config)


def _browse(found, config) -> None:
    names = [p.name for p in found]
    if st.session_state.get(CHOSEN) not in names:
        st.session_state[CHOSEN] = (releases.DEFAULT_RELEASE
                                    if releases.DEFAULT_RELEASE in names else names[0])
    name = st.selectbox(f"Release (in the folder {settings.shown(config.releases)}/)", names,
                        key=CHOSEN)
    folder = found[names.index(name)]
    stamp = max(p.stat().st_mtime for p in releases.release_files(folder))
    try:
        release = examined(str(folder), str(config.published), stamp)
    except UserError as error:
        st.error(f"{name}: {error}")
        return
    made = release.manifest
    top = st.columns([3, 1])
    top[0].markdown(f"**{name}**: {releases.sizes(release)}, built from {made.made_from}, "
                    f"k = {made.settings.k}.")
    top[1].download_button("Download (zip)", zipped(str(folder), stamp),
                           file_name=f"{name}.zip", mime="application/zip",
                           key="download-release", on_click="ignore", type="primary",
                           width="stretch",
                           help="The data, metadata.json (SDV metadata), the data card, "
                           "release.json (how it was made, with every file's hash) and "
                           "datapackage.json with dataset.jsonld (a standard data package "
                           "that R, Stata and data repositories read).")
    for problem in release.problems:
        st.warning(f"{name}: {problem}", icon=":material/warning:")
    st.markdown("#### Privacy, in plain words")
    st.success(releases.privacy_words(release), icon=":material/shield:")
    _privacy_evidence(folder)
    st.markdown("#### Published figures against the values achieved")
    if release.figures is None and made.settings.figures is not None:
        st.info(f"The published-figures file this release was built from "
                f"({made.settings.figures.name}) is not here unchanged, so its figures cannot "
                "be measured again: see its data card.")
    elif release.figures is None:
        st.info("This release was not built from published figures (it was fitted to case "
                "records), so there are no figures to compare: see its data card.")
    else:
        held = int((release.figures.holds == "yes").sum())
        chosen = int((release.figures.holds == "size chosen").sum())
        st.caption(f"{held} of {len(release.figures)} figures hold on the released rows "
                   "themselves" + ("; the number of cases was chosen by the builder, and the "
                                   "number of legs is scaled to it" if chosen else "") + ".")
        st.plotly_chart(figures_chart(release.figures), key="figures-chart",
                        config={"displaylogo": False})
        st.dataframe(_figures_view(release.figures), hide_index=True, width="stretch",
                     height=36 * (len(release.figures) + 1) + 2)   # every figure, no scroll
    st.markdown("#### The main distributions")
    charts = [(release.cases, c, t) for c, t in releases.CASE_CHARTS.items()
              if c in release.cases.columns]
    if release.legs is not None:
        charts += [(release.legs, c, t) for c, t in releases.LEG_CHARTS.items()
                   if c in release.legs.columns]
    columns = st.columns(2)
    for i, (table, column, title) in enumerate(charts):
        unit = "cases" if table is release.cases else "journey legs"
        with columns[i % 2]:
            st.plotly_chart(distribution_chart(releases.distribution(table, column),
                                               f"{title} (share of {unit})"),
                            key=f"dist-{column}", config={"displaylogo": False})
    with st.expander("Data card", expanded=False):
        card = releases.datacard_text(folder)
        st.markdown(card or "This release has no data card.")


def _privacy_evidence(folder) -> None:
    """The attacks and the DP audit that `fit --audit` measured, one plain sentence each."""
    from tipkit.synth.microdata.evidence import evidence_sentences

    sentences = evidence_sentences(folder)
    if not sentences:
        return
    st.markdown("#### Attacks on this release, measured")
    st.caption("Measured by `tipkit synth fit --audit` on a release fitted to half of the "
               "records, with the other half as the control (see the data card).")
    for sentence in sentences:
        st.info(sentence, icon=":material/policy:")


def _figures_view(table):
    """The figures table as a reader reads it: shares in percent, counts whole."""
    view = table.copy()
    shares = view.kind == "share"
    for column in ("low", "high", "achieved"):
        view[column] = [f"{x:.1%}" if share else f"{x:,.0f}"
                        for x, share in zip(view[column], shares, strict=True)]
    return view.drop(columns="kind").rename(columns={
        "id": "#", "low": "interval from", "high": "to", "achieved": "achieved"})


def _build_form(config) -> None:
    st.markdown("#### Build a new release from published figures")
    files = releases.figures_files(config.published)
    job = st.session_state.get(JOB)
    if job is not None and job.running:
        follow(job)
        return
    if job is not None and job.error:
        st.error(f"The release was not built: {job.error}")
    elif job is not None and job.result is not None:
        st.success(f"Built {job.result}: it is now in the list above.")
    if not files:
        st.error(f"No published-figures file in {config.published}.")
        return
    with st.form("build"):
        columns = st.columns(4)
        figures = columns[0].selectbox("Published figures", files, format_func=lambda p: p.name,
                                       key="build-figures")
        cases = columns[1].number_input("Cases", min_value=10, max_value=200_000, value=8000,
                                        step=1000, key="build-cases")
        k = columns[2].number_input("k (smallest group)", min_value=2, max_value=100_000,
                                    value=11, step=1, key="build-k",
                                    help="Every combination of values is shared by at least "
                                         "k synthetic cases.")
        seed = columns[3].number_input("Seed", min_value=0, value=7, step=1, key="build-seed")
        name = st.text_input("Release name (a folder in the releases folder)",
                             placeholder="e.g. iom-2018-k20", key="build-name")
        submitted = st.form_submit_button("Build", type="primary")
    if not submitted:
        return
    name = name.strip() or f"{figures.stem}-k{int(k)}-seed{int(seed)}"
    if not releases.release_name_ok(name):
        st.error(f"{name!r} is not a usable folder name: use letters, digits, '.', '-' and "
                 "'_'.")
        return
    out = config.releases / name
    if out.exists():
        st.error(f"A release named {name} already exists in "
                 f"{settings.shown(config.releases)}: choose another name.")
        return

    def work(advance, early) -> str:
        releases.build(figures, out, int(cases), int(k), int(seed), advance)
        return name

    # the build writes a new folder: run once, never answered from the cache
    job_progress.submit(JOB, work, kind="build", label="fitting the joint")


main()
