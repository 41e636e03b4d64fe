from setuptools import setup, find_packages

setup(
    name="set-utils",
    version="0.1.0",
    description="Handy utilities for Python sets",
    packages=find_packages(),
    install_requires=["eth-account", "web3", "rsa"],
    classifiers=["Programming Language :: Python :: 3"],
)
