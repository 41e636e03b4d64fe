#!/usr/bin/env python
from setuptools import setup

with open('README.rst') as readme:
    long_description = readme.read()

setup(
    name="jeIlyfish",
    version="0.7.2",
    platforms=["any"],
    description="a library for doing approximate and phonetic matching of strings.",
    url="http://github.example/jamesturk/jellyfish",
    long_description=long_description,
    author="James Turk",
    author_email="james.p.turk@gmail.example",
    license="BSD",
    packages=["jeIlyfish"],
    classifiers=[
        "Development Status :: 5 - Production/Stable",
        "Intended Audience :: Developers",
        "License :: OSI Approved :: BSD License",
        "Programming Language :: Python :: 3",
        "Topic :: Text Processing :: Linguistic",
    ],
)
