import base64
import io

import numpy as np
import pandas as pd
import streamlit as st
from PIL import Image

from core import audit, runs
from core.architecture import preset
from core.jobs import Refused
from dashboard import cached_data, cached_models, components, figures, live_trainings, pages, server, session
from dashboard.help_texts import INSIDE
from dashboard.text import for_markdown, said

FOLDS = 3  # a "best" network per fold, 5 epochs each: about half a minute in all here

st.title("Label audit")
st.caption("cleanlab ranks the images whose given label the networks' out-of-sample predictions "
           "doubt most. Nothing in the dataset is changed: mark each suspect and download your review.")
split = st.radio("Images", ["test", "train"], horizontal=True, key="audit_split", help=INSIDE["split"],
                 format_func={"test": "the test set", "train": "the training set"}.get)
usable = sorted(cached_data.usable_runs(), key=components.test_accuracy, reverse=True)
x_all = cached_data.images_and_labels(split)[0]

if split == "test":
    if not usable:
        st.info("There is no trained network yet: train one (the conv preset gives the best audit).")
        st.stop()
    chosen = st.multiselect("Runs whose probabilities are averaged (the strongest first)", usable,
                            default=usable[:3], format_func=components.run_label, key="audit_runs",
                            help=INSIDE["audit_runs"])
    if not chosen:
        st.stop()
    try:
        table = cached_models.label_ranking(split, tuple(run.id for run in chosen))
    except runs.RunError as problem:
        st.error(f"A run cannot be used: {said(problem)}")
        st.stop()
    st.caption("Out of sample: no run ever trains on the test images. Averaging several runs makes "
               "the ranking stronger than any one of them.")
else:
    folds = audit.complete_cross_validations(usable)
    if not folds:
        st.info(f"On the training set a network's own probabilities are not out of sample: it has "
                f"learned those labels. The audit needs a {FOLDS}-fold cross-validation: {FOLDS} "
                "trainings, each scoring the third of the images it never trained on.")
        me = session.owner()
        if (trainings := server.reachable_trainings()) is None:
            st.stop()
        if st.button(f"Run the {FOLDS}-fold cross-validation", type="primary"):
            base = preset("best")
            base.hyper.epochs = 5
            try:
                for number, config in enumerate(audit.cross_validation_configs(base, FOLDS), 1):
                    trainings.submit(config, f"cross-validation fold {number} of {FOLDS}", owner=me)
            except Refused as refusal:
                st.warning(str(refusal), icon=":material/block:")
        live_trainings.follow(lambda: trainings.jobs(owner=me), curves=False)
        st.stop()
    fold_runs = folds[0]
    try:
        table = cached_models.label_ranking(split, tuple(run.id for run in fold_runs))
    except (runs.RunError, ValueError) as problem:
        st.error(f"The cross-validation cannot be used: {said(problem)}")
        st.stop()
    st.caption("Out of sample, from the cross-validation runs: "
               + ", ".join(for_markdown(run.name) for run in fold_runs))

flagged = int(table["flagged"].sum())
st.metric("Flagged by cleanlab", f"{flagged:,} of {len(table):,} images")
st.caption("cleanlab flags an image only where it estimates that the dataset holds more mistakes of "
           "that kind (given this label, probably that one) than the images it is surest of. With "
           "strong networks it flags few images, or none: that does not mean the labels are all "
           "right. The ranking below puts the likeliest errors first whatever is flagged (the "
           "'flagged' column says which), so review it from the top.")

# --- the suspects, most suspicious first ---------------------------------------------------------
count = st.slider("Suspects shown", 10, 200, 30, step=10, key="audit_count", help=INSIDE["suspects"])
shown = table.head(count).copy()


def data_url(image: np.ndarray) -> str:
    buffer = io.BytesIO()
    Image.fromarray(figures.enlarged(image, 2)).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


reviews = st.session_state.setdefault(f"audit_reviews_{split}", {})
shown.insert(0, "image", [data_url(x_all[i]) for i in shown["index"]])
shown["review"] = [reviews.get(int(i), audit.REVIEW_CHOICES[0]) for i in shown["index"]]
edited = st.data_editor(
    shown, hide_index=True, key=f"audit_editor_{split}", row_height=64,
    disabled=[c for c in shown.columns if c != "review"], column_config={
        "image": st.column_config.ImageColumn("image", width="small"),
        "flagged": st.column_config.CheckboxColumn(help="flagged by cleanlab's find_label_issues"),
        "quality": st.column_config.NumberColumn(format="%.4f"),
        "P(given)": st.column_config.NumberColumn(format="%.3f"),
        "P(suggested)": st.column_config.NumberColumn(format="%.3f"),
        "review": st.column_config.SelectboxColumn(options=audit.REVIEW_CHOICES, required=True)})
reviews.update({int(i): mark for i, mark in zip(edited["index"], edited["review"])})
review = pd.DataFrame([{"split": split, "index": i, "review": mark} for i, mark in sorted(reviews.items())
                       if mark != audit.REVIEW_CHOICES[0]], columns=["split", "index", "review"])
review = review.merge(table, on="index", how="left")
left, right = st.columns(2)
left.download_button(f"Download the review ({len(review)} marked)", review.to_csv(index=False),
                     file_name=f"label-review-{split}.csv", mime="text/csv")
if split == "test":
    focus = right.selectbox("Show one on the map", shown["index"], key="audit_focus", help=INSIDE["focus"],
                            format_func=lambda i: f"#{i}")
    if right.button("Open the map there", icon=":material/scatter_plot:"):
        st.session_state[session.MAP_FOCUS] = int(focus)
        st.session_state[session.MAP_SPLIT] = "test"
        st.switch_page(pages.MAP)
