{#- sipxha: this minion converges to its role in the sipxha pillar (master or distributed): its sipX files,
    its certificate (sipxha.pki) and DHCP (sipxha.dhcp, on exactly one server).
    sipX restarts only when one of its files or its certificate changed, and only with sipxha:service:manage;
    sipxha_service.restart does it as sipxha:service:restart says: rolling (default: mark this server and
    fire sipxha/restart/needed, the master's sipxha.rollout restarts the fleet one server at a time),
    immediate (restart now, the old behaviour) or never (only mark it). With a service:restart_command,
    sipX is not a service Salt's service module knows: sipxha-service is left out.
    Every value comes from the validated plan (sipxha.sls_context); a bad pillar
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
{%- if not ctx.service.restart_command %}

sipxha-service:
  service.running:
    - name: {{ ctx.service.name | yaml_dquote }}
    - enable: True
    - require:
      - sipxha: sipxha-role
      - sipxha_pki: sipxha-pki-certificate
{%- endif %}

sipxha-restart:
  sipxha_service.restart:
    - name: sipx
    - watch:
      - sipxha: sipxha-role
      - sipxha_pki: sipxha-pki-certificate
{%- endif %}
{%- endif %}
{%- endif %}
