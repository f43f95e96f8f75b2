"""authgate's benchmark suite: authgate and streamlit-authenticator 0.4.2 side by side.

Run it with ``python bench/run.py [--quick]`` (see ``bench/README.md``).
"""
