"""Generated ~/.ssh/config files of N realistic Host entries, for the editor benchmark.

Each entry is a Host line and 2-4 directives, every tenth one after a comment, a few in
``key=value`` syntax; global lines come first and a ``Host *`` section last, so that
setup's placement scan reads the whole file before it finds where the block goes (before
``Host *``, the first section that can match Baseten's hosts).
"""

from __future__ import annotations

_DIRECTIVES = (
    "  HostName 10.{a}.{b}.{c}",
    "  User deploy{d}",
    "  Port {port}",
    "  IdentityFile ~/.ssh/id_team{d}",
    "  ServerAliveInterval=30",
    "  ForwardAgent no",
)


def generated_config(host_count: int) -> bytes:
    lines = [
        "# ~/.ssh/config of a busy workstation (generated for sshsetup's benchmarks)",
        "AddKeysToAgent no",
        "",
    ]
    for index in range(host_count):
        if index % 10 == 0:
            lines.append(f"# --- rack {index // 10} ---")
        lines.append(f"Host web-{index:05d} web-{index:05d}.internal.example.com")
        for offset in range(2 + index % 3):
            directive = _DIRECTIVES[(index + offset) % len(_DIRECTIVES)]
            lines.append(
                directive.format(
                    a=index // 65536 % 256, b=index // 256 % 256, c=index % 256,
                    d=index % 7, port=2200 + index % 50,
                )
            )  # fmt: skip
        lines.append("")
    lines += ["Host *", "  ServerAliveInterval 60", "  User me", ""]
    return "\n".join(lines).encode()
