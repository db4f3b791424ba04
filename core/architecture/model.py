"""The Keras model of a configuration, and what is asked of one: probabilities, a summary, its
layers worth looking at. Keras is imported where a model is built, not when the dashboard starts."""

from __future__ import annotations

import numpy as np

from core.architecture.config import WITH_BETAS, TrainingConfig
from core.architecture.cost import steps_per_execution


def build_model(config: TrainingConfig, pixel_mean: np.ndarray, pixel_std: np.ndarray):
    """The Keras model (compiled) for `config`; its first layer standardises raw pixels.

    The standardisation statistics are stored in the model, so a saved model needs nothing else.
    """
    import keras  # heavy: imported where a model is built, not when the dashboard starts
    from keras import layers

    config.check()
    inputs = keras.Input(shape=(28, 28), name="pixels")
    x = inputs
    if steps := augmentation(config.hyper):
        x = layers.Reshape((28, 28, 1))(x)
        for layer, arguments, name, _ in steps:
            x = getattr(layers, layer)(**arguments, name=name)(x)
        x = layers.Reshape((28, 28))(x)
    # Keras divides by sqrt(variance): pixel_std comes floored from preprocessing.pixel_statistics.
    x = layers.Normalization(axis=(1, 2), mean=pixel_mean, variance=np.square(pixel_std),
                             name="standardise")(x)
    if config.conv or config.reduction != "none":
        x = layers.Reshape((28, 28, 1))(x)
    if config.reduction == "pool2":
        x = layers.AveragePooling2D(2, name="average_2x2")(x)
    elif config.reduction == "crop20":
        x = layers.Cropping2D(4, name="centre_20x20")(x)
    outputs = layers.Dense(10, activation="softmax", name="digit")(_hidden_layers(config, x))
    model = keras.Model(inputs, outputs, name=config.preset)
    _compile(model, config)
    return model


def augmentation(hyper) -> list[tuple[str, dict, str, str]]:
    """The random changes of each training image (Keras layers, active in training only), in order,
    as (layer, its arguments, its name, what it does in words): what the model builds and the exported
    script writes. The border that a change uncovers is background, 0."""
    blank = {"fill_mode": "constant", "fill_value": 0.0}
    steps = []
    if hyper.rotation:
        steps.append(("RandomRotation", {"factor": round(hyper.rotation / 360, 6), **blank},
                      "random_rotation", f"turned by up to {hyper.rotation:g} degrees either way"))
    if hyper.scale:
        steps.append(("RandomZoom", {"height_factor": (-hyper.scale, hyper.scale), **blank}, "random_scale",
                      f"up to {hyper.scale:.0%} larger or smaller"))
    if hyper.shift:
        moves = {"height_factor": hyper.shift, "width_factor": hyper.shift}
        steps.append(("RandomTranslation", {**moves, **blank}, "random_shift",
                      f"moved by up to {hyper.shift:.0%} of its side"))
    if hyper.noise:  # Keras's GaussianNoise takes a deviation of at most 1: added on the 0..1 scale
        steps += [("Rescaling", {"scale": 1 / 255}, "to_0_1", "gray levels to 0..1"),
                  ("GaussianNoise", {"stddev": round(hyper.noise / 255, 6)}, "random_noise",
                   f"Gaussian noise of {hyper.noise:g} gray levels added"),
                  ("Rescaling", {"scale": 255.0}, "to_gray_levels", "back to 0..255")]
    return steps


def _hidden_layers(config: TrainingConfig, x):
    """The convolutions, then the dense layers, each with its batch norm, pooling and dropout."""
    from keras import layers

    from core.architecture.shared_block import RepeatedConvolution

    for layer in config.conv:
        if layer.repeat > 1:  # its batch norms inside it, one per application
            x = RepeatedConvolution(layer.filters, layer.kernel_size, layer.repeat, layer.separable,
                                    layer.batch_norm, layer.plain_norm)(x)
        else:
            convolution = layers.SeparableConv2D if layer.separable else layers.Conv2D
            x = convolution(layer.filters, layer.kernel_size, strides=layer.stride, activation="relu")(x)
            if layer.batch_norm:
                x = layers.BatchNormalization(center=not layer.plain_norm, scale=not layer.plain_norm)(x)
        if layer.max_pool:
            x = layers.MaxPooling2D(2)(x)
        if layer.dropout:
            x = layers.Dropout(layer.dropout)(x)
    x = layers.GlobalAveragePooling2D(name="global_average")(x) if config.global_pool else layers.Flatten()(x)
    for layer in config.dense:
        x = layers.Dense(layer.units, activation=layer.activation)(x)
        if layer.batch_norm:
            x = layers.BatchNormalization()(x)
        if layer.dropout:
            x = layers.Dropout(layer.dropout)(x)
    return x


def _compile(model, config: TrainingConfig) -> None:
    import keras

    hyper = config.hyper
    settings = {"learning_rate": learning_rate(config)}
    if hyper.optimizer in WITH_BETAS:
        settings |= {"beta_1": hyper.beta_1, "beta_2": hyper.beta_2}
    optimizer = keras.optimizers.get({"class_name": hyper.optimizer, "config": settings})
    # integer labels in, as MNIST stores them, unless smoothing needs the one-hot targets (see
    # `targets`); either way a built-in loss, so a downloaded model loads anywhere
    loss = keras.losses.CategoricalCrossentropy(label_smoothing=hyper.label_smoothing) \
        if hyper.label_smoothing else "sparse_categorical_crossentropy"
    model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"],
                  steps_per_execution=steps_per_execution(config))


def is_feature_layer(layer) -> bool:
    """Whether a learner looks at `layer`'s output (activations, the map): the dense layers, the
    convolutions, full, separable or repeated, and the poolings."""
    from keras import layers

    from core.architecture.shared_block import RepeatedConvolution

    return isinstance(layer, (layers.Dense, layers.Conv2D, layers.SeparableConv2D, RepeatedConvolution,
                              layers.MaxPooling2D))


def learning_rate(config: TrainingConfig):
    """The optimiser's learning rate: a number, or a Keras schedule that moves it step by step."""
    from keras.optimizers import schedules

    hyper, steps = config.hyper, config.steps_per_epoch()
    if hyper.schedule == "step" and hyper.lr_decay < 1:
        return schedules.ExponentialDecay(hyper.learning_rate, decay_steps=steps,
                                          decay_rate=hyper.lr_decay, staircase=True)
    if hyper.schedule == "one-cycle":
        total = steps * hyper.epochs
        warmup = int(total * hyper.warmup)
        return schedules.CosineDecay(hyper.learning_rate / 20, decay_steps=max(1, total - warmup),
                                     alpha=0.01, warmup_target=hyper.learning_rate, warmup_steps=warmup)
    return hyper.learning_rate


def targets(config: TrainingConfig, labels: np.ndarray) -> np.ndarray:
    """What the model's loss compares its output with: the digits, or one-hot rows to smooth."""
    if not config.hyper.label_smoothing:
        return labels
    return np.eye(10, dtype=np.float32)[labels]


def summary_rows(model) -> list[dict]:
    """The model summary as table rows: layer, output shape, parameters."""
    return [{"layer": f"{layer.name} ({type(layer).__name__})",
             "output shape": str(tuple(layer.output.shape)),
             "parameters": layer.count_params()} for layer in model.layers]


def predict_probabilities(model, images: np.ndarray, batch_size: int = 2048) -> np.ndarray:
    """Class probabilities for raw uint8 images, a batch at a time through Keras's compiled predict
    step (a graph: 10,000 digits through "sprint" in 0.13 s, where eager calls took 0.22 s)."""
    parts = [np.asarray(model.predict_on_batch(images[start:start + batch_size]))
             for start in range(0, len(images), batch_size)]
    return np.concatenate(parts) if parts else np.zeros((0, 10), np.float32)
