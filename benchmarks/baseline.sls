{#- Benchmark baseline only (not part of the formula): the same files that ``sipxha`` manages on this
    minion, with the same contents and modes, managed with plain file.managed / file.symlink.
    ``benchmarks/converge.py`` copies the converged files to salt://sipxha_bench/<minion id>/ and lists
    them in the pillar key sipxha_bench:<minion id> ({path, rel, mode} or {path, target}). #}
{%- for item in salt['pillar.get']('sipxha_bench:' ~ grains['id'], []) %}
{%- if item.target is defined %}
{{ item.path | yaml_dquote }}:
  file.symlink:
    - target: {{ item.target | yaml_dquote }}
    - makedirs: True
{%- else %}
{{ item.path | yaml_dquote }}:
  file.managed:
    - source: salt://sipxha_bench/{{ grains['id'] }}/{{ item.rel }}
    - mode: '{{ item.mode }}'
    - makedirs: True
{%- endif %}
{%- endfor %}
