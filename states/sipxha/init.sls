{#- sipxha: this minion's sipX files converge to its role in the sipxha pillar (master or distributed).
    The sipX service restarts only when one of its files changed, and only with sipxha:service:manage. #}
{%- set service = salt['pillar.get']('sipxha:service', {}) or {} %}

include:
  - sipxha.dhcp
  - sipxha.pki
  {#- PKI: certificates (add "- sipxha.pki" below; its states may use "watch_in: - service: sipxha-service") #}

sipxha-role:
  sipxha.role: []

{%- if service.get('manage', True) %}

sipxha-service:
  service.running:
    - name: {{ service.get('name', 'sipxpbx') }}
    - enable: True
    - watch:
      - sipxha: sipxha-role
{%- endif %}
