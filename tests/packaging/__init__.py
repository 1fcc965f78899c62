"""Packaging tests: the built sdist and wheel, and the wheel installed alone."""
