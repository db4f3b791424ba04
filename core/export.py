"""A training as code to take away: a standalone Keras program (or notebook) that reproduces what
the app trains for a configuration: the same seeded split of the first N images, the same
standardisation (per pixel, its floor included), the same layers, optimiser, schedule, label
smoothing, shifts and seed. It imports tensorflow/keras and numpy only, never this project.

User text (a run's name) enters the code only through repr(): a name with quotes or line breaks
cannot become code.
"""

from __future__ import annotations

from core.architecture import TrainingConfig, augmentation, cost
from core.architecture.config import WITH_BETAS
from core.preprocessing import STD_FLOOR

HEADER = '''"""{title}

A network trained on MNIST, as MNIST Explorer trains it{from_run}: {description}.

    python {file} [mnist.npz]

Without an argument, MNIST comes from keras.datasets (downloaded once); with one, from an .npz file
holding x_train, y_train, x_test and y_test (28x28 uint8 images, digit labels).
It needs tensorflow (Keras 3) and numpy, and prints the test accuracy at the end.
"""

import sys

import keras
import numpy as np
from keras import layers
'''

SETTINGS = '''
# --- the settings ----------------------------------------------------------------------------------
NAME = {name}
SEED = {seed}  # the initial weights, the shuffling, the random changes: the same seed, the same training
SPLIT_SEED = {split_seed}  # which of the images are held out for validation
TRAIN_IMAGES = {train_images}  # the first N of MNIST's 60,000 training images, before the split
{split_settings}
BATCH_SIZE = {batch_size}
EPOCHS = {epochs}
PATIENCE = {patience}  # early stopping on the validation loss (its best weights kept); 0: off
STD_FLOOR = {std_floor}  # the smallest per-pixel std, in gray levels (see the standardisation)
'''

DATA = '''

# --- the data --------------------------------------------------------------------------------------
def load_mnist():
    if len(sys.argv) > 1:
        with np.load(sys.argv[1]) as data:
            return data["x_train"], data["y_train"], data["x_test"], data["y_test"]
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    return x_train, y_train, x_test, y_test


x_all, y_all, x_test, y_test = load_mnist()
keras.utils.set_random_seed(SEED)
order = np.random.default_rng(SPLIT_SEED).permutation(TRAIN_IMAGES)  # a seeded shuffle of the first N
{split_code}
x_train, y_train = x_all[train_index], y_all[train_index]
x_validation, y_validation = x_all[validation_index], y_all[validation_index]
print(f"{{len(x_train):,}} training and {{len(x_validation):,}} validation images")

# Standardisation, per pixel, with statistics of the training split only: (pixel - mean) / std.
# A pixel that is blank in nearly every image has a std near 0: the floor keeps a rare stroke there
# from becoming a huge value.
pixel_mean = x_train.mean(axis=0, dtype=np.float64)
pixel_std = np.maximum(x_train.std(axis=0, dtype=np.float64), STD_FLOOR)
'''

RANDOM_SPLIT = '''n_validation = max(1, round(TRAIN_IMAGES * VALIDATION_FRACTION))
train_index, validation_index = np.sort(order[n_validation:]), np.sort(order[:n_validation])'''
FOLD_SPLIT = '''held_out = np.zeros(TRAIN_IMAGES, bool)
held_out[order[FOLD::FOLDS]] = True  # the seeded order dealt into FOLDS folds, like cards
train_index, validation_index = np.flatnonzero(~held_out), np.flatnonzero(held_out)'''

FIT = '''
# --- the training -----------------------------------------------------------------------------------
callbacks = [keras.callbacks.EarlyStopping(monitor="val_loss", patience=PATIENCE,
                                           restore_best_weights=True)] if PATIENCE else []
model.fit(x_train, {train_targets}, batch_size=BATCH_SIZE, epochs=EPOCHS,
          validation_data=(x_validation, {validation_targets}), callbacks=callbacks, verbose=2)

# --- the test set: read once, to report, never to choose ---------------------------------------------
answers = model.predict(x_test, batch_size=1024, verbose=0).argmax(axis=1)
print(f"{{NAME}}: test accuracy {{(answers == y_test).mean():.4f}}")
'''


def script(config: TrainingConfig, name: str = "", run_id: str = "") -> str:
    """The program, as text."""
    config.check()
    return "".join(section for _, section in sections(config, name, run_id))


def sections(config: TrainingConfig, name: str = "", run_id: str = "") -> list[tuple[str, str]]:
    """(title, code) of each part, in order: the script is their concatenation, a notebook has one
    cell per part."""
    hyper = config.hyper
    title = name or f"The {config.preset} network"
    folds = hyper.folds >= 2
    split_settings = (f"FOLDS, FOLD = {hyper.folds}, {hyper.fold}  # k-fold: fold FOLD of FOLDS is the "
                      "validation split" if folds else
                      f"VALIDATION_FRACTION = {hyper.validation_fraction!r}  # held out, at random, to "
                      "watch for overfitting")
    header = HEADER.format(title=_docstring_safe(title),
                           from_run=f" (run {_docstring_safe(run_id)})" if run_id else "",
                           description=_docstring_safe(config.describe()),
                           file=_file_name(name or config.preset))
    settings = SETTINGS.format(name=repr(title), seed=hyper.seed, split_seed=hyper.split_by(),
                               train_images=hyper.train_images,
                               split_settings=split_settings, batch_size=hyper.batch_size,
                               epochs=hyper.epochs, patience=hyper.patience, std_floor=STD_FLOOR)
    data = DATA.format(split_code=FOLD_SPLIT if folds else RANDOM_SPLIT)
    smoothing = bool(hyper.label_smoothing)
    fit = FIT.format(train_targets="np.eye(10)[y_train]" if smoothing else "y_train",
                     validation_targets="np.eye(10)[y_validation]" if smoothing else "y_validation")
    return [("About", header), ("Settings", settings), ("Data", data),
            ("The network", _network(config)), ("Training", fit)]


def _network(config: TrainingConfig) -> str:
    hyper = config.hyper
    lines = ["", "# --- the network " + "-" * 82,
             "inputs = keras.Input(shape=(28, 28), name=\"pixels\")", "x = inputs"]
    if steps := augmentation(hyper):
        lines += ["# during training only, each image is changed at random (more handwriting than MNIST",
                  "# holds):",
                  "x = layers.Reshape((28, 28, 1))(x)"]
        for layer, arguments, _, said in steps:
            written = ", ".join(f"{key}={value!r}" for key, value in arguments.items())
            lines += [f"x = layers.{layer}({written})(x)  # {said}"]
        lines += ["x = layers.Reshape((28, 28))(x)"]
    lines += ["# the standardisation is the model's first layer: a saved model takes raw pixels",
              "x = layers.Normalization(axis=(1, 2), mean=pixel_mean, variance=np.square(pixel_std))(x)"]
    if config.conv or config.reduction != "none":
        lines.append("x = layers.Reshape((28, 28, 1))(x)  # one channel, for the 2D layers")
    if config.reduction == "pool2":
        lines.append("x = layers.AveragePooling2D(2)(x)  # 14x14: every later layer is smaller")
    elif config.reduction == "crop20":
        lines.append("x = layers.Cropping2D(4)(x)  # the centre 20x20, where the digits are")
    lines += ["# the output layer, a probability for each digit, is made before the hidden ones, as MNIST",
              "# Explorer makes it: with the same seed, every layer then starts from the same weights",
              "digit = layers.Dense(10, activation=\"softmax\")"]
    for layer in config.conv:
        kind = "SeparableConv2D" if layer.separable else "Conv2D"
        why = "  # depthwise separable: about k*k times fewer parameters" if layer.separable else ""
        made = (f"layers.{kind}({layer.filters}, {layer.kernel_size}, strides={layer.stride}, "
                "activation=\"relu\")")
        pooling = "x = layers.MaxPooling2D(2)(x)" if layer.max_pool else ""
        if layer.repeat > 1:  # one layer called several times: Keras keeps one set of its weights
            lines += [f"shared = {made}{why}",
                      f"for _ in range({layer.repeat}):  # the same weights at each depth"
                      + ("; a norm of its own each time" if layer.batch_norm else ""),
                      "    x = shared(x)",
                      *("    " + line for line in _extras(layer.batch_norm, 0.0, plain=layer.plain_norm))]
            lines += _extras(False, layer.dropout, pooling)
        else:
            lines.append(f"x = {made}(x){why}")
            lines += _extras(layer.batch_norm, layer.dropout, pooling, plain=layer.plain_norm)
    if config.conv or config.reduction != "none":
        lines.append("x = layers.GlobalAveragePooling2D()(x)  # one number per feature map"
                     if config.global_pool else "x = layers.Flatten()(x)")
    else:
        lines.append("x = layers.Flatten()(x)  # 784 numbers per image")
    for layer in config.dense:
        lines.append(f"x = layers.Dense({layer.units}, activation={layer.activation!r})(x)")
        lines += _extras(layer.batch_norm, layer.dropout)
    lines += ["outputs = digit(x)",
              f"model = keras.Model(inputs, outputs, name={config.preset!r})", "",
              *_optimiser(config), "model.summary()", ""]
    return "\n".join(lines) + "\n"


def _extras(batch_norm: bool, dropout: float, pooling: str = "", plain: bool = False) -> list[str]:
    norm = ("x = layers.BatchNormalization(center=False, scale=False)(x)  # normalisation alone: no "
            "parameters" if plain else "x = layers.BatchNormalization()(x)")
    lines = [norm] if batch_norm else []
    lines += [pooling] if pooling else []
    return lines + ([f"x = layers.Dropout({dropout!r})(x)  # during training only"] if dropout else [])


def _optimiser(config: TrainingConfig) -> list[str]:
    hyper = config.hyper
    steps = config.steps_per_epoch()
    lines = ["# --- how it learns " + "-" * 80]
    if hyper.schedule == "step" and hyper.lr_decay < 1:
        lines += [f"# the learning rate is multiplied by {hyper.lr_decay!r} after each epoch ({steps} steps)",
                  f"learning_rate = keras.optimizers.schedules.ExponentialDecay({hyper.learning_rate!r}, "
                  f"decay_steps={steps}, decay_rate={hyper.lr_decay!r}, staircase=True)"]
    elif hyper.schedule == "one-cycle":
        total = steps * hyper.epochs
        warmup = int(total * hyper.warmup)
        lines += ["# one cycle: a linear warm-up from a 20th of the rate to it, then a cosine decay "
                  "to a 100th",
                  f"learning_rate = keras.optimizers.schedules.CosineDecay({hyper.learning_rate!r} / 20, "
                  f"decay_steps={max(1, total - warmup)}, alpha=0.01, warmup_target={hyper.learning_rate!r}, "
                  f"warmup_steps={warmup})"]
    else:
        lines.append(f"learning_rate = {hyper.learning_rate!r}")
    betas = f", beta_1={hyper.beta_1!r}, beta_2={hyper.beta_2!r}" if hyper.optimizer in WITH_BETAS else ""
    name = {"sgd": "SGD", "adam": "Adam", "nadam": "Nadam", "rmsprop": "RMSprop"}[hyper.optimizer]
    lines.append(f"optimizer = keras.optimizers.{name}(learning_rate=learning_rate{betas})")
    if hyper.label_smoothing:
        lines += [f"# label smoothing: the target is {1 - hyper.label_smoothing * 0.9:.3f} for the true "
                  f"digit, {hyper.label_smoothing / 10:.3f} for each other",
                  f"loss = keras.losses.CategoricalCrossentropy(label_smoothing={hyper.label_smoothing!r})"]
    else:
        lines.append("loss = \"sparse_categorical_crossentropy\"  # the digits as labels, 0-9")
    lines += [f"# {cost.steps_per_execution(config)} batches per call into TensorFlow: faster on a CPU, "
              "the same training",
              f"model.compile(optimizer=optimizer, loss=loss, metrics=[\"accuracy\"], "
              f"steps_per_execution={cost.steps_per_execution(config)})"]
    return lines


def notebook(config: TrainingConfig, name: str = "", run_id: str = "") -> str:
    """The same program as a Jupyter notebook (.ipynb JSON): one cell per part, each after a line
    of Markdown saying what it does. The notebook reads MNIST from keras.datasets, or from the
    .npz named in MNIST_NPZ below."""
    import nbformat

    config.check()
    cells = []
    for title, code in sections(config, name, run_id):
        if title == "About":
            text = code.split('"""')[1].strip()
            cells.append(nbformat.v4.new_markdown_cell(text.replace("python ", "    python ")))
            code = code.split('"""', 2)[2].strip() + "\n\nMNIST_NPZ = None  # or the path of an .npz file"
            code = code.replace("import sys\n\n", "")
        else:
            cells.append(nbformat.v4.new_markdown_cell(f"## {title}"))
        code = code.replace("if len(sys.argv) > 1:\n        with np.load(sys.argv[1]) as data:",
                            "if MNIST_NPZ:\n        with np.load(MNIST_NPZ) as data:")
        cells.append(nbformat.v4.new_code_cell(code.strip()))
    book = nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}})
    return nbformat.writes(book)


def _docstring_safe(text: str) -> str:
    """User text inside the program's docstring: one line, no quotes that could end it, no
    backslash that could escape."""
    return " ".join(str(text).split()).replace("\\", "/").replace('"', "'")


def _file_name(text: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in text.strip().lower())[:40].strip("-")
    return f"{safe or 'network'}.py"


def file_name(name: str, extension: str) -> str:
    return _file_name(name).removesuffix(".py") + extension
