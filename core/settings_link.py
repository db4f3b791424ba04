"""The Train form's settings in a page address, under short names that do not change: a link
that fills the same form in any browser. Only what differs from the preset it started from is
written ("?p=given&lr=0.1&ep=5"); a value that cannot be read, or that the configuration's own
validation refuses, is left at the preset's and said.

Layers are written one after another, joined by "_": a dense layer as "128-relu" with "-bn"
(batch norm) and "-d0.2" (dropout); a convolution as "32-k3" with "-s2" (stride), "-pool",
"-bn", "-pn" (its batch norm without parameters), "-sep" (depthwise separable) and "-d0.25".
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

from core.architecture import (
    ACTIVATIONS,
    OPTIMIZERS,
    PRESETS,
    REDUCTIONS,
    SCHEDULES,
    ConvLayer,
    DenseLayer,
    Hyperparameters,
    TrainingConfig,
    preset,
)

PRESET = "p"
HYPER = {"opt": "optimizer", "lr": "learning_rate", "b1": "beta_1", "b2": "beta_2", "bs": "batch_size",
         "ep": "epochs", "sch": "schedule", "dec": "lr_decay", "wu": "warmup", "ls": "label_smoothing",
         "sh": "shift", "rot": "rotation", "sc": "scale", "noi": "noise", "val": "validation_fraction",
         "pat": "patience", "seed": "seed", "ss": "split_seed", "n": "train_images"}
NETWORK = {"in": "reduction", "c": "conv", "gp": "global_pool", "d": "dense"}


def starting_config(name: str) -> TrainingConfig:
    """A preset's configuration, or the form's own start for "custom": one hidden layer of 128."""
    if name in PRESETS:
        return preset(name)
    return TrainingConfig(dense=[DenseLayer(128)], hyper=Hyperparameters())


def encode(config: TrainingConfig, started_from: str | None = None) -> dict[str, str]:
    """The address's parameters for `config`: the preset it started from (its own by default),
    and what differs from it."""
    name = started_from or config.preset
    start = starting_config(name)
    params = {PRESET: name}
    for short, name in NETWORK.items():
        if getattr(config, name) != getattr(start, name):
            params[short] = _WRITE[name](getattr(config, name))
    for short, name in HYPER.items():
        value = getattr(config.hyper, name)
        if value != getattr(start.hyper, name):
            params[short] = f"{value:g}" if isinstance(value, float) else str(value)
    return params


def decode(params: Mapping[str, str]) -> tuple[TrainingConfig, list[str]]:
    """The configuration a link holds, and each value it ignored, in words."""
    ignored = []
    name = params.get(PRESET, "custom")
    if name not in (*PRESETS, "custom"):
        ignored.append(f"{PRESET}={name!r}: no such preset (the form starts from \"custom\")")
        name = "custom"
    config = starting_config(name)
    for short, raw in params.items():
        if short == PRESET:
            continue
        if short not in NETWORK and short not in HYPER:
            ignored.append(f"{short}={raw!r}: not a setting of the form")
            continue
        try:
            candidate = _with(config, short, raw)
        except (ValueError, TypeError, KeyError) as problem:
            ignored.append(f"{short}={raw!r}: {problem}")
            continue
        if new := [p for p in candidate.problems() if p not in config.problems()]:
            ignored.append(f"{short}={raw!r}: {new[0]}")
            continue
        config = candidate
    return config, ignored


def _with(config: TrainingConfig, short: str, raw: str) -> TrainingConfig:
    if short in NETWORK:
        name = NETWORK[short]
        return dataclasses.replace(config, **{name: _READ[name](raw)})
    name = HYPER[short]
    kind = int if name == "split_seed" else type(getattr(Hyperparameters(), name))  # None by default
    value = _choice(raw, {"optimizer": OPTIMIZERS, "schedule": SCHEDULES}[name]) if kind is str \
        else _number(raw, kind)
    return dataclasses.replace(config, hyper=dataclasses.replace(config.hyper, **{name: value}))


def _number(raw: str, kind: type):
    try:
        value = float(raw)
    except ValueError:
        raise ValueError("not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError("not a number")
    if kind is int:
        if value != int(value):
            raise ValueError("not a whole number")
        return int(value)
    return value


def _choice(raw: str, allowed) -> str:
    if raw not in allowed:
        raise ValueError(f"not one of {', '.join(allowed)}")
    return raw


def _flag(raw: str) -> bool:
    if raw not in ("0", "1"):
        raise ValueError("expected 0 or 1")
    return raw == "1"


def _dense(raw: str) -> list[DenseLayer]:
    try:
        return _dense_layers(raw)
    except (ValueError, TypeError, KeyError) as problem:
        raise ValueError(f"expected dense layers such as 128-relu_64-relu-d0.2 ({problem})") from None


def _conv(raw: str) -> list[ConvLayer]:
    try:
        return _conv_layers(raw)
    except (ValueError, TypeError, KeyError) as problem:
        raise ValueError(f"expected convolutions such as 32-k3-pool_64-k3-bn ({problem})") from None


def _dense_layers(raw: str) -> list[DenseLayer]:
    layers = []
    for token in filter(None, raw.split("_")):
        units, activation, *options = token.split("-")
        layer = DenseLayer(int(_number(units, int)), _choice(activation, ACTIVATIONS))
        for option in options:
            layer = _option(layer, option, {"bn": "batch_norm"})
        layers.append(layer)
    return layers


def _conv_layers(raw: str) -> list[ConvLayer]:
    layers = []
    for token in filter(None, raw.split("_")):
        filters, *options = token.split("-")
        layer = ConvLayer(int(_number(filters, int)))
        for option in options:
            if option[:1] in "ksr" and option[1:].isdigit():
                field = {"k": "kernel_size", "s": "stride", "r": "repeat"}[option[0]]
                layer = dataclasses.replace(layer, **{field: int(option[1:])})
            else:
                layer = _option(layer, option, {"bn": "batch_norm", "pool": "max_pool", "sep": "separable",
                                                "pn": "plain_norm"})
        layers.append(layer)
    return layers


def _option(layer, option: str, flags: dict[str, str]):
    if option in flags:
        return dataclasses.replace(layer, **{flags[option]: True})
    if option.startswith("d"):
        return dataclasses.replace(layer, dropout=_number(option[1:], float))
    raise ValueError(f"unknown layer option {option!r}")


def _write_dense(layers: list[DenseLayer]) -> str:
    return "_".join(f"{layer.units}-{layer.activation}" + ("-bn" if layer.batch_norm else "")
                    + (f"-d{layer.dropout:g}" if layer.dropout else "") for layer in layers)


def _write_conv(layers: list[ConvLayer]) -> str:
    return "_".join(f"{layer.filters}-k{layer.kernel_size}"
                    + (f"-s{layer.stride}" if layer.stride != 1 else "")
                    + (f"-r{layer.repeat}" if layer.repeat != 1 else "")
                    + ("-pool" if layer.max_pool else "") + ("-bn" if layer.batch_norm else "")
                    + ("-pn" if layer.plain_norm else "") + ("-sep" if layer.separable else "")
                    + (f"-d{layer.dropout:g}" if layer.dropout else "")
                    for layer in layers)


_READ: dict[str, Callable] = {"reduction": lambda raw: _choice(raw, tuple(REDUCTIONS)), "conv": _conv,
                              "global_pool": _flag, "dense": _dense}
_WRITE: dict[str, Callable] = {"reduction": str, "conv": _write_conv, "dense": _write_dense,
                               "global_pool": lambda flag: str(int(flag))}
