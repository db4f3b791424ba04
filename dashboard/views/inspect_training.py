import numpy as np
import streamlit as st

from core import evaluation, inspection, runs
from dashboard import cached_models, components, figures, glossary, inspect_picker, pages, view_link
from dashboard.help_texts import INSIDE
from dashboard.text import said

LINKED_CELL = "replay-linked-cell"  # the cell a link opened, shown until another is clicked

st.title("Replay the training")
glossary.link("epoch", "loss", "overfitting", "validation set", "confusion matrix", "recall")
st.caption("Every run keeps its weights after each epoch: pick an epoch (or press Play) to see the "
           "network as it was then.")
if link := view_link.opened():  # a link to a view of this page: its run, epoch and cell
    st.session_state[LINKED_CELL] = view_link.cell(link)
    view_link.choose(link, "split", "inspect_split", evaluation.SPLITS.__contains__,
                     why="not one of " + ", ".join(evaluation.SPLITS))
run, epoch = inspect_picker.pick_run_and_epoch(link)
split = st.radio("Images", evaluation.SPLITS, horizontal=True, index=1, key="inspect_split",
                 help=INSIDE["split"],
                 format_func=str.capitalize)
try:
    images, y_true = cached_models.run_split(run.id, split)
    every_epoch = cached_models.epoch_probabilities(run, split)  # computed once, then read from the cache
except runs.RunError as problem:  # damaged, or deleted by someone since the list was drawn
    st.error(f"This run cannot be replayed: {said(problem)}")
    st.stop()
predictions = every_epoch.argmax(axis=2)  # (epochs, images)
probabilities = every_epoch[epoch - 1].astype(np.float32)
now = predictions[epoch - 1]

# --- how it learned -------------------------------------------------------------------------------
st.header("How it learned")
columns = st.columns(3)
columns[0].metric(f"{split.capitalize()} accuracy after epoch {epoch}", f"{(now == y_true).mean():.2%}",
                  delta=None if epoch == 1 else
                  f"{((now == y_true).mean() - (predictions[epoch - 2] == y_true).mean()) * 100:+.2f} pts")
columns[1].metric("Mistakes", f"{int((now != y_true).sum()):,} of {len(y_true):,}")
columns[2].metric("Epochs kept", f"{len(predictions)}")
st.plotly_chart(figures.training_curves(run.record.get("history", {}), marker=epoch),
                key="inspect_curves")
st.caption("How to read it: loss (lower is better) and accuracy (higher is better) after each epoch, on "
           "the training images and on the validation images held out; the vertical line marks the "
           "epoch shown below. A validation curve that turns back while the training one keeps "
           "improving is overfitting.")
components.training_notices(run.record.get("history", {}), ended=True)

st.subheader(f"Confusion matrix after epoch {epoch}")
st.caption("Click a cell to see its images.")
cell = components.confusion_with_images(f"inspect-confusion-{run.id}-{split}-{epoch}", images, y_true,
                                        probabilities, False, split, "inspect_cell_gallery",
                                        st.session_state.get(LINKED_CELL))
view_link.write(run=run.id, epoch=epoch, split=split, cell=f"{cell[0]}-{cell[1]}" if cell else None)

st.subheader("Recall of every digit, epoch by epoch")
st.caption("The share of each digit's images read right after each epoch: which digits it learned "
           "first, and which took longest.")
st.plotly_chart(figures.recall_heatmap(inspection.recall_by_epoch(y_true, predictions)),
                key="inspect_recall")

# --- learned and forgotten ------------------------------------------------------------------------
st.subheader(f"What changed in epoch {epoch}")
before = predictions[epoch - 2] if epoch > 1 else np.full_like(now, -1)  # before epoch 1: nothing
learned, forgot = inspection.learned_and_forgotten(y_true, before, now)
left, right = st.columns(2)
with left:
    st.markdown(f"**Learned: {len(learned):,}** images wrong after epoch {epoch - 1}, right after "
                f"epoch {epoch}" if epoch > 1 else f"**Right after the first epoch: {len(learned):,}**")
    components.gallery("learned_gallery", images, learned, lambda i: f"#{i}: {y_true[i]}")
with right:
    st.markdown(f"**Forgotten: {len(forgot):,}** images right after epoch {epoch - 1}, wrong after "
                f"epoch {epoch}" if epoch > 1 else "**Forgotten**: nothing yet, at the first epoch")
    components.gallery("forgot_gallery", images, forgot, lambda i: f"#{i}: {y_true[i]}, read {now[i]}")
st.page_link(pages.INSIDE, label="Look inside the network at this epoch",
             icon=":material/neurology:")
