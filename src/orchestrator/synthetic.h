/* The stand-in trainer (`trainer = synthetic`): curves from a known law with seeded
 * noise, at almost no cost, so that scheduling, storage, resume and the fit can be tested
 * at scale in seconds. The law is Chinchilla's published fit,
 *     L(N, D) = E + A / N^alpha + B / D^beta,
 * E = 1.69, A = 406.4, B = 410.7, alpha = 0.34, beta = 0.28, evaluated at every
 * evaluation point of the run's real schedule (the same steps, tokens and FLOPs as the
 * transformer would report), each test loss multiplied by (1 + 0.005 z), z ~ N(0, 1) drawn
 * from the run's seed and configuration. The training loss is the law at that point
 * plus 0.02. A run with lr >= 1 "diverges" at its second evaluation, so that the
 * handling of diverged runs can be tested too.
 *
 * Sources. Source j of a plan has a law of its own (synthetic_source_loss): that law with
 * E_j = E + 0.1 j, alpha_j = alpha x (1, 0.85, 1.15, 0.7)[j mod 4], beta_j = beta x (1, 1.1,
 * 0.9, 1.2)[j mod 4] (A and B as they are), plus 0.2 x (1 - the run's share of j) for text it
 * trained less on; each source's loss has its own noise, and the run's test loss is the
 * mixture's shares of them, as for the transformer. Source 0 of a run on one source is the
 * law above, draw for draw. */
#ifndef SCALESWEEP_SYNTHETIC_H
#define SCALESWEEP_SYNTHETIC_H

#include <stdint.h>

#include "train.h"

#define SYNTHETIC_E 1.69
#define SYNTHETIC_A 406.4
#define SYNTHETIC_B 410.7
#define SYNTHETIC_ALPHA 0.34
#define SYNTHETIC_BETA 0.28
#define SYNTHETIC_NOISE 0.005

/* The stand-in's time model ([synthetic] in a plan), so that a sweep of a real plan's cost
 * profile runs on many ranks of a small machine, its ranks asleep while their runs "train":
 * a run of width w takes
 *     steps x step_seconds + 6ND x (the share of its batch on the busiest rank)
 *                            / flops_per_second / width_efficiency^ceil(log2 w)
 * seconds (a rank of a wide run holds train_shards_per_member of the batch's shards). */
typedef struct {
    double flops_per_second; /* one rank's speed; 0: no time model, runs take no time */
    double step_seconds;     /* per-step overhead */
    double width_efficiency; /* what each doubling of the width keeps, in (0, 1] */
} synthetic_time;

double synthetic_seconds(const synthetic_time *time, const train_config *config, int width);
/* The time model is linear in the steps, so a run stepped in parts takes as long in all as
 * one slept at once: sleeps until `step` of the run's train_total_steps is due, at
 * start + synthetic_seconds x step / total (start: clock_seconds() when its first step
 * began), through signals too (the stand-in runs to its end). */
void synthetic_wait_until(const synthetic_time *time, const train_config *config, int width,
                          double start, int64_t step);
/* How many steps the stand-in takes at most in one step of the runner: as many as its time
 * model gives a quarter of a second, so that its progress shows while it "trains" (every
 * step without a time model). The same on every member of a wide run. */
int64_t synthetic_steps_at_once(const synthetic_time *time, const train_config *config, int width);

/* The stand-in's response to its hyperparameters ([synthetic] lr_optimum, batch_optimum), so
 * that the envelope and the optimum laws can be tested against a known optimum: with
 * lr_optimum > 0 every loss (before its noise) is multiplied by
 *     1 + SYNTHETIC_LR_CURVATURE ln^2(lr / lr_opt(N)),  lr_opt(N) = lr_optimum (N / 1e6)^SYNTHETIC_LR_EXPONENT,
 * and with batch_optimum > 0 by
 *     1 + SYNTHETIC_BATCH_CURVATURE ln^2(batch / batch_opt(C)),  batch_opt(C) = batch_optimum (C / 1e15)^SYNTHETIC_BATCH_EXPONENT,
 * C = 6ND of the whole run: a factor of two off the optimum costs 4.8% and 2.4%, far above
 * the noise. Both 0 (the default): the law alone, whatever lr and batch. */
#define SYNTHETIC_LR_CURVATURE 0.1
#define SYNTHETIC_LR_EXPONENT -0.3
#define SYNTHETIC_BATCH_CURVATURE 0.05
#define SYNTHETIC_BATCH_EXPONENT 0.3
typedef struct {
    double lr_optimum;
    double batch_optimum;
} synthetic_tuning;
/* The factor a run's hyperparameters multiply its loss by (1 with tuning NULL or both 0). */
double synthetic_tuning_factor(const synthetic_tuning *tuning, const train_config *c);

/* The law itself, without noise. */
double synthetic_loss(double n_params, double tokens);
/* Source j's law without noise, for a run whose mixture gives j that share. */
double synthetic_source_loss(int source, double share, double n_params, double tokens);
/* Source j's exponents alpha_j and beta_j and its E_j (without the off-mixture term). */
void synthetic_source_law(int source, double *e, double *alpha, double *beta);

/* Runs the stand-in: fills *points (malloc'd, *n_points of them) and *result, whose
 * reason points to static text. seed_hash mixes the run's identity into the noise; tuning
 * (may be NULL) adds the hyperparameters' penalty to every loss. */
int synthetic_run(const train_config *config, const synthetic_tuning *tuning, uint64_t seed_hash,
                  curve_point **points, int64_t *n_points, train_result *result);

#endif
