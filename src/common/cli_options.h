/* The command lines of scalesweep's commands (`train`, `fit`, the sweep): one table of
 * options per command drives getopt_long, the conversion and range check of each value,
 * and --help, so that what a command accepts and what its help says cannot drift apart.
 * Numbers go through units.c, as in plans: 1e6, 2M, 3k.
 *
 *   static const cli_option options[] = {{"tokens", CLI_COUNT, "D", "tokens to train on"}, ...};
 *   int first;
 *   int status = cli_parse("scalesweep train", USAGE, options, COUNT, argc, argv, set, &o,
 *                          &first);     0: go on, 1: --help was printed, -1: error printed */
#ifndef SCALESWEEP_CLI_OPTIONS_H
#define SCALESWEEP_CLI_OPTIONS_H

#include <stdint.h>
#include <stdio.h>

typedef enum {
    CLI_FLAG,         /* no value */
    CLI_INT,          /* a whole number from 0 to 1e9 */
    CLI_COUNT,        /* a whole non-negative number */
    CLI_REAL,         /* a finite real */
    CLI_TEXT,         /* any text */
    CLI_OPTIONAL_TEXT /* --name alone, or --name=TEXT */
} cli_kind;

typedef struct {
    const char *name;    /* the option is --name */
    cli_kind kind;
    const char *metavar; /* the value in --help ("N", "PATH"; "[=FILE]" for optional text) */
    const char *help;    /* one line, with the default in parentheses */
    char letter;         /* also -letter (0: none) */
} cli_option;

/* An option's value, converted by its kind. */
typedef struct {
    const char *text; /* as given; NULL for a flag, or an optional text given without one */
    int64_t count;    /* CLI_INT and CLI_COUNT */
    double real;      /* CLI_REAL */
} cli_value;

/* Takes one option (id: its index in the table) with its converted value. Returns 0, or -1
 * after saying what is wrong (cli_bad_value). */
typedef int (*cli_setter)(void *user, int id, const cli_value *value);

/* Parses argv[1..] (argv[0] is the command's name). Each option's value is converted by its
 * kind, then handed to set. -h and --help (an option named "help" in the table) print usage,
 * a blank line and the table on stdout. What is not an option is an operand: getopt_long
 * moves operands to the end, and *first_operand is the index of the first (argc if none).
 * Returns 0 to go on, 1 after --help, -1 after an error printed on stderr as
 * "PROGRAM: ... (see PROGRAM --help)". */
int cli_parse(const char *program, const char *usage, const cli_option *options,
              int n_options, int argc, char **argv, cli_setter set, void *user,
              int *first_operand);

/* usage (as is), a blank line, then one line per option: "  --name METAVAR   help". */
void cli_print_help(FILE *out, const char *usage, const cli_option *options, int n_options);

/* "PROGRAM: --NAME VALUE: expected EXPECTED" on stderr; returns -1. */
int cli_bad_value(const char *program, const cli_option *option, const char *value,
                  const char *expected);

#endif
