import streamlit as st

from core import analysis
from dashboard import cached_data, figures

st.title("Overview")
data = cached_data.mnist()
image_shape = data.x_train.shape[1:]

columns = st.columns(5)
columns[0].metric("Training images", f"{len(data.x_train):,}")
columns[1].metric("Test images", f"{len(data.x_test):,}")
columns[2].metric("Image shape", " × ".join(map(str, image_shape)))
columns[3].metric("Pixel type", str(data.x_train.dtype))
columns[4].metric("Classes", len(analysis.CLASSES))
st.markdown(
    f"MNIST holds **{len(data.x_train):,} training** and **{len(data.x_test):,} test** images of "
    f"handwritten digits, each {image_shape[0]} × {image_shape[1]} pixels of {data.x_train.dtype} "
    "gray levels (0 is the black background, 255 full ink), labelled with the ten digits 0 to 9."
)

st.header("How the digits are distributed")
table = analysis.class_distribution(data.y_train, data.y_test)
as_percent = st.toggle("Show percentages instead of counts", value=False)
st.plotly_chart(figures.class_distribution(table, as_percent))
commonest, rarest = table["train count"].idxmax(), table["train count"].idxmin()
st.markdown(
    f"In the training set the commonest digit is **{commonest}** "
    f"({table['train count'][commonest]:,} images, {table['train %'][commonest]:.1f}%) and the "
    f"rarest is **{rarest}** ({table['train count'][rarest]:,}, {table['train %'][rarest]:.1f}%): "
    "the classes are close to balanced, but not exactly."
)
st.dataframe(table, hide_index=True, column_config={
    "train %": st.column_config.NumberColumn(format="%.2f%%"),
    "test %": st.column_config.NumberColumn(format="%.2f%%"),
})

st.header("Do train and test look alike?")
chi2, p_value = analysis.distribution_test(data.y_train, data.y_test)
same = p_value >= 0.05
st.markdown(
    f"A chi-square test of the two class distributions gives χ² = {chi2:.2f} (9 degrees of "
    f"freedom), p = {p_value:.3f}: "
    + ("**no significant difference** at the 5% level: the test set is drawn like the training set."
       if same else "**the two distributions differ significantly** at the 5% level.")
)
st.dataframe(cached_data.comparison_table(), hide_index=True, column_config={
    column: st.column_config.NumberColumn(format="%.2f")
    for column in cached_data.comparison_table().columns if column != "digit"
})
st.caption("Mean gray: the average pixel value (0-255) of that digit's images. "
           "Ink %: the average share of pixels that are not pure black.")
