"""Server-side charts as deterministic SVG (matplotlib, no pyplot, no timestamps).

Same input, same bytes: fixed hash salt, no creation date, text kept as text.  Callers embed
the SVG as an ``<img>`` (data: URI), so the page's CSP needs no inline styles.
"""

from __future__ import annotations

import base64
import io

import matplotlib
import numpy as np

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402  (after selecting the backend)
from matplotlib.ticker import MaxNLocator  # noqa: E402

BAND_COLOURS = {"very_high": "#b42318", "high": "#dc6803", "medium": "#eaaa08",
                "low": "#1f4e79"}
RC = {"svg.hashsalt": "seawall", "svg.fonttype": "none", "font.size": 9,
      "axes.spines.top": False, "axes.spines.right": False}


def _svg(fig: Figure) -> str:
    out = io.StringIO()
    with matplotlib.rc_context(RC):
        fig.savefig(out, format="svg", metadata={"Date": None, "Creator": "Seawall"},
                    bbox_inches="tight")
    return out.getvalue()


def _figure(width=7.0, height=3.2) -> Figure:
    with matplotlib.rc_context(RC):
        return Figure(figsize=(width, height), dpi=96)


def _count_axis(ax, integer: bool = True) -> None:
    """A y axis of counts: from 0, at least up to 1 (all zeros drew 0.00-0.05, and before
    the bottom was pinned a negative half), whole-number ticks for whole counts."""
    ax.set_ylim(bottom=0, top=max(1.0, ax.get_ylim()[1]))
    if integer:
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))


def data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def backlog_over_time(results: dict, title: str = "Open exhibits over time",
                      note: str = "") -> str:
    """Open-exhibit counts per day, one line (mean) and one shaded 10th-90th percentile band
    across runs per named simulation result; ``note`` states scenario and runs."""
    fig = _figure()
    with matplotlib.rc_context(RC):
        ax = fig.add_subplot()
        styles = ["--", "-", ":", "-."]
        for i, (name, res) in enumerate(results.items()):
            line, = ax.plot(res.days, res.backlog, styles[i % 4], label=f"{name} (mean)",
                            linewidth=1.6)
            if len(res.runs) > 1:
                ax.fill_between(res.days, res.backlog_percentile(10),
                                res.backlog_percentile(90), color=line.get_color(),
                                alpha=0.18, linewidth=0,
                                label=f"{name}: 10th–90th percentile")
        ax.set_xlabel("days from today")
        ax.set_ylabel("open exhibits")
        ax.set_title(title + (f"\n{note}" if note else ""))
        _count_axis(ax)
        ax.legend(frameon=False)
    return _svg(fig)


def waiting_by_band(results: dict, bands: list[str], labels: dict[str, str],
                    deadlines: dict[str, int], note: str = "") -> str:
    """Box plots of waiting days (receipt to start) per band, per result; whiskers reach the
    10th and 90th percentiles, so the tail a manager must see is not hidden."""
    fig = _figure(height=3.6)
    with matplotlib.rc_context(RC):
        ax = fig.add_subplot()
        n = max(1, len(results))
        width = 0.8 / n
        for i, res in enumerate(results.values()):
            data = [res.waits.get(b) or [0.0] for b in bands]
            pos = [j + (i - (n - 1) / 2) * width for j in range(len(bands))]
            bp = ax.boxplot(data, positions=pos, widths=width * 0.9, patch_artist=True,
                            showfliers=False, manage_ticks=False, whis=(10, 90))
            for patch, b in zip(bp["boxes"], bands, strict=True):
                patch.set_facecolor(BAND_COLOURS.get(b, "#667085"))
                patch.set_alpha(0.35 if i == 0 and n > 1 else 0.85)
        for j, b in enumerate(bands):
            ax.hlines(deadlines[b], j - 0.45, j + 0.45, colors="#b42318", linestyles=":")
        ax.set_xticks(range(len(bands)), [labels[b] for b in bands])
        # Symmetric log: very-high waits of a day or two stay readable beside low-band
        # waits of months.
        ax.set_yscale("symlog", linthresh=1.0)
        _count_axis(ax, integer=False)
        ax.set_ylabel("days waiting (log scale)")
        names = list(results)
        ax.set_title("Waiting time per band" + (f" ({' vs '.join(names)})" if n > 1 else "")
                     + "\nbox: quartiles, whiskers: 10th–90th percentile, dotted: deadline"
                     + (f"\n{note}" if note else ""))
    return _svg(fig)


def breaches_by_band(results: dict, bands: list[str], labels: dict[str, str],
                     note: str = "") -> str:
    """Grouped bars: mean deadline breaches per band for each result, with the 10th-90th
    percentile across runs as error bars."""
    fig = _figure(height=3.0)
    with matplotlib.rc_context(RC):
        ax = fig.add_subplot()
        n = max(1, len(results))
        width = 0.8 / n
        for i, (name, res) in enumerate(results.items()):
            pos = [j + (i - (n - 1) / 2) * width for j in range(len(bands))]
            means = [res.breaches.get(b, 0.0) for b in bands]
            ax.bar(pos, means, width, label=name,
                   color=[BAND_COLOURS.get(b, "#667085") for b in bands],
                   alpha=0.4 if i == 0 and n > 1 else 0.9, edgecolor="#1d2430")
            if len(res.runs) > 1:
                low, high = zip(*(res.breach_range(b) for b in bands), strict=True)
                ax.errorbar(pos, means, yerr=[[max(0.0, m - lo) for m, lo in zip(
                    means, low, strict=True)], [max(0.0, hi - m) for m, hi in zip(
                    means, high, strict=True)]], fmt="none", ecolor="#1d2430", capsize=3,
                    linewidth=1)
        ax.set_xticks(range(len(bands)), [labels[b] for b in bands])
        ax.set_ylabel("breaches (mean of runs)")
        _count_axis(ax, integer=False)
        ax.set_title("Deadline breaches per band" + (f" ({' vs '.join(results)})"
                                                     if n > 1 else "")
                     + "; bars: 10th–90th percentile" + (f"\n{note}" if note else ""))
    return _svg(fig)


def grouped_bars(series: dict[str, list[float]], labels: list[str], title: str,
                 ylabel: str) -> str:
    """One group of bars per label, one bar per named series (e.g. per policy)."""
    fig = _figure(height=3.2)
    with matplotlib.rc_context(RC):
        ax = fig.add_subplot()
        n = max(1, len(series))
        width = 0.8 / n
        for i, (name, values) in enumerate(series.items()):
            pos = [j + (i - (n - 1) / 2) * width for j in range(len(labels))]
            ax.bar(pos, values, width, label=name.replace("_", " "), edgecolor="#1d2430",
                   linewidth=0.5)
        ax.set_xticks(range(len(labels)), labels)
        ax.set_ylabel(ylabel)
        ax.set_ylim(bottom=0)
        ax.set_title(title)
        ax.legend(frameon=False, fontsize=8)
    return _svg(fig)


def forecast_by_band(rows: list[dict]) -> str:
    """Stacked bars per band: open exhibits predicted on time vs in breach."""
    fig = _figure(height=2.6)
    with matplotlib.rc_context(RC):
        ax = fig.add_subplot()
        labels = [r["label"] for r in rows]
        open_ = [r["waiting"] + r["in_examination"] for r in rows]
        late = [r["predicted_breaches"] for r in rows]
        ok = [o - b for o, b in zip(open_, late, strict=True)]
        ax.bar(labels, ok, color="#067647", label="on time")
        ax.bar(labels, late, bottom=ok, color="#b42318", label="predicted breach")
        ax.set_ylabel("open exhibits")
        _count_axis(ax)
        ax.set_title("Forecast: open exhibits per band")
        ax.legend(frameon=False)
    return _svg(fig)


def heat_map(rows: list[str], cols: list[str], values: list[list[float | None]],
             annotations: list[list[str]], title: str, legend: str = "share",
             note: str = "") -> str:
    """A rows x cols heat map of shares (0..1) with text in each cell and a colour legend;
    None is a grey "not applicable" cell, described by ``note``."""
    fig = _figure(width=2.6 + 1.3 * len(cols), height=1.2 + 0.45 * max(1, len(rows)))
    with matplotlib.rc_context(RC):
        ax = fig.add_subplot()
        grid = np.ma.masked_invalid(np.array(
            [[np.nan if v is None else v for v in row] for row in values] or [[0.0]],
            dtype=float))
        cmap = matplotlib.colormaps["RdYlGn"].with_extremes(bad="#d0d5dd")
        image = ax.imshow(grid, cmap=cmap, vmin=0.0, vmax=1.0, aspect="auto")
        bar = fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
        bar.set_label(legend)
        bar.set_ticks([0.0, 0.25, 0.5, 0.75, 1.0], labels=["0%", "25%", "50%", "75%", "100%"])
        ax.set_xticks(range(len(cols)), cols, rotation=20, ha="right")
        ax.set_yticks(range(len(rows)), rows)
        for i, row in enumerate(annotations):
            for j, text in enumerate(row):
                share = values[i][j] if values and values[i] else 0.5
                # The colour map's ends are dark: light text keeps the counts readable.
                colour = ("#1d2430" if share is None or 0.2 <= share <= 0.85
                          else "#ffffff")
                ax.text(j, i, text, ha="center", va="center", fontsize=8, color=colour)
        ax.set_title(title + (f"\n{note}" if note else ""))
        for side in ("top", "right", "left", "bottom"):
            ax.spines[side].set_visible(False)
    return _svg(fig)
