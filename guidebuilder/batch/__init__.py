"""Batch builds: the plan, the worker processes, the manifest and the progress report."""
