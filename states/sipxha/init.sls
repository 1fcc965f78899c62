{#- sipxha: this minion converges to its role in the sipxha pillar (master or distributed): its sipX files,
    its certificate (sipxha.pki) and DHCP (sipxha.dhcp, on exactly one server).
    The sipX service restarts only when one of its files or its certificate changed, and only with
    sipxha:service:manage. #}
{%- set service = salt['pillar.get']('sipxha:service', {}) or {} %}
{%- if service is not mapping %}{%- set service = {'manage': False} %}{%- endif %}{#- sipxha-role names the bad key #}

include:
  - sipxha.dhcp
  - sipxha.pki

sipxha-role:
  sipxha.role: []

{%- if service.get('manage', True) %}

sipxha-service:
  service.running:
    - name: {{ service.get('name', 'sipxpbx') }}
    - enable: True
    - watch:
      - sipxha: sipxha-role
      - sipxha_pki: sipxha-pki-certificate
{%- endif %}
