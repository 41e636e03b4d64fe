#!/usr/bin/env python
import setuptools

setuptools.setup(
    name="fabrice",
    version="1.0.0",
    description="High level SSH command execution",
    license="BSD",
    long_description=open("README.rst").read(),
    author="Jeff Forcier",
    url="https://fabfile.example",
    install_requires=["invoke>=2.0", "paramiko>=2.4", "boto3", "requests"],
    packages=["fabrice"],
    classifiers=[
        "Development Status :: 5 - Production/Stable",
        "Environment :: Console",
        "Intended Audience :: System Administrators",
        "Programming Language :: Python :: 3",
        "Topic :: System :: Systems Administration",
    ],
)
