{#- sipxha.dns: the fleet's SRV records in DNS.
    Zone-file mode runs on the dns:zonefile:minion only; nsupdate mode runs wherever this SLS is applied.
    With neither configured (or on another minion in zone-file mode) it applies nothing. #}
{%- set sipxha = salt['pillar.get']('sipxha', {}) or {} %}
{%- set dns = (sipxha.get('dns') or {}) if sipxha is mapping else None %}
{%- set dns = dns if dns is mapping else {'nsupdate': True} %}{#- a bad value: sipxha_dns.nsupdate names the key #}
{%- set zonefile = dns.get('zonefile') or {} %}
{%- set nsupdate = dns.get('nsupdate') or {} %}
{%- set here = zonefile and (zonefile is not mapping or zonefile.get('minion') == opts['id']) %}
{%- if here %}
sipxha-dns-zonefile:
  sipxha_dns.zonefile:
    - name: {{ (zonefile.get('path') if zonefile is mapping else 'sipxha') | yaml_dquote }}
{%- endif %}
{%- if nsupdate %}
sipxha-dns-nsupdate:
  sipxha_dns.nsupdate:
    - name: {{ (nsupdate.get('zone', 'sipxha') if nsupdate is mapping else 'sipxha') | yaml_dquote }}
{%- endif %}
{%- if not here and not nsupdate %}
sipxha-dns-not-configured:
  test.nop:
    - name: sipxha DNS is not managed from this minion
{%- endif %}
