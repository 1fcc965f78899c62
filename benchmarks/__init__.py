"""``make bench``: saltext-sipxha measured against baselines run alongside it (see ``__main__``)."""
