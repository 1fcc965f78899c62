"""The pure core of saltext-sipxha: no Salt imports here (a unit test guards it)."""
