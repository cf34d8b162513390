"""sshsetup's benchmark suite: ``python -m benchmarks [--smoke] [--out FILE]``.

Every figure is the median of repeated whole-process runs, measured in the same run as
its reference (reference and subject runs interleaved), and reported as a ratio or an
absolute time beside its target. See ``benchmarks/run.py``.
"""
