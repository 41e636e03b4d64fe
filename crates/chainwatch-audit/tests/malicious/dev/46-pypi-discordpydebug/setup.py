from setuptools import setup

setup(
    name="discordpydebug",
    version="0.0.4",
    description="Discord py error logger",
    packages=["discordpydebug"],
    install_requires=["requests"],
    classifiers=["Programming Language :: Python :: 3"],
)
