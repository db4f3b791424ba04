import streamlit as st

from dashboard.glossary import TERMS
from dashboard.text import for_markdown

st.title("Glossary")
st.caption("The words of these pages, each in two or three sentences. The pages link here with their "
           "own words, shown first.")

asked = [term.strip() for term in st.query_params.get("terms", "").split(",") if term.strip()]
unknown = [term for term in asked if term not in TERMS]
if unknown:
    st.warning(f"Not in the glossary: {for_markdown(', '.join(unknown))}.")
asked = [term for term in asked if term in TERMS]
wanted = st.text_input("Find a word", placeholder="e.g. dropout").strip().lower()


def show(term: str) -> None:
    st.markdown(f"**{term.capitalize()}**: {TERMS[term]}")


if wanted:
    found = [term for term in TERMS if wanted in term or wanted in TERMS[term].lower()]
    for term in found:
        show(term)
    if not found:
        st.info(f"No word here matches \u201c{for_markdown(wanted)}\u201d.")
else:
    if asked:
        with st.container(border=True):
            st.subheader("The words of the page you came from")
            for term in asked:
                show(term)
        st.subheader("Every word")
    for term in sorted(TERMS):
        show(term)
