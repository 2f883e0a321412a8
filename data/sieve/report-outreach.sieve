# Dovecot imapsieve: a message moved (or copied) into Junk is reported to
# Pushback as outreach. Install as imapsieve_mailbox1_before (see
# docs/quarantine.md); the pipe program is pushback-feedback.sh.
require ["vnd.dovecot.pipe", "copy", "imapsieve", "environment", "variables"];

if environment :matches "imap.user" "*" {
  set "username" "${1}";
}

pipe :copy "pushback-feedback.sh" ["outreach", "${username}"];
