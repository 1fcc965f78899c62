{#- DHCP for the phones on exactly one machine: the Kea configuration is rendered on sipxha:dhcp:server,
    whose DHCP service is enabled; every other sipX server has it stopped and disabled.
    Services are only touched with sipxha:service:manage. #}
{%- set sipxha = salt['pillar.get']('sipxha', {}) or {} %}
{%- set dhcp = sipxha.get('dhcp', {}) or {} %}
{%- set service = sipxha.get('service', {}) or {} %}
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
