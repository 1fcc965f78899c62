"""sipX's own files, edited for a server's role: WatchDog, process definitions, routing, topology, DHCP."""
