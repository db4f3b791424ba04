import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from core import architecture, drawing, robustness, run_records, runs
from core.architecture import predict_probabilities
from core.jobs import Refused
from core.status import ACTIVE
from dashboard import (
    cached_data,
    cached_models,
    components,
    figures,
    live_trainings,
    pages,
    server,
    session,
    view_link,
    why_this_answer,
)
from dashboard.text import said

CANVAS = 280
NEIGHBOURS = 8
DEFAULT = run_records.DEFAULT_NETWORK_TAG  # the one-click network every visitor shares

st.title("Draw a digit")
usable = cached_data.usable_runs()
if not usable:
    st.info("There is no trained network yet to read your digits. Train a good one in one click: "
            "the 'sprint' convnet, about 99% of the test digits right after 10-20 seconds here.")
    if (trainings := server.reachable_trainings()) is None:
        st.stop()
    # One default network for everyone: whoever asks while one is on its way follows that one.
    default = trainings.latest(DEFAULT)
    if st.button("Train a default network", type="primary",
                 disabled=default is not None and default.status in ACTIVE):
        try:
            trainings.submit(architecture.preset("sprint"), "default: sprint convnet", owner=session.owner(),
                             tag=DEFAULT)
        except Refused as refusal:
            st.warning(str(refusal), icon=":material/block:")
    if trainings.latest(DEFAULT):  # the canvas appears by itself once it has finished
        live_trainings.follow(lambda: [trainings.latest(DEFAULT)], curves=False)
    st.stop()

view_link.choose(view_link.opened(), "run", session.DRAW_RUN, {run.id for run in usable}.__contains__)
run = components.run_picker(st, usable, session.DRAW_RUN)
view_link.write(run=run.id)
try:
    model = cached_models.run_model(run.id)
except runs.RunError as problem:
    st.error(f"This network cannot be used: {said(problem)}")
    st.stop()

left, right = st.columns([1, 1])
with left:
    source = st.radio("Input", ["Draw", "Upload a picture"], horizontal=True)
    if source == "Draw":
        st.caption("Draw one digit, white on black, as big as the box.")
        st.space("medium")  # room for the canvas's toolbar, which floats above it while pointed at
        clears = st.session_state.setdefault("canvas_clears", 0)
        canvas = st_canvas(stroke_width=18, stroke_color="#FFFFFF", background_color="#000000",
                           height=CANVAS, width=CANVAS, drawing_mode="freedraw",
                           return_image_data=True, key=f"canvas-{clears}")
        st.caption("Undo and redo: on the toolbar above the canvas, shown while the pointer is over it.")
        if st.button("Clear", icon=":material/delete:"):
            st.session_state["canvas_clears"] = clears + 1
            st.rerun()
        picture = canvas.image_data
        gray = drawing.canvas_to_gray(picture) if picture is not None else None
    else:
        upload = st.file_uploader("A PNG or JPEG of one digit, dark on light or light on dark",
                                  type=["png", "jpg", "jpeg"])
        gray = None
        if upload is not None:
            try:
                gray = drawing.upload_to_gray(upload.getvalue(), upload.name)
            except drawing.ImageProblem as problem:
                st.error(said(problem))
    plain = st.toggle("Plain resize (skip MNIST's cropping, 20x20 box and centring)",
                      help="See how much worse the network reads a digit that is not brought "
                           "to MNIST's conventions.")

problem = drawing.digit_problem(gray) if gray is not None else ""
seen = drawing.to_mnist(gray, plain_resize=plain) if gray is not None and not problem else None
with right:
    if problem:  # a dot or a scribble gets advice, not a confident answer
        st.warning(problem, icon=":material/gesture:")
        st.stop()
    if seen is None:
        st.info("Draw a digit (or upload one) and the network will read it here.")
        st.stop()
    st.session_state[session.DRAWN_DIGIT] = seen  # the Inside the network page can show its activations
    probabilities = predict_probabilities(model, seen[None])[0]
    ranking = np.argsort(probabilities)[::-1]
    guess = int(ranking[0])
    st.metric("The network reads", guess)
    st.markdown("Top 3: " + ", ".join(f"**{d}** ({probabilities[d]:.1%})" for d in ranking[:3]))
    st.plotly_chart(figures.probability_bars(probabilities), key="probabilities")

st.subheader("What the network sees")
st.caption("The 28x28 image it receives" + (" (plain resize)" if plain else
           ": cropped to the ink, fitted in a 20x20 box, centred by its centre of mass") + ".")
st.image(figures.enlarged(seen, 6), width=168)

st.subheader("Bend your digit")
st.caption("Turn it, move it, thicken or thin its strokes: where does the network stop reading it? "
           "(The Robustness page does this to 10,000 test digits at once.)")
turn, move, thick = st.columns(3)
bent = robustness.bend(
    seen, rotation=turn.slider("Turn (degrees)", -60, 60, 0, 5, key="bend-turn",
                               help="Positive turns it anticlockwise. Networks trained on upright digits "
                                    "usually hold to about 15 to 30 degrees."),
    right=move.slider("Move right (pixels)", -8, 8, 0, key="bend-right",
                      help="MNIST centres every digit: a convnet forgives a few pixels, an MLP much less."),
    thickness=thick.slider("Thicker strokes (pixels)", -1.5, 1.5, 0.0, 0.25, key="bend-thickness",
                           help="Below 0 thins the strokes, above thickens them (at 4x resolution)."))
reading = predict_probabilities(model, bent[None])[0]
shown, bars = st.columns([1, 3])
shown.image(figures.enlarged(bent, 5), width=140,
            caption=f"Read as {int(reading.argmax())} ({reading.max():.0%})")
bars.plotly_chart(figures.probability_bars(reading), key="bent-probabilities")

st.subheader("The training images nearest to it")
x_train, y_train = cached_data.images_and_labels("train")
nearest = cached_data.nearest_training_images(seen, NEIGHBOURS)
st.caption("By Euclidean distance in pixel space, among the 60,000 training images.")
st.image([figures.enlarged(x_train[i]) for i in nearest],
         caption=[f"#{i}: {y_train[i]}" for i in nearest], width=84)

st.subheader("Why this answer")
why_this_answer.explain(run.id, None, seen, guess, key="draw-why")
st.page_link(pages.INSIDE, label="See what every layer does with this digit",
             icon=":material/neurology:")
