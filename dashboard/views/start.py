import streamlit as st

from dashboard import guide

st.title("Start here")
st.write("New to neural networks? Follow these steps in order, about 15 minutes in all. Each opens a "
         "page of the dashboard and says what to look at there; answer its question by looking, then "
         "tick it. Your ticks are kept by this browser.")

def ticked(number: int) -> None:
    """Kept before the page is drawn again: the count above the steps includes this tick."""
    guide.tick(number, st.session_state[f"path-step-{number}"])


kept = guide.progress()
st.progress(len(kept.done & set(range(1, len(guide.STEPS) + 1))) / len(guide.STEPS),
            text=f"{len(kept.done)} of {len(guide.STEPS)} steps done")
for number, step in enumerate(guide.STEPS, 1):
    with st.container(border=True):
        left, right = st.columns([5, 1], vertical_alignment="top")
        left.markdown(f"**{number}. {step.title}**  \n{step.look}")
        left.markdown(f"*Question:* {step.question}")
        left.page_link(step.page, label=f"Open step {number}", icon=":material/arrow_forward:",
                       query_params=dict(step.settings) or None)
        right.checkbox("Done", value=number in kept.done, key=f"path-step-{number}", on_change=ticked,
                       args=(number,))
st.caption("The other pages, in the sidebar, go further: the classic analysis of the dataset (Overview, "
           "Nearest & farthest, Gray levels, Preprocessing), the label audit, and replaying a training "
           "epoch by epoch.")
