{#- sipxha.dns: the fleet's SRV records in DNS.
    Zone-file mode runs on the dns:zonefile:minion only; nsupdate mode runs wherever this SLS is applied.
    With neither configured (or on another minion in zone-file mode) it applies nothing.
    Values come from sipxha.sls_context; a bad pillar renders only sipxha.plan_valid. #}
{%- set ctx = salt['sipxha.sls_context']() %}
{%- if ctx.error %}
sipxha-dns-plan:
  sipxha.plan_valid: []
{%- else %}
{%- if ctx.dns.zonefile %}
sipxha-dns-zonefile:
  sipxha_dns.zonefile:
    - name: {{ ctx.dns.zonefile | yaml_dquote }}
{%- endif %}
{%- if ctx.dns.nsupdate %}
sipxha-dns-nsupdate:
  sipxha_dns.nsupdate:
    - name: {{ ctx.dns.nsupdate | yaml_dquote }}
{%- endif %}
{%- if not ctx.dns.zonefile and not ctx.dns.nsupdate %}
sipxha-dns-not-configured:
  test.nop:
    - name: sipxha DNS is not managed from this minion
{%- endif %}
{%- endif %}
