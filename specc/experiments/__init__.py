"""Running experiments, beside the compiler: a sweep file's variants compiled and run on a
backend (sweep.py, launch.py), and the runs read back as tables and learning curves
(report.py, plot.py); cli.py is their commands. They read run directories and sweep files,
not the compiler's stages: a generated script runs without specc, and so do its runs.
"""


class MissingDependency(Exception):
    """An optional package a command needs is not installed (matplotlib for plot, numpy for
    report, ray or submitit for a backend): a one-line message with its pip command."""
