/*
 * oauth2: the token command and AUTH XOAUTH2 / OAUTHBEARER. See oauth2.h.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "buf.h"
#include "child.h"
#include "log.h"
#include "oauth2.h"
#include "smtp.h"
#include "why.h"
#include "xmalloc.h"

extern char **environ;

#define OAUTH2_RETRY_ENV	"MINIMTA_OAUTH2_RETRY"

/* Our environment, without a retry flag of its own, plus ours if retry. */
static char **
oauth2_env(bool retry)
{
	size_t n = 0, k = 0, i;
	char **env;

	while (environ[n] != NULL)
		n++;
	env = xcalloc(n + 2, sizeof(*env));
	for (i = 0; i < n; i++)
		if (strncmp(environ[i], OAUTH2_RETRY_ENV "=",
		    sizeof(OAUTH2_RETRY_ENV)) != 0)
			env[k++] = environ[i];
	if (retry)
		env[k++] = (char *)(uintptr_t)OAUTH2_RETRY_ENV "=1";
	env[k] = NULL;
	return env;
}

/* The first line of what the command said on stderr, cleaned, or "". */
static void
oauth2_stderr(const struct buf *err, char *out, size_t outlen)
{
	struct buf b;
	size_t n;

	out[0] = '\0';
	if (err->len == 0)
		return;
	n = strcspn(err->data, "\r\n");
	buf_init(&b);
	log_clean(&b, err->data, n, 200);
	if (b.len > 0)
		(void)snprintf(out, outlen, ": %s", buf_cstr(&b));
	buf_free(&b);
}

static void
oauth2_wipe(struct buf *b)
{
	if (b->data != NULL)
		explicit_bzero(b->data, b->cap);
	buf_reset(b);
}

int
oauth2_token(const struct oauth2_login *l, bool retry, struct buf *token,
    struct why *why)
{
	struct child_opts o = { 0 };
	struct buf out, err;
	enum child_result res;
	char said[256];
	struct why w;
	size_t a, b;
	char **env;
	int rc = -1;

	oauth2_wipe(token);
	if (geteuid() == 0 || getuid() == 0) {
		why_set(why, "oauth2 token command %s: not run as root (the "
		    "spool owner is root)", l->argv[0]);
		return -1;
	}
	buf_init(&out);
	buf_init(&err);
	env = oauth2_env(retry);
	o.timeout_ms = l->timeout_ms;
	o.out_max = OAUTH2_OUTPUT_MAX;
	o.err_max = OAUTH2_STDERR_MAX;
	o.env = env;
	w.text[0] = '\0';
	res = child_run(l->argv, &o, &out, &err, &w);
	oauth2_stderr(&err, said, sizeof(said));
	if (res != CHILD_OK) {
		why_set(why, "oauth2 token command %s: %s%s", l->argv[0],
		    w.text, res == CHILD_FAILED || res == CHILD_TIMEOUT ?
		    said : "");
		goto out;
	}
	/* trimmed of the white space around it (the final newline) */
	for (a = 0; a < out.len && strchr(" \t\r\n", out.data[a]) != NULL &&
	    out.data[a] != '\0'; a++)
		continue;
	for (b = out.len; b > a && strchr(" \t\r\n", out.data[b - 1]) !=
	    NULL && out.data[b - 1] != '\0'; b--)
		continue;
	buf_add(token, out.data + a, b - a);
	if (token->len == 0) {
		why_set(why, "oauth2 token command %s: wrote no token%s",
		    l->argv[0], said);
		goto out;
	}
	if (memchr(token->data, '\0', token->len) != NULL ||
	    !auth_token_ok(token->data)) {
		/* never quoted: it may be a token with a stray byte */
		why_set(why, "oauth2 token command %s: wrote %zu bytes that "
		    "are not a token (one word of visible ASCII, at most %d "
		    "bytes)", l->argv[0], token->len, AUTH_TOKEN_MAX);
		goto out;
	}
	rc = 0;
out:
	if (rc == -1)
		oauth2_wipe(token);
	oauth2_wipe(&out);
	buf_free(&out);
	buf_free(&err);
	free(env);
	return rc;
}

/* why: the server's refusal, with its JSON error when it sent one. */
static void
oauth2_refused(const struct oauth2_login *l, const char *mech,
    const struct smtp_reply *r, const struct buf *challenge,
    struct why *why)
{
	struct buf b, j;

	buf_init(&b);
	buf_init(&j);
	smtp_reply_format(r, &b);
	if (challenge->len > 0)
		log_clean(&j, challenge->data, challenge->len, 200);
	if (r->local)
		why_set(why, "%s: AUTH %s: %s", l->relay, mech, buf_cstr(&b));
	else
		why_set(why, "host %s said: %s (in reply to AUTH %s%s%s)",
		    l->relay, buf_cstr(&b), mech, j.len > 0 ? "; error " : "",
		    buf_cstr(&j));
	buf_free(&b);
	buf_free(&j);
}

int
oauth2_auth(struct smtp_session *s, const struct oauth2_login *l,
    struct why *why)
{
	const char *mech, *on_challenge;
	struct buf token, ir, challenge;
	struct smtp_reply r;
	enum smtp_result res = SMTP_NETFAIL;
	bool bearer;
	int rc = -1, attempt;

	if (smtp_has(s, SMTP_EXT_AUTH_OAUTHBEARER))
		bearer = true;
	else if (smtp_has(s, SMTP_EXT_AUTH_XOAUTH2))
		bearer = false;
	else {
		why_set(why, "host %s offers neither OAUTHBEARER nor XOAUTH2, "
		    "which the token command of %s@%s needs", l->relay,
		    l->user, l->host);
		return OAUTH2_NO_MECH;
	}
	mech = bearer ? "OAUTHBEARER" : "XOAUTH2";
	/* RFC 7628 3.2.3: the client's dummy response is ^A */
	on_challenge = bearer ? "AQ==" : "";
	buf_init(&token);
	buf_init(&ir);
	buf_init(&challenge);
	smtp_reply_init(&r);
	for (attempt = 0; attempt < 2; attempt++) {
		if (oauth2_token(l, attempt > 0, &token, why) == -1)
			goto out;
		if ((bearer ? auth_oauthbearer(&ir, l->user, l->host, l->port,
		    token.data, why) : auth_xoauth2(&ir, l->user, token.data,
		    why)) == -1)
			goto out;
		oauth2_wipe(&token);
		buf_reset(&challenge);
		res = smtp_auth_sasl(s, mech, &ir, on_challenge, &r,
		    &challenge);
		oauth2_wipe(&ir);
		if (res == SMTP_OK) {
			rc = 0;
			goto out;
		}
		/* a refusal by the server: perhaps the token expired */
		if (res != SMTP_PERMFAIL || r.local)
			break;
		if (attempt == 0)
			log_info("%s: AUTH %s refused (%d): running the token "
			    "command again", l->relay, mech, r.code);
	}
	oauth2_refused(l, mech, &r, &challenge, why);
out:
	oauth2_wipe(&token);
	oauth2_wipe(&ir);
	buf_free(&token);
	buf_free(&ir);
	buf_free(&challenge);
	smtp_reply_free(&r);
	return rc;
}
