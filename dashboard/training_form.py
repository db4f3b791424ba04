"""The Train page's form: the hidden layers and the hyperparameters, as sliders by default.

The values people tune most are sliders that show their exact value (the learning rate on a log
scale, batch sizes and widths in powers of two); "Type exact values" turns them into number fields
for any value the bounds allow. Both kinds read and write one remembered value per field, so
switching keeps what was chosen, and a typed value off the slider's grid becomes one of its stops.
"""

from __future__ import annotations

import itertools

import streamlit as st

from core import architecture
from core.architecture import DenseLayer, Hyperparameters
from dashboard.help_texts import TRAINING as HELP

EXACT = "train-exact-values"
LEARNING_RATES = [round(mantissa * 10.0 ** exponent, 6) for exponent in range(-5, 1)
                  for mantissa in (1, 1.5, 2, 3, 5, 7)] + [1.0, 2.0, 5.0, 10.0]
POWERS_OF_TWO = [2 ** power for power in range(13)]  # 1 ... 4096
_new_ids = itertools.count(1_000)  # ids of added layers; a preset's own layers are 0, 1, ...


def exact_values_toggle() -> None:
    st.toggle("Type exact values", key=EXACT, help="Number fields instead of sliders, for values "
              "between the slider's stops.")


def hidden_layers(base: list[DenseLayer], preset: str) -> list[DenseLayer]:
    """One row of widgets per hidden layer, with buttons to add and remove layers."""
    ids = st.session_state.setdefault(f"layer-ids-{preset}", list(range(len(base))))
    defaults = st.session_state.setdefault(f"layer-defaults-{preset}", dict(enumerate(base)))
    layers = []
    for number, layer_id in enumerate(ids, 1):
        start = defaults[layer_id]
        # two rows per layer: its sliders wide enough to aim at a value, then its choices
        width, dropout = st.columns(2)
        activation, norm, remove = st.columns([4, 3, 1], vertical_alignment="bottom")
        key = f"{preset}-layer{layer_id}"
        layers.append(DenseLayer(
            units=int(_tuned(width, f"Layer {number}: width", f"units-{key}", start.units,
                             options=POWERS_OF_TWO, min_value=1, max_value=architecture.MAX_UNITS,
                             help=HELP["width"])),
            activation=activation.selectbox(f"Layer {number}: activation", architecture.ACTIVATIONS,
                                            index=architecture.ACTIVATIONS.index(start.activation),
                                            key=f"activation-{key}", help=HELP["activation"]),
            batch_norm=norm.checkbox("Batch norm", value=start.batch_norm, key=f"bn-{key}",
                                     help=HELP["batch_norm"]),
            dropout=round(float(_tuned(dropout, f"Layer {number}: dropout", f"dropout-{key}",
                                       start.dropout, min_value=0.0, max_value=0.9, step=0.05,
                                       help=HELP["dropout"])), 4)))
        remove.button("✕", key=f"remove-{key}", help=f"Remove layer {number}",
                      on_click=ids.remove, args=(layer_id,))
    st.button("Add a hidden layer", key=f"add-{preset}", on_click=_add_layer, args=(ids, defaults))
    return layers


def _add_layer(ids: list[int], defaults: dict[int, DenseLayer]) -> None:
    layer_id = next(_new_ids)
    ids.append(layer_id)
    defaults[layer_id] = DenseLayer(64)


def hyperparameters(defaults: Hyperparameters, preset: str) -> Hyperparameters:
    """The optimiser, its schedule and the training settings, starting from the preset's."""
    hyper = Hyperparameters(**vars(defaults))
    # two per row: a slider a quarter of the form wide was too short to aim with
    left, right = st.columns(2)
    hyper.optimizer = left.selectbox(
        "Optimizer", architecture.OPTIMIZERS, index=architecture.OPTIMIZERS.index(defaults.optimizer),
        format_func=architecture.OPTIMIZER_NAMES.get, key=f"optimizer-{preset}", help=HELP["optimizer"])
    if hyper.optimizer in architecture.WITH_BETAS:
        with left.popover(f"Adam's betas: {defaults.beta_1:g}, {defaults.beta_2:g}"):
            hyper.beta_1 = st.number_input("beta 1 (momentum)", 0.0, 0.999, defaults.beta_1, 0.05,
                                           format="%.3f", key=f"beta1-{preset}", help=HELP["beta_1"])
            hyper.beta_2 = st.number_input("beta 2 (squared gradients)", 0.0, 0.9999, defaults.beta_2,
                                           0.001, format="%.4f", key=f"beta2-{preset}", help=HELP["beta_2"])
    else:  # SGD and RMSprop have no betas: they keep the defaults the configuration expects
        hyper.beta_1, hyper.beta_2 = 0.9, 0.999
    hyper.learning_rate = float(_tuned(
        right, "Learning rate", f"lr-{preset}", defaults.learning_rate, options=LEARNING_RATES,
        min_value=0.0, max_value=architecture.MAX_LEARNING_RATE, step=0.0001, format="%.6f",
        help=HELP["learning_rate"]))

    _training_settings(hyper, defaults, preset)
    return hyper


def _training_settings(hyper: Hyperparameters, defaults: Hyperparameters, preset: str) -> None:
    """Batch, epochs, the learning-rate schedule, smoothing, shifts, validation and the rest."""
    left, right = st.columns(2)
    hyper.batch_size = int(_tuned(left, "Batch size", f"batch-{preset}", defaults.batch_size,
                                  options=POWERS_OF_TWO, min_value=1, step=1, help=HELP["batch_size"]))
    hyper.epochs = int(_tuned(right, "Epochs", f"epochs-{preset}", defaults.epochs, min_value=1,
                              max_value=architecture.MAX_EPOCHS, step=1, help=HELP["epochs"]))

    left, right = st.columns(2)
    hyper.schedule = left.selectbox(
        "Learning-rate schedule", architecture.SCHEDULES, key=f"schedule-{preset}",
        index=architecture.SCHEDULES.index(defaults.schedule), format_func=architecture.SCHEDULE_NAMES.get,
        help=HELP["schedule"])
    hyper.lr_decay = 1.0
    if hyper.schedule == "step":
        hyper.lr_decay = round(float(_tuned(
            right, "Decay per epoch", f"decay-{preset}", defaults.lr_decay, min_value=0.1,
            max_value=1.0, step=0.05, help=HELP["lr_decay"])), 4)
    elif hyper.schedule == "one-cycle":
        hyper.warmup = round(float(_tuned(
            right, "Warm-up share of the steps", f"warmup-{preset}", defaults.warmup, min_value=0.0,
            max_value=0.5, step=0.05, help=HELP["warmup"])), 4)

    left, right = st.columns(2)
    hyper.label_smoothing = round(float(_tuned(
        left, "Label smoothing", f"smoothing-{preset}", defaults.label_smoothing, min_value=0.0,
        max_value=0.5, step=0.05, help=HELP["label_smoothing"])), 4)
    hyper.shift = round(float(_tuned(
        right, "Random shift (share of the side)", f"shift-{preset}", defaults.shift, min_value=0.0,
        max_value=0.25, step=0.05, help=HELP["shift"])), 4)

    left, right = st.columns(2)
    hyper.validation_fraction = round(float(left.slider(
        "Validation fraction", 0.01, 0.5, defaults.validation_fraction, step=0.01,
        key=f"val-{preset}", help=HELP["validation_fraction"])), 2)
    hyper.patience = int(right.number_input(
        "Early stopping patience (0 = off)", value=defaults.patience, min_value=0,
        max_value=architecture.MAX_PATIENCE, key=f"patience-{preset}", help=HELP["patience"]))
    left, right = st.columns(2)
    hyper.seed = int(left.number_input("Random seed", value=defaults.seed, min_value=0,
                                       max_value=2**31 - 1, key=f"seed-{preset}", help=HELP["seed"]))
    hyper.train_images = int(right.number_input(
        "Training images (the first N)", value=defaults.train_images, min_value=100,
        max_value=architecture.TRAIN_IMAGES, step=1000, key=f"images-{preset}",
        help=HELP["train_images"]))


def _tuned(column, label: str, key: str, default, options: list | None = None, help: str = "", **typed):
    """A slider (a select-slider over `options` if given), or a number field in exact mode."""
    remembered = st.session_state.setdefault("train-form-values", {})
    current = remembered.get(key, default)
    if st.session_state.get(EXACT):
        value = column.number_input(label, value=current, key=f"{key}-typed", help=help, **typed)
    elif options is not None:
        stops = sorted({*options, current})  # a typed value stays exactly what it was
        value = column.select_slider(label, stops, value=current, key=key, format_func=lambda v: f"{v:g}",
                                     help=help)
    else:
        value = column.slider(label, typed["min_value"], typed["max_value"], current, typed["step"],
                              key=key, help=help)
    remembered[key] = value
    return value
