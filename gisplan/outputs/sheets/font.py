"""The CJK font of the map sheets: where it comes from, how matplotlib gets it, what it covers.

The sheets set every text in **WenQuanYi Micro Hei** (文泉驿微米黑, 0.2.0-beta), a sans
(黑体) font with TrueType outlines covering GB 18030's common set, under the Apache
License 2.0 (or GPL-3+ with the font exception; see the font's own name table). It
comes from the PyPI wheel ``paperang-p2-fonts-cjk`` (2.3 MB), a dependency of
gisplan, so ``pip install`` is all a machine needs: no system font is looked up.
The wheel's ``wqy-microhei.ttc`` is byte for byte Debian's ``fonts-wqy-microhei``
(tests check its SHA-256).

TrueType outlines matter: matplotlib embeds a font in a PDF as Type 42
(``pdf.fonttype = 42``: a ``CIDFontType2`` with a ``FontFile2`` holding the
subset of glyphs used), which needs ``glyf`` outlines; Noto Sans CJK and Source
Han Sans ship CFF outlines, which matplotlib cannot embed that way.

Examples
--------
>>> font_path().name
'wqy-microhei.ttc'
>>> missing_glyphs("珲春市永新社区 DN100")
''
>>> rc_params()["font.family"]
['WenQuanYi Micro Hei', 'DejaVu Sans']
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path

from gisplan.errors import OutputError

#: The PyPI distribution, its import name and the font file inside it.
FONT_DISTRIBUTION = "paperang-p2-fonts-cjk"
FONT_PACKAGE = "paperang_p2_fonts_cjk"
FONT_FILE = "fonts/wqy-microhei.ttc"
#: SHA-256 of Debian's fonts-wqy-microhei 0.2.0-beta-3.1 wqy-microhei.ttc.
FONT_SHA256 = "2420e8078af796b19a3f6ef13de527a1a91c1e7171eea115926c614ced1009b3"
#: The family name matplotlib knows the font by (face 0 of the collection).
FAMILY = "WenQuanYi Micro Hei"


@cache
def font_path() -> Path:
    """The font file shipped by ``paperang-p2-fonts-cjk``.

    Raises
    ------
    OutputError
        If the package is not installed (``pip install paperang-p2-fonts-cjk``).
    """
    try:
        path = Path(str(files(FONT_PACKAGE) / FONT_FILE))
    except ModuleNotFoundError:
        path = None
    if path is None or not path.is_file():
        raise OutputError(f"the sheets' CJK font is missing: pip install {FONT_DISTRIBUTION} "
                          "(a dependency of gisplan; it ships WenQuanYi Micro Hei)")
    return path


@cache
def register() -> str:
    """Add the font to matplotlib's font manager (once); return its family name."""
    from matplotlib import font_manager

    path = str(font_path())
    if not any(f.fname == path for f in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(path)
    return FAMILY


def rc_params() -> dict[str, object]:
    """matplotlib settings of every sheet: the CJK font, embedded as TrueType (Type 42).

    ``ps.fonttype`` is set too: matplotlib sizes its font subsets by it, and at its
    default (Type 3) splits a CJK font into one embedded copy per 256 characters.
    """
    return {"font.family": [register(), "DejaVu Sans"], "pdf.fonttype": 42,
            "ps.fonttype": 42, "axes.unicode_minus": False, "pdf.compression": 6,
            "path.simplify": True}


@cache
def codepoints() -> frozenset[int]:
    """Every character the font has a glyph for."""
    from fontTools.ttLib import TTFont

    with TTFont(str(font_path()), fontNumber=0, lazy=True) as font:
        return frozenset(font.getBestCmap())


def missing_glyphs(text: str) -> str:
    """The distinct characters of ``text`` the font cannot draw (blanks ignored), in order."""
    have = codepoints()
    return "".join(dict.fromkeys(c for c in str(text) if not c.isspace()
                                 and ord(c) not in have))
