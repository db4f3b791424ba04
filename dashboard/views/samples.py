import streamlit as st

from core import analysis
from dashboard import cached_data, components, figures

st.title("Samples")
split = components.split_picker()
images, labels = cached_data.images_and_labels(split)

how = st.radio("Which images", ["first", "random", "digit"], horizontal=True,
               format_func={"first": "The first ones", "random": "Random",
                            "digit": "Random of one digit"}.get)
left, middle, right = st.columns(3)
count = left.slider("How many", 1, 60, 9)
seed = middle.number_input("Random seed", 0, 2**31 - 1, 0, disabled=how == "first")
digit = right.selectbox("Digit", analysis.CLASSES, disabled=how != "digit")

indices = analysis.sample_indices(labels, how, count, seed=int(seed), digit=digit)
st.caption(f"{len(indices)} {split} images, labels above each (#index: label).")
st.plotly_chart(figures.image_grid(
    images[indices], [f"#{i}: {labels[i]}" for i in indices], columns=min(len(indices), 10),
))
