import numpy as np
import streamlit as st

from core import robustness, runs
from core.architecture import TrainingConfig, augmentation, predict_probabilities
from core.robustness import DISTORTIONS, EPSILONS, NEUTRAL, PGD_STEPS
from dashboard import (
    cached_data,
    cached_models,
    components,
    corruption_view,
    figures,
    glossary,
    pages,
    training_form,
)
from dashboard.text import for_markdown, said

st.title("How robust is a network?")
glossary.link("accuracy", "test set", "augmentation", "loss", "softmax")
st.caption("Every accuracy elsewhere is on clean test digits. Here the same digits are turned, moved, "
           "thickened, blurred or covered in noise, or changed on purpose by a few gray levels per pixel "
           "to fool the network: where does it stop reading them?")
usable = sorted(cached_data.usable_runs(), key=components.test_accuracy, reverse=True)
if not usable:
    st.info("There is no trained network yet: train one first (a convnet and an MLP make a telling pair).")
    st.page_link(pages.TRAIN, label="Go to the Train page", icon=":material/model_training:")
    st.stop()
PARENT = "robust-parent"  # the run last trained again with distortions: shown beside its new run
configs = {run.id: TrainingConfig.from_dict(run.record["config"]) for run in usable}
parent = next((run for run in usable if run.id == st.session_state.get(PARENT)), None)
children = [run for run in usable if parent and run.id != parent.id
            and robustness.retrained_from(configs[run.id], configs[parent.id])]
newest_child = max(children, key=lambda run: run.record.get("finished_at") or 0, default=None)
left, right = st.columns([3, 1])
chosen = left.multiselect("Runs (up to four, compared on every chart)", usable,
                          default=[newest_child, parent] if newest_child else usable[:2],
                          max_selections=4, format_func=components.run_label, key="robust-runs",
                          help="The most accurate first. An MLP against a convnet, or a run trained with "
                               "random shifts against one without, tell the most.")
sample = right.select_slider("Test digits used", [500, 1000, 2000, 5000, 10_000], 2000, key="robust-sample",
                             help="The first N test digits, the same for every run and strength: more are "
                                  "steadier numbers and a longer wait.")
if not chosen:
    st.stop()
names = {run.id: f"{run.name} ({run.id[-6:]})" for run in chosen}
corruption_view.show(chosen, names)


def curves(compute) -> dict[str, list[tuple[float, float]]]:
    """`compute(run)` for each chosen run; a run deleted meanwhile is said and left out."""
    found = {}
    for run in chosen:
        try:
            found[names[run.id]] = compute(run)
        except runs.RunError as problem:
            st.warning(f"{for_markdown(names[run.id])} cannot be used: {said(problem)}")
    return found


# --- dial a distortion ----------------------------------------------------------------------------
st.header("Dial a distortion")
kind = st.radio("Distortion", list(DISTORTIONS), horizontal=True, key="robust-kind",
                help="What is done to every digit; the chart tries nine strengths, from none to strong.")
distortion = DISTORTIONS[kind]
st.caption(f"{kind.capitalize()}: {distortion.what}. Accuracy on the first {sample:,} test digits at each "
           f"strength ({distortion.unit}); {NEUTRAL[kind]:g} leaves them as they are.")
distorted = curves(lambda run: cached_models.distortion_curve(run.id, kind, sample))
st.plotly_chart(figures.accuracy_curves(distorted, f"{kind} ({distortion.unit})"), key="robust-distortion")
st.caption("How to read it: the flatter a run's line, the more robust it is to this distortion; a network "
           "trained with random shifts (Train: augmentation) should lose less under a shift.")
strength = st.select_slider(f"Show ten digits at this {kind}", distortion.strengths,
                            distortion.strengths[-2], key=f"robust-strength-{kind}",
                            help="The first ten test digits at this strength, with what the first run "
                                 "chosen reads.")
try:
    images, labels = cached_models.run_split(chosen[0].id, "test")
    first = cached_models.run_model(chosen[0].id)
except runs.RunError as problem:  # deleted by someone since the list was drawn
    st.error(f"{for_markdown(names[chosen[0].id])} cannot be used: {said(problem)}")
    st.stop()
shown = robustness.distort(images[:10], kind, strength)
read = predict_probabilities(first, shown).argmax(axis=1)
st.plotly_chart(figures.image_grid(shown, [f"{label} read {answer}" + ("" if answer == label else " ✗")
                                           for label, answer in zip(labels[:10], read)], columns=10),
                key="robust-digits")

# --- adversarial digits ---------------------------------------------------------------------------
st.header("Adversarial digits")
st.caption("The network's own gradients say which way to push each pixel to make it wrong. FGSM takes one "
           f"step of ε; PGD takes {PGD_STEPS} smaller ones, each kept within ε of the original digit: the "
           "stronger attack. ε is a share of the full scale: 0.1 is at most 25 gray levels per pixel, a "
           "change a person barely sees.")
method = st.radio("Attack", ["FGSM", "PGD"], horizontal=True, key="robust-attack",
                  help=f"FGSM: fast, on all {sample:,} digits. PGD: {PGD_STEPS} times the work, on at most "
                       "1,000 digits.")
steps, attacked = (1, sample) if method == "FGSM" else (PGD_STEPS, min(sample, 1000))
fooled = curves(lambda run: cached_models.attack_curve(run.id, steps, attacked))
st.plotly_chart(figures.accuracy_curves(fooled, "ε (share of the full gray scale)"),
                key="robust-attack-curve")
st.caption(f"How to read it: accuracy on {attacked:,} test digits at ε = "
           f"{', '.join(f'{e:g}' for e in EPSILONS)}; ε = 0 is the clean accuracy. Networks trained on "
           "clean digits fall fast: robustness to such changes has to be trained for.")

st.subheader("The smallest change that fools it")
index = st.number_input("Test digit number", 0, len(images) - 1, 0, key="robust-index",
                        help="Which test digit to attack (PGD), for the first run chosen: the smallest ε "
                             "that changes its reading, found by bisection to 0.005.")
flip = cached_models.smallest_flip(chosen[0].id, int(index))
if flip is None:
    st.info(f"Even ε = 0.3 does not change what {for_markdown(names[chosen[0].id])} reads for this digit.")
else:
    original = images[int(index)]
    columns = st.columns(3)
    columns[0].image(figures.enlarged(original, 5), caption=f"The digit: a {labels[int(index)]}", width=140)
    columns[1].plotly_chart(figures.signed_images(
        (flip.adversarial.astype(np.float32) - original)[None], [f"the change, ε = {flip.epsilon:g}"], 1,
        "gray levels<br>red: added<br>blue: taken"), key="robust-change")
    columns[2].image(figures.enlarged(flip.adversarial, 5), caption=f"Read as {flip.read_as}", width=140)

# --- make it robust -------------------------------------------------------------------------------
st.header("Make it robust")
changes = [said for _, _, name, said in augmentation(robustness.augmented(configs[chosen[0].id]).hyper)
           if name.startswith("random_")]
st.caption(f"Train {for_markdown(names[chosen[0].id])} again, its network and settings whole, with every "
           f"training image changed at random each time it is seen: {', '.join(changes)}. The test digits "
           "stay as they are. Then both runs are shown here, on the same charts.")
if st.button("Train it again with these distortions", icon=":material/model_training:", key="robust-retrain",
             help="Opens the Train form on this run's network and settings with the random changes on "
                  "(Train: random rotation, shift, scale, noise); change what you like, then train."):
    training_form.load(robustness.augmented(configs[chosen[0].id]),
                       f"run: {chosen[0].name} ({chosen[0].id}), with distortions")
    st.session_state[PARENT] = chosen[0].id
    st.switch_page(pages.TRAIN)
