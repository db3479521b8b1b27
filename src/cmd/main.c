/*
 * main.c: the name we are called by picks the mode; parse the command
 * line, load the config, dispatch. Only this file (and fatal()) ends the
 * process.
 */
#include <signal.h>
#include <stdio.h>
#include <sysexits.h>

#include "cli.h"
#include "conf.h"
#include "log.h"
#include "modes.h"
#include "why.h"

int	main(int, char **);

/* Postfix's name for what this process does (log.h). */
static enum log_prog
program(enum cli_mode mode)
{
	switch (mode) {
	case CLI_SMTP_STDIO:
		return LOG_PROG_SMTPD;
	case CLI_LIST:
		return LOG_PROG_POSTQUEUE;
	case CLI_ALIASES:
		return LOG_PROG_POSTALIAS;
	case CLI_QUEUE:
		return LOG_PROG_QMGR;
	case CLI_ADMIN:
		return LOG_PROG_POSTSUPER;
	default:
		return LOG_PROG_SENDMAIL;
	}
}

int
main(int argc, char **argv)
{
	struct cli cli;
	struct conf *conf;
	struct why why;
	int rc;

	/* Writes to a closed peer must fail with EPIPE, not kill us. */
	(void)signal(SIGPIPE, SIG_IGN);
	/* drop files are 0640 for the spool group; nothing is world-readable */
	(void)umask(027);
	log_init("minimta", LOG_DEST_STDERR);
	if (cli_parse(argc, argv, &cli, &why) != CLI_OK) {
		log_user("%s", why.text);
		return EX_USAGE;
	}
	if ((conf = mode_load_conf(&cli, &why)) == NULL)
		fatal(EX_CONFIG, "%s", why.text);
	log_set_prog(program(cli.mode));
	log_set_dest(conf->log);
	log_set_verbose(cli.verbose);

	switch (cli.mode) {
	case CLI_SUBMIT:
		rc = mode_submit(&cli, conf);
		break;
	case CLI_SMTP_STDIO:
		rc = mode_smtp_stdio(&cli, conf);
		break;
	case CLI_LIST:
		rc = mode_list(&cli, conf);
		break;
	case CLI_ALIASES:
		rc = mode_aliases(&cli, conf);
		break;
	case CLI_VERIFY:
		rc = mode_verify(&cli, conf);
		break;
	case CLI_QUEUE:
		rc = mode_queue(&cli, conf);
		break;
	case CLI_ADMIN:
		rc = mode_admin(&cli, conf);
		break;
	default:
		rc = EX_SOFTWARE;
		break;
	}
	conf_free(conf);
	cli_free(&cli);
	return rc;
}
