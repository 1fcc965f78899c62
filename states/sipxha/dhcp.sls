{#- DHCP for the phones on exactly one machine, sipxha:dhcp:server (a sipX server or any other minion with
    the sipxha pillar): its Kea or ISC dhcpd configuration (dhcp:software) is rendered, checked with the
    daemon's own -t, and its service enabled; every other sipX server has kea-dhcp4-server and
    isc-dhcp-server (and a custom dhcp:service) stopped and disabled.
    Services are only touched with sipxha:service:manage. Values come from sipxha.sls_context. #}
{%- set ctx = salt['sipxha.sls_context']() %}
{%- if ctx.error %}

sipxha-dhcp-plan:
  sipxha.plan_valid: []
{%- else %}

sipxha-dhcp:
  sipxha.dhcp: []

{%- if ctx.service.manage %}
{%- if ctx.dhcp.here %}

sipxha-dhcp-service:
  service.running:
    - name: {{ ctx.dhcp.service | yaml_dquote }}
    - enable: True
    - watch:
      - sipxha: sipxha-dhcp
{%- elif ctx.server %}

sipxha-dhcp-service:
  service.dead:
    - name: {{ ctx.dhcp.service | yaml_dquote }}
    - enable: False
    - require:
      - sipxha: sipxha-dhcp
{%- for other in ctx.dhcp.others %}

sipxha-dhcp-service-{{ other }}:
  service.dead:
    - name: {{ other | yaml_dquote }}
    - enable: False
    - require:
      - sipxha: sipxha-dhcp
{%- endfor %}
{%- endif %}
{%- endif %}
{%- endif %}
