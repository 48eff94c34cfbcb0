"""Signed updates of Windows installs through TUF (The Update Framework, python-tuf).

The state publishes its installers in a TUF repository (the *channel*): signed, versioned and
expiring metadata beside the installers. A counter PC trusts one ``root.json`` that comes with
its install and, from it, every later key the state rotates in.

- :mod:`mailroom.updates.channel`: the client (``oficialia actualizar``): checks the channel,
  downloads the newest installer, verifies it and hands it to a runner.
- :mod:`mailroom.updates.runner`: how a verified installer is run (silently, after the app exits,
  on Windows).
- :mod:`mailroom.updates.repository` and :mod:`mailroom.updates.publish`: the state's side, which
  creates the keys and the channel and publishes releases (``python -m mailroom.updates.publish``).
- :mod:`mailroom.updates.releases`: target names, versions and platforms, shared by both.

Nothing here is imported by the command line until an update command runs: python-tuf stays
out of the read commands' start-up.
"""
