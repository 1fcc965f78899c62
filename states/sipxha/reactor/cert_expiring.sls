{#- Reactor for sipxha/cert/expiring (beacon sipxha_cert): re-apply the sipxha state on the minion the
    event came from. data['id'] is the id of the minion that sent the event; at worst a forged event
    makes a minion converge once more. The reactor never signs: the state asks the master's
    sipxha_ca.sign runner, which authenticates the minion and checks its pillar.
    Master config:  reactor: [{'sipxha/cert/expiring': [<formula dir>/sipxha/reactor/cert_expiring.sls]}] #}
{%- set minion = data.get('id') if data is mapping else None %}
{%- if minion is string and minion %}
sipxha-recertify:
  local.state.apply:
    - tgt: {{ [minion] | json }}
    - tgt_type: list
    - args:
      - mods: sipxha
{%- endif %}
