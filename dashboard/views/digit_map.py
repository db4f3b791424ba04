import numpy as np
import streamlit as st

from core import audit, embedding, runs
from dashboard import cached_data, cached_models, components, figures, server, session
from dashboard.help_texts import MAP
from dashboard.text import for_markdown, said

st.title("A map of the digits")
st.caption("Every image is a point, placed so that images that look alike (to the pixels, or to a "
           "layer of a network) sit together. Click a point; or pick the box or lasso tool at the "
           "chart's top right and draw around some.")

# --- what to place, and how ------------------------------------------------------------------------
left, middle, right = st.columns(3)
split = left.radio("Points", ["test", "train"], horizontal=True, key=session.MAP_SPLIT,
                   help=MAP["points"], format_func={
    "test": f"the {len(cached_data.mnist().y_test):,} test images",
    "train": "a sample of the training images"}.get)
sample = middle.number_input("Sample size", 1000, embedding.MAX_TRAIN_SAMPLE, 5000, step=1000,
                             key="map_sample", help=MAP["sample"], disabled=split == "test")
seed = right.number_input("Seed (sample and layout)", 0, 2**31 - 1, 0, key="map_seed", help=MAP["seed"])
usable = {run.id: run for run in
          sorted(cached_data.usable_runs(), key=components.test_accuracy, reverse=True)}
spaces = [*list(usable)[:1], embedding.PIXELS, *list(usable)[1:]]  # the most accurate run's view first
space = left.selectbox("Space", spaces, key="map_space", help=MAP["space"], format_func=lambda space: (
    "raw pixels" if space == embedding.PIXELS else f"activations of {components.run_label(usable[space])}"))
run_id = None if space == embedding.PIXELS else space
colour_run = run_id or next(iter(usable), None)  # whose predictions colour the points
try:
    layers = embedding.layer_names(cached_models.run_model(run_id)) if run_id else []
    probabilities = cached_models.map_probabilities(colour_run, split, sample, seed) if colour_run else None
except runs.RunError as problem:  # damaged, or deleted by someone since the list was drawn
    st.error(f"This run cannot be used: {said(problem)}")
    st.stop()
layer = middle.selectbox("Layer (the last hidden one first)", layers, key="map_layer",
                         help=MAP["layer"]) if run_id else None
method = right.radio("Method", list(embedding.METHODS), horizontal=True, key="map_method", help=MAP["method"],
                     format_func=embedding.METHODS.get)
parameters = {}
for column, (name, (default, low, high)) in zip(st.columns(4), embedding.PARAMETERS[method].items()):
    parameters[name] = column.number_input(name.replace("_", " "), type(default)(low), type(default)(high),
                                           default, key=f"map-{method}-{name}", help=MAP[name])
parameters = embedding.check_parameters(method, parameters)

# --- the layout: from the cache, at once for PCA, or computed in the background -----------------
points = cached_data.map_points(split, sample, seed)
features = cached_models.map_features(split, sample, seed, run_id, layer, cached_data.shown_test_set())
key = embedding.layout_key(split=split, sample=sample if split == "train" else None, seed=seed,
                           data=cached_data.mnist().source + cached_data.shown_test_set(), run=run_id,
                           layer=layer, method=method, parameters=parameters)
compute = lambda: embedding.embed(features, method, parameters, seed)  # noqa: E731
layout = embedding.cached_layout(key, compute) if method == "pca" else embedding.stored_layout(key)
if layout is None:  # UMAP or t-SNE, not computed yet: in the background, for whoever asks
    task = server.background_tasks().submit(
        key, f"{embedding.METHODS[method]} of {len(points):,} points",
        lambda: embedding.cached_layout(key, compute))
    if not task.future.done():
        tens = max(1.0, len(points) / 10_000)  # both grow about linearly with the points here
        components.wait_for(task, f"UMAP takes about {10 * tens:.0f} s for {len(points):,} points on an "
                                  "idle server, and its first run in a server compiles it first: 45 to 100 s "
                                  "more (the more trainings run meanwhile, the longer); t-SNE about "
                                  f"{40 * tens:.0f} s.")
        st.stop()
    if task.future.exception():
        st.error(f"The layout could not be computed: {task.future.exception()}")
        st.stop()
    layout = task.future.result()

# --- colours ---------------------------------------------------------------------------------------
labels = cached_data.images_and_labels(split)[1][points].astype(int)
images = cached_data.images_and_labels(split)[0]
choices = ["true label"] + (["predicted label", "right / wrong"] if colour_run else []) + (
    ["label quality"] if colour_run and split == "test" else [])
colour_by = st.radio("Colour by", choices, horizontal=True, key="map_colour", help=MAP["colour"])
predicted = probabilities.argmax(axis=1) if probabilities is not None else labels
values = {"true label": labels, "predicted label": predicted, "right / wrong": predicted == labels}.get(
    colour_by)
if colour_by == "label quality":
    values = audit.label_quality(labels, probabilities)
if colour_run and colour_by != "true label":
    st.caption(f"Predictions of {for_markdown(components.run_label(usable[colour_run]))}.")
hover = [f"#{points[row]}: label {labels[row]}, read {predicted[row]}" for row in range(len(points))]
focus_index = st.session_state.get(session.MAP_FOCUS)
focus = int(np.flatnonzero(points == focus_index)[0]) if focus_index in points else None
figure = figures.digits_map(layout, colour_by, values, hover, focus)
event = st.plotly_chart(figure, on_select="rerun", selection_mode=("points", "box", "lasso"),
                        key=f"map-{key}")
chosen = components.selected_rows(event, figure)

# --- what was chosen ---------------------------------------------------------------------------------
if len(chosen) == 1 or (not chosen and focus is not None):
    row = chosen[0] if chosen else focus
    index = int(points[row])
    st.subheader(f"{split.capitalize()} image #{index}: label {labels[row]}"
                 + (f", read as {predicted[row]}" if probabilities is not None else ""))
    left, right = st.columns([1, 3])
    left.image(figures.enlarged(images[index], 6), width=168)
    if probabilities is not None:
        right.plotly_chart(figures.probability_bars(probabilities[row]), key="map_probabilities")
    nearest = embedding.nearest_neighbours(features, row)
    st.markdown("**Its 8 nearest neighbours** in this space (Euclidean distance"
                + (f" between {layer} activations)" if layer else " between pixels)"))
    st.image([figures.enlarged(images[points[i]]) for i in nearest],
             caption=[f"#{points[i]}: {labels[i]}" for i in nearest], width=84)
elif len(chosen) > 1:
    st.subheader(f"{len(chosen):,} images selected")
    left, right = st.columns([1, 2])
    left.plotly_chart(figures.label_histogram(labels[chosen]), key="map_histogram")
    with right:
        components.gallery("map_gallery", images, points[chosen],
                           lambda i: f"#{i}: {cached_data.images_and_labels(split)[1][i]}")
