"""DNS: the planned SRV/NAPTR records, the zone text, zone-file mode and RFC 2136 updates."""
