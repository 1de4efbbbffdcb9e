/* The default corpus: the Brown Corpus converted deterministically, its held-out
 * documents spread over every genre and never trained on, and a short run on it that
 * brings the held-out loss well below the unigram entropy of the text.
 *
 *   test_brown DATA_DIR NPM_PACKAGE_DIR   (both made by ./setup.sh) */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "corpus.h"
#include "train.h"

static char *read_all(const char *path, long *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    *size = ftell(f);
    rewind(f);
    char *buf = malloc(*size + 1);
    if (fread(buf, 1, *size, f) != (size_t)*size)
        *size = 0;
    buf[*size] = '\0';
    fclose(f);
    return buf;
}

/* The file of a source (or of the whole corpus: source NULL) of a converted folder. */
static char *read_source(const char *dir, const char *source, const char *file, long *size)
{
    char path[4096];
    if (source)
        snprintf(path, sizeof path, "%s/" CORPUS_SOURCES_DIR "/%s/%s", dir, source, file);
    else
        snprintf(path, sizeof path, "%s/%s", dir, file);
    *size = 0;
    return read_all(path, size);
}

/* Every genre and group is a source; a group is its genres' documents in order, "all" is the
 * whole corpus, and each source's held-out text can take the default evaluation. */
static void test_sources(const char *dir)
{
    const char *files[] = {CORPUS_TRAIN_FILE, CORPUS_TEST_FILE};
    for (int f = 0; f < 2; f++) {
        long whole_size;
        char *whole = read_source(dir, NULL, files[f], &whole_size);
        long genre_total = 0;
        for (int i = 0; i < corpus_brown_source_count; i++) {
            const corpus_brown_source *s = &corpus_brown_sources[i];
            long size;
            char *text = read_source(dir, s->name, files[f], &size);
            check(text && size > (f == 1 ? 8192 : 50000), "source %s: %s has %ld bytes", s->name,
                  files[f], size);
            if (strlen(s->genres) == 1) {
                genre_total += size;
            } else {
                /* the concatenation of its genres, in order */
                long at = 0;
                int same = 1;
                for (const char *g = s->genres; *g && same; g++) {
                    for (int j = 0; j < corpus_brown_source_count; j++) {
                        const corpus_brown_source *genre = &corpus_brown_sources[j];
                        if (strlen(genre->genres) != 1 || genre->genres[0] != *g)
                            continue;
                        long n;
                        char *part = read_source(dir, genre->name, files[f], &n);
                        same = part && at + n <= size && memcmp(text + at, part, (size_t)n) == 0;
                        at += n;
                        free(part);
                    }
                }
                check(same && at == size, "source %s (%s) is its genres' %s in order", s->name,
                      s->genres, files[f]);
            }
            if (strcmp(s->name, "all") == 0)
                check(size == whole_size && memcmp(text, whole, (size_t)size) == 0,
                      "source all is the whole corpus's %s", files[f]);
            free(text);
        }
        check(genre_total == whole_size, "the 15 genres' %s add up to the whole (%ld, %ld)",
              files[f], genre_total, whole_size);
        free(whole);
    }
}

static void test_conversion(const char *data_dir, const char *npm_dir)
{
    /* converting again gives the same bytes */
    char tmp[] = "/tmp/scalesweep_brown_XXXXXX";
    check(mkdtemp(tmp) != NULL, "mkdtemp");
    char err[512];
    check(corpus_prepare_brown(npm_dir, tmp, err, sizeof err) == 0, "convert: %s", err);
    test_sources(tmp);
    const char *files[] = {"train.txt", "test.txt", "heldout.txt"};
    char *texts[3];
    long sizes[3];
    for (int i = 0; i < 3; i++) {
        char a[4096], b[4096];
        snprintf(a, sizeof a, "%s/%s", data_dir, files[i]);
        snprintf(b, sizeof b, "%s/%s", tmp, files[i]);
        long na = 0, nb = 0;
        texts[i] = read_all(a, &na);
        char *again = read_all(b, &nb);
        check(texts[i] && again && na == nb && memcmp(texts[i], again, na) == 0,
              "%s converts to the same bytes twice", files[i]);
        sizes[i] = na;
        free(again);
        remove(b);
    }
    char command[4200];
    snprintf(command, sizeof command, "rm -r '%s'", tmp);
    check(system(command) == 0, "remove %s", tmp);

    /* held out: 25 documents (5%), at least one of each of the 15 genres */
    int docs = 0, genres[26] = {0}, n_genres = 0;
    for (char *line = texts[2]; line && *line; line = strchr(line, '\n') + 1) {
        docs++;
        if (!genres[line[1] - 'a']++)
            n_genres++;
        if (!strchr(line, '\n'))
            break;
    }
    check(docs == 25, "25 held-out documents, got %d", docs);
    check(n_genres == 15, "held-out documents cover all 15 genres, got %d", n_genres);

    /* tags are gone, and held-out text is not in the training text */
    check(strstr(texts[0], "/at ") == NULL && strstr(texts[0], "/nn ") == NULL,
          "no word/tag pairs remain");
    check(sizes[0] > 5000000 && sizes[1] > 200000, "sizes: %ld train, %ld test", sizes[0],
          sizes[1]);
    int leaked = 0, probes = 0;
    for (char *line = texts[1]; line && *line && probes < 200; probes++) {
        char *end = strchr(line, '\n');
        if (!end)
            break;
        if (end - line > 80) { /* long sentences are unique to their document */
            *end = '\0';
            leaked += strstr(texts[0], line) != NULL;
            *end = '\n';
        }
        line = end + 1;
    }
    check(leaked == 0, "no long held-out sentence appears in the training text (%d do)", leaked);
    for (int i = 0; i < 3; i++)
        free(texts[i]);
}

/* A run of either architecture (2 x 64: the transformer with 4 heads) on Brown, 400k tokens. */
static void test_learning(const char *data_dir, int architecture)
{
    const char *name = net_architecture_names[architecture];
    corpus data;
    char err[512];
    check(corpus_load(&data, data_dir, 0.05, err, sizeof err) == 0, "load: %s", err);
    double entropy = corpus_unigram_entropy(data.test, data.test_size);
    check(entropy > 2.9 && entropy < 3.3, "unigram entropy of the held-out text: %.4f nats",
          entropy);

    train_config c;
    train_config_defaults(&c);
    c.model = (model_config){2, 64, architecture == MODEL_LSTM ? 0 : 4, 64, architecture};
    c.batch = 16;
    c.tokens = 400000;
    c.lr = 4e-3f;
    c.eval_tokens = 16384;
    train_run run;
    check(train_run_init(&run, &c, &data, err, sizeof err) == 0, "init: %s", err);
    while (train_run_step(&run) == RUN_RUNNING) {
    }
    train_result r;
    train_run_result(&run, &r);
    printf("Brown: unigram entropy %.4f nats/byte; after %lld tokens the %s's held-out loss is "
           "%.4f nats/token (%.4f bits/byte)\n",
           entropy, (long long)r.tokens, name, r.final_test_loss,
           train_run_bits_per_byte(r.final_test_loss));
    check(r.status == RUN_OK, "%s: run ok", name);
    check(r.final_test_loss < entropy - 0.5,
          "%s: held-out loss %.4f is well below the unigram entropy %.4f (by more than 0.5 nats)",
          name, r.final_test_loss, entropy);
    train_run_free(&run);
    corpus_free(&data);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: test_brown DATA_DIR NPM_PACKAGE_DIR\n");
        return 2;
    }
    if (access(argv[1], R_OK) != 0 || access(argv[2], R_OK) != 0) {
        fprintf(stderr, "test_brown: %s or %s is missing: ./setup.sh test prepares them\n",
                argv[1], argv[2]);
        return 1;
    }
    test_conversion(argv[1], argv[2]);
    test_learning(argv[1], MODEL_TRANSFORMER);
    test_learning(argv[1], MODEL_LSTM);
    return test_report("test_brown");
}
