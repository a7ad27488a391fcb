"""Writing a drawn sheet: the PDF through matplotlib, the PNG from the figure's Agg canvas.

Sheets that share all but a few layers (a community's pipe works, one sheet per
network) render the shared part once: :class:`Backdrop` keeps the Agg pixels of the
figure without the sheet's own artists and those drawn over them, and each sheet's
PNG restores those pixels and draws only what lies on top, in the order a full draw
would (tests compare the two). The PDF is always drawn whole.

Examples
--------
>>> from matplotlib.figure import Figure
>>> fig = new_canvas(Figure(figsize=(2, 1)), dpi=72)
>>> fig.canvas.get_width_height()
(144, 72)
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from gisplan import __version__

#: zlib level of the PNGs: level 1 on unfiltered RGB rows is about 4x faster than PIL's
#: default encoder on RGBA (adaptive filters), for a file about as large (white paper
#: compresses well either way).
PNG_LEVEL = 1


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def png_bytes(rgba: np.ndarray, *, dpi: float) -> bytes:
    """An (h, w, 4) uint8 image as an 8-bit RGB PNG (alpha dropped: the paper is opaque),
    with its resolution (``pHYs``) and the software that made it (``tEXt``)."""
    h, w = rgba.shape[:2]
    raw = np.empty((h, w * 3 + 1), dtype=np.uint8)
    raw[:, 0] = 0  # filter type None on every row
    raw[:, 1:].reshape(h, w, 3)[...] = rgba[..., :3]
    per_metre = round(dpi / 0.0254)
    return (b"\x89PNG\r\n\x1a\n"
            + _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + _chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1))
            + _chunk(b"tEXt", b"Software\0" + f"gisplan {__version__}".encode())
            + _chunk(b"IDAT", zlib.compress(raw.tobytes(), PNG_LEVEL))
            + _chunk(b"IEND", b""))


def new_canvas(fig: Figure, *, dpi: float) -> Figure:
    """``fig`` on an Agg canvas at ``dpi`` (the PNG's resolution); returns ``fig``."""
    FigureCanvasAgg(fig)
    fig.set_dpi(dpi)
    return fig


def write_pdf(fig: Figure, path: Path, *, title: str) -> Path:
    """The whole figure as a PDF (fonts embedded as TrueType subsets)."""
    fig.savefig(path, format="pdf", dpi=fig.dpi,
                metadata={"Title": title, "Creator": f"gisplan {__version__}"})
    return path


def write_png(fig: Figure, path: Path) -> Path:
    """What the figure's Agg canvas holds now, as a PNG at the figure's dpi."""
    path.write_bytes(png_bytes(np.asarray(fig.canvas.buffer_rgba()), dpi=fig.dpi))
    return path


def draw_png(fig: Figure, path: Path) -> Path:
    """Draw the whole figure on its canvas and write it as a PNG."""
    fig.canvas.draw()
    return write_png(fig, path)


class Backdrop:
    """The Agg pixels of a figure without ``over``, the artists that lie above the
    sheets' own (hidden for the render, then shown again).

    Parameters
    ----------
    fig : Figure
        On an Agg canvas (:func:`new_canvas`).
    over : iterable of Artist
        Everything a full draw would draw after (over) a sheet's own artists, in the
        order it would: its map's labels, scale bar, north arrow, the frame.
    """

    def __init__(self, fig: Figure, over: Iterable[Artist]) -> None:
        self.fig = fig
        self.over = list(over)
        shown = [a.get_visible() for a in self.over]
        for a in self.over:
            a.set_visible(False)
        fig.canvas.draw()
        self.pixels = fig.canvas.copy_from_bbox(fig.bbox)
        for a, v in zip(self.over, shown, strict=True):
            a.set_visible(v)

    def write_png(self, path: Path, *, mine: Iterable[Artist],
                  panel: Iterable[Artist] = ()) -> Path:
        """The backdrop, then ``mine`` (a sheet's map artists) and the ``over`` artists
        in drawing order (z-order; ``over`` first where equal, as added before), then
        ``panel`` (legend, title values: beside the map, over nothing), as a PNG."""
        canvas = self.fig.canvas
        canvas.restore_region(self.pixels)
        renderer = canvas.get_renderer()
        ordered = sorted(self.over + list(mine), key=lambda a: a.get_zorder())
        for artist in [*ordered, *panel]:
            artist.draw(renderer)
        return write_png(self.fig, path)
