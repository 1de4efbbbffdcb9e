/* The whole model: parameter counts, batch independence, and every gradient of the
 * mean loss against central finite differences. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "net_check.h"
#include "model.h"
#include "net.h"
#include "rng.h"

static void randomise(model *m, rng_state *rng)
{
    /* larger than the GPT-2 init, and gains and biases off their defaults, so that every
     * gradient is well above the finite-difference noise */
    for (int t = 0, offset = 0; t < MODEL_NUM_TENSORS; offset += (int)m->param_sizes[t], t++) {
        const char *name = model_tensor_name(t);
        int gain = strstr(name, "ln") && name[strlen(name) - 1] == 'w';
        for (size_t i = 0; i < m->param_sizes[t]; i++)
            m->params_memory[offset + i] = gain ? 1.0f + 0.2f * rng_normal(rng)
                                                : 0.3f * rng_normal(rng);
    }
}

static void test_counts(void)
{
    model_config c = {3, 48, 4, 32, MODEL_TRANSFORMER};
    int64_t L = 3, C = 48;
    check(model_count_nonembedding(&c) == L * (12 * C * C + 13 * C) + 2 * C,
          "N = L (12 C^2 + 13 C) + 2C, got %lld", (long long)model_count_nonembedding(&c));
    check(model_count_total(&c) == model_count_nonembedding(&c) + 256 * C + 32 * C,
          "N_total = N + V C + n_ctx C");
    check(net_flops_per_token(&c) == 6.0 * model_count_nonembedding(&c), "6N flops per token");
    check(net_flops_per_token_attention(&c) ==
              6.0 * model_count_nonembedding(&c) + 6.0 * 3 * 32 * 48,
          "attention-inclusive flops per token");
    /* the inverse that shape generation uses gives back the width of the count */
    double worst = 0.0;
    for (int layers = 1; layers <= 64; layers *= 2)
        for (int width = 8; width <= 8192; width *= 2) {
            model_config shape = {layers, width, 1, 64, MODEL_TRANSFORMER};
            double n = (double)model_count_nonembedding(&shape);
            worst = fmax(worst, fabs(model_width_for_nonembedding(layers, n) / width - 1.0));
        }
    check(worst < 1e-9, "the width for N inverts the count (worst relative error %.2e)", worst);
    model_config bad = {2, 30, 4, 16, MODEL_TRANSFORMER};
    check(model_config_error(&bad) != NULL, "d_model not divisible by n_head is refused");
}

int main(void)
{
    test_counts();

    model_config config = {2, 16, 2, 8, MODEL_TRANSFORMER};
    const int B = 2, T = config.n_ctx;
    net n;
    check(net_init(&n, &config, B, 1) == 0, "net_init");
    rng_state rng;
    rng_seed(&rng, 99, 0);
    randomise(&n.transformer, &rng);
    uint8_t inputs[16], targets[16];
    for (int i = 0; i < B * T; i++) {
        inputs[i] = (uint8_t)rng_below(&rng, 256);
        targets[i] = (uint8_t)rng_below(&rng, 256);
    }
    check_net_gradients(&n, inputs, targets, B, "model", model_tensor_name);
    net_free(&n);
    return test_report("test_model");
}
