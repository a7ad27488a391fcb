"""The sheets' CJK font: where it comes from, what it is, what it covers, how it is embedded."""

from __future__ import annotations

import hashlib
import io

import matplotlib
import pypdf
from fontTools.ttLib import TTFont
from matplotlib.figure import Figure

from gisplan.outputs.sheets import font


def test_the_font_is_the_one_chosen():
    """Byte for byte Debian's fonts-wqy-microhei 0.2.0-beta; TrueType outlines; Apache-2.0."""
    path = font.font_path()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == font.FONT_SHA256
    with TTFont(str(path), fontNumber=0, lazy=True) as f:
        assert "glyf" in f and "CFF " not in f  # TrueType outlines: embeddable as Type 42
        assert f["name"].getDebugName(1) == font.FAMILY
        assert "Apache License" in f["name"].getDebugName(13)
        assert f["OS/2"].fsType & 0x0002 == 0  # not restricted-licence embedding


def test_missing_glyphs_finds_what_the_font_lacks():
    assert font.missing_glyphs("珲春市 靖和街道 永新社区 DN100 ㎡ 1:2,000") == ""
    # CJK Extension A/B characters outside the font: reported once each, in order
    assert font.missing_glyphs("甲𠀀乙㐀𠀀") == "𠀀㐀"


def pdf_fonts(path) -> list[dict]:
    """Every font resource of every page: subtype, base font, descendant and its file keys."""
    found = []
    for page in pypdf.PdfReader(path).pages:
        for res in page["/Resources"]["/Font"].values():
            res = res.get_object()
            entry = {"subtype": res["/Subtype"], "base": str(res["/BaseFont"])}
            for d in res.get("/DescendantFonts", []):
                d = d.get_object()
                desc = d["/FontDescriptor"].get_object()
                entry.update(cid=d["/Subtype"], files=[k for k in desc if
                                                       k.startswith("/FontFile")],
                             data=desc.get("/FontFile2"))
            found.append(entry)
    return found


def test_a_pdf_embeds_the_font_as_a_truetype_subset(tmp_path):
    fig = Figure(figsize=(4, 3))
    with matplotlib.rc_context(font.rc_params()):
        fig.text(0.1, 0.5, "永新社区 靖和街道 DN300")
        fig.savefig(tmp_path / "t.pdf")
    fonts = pdf_fonts(tmp_path / "t.pdf")
    assert len(fonts) == 1  # one embedded copy, not one per 256 characters
    f = fonts[0]
    assert f["subtype"] == "/Type0" and f["cid"] == "/CIDFontType2"
    assert f["files"] == ["/FontFile2"]
    tag, name = f["base"].lstrip("/").split("+")
    assert name == "WenQuanYiMicroHei" and len(tag) == 6 and tag.isupper()  # subset tag
    sub = TTFont(io.BytesIO(f["data"].get_object().get_data()))
    assert "glyf" in sub and sub["maxp"].numGlyphs < 50  # a subset, not the 30,000 glyphs
    text = pypdf.PdfReader(tmp_path / "t.pdf").pages[0].extract_text()
    assert "永新社区" in text and "靖和街道" in text
