"""The category-mix chart: matplotlib, rendered to an inline SVG string, deterministically.

matplotlib stamps a date and random element ids into SVG output; a fixed ``svg.hashsalt``
and ``metadata={"Date": None}`` make the same figures give byte-identical SVG, which the
byte-identical HTML report depends on.
"""

from __future__ import annotations

import io
import re

STILL_COLOUR = "#1f3b5c"
MOVING_COLOUR = "#8aa9c8"


def category_chart(columns: list[dict], total: dict) -> str:
    """Horizontal stacked bars (still / moving) of the case totals, as an ``<svg>`` element."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib import pyplot as plt

    labels = [c["label"] for c in columns]
    still = [total.get(c["name"], {}).get("still", 0) for c in columns]
    moving = [total.get(c["name"], {}).get("moving", 0) for c in columns]
    with matplotlib.rc_context({"svg.hashsalt": "seawall-report", "svg.fonttype": "none",
                                "font.family": "DejaVu Sans", "font.size": 9}):
        fig, ax = plt.subplots(figsize=(7.0, 0.42 * len(columns) + 1.0), dpi=72)
        try:
            y = list(range(len(columns)))[::-1]
            ax.barh(y, still, color=STILL_COLOUR, label="still images")
            ax.barh(y, moving, left=still, color=MOVING_COLOUR, label="moving images")
            ax.set_yticks(y, labels)
            ax.set_xlabel("distinct files (by hash), all exhibits")
            ax.spines[["top", "right"]].set_visible(False)
            # The default AutoLocator is a MaxNLocator, which takes ``integer``.
            ax.xaxis.get_major_locator().set_params(integer=True)  # type: ignore[call-arg]
            peak = max([s + m for s, m in zip(still, moving, strict=True)] + [1])
            ax.set_xlim(0, peak * 1.15)
            for yi, s, m in zip(y, still, moving, strict=True):
                if s + m:
                    ax.text(s + m + peak * 0.01, yi, str(s + m), va="center", fontsize=8)
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.5 / fig.get_figheight()),
                      ncol=2, frameon=False, fontsize=8)
            buf = io.StringIO()
            fig.savefig(buf, format="svg", metadata={"Date": None}, bbox_inches="tight")
        finally:
            plt.close(fig)
    svg = buf.getvalue()
    # Inline in HTML: drop the XML declaration and DOCTYPE, keep the <svg> element.
    svg = svg[svg.index("<svg"):]
    return re.sub(r"<svg ", '<svg role="img" aria-label="Category mix chart" ', svg, count=1)
