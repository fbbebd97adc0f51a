/* Parameter initialisation (float engine, as runs use it):
 *   xavier:     bit-identical to what the engine has always drawn: a checksum of the
 *               reference model's initial parameters (seed 0, the init stream) for each
 *               cell, pinned below, so no change can alter existing runs unnoticed;
 *   orthogonal: every (H,H) gate block Q of W_hh has Q^T Q = init_scale^2 I (to 1e-5),
 *               is torch.nn.init.orthogonal_'s Q: Q^T A is upper triangular with a
 *               positive diagonal for the standard normal A drawn from the same stream,
 *               the blocks differ, and W_ih stays Xavier-uniform;
 *   identity:   every gate block of W_hh is exactly init_scale I, W_ih ~ N(0, 0.001^2)
 *               (sample mean and standard deviation within loose statistical bounds);
 * and for all three: biases 0 except the lstm forget / gru update gate's b_ih =
 * forget_bias, readout weights and bias inside U(-1/sqrt(H), 1/sqrt(H)). */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "model.h"
#include "rng.h"

#ifdef SW_REAL_DOUBLE
#error "the pinned checksums are of the float engine's parameters"
#endif

/* FNV-1a over the parameters' bit patterns, taken as integers (byte-order free). */
static uint64_t checksum(const float *x, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        uint32_t bits;
        memcpy(&bits, &x[i], sizeof bits);
        for (int k = 0; k < 4; k++) {
            h ^= (bits >> (8 * k)) & 0xffu;
            h *= 1099511628211ull;
        }
    }
    return h;
}

/* A config's model shape and freshly initialised parameters (seed, init stream). */
typedef struct {
    sw_model_shape shape;
    size_t n;
    sw_real *flat;
    sw_params p;
} init_case;

static init_case make(const sw_config *cfg)
{
    init_case c;
    c.shape = sw_model_shape_from_config(cfg);
    c.n = sw_param_count(&c.shape);
    c.flat = calloc(c.n, sizeof(sw_real));
    sw_params_bind(&c.p, c.flat, &c.shape);
    sw_rng rng;
    sw_rng_init(&rng, (uint64_t)cfg->seed, SW_STREAM_INIT);
    CHECK(sw_model_init_params(&c.p, &c.shape, &cfg->model, &rng) == SW_OK, "init");
    return c;
}

/* Biases and readout, the same for every init. */
static void check_common(const init_case *c, const sw_config *cfg, const char *what)
{
    int H = c->shape.hidden, GH = c->shape.gates * H, bad = 0;
    int keeps_state = c->shape.cell != SW_CELL_RNN;
    for (int l = 0; l < c->shape.layers; l++)
        for (int j = 0; j < GH; j++) {
            double want = keeps_state && j >= H && j < 2 * H ? cfg->model.forget_bias : 0.0;
            bad += c->p.layer[l].b_ih[j] != (sw_real)want || c->p.layer[l].b_hh[j] != 0;
        }
    CHECK(bad == 0, "%s: %d biases are not 0 / forget_bias", what, bad);
    double bound = 1.0 / sqrt((double)H);
    bad = 0;
    for (int i = 0; i < c->shape.outputs * H; i++) bad += !(fabs(c->p.fc_w[i]) <= bound);
    for (int i = 0; i < c->shape.outputs; i++) bad += !(fabs(c->p.fc_b[i]) <= bound);
    CHECK(bad == 0, "%s: %d readout values outside U(-1/sqrt(H), 1/sqrt(H))", what, bad);
}

/* W_ih of every layer: Xavier-uniform, inside its bound and with its spread. */
static void check_xavier_ih(const init_case *c, const char *what)
{
    int H = c->shape.hidden, GH = c->shape.gates * H;
    for (int l = 0; l < c->shape.layers; l++) {
        int in = l == 0 ? c->shape.input : H;
        size_t m = (size_t)GH * in;
        double bound = sqrt(6.0 / (in + GH)), sq = 0;
        int outside = 0;
        for (size_t i = 0; i < m; i++) {
            outside += !(fabs(c->p.layer[l].w_ih[i]) <= bound);
            sq += (double)c->p.layer[l].w_ih[i] * c->p.layer[l].w_ih[i];
        }
        /* U(-a,a) has variance a^2/3; the sample's relative error is ~ sqrt(0.8/m). */
        double ratio = sqrt(sq / m) / (bound / sqrt(3.0));
        CHECK(outside == 0 && fabs(ratio - 1) < 6 * sqrt(0.8 / m), "%s: W_ih l%d: %d outside, std ratio %.4f", what,
              l, outside, ratio);
    }
}

static void check_xavier_pinned(void)
{
    /* Checksums of the float engine's initial parameters of the reference model (H=64,
     * L=2, I=10, mean_sign, seed 0) with each cell: the values the engine drew before
     * orthogonal and identity existed (the same sums come from commit bdd483c, before
     * them), and must keep drawing. */
    static const struct {
        sw_cell_kind cell;
        uint64_t sum;
    } pinned[] = {
        {SW_CELL_RNN, 0xd94ac9196186b8caull},
        {SW_CELL_LSTM, 0xa2611f56be9bf134ull},
        {SW_CELL_GRU, 0xfe15b18d5584f52eull},
    };
    for (size_t k = 0; k < SW_ARRAY_LEN(pinned); k++) {
        sw_config cfg;
        sw_config_defaults(&cfg);
        cfg.model.cell = pinned[k].cell;
        init_case c = make(&cfg);
        if (pinned[k].cell == SW_CELL_RNN) CHECK(c.n == 13314, "reference model has %zu parameters", c.n);
        uint64_t sum = checksum(c.flat, c.n);
        CHECK(sum == pinned[k].sum, "xavier %s: checksum 0x%016llx, pinned 0x%016llx", sw_cell_name(pinned[k].cell),
              (unsigned long long)sum, (unsigned long long)pinned[k].sum);
        check_common(&c, &cfg, "xavier");
        check_xavier_ih(&c, "xavier");
        free(c.flat);
    }
}

/* Q^T A for an (n,n) block Q (row stride n) and the normal matrix A it came from. */
static void qt_a(double *r, const sw_real *q, const double *a, int n)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int k = 0; k < n; k++) s += (double)q[(size_t)k * n + i] * a[(size_t)k * n + j];
            r[(size_t)i * n + j] = s;
        }
}

static void check_orthogonal(sw_cell_kind cell, int H, int L, double scale)
{
    sw_config cfg;
    sw_config_defaults(&cfg);
    cfg.model.cell = cell;
    cfg.model.hidden = H;
    cfg.model.layers = L;
    cfg.model.init = SW_INIT_ORTHOGONAL;
    cfg.model.init_scale = scale;
    cfg.seed = 11;
    init_case c = make(&cfg);
    char what[96];
    snprintf(what, sizeof what, "orthogonal %s H=%d L=%d scale %g", sw_cell_name(cell), H, L, scale);
    int G = c.shape.gates, I = c.shape.input;
    double s2 = scale * scale, worst = 0;

    /* Replays the init stream's draws: layer 0's W_ih, then each block's normal matrix. */
    sw_rng rng;
    sw_rng_init(&rng, (uint64_t)cfg.seed, SW_STREAM_INIT);
    for (int i = 0; i < G * H * I; i++) sw_rng_uniform(&rng);
    double *a = malloc((size_t)H * H * sizeof *a), *r = malloc((size_t)H * H * sizeof *r);
    int not_qr = 0, same_blocks = 0, near_identity = 0;
    for (int l = 0; l < L; l++)
        for (int g = 0; g < G; g++) {
            const sw_real *q = c.p.layer[l].w_hh + (size_t)g * H * H;
            for (int i = 0; i < H; i++)
                for (int j = 0; j < H; j++) {
                    double s = 0;
                    for (int k = 0; k < H; k++) s += (double)q[(size_t)k * H + i] * q[(size_t)k * H + j];
                    double err = fabs(s - (i == j ? s2 : 0.0));
                    worst = err > worst ? err : worst;
                }
            if (l == 0) {
                for (int i = 0; i < H * H; i++) a[i] = sw_rng_normal(&rng);
                qt_a(r, q, a, H);
                double rscale = 1e-5 * H * scale;
                for (int i = 0; i < H; i++) {
                    not_qr += !(r[(size_t)i * H + i] > 0);
                    for (int j = 0; j < i; j++) not_qr += !(fabs(r[(size_t)i * H + j]) <= rscale);
                }
            }
            if (g > 0 && H > 1) same_blocks += !memcmp(q, q - (size_t)H * H, (size_t)H * H * sizeof *q);
            double dist = 0;
            for (int i = 0; i < H; i++)
                for (int j = 0; j < H; j++) {
                    double e = fabs(q[(size_t)i * H + j]) - (i == j ? scale : 0.0);
                    dist += e * e;
                }
            near_identity += H >= 4 && dist < 0.1 * s2;
        }
    CHECK(worst <= 1e-5 * (s2 > 1 ? s2 : 1), "%s: Q^T Q differs from scale^2 I by %.3g", what, worst);
    CHECK(not_qr == 0, "%s: %d entries of Q^T A break R's triangle or positive diagonal", what, not_qr);
    CHECK(same_blocks == 0 && near_identity == 0, "%s: %d repeated blocks, %d (signed) identities", what,
          same_blocks, near_identity);
    check_common(&c, &cfg, what);
    check_xavier_ih(&c, what);
    free(a), free(r), free(c.flat);
}

static void check_identity(sw_cell_kind cell, int H, int L, double scale)
{
    sw_config cfg;
    sw_config_defaults(&cfg);
    cfg.model.cell = cell;
    cfg.model.hidden = H;
    cfg.model.layers = L;
    cfg.model.init = SW_INIT_IDENTITY;
    cfg.model.init_scale = scale;
    cfg.seed = 5;
    init_case c = make(&cfg);
    char what[96];
    snprintf(what, sizeof what, "identity %s H=%d L=%d scale %g", sw_cell_name(cell), H, L, scale);
    int G = c.shape.gates, bad = 0;
    for (int l = 0; l < L; l++)
        for (int g = 0; g < G; g++)
            for (int i = 0; i < H; i++)
                for (int j = 0; j < H; j++)
                    bad += c.p.layer[l].w_hh[((size_t)g * H + i) * H + j] != (i == j ? (sw_real)scale : 0);
    CHECK(bad == 0, "%s: %d W_hh entries are not scale * I", what, bad);
    for (int l = 0; l < L; l++) {
        int in = l == 0 ? c.shape.input : H;
        size_t m = (size_t)G * H * in;
        double sum = 0, sq = 0;
        for (size_t i = 0; i < m; i++) sum += c.p.layer[l].w_ih[i], sq += (double)c.p.layer[l].w_ih[i] * c.p.layer[l].w_ih[i];
        double mean = sum / m, sd = sqrt(sq / m - mean * mean);
        /* 6 standard errors: the mean's is 0.001/sqrt(m), the sd's ~0.001/sqrt(2m). */
        CHECK(fabs(mean) < 6 * 0.001 / sqrt((double)m) && fabs(sd / 0.001 - 1) < 6 / sqrt(2.0 * m),
              "%s: W_ih l%d mean %.3g sd %.4g over %zu values, want N(0, 0.001^2)", what, l, mean, sd, m);
    }
    check_common(&c, &cfg, what);
    free(c.flat);
}

int main(void)
{
    check_xavier_pinned();
    static const int hidden[] = {1, 5, 16, 64};
    static const double scales[] = {1.0, 0.5, 1.7};
    for (int cell = 0; cell < SW_CELL_TRANSFORMER; cell++) /* the recurrent cells' initialisations */
        for (size_t h = 0; h < SW_ARRAY_LEN(hidden); h++)
            for (size_t s = 0; s < SW_ARRAY_LEN(scales); s++) {
                check_orthogonal((sw_cell_kind)cell, hidden[h], 1 + (int)(s % 2), scales[s]);
                check_identity((sw_cell_kind)cell, hidden[h], 1 + (int)(s % 2), scales[s]);
            }
    return check_report("engine initialisation");
}
