#!/bin/sh
# The pipe program of report-outreach.sieve and report-ham.sieve, for
# Dovecot's sieve_pipe_bin_dir. The message arrives on standard input; the
# arguments are the verdict (outreach or ham) and the IMAP user. Pushback's
# state belongs to the pushback account, so the feedback runs as that account
# (a sudoers rule allows exactly this command; see docs/quarantine.md).
# Pushback learns only what the message's X-Pushback-Seal vouches for.
set -eu
case "${1:-}" in
  outreach|ham) kind="$1" ;;
  *) echo "usage: pushback-feedback.sh outreach|ham USER" >&2; exit 64 ;;
esac
user="${2:-}"
exec /usr/bin/sudo -n -u pushback /usr/sbin/pushback feedback "--$kind" --recipient "$user" -
