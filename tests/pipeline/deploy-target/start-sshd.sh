#!/usr/bin/env bash
# Starts the stand-in deploy target's sshd: a fresh host key, root login with the
# key in AUTHORIZED_KEY only.
set -euo pipefail
: "${AUTHORIZED_KEY:?AUTHORIZED_KEY is required: the public key allowed to log in}"
ssh-keygen -A >/dev/null
printf '%s\n' "$AUTHORIZED_KEY" >/root/.ssh/authorized_keys
chmod 600 /root/.ssh/authorized_keys
exec /usr/sbin/sshd -D -e -o PasswordAuthentication=no \
  -o PermitRootLogin=prohibit-password -o LogLevel=ERROR
