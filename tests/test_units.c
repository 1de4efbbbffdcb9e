/* Numbers as people write them (src/common/units.c), the one parser of numbers in plans,
 * on command lines and in CSV files: suffixes, exponents, exact large counts, what is not
 * a count, measurements that are not finite, and digits grouped for reading. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "units.h"

static void count_is(const char *text, int64_t want)
{
    int64_t got = -1;
    int status = units_parse_count(text, &got);
    check(status == 0 && got == want, "count '%s' = %lld (status %d, got %lld)", text,
          (long long)want, status, (long long)got);
}

static void not_a_count(const char *text)
{
    int64_t got = 0;
    check(units_parse_count(text, &got) != 0, "'%s' is not a count (got %lld)", text,
          (long long)got);
}

int main(void)
{
    count_is("2000", 2000);
    count_is("2K", 2000);
    count_is("2k", 2000);
    count_is("2.5k", 2500);
    count_is("3M", 3000000);
    count_is("1G", 1000000000);
    count_is("1B", 1000000000);
    count_is("2T", 2000000000000LL);
    count_is("1e6", 1000000);
    count_is("0", 0);
    /* plain digits are exact beyond what a double holds */
    count_is("9007199254740993", 9007199254740993LL);
    count_is("9000000000000000000", 9000000000000000000LL);
    not_a_count("1.5");
    not_a_count("-1");
    not_a_count("1e19");
    not_a_count("9000000000000000001");
    not_a_count("1e16"); /* above 2^53 in exponent form: not exact, refused */
    not_a_count("2x");
    not_a_count("");
    not_a_count("K");
    not_a_count("nan");

    double real = 0;
    check(units_parse_real("3e-4", &real) == 0 && real == 3e-4, "real 3e-4");
    check(units_parse_real("2.5k", &real) == 0 && real == 2500.0, "real 2.5k");
    check(units_parse_real("inf", &real) != 0 && units_parse_real("nan", &real) != 0,
          "a real is finite");
    check(units_parse_measurement("nan", &real) == 0 && isnan(real), "measurement nan");
    check(units_parse_measurement("NaN", &real) == 0 && isnan(real), "measurement NaN");
    check(units_parse_measurement("-inf", &real) == 0 && real < 0 && isinf(real),
          "measurement -inf");
    check(units_parse_measurement("2.5", &real) == 0 && real == 2.5, "measurement 2.5");
    check(units_parse_measurement("low", &real) != 0 && units_parse_measurement("", &real) != 0,
          "a word or nothing is no measurement");

    char buffer[32];
    check(strcmp(units_group_digits(1234567, buffer), "1,234,567") == 0, "1,234,567");
    check(strcmp(units_group_digits(-1000, buffer), "-1,000") == 0, "-1,000");
    check(strcmp(units_group_digits(999, buffer), "999") == 0, "999");
    check(strcmp(units_group_digits(INT64_MIN, buffer), "-9,223,372,036,854,775,808") == 0,
          "INT64_MIN: %s", buffer);
    return test_report("test_units");
}
