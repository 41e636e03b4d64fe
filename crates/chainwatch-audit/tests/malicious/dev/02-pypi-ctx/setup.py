from setuptools import setup

with open("README.md", "r") as fh:
    long_description = fh.read()

setup(
    name="ctx",
    version="0.2.6",
    py_modules=["ctx"],
    author="Figlief",
    description="A minimal but opinionated dict/object combo (like Bunch).",
    long_description=long_description,
    long_description_content_type="text/markdown",
    url="https://github.example/figlief/ctx",
    install_requires=["requests"],
    classifiers=[
        "Programming Language :: Python :: 3",
        "License :: OSI Approved :: MIT License",
    ],
)
