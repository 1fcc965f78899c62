{#- Reactor for sipxha/restart/needed (fired by a state run with service:restart: rolling that changed sipX's
    files or certificate): start the rolling restart on the master. Nothing of the event's data is used:
    the runner reads which servers need a restart from the minions themselves, so a forged event can at
    most start a rollout that finds nothing to do. A rollout already running refuses the second start
    (the running one asks the minions again before it ends, so the newly marked server is restarted too).
    Master config:  reactor: [{'sipxha/restart/needed': [<formula dir>/sipxha/reactor/restart_needed.sls]}] #}
sipxha-rollout:
  runner.sipxha.rollout: []
