"""Changes without downtime: restart markers, the fleet-wide lock and the rolling restart itself."""
