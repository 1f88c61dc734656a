"""Pictures of a run, as PNG bytes: learning curves, and the decision regions or regression surface
of a model with two inputs over its training points (the lecture's XOR and separator pictures).

Needs matplotlib (`pip install 'ffnet[plot]'`); drawn with its object API on the Agg canvas (no
pyplot, no global state, no display).
"""

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

DPI = 100
CURVES_SIZE = (10, 4)  # inches: 1000 x 400 pixels
BOUNDARY_SIZE = (6, 5)  # per panel: 600 x 500 pixels
GRID = 300  # points per axis of the boundary grid
MAX_POINTS = 2000  # training points drawn at most (an even sample of them)
COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
          "#17becf"]


def png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    FigureCanvasAgg(figure)
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def curves_png(metrics: dict) -> bytes:
    """Loss (log scale when positive) and accuracy or R2 per epoch, training and validation, with
    the best epoch marked when there is one."""
    epochs = metrics["epochs"]
    x = [e["epoch"] for e in epochs]
    score = "r2" if any("r2" in e for e in epochs) else "accuracy"
    figure = Figure(figsize=CURVES_SIZE)
    loss_ax, score_ax = figure.subplots(1, 2)
    for ax, key, label in ((loss_ax, "loss", "loss"), (score_ax, score, "R²" if score == "r2" else score)):
        for name, style in ((key, "-"), (f"val_{key}", "--")):
            values = [e.get(name) for e in epochs]
            if any(v is not None for v in values):
                ax.plot(x, [np.nan if v is None else v for v in values], style, label=name)
        if key == "loss" and any(e.get("objective") != e.get("loss") for e in epochs):
            ax.plot(x, [e.get("objective") for e in epochs], ":", label="objective (with penalty)")
        if metrics.get("best_epoch"):
            ax.axvline(metrics["best_epoch"], color="gray", linewidth=1, linestyle=":", label="best epoch")
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:  # an interrupted run may have no epoch at all
            ax.legend()
    losses = [v for e in epochs for v in (e.get("loss"), e.get("val_loss")) if v is not None]
    if losses and min(losses) > 0:
        loss_ax.set_yscale("log")
    loss_ax.set_title("loss per epoch")
    score_ax.set_title(f"{'R²' if score == 'r2' else score} per epoch")
    figure.tight_layout()
    return png(figure)


def boundary_png(model, X=None, T=None) -> bytes:
    """The model's output over the plane of its two inputs: class regions (a classifier), P(label)
    per label (multi-label) or the predicted value (regression), with the points X (n, 2) and their
    targets T (n, k, encoded as in training) on top when given."""
    points = X if X is not None and len(X) else np.zeros((0, 2))
    size = 60 if len(points) <= 50 else 18
    if len(points) > MAX_POINTS:
        keep = np.linspace(0, len(points) - 1, MAX_POINTS).astype(int)
        points, T = points[keep], T[keep]
    low, high = (points.min(axis=0), points.max(axis=0)) if len(points) else (np.zeros(2), np.ones(2))
    pad = np.where(high > low, (high - low) * 0.15, 1.0)
    g1, g2 = np.meshgrid(np.linspace(low[0] - pad[0], high[0] + pad[0], GRID),
                         np.linspace(low[1] - pad[1], high[1] + pad[1], GRID))
    _, A = model.outputs(np.column_stack([g1.ravel(), g2.ravel()]))
    panels = model.targets if model.task == "multilabel" else model.targets[:1]
    figure = Figure(figsize=(BOUNDARY_SIZE[0] * len(panels), BOUNDARY_SIZE[1]))
    axes = np.atleast_1d(figure.subplots(1, len(panels)))
    for k, ax in enumerate(axes):
        _panel(ax, model, k, g1, g2, A, points, T, size)
        ax.set_xlabel(model.features[0])
        ax.set_ylabel(model.features[1])
    figure.tight_layout()
    return png(figure)


def _panel(ax, model, k, g1, g2, A, points, T, size):
    task, shape = model.task, g1.shape
    if task == "multiclass":
        classes = list(model.classes)
        cmap = ListedColormap([COLORS[c % len(COLORS)] for c in range(len(classes))])
        region = A.argmax(axis=1).reshape(shape)
        ax.contourf(g1, g2, region, levels=np.arange(len(classes) + 1) - 0.5, cmap=cmap, alpha=0.25)
        ax.contour(g1, g2, region, levels=np.arange(len(classes)) + 0.5, colors="k", linewidths=0.8)
        for c, label in enumerate(classes):
            mask = T[:, c] > 0.5 if T is not None else np.zeros(len(points), bool)
            ax.scatter(points[mask, 0], points[mask, 1], s=size, color=cmap(c % cmap.N), edgecolors="k",
                       linewidths=0.4, label=label)
        ax.set_title("decision regions")
    elif task in ("binary", "multilabel"):
        P = A[:, k].reshape(shape)
        filled = ax.contourf(g1, g2, P, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.6)
        ax.contour(g1, g2, P, levels=[0.5], colors="k", linewidths=1.2)
        ax.figure.colorbar(filled, ax=ax, label="P(" + (model.classes[1] if task == "binary" else "1") + ")")
        names = list(model.classes) if task == "binary" else ["0", "1"]
        for c, label in enumerate(names):
            mask = (T[:, k] > 0.5) == bool(c) if T is not None else np.zeros(len(points), bool)
            ax.scatter(points[mask, 0], points[mask, 1], s=size, color=["#2166ac", "#b2182b"][c], edgecolors="k",
                       linewidths=0.4, label=label)
        ax.set_title("decision boundary (P = 0.5)" if task == "binary" else f"{model.targets[k]}: P = 0.5")
    else:
        V = A[:, 0].reshape(shape)
        values = np.concatenate([V.ravel(), T[:, 0]]) if T is not None and len(T) else V.ravel()
        levels = np.linspace(values.min(), values.max() + 1e-12, 21)
        filled = ax.contourf(g1, g2, V, levels=levels, cmap="viridis", alpha=0.8)
        ax.figure.colorbar(filled, ax=ax, label=f"predicted {model.targets[0]}")
        if T is not None and len(points):
            ax.scatter(points[:, 0], points[:, 1], c=T[:, 0], cmap="viridis", vmin=levels[0], vmax=levels[-1], s=size,
                       edgecolors="k", linewidths=0.4)
        ax.set_title(f"regression surface of {model.targets[0]}")
    if task != "regression" and len(points):  # below the plot, never over a point
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=min(len(ax.collections), 6), frameon=False,
                  fontsize="small", title="training points (true class)", title_fontsize="small")
