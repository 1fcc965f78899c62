{#- sipxha.pki: this server's own key (made here, never sent anywhere) and a certificate from the
    fleet's CA on the Salt master, in sipX's layout (<ssl>/ssl.key, ssl.crt, authorities/<ca_name>.crt
    and its hash link). Needs the master's peer_run to allow sipxha_ca.sign and sipxha_ca.ca_cert
    (the latter unused when the master has the sipxha_ca ext_pillar; docs/pki.md). A new certificate only when one is due; test=True says why it would act. #}
sipxha-pki-certificate:
  sipxha_pki.certificate:
    - name: sipxha-certificate
