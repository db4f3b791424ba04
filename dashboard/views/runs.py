import pandas as pd
import streamlit as st

from core import runs
from dashboard import figures

st.title("Runs")
st.caption(f"Saved under {runs.runs_dir()} (set {runs.RUNS_ENV} to keep them elsewhere).")
all_runs = runs.list_runs()
if not all_runs:
    st.info("No runs yet: train a network first.")
    st.page_link("views/train.py", label="Go to the Train page", icon=":material/model_training:")
    st.stop()

table = pd.DataFrame([{
    "name": run.name,
    "status": run.status,
    "preset": run.record.get("config", {}).get("preset", ""),
    "architecture": run.record.get("description", ""),
    "parameters": run.record.get("parameters"),
    "epochs": run.record.get("epochs_run"),
    "validation accuracy": run.record.get("validation_accuracy"),
    "test accuracy": run.record.get("test_accuracy"),
    "seconds": run.record.get("training_seconds"),
    "created": run.record.get("created", ""),
    "problem": run.problem,
    "id": run.id,
} for run in all_runs])
st.dataframe(table, hide_index=True, column_config={
    "validation accuracy": st.column_config.NumberColumn(format="percent"),
    "test accuracy": st.column_config.NumberColumn(format="percent"),
    "seconds": st.column_config.NumberColumn(format="%.1f"),
    "parameters": st.column_config.NumberColumn(format="localized"),
})
damaged = [run for run in all_runs if not run.usable]
if damaged:
    st.warning(f"{len(damaged)} run folder(s) are damaged or incomplete and cannot be used; "
               "the table's problem column says why. Pick one below to delete it.")


def label(run: runs.Run) -> str:
    return f"{run.name} ({run.status}, {run.id})"


st.header("Compare curves")
usable = [run for run in all_runs if run.usable]
compared = st.multiselect("Runs to overlay", usable, default=usable[:2], format_func=label)
if compared:
    st.plotly_chart(figures.runs_overlay({label(run): run.record.get("history", {})
                                          for run in compared}))

st.header("Rename, download or delete")
run = st.selectbox("Run", all_runs, format_func=label)
left, middle, right = st.columns(3)
with left.form("rename"):
    new_name = st.text_input("New name", value=run.name, max_chars=runs.MAX_NAME_LENGTH)
    if st.form_submit_button("Rename", disabled=not run.usable):
        try:
            runs.rename_run(run.id, new_name)
        except runs.RunError as problem:
            st.error(str(problem))
        else:
            st.rerun()
if run.usable:
    middle.download_button("Download the model (.keras)",
                           data=(run.folder / runs.MODEL_FILE).read_bytes(),
                           file_name=f"mnist-{run.id}.keras", mime="application/zip")
sure = right.checkbox("Yes, delete this run", key=f"sure-{run.id}")
if right.button("Delete", disabled=not sure, type="primary"):
    runs.delete_run(run.id)
    st.rerun()
