"""A block shared across depth as one Keras layer: a convolution applied several times with the same
weights, each time followed by its own batch norm (ruslangrimov/mnist-minimal-model's trick: the
depth of several layers for the parameters of one).

One layer rather than one Keras convolution called several times: a layer called several times has
no single output, and the summary, the activations and the map each read a layer's output. Imported
(heavy: Keras) where a model is built or loaded; importing it registers the class for loading."""

from __future__ import annotations

import keras
from keras import layers


@keras.saving.register_keras_serializable(package="mnist_explorer")
class RepeatedConvolution(layers.Layer):
    def __init__(self, filters: int, kernel_size: int, times: int, separable: bool = False,
                 batch_norm: bool = False, plain_norm: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.settings = {"filters": filters, "kernel_size": kernel_size, "times": times,
                         "separable": separable, "batch_norm": batch_norm, "plain_norm": plain_norm}
        kind = layers.SeparableConv2D if separable else layers.Conv2D
        self.convolution = kind(filters, kernel_size, activation="relu", name="shared")
        learned = not plain_norm  # without them, the norm has no parameters
        self.norms = [layers.BatchNormalization(center=learned, scale=learned, name=f"norm_{i + 1}")
                      for i in range(times)] if batch_norm else []

    def build(self, input_shape):
        shape = input_shape
        self.convolution.build(shape)
        for time in range(self.settings["times"]):
            shape = self.convolution.compute_output_shape(shape)
            if self.norms:
                self.norms[time].build(shape)

    def call(self, x, training=None):
        for time in range(self.settings["times"]):
            x = self.convolution(x)
            if self.norms:
                x = self.norms[time](x, training=training)
        return x

    def compute_output_shape(self, input_shape):
        shape = input_shape
        for _ in range(self.settings["times"]):
            shape = self.convolution.compute_output_shape(shape)
        return shape

    def get_config(self):
        return {**super().get_config(), **self.settings}
