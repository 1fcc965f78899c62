"""The plan: the ``sipxha`` pillar read, validated and turned into an immutable fleet."""
