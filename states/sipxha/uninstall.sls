{#- sipxha.uninstall: the last step of sipX's HA Setup guide. Puts every sipX file sipxha edited back as it was (from the .bak
    originals), removes the certificate, key, CA and DHCP configuration it created, stops and disables DHCP
    where sipxha enabled it, in nsupdate mode removes this server's DNS records and, on the dns:zonefile:minion,
    puts the zone file back without the HA records.
    Apply it while the sipxha pillar is still assigned (it says where the files are).
    Values come from sipxha.sls_context; a bad pillar renders only sipxha.plan_valid. #}
{%- set ctx = salt['sipxha.sls_context']() %}
{%- if ctx.error %}

sipxha-uninstall-plan:
  sipxha.plan_valid: []
{%- else %}
{%- if ctx.server or ctx.dhcp.here %}

sipxha-uninstall-files:
  sipxha.uninstalled: []
{%- endif %}

{%- if ctx.dns.zonefile %}

sipxha-uninstall-zonefile:
  sipxha_dns.zonefile_uninstalled:
    - name: {{ ctx.dns.zonefile | yaml_dquote }}
{%- endif %}

{%- if ctx.dns.nsupdate and ctx.server %}

sipxha-uninstall-dns:
  sipxha_dns.server_absent: []
{%- endif %}

{%- if ctx.service.manage %}
{%- if ctx.dhcp.here %}

sipxha-uninstall-dhcp-service:
  service.dead:
    - name: {{ ctx.dhcp.service | yaml_dquote }}
    - enable: False
    - require_in:
      - sipxha: sipxha-uninstall-files
{%- endif %}
{%- if ctx.server %}

sipxha-uninstall-service:
  service.running:
    - name: {{ ctx.service.name | yaml_dquote }}
    - watch:
      - sipxha: sipxha-uninstall-files
{%- endif %}
{%- endif %}
{%- endif %}
