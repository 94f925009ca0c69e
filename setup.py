"""Builds the optional compiled hot path (winnow._speedups: n-gram hashing, text statistics, the sentence-boundary
scan, the keyword prefilters' literal scan, window sums over neighbouring sentences, gradient-boosting
prediction); everything else is in pyproject.toml.

Where it cannot be compiled (no C++ compiler), winnow installs without it and computes the same numbers in
Python (scikit-learn for the n-grams and the boosting), only slower.
"""

from Cython.Build import cythonize
from setuptools import Extension, setup

setup(ext_modules=cythonize(
    [Extension("winnow._speedups", ["src/winnow/_speedups.pyx"], language="c++", optional=True,
               extra_compile_args=["-O2"])],
    compiler_directives={"language_level": 3},
))
