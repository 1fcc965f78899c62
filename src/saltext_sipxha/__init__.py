"""saltext-sipxha: sipX PBX High Availability, converged by Salt.

The package is the ``salt.loader`` entry point: Salt loads ``modules/``, ``states/``, ``pillar/``,
``runners/`` and ``beacons/`` from here.
"""

__version__ = "0.1.0"
