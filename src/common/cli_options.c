#include "cli_options.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"

/* getopt_long's val of table entry i: above every character. */
#define CLI_VALUE_BASE 1000

void cli_print_help(FILE *out, const char *usage, const cli_option *options, int n_options)
{
    fprintf(out, "%s\n", usage);
    for (int i = 0; i < n_options; i++) {
        const cli_option *o = &options[i];
        char left[64], letter[8] = "";
        if (o->letter)
            snprintf(letter, sizeof letter, "-%c, ", o->letter);
        if (o->kind == CLI_OPTIONAL_TEXT)
            snprintf(left, sizeof left, "%s--%s%s", letter, o->name, o->metavar ? o->metavar : "");
        else if (o->metavar)
            snprintf(left, sizeof left, "%s--%s %s", letter, o->name, o->metavar);
        else
            snprintf(left, sizeof left, "%s--%s", letter, o->name);
        fprintf(out, "  %-24s %s\n", left, o->help);
    }
}

int cli_bad_value(const char *program, const cli_option *option, const char *value,
                  const char *expected)
{
    fprintf(stderr, "%s: --%s %s: expected %s\n", program, option->name, value ? value : "",
            expected);
    return -1;
}

/* The value of an option, converted and checked by its kind. */
static int convert(const char *program, const cli_option *o, const char *text, cli_value *v)
{
    memset(v, 0, sizeof *v);
    v->text = text;
    switch (o->kind) {
    case CLI_INT:
    case CLI_COUNT:
        if (units_parse_count(text, &v->count) != 0)
            return cli_bad_value(program, o, text, "a whole non-negative number");
        if (o->kind == CLI_INT && v->count > 1000000000)
            return cli_bad_value(program, o, text, "a number below 1e9");
        return 0;
    case CLI_REAL:
        if (units_parse_real(text, &v->real) != 0)
            return cli_bad_value(program, o, text, "a number");
        return 0;
    case CLI_FLAG:
    case CLI_TEXT:
    case CLI_OPTIONAL_TEXT:
        return 0;
    }
    return 0;
}

int cli_parse(const char *program, const char *usage, const cli_option *options,
              int n_options, int argc, char **argv, cli_setter set, void *user,
              int *first_operand)
{
    *first_operand = argc;
    struct option *longopts = calloc((size_t)n_options + 1, sizeof *longopts);
    if (!longopts) {
        fprintf(stderr, "%s: out of memory\n", program);
        return -1;
    }
    int help = -1;
    /* ":h" and the letters: "o:" for one with a value */
    char letters[3 + 2 * 64] = ":h";
    size_t used = 2;
    for (int i = 0; i < n_options; i++) {
        if (options[i].letter && used + 3 < sizeof letters) {
            letters[used++] = options[i].letter;
            if (options[i].kind != CLI_FLAG && options[i].kind != CLI_OPTIONAL_TEXT)
                letters[used++] = ':';
            letters[used] = '\0';
        }
        longopts[i].name = options[i].name;
        longopts[i].has_arg = options[i].kind == CLI_FLAG            ? no_argument
                              : options[i].kind == CLI_OPTIONAL_TEXT ? optional_argument
                                                                     : required_argument;
        longopts[i].flag = NULL;
        longopts[i].val = CLI_VALUE_BASE + i;
        if (strcmp(options[i].name, "help") == 0)
            help = i;
    }
    optind = 1;
    opterr = 0;
    int status = 0, c;
    while (status == 0 && (c = getopt_long(argc, argv, letters, longopts, NULL)) != -1) {
        for (int i = 0; i < n_options; i++)
            if (c != 'h' && c < CLI_VALUE_BASE && options[i].letter == c)
                c = CLI_VALUE_BASE + i;
        if (c == 'h' || (help >= 0 && c == CLI_VALUE_BASE + help)) {
            cli_print_help(stdout, usage, options, n_options);
            status = 1;
        } else if (c == '?' || c == ':') {
            fprintf(stderr, "%s: %s '%s' (see %s --help)\n", program,
                    c == '?' ? "unknown option" : "missing value for", argv[optind - 1],
                    program);
            status = -1;
        } else {
            const int id = c - CLI_VALUE_BASE;
            cli_value value;
            if (convert(program, &options[id], optarg, &value) != 0 ||
                set(user, id, &value) != 0)
                status = -1;
        }
    }
    free(longopts);
    *first_operand = optind;
    return status;
}
