"""Unit tests of saltext_sipxha.core.dns."""
