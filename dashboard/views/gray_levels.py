import streamlit as st

from core import analysis
from dashboard import cached_data, components, figures

st.title("Gray levels")
split = components.split_picker()
images, _ = cached_data.images_and_labels(split)
levels = cached_data.mean_gray_levels(split)

st.header("Mean gray level per image")
first_n = st.slider("Over the first N images", 1, len(images), min(100, len(images)))
first_counts = analysis.gray_level_histogram(levels[:first_n])
all_counts = analysis.gray_level_histogram(levels)
integer_levels = ", ".join(str(int(level)) for level in levels[:10])
st.markdown(f"The integer mean gray level of the first ten {split} images: {integer_levels}, ... "
            f"Over all {len(images):,} images the mean is {levels.mean():.3f} (of 255).")
top = int(all_counts.nonzero()[0].max()) + 1  # no image is brighter on average: cut the empty rest
left, right = st.columns(2)
left.plotly_chart(figures.histogram(first_counts[:top], "mean gray level", "images",
                                    colour=figures.SPLIT_COLOURS[split]).update_layout(
    title=f"First {first_n:,} images"))
right.plotly_chart(figures.histogram(all_counts[:top], "mean gray level", "images",
                                     colour=figures.SPLIT_COLOURS[split]).update_layout(
    title=f"All {len(images):,} images"))
st.caption(f"No {split} image has a mean above {levels.max():.1f}, so the axis stops there.")

st.header("All pixel values")
counts = cached_data.pixel_histogram(split)
log_scale = st.toggle("Logarithmic scale", value=True)
zeros = int(counts[0])
st.markdown(f"Of the {counts.sum():,} {split} pixels, **{zeros:,}** ({100 * zeros / counts.sum():.1f}%)"
            f" are exactly 0 (background) and {int(counts[255]):,} are 255 (full ink): the images "
            "are mostly empty, with ink concentrated at the two extremes.")
st.plotly_chart(figures.histogram(counts, "pixel value", "pixels", log=log_scale,
                                  colour=figures.SPLIT_COLOURS[split]))
