from setuptools import setup

setup(
    name="pygrata-utils",
    version="0.0.4",
    description="Utilities for pygrata log formatting",
    author="pygrata",
    license="MIT",
    packages=["pygrata_utils"],
    install_requires=["requests"],
    classifiers=["Programming Language :: Python :: 3"],
)
