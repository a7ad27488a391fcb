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

Speed: matplotlib subsets the font for every PDF it writes, and reading the 49,531
glyphs of the collection takes about half a second each time. A plan's sheets draw a
few hundred distinct characters, so :func:`plan_family` subsets the font once per
process to the characters the plan's sheets can contain and registers that as the
first family; the full font comes second, so a character missed there is still drawn
by it (matplotlib's font fallback), only more slowly. The subset keeps the
PostScript name, so a PDF names the same ``WenQuanYiMicroHei``.

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

import atexit
import hashlib
import shutil
import tempfile
from collections.abc import Iterable
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


@cache
def _font_dir() -> Path:
    """A folder for this process's font subsets, removed when it exits."""
    folder = Path(tempfile.mkdtemp(prefix="gisplan-fonts-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


@cache
def _subset_family(chars: frozenset[str]) -> str:
    from fontTools import subset
    from matplotlib import font_manager

    have = codepoints()
    text = "".join(sorted(c for c in chars if ord(c) in have))
    family = f"{FAMILY} {hashlib.sha1(text.encode()).hexdigest()[:10]}"
    options = subset.Options(glyph_names=True, recommended_glyphs=True,
                             notdef_outline=True, name_IDs=["*"], name_languages=["*"],
                             name_legacy=True, layout_features=["*"], font_number=0)
    options.drop_tables += ["FFTM"]
    with subset.load_font(str(font_path()), options) as font:
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=text)
        subsetter.subset(font)
        for record in font["name"].names:  # its own family; PostScript name (6) kept
            if record.nameID in (1, 4, 16, 18):
                record.string = family
        path = _font_dir() / f"{family.replace(' ', '_')}.ttf"
        font.save(str(path))
    font_manager.fontManager.addfont(str(path))
    return family


#: Characters every sheet may set whatever the plan: printable ASCII.
ASCII = frozenset(chr(c) for c in range(0x20, 0x7F))


def plan_family(texts: Iterable[str]) -> str:
    """The family of a subset of the font holding the characters of ``texts`` and
    printable ASCII (made and registered once per character set in a process)."""
    chars = set(ASCII)
    for t in texts:
        chars.update(str(t))
    return _subset_family(frozenset(c for c in chars if not c.isspace() or c == " "))


def rc_params(texts: Iterable[str] | None = None) -> dict[str, object]:
    """matplotlib settings of every sheet: the CJK font, embedded as TrueType (Type 42).

    ``texts``: what the sheets may write; given, the font's subset holding those
    characters comes first (see :func:`plan_family`), the whole font after it.

    ``ps.fonttype`` is set too: matplotlib sizes its font subsets by it, and at its
    default (Type 3) splits a CJK font into one embedded copy per 256 characters.
    """
    family = [register(), "DejaVu Sans"]
    if texts is not None:
        family.insert(0, plan_family(texts))
    return {"font.family": family, "pdf.fonttype": 42,
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
