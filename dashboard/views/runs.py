import pandas as pd
import streamlit as st

from core import architecture, run_records, runs
from core.architecture import ConfigError, TrainingConfig
from core.status import SAVED, Status
from dashboard import classroom, components, glossary, pages, run_comparison, session
from dashboard.text import said

st.title("Runs")
glossary.link("accuracy", "parameters", "epoch", "loss", "overfitting")
st.caption("Every run is saved in the server's runs folder (its operator sets where, with "
           f"{runs.RUNS_ENV}).")
all_runs = runs.list_runs()
if not all_runs:
    st.info("No runs yet: train a network first.")
    st.page_link(pages.TRAIN, label="Go to the Train page", icon=":material/model_training:")
    st.stop()
me = session.owner()
names = classroom.class_names()
report = classroom.test_report()  # the public half's accuracy, while a challenge hides the other
TESTED = "test accuracy (public half)" if report.hidden else "test accuracy"
if report.hidden:
    st.info("A class challenge runs: test accuracies here are on the public half of the test set. The "
            "other half scores the challenge and stays hidden until your teacher reveals it.",
            icon=":material/visibility_off:")


def made_by(run: runs.Run) -> str:
    if run.managed_by(me):
        return "you"
    if name := names.get(run.owner):  # plain text in the table: no escaping needed there
        return name
    return {None: "unknown", "terminal": "terminal"}.get(run.owner, "another session")


def _started_from(run: runs.Run) -> str:
    """The preset and what was changed ("given, learning rate 0.15, 5 epochs")."""
    try:
        return architecture.started_from(TrainingConfig.from_dict(run.record.get("config")))
    except ConfigError:  # a damaged or incomplete run: its note says why
        return ""


table = pd.DataFrame([{
    "name": run.name,
    "status": run.status,
    TESTED: report.accuracy(run),
    "validation accuracy": run.record.get("validation_accuracy"),
    "parameters": run.record.get("parameters"),
    "seconds": run.record.get("training_seconds"),
    "epochs": run.record.get("epochs_run"),
    "made by": made_by(run),
    "trained for": run_records.trained_for(run.record),
    "architecture": run.record.get("description", ""),
    "started from": _started_from(run),
    "created": run.record.get("created", ""),
    "note": run.problem or run.record.get("message", ""),
    "id": run.id,
} for run in all_runs])
st.dataframe(table, hide_index=True, column_config={
    TESTED: st.column_config.NumberColumn(format="percent"),
    "validation accuracy": st.column_config.NumberColumn(format="percent"),
    "seconds": st.column_config.NumberColumn(format="%.1f"),
    "parameters": st.column_config.NumberColumn(format="localized"),
    "trained for": st.column_config.TextColumn(help="A trial of an architecture search, the Draw page's "
                                               "default network, a fold of the label audit's "
                                               "cross-validation; empty for a training of your own"),
})
if diverged := [run for run in all_runs if run.status == Status.DIVERGED]:
    st.error(f"{len(diverged)} run(s) diverged (their loss became NaN or infinite): they are kept for "
             "the record, but not offered for evaluation or drawing. Try a lower learning rate.")
if damaged := [run for run in all_runs if run.status in (Status.DAMAGED, Status.INCOMPLETE)]:
    st.warning(f"{len(damaged)} run folder(s) are damaged or incomplete and cannot be used; "
               "the table's note column says why.")


def label(run: runs.Run) -> str:
    return f"{run.name} ({run.status}, {run.id})"


st.header("Compare runs")
run_comparison.compare([run for run in all_runs if run.usable], label)

st.header("Rename, download or delete")
st.caption("You can rename and delete the runs this browser session made; the others are read-only "
           "here (from a terminal, `python -m core.cli runs list|rename|delete` manages every run).")
run = st.selectbox("Run", all_runs, format_func=label)
yours = run.managed_by(me)
if not yours:
    st.info(f"This run was made by {made_by(run)}: read-only here.", icon=":material/lock:")
left, middle, right = st.columns(3)
with left.form("rename"):
    new_name = st.text_input("New name", value=run.name, max_chars=runs.MAX_NAME_LENGTH)
    if st.form_submit_button("Rename", disabled=not yours or run.status not in SAVED):
        try:
            runs.rename_run(run.id, new_name, owner=me)
        except runs.RunError as problem:  # deleted meanwhile, or not this session's
            st.error(said(problem))
        else:
            st.rerun()
if report.hidden and not classroom.is_teacher():
    middle.caption("Model downloads are off while the class challenge runs.")
elif run.usable:  # the file is read when the button is clicked, not each time the page is drawn
    middle.download_button("Download the model (.keras)", data=lambda: runs.model_bytes(run),
                           file_name=f"mnist-{run.id}.keras", mime="application/zip")
    if any(layer.get("repeat", 1) > 1 for layer in run.record["config"].get("conv", [])):
        middle.caption("Its shared block is a layer of MNIST Explorer's own: Keras loads this file "
                       "with core/architecture/shared_block.py imported. The Python script below "
                       "needs Keras alone.")
sure = right.checkbox("Yes, delete this run", key=f"sure-{run.id}", disabled=not yours)
if right.button("Delete", disabled=not (sure and yours), type="primary"):
    try:
        runs.delete_run(run.id, owner=me)
    except runs.RunError as problem:
        st.error(said(problem))
    else:
        st.rerun()
if run.status in SAVED:  # its record was checked when read: its configuration is whole
    st.caption("Take its training home as code: it trains the same network the same way, on your machine.")
    components.code_downloads(TrainingConfig.from_dict(run.record["config"]), run.name, run.id,
                              key=f"code-{run.id}")
    components.start_from_run(run, key=f"start-from-{run.id}")
