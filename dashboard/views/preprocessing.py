import streamlit as st

from core import preprocessing
from dashboard import cached_data, components, figures

st.title("Preprocessing")
mean, std = cached_data.pixel_statistics()
st.markdown(
    "Networks here see **standardised** pixels: every pixel has the training set's per-pixel mean "
    "subtracted and is divided by its per-pixel standard deviation, floored at "
    f"{preprocessing.STD_FLOOR:g} gray levels (a tenth of the range). The classic analysis added "
    "1e-10 instead, which blows one stray stroke in an almost-always-black border pixel up to about "
    "a billion and lets the networks fit noise; with the floor, the presets gain 0.6 points of "
    "validation accuracy. The statistics come from the training images only, and travel inside "
    "every saved model."
)
st.caption("How to read it: the training images' mean gray level at each pixel (left) and its standard "
           "deviation (right), on one colour scale: the border is near 0 in both, which is why the "
           "deviation needs its floor.")
st.plotly_chart(figures.image_grid(
    [mean, std], ["per-pixel mean", "per-pixel std"], columns=2, zmax=float(max(mean.max(), std.max())),
    colour_scale="viridis",
).update_layout(coloraxis_showscale=True))

st.header("Before and after")
split = components.split_picker()
images, labels = cached_data.images_and_labels(split)
count = st.slider("First images", 1, 10, 5)
after = preprocessing.standardise(images[:count], mean, std)
titles = [f"#{i}: {labels[i]}" for i in range(count)]
st.markdown("**Raw pixels** (0-255)")
st.plotly_chart(figures.image_grid(images[:count], titles, columns=count))
st.markdown("**Standardised** (shown from -3 to +3 standard deviations; red above the mean)")
st.plotly_chart(figures.image_grid(after, titles, columns=count, zmin=-3, zmax=3,
                                   colour_scale="RdBu_r"))
