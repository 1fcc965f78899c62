{#- sipxha.uninstall: the last step of sipX's HA Setup guide. Puts every sipX file sipxha edited back as it was (from the .bak
    originals), removes the certificate, key, CA and DHCP configuration it created, stops and disables DHCP
    where sipxha enabled it, in nsupdate mode removes this server's DNS records and, on the dns:zonefile:minion,
    puts the zone file back without the HA records.
    With service:manage, sipX then restarts here directly (service:restart rolling or immediate; never: not
    at all), never through a rollout: the server leaves HA, and a rollout would drain and undrain it by the
    pillar that still lists it, putting its DNS records back (docs/guide/live-fleet.md, "Remove a server").
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
  sipxha_service.restart:
    - name: sipx
    - direct: True
    - watch:
      - sipxha: sipxha-uninstall-files
{%- if ctx.dns.nsupdate %}
    - require:
      - sipxha_dns: sipxha-uninstall-dns
{%- endif %}
{%- endif %}
{%- endif %}
{%- endif %}
