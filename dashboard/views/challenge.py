import streamlit as st

from dashboard import challenge_view, classroom, pages, session

st.title("Class challenge")
current = classroom.challenge()
if current is None:
    st.info("Your teacher has not set a challenge yet. When there is one, it shows here and on the "
            "Train page, with the class's leaderboard.", icon=":material/emoji_events:")
    st.stop()

challenge_view.banner(current)
st.caption("How it is scored: the server splits the 10,000 test digits once, with a seed nobody sees, "
           "into a public half and a private half. While the challenge runs, the leaderboard and every "
           "page show the public half only; the private half gives the final ranking when your teacher "
           "reveals it. Only runs trained here by your own session, after the challenge began, count. "
           + challenge_view.HONEST)

counted, refused = challenge_view.entries(current)
st.subheader("Final ranking (private half)" if current.revealed else "Leaderboard (public half)")
challenge_view.leaderboard(current, counted)

if not classroom.is_teacher():
    st.subheader("Your runs")
    challenge_view.my_runs(current, session.owner(), counted, refused)
st.page_link(pages.TRAIN, label="Train a network for it", icon=":material/model_training:")
