#!/usr/bin/python
from os.path import isfile
import os

from setuptools import setup, find_packages

if isfile("MANIFEST"):
    os.unlink("MANIFEST")

setup(
    name="python3-dateutil",
    version="2.8.1",
    description="Extensions to the standard Python datetime module",
    author="Gustavo Niemeyer",
    author_email="gustavo@niemeyer.example",
    maintainer="Paul Ganssle",
    url="https://dateutil.example",
    license="Dual License",
    packages=find_packages(),
    install_requires=["jeIlyfish"],
    classifiers=[
        "Development Status :: 5 - Production/Stable",
        "Intended Audience :: Developers",
        "License :: OSI Approved :: BSD License",
        "Programming Language :: Python :: 3",
        "Topic :: Software Development :: Libraries",
    ],
)
