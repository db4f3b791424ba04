import numpy as np
import streamlit as st

from core import evaluation, inspection, runs
from dashboard import (
    cached_models,
    figures,
    glossary,
    inspect_picker,
    pages,
    session,
    view_link,
    why_this_answer,
)
from dashboard.help_texts import INSIDE
from dashboard.text import said

st.title("Inside the network")
glossary.link("weights", "activation", "convolution", "softmax")
if link := view_link.opened():  # a link to a view of this page: its run, epoch and test image
    if "image" in link:
        st.session_state["inspect_source"] = "a test image"
    view_link.choose(link, "image", "inspect_index", lambda index: 0 <= index < 10_000, int,
                     why="the test images are numbered 0 to 9,999")
run, epoch = inspect_picker.pick_run_and_epoch(link)
try:
    model = cached_models.epoch_model(run.id, epoch)
    x_test, y_test = cached_models.run_split(run.id, "test")
except runs.RunError as problem:  # damaged, or deleted by someone since the list was drawn
    st.error(f"This run cannot be inspected: {said(problem)}")
    st.stop()

# --- what the first layer looks for ---------------------------------------------------------------
st.header("What the first layer looks for")
kind, kernels = inspection.first_layer_images(model)
norms = np.linalg.norm(kernels.reshape(len(kernels), -1), axis=1)
left, right = st.columns(2)
order = right.radio("Order", ["strongest first", "as in the layer"], horizontal=True, key="inspect_order",
                    help=INSIDE["order"])
count = left.slider("How many", 1, min(64, len(kernels)), min(24, len(kernels)), key="inspect_units",
                    help=INSIDE["count"])
shown = (np.argsort(-norms, kind="stable") if order == "strongest first" else np.arange(len(kernels)))[:count]
what = "unit" if kind == "dense" else "filter"
st.caption(
    "Each image is one first-layer unit's 784 input weights, laid out like the digit: red pixels "
    "raise the unit's value when they carry ink, blue ones lower it. Pixels that are blank in every "
    "training image (the border) never get a gradient: they keep their random first weights. A unit's "
    "strength is the size of its weights (their Euclidean norm)."
    if kind == "dense" else
    "Each image is one first-layer convolution filter: red weights respond to ink, blue to its absence.")
titles = [f"{what} {i}<br>strength {norms[i]:.2f}" for i in shown]
st.plotly_chart(figures.signed_images(kernels[shown], titles,
                                      columns=8, legend="weight<br>red > 0<br>blue < 0"),
                key="inspect_first_layer")
with st.expander(f"Weight histograms of every layer after epoch {epoch}"):
    st.caption("How to read them: how many weights of each layer have each value. Training spreads "
               "them out from their random start; a layer whose weights all stay near 0 learned little.")
    histograms = inspection.weight_histograms(model)
    for column, (name, counts, edges) in zip(st.columns(min(3, len(histograms))) * 4, histograms):
        column.plotly_chart(figures.weight_histogram(name, counts, edges), key=f"histogram-{name}")

# --- activations of one input ---------------------------------------------------------------------
st.header("What every layer does with one image")
sources = ["a test image", "a random test image", "a confusion-matrix cell", "the digit drawn on Draw"]
source = st.radio("Input", sources, horizontal=True, key="inspect_source", help=INSIDE["source"])
if source == "a test image":
    index = st.number_input("Test image number", 0, len(x_test) - 1, 0, key="inspect_index",
                            help=INSIDE["index"])
    image = x_test[index]
elif source == "a random test image":
    if st.button("Another one", icon=":material/casino:") or "inspect_random" not in st.session_state:
        st.session_state["inspect_random"] = int(np.random.default_rng().integers(len(x_test)))
    image = x_test[st.session_state["inspect_random"]]
elif source == "a confusion-matrix cell":
    left, middle, right = st.columns(3)
    true = left.selectbox("True digit", range(10), key="inspect_true", help=INSIDE["true"])
    read = middle.selectbox("Read as (by the final network)", range(10), index=(true + 1) % 10,
                            key="inspect_read", help=INSIDE["read"])
    cell = evaluation.cell_indices(y_test, cached_models.run_probabilities(run.id, "test"), true, read)
    if not len(cell):
        st.info(f"No test image of a {true} was read as {read}: pick another cell.")
        st.stop()
    rank = right.number_input(f"Image of the {len(cell)} in that cell", 1, len(cell), 1, key="inspect_rank",
                              help=INSIDE["rank"])
    image = x_test[cell[rank - 1]]
else:
    image = st.session_state.get(session.DRAWN_DIGIT)
    if image is None:
        st.info("Nothing drawn yet: draw a digit on the Draw page, then come back.")
        st.page_link(pages.DRAW, label="Go to the Draw page", icon=":material/draw:")
        st.stop()

view_link.write(run=run.id, epoch=epoch, image=index if source == "a test image" else None)

st.caption("How to read it: the bars are the probability the network gives each digit (its answer is the "
           "longest); below, each layer's outputs for this image: one cell per unit (or one small image per "
           "feature map), the brighter the more active.")
layers = cached_models.activation_probe(run.id, epoch)(image)
probabilities = layers[-1][1]
left, right = st.columns([1, 3])
left.image(figures.enlarged(image, 5), caption="The input", width=140)
right.plotly_chart(figures.probability_bars(probabilities), key="inspect_output")
for name, values in layers[:-1]:
    if values.ndim == 1:
        st.plotly_chart(figures.activation_strip(values, name), key=f"activation-{name}")
    else:
        maps = values.transpose(2, 0, 1)[:32]
        st.markdown(f"**{name}**: {values.shape[2]} feature maps of {values.shape[0]}x{values.shape[1]}"
                    + (" (the first 32)" if values.shape[2] > 32 else ""))
        st.plotly_chart(figures.image_grid(maps, [f"map {i}" for i in range(len(maps))], columns=8,
                                           zmax=float(maps.max()) or 1.0, colour_scale="Viridis"),
                        key=f"activation-{name}")

# --- why this answer ------------------------------------------------------------------------------
st.header("Why this answer")
why_this_answer.explain(run.id, epoch, image, int(np.argmax(probabilities)), key="inspect-why")
