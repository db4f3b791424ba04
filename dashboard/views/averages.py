import streamlit as st

from core import analysis
from dashboard import cached_data, components, figures

st.title("The average digit")
split = components.split_picker()
means, stds = cached_data.class_averages(split)
titles = [f"{digit}" for digit in analysis.CLASSES]

st.markdown("Each image below is the pixel-wise **mean** of every image of that digit in the "
            f"{split} set: the blur shows where writers agree and where they vary.")
st.plotly_chart(figures.image_grid(means, titles, columns=10))

st.subheader("Per-pixel standard deviation")
most_varied = int(stds.mean(axis=(1, 2)).argmax())
least_varied = int(stds.mean(axis=(1, 2)).argmin())
st.markdown(f"Bright pixels are where that digit's images disagree most. On average over its "
            f"pixels, **{most_varied}** varies most and **{least_varied}** least.")
st.plotly_chart(figures.image_grid(stds, titles, columns=10, zmax=float(stds.max()),
                                   colour_scale="viridis"))
