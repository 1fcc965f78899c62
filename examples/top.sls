# Example top.sls for a sipX HA fleet managed by saltext-sipxha.
base:
  'sipxpbx*':            # every sipX server: role files, certificate, DHCP on the one DHCP server
    - sipxha
  'ns1':                 # the zone-file DNS minion (dns:zonefile:minion); or one sipX server in nsupdate mode
    - sipxha.dns
  'router1':             # a dhcp:server that is no sipX server (it has the sipxha pillar): DHCP only
    - sipxha.dhcp
