"""Build step: vendor the web map's pinned JavaScript libraries into the package.

Everything else about the package is in pyproject.toml. Before ``build_py`` (wheels,
``pip install .``, ``pip install -e .``) and ``sdist``, this runs
:func:`gisplan.outputs.webmap.libraries.vendor`: it copies the files the pages use from
``gisplan/webassets/node_modules`` (running ``npm ci`` there first when they are missing)
into ``gisplan/outputs/webmap/vendor/``, which the wheel and sdist then carry. In an sdist
that folder is already complete, so building a wheel from the sdist needs no npm.
"""

import importlib.util
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

HERE = Path(__file__).resolve().parent


def _vendor() -> None:
    path = HERE / "gisplan" / "outputs" / "webmap" / "libraries.py"
    spec = importlib.util.spec_from_file_location("_gisplan_libraries", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    module.vendor(HERE / "gisplan")


class BuildPy(build_py):
    """``build_py`` that vendors the web libraries first."""

    def run(self) -> None:
        _vendor()
        super().run()


class Sdist(sdist):
    """``sdist`` that vendors the web libraries first, so the sdist carries them."""

    def run(self) -> None:
        _vendor()
        super().run()


setup(cmdclass={"build_py": BuildPy, "sdist": Sdist})
