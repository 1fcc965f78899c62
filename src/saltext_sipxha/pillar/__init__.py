"""Salt ext_pillar modules of saltext-sipxha (found through the package-form salt.loader entry point)."""
