// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * Options are declared once, in a table per command (struct opt): the
 * getopt_long() table, the synopsis, --help, ``vmkeepctl help CMD``,
 * ``--list-opts`` for bash completion and the man page's synopsis check
 * (tools/check-synopsis.sh) all come from it.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "vmkeepctl.h"

#define MAX_OPTS	16
#define WRAP		78	/* synopsis lines wrap before this column */

static size_t nr_opts(const struct opt *o)
{
	size_t n = 0;

	while (o && o[n].name)
		n++;
	return n;
}

/* One word of the synopsis, wrapped with the continuation indent. */
static void word(FILE *f, int *col, const char *fmt, const char *a,
		 const char *b)
{
	int n = snprintf(NULL, 0, fmt, a, b);

	if (*col + 1 + n > WRAP) {
		fputs("\n     ", f);
		*col = 5;
	}
	fputc(' ', f);
	fprintf(f, fmt, a, b);
	*col += 1 + n;
}

/* "--name NAME" or "--exclusive" */
static const char *opt_fmt(const struct opt *o)
{
	return o->arg ? "--%s %s" : "--%s%s";
}

/* "vmkeepctl CMD ARGS --req X [--opt Y] (--a | --b) TAIL", wrapped. */
void synopsis(const struct cmd *cmd, FILE *f)
{
	const struct opt *o = cmd->opts;
	char buf[96];
	int col;
	size_t i;

	col = fprintf(f, "vmkeepctl %s", cmd->name);
	if (cmd->args)
		word(f, &col, "%s%s", cmd->args, "");
	for (i = 0; i < nr_opts(o); i++) {
		snprintf(buf, sizeof(buf), opt_fmt(&o[i]), o[i].name, o[i].arg ?: "");
		if (o[i].flags & OPT_ALT) {
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), " | ");
			i++;
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf),
				 opt_fmt(&o[i]), o[i].name, o[i].arg ?: "");
			word(f, &col, "(%s)%s", buf, "");
		} else {
			word(f, &col, o[i].flags & OPT_REQUIRED ? "%s%s" : "[%s]%s",
			     buf, "");
		}
	}
	if (cmd->tail)
		word(f, &col, "%s%s", cmd->tail, "");
	fputc('\n', f);
}

static void print_usage(const struct cmd *cmd, FILE *f)
{
	fputs("usage: ", f);
	synopsis(cmd, f);
}

/* --help and ``vmkeepctl help CMD``: synopsis, what it does, options. */
int help(struct ctx *ctx)
{
	const struct opt *o = ctx->cmd->opts;
	int w = 0, n;
	size_t i;

	print_usage(ctx->cmd, stdout);
	fputs(ctx->cmd->about, stdout);
	for (i = 0; i < nr_opts(o); i++) {
		n = strlen(o[i].name) + (o[i].arg ? strlen(o[i].arg) + 1 : 0);
		if (o[i].help && n > w)
			w = n;
	}
	for (i = 0; i < nr_opts(o); i++) {
		char buf[64];

		if (!o[i].help)
			continue;
		snprintf(buf, sizeof(buf), opt_fmt(&o[i]), o[i].name,
			 o[i].arg ? o[i].arg : "");
		printf("  %-*s  %s\n", w + 2, buf, o[i].help);
	}
	return RC_OK;
}

int bad_usage(struct ctx *ctx)
{
	print_usage(ctx->cmd, stderr);
	return RC_USAGE;
}

/* Operands missing or too many: the cause, then the usage. */
int bad_operands(struct ctx *ctx, const char *expected)
{
	fprintf(stderr, "vmkeepctl: %s: expected %s\n", ctx->cmd->name, expected);
	return bad_usage(ctx);
}

/* For bash completion: each option with its argument, then the operands. */
void list_opts(const struct cmd *cmd)
{
	const struct opt *o = cmd->opts;
	size_t i;

	for (i = 0; i < nr_opts(o); i++) {
		printf(opt_fmt(&o[i]), o[i].name, o[i].arg ? o[i].arg : "");
		putchar('\n');
	}
	printf("--help\n");
	if (cmd->args)
		printf("%s\n", cmd->args);
}

static int take(struct ctx *ctx, const struct opt *o, char *arg)
{
	if (o->each)
		return o->each(ctx, arg);
	if (o->str)
		*o->str = arg;
	if (o->flag)
		*o->flag = true;
	return -1;
}

/*
 * Whether every OPT_REQUIRED option and one of each OPT_ALT pair is set;
 * if not, say which is missing.
 */
static bool complete(struct ctx *ctx, const bool *seen)
{
	const struct opt *o = ctx->cmd->opts;
	const char *c = ctx->cmd->name;
	size_t i;

	for (i = 0; i < nr_opts(o); i++) {
		if (o[i].flags & OPT_ALT) {
			if (seen[i] && seen[i + 1])
				fprintf(stderr, "vmkeepctl: %s: --%s and --%s exclude each other\n",
					c, o[i].name, o[i + 1].name);
			else if (!seen[i] && !seen[i + 1])
				fprintf(stderr, "vmkeepctl: %s: --%s or --%s is required\n",
					c, o[i].name, o[i + 1].name);
			if (seen[i] == seen[i + 1])
				return false;
			i++;
		} else if (o[i].flags & OPT_REQUIRED && !seen[i]) {
			fprintf(stderr, "vmkeepctl: %s: --%s is required\n", c, o[i].name);
			return false;
		}
	}
	return true;
}

/*
 * getopt_long()'s complaint, in the one form of every error: it prints
 * "CMD: unrecognized option" without the tool's name itself otherwise.
 */
void bad_opt(const char *cmd, char **argv, const struct option *lo)
{
	const char *word = argv[optind - 1];
	int i;

	fprintf(stderr, "vmkeepctl: %s%s", cmd ?: "", cmd ? ": " : "");
	/* A known long option: its argument is missing, or one it takes none of. */
	for (i = 0; optopt && !strncmp(word, "--", 2) && lo[i].name; i++)
		if (lo[i].val == optopt) {
			fprintf(stderr, "option '--%s' %s\n", lo[i].name,
				lo[i].has_arg == required_argument ?
				"needs an argument" : "takes no argument");
			return;
		}
	if (optopt && optopt < 256)
		fprintf(stderr, "unknown option '-%c'\n", optopt);
	else
		fprintf(stderr, "unknown option '%.*s'\n", (int)strcspn(word, "="), word);
}

/**
 * parse_opts() - parse the options of ctx->cmd
 * @ctx: the command
 * @argc: its argument count
 * @argv: its arguments, argv[0] the command's name
 *
 * Operands are left at argv[optind...]: getopt_long() moves them behind
 * the options, unless the command takes its options in order.
 *
 * Return: -1 to go on, else the exit code (--help, a usage error, or
 * an argument that a repeatable option's handler refused).
 */
int parse_opts(struct ctx *ctx, int argc, char **argv)
{
	const struct opt *o = ctx->cmd->opts;
	struct option lo[MAX_OPTS + 2] = {};
	bool seen[MAX_OPTS] = {};
	size_t i, n = nr_opts(o);
	int c, rc;

	for (i = 0; i < n && i < MAX_OPTS; i++) {
		lo[i].name = o[i].name;
		lo[i].has_arg = o[i].arg ? required_argument : no_argument;
		lo[i].val = 256 + i;
	}
	lo[i].name = "help";
	lo[i].val = 'h';
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ctx->cmd->in_order ? "+h" : "h",
				lo, NULL)) != -1) {
		if (c == 'h')
			return help(ctx);
		if (c < 256) {
			bad_opt(ctx->cmd->name, argv, lo);
			return bad_usage(ctx);
		}
		seen[c - 256] = true;
		rc = take(ctx, &o[c - 256], optarg);
		if (rc >= 0)
			return rc;
	}
	return complete(ctx, seen) ? -1 : bad_usage(ctx);
}

/**
 * parse_no_operands() - parse_opts() for a command that takes no operands
 * @ctx: the command
 * @argc: its argument count
 * @argv: its arguments
 * @dev: and open /dev/vmkeep, since the command needs the module
 *
 * Return: -1 to go on, else the exit code.
 */
int parse_no_operands(struct ctx *ctx, int argc, char **argv, bool dev)
{
	int rc = parse_opts(ctx, argc, argv);

	if (rc >= 0)
		return rc;
	if (optind != argc) {
		fprintf(stderr, "vmkeepctl: %s: unexpected operand '%s'\n",
			ctx->cmd->name, argv[optind]);
		return bad_usage(ctx);
	}
	return dev ? dev_open(ctx) ?: -1 : -1;
}

static void group_usage(const struct cmd_group *g, FILE *f)
{
	size_t i;

	for (i = 0; i < g->nr; i++) {
		fputs("  ", f);
		synopsis(&g->cmds[i], f);
	}
}

static const struct cmd *group_find(const struct cmd_group *g, const char *name)
{
	size_t i, skip = strlen(g->name) + 1;

	for (i = 0; i < g->nr; i++)
		if (!strcmp(name, g->cmds[i].name + skip))
			return &g->cmds[i];
	return NULL;
}

static int group_unknown(const struct cmd_group *g, const char *name)
{
	fprintf(stderr, "vmkeepctl: %s: unknown command '%s'\n", g->name, name);
	group_usage(g, stderr);
	return RC_USAGE;
}

/* "vmkeepctl help GROUP [VERB]": what "GROUP [VERB] --help" prints. */
int group_help(const struct cmd_group *g, struct ctx *ctx, const char *name)
{
	const struct cmd *sub = name ? group_find(g, name) : NULL;

	if (sub) {
		ctx->cmd = sub;
		return help(ctx);
	}
	if (name)
		return group_unknown(g, name);
	help(ctx);
	group_usage(g, stdout);
	return RC_OK;
}

/*
 * "vmkeepctl GROUP VERB ...", and for bash completion and
 * tools/check-synopsis.sh "GROUP --list-cmds" and "GROUP --list-opts VERB".
 */
int group_run(const struct cmd_group *g, int argc, char **argv, struct ctx *ctx)
{
	bool lo = argc == 3 && !strcmp(argv[1], "--list-opts");
	size_t i, skip = strlen(g->name) + 1;
	const struct cmd *sub;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		help(ctx);
		group_usage(g, stdout);
		return argc < 2 ? RC_USAGE : RC_OK;
	}
	if (!strcmp(argv[1], "--list-cmds")) {
		for (i = 0; i < g->nr; i++)
			printf("%s\n", g->cmds[i].name + skip);
		return RC_OK;
	}
	sub = group_find(g, argv[lo ? 2 : 1]);
	if (!sub)
		return group_unknown(g, argv[lo ? 2 : 1]);
	if (lo) {
		list_opts(sub);
		return RC_OK;
	}
	ctx->cmd = sub;
	return sub->fn(argc - 1, argv + 1, ctx);
}
