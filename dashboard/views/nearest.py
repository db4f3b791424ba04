import numpy as np
import pandas as pd
import streamlit as st

from core import analysis
from dashboard import cached_data, components, figures

st.title("Nearest to and farthest from the average")
split = components.split_picker()
images, labels = cached_data.images_and_labels(split)
k = st.slider("Images per side (k)", 1, 15, 5)
distances = cached_data.distances_to_class_average(split)

st.markdown(
    "Distance is the **Euclidean distance** between an image and the average image of its digit, "
    "over all 784 pixels in gray levels 0-255. Each row: a digit's **k nearest** images (left, "
    "nearest first), then its **k farthest** (right, farthest first)."
)
rows, records = [], []
for digit in analysis.CLASSES:
    nearest, farthest = analysis.nearest_and_farthest(distances, labels, digit, k)
    rows.append(np.concatenate([images[nearest], np.zeros_like(images[:1]), images[farthest]]))
    for side, chosen in (("nearest", nearest), ("farthest", farthest)):
        records += [{"digit": digit, "side": side, "rank": rank + 1, "index": int(i),
                     "distance": float(distances[i])} for rank, i in enumerate(chosen)]
st.plotly_chart(figures.montage(analysis.montage(np.concatenate(rows), columns=2 * k + 1)))

table = pd.DataFrame(records)
spread = table.pivot_table(index="digit", columns="side", values="distance", aggfunc="first")
widest = int((spread["farthest"] - spread["nearest"]).idxmax())
st.markdown(f"The digit whose images stray farthest from its average is **{widest}** "
            f"(its farthest image is {spread['farthest'][widest]:.0f} away, its nearest "
            f"{spread['nearest'][widest]:.0f}).")
st.dataframe(table, hide_index=True,
             column_config={"distance": st.column_config.NumberColumn(format="%.1f")})
