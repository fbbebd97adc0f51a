/* textgen.c: writing text with a trained character-level model (see textgen.h). */
#include "textgen.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "rng.h"
#include "task.h"

/* Everything a generation holds: a work area per window length (1..T, made when first
 * needed: the first T-1 characters have shorter windows), the window, its dummy targets. */
typedef struct {
    sw_model_shape shape;
    int T, V;
    sw_params params;
    sw_model_work **work; /* (T + 1), indexed by window length */
    sw_real *x;           /* (T, V) one-hot window */
    int32_t *labels;      /* (T) zeros: the forward pass wants targets */
    double *p;            /* (V) probabilities */
} textgen;

static void textgen_free(textgen *g)
{
    for (int L = 0; g->work && L <= g->T; L++) sw_model_work_free(g->work[L]);
    free(g->work);
    free(g->x);
    free(g->labels);
    free(g->p);
}

/* The logits after the last of the L characters text[0..L). */
static const sw_real *window_logits(textgen *g, const int32_t *text, int L)
{
    if (!g->work[L]) {
        if (sw_model_work_create(&g->work[L], &g->shape, 1, L, 0)) return NULL;
        sw_model_pack(g->work[L], &g->params); /* the weights never change */
    }
    sw_model_work *w = g->work[L];
    memset(g->x, 0, (size_t)L * g->V * sizeof *g->x);
    for (int t = 0; t < L; t++) g->x[(size_t)t * g->V + text[t]] = 1;
    sw_model_load_input_real(w, g->x, 1);
    sw_targets y = {g->labels, NULL};
    sw_model_forward(w, &g->params, &y, 0, NULL, NULL);
    return w->logits + (size_t)(L - 1) * g->V; /* (T,B,C) with B = 1 */
}

/* The next character: drawn from softmax(z / temperature), or the arg max at 0. */
static int32_t draw(textgen *g, const sw_real *z, double temperature, sw_rng *rng)
{
    int best = 0;
    for (int v = 1; v < g->V; v++)
        if (z[v] > z[best]) best = v;
    if (temperature <= 0) return best;
    double sum = 0;
    for (int v = 0; v < g->V; v++) sum += g->p[v] = exp(((double)z[v] - (double)z[best]) / temperature);
    double u = sw_rng_uniform(rng) * sum;
    for (int v = 0; v < g->V; v++) {
        if (u < g->p[v]) return v;
        u -= g->p[v];
    }
    return best; /* u reached the sum by rounding */
}

int sw_textgen(const sw_config *cfg, const sw_real *weights, const int32_t *prime, int n_prime,
               const sw_textgen_options *opt, int32_t *out)
{
    if (cfg->task.kind != SW_TASK_TEXT || n_prime < 1 || opt->chars < 0) return SW_EINVAL;
    textgen g = {.shape = sw_model_shape_from_config(cfg), .T = cfg->task.seq_len, .V = cfg->task.input_size};
    for (int i = 0; i < n_prime; i++)
        if (prime[i] < 0 || prime[i] >= g.V) return SW_EINVAL;
    size_t n = sw_param_count(&g.shape);
    sw_real *flat = malloc(n * sizeof *flat);
    int32_t *text = malloc(((size_t)n_prime + (size_t)opt->chars) * sizeof *text);
    g.work = calloc((size_t)g.T + 1, sizeof *g.work);
    g.x = malloc((size_t)g.T * g.V * sizeof *g.x);
    g.labels = calloc((size_t)g.T, sizeof *g.labels);
    g.p = malloc((size_t)g.V * sizeof *g.p);
    int rc = flat && text && g.work && g.x && g.labels && g.p ? SW_OK : SW_ENOMEM;
    if (!rc) {
        memcpy(flat, weights, n * sizeof *flat);
        sw_params_bind(&g.params, flat, &g.shape);
        memcpy(text, prime, (size_t)n_prime * sizeof *text);
    }
    sw_rng rng;
    sw_rng_init(&rng, opt->seed, SW_STREAM_GENERATE);
    for (int k = 0; !rc && k < opt->chars; k++) {
        int n_text = n_prime + k, L = n_text < g.T ? n_text : g.T;
        const sw_real *z = window_logits(&g, text + n_text - L, L);
        if (!z) rc = SW_ENOMEM;
        else out[k] = text[n_text] = draw(&g, z, opt->temperature, &rng);
    }
    textgen_free(&g);
    free(flat);
    free(text);
    return rc;
}
