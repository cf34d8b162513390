"""sshsetup: the workstation side of SSH into Baseten workloads.

Kept empty of imports on purpose: the connect path (Match hook, ProxyCommand)
imports this package on every ssh invocation.
"""

__version__ = "0.1.0"
