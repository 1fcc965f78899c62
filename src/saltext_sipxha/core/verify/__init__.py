"""Verification of a live fleet: DNS answers, SIP OPTIONS probes, failover paths, the fleet table."""
