"""The Search page's form: the search space, from widgets; the defaults are what a first search
should try."""

from __future__ import annotations

import dataclasses

import streamlit as st

from core import search
from core.architecture import ACTIVATIONS, MAX_REPEAT, REDUCTIONS
from dashboard.help_texts import SEARCH, TRAINING

WIDTHS = [2 ** power for power in range(0, 10)]  # 1 ... 512
YES_NO_BOTH = {"both": ([False, True], "try with and without"), "yes": ([True], "always"),
               "no": ([False], "never")}
RATES = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1]


def space_form(kind: str) -> search.SearchSpace:
    """The search space, from widgets; the defaults are what a first search should try."""
    dense = kind == "dense"
    layers, widths = ("Hidden layers", "Units per layer") if dense else ("Conv layers", "Filters per layer")
    columns = st.columns(3)
    fewest, most = columns[0].slider(layers, 1, 4 if dense else 6, (1, 3) if dense else (2, 4),
                                     key=f"search-layers-{kind}", help=SEARCH["layers"])
    narrow, wide = columns[1].select_slider(widths, WIDTHS, (4, 512) if dense else (4, 32),
                                            key=f"search-widths-{kind}", help=SEARCH["widths"])
    reductions = columns[2].multiselect("Input", list(REDUCTIONS), list(REDUCTIONS),
                                        key=f"search-input-{kind}", help=SEARCH["input"],
                                        format_func=lambda name: REDUCTIONS[name][1])
    separable = plain_norm = "no"
    repeats = [1]
    if not dense:
        left, middle, right = st.columns(3)
        separable = left.selectbox(
            "Depthwise separable convolutions (after the first)", list(YES_NO_BOTH), key="search-separable",
            format_func=lambda choice: YES_NO_BOTH[choice][1],
            help="One small filter per incoming map, then a 1x1 mix of the maps: about 9 times fewer "
                 "parameters than a full 3x3 convolution, the way to very small convnets.")
        plain_norm = middle.selectbox(
            "Batch norm without parameters", list(YES_NO_BOTH), key="search-plain-norm",
            format_func=lambda choice: YES_NO_BOTH[choice][1], help=TRAINING["plain_norm"])
        repeats = right.multiselect("Times a convolution is applied (shared weights)",
                                    list(range(1, MAX_REPEAT + 1)), [1], key="search-repeats",
                                    help=SEARCH["repeats"])
    columns = st.columns(4)
    batch_norm = columns[0].selectbox("Batch normalisation", list(YES_NO_BOTH), key="search-bn",
                                      help=SEARCH["batch_norm"],
                                      format_func=lambda choice: YES_NO_BOTH[choice][1])
    dropout = columns[1].slider("Highest dropout", 0.0, 0.5, 0.2 if dense else 0.0, 0.05,
                                key=f"search-drop-{kind}", help=SEARCH["dropout"])
    epochs = columns[2].slider("Epochs per trial", 1, 30, 5, key="search-epochs", help=SEARCH["epochs"])
    images = columns[3].select_slider("Training images", [1_000, 2_000, 5_000, 10_000, 20_000, 60_000],
                                      60_000, key="search-images", help=SEARCH["images"])
    visible = search.SearchSpace(
        kind=kind, min_layers=fewest, max_layers=most, min_width=narrow, max_width=wide,
        reductions=reductions, batch_norm=YES_NO_BOTH[batch_norm][0], max_dropout=dropout,
        separable=YES_NO_BOTH[separable][0], plain_norm=YES_NO_BOTH[plain_norm][0], repeats=repeats,
        epochs=epochs,
        train_images=images)
    return _folded_choices(visible)


def _folded_choices(space: search.SearchSpace) -> search.SearchSpace:
    """`space` with its optimisers, learning rates, batches, augmentation, caps and seed, chosen in
    an expander: a first search need not touch them."""
    with st.expander("Optimiser, learning rate, batch size, augmentation, size cap, seed"):
        columns = st.columns(3)
        optimizers = columns[0].multiselect("Optimisers", ["adam", "nadam", "rmsprop", "sgd"], ["adam"],
                                            key="search-optimizers", help=SEARCH["optimizers"])
        low, high = columns[1].select_slider("Learning rate (one-cycle peak)", RATES, (3e-4, 3e-2),
                                             key="search-rates", help=SEARCH["rates"])
        batches = columns[2].multiselect("Batch sizes", [32, 64, 128, 256, 512], [64, 128, 256],
                                         key="search-batches", help=SEARCH["batches"])
        activations = st.multiselect("Activations (hidden layers; convolutions use relu)", list(ACTIVATIONS),
                                     ["relu"], key="search-activations", help=SEARCH["activations"])
        columns = st.columns(4)
        shifts = columns[0].multiselect("Random shifts", [0.0, 0.05, 0.1], [0.0, 0.1], key="search-shifts",
                                        help=SEARCH["shifts"])
        smoothing = columns[1].multiselect("Label smoothing", [0.0, 0.05, 0.1], [0.0, 0.1],
                                           key="search-smoothing", help=SEARCH["smoothing"])
        cap = columns[2].number_input("Parameter cap (0: none)", 0, 5_000_000, 0, 500, key="search-cap",
                                      help="Larger networks are not trained: a search for a small network "
                                      "that reaches a target need not spend minutes on big ones.")
        seed = columns[3].number_input("Seed", 0, 2**31 - 1, 0, key="search-seed",
                                       help="The same seed draws the same trials.")
        rotations = columns[0].multiselect("Random rotations (degrees)", list(search.ROTATIONS), [0.0],
                                           key="search-rotations", help=SEARCH["rotations"])
        split_seed = columns[3].number_input("Split seed", 0, 2**31 - 1, 0, key="search-split-seed",
                                             help=SEARCH["split_seed"])
        cost_cap = columns[2].number_input(
            "Multiply-add cap per image (0: none)", 0, 10**10, 0, 50_000, key="search-cost-cap",
            help="Costlier networks are not trained: a trial's minutes grow with its multiply-adds "
                 "(a convnet that never pools can take several times as long as one that does).")
    return dataclasses.replace(
        space, activations=activations, optimizers=optimizers, min_learning_rate=low, max_learning_rate=high,
        batch_sizes=batches, shifts=shifts, rotations=rotations, label_smoothing=smoothing,
        split_seed=int(split_seed), max_parameters=int(cap),
        max_multiply_adds=int(cost_cap), seed=int(seed))
