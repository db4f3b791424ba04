"""A network and its training settings as plain, validated data that builds the Keras model.

    config       the configuration as plain data, and its JSON
    validation   what it may be (every problem in words) and the server's bounds
    cost         what it costs: parameters, multiply-adds, steps
    presets      the networks offered by name
    model        the Keras model it builds (raw pixels in: the standardisation is its first layer),
                 and what is asked of one

Everything public is importable from here: `from core.architecture import TrainingConfig, ...`.
"""

from core.architecture.config import (
    ACTIVATIONS,
    HOLDOUT_IMAGES,
    OPTIMIZER_NAMES,
    OPTIMIZERS,
    REDUCTIONS,
    SCHEDULE_NAMES,
    SCHEDULES,
    TRAIN_IMAGES,
    WITH_BETAS,
    ConfigError,
    ConvLayer,
    DenseLayer,
    Hyperparameters,
    TrainingConfig,
)
from core.architecture.cost import steps_per_execution
from core.architecture.model import (
    augmentation,
    build_model,
    is_feature_layer,
    learning_rate,
    predict_probabilities,
    summary_rows,
    targets,
)
from core.architecture.presets import (
    PRESET_DESCRIPTIONS,
    PRESETS,
    preset,
    settings_side_by_side,
    started_from,
)
from core.architecture.validation import (
    MAX_CONV_LAYERS,
    MAX_DENSE_LAYERS,
    MAX_DROPOUT,
    MAX_EPOCHS,
    MAX_FILTERS,
    MAX_FOLDS,
    MAX_KERNEL,
    MAX_LABEL_SMOOTHING,
    MAX_LEARNING_RATE,
    MAX_NOISE,
    MAX_PARAMETERS,
    MAX_PATIENCE,
    MAX_REPEAT,
    MAX_ROTATION,
    MAX_SCALE,
    MAX_SHIFT,
    MAX_UNITS,
    MIN_TRAIN_IMAGES,
    bounded,
)

__all__ = [
    "ACTIVATIONS", "HOLDOUT_IMAGES", "OPTIMIZER_NAMES", "OPTIMIZERS", "REDUCTIONS", "SCHEDULE_NAMES",
    "SCHEDULES",
    "TRAIN_IMAGES", "WITH_BETAS", "ConfigError", "ConvLayer", "DenseLayer", "Hyperparameters",
    "TrainingConfig", "steps_per_execution", "augmentation", "build_model", "is_feature_layer",
    "learning_rate", "predict_probabilities", "summary_rows", "targets", "PRESET_DESCRIPTIONS", "PRESETS",
    "preset", "started_from", "settings_side_by_side",
    "MAX_CONV_LAYERS", "MAX_DENSE_LAYERS", "MAX_DROPOUT", "MAX_EPOCHS", "MAX_FILTERS", "MAX_FOLDS",
    "MAX_KERNEL", "MAX_LABEL_SMOOTHING", "MAX_LEARNING_RATE", "MAX_PARAMETERS", "MAX_PATIENCE", "MAX_REPEAT",
    "MAX_NOISE", "MAX_ROTATION", "MAX_SCALE", "MAX_SHIFT", "MAX_UNITS", "MIN_TRAIN_IMAGES", "bounded",
]
