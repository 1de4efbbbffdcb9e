#include "corpus.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int read_file(const char *path, uint8_t **data, int64_t *size, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    if (fseek(f, 0, SEEK_END) != 0) {
        snprintf(err, errlen, "%s: cannot seek: %s", path, strerror(errno));
        fclose(f);
        return -1;
    }
    long n = ftell(f);
    rewind(f);
    uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
    if (!buf || n < 0 || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        snprintf(err, errlen, "%s: cannot read", path);
        free(buf);
        fclose(f);
        return -1;
    }
    fclose(f);
    *data = buf;
    *size = n;
    return 0;
}

int corpus_load(corpus *c, const char *path, double test_fraction, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "%s: cannot open corpus: %s", path, strerror(errno));
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        char file[4096];
        snprintf(file, sizeof file, "%s/" CORPUS_TRAIN_FILE, path);
        if (read_file(file, &c->train, &c->train_size, err, errlen) != 0)
            return -1;
        snprintf(file, sizeof file, "%s/" CORPUS_TEST_FILE, path);
        if (read_file(file, &c->test, &c->test_size, err, errlen) != 0) {
            corpus_free(c);
            return -1;
        }
    } else {
        if (!(test_fraction > 0.0 && test_fraction < 1.0)) {
            snprintf(err, errlen, "%s: test fraction %g must lie in (0, 1)", path, test_fraction);
            return -1;
        }
        uint8_t *all;
        int64_t n;
        if (read_file(path, &all, &n, err, errlen) != 0)
            return -1;
        int64_t n_test = (int64_t)floor((double)n * test_fraction);
        c->train_size = n - n_test;
        c->test_size = n_test;
        c->train = malloc(c->train_size > 0 ? (size_t)c->train_size : 1);
        c->test = malloc(n_test > 0 ? (size_t)n_test : 1);
        if (!c->train || !c->test) {
            free(all);
            corpus_free(c);
            snprintf(err, errlen, "%s: out of memory", path);
            return -1;
        }
        memcpy(c->train, all, (size_t)c->train_size);
        memcpy(c->test, all + c->train_size, (size_t)n_test);
        free(all);
    }
    if (c->train_size < 2 || c->test_size < 2) {
        snprintf(err, errlen, "%s: corpus too small (%lld training, %lld test bytes)", path,
                 (long long)c->train_size, (long long)c->test_size);
        corpus_free(c);
        return -1;
    }
    return 0;
}

void corpus_free(corpus *c)
{
    free(c->train);
    free(c->test);
    memset(c, 0, sizeof *c);
}

double corpus_unigram_entropy(const uint8_t *text, int64_t n)
{
    int64_t counts[256] = {0};
    for (int64_t i = 0; i < n; i++)
        counts[text[i]]++;
    double h = 0.0;
    for (int i = 0; i < 256; i++) {
        if (counts[i] == 0)
            continue;
        double p = (double)counts[i] / (double)n;
        h -= p * log(p);
    }
    return h;
}

/* Brown's genres (by the letter of their documents, ca.. to cr..) and the usual groups of them:
 * each is a source (a folder of train.txt and test.txt) of corpus_prepare_brown. */
const corpus_brown_source corpus_brown_sources[] = {
    {"reportage", "A", "press: reportage"},
    {"editorial", "B", "press: editorial"},
    {"reviews", "C", "press: reviews"},
    {"religion", "D", "religion"},
    {"hobbies", "E", "skill and hobbies"},
    {"lore", "F", "popular lore"},
    {"belles_lettres", "G", "belles-lettres, biography, memoirs"},
    {"government", "H", "miscellaneous: government, house organs, reports"},
    {"learned", "J", "learned and scientific writing"},
    {"general_fiction", "K", "general fiction"},
    {"mystery", "L", "mystery and detective fiction"},
    {"science_fiction", "M", "science fiction"},
    {"adventure", "N", "adventure and western fiction"},
    {"romance", "P", "romance and love story"},
    {"humor", "R", "humor"},
    {"press", "ABC", "the press: reportage, editorial, reviews"},
    {"general", "DEFGH", "general prose: religion to government"},
    {"fiction", "KLMNPR", "imaginative prose: every kind of fiction and humor"},
    {"nonfiction", "ABCDEFGHJ", "informative prose: the press, general prose, learned"},
    {"all", "ABCDEFGHJKLMNPR", "every genre: the same text as the corpus's own files"},
};
const int corpus_brown_source_count =
    (int)(sizeof corpus_brown_sources / sizeof *corpus_brown_sources);

/* The conversion's files, by index: the whole corpus's train.txt, test.txt and heldout.txt,
 * then each source's train.txt and test.txt (3 + 2 k and 4 + 2 k for source k). */
enum { BROWN_FILES = 3 + 2 * (int)(sizeof corpus_brown_sources / sizeof *corpus_brown_sources) };

static void brown_file(const char *out_dir, int f, char *path, size_t size)
{
    static const char *const whole[3] = {CORPUS_TRAIN_FILE, CORPUS_TEST_FILE, "heldout.txt"};
    if (f < 3)
        snprintf(path, size, "%s/%s", out_dir, whole[f]);
    else
        snprintf(path, size, "%s/" CORPUS_SOURCES_DIR "/%s/%s", out_dir,
                 corpus_brown_sources[(f - 3) / 2].name,
                 (f - 3) % 2 == 0 ? CORPUS_TRAIN_FILE : CORPUS_TEST_FILE);
}

static int make_folder(const char *path, char *err, size_t errlen)
{
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "%s: cannot make the folder: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Brown document ids: two lowercase letters 'c' + genre (a..r), two digits. */
static int is_brown_id(const char *name)
{
    return strlen(name) == 4 && name[0] == 'c' && name[1] >= 'a' && name[1] <= 'r' &&
           isdigit((unsigned char)name[2]) && isdigit((unsigned char)name[3]);
}

static int compare_names(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

/* Writes one tagged document as plain text: each word/tag token becomes its word (cut at
 * the last '/'), the Brown quote marks `` and '' become ", and every non-empty line of
 * tokens becomes one line of words separated by single spaces. */
static void write_plain(FILE *out, const uint8_t *text, int64_t n)
{
    int64_t i = 0;
    while (i < n) {
        int64_t line_end = i;
        while (line_end < n && text[line_end] != '\n')
            line_end++;
        int words = 0;
        int64_t j = i;
        while (j < line_end) {
            while (j < line_end && isspace(text[j]))
                j++;
            int64_t start = j;
            while (j < line_end && !isspace(text[j]))
                j++;
            if (j == start)
                continue;
            int64_t cut = j;
            for (int64_t k = j - 1; k > start; k--) {
                if (text[k] == '/') {
                    cut = k;
                    break;
                }
            }
            if (words++ > 0)
                fputc(' ', out);
            int64_t len = cut - start;
            if ((len == 2 && text[start] == '`' && text[start + 1] == '`') ||
                (len == 2 && text[start] == '\'' && text[start + 1] == '\''))
                fputc('"', out);
            else
                fwrite(text + start, 1, (size_t)len, out);
        }
        if (words > 0)
            fputc('\n', out);
        i = line_end + 1;
    }
}

int corpus_prepare_brown(const char *src_dir, const char *out_dir, char *err, size_t errlen)
{
    DIR *dir = opendir(src_dir);
    if (!dir) {
        snprintf(err, errlen, "%s: cannot open the Brown corpus folder: %s", src_dir,
                 strerror(errno));
        return -1;
    }
    char (*names)[8] = malloc(1024 * sizeof *names);
    int n = 0;
    struct dirent *e;
    while (names && (e = readdir(dir)) != NULL) {
        if (is_brown_id(e->d_name) && n < 1024)
            snprintf(names[n++], sizeof names[0], "%s", e->d_name);
    }
    closedir(dir);
    if (!names || n == 0) {
        snprintf(err, errlen, "%s: %s", src_dir,
                 names ? "no Brown documents (ca01..cr09) found" : "out of memory");
        free(names);
        return -1;
    }
    qsort(names, (size_t)n, sizeof names[0], compare_names);

    /* Hold out max(1, round(5%)) documents of every genre, evenly spread through it. */
    char *held = calloc((size_t)n, 1);
    if (!held) {
        snprintf(err, errlen, "%s: out of memory", src_dir);
        free(names);
        return -1;
    }
    int first = 0;
    while (first < n) {
        int last = first;
        while (last < n && names[last][1] == names[first][1])
            last++;
        int count = last - first;
        int k = (int)floor(count * 0.05 + 0.5);
        k = k < 1 ? 1 : k;
        for (int i = 0; i < k; i++)
            held[first + (int)((i + 0.5) * count / k)] = 1;
        first = last;
    }

    int status = 0;
    FILE *files[BROWN_FILES];
    const int n_files = BROWN_FILES;
    memset(files, 0, sizeof files);
    char path[4096];
    if (make_folder(out_dir, err, errlen) != 0)
        status = -1;
    snprintf(path, sizeof path, "%s/" CORPUS_SOURCES_DIR, out_dir);
    if (status == 0 && make_folder(path, err, errlen) != 0)
        status = -1;
    for (int f = 0; f < n_files && status == 0; f++) {
        if (f >= 3 && (f - 3) % 2 == 0) { /* a source's folder, before its first file */
            snprintf(path, sizeof path, "%s/" CORPUS_SOURCES_DIR "/%s", out_dir,
                     corpus_brown_sources[(f - 3) / 2].name);
            if (make_folder(path, err, errlen) != 0) {
                status = -1;
                break;
            }
        }
        brown_file(out_dir, f, path, sizeof path);
        if (!(files[f] = fopen(path, "wb"))) {
            snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
            status = -1;
        }
    }
    for (int i = 0; i < n && status == 0; i++) {
        uint8_t *text;
        int64_t size;
        snprintf(path, sizeof path, "%s/%s", src_dir, names[i]);
        if (read_file(path, &text, &size, err, errlen) != 0) {
            status = -1;
            break;
        }
        const int test = held[i];
        const char genre = (char)(names[i][1] - 'a' + 'A');
        for (int f = 0; f < n_files; f++) {
            const int takes = f < 3 ? f == test
                                    : (f - 3) % 2 == test &&
                                          strchr(corpus_brown_sources[(f - 3) / 2].genres, genre);
            if (!takes)
                continue;
            write_plain(files[f], text, size);
            fputc('\n', files[f]); /* a blank line between documents */
        }
        if (test)
            fprintf(files[2], "%s\n", names[i]);
        free(text);
    }
    for (int f = 0; f < n_files; f++) {
        if (files[f] && fclose(files[f]) != 0 && status == 0) {
            brown_file(out_dir, f, path, sizeof path);
            snprintf(err, errlen, "%s: write failed", path);
            status = -1;
        }
    }
    free(names);
    free(held);
    return status;
}
