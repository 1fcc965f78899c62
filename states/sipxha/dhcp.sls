{#- DHCP for the phones on exactly one machine: the Kea configuration is rendered on sipxha:dhcp:server,
    whose DHCP service is enabled; every other sipX server has it stopped and disabled.
    Services are only touched with sipxha:service:manage. #}
{%- set sipxha = salt['pillar.get']('sipxha', {}) or {} %}
{%- set sipxha = sipxha if sipxha is mapping else {} %}{#- the sipxha states name a bad key #}
{%- set dhcp = sipxha.get('dhcp', {}) or {} %}
{%- set dhcp = dhcp if dhcp is mapping else {} %}
{%- set service = sipxha.get('service', {}) or {} %}
{%- set service = service if service is mapping else {'manage': False} %}
{%- set dhcp_service = dhcp.get('service', 'kea-dhcp4-server') %}

sipxha-dhcp:
  sipxha.dhcp: []

{%- if service.get('manage', True) %}
{%- if dhcp.get('server', 'external') == grains['id'] %}

sipxha-dhcp-service:
  service.running:
    - name: {{ dhcp_service }}
    - enable: True
    - watch:
      - sipxha: sipxha-dhcp
{%- else %}

sipxha-dhcp-service:
  service.dead:
    - name: {{ dhcp_service }}
    - enable: False
    - require:
      - sipxha: sipxha-dhcp
{%- endif %}
{%- endif %}
