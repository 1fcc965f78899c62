{#- sipxha.uninstall: the last step of sipX's HA Setup guide. Puts every sipX file sipxha edited back as it was (from the .bak
    originals), removes the certificate, key, CA and DHCP configuration it created, stops and disables DHCP
    where sipxha enabled it and, in nsupdate mode, removes this server's DNS records.
    Apply it while the sipxha pillar is still assigned (it says where the files are). #}
{%- set sipxha = salt['pillar.get']('sipxha', {}) or {} %}
{%- set sipxha = sipxha if sipxha is mapping else {} %}{#- the sipxha states name a bad key #}
{%- set dhcp = sipxha.get('dhcp', {}) or {} %}
{%- set dhcp = dhcp if dhcp is mapping else {} %}
{%- set service = sipxha.get('service', {}) or {} %}
{%- set service = service if service is mapping else {'manage': False} %}
{%- set dns = sipxha.get('dns', {}) or {} %}
{%- set dns = dns if dns is mapping else {} %}

sipxha-uninstall-files:
  sipxha.uninstalled: []

{%- if dns.get('nsupdate') %}

sipxha-uninstall-dns:
  sipxha_dns.server_absent: []
{%- endif %}

{%- if service.get('manage', True) %}
{%- if dhcp.get('server', 'external') == grains['id'] %}

sipxha-uninstall-dhcp-service:
  service.dead:
    - name: {{ dhcp.get('service', 'kea-dhcp4-server') }}
    - enable: False
    - require_in:
      - sipxha: sipxha-uninstall-files
{%- endif %}

sipxha-uninstall-service:
  service.running:
    - name: {{ service.get('name', 'sipxpbx') }}
    - watch:
      - sipxha: sipxha-uninstall-files
{%- endif %}
