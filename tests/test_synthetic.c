/* The stand-in trainer follows its law, repeats itself, and diverges when told to. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "synthetic.h"

int main(void)
{
    train_config c;
    train_config_defaults(&c);
    c.model = (model_config){2, 64, 2, 64, MODEL_TRANSFORMER};
    c.batch = 8;
    c.tokens = 1000 * 8 * 64;
    c.eval_interval = 100;
    curve_point *p, *q;
    int64_t n, m;
    train_result r, s;
    check(synthetic_run(&c, NULL, 42, &p, &n, &r) == 0, "synthetic run");
    check(n == 10 && p[n - 1].step == 1000 && r.steps == 1000, "ten points, 1000 steps");
    double N = (double)net_count_nonembedding(&c.model);
    double worst = 0, mean = 0;
    for (int64_t i = 0; i < n; i++) {
        double law = synthetic_loss(N, (double)p[i].tokens);
        double z = (p[i].test_loss / law - 1.0) / SYNTHETIC_NOISE;
        worst = fmax(worst, fabs(z));
        mean += z / n;
        check(p[i].tokens == p[i].step * 8 * 64 && p[i].flops == 6.0 * N * p[i].tokens,
              "point %lld: tokens and flops", (long long)i);
    }
    check(worst < 4.5, "noise within 4.5 sigma (worst %.2f)", worst);
    check(fabs(mean) < 1.5, "noise centred (mean z %.2f over 10 points)", mean);
    check(r.final_test_loss == p[n - 1].test_loss && r.status == RUN_OK, "result");
    check(synthetic_run(&c, NULL, 42, &q, &m, &s) == 0 && m == n &&
              memcmp(p, q, sizeof *p * (size_t)n) == 0,
          "same seed and identity: same curve");
    free(q);
    check(synthetic_run(&c, NULL, 43, &q, &m, &s) == 0 && q[0].test_loss != p[0].test_loss,
          "another identity: other noise");
    free(q);
    c.lr = 1.0f;
    check(synthetic_run(&c, NULL, 42, &q, &m, &s) == 0 && s.status == RUN_DIVERGED && m == 2 &&
              isnan(q[1].test_loss),
          "lr >= 1 diverges at the second evaluation");
    free(q);
    free(p);
    return test_report("test_synthetic");
}
