import numpy as np
import streamlit as st

from core import evaluation, runs
from dashboard import (
    cached_data,
    cached_models,
    components,
    glossary,
    pages,
    run_comparison,
    session,
    view_link,
)
from dashboard.help_texts import EVALUATION as MEANING
from dashboard.text import for_markdown, said

LINKED_CELL = "evaluate-linked-cell"  # the cell a link opened, shown until another is clicked

st.title("Evaluate a network")
glossary.link("accuracy", "precision", "recall", "f1", "confusion matrix", "test set", "softmax")
usable = cached_data.usable_runs()
if not usable:
    st.info("There is no trained network to evaluate yet. Train one (a few seconds with the "
            "'given' preset on fewer images), then come back.")
    st.page_link(pages.TRAIN, label="Go to the Train page", icon=":material/model_training:")
    st.stop()


if link := view_link.opened():  # a link to a view of this page: its run, split and cell
    view_link.choose(link, "run", session.EVALUATE_RUN, {run.id for run in usable}.__contains__)
    view_link.choose(link, "split", "evaluate_split", evaluation.SPLITS.__contains__,
                     why="not one of " + ", ".join(evaluation.SPLITS))
    st.session_state[LINKED_CELL] = view_link.cell(link)
left, right = st.columns([3, 1])
run = components.run_picker(left, usable, session.EVALUATE_RUN)
split = right.radio("Split", evaluation.SPLITS, horizontal=True, index=1, key="evaluate_split",
                    format_func=str.capitalize)
try:
    probabilities = cached_models.run_probabilities(run.id, split)
    images, y_true = cached_models.run_split(run.id, split)
except runs.RunError as problem:  # damaged, or deleted by someone since the list was drawn
    st.error(f"This run cannot be evaluated: {said(problem)}")
    st.stop()
y_pred = probabilities.argmax(axis=1)
components.start_from_run(run, key=f"start-from-{run.id}")


def gallery(key: str, indices: np.ndarray, caption) -> None:
    components.gallery(key, images, indices, caption)


# --- overall --------------------------------------------------------------------------------------
overall = evaluation.overall_metrics(y_true, y_pred)
metrics = evaluation.per_class_metrics(y_true, y_pred)
columns = st.columns(4)
columns[0].metric("Accuracy", f"{overall['accuracy']:.2%}", help=MEANING["accuracy"])
columns[1].metric(f"Mistakes (of {len(y_true):,})", f"{int((y_pred != y_true).sum()):,}",
                  help=MEANING["mistakes"])
columns[2].metric("Macro f1", f"{overall['macro f1']:.4f}", help=MEANING["macro f1"])
columns[3].metric("Weighted f1", f"{overall['weighted f1']:.4f}", help=MEANING["weighted f1"])

# --- confusion matrix -----------------------------------------------------------------------------
st.header("Confusion matrix")
as_percent = st.toggle("Row percentages (share of each true digit)", value=False)
st.caption("Click a cell to see its images: a mistake cell shows the most confident mistakes "
           "first, a diagonal cell the least confident correct answers first.")
cell = components.confusion_with_images(f"confusion-{run.id}-{split}", images, y_true, probabilities,
                                        as_percent, split, "cell_gallery", st.session_state.get(LINKED_CELL))
view_link.write(run=run.id, split=split, cell=f"{cell[0]}-{cell[1]}" if cell else None)

# --- per-class metrics ----------------------------------------------------------------------------
st.header("Per-class metrics")
if absent := evaluation.absent_digits(y_true):
    st.info(f"Digit(s) {', '.join(map(str, absent))} do not occur in this split: they are left out of "
            "the table and of the macro and weighted averages (a digit with no image has no recall).")
by_digit = metrics.set_index("digit")["precision"]
best, worst = int(by_digit.idxmax()), int(by_digit.idxmin())
st.markdown(f"Highest precision: **{best}** ({by_digit[best]:.2%} of the images read "
            f"as {best} are {best}s); lowest: **{worst}** ({by_digit[worst]:.2%}).")
st.caption("Each row counts one digit d against all the others; hover a column's name for its meaning.")
st.dataframe(metrics, hide_index=True, column_config={
    name: st.column_config.NumberColumn(format="%.4f" if name not in ("TP", "FP", "FN", "TN", "support")
                                        else None, help=meaning)
    for name, meaning in MEANING.items() if name in metrics.columns})
st.markdown(" · ".join(f"{name}: {value:.4f}" for name, value in overall.items()))
st.download_button("Download the metrics (CSV)", metrics.to_csv(index=False),
                   file_name=f"metrics-{run.id}-{split}.csv", mime="text/csv")

# --- the most confident mistakes ------------------------------------------------------------------
st.header("The most confident mistakes")
count = st.slider("How many", 5, 100, 20)
st.markdown("Many of MNIST's most confident 'mistakes' are images whose label is itself wrong "
            "or that even a person cannot read: look before you blame the network.")
mistakes = evaluation.confident_mistakes(y_true, probabilities, count)
gallery("mistakes_gallery", mistakes,
        lambda i: f"#{i} true {y_true[i]}, read {y_pred[i]} ({probabilities[i, y_pred[i]]:.2f})")

# --- compare with another run ---------------------------------------------------------------------
others = [other for other in usable if other.id != run.id]
st.header("Compare with another run")
if not others:
    st.caption("Train a second network to compare the two on the same images.")
else:
    by_id = {other.id: other for other in others}
    if st.session_state.get(run_comparison.OTHER_RUN) not in by_id:  # deleted since, or this very run
        st.session_state.pop(run_comparison.OTHER_RUN, None)
    other = by_id[st.selectbox("Other run", list(by_id), format_func=lambda run_id: components.run_label(
        by_id[run_id]), key=run_comparison.OTHER_RUN)]
    try:
        other_pred = cached_models.run_probabilities(other.id, split).argmax(axis=1)
        other_true = cached_models.run_split(other.id, split)[1]
    except runs.RunError as problem:
        st.error(f"The other run cannot be evaluated: {said(problem)}")
        st.stop()
    if split == "validation" and not np.array_equal(other_true, y_true):
        st.warning("The two runs were validated on different images (another seed, fraction or "
                   "slice); compare them on the test split instead.")
        st.stop()
    left, right = st.columns(2)
    this_name, other_name = for_markdown(run.name), for_markdown(other.name)
    left.metric(this_name, f"{(y_pred == y_true).mean():.2%}", help=MEANING["accuracy"])
    right.metric(other_name, f"{(other_pred == y_true).mean():.2%}", help=MEANING["accuracy"])
    only_this, only_other = evaluation.disagreements(y_true, y_pred, other_pred)
    with left:
        st.markdown(f"**{len(only_this):,}** images only *{this_name}* gets right")
        gallery("only_this_gallery", only_this, lambda i: f"#{i} {y_true[i]}: other read {other_pred[i]}")
    with right:
        st.markdown(f"**{len(only_other):,}** images only *{other_name}* gets right")
        gallery("only_other_gallery", only_other, lambda i: f"#{i} {y_true[i]}: this read {y_pred[i]}")
