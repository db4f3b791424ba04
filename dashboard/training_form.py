"""The Train page's form: the hidden layers and the hyperparameters, as sliders by default.

The values people tune most are sliders that show their exact value (the learning rate on a log
scale, batch sizes and widths in powers of two); "Type exact values" turns them into number fields
for any value the bounds allow. Both kinds read and write one remembered value per field, so
switching keeps what was chosen, and a typed value off the slider's grid becomes one of its stops.
"""

from __future__ import annotations

import dataclasses
import itertools

import streamlit as st

from core import architecture, settings_link
from core.architecture import ConvLayer, DenseLayer, Hyperparameters, TrainingConfig
from dashboard import view_link
from dashboard.help_texts import TRAINING as HELP

EXACT = "train-exact-values"
LOADED = "train-loaded"  # a whole configuration to start from: a run's or a link's
LINK_IGNORED = "train-link-ignored"
LEARNING_RATES = [round(mantissa * 10.0 ** exponent, 6) for exponent in range(-5, 1)
                  for mantissa in (1, 1.5, 2, 3, 5, 7)] + [1.0, 2.0, 5.0, 10.0]
POWERS_OF_TWO = [2 ** power for power in range(13)]  # 1 ... 4096
_new_ids = itertools.count(1_000)  # ids of added layers; a preset's own layers are 0, 1, ...


def exact_values_toggle() -> None:
    st.toggle("Type exact values", key=EXACT, help="Number fields instead of sliders, for values "
              "between the slider's stops.")


def load(config: TrainingConfig, label: str) -> None:
    """Fill the Train form with `config` (a run's, or a link's) the next time it is drawn."""
    number = st.session_state.get(LOADED, {}).get("number", 0) + 1
    st.session_state[LOADED] = {"label": label, "config": config.to_dict(), "number": number}


def starting_point() -> tuple[str, TrainingConfig]:
    """The "Start from" box: a preset, "custom", or the configuration last loaded (a run's or a
    link's); the key its widgets are remembered under, and the configuration they start from."""
    _read_link()
    loaded = st.session_state.get(LOADED)
    choices = [*architecture.PRESETS, "custom"] + ([loaded["label"]] if loaded else [])
    descriptions = {**architecture.PRESET_DESCRIPTIONS, "custom": "one hidden layer of 128, Adam"}
    chosen = st.selectbox(
        "Start from", choices, index=len(choices) - 1 if loaded else 0,
        key=f"train-start-{loaded['number'] if loaded else 0}",  # a new load: the box shows it
        format_func=lambda name: f"{name}: {descriptions[name]}" if name in descriptions else name,
        help="A ready network and its settings, to train as it is or to change: \"given\" is the "
             "classic analysis's first network; the accuracy and seconds are what it reached on this "
             "machine. A run's \"Start from this run\" and a settings link add their own.")
    if loaded and chosen == loaded["label"]:
        return f"loaded{loaded['number']}", TrainingConfig.from_dict(loaded["config"])
    return chosen, settings_link.starting_config(chosen)


def _read_link() -> None:
    """A settings link opened: its configuration loaded once, and the values it ignored kept to say."""
    if raw := view_link.opened():
        config, st.session_state[LINK_IGNORED] = settings_link.decode(raw)
        load(config, f"the link's settings ({architecture.started_from(config)})")


def share(config: TrainingConfig, started_from: str) -> None:
    """The form's settings into the page's address, and that address in a box to copy."""
    for ignored in st.session_state.pop(LINK_IGNORED, []):
        st.warning(f"The link's value {ignored}: the form keeps its own value.", icon=":material/link_off:")
    view_link.share(settings_link.encode(config, started_from), "A link to these settings",
                    "Whoever opens it gets this form filled the same way; it does not carry who you are.")


def network_name(config: TrainingConfig, preset: str) -> str:
    """The preset a configuration still is, or "custom" once its network differs from it."""
    if preset not in architecture.PRESETS:
        return "custom"
    start = architecture.preset(preset)
    same = (config.conv, config.dense, config.reduction, config.global_pool) == (
        start.conv, start.dense, start.reduction, start.global_pool)
    return preset if same else "custom"


def conv_layers(base: list[ConvLayer], form: str) -> list[ConvLayer]:
    """One group of widgets per convolution, with buttons to add, remove and move them up."""
    ids, defaults = _layer_ids(f"conv-{form}", base)
    layers = []
    for number, layer_id in enumerate(ids, 1):
        key = f"{form}-conv{layer_id}"
        layer, (up, remove) = _conv_layer(defaults[layer_id], number, key)
        layers.append(layer)
        _move_and_remove(up, remove, ids, number, layer_id, f"convolution {number}", key)
    st.button("Add a convolution", key=f"add-conv-{form}", on_click=_add_layer,
              args=(ids, defaults, ConvLayer(32, max_pool=True)))
    return layers


def _conv_layer(start: ConvLayer, number: int, key: str) -> tuple[ConvLayer, list]:
    """A convolution's widgets, and the two places left for its buttons."""
    filters, kernel, stride, times = st.columns([2, 1, 1, 1])
    kernels = sorted({*range(1, architecture.MAX_KERNEL + 1, 2), start.kernel_size})
    strides = sorted({1, 2, start.stride})
    repeats = sorted({*range(1, architecture.MAX_REPEAT + 1), start.repeat})
    layer = ConvLayer(
        filters=int(_tuned(filters, f"Conv {number}: filters", f"filters-{key}", start.filters,
                           options=POWERS_OF_TWO[:9], min_value=1, max_value=architecture.MAX_FILTERS,
                           help=HELP["filters"])),
        kernel_size=kernel.selectbox(f"Conv {number}: kernel", kernels, kernels.index(start.kernel_size),
                                     key=f"kernel-{key}", help=HELP["kernel"]),
        stride=stride.selectbox(f"Conv {number}: stride", strides, strides.index(start.stride),
                                key=f"stride-{key}", help=HELP["stride"]),
        repeat=times.selectbox(f"Conv {number}: applied ×", repeats, repeats.index(start.repeat),
                               key=f"times-{key}", help=HELP["repeat"]))
    flags = st.container(horizontal=True)  # each as wide as its label
    dropout, up, remove = st.columns([6, 1, 1], vertical_alignment="bottom")
    max_pool = flags.checkbox("2x2 max-pool", start.max_pool, key=f"pool-{key}", help=HELP["max_pool"])
    batch_norm = flags.checkbox("Batch norm", start.batch_norm, key=f"cbn-{key}", help=HELP["batch_norm"])
    layer = dataclasses.replace(
        layer, max_pool=max_pool, batch_norm=batch_norm,
        plain_norm=batch_norm and flags.checkbox("without parameters", start.plain_norm, key=f"pn-{key}",
                                                 help=HELP["plain_norm"]),
        separable=flags.checkbox("Separable", start.separable, key=f"sep-{key}", help=HELP["separable"]),
        dropout=round(float(dropout.number_input(f"Conv {number}: dropout", 0.0, 0.9, float(start.dropout),
                                                 0.05, key=f"cdrop-{key}", help=HELP["dropout"])), 4))
    return layer, [up, remove]


def _layer_ids(name: str, base: list) -> tuple[list[int], dict]:
    ids = st.session_state.setdefault(f"layer-ids-{name}", list(range(len(base))))
    defaults = st.session_state.setdefault(f"layer-defaults-{name}", dict(enumerate(base)))
    return ids, defaults


def _move_and_remove(up, remove, ids: list[int], number: int, layer_id: int, what: str, key: str) -> None:
    up.button("↑", key=f"up-{key}", help=f"Move {what} up", disabled=number == 1,
              on_click=_move_up, args=(ids, layer_id))
    remove.button("✕", key=f"remove-{key}", help=f"Remove {what}", on_click=ids.remove, args=(layer_id,))


def _move_up(ids: list[int], layer_id: int) -> None:
    at = ids.index(layer_id)
    if at:
        ids[at - 1], ids[at] = ids[at], ids[at - 1]


def hidden_layers(base: list[DenseLayer], preset: str) -> list[DenseLayer]:
    """One row of widgets per hidden layer, with buttons to add and remove layers."""
    ids, defaults = _layer_ids(preset, base)
    layers = []
    for number, layer_id in enumerate(ids, 1):
        start = defaults[layer_id]
        # two rows per layer: its sliders wide enough to aim at a value, then its choices
        width, dropout = st.columns(2)
        activation, norm, up, remove = st.columns([4, 3, 1, 1], vertical_alignment="bottom")
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
        _move_and_remove(up, remove, ids, number, layer_id, f"layer {number}", key)
    st.button("Add a hidden layer", key=f"add-{preset}", on_click=_add_layer,
              args=(ids, defaults, DenseLayer(64)))
    return layers


def _add_layer(ids: list[int], defaults: dict, layer) -> None:
    layer_id = next(_new_ids)
    ids.append(layer_id)
    defaults[layer_id] = layer


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
    hyper.rotation = round(float(_tuned(
        left, "Random rotation (degrees)", f"rotation-{preset}", defaults.rotation, min_value=0.0,
        max_value=architecture.MAX_ROTATION, step=5.0, help=HELP["rotation"])), 2)
    hyper.scale = round(float(_tuned(
        right, "Random scale (share)", f"scale-{preset}", defaults.scale, min_value=0.0,
        max_value=architecture.MAX_SCALE, step=0.05, help=HELP["scale"])), 4)

    left, right = st.columns(2)
    hyper.noise = round(float(_tuned(
        left, "Random noise (gray levels)", f"noise-{preset}", defaults.noise, min_value=0.0,
        max_value=architecture.MAX_NOISE, step=4.0, help=HELP["noise"])), 2)
    fraction = float(right.slider("Validation fraction", 0.01, 0.5, defaults.validation_fraction, step=0.01,
                                  key=f"val-{preset}", help=HELP["validation_fraction"]))
    # a run's own fraction (a search's sixth) kept exactly unless moved: its split stays the same
    hyper.validation_fraction = fraction if fraction == defaults.validation_fraction else round(fraction, 2)
    left, right = st.columns(2)
    hyper.patience = int(left.number_input(
        "Early stopping patience (0 = off)", value=defaults.patience, min_value=0,
        max_value=architecture.MAX_PATIENCE, key=f"patience-{preset}", help=HELP["patience"]))
    hyper.seed = int(right.number_input("Random seed", value=defaults.seed, min_value=0,
                                        max_value=2**31 - 1, key=f"seed-{preset}", help=HELP["seed"]))
    left, right = st.columns(2)
    hyper.train_images = int(left.number_input(
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
