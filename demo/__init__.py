"""The local fleet demo (``make demo``)."""
