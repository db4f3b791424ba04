"""Plotly figure builders. They take small, already-computed arrays: nothing here bins pixels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.drawing import INK_LEVEL
from dashboard.text import for_plotly

SPLIT_COLOURS = {"train": "#4C78A8", "test": "#F58518"}
# Room above the plot for the chart's toolbar (about 30 px, shown on hover at the top right) and,
# below it, the titles of the chart, its subplots and its colour bar, which it covered otherwise.
TOP_MARGIN = 64


def class_distribution(table: pd.DataFrame, percent: bool) -> go.Figure:
    unit = "%" if percent else "count"
    figure = go.Figure([
        go.Bar(
            name=split.capitalize(),
            x=table["digit"],
            y=table[f"{split} {unit}"],
            marker_color=SPLIT_COLOURS[split],
            hovertemplate=f"digit %{{x}}<br>{split}: %{{y:{'.2f' if percent else ','}}}"
                          f"{'%' if percent else ' images'}<extra></extra>",
        )
        for split in ("train", "test")
    ])
    figure.update_layout(
        barmode="group",
        xaxis=dict(title="digit", dtick=1),
        yaxis_title="share of the split (%)" if percent else "images",
        legend_title_text="split",
        margin=dict(t=TOP_MARGIN, b=10),
    )
    return figure


def image_grid(
    images: np.ndarray, titles: list[str], columns: int, zmax: float = 255,
    colour_scale: str = "gray", zmin: float = 0,
) -> go.Figure:
    """Small images side by side with a title each; hovering shows the pixel's value. They are drawn
    as one mosaic (one heatmap on one pair of axes): a browser draws 60 images as fast as one, where a
    subplot each took seconds on a class's laptops."""
    lines = _title_lines(titles)
    mosaic, (gap_x, gap_y), tile_pixels = _mosaic(np.asarray(images, dtype=float), columns, lines)
    height, width = np.asarray(images).shape[1:3]
    figure = go.Figure(go.Heatmap(
        z=mosaic, zmin=zmin, zmax=zmax, colorscale=colour_scale, coloraxis="coloraxis",
        hovertemplate="pixel value %{z:.3~g}<extra></extra>", hoverongaps=False))
    for index, title in enumerate(titles):
        row, column = divmod(index, columns)
        figure.add_annotation(text=title, showarrow=False, yanchor="bottom", font=dict(size=12),
                              x=column * (width + gap_x) + (width - 1) / 2, y=row * (height + gap_y) - 0.5)
    rows = -(-len(titles) // columns) if titles else 1
    figure.update_xaxes(visible=False, range=[-0.5, mosaic.shape[1] - 0.5], constrain="domain")
    figure.update_yaxes(visible=False, range=[mosaic.shape[0] - 0.5, -gap_y - 0.5],
                        scaleanchor="x", constrain="domain", constraintoward="top")
    figure.update_layout(height=TOP_MARGIN + rows * (tile_pixels + 20 * lines), plot_bgcolor="rgba(0,0,0,0)",
                         margin=dict(t=TOP_MARGIN, b=0, l=20, r=20),  # room for the side titles
                         coloraxis=dict(colorscale=colour_scale, cmin=zmin, cmax=zmax, showscale=False))
    return figure


def _title_lines(titles: list[str]) -> int:
    """How many lines of text the tallest title takes."""
    return max((title.count("<br>") + 1 for title in titles), default=1)


def _mosaic(images: np.ndarray, columns: int, lines: int = 1) -> tuple[np.ndarray, tuple[int, int], int]:
    """The images tiled `columns` to a row, with empty (NaN) gaps between them: room for a title of
    `lines` lines above each row; and how tall each row is drawn, in screen pixels."""
    count, height, width = images.shape[:3]
    rows = -(-count // columns)
    tile_pixels = min(170, 900 // columns)
    gap_x = max(1, width // 14)
    gap_y = max(gap_x, int(np.ceil(20 * lines * height / tile_pixels)))  # about 20 screen pixels a line
    mosaic = np.full((rows * (height + gap_y), columns * (width + gap_x) - gap_x), np.nan)
    for index, image in enumerate(images):
        row, column = divmod(index, columns)
        top, left = gap_y + row * (height + gap_y), column * (width + gap_x)
        mosaic[top:top + height, left:left + width] = image
    return mosaic[gap_y:], (gap_x, gap_y), tile_pixels


def montage(picture: np.ndarray, height: int | None = None) -> go.Figure:
    figure = px.imshow(picture, binary_string=True)
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    figure.update_layout(margin=dict(t=0, b=0, l=0, r=0), height=height)
    return figure


def histogram(counts: np.ndarray, x_title: str, y_title: str, log: bool = False,
              name: str = "", colour: str | None = None) -> go.Figure:
    """Bars from pre-binned counts (bin i holds the count of value i)."""
    figure = go.Figure(go.Bar(
        x=np.arange(len(counts)), y=counts, name=name, marker_color=colour,
        hovertemplate=f"{x_title} %{{x}}: %{{y:,}}<extra></extra>",
    ))
    figure.update_layout(xaxis_title=x_title, yaxis_title=y_title, bargap=0,
                         yaxis_type="log" if log else "linear", margin=dict(t=30, b=10))
    return figure


def training_curves(history: dict[str, list[float]], batch_points: list[tuple[float, float, float]] = (),
                    marker: int | None = None) -> go.Figure:
    """Loss and accuracy per epoch, training vs validation, plus their running values per batch.

    Epoch points sit at x = 1, 2, ... (the end of that epoch); a batch point at epoch + fraction,
    so both curves move from the first group of batches on. With `marker`, a vertical line marks
    that epoch.
    """
    figure = make_subplots(rows=1, cols=2, subplot_titles=("Loss", "Accuracy"))
    epochs = list(range(1, len(history.get("loss", [])) + 1))
    if len(batch_points):
        points = np.asarray(batch_points, dtype=float)
        points = points[:: max(1, len(points) // 400)]  # a few hundred points draw the shape
        for column in (1, 2):
            figure.add_trace(go.Scatter(
                x=points[:, 0], y=points[:, column], name="training, running per batch",
                mode="lines", line=dict(color=SPLIT_COLOURS["train"], width=1), opacity=0.45,
                showlegend=column == 1,
            ), row=1, col=column)
    for column, metric in ((1, "loss"), (2, "accuracy")):
        for prefix, label, colour in (("", "training", SPLIT_COLOURS["train"]),
                                      ("val_", "validation", SPLIT_COLOURS["test"])):
            values = history.get(prefix + metric, [])
            figure.add_trace(go.Scatter(
                x=epochs[: len(values)], y=values, name=f"{label}, per epoch",
                mode="lines+markers", line=dict(color=colour), showlegend=column == 1,
            ), row=1, col=column)
    figure.update_xaxes(title_text="epoch", rangemode="tozero")
    if marker is not None:
        figure.add_vline(x=marker, line=dict(color="gray", dash="dash"), row="all", col="all")
    figure.update_layout(height=380, margin=dict(t=TOP_MARGIN, b=10), legend=dict(orientation="h", y=-0.25),
                         uirevision="training")  # keeps the user's zoom across live updates
    return figure


def runs_overlay(curves: dict[str, dict[str, list[float]]]) -> go.Figure:
    """Validation loss and accuracy per epoch of several runs, one colour per run."""
    figure = make_subplots(rows=1, cols=2, subplot_titles=("Validation loss", "Validation accuracy"))
    palette = px.colors.qualitative.Plotly
    for number, (name, history) in enumerate(curves.items()):
        colour = palette[number % len(palette)]
        for column, metric in ((1, "val_loss"), (2, "val_accuracy")):
            values = history.get(metric, [])
            figure.add_trace(go.Scatter(
                x=np.arange(1, len(values) + 1), y=values, name=for_plotly(name), legendgroup=name,
                mode="lines+markers", line=dict(color=colour), showlegend=column == 1,
            ), row=1, col=column)
    figure.update_xaxes(title_text="epoch", dtick=1)
    figure.update_layout(height=400, margin=dict(t=TOP_MARGIN, b=10))
    return figure


def confusion_matrix(counts: np.ndarray, as_percent: bool) -> go.Figure:
    """A clickable confusion matrix: one square marker per cell (a click on a scatter point is
    reported to Streamlit, a click on a heatmap cell is not), correct predictions in blue on the
    diagonal, mistakes in red."""
    size = len(counts)
    true, predicted = np.divmod(np.arange(size * size), size)
    flat = counts.ravel()
    percent = 100 * flat / np.maximum(counts.sum(axis=1), 1)[true]
    shown = percent if as_percent else flat
    figure = go.Figure()
    for on_diagonal, colours, name in ((True, "Blues", "correct"), (False, "Reds", "mistakes")):
        cell = (true == predicted) == on_diagonal
        values = shown[cell]
        top = max(float(values.max()), 1e-9)
        figure.add_trace(go.Scatter(
            x=predicted[cell], y=true[cell], mode="markers+text", name=name,
            marker=dict(symbol="square", size=50, color=values, colorscale=colours, cmin=0, cmax=top,
                        line=dict(width=1, color="white")),
            text=[f"{v:.1f}" if as_percent else f"{v:,}" for v in values],
            textfont=dict(color=["white" if v > 0.6 * top else "black" for v in values], size=12),
            customdata=np.stack([flat[cell], percent[cell]], axis=1),
            # the clicked cell stands out, the others stay readable (plotly's default fades them to 0.2)
            selected=dict(marker=dict(opacity=1)), unselected=dict(marker=dict(opacity=0.85)),
            hovertemplate="true %{y}, predicted %{x}: %{customdata[0]:,} images "
                          "(%{customdata[1]:.1f}% of the true %{y}s)<extra></extra>",
        ))
    axis = dict(tickmode="array", tickvals=list(range(size)), range=[-0.5, size - 0.5],
                showgrid=False, zeroline=False, fixedrange=True)
    figure.update_layout(
        width=620, height=620, showlegend=False, margin=dict(t=60, l=70, r=10, b=10),
        xaxis=axis | dict(title="predicted digit", side="top"),
        yaxis=axis | dict(title="true digit", range=[size - 0.5, -0.5]),
        plot_bgcolor="white", clickmode="event+select", dragmode=False,
    )
    return figure


def probability_bars(values: np.ndarray) -> go.Figure:
    """The probability of each digit as bars, the most likely one highlighted."""
    best = int(np.argmax(values))
    figure = go.Figure(go.Bar(
        x=list(range(10)), y=[float(v) for v in values],
        marker_color=[SPLIT_COLOURS["test"] if d == best else SPLIT_COLOURS["train"] for d in range(10)],
        text=[f"{v:.0%}" for v in values], textposition="outside",
        hovertemplate="digit %{x}: %{y:.2%}<extra></extra>",
    ))
    figure.update_layout(xaxis=dict(title="digit", dtick=1), yaxis=dict(title="probability",
                         range=[0, 1.1], tickformat=".0%"), height=320, margin=dict(t=TOP_MARGIN, b=10))
    return figure


def enlarged(image: np.ndarray, factor: int = 3) -> np.ndarray:
    """An image with each pixel repeated factor x factor times, so browsers show it crisp, not blurred."""
    return np.asarray(image).repeat(factor, axis=0).repeat(factor, axis=1)


def recall_heatmap(recall: np.ndarray) -> go.Figure:
    """Recall of each digit (rows) after each epoch (columns), in percent. The colour scale spans the
    values shown (from the lowest, rounded down to 5 points, to 100): on 0-100, a network's 93-99%
    were one colour. With few epochs each cell also says its value."""
    percent = recall * 100
    lowest = float(np.nanmin(percent)) if np.isfinite(percent).any() else 0.0
    epochs = np.arange(1, recall.shape[1] + 1)
    figure = go.Figure(go.Heatmap(
        z=percent, x=epochs, y=list(range(len(recall))), colorscale="Viridis",
        zmin=min(95.0, 5 * np.floor(lowest / 5)), zmax=100, colorbar=dict(title="recall %"),
        texttemplate="%{z:.1f}" if len(epochs) <= 12 else None, textfont=dict(size=10),
        hovertemplate="digit %{y}, epoch %{x}: %{z:.1f}%<extra></extra>",
    ))
    figure.update_layout(xaxis=dict(title="epoch", dtick=1), yaxis=dict(title="digit", dtick=1,
                         autorange="reversed"), height=380, margin=dict(t=TOP_MARGIN, b=10))
    return figure


def signed_images(images: np.ndarray, titles: list[str], columns: int, legend: str,
                  outline: np.ndarray | None = None) -> go.Figure:
    """Images of signed values (weights, attributions) on a diverging scale centred on 0: red for
    positive, blue for negative, white for zero; the colour bar's title says what that means. With
    `outline` (a 28x28 digit), the digit's outline is drawn over every image."""
    limit = float(np.abs(images).max()) or 1.0
    figure = image_grid(images, titles, columns, zmax=limit, zmin=-limit, colour_scale="RdBu_r")
    figure.update_layout(coloraxis_showscale=True, coloraxis_colorbar=dict(title=legend, len=0.9))
    if outline is not None:  # the same outline over every image of the mosaic
        outlines, _, _ = _mosaic(np.repeat(np.asarray(outline, float)[None], len(images), axis=0), columns,
                                 _title_lines(titles))
        figure.add_trace(go.Contour(
            z=outlines, showscale=False, hoverinfo="skip", name="the digit",
            colorscale=[[0, "#444"], [1, "#444"]],  # its lines take their colour from the scale
            contours=dict(start=INK_LEVEL, end=INK_LEVEL, coloring="lines"), line=dict(width=1)))
    return figure


def weight_histogram(name: str, counts: np.ndarray, edges: np.ndarray) -> go.Figure:
    figure = go.Figure(go.Bar(x=(edges[:-1] + edges[1:]) / 2, y=counts, width=np.diff(edges),
                              hovertemplate="weight %{x:.3f}: %{y:,}<extra></extra>"))
    figure.update_layout(title=for_plotly(name), xaxis_title="weight", yaxis_title="count",
                         height=250, margin=dict(t=TOP_MARGIN, b=10), bargap=0)
    return figure


def activation_strip(values: np.ndarray, name: str) -> go.Figure:
    """A dense layer's unit values as one strip of cells."""
    figure = go.Figure(go.Heatmap(z=values[None], colorscale="Viridis", showscale=True,
                                  colorbar=dict(title="output", thickness=14, len=1.2),
                                  hovertemplate="unit %{x}: %{z:.3f}<extra></extra>"))
    figure.update_layout(title=for_plotly(f"{name}: {len(values)} units"), height=170,
                         yaxis=dict(visible=False), margin=dict(t=TOP_MARGIN, b=10, l=10, r=10))
    return figure


DIGIT_COLOURS = px.colors.qualitative.T10


def digits_map(layout: np.ndarray, colour_by: str, values: np.ndarray, hover: list[str],
               focus: int | None = None) -> go.Figure:
    """The map: one WebGL point per image (Scattergl draws 20,000 points smoothly). `values` are
    digits (colour_by a label), booleans (right/wrong) or scores in [0, 1] (label quality). Every
    point carries its row in `layout` as customdata, whatever trace it is in."""
    rows = np.arange(len(layout))
    figure = go.Figure()
    if colour_by == "label quality":
        groups = [("quality", rows, dict(color=values, colorscale="Viridis_r", cmin=0, cmax=1,
                                         colorbar=dict(title="label<br>quality")))]
    elif colour_by == "right / wrong":
        groups = [(name, rows[values == right], dict(color=colour))
                  for name, right, colour in (("right", True, "#9ecae1"), ("wrong", False, "#d62728"))]
    else:
        groups = [(str(digit), rows[values == digit], dict(color=DIGIT_COLOURS[digit]))
                  for digit in range(10)]
    for name, members, marker in groups:
        figure.add_trace(go.Scattergl(
            x=layout[members, 0], y=layout[members, 1], mode="markers", name=name,
            marker=dict(size=4, opacity=0.75, **{k: (v[members] if k == "color" and
                                                     isinstance(v, np.ndarray) else v)
                                                  for k, v in marker.items()}),
            customdata=members, text=[hover[i] for i in members], unselected=dict(marker=dict(opacity=0.4)),
            hovertemplate="%{text}<extra></extra>"))
    if focus is not None:
        figure.add_trace(go.Scattergl(x=layout[[focus], 0], y=layout[[focus], 1], mode="markers",
                                      name="chosen", customdata=[focus], hoverinfo="skip",
                                      marker=dict(size=18, color="rgba(0,0,0,0)",
                                                  line=dict(width=3, color="#d62728"))))
    # zoom, not lasso, as the default drag: with a selection drag mode plotly turns clicks into no
    # selection at all (checked in Chromium); the box and lasso tools are in the chart's toolbar
    figure.update_layout(height=650, margin=dict(t=TOP_MARGIN, b=10, l=10, r=10), dragmode="zoom",
                         legend=dict(title=colour_by, itemsizing="constant"), clickmode="event+select",
                         xaxis=dict(visible=False), yaxis=dict(visible=False, scaleanchor="x"))
    return figure


def label_histogram(labels: np.ndarray) -> go.Figure:
    counts = np.bincount(labels, minlength=10)
    figure = go.Figure(go.Bar(x=list(range(10)), y=counts, marker_color=DIGIT_COLOURS[:10],
                              hovertemplate="digit %{x}: %{y:,} images<extra></extra>"))
    figure.update_layout(xaxis=dict(title="label", dtick=1), yaxis_title="images", height=260,
                         margin=dict(t=10, b=10))
    return figure


def accuracy_curves(curves: dict[str, list[tuple[float, float]]], x_title: str) -> go.Figure:
    """Accuracy against a strength (a distortion's, an attack's epsilon), one line per run."""
    figure = go.Figure([go.Scatter(x=[x for x, _ in points], y=[y for _, y in points], name=for_plotly(name),
                                   mode="lines+markers", hovertemplate="%{x}: %{y:.1%}<extra></extra>")
                        for name, points in curves.items()])
    figure.update_layout(xaxis_title=x_title, yaxis=dict(title="accuracy", tickformat=".0%", range=[0, 1.02]),
                         height=380, margin=dict(t=TOP_MARGIN, b=10), legend=dict(orientation="h", y=-0.25))
    return figure


def corruption_bars(accuracies: dict[str, dict[str, float]]) -> go.Figure:
    """Accuracy under each corruption, "clean" first, one bar per run (its customdata: the run's
    position and the corruption's, for a click)."""
    figure = go.Figure([go.Bar(
        x=list(scores), y=list(scores.values()), name=for_plotly(name),
        customdata=[[position, column] for column in range(len(scores))],
        hovertemplate="%{x}: %{y:.1%}<extra>" + for_plotly(name) + "</extra>")
        for position, (name, scores) in enumerate(accuracies.items())])
    figure.update_layout(barmode="group", yaxis=dict(title="accuracy", tickformat=".0%", range=[0, 1.02]),
                         height=400, margin=dict(t=TOP_MARGIN, b=10), clickmode="event+select",
                         legend=dict(orientation="h", y=-0.45), xaxis=dict(tickangle=-35))
    return figure
