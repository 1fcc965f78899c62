{#- DHCP for the phones on exactly one machine: the Kea configuration is rendered on sipxha:dhcp:server,
    whose DHCP service is enabled; every other sipX server has it stopped and disabled.
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
{%- else %}

sipxha-dhcp-service:
  service.dead:
    - name: {{ ctx.dhcp.service | yaml_dquote }}
    - enable: False
    - require:
      - sipxha: sipxha-dhcp
{%- endif %}
{%- endif %}
{%- endif %}
