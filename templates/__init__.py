"""specc's Jinja templates, shipped as the package data of ``specc.templates``.

Layout by concern: ``script.py.jinja`` (the skeleton, in CleanRL reading order),
``runtime/`` (header, config and CLI, environment, buffer, logging, checkpoints, dry run,
training loop pieces), ``networks/`` (one template per architecture), ``algorithms/``
(one skeleton per algorithm: its networks' heads, update functions and loop body).
"""
