"""Unit tests of saltext_sipxha.core.sipx."""
