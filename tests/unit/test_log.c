/*
 * test_log: the shapes of the lines of a message's life (Postfix's, which
 * pflogsumm parses) and of delays=; every line as log stderr writes it,
 * "minimta/PROG[pid]: ...", read back from a temporary file in place of
 * stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"

#include "unit.h"

static FILE *capture;

/* The lines written since the last call, with "[pid]" as "[P]". */
static char *
captured(void)
{
	static char out[8192];
	char line[2048], pid[32];
	size_t n = 0;

	(void)fflush(stderr);
	rewind(capture);
	(void)snprintf(pid, sizeof(pid), "[%ld]: ", (long)getpid());
	out[0] = '\0';
	while (fgets(line, sizeof(line), capture) != NULL) {
		char *p = strstr(line, pid);

		if (p != NULL) {
			*p = '\0';
			n += (size_t)snprintf(out + n, sizeof(out) - n,
			    "%s[P]: %s", line, p + strlen(pid));
		} else {
			n += (size_t)snprintf(out + n, sizeof(out) - n, "%s",
			    line);
		}
		if (n >= sizeof(out))
			break;
	}
	(void)fflush(capture);
	if (ftruncate(fileno(capture), 0) == -1)
		perror("ftruncate");
	rewind(capture);
	return out;
}

static void
test_delay_format(void)
{
	static const struct {
		const char	*name;
		double		 in;
		const char	*want;
	} cases[] = {
		{ "zero", 0, "0" },
		{ "negative (clock step)", -0.5, "0" },
		{ "under 10 ms", 0.0049, "0" },
		{ "10 ms", 0.01, "0.01" },
		{ "two digits", 0.345, "0.34" },
		{ "trailing zero dropped", 0.1, "0.1" },
		{ "a second and more", 1.44, "1.4" },
		{ "whole", 5.0, "5" },
		{ "just under 10", 9.96, "10" },
		{ "from 10: whole seconds", 12.7, "12" },
		{ "days", 432000.3, "432000" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b;

		buf_init(&b);
		log_fmt_delay(&b, cases[i].in);
		UNIT_STR(cases[i].name, buf_cstr(&b), cases[i].want);
		buf_free(&b);
	}
}

static void
test_lines(void)
{
	struct log_delivery d = { 0 };

	log_msg_pickup("1ABC", 33, "www-data@example.org");
	UNIT_STR("pickup", captured(), "minimta/pickup[P]: 1ABC: uid=33 "
	    "from=<www-data@example.org>\n");
	log_msg_postdrop("1ABC", 33, "");
	UNIT_STR("postdrop", captured(), "minimta/postdrop[P]: 1ABC: uid=33 "
	    "from=<> (dropped for pickup)\n");
	log_msg_client("1ABC", "127.0.0.1");
	UNIT_STR("smtpd", captured(),
	    "minimta/smtpd[P]: 1ABC: client=unknown[127.0.0.1]\n");
	log_msg_id("1ABC", " <a@b>\r\n\t", 9);
	UNIT_STR("message-id", captured(),
	    "minimta/cleanup[P]: 1ABC: message-id=<a@b>\n");
	log_msg_id("1ABC", "<a\r\n b\x01@c>", 10);
	UNIT_STR("message-id folded, control", captured(),
	    "minimta/cleanup[P]: 1ABC: message-id=<a b?@c>\n");
	log_msg_active("1ABC", "", 2048, 3);
	UNIT_STR("qmgr", captured(), "minimta/qmgr[P]: 1ABC: from=<>, "
	    "size=2048, nrcpt=3 (queue active)\n");
	log_msg_removed("1ABC");
	UNIT_STR("removed", captured(), "minimta/qmgr[P]: 1ABC: removed\n");
	log_msg_expired("1ABC", "a@example.org");
	UNIT_STR("expired", captured(), "minimta/qmgr[P]: 1ABC: "
	    "from=<a@example.org>, status=expired, returned to sender\n");
	log_msg_notice("1ABC", false, LOG_REPORT_FAILED, "2DEF");
	log_msg_notice("1ABC", false, LOG_REPORT_DELAYED, "2DEF");
	log_msg_notice("1ABC", false, LOG_REPORT_RELAYED, "2DEF");
	log_msg_notice("1ABC", true, LOG_REPORT_FAILED, "2DEF");
	UNIT_STR("bounce", captured(),
	    "minimta/bounce[P]: 1ABC: sender non-delivery notification: "
	    "2DEF\n"
	    "minimta/bounce[P]: 1ABC: sender delay notification: 2DEF\n"
	    "minimta/bounce[P]: 1ABC: sender delivery status notification: "
	    "2DEF\n"
	    "minimta/bounce[P]: 1ABC: postmaster non-delivery notification: "
	    "2DEF\n");

	d.id = "1ABC";
	d.to = "a@x.example";
	d.relay = "mx.x.example[192.0.2.1]:25";
	d.delay = 1.234;
	d.delays[0] = 0.5;
	d.delays[1] = 0.004;
	d.delays[2] = 0.31;
	d.delays[3] = 0.42;
	d.dsn = "2.0.0";
	d.status = "sent";
	d.reply = "250 2.0.0 ok\r\n";
	log_delivery(&d);
	UNIT_STR("smtp sent", captured(), "minimta/smtp[P]: 1ABC: "
	    "to=<a@x.example>, relay=mx.x.example[192.0.2.1]:25, delay=1.2, "
	    "delays=0.5/0/0.31/0.42, dsn=2.0.0, status=sent "
	    "(250 2.0.0 ok?" "?)\n");
	/* no "warning: " in a deferred line, whatever its priority */
	d.relay = NULL;
	d.orig_to = "alias@example.org";
	d.dsn = "4.4.1";
	d.status = "deferred";
	d.reply = "connect to x: Connection refused";
	log_delivery(&d);
	UNIT_STR("smtp deferred", captured(), "minimta/smtp[P]: 1ABC: "
	    "to=<a@x.example>, orig_to=<alias@example.org>, relay=none, "
	    "delay=1.2, delays=0.5/0/0.31/0.42, dsn=4.4.1, status=deferred "
	    "(connect to x: Connection refused)\n");
}

static void
test_programs(void)
{
	log_info("queue runner started");
	UNIT_STR("default program", captured(),
	    "minimta/sendmail[P]: queue runner started\n");
	log_set_prog(LOG_PROG_QMGR);
	log_warn("removing stale temporary file %s", "queue/.x");
	log_error("%s: cannot save delivery state: %s", "1ABC", "EIO");
	UNIT_STR("warning and error", captured(),
	    "minimta/qmgr[P]: warning: removing stale temporary file "
	    "queue/.x\n"
	    "minimta/qmgr[P]: error: 1ABC: cannot save delivery state: "
	    "EIO\n");
	log_as(LOG_PROG_PICKUP, LOG_LEVEL_WARN, "incoming/%s: moved", "X");
	log_as(LOG_PROG_SMTP, LOG_LEVEL_INFO, "connect to %s", "h");
	log_info("back");
	UNIT_STR("log_as", captured(),
	    "minimta/pickup[P]: warning: incoming/X: moved\n"
	    "minimta/smtp[P]: connect to h\n"
	    "minimta/qmgr[P]: back\n");
}

int
main(void)
{
	if ((capture = tmpfile()) == NULL ||
	    dup2(fileno(capture), STDERR_FILENO) == -1) {
		perror("test_log: stderr");
		return 2;
	}
	setvbuf(stderr, NULL, _IONBF, 0);
	log_init("minimta", LOG_DEST_STDERR);
	test_delay_format();
	test_lines();
	test_programs();
	return unit_done("log");
}
