import json

import pandas as pd
import streamlit as st

from core import architecture
from core.architecture import DenseLayer, Hyperparameters, TrainingConfig
from core.training import ACTIVE, QueueFull
from dashboard import live, state

st.title("Train a network")
queue = state.training_queue()
me = state.owner()

# --- the network ---------------------------------------------------------------------------------
choices = [*architecture.PRESETS, "custom"]
preset_name = st.selectbox("Start from", choices, format_func=lambda name: (
    f"{name}: {architecture.PRESET_DESCRIPTIONS[name]}"))
base = architecture.preset(preset_name) if preset_name != "custom" else TrainingConfig(
    dense=[DenseLayer(128)], hyper=Hyperparameters())

if base.conv:
    st.markdown("Convolutional part (fixed for this preset): "
                + " > ".join(f"conv {c.kernel_size}x{c.kernel_size}, {c.filters} filters"
                             + (", BN" if c.batch_norm else "") + (", 2x2 max-pool" if c.max_pool else "")
                             for c in base.conv))
st.markdown("**Hidden layers** (fully connected, in order; add, delete or edit rows):")
edited = st.data_editor(
    pd.DataFrame([vars(layer) for layer in base.dense], columns=["units", "activation", "batch_norm",
                                                                 "dropout"]),
    num_rows="dynamic", key=f"layers-{preset_name}", hide_index=False, column_config={
        "units": st.column_config.NumberColumn("units", step=1, required=True, default=64),
        "activation": st.column_config.SelectboxColumn(
            "activation", options=architecture.ACTIVATIONS, required=True, default="relu"),
        "batch_norm": st.column_config.CheckboxColumn("batch norm", default=False),
        "dropout": st.column_config.NumberColumn("dropout", step=0.05, default=0.0, format="%.2f"),
    })
dense = [DenseLayer(units=int(row.units) if pd.notna(row.units) else 0,
                    activation=str(row.activation), batch_norm=bool(row.batch_norm),
                    dropout=float(row.dropout) if pd.notna(row.dropout) else 0.0)
         for row in edited.itertuples()]

# --- how to train it -----------------------------------------------------------------------------
st.markdown("**Hyperparameters**")
defaults = base.hyper
left, middle, right, last = st.columns(4)
optimizer = left.selectbox("Optimizer", architecture.OPTIMIZERS,
                           index=architecture.OPTIMIZERS.index(defaults.optimizer),
                           format_func=architecture.OPTIMIZER_NAMES.get, key=f"optimizer-{preset_name}")
learning_rate = middle.number_input("Learning rate", value=defaults.learning_rate, min_value=0.0,
                                    step=0.0005, format="%.4f", key=f"lr-{preset_name}")
batch_size = right.number_input("Batch size", value=defaults.batch_size, min_value=1, step=32,
                                key=f"batch-{preset_name}")
epochs = last.number_input("Epochs", value=defaults.epochs, min_value=1,
                           max_value=architecture.MAX_EPOCHS, key=f"epochs-{preset_name}")
left, middle, right, last = st.columns(4)
lr_decay = left.number_input("Learning rate decay per epoch", value=defaults.lr_decay, min_value=0.1,
                             max_value=1.0, step=0.05, key=f"decay-{preset_name}",
                             help="After every epoch the learning rate is multiplied by this; 1 keeps it.")
validation_fraction = middle.slider("Validation fraction", 0.05, 0.5, defaults.validation_fraction,
                                  step=0.05, key=f"val-{preset_name}")
patience = right.number_input("Early stopping patience (0 = off)", value=defaults.patience,
                               min_value=0, max_value=architecture.MAX_PATIENCE,
                               key=f"patience-{preset_name}")
seed = last.number_input("Random seed", value=defaults.seed, min_value=0, max_value=2**31 - 1,
                          key=f"seed-{preset_name}")
left, middle, right, last = st.columns(4)
train_images = left.number_input("Training images (the first N)", value=defaults.train_images,
                                 min_value=100, max_value=architecture.TRAIN_IMAGES, step=1000,
                                 key=f"images-{preset_name}",
                                 help="Fewer images train faster; validation is taken from these.")

config = TrainingConfig(
    preset=preset_name if dense == base.dense else "custom", conv=base.conv, dense=dense,
    hyper=Hyperparameters(optimizer=optimizer, learning_rate=float(learning_rate),
                          lr_decay=round(float(lr_decay), 4),
                          batch_size=int(batch_size), epochs=int(epochs),
                          validation_fraction=round(float(validation_fraction), 2),
                          patience=int(patience), seed=int(seed), train_images=int(train_images)))

# --- what will be built --------------------------------------------------------------------------
problems = config.problems()
if problems:
    st.error("This network cannot be trained:\n\n" + "\n".join(f"- {p}" for p in problems))
else:
    summary = state.model_summary(json.dumps(config.to_dict()))
    total = sum(row["parameters"] for row in summary)
    st.markdown(f"**Model summary**: {config.describe()}, "
                f"{config.training_set_size():,} training images per epoch")
    left, right = st.columns([3, 1])
    left.dataframe(pd.DataFrame(summary), hide_index=True)
    right.metric("Parameters", f"{total:,}")

name = st.text_input("Run name (optional)", max_chars=80, placeholder=f"{config.preset} ...")
if folder_problem := state.runs_folder_problem():  # said now, not as a traceback after the training
    st.error(folder_problem)
if st.button("Train", type="primary", disabled=bool(problems or folder_problem)):
    try:
        queue.submit(config, name, owner=me)
    except QueueFull as refusal:  # a limit, or the same training clicked twice: nothing is queued
        st.warning(str(refusal), icon=":material/block:")
active = [job for job in queue.jobs() if job.status in ACTIVE]
st.caption(f"Your trainings queued or running: {sum(job.owner == me for job in active)} of at most "
           f"{queue.max_per_owner}; on the server: {len(active)} of at most {queue.max_queued}.")

# --- the live view: this session's trainings (a reload keeps them: see state.owner) -------------
live.follow(lambda: queue.jobs(owner=me), others=True)
