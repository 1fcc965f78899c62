"""PKI for the sipX fleet, pure Python on ``cryptography`` (no Salt).

- :mod:`.keys`: key generation, strength policy, PEM loading.
- :mod:`.names`: the subjectAltNames a server may hold, and OpenSSL's subject hash.
- :mod:`.ca`: the certificate authority on the Salt master (sign, revoke, CRL, status, export).
- :mod:`.issued`: the CA's index of issued certificates.
- :mod:`.servercert`: the minion side (does this server need a new certificate, and why; installation).
"""
