# The C extension is declared here; everything else is in pyproject.toml.
from setuptools import Extension, setup

setup(ext_modules=[Extension("wordstats._speedups", ["src/wordstats/_speedups.c"])])
