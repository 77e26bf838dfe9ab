"""The demo city shipped with gridflow (the run command and the tests load it)."""
