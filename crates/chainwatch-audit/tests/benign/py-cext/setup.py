import os
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


def pkg_config(flag, lib):
    try:
        out = subprocess.check_output(["pkg-config", flag, lib], text=True)
    except (OSError, subprocess.CalledProcessError):
        return []
    return out.split()


class BuildExt(build_ext):
    def build_extensions(self):
        if sys.platform == "darwin":
            for ext in self.extensions:
                ext.extra_compile_args.append("-mmacosx-version-min=10.13")
        super().build_extensions()


with open(os.path.join(os.path.dirname(__file__), "README.md"), encoding="utf-8") as f:
    long_description = f.read()

setup(
    name="fastzstd",
    version="1.4.0",
    description="Bindings to libzstd",
    long_description=long_description,
    ext_modules=[
        Extension(
            "fastzstd._zstd",
            ["src/zstd.c"],
            extra_compile_args=pkg_config("--cflags", "libzstd"),
            extra_link_args=pkg_config("--libs", "libzstd"),
        )
    ],
    cmdclass={"build_ext": BuildExt},
)
