import json

import pandas as pd
import streamlit as st

from core import architecture
from core.architecture import TrainingConfig
from core.jobs import Refused
from core.status import ACTIVE
from dashboard import (
    cached_models,
    challenge_view,
    classroom,
    components,
    glossary,
    live_trainings,
    server,
    session,
    training_form,
)
from dashboard.help_texts import TRAINING as HELP

st.title("Train a network")
glossary.link("epoch", "batch", "learning rate", "dropout", "convolution", "pooling", "stride", "batch norm",
              "augmentation", "validation set", "parameters")
if current := classroom.challenge():  # what the class aims at, and how this student's runs stand
    challenge_view.banner(current)
    with st.expander("Your runs in the challenge"):
        challenge_view.my_runs(current, session.owner(), *challenge_view.entries(current))
trainings = server.reachable_trainings()  # None: said why, and nothing is offered
me = session.owner()
# the form on the left, the live view on the right, kept in sight while the form scrolls: where
# the eye is after a click on Train, whatever the window's height
form, watch = st.columns([11, 9], gap="large")
st.html("<style>[data-testid='stColumn']:has(.st-key-live-view) "
        "{position: sticky; top: 4rem; align-self: flex-start}</style>")

with form:
    # --- the network -----------------------------------------------------------------------------
    form_key, base = training_form.starting_point()  # a preset, a run or a link: the form starts from it
    training_form.exact_values_toggle()
    reductions = list(architecture.REDUCTIONS)
    reduction = st.selectbox("Input", reductions, index=reductions.index(base.reduction),
                             format_func=lambda name: architecture.REDUCTIONS[name][1],
                             key=f"reduction-{form_key}", help="A reduction has no parameters and "
                             "makes every later layer smaller: a way to small networks.")
    st.markdown("**Convolutions** (in order; none: a fully connected network)")
    conv = training_form.conv_layers(base.conv, form_key)
    global_pool = bool(conv) and st.checkbox(
        "Global average pooling after the convolutions", base.global_pool, key=f"gap-{form_key}",
        help=HELP["global_pool"])
    st.markdown("**Hidden layers** (fully connected, in order)")
    dense = training_form.hidden_layers(base.dense, form_key)

    # --- how to train it -------------------------------------------------------------------------
    st.markdown("**Hyperparameters**")
    hyper = training_form.hyperparameters(base.hyper, form_key)
    config = TrainingConfig(conv=conv, dense=dense, hyper=hyper, reduction=reduction,
                            global_pool=global_pool)
    config.preset = training_form.network_name(config, base.preset)

    # --- what will be built ----------------------------------------------------------------------
    problems = config.problems()
    if problems:
        st.error("This network cannot be trained:\n\n" + "\n".join(f"- {p}" for p in problems))
    else:
        summary = cached_models.model_summary(json.dumps(config.to_dict()))
        left, right = st.columns([2, 1])
        left.markdown(f"**Model summary**: {config.describe()}, "
                      f"{config.training_set_size():,} training images per epoch")
        right.metric("Parameters", f"{sum(row['parameters'] for row in summary):,}")
        with st.expander("Layers, output shapes and parameters"):
            st.dataframe(pd.DataFrame(summary), hide_index=True)
        components.code_downloads(config, key="train-code")
    training_form.share(config, base.preset)

    name = st.text_input("Run name (optional)", max_chars=80, placeholder=f"{config.preset} ...",
                         help="How the run is listed on the Runs page and in the pickers; shown to "
                              "everyone on this server.")
    if folder_problem := server.runs_folder_problem():  # said now, not as a traceback after training
        st.error(folder_problem)
    if st.button("Train", type="primary", disabled=bool(problems or folder_problem or trainings is None)):
        try:
            trainings.submit(config, name, owner=me)
        except Refused as refusal:  # a limit, or the same training clicked twice: nothing queued
            st.warning(str(refusal), icon=":material/block:")
    if trainings is not None:
        active = [job for job in trainings.jobs() if job.status in ACTIVE]
        st.caption(f"Your trainings queued or running: {sum(job.owner == me for job in active)} of at most "
                   f"{trainings.max_per_owner}; on the server: {len(active)} of at most "
                   f"{trainings.max_queued}.")

# --- the live view: this session's trainings (a reload keeps them: see session.owner) -------------
with watch, st.container(key="live-view"):
    if trainings is not None and not trainings.jobs(owner=me):
        st.info("Your trainings appear here, live, once you click Train.")
    if trainings is not None:
        live_trainings.follow(lambda: trainings.jobs(owner=me), others=True)
