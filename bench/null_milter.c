/* A milter that does nothing useful, as the reference for what a milter costs
 * Postfix: it adds one header per message and reads the body, nothing else.
 *
 *   null_milter [--lean] SOCKET      e.g. inet:8899@127.0.0.1 or unix:/tmp/null.sock
 *
 * By default it is the naive filter: every callback registered, no NO* or
 * no-reply protocol flags, a reply to every event. With --lean it negotiates
 * what Pushback negotiates (no HELO, unknown or end-of-headers events, no
 * reply to connect, MAIL and headers; on a unix socket also no DATA event and
 * no reply to body chunks, over TCP SKIP after the first body chunk), so
 * the difference between the two is the protocol's cost inside the MTA and
 * the difference between --lean and Pushback is Pushback's own work.
 * It trusts its command line; mail content is only counted. SIGTERM stops it. */
#include <libmilter/mfapi.h>
#include <libmilter/mfdef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct message {
  unsigned long body_bytes;
  unsigned long checksum; /* so the compiler cannot drop the body read */
};

static int lean = 0;
static int unix_socket = 0;

static struct message* message_of(SMFICTX* ctx) {
  struct message* m = smfi_getpriv(ctx);
  if (m == NULL) {
    m = calloc(1, sizeof *m);
    if (m == NULL || smfi_setpriv(ctx, m) != MI_SUCCESS) {
      free(m);
      return NULL;
    }
  }
  return m;
}

static sfsistat reply(void) { return SMFIS_CONTINUE; }

static sfsistat on_negotiate(SMFICTX* ctx, unsigned long f0, unsigned long f1, unsigned long f2, unsigned long f3,
                             unsigned long* pf0, unsigned long* pf1, unsigned long* pf2, unsigned long* pf3) {
  (void)ctx;
  (void)f2;
  (void)f3;
  *pf0 = f0 & SMFIF_ADDHDRS;
  if (lean) {
    unsigned long steps = SMFIP_NOHELO | SMFIP_NOUNKNOWN | SMFIP_NODATA | SMFIP_NOEOH | SMFIP_NR_CONN |
                          SMFIP_NR_MAIL | SMFIP_NR_HDR;
    steps |= unix_socket ? SMFIP_NR_BODY : SMFIP_SKIP;
    *pf1 = f1 & steps;
  } else {
    *pf1 = 0; /* every event, every reply */
  }
  *pf2 = 0;
  *pf3 = 0;
  return SMFIS_CONTINUE;
}

static sfsistat on_connect(SMFICTX* ctx, char* host, _SOCK_ADDR* addr) {
  (void)host;
  (void)addr;
  if (message_of(ctx) == NULL) return SMFIS_TEMPFAIL;
  return lean ? SMFIS_NOREPLY : reply();
}

static sfsistat on_helo(SMFICTX* ctx, char* name) {
  (void)ctx;
  (void)name;
  return reply();
}

static sfsistat on_envfrom(SMFICTX* ctx, char** argv) {
  (void)argv;
  struct message* m = message_of(ctx);
  if (m != NULL) memset(m, 0, sizeof *m);
  return lean ? SMFIS_NOREPLY : reply();
}

static sfsistat on_envrcpt(SMFICTX* ctx, char** argv) {
  (void)ctx;
  (void)argv;
  return reply();
}

static sfsistat on_data(SMFICTX* ctx) {
  (void)ctx;
  return reply();
}

static sfsistat on_header(SMFICTX* ctx, char* name, char* value) {
  (void)ctx;
  (void)name;
  (void)value;
  return lean ? SMFIS_NOREPLY : reply();
}

static sfsistat on_eoh(SMFICTX* ctx) {
  (void)ctx;
  return reply();
}

static sfsistat on_body(SMFICTX* ctx, unsigned char* chunk, size_t length) {
  struct message* m = message_of(ctx);
  if (m != NULL) {
    for (size_t i = 0; i < length; i++) m->checksum = m->checksum * 31 + chunk[i];
    m->body_bytes += length;
  }
  return lean && unix_socket ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static sfsistat on_eom(SMFICTX* ctx) {
  struct message* m = message_of(ctx);
  char value[64];
  snprintf(value, sizeof value, "%lu bytes, %08lx", m ? m->body_bytes : 0UL, m ? (m->checksum & 0xffffffffUL) : 0UL);
  smfi_addheader(ctx, "X-Null-Milter", value);
  if (m != NULL) memset(m, 0, sizeof *m);
  return SMFIS_CONTINUE;
}

static sfsistat on_abort(SMFICTX* ctx) {
  struct message* m = smfi_getpriv(ctx);
  if (m != NULL) memset(m, 0, sizeof *m);
  return SMFIS_CONTINUE;
}

static sfsistat on_close(SMFICTX* ctx) {
  free(smfi_getpriv(ctx));
  smfi_setpriv(ctx, NULL);
  return SMFIS_CONTINUE;
}

static sfsistat on_unknown(SMFICTX* ctx, const char* command) {
  (void)ctx;
  (void)command;
  return reply();
}

int main(int argc, char** argv) {
  int arg = 1;
  if (arg < argc && strcmp(argv[arg], "--lean") == 0) {
    lean = 1;
    arg++;
  }
  if (arg + 1 != argc) {
    fprintf(stderr, "usage: null_milter [--lean] SOCKET\n");
    return 64;
  }
  unix_socket = strncmp(argv[arg], "unix:", 5) == 0 || strncmp(argv[arg], "local:", 6) == 0;
  struct smfiDesc description = {
      .xxfi_name = "null_milter",
      .xxfi_version = SMFI_VERSION,
      .xxfi_flags = SMFIF_ADDHDRS,
      .xxfi_connect = on_connect,
      .xxfi_helo = on_helo,
      .xxfi_envfrom = on_envfrom,
      .xxfi_envrcpt = on_envrcpt,
      .xxfi_header = on_header,
      .xxfi_eoh = on_eoh,
      .xxfi_body = on_body,
      .xxfi_eom = on_eom,
      .xxfi_abort = on_abort,
      .xxfi_close = on_close,
      .xxfi_unknown = on_unknown,
      .xxfi_data = on_data,
      .xxfi_negotiate = on_negotiate,
  };
  umask(0); /* a unix socket that Postfix's unprivileged smtpd can open */
  if (smfi_setconn(argv[arg]) != MI_SUCCESS || smfi_register(description) != MI_SUCCESS ||
      smfi_opensocket(1) != MI_SUCCESS) {
    fprintf(stderr, "null_milter: cannot listen on %s\n", argv[arg]);
    return 71;
  }
  fprintf(stderr, "null_milter: listening on %s%s\n", argv[arg], lean ? " (lean)" : "");
  return smfi_main() == MI_SUCCESS ? 0 : 1;
}
