{#- sipxha: this minion converges to its role in the sipxha pillar (master or distributed): its sipX files,
    its certificate (sipxha.pki) and DHCP (sipxha.dhcp, on exactly one server).
    The sipX service restarts only when one of its files or its certificate changed, and only with
    sipxha:service:manage. Every value comes from the validated plan (sipxha.sls_context); a bad pillar
    renders only sipxha.plan_valid, which fails naming the key, so nothing is written.
    A minion that is only sipxha:dhcp:server (a router or infrastructure host, not listed under
    sipxha:servers) gets sipxha.dhcp and nothing else of sipX. #}
{%- set ctx = salt['sipxha.sls_context']() %}
{%- if ctx.error %}

sipxha-plan:
  sipxha.plan_valid: []
{%- else %}

include:
  - sipxha.dhcp
{%- if ctx.server or not ctx.dhcp.here %}
  - sipxha.pki

sipxha-role:
  sipxha.role: []

{%- if ctx.service.manage %}

sipxha-service:
  service.running:
    - name: {{ ctx.service.name | yaml_dquote }}
    - enable: True
    - watch:
      - sipxha: sipxha-role
      - sipxha_pki: sipxha-pki-certificate
{%- endif %}
{%- endif %}
{%- endif %}
