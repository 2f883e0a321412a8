# Dovecot imapsieve: a message moved out of Junk (but not into Trash) is
# reported to Pushback as not outreach. Install as imapsieve_mailbox2_before
# (see docs/quarantine.md); the pipe program is pushback-feedback.sh.
require ["vnd.dovecot.pipe", "copy", "imapsieve", "environment", "variables"];

if environment :matches "imap.mailbox" "*" {
  set "mailbox" "${1}";
}
if string "${mailbox}" "Trash" {
  stop;
}
if environment :matches "imap.user" "*" {
  set "username" "${1}";
}

pipe :copy "pushback-feedback.sh" ["ham", "${username}"];
