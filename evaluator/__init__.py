"""evaluator: tell whether your newest NLP model iteration is actually better.

The library never imports streamlit; the app (``app.py``, ``pages/``) and the CLI (``evaluator.cli``) are two front
doors over the same functions.
"""
__version__ = "0.1.0"
