/* estimate.c: what one run of a config costs: the memory it needs while training (to refuse
 * runs that would not fit) and its floating-point operations (to order runs longest-first
 * and to estimate the time left). See estimate.h. */
#include "estimate.h"

#include "common.h"
#include "model.h"
#include "record.h"
#include "task.h"

/* The task with the sizes a config left at 0 filled in (the estimates may be asked
 * before a sweep resolved its configs; a file task's are resolved by then). */
static sw_task_config resolved_task(const sw_config *cfg)
{
    sw_task_config t = cfg->task;
    if (!sw_task_reads_file(t.kind)) sw_task_resolve(&t, NULL, NULL, 0, NULL);
    return t;
}

static sw_task_layout layout(const sw_config *cfg)
{
    sw_task_config t = resolved_task(cfg);
    return sw_task_layout_of(&t);
}

/* The model's shape, of the config with its task resolved. */
static sw_model_shape resolved_shape(const sw_config *cfg)
{
    sw_config resolved = *cfg;
    resolved.task = resolved_task(cfg);
    return sw_model_shape_from_config(&resolved);
}

/* The model's parameters (model.h's tensor table). */
static double param_count(const sw_config *cfg)
{
    sw_model_shape shape = resolved_shape(cfg);
    return (double)sw_param_count(&shape);
}

/* Epochs at which per-timestep gradients are recorded (record.c counts them). */
static double grad_records(const sw_config *cfg)
{
    sw_record_sizes s;
    sw_record_sizes_planned(cfg, &s);
    return (double)s.n[SW_SIZE_RECORDS];
}

static double train_seqs_per_epoch(const sw_config *cfg)
{
    if (cfg->train.steps_per_epoch == 0) return resolved_task(cfg).train_size;
    return (double)cfg->train.steps_per_epoch * cfg->train.batch;
}

double sw_config_memory_bytes(const sw_config *cfg)
{
    sw_task_layout lay = layout(cfg);
    double T = lay.steps, I = lay.input;
    double P = cfg->record.probe_size;
    int B = cfg->train.batch > cfg->record.probe_size ? cfg->train.batch : cfg->record.probe_size;
    /* Training: the engine's work block for the batch (or the probe set, when larger) as it
     * lays it out (activations, their gradients, packed weights, scratch), with the
     * per-timestep gradients it keeps for recording. */
    sw_model_shape shape = resolved_shape(cfg);
    double activations = (double)sw_model_work_bytes(&shape, B, (int)T, 1);
    /* The data sets, stored as float, each set's inputs a block of sw_alloc_large (a file's
     * are shared by every run of the process and counted once by the sweep, not here). */
    sw_task_config task = resolved_task(cfg);
    int own = cfg->task.kind != SW_TASK_FILE;
    double sets[] = {own ? task.train_size : 0, own ? task.test_size : 0, own ? cfg->task.val_size : 0, P};
    double data = 0, per_target = lay.target == SW_TARGET_CLASS_STEPS ? T : 1;
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++)
        data += sw_alloc_large_bytes_of(sets[i] * T * I * sizeof(float) + 1) + sets[i] * 8 * per_target;
    /* Parameters and gradients, and the optimizer's two moments and gradient copy (their
     * packed copies are in the work block). */
    double params = param_count(cfg) * sizeof(sw_real) * 5;
    /* What the run records (record.c's table): history, final and best weights, the
     * probe set's hidden states, per-timestep gradients; and the process's own part (an
     * estimate of the run alone, without it, was below the peak the process reached:
     * 249.9 MiB for rnn H=512 T=100, which peaked at 257-258 MiB, 13.3 MiB of it the program) */
    return activations + data + params + sw_record_memory_bytes(cfg) + SW_PROCESS_BYTES;
}

double sw_config_cost_flops(const sw_config *cfg)
{
    sw_task_layout lay = layout(cfg);
    double T = lay.steps, I = lay.input, H = cfg->model.hidden;
    double G = sw_cell_gates(cfg->model.cell);
    /* Forward matrix work of one sequence: per step and layer, the input and recurrent
     * products (2 flops per multiply-add), then the readout once. */
    double fwd = 0;
    for (int l = 0; l < cfg->model.layers; l++) {
        double in = l == 0 ? I : H;
        fwd += 2 * T * G * H * (in + H);
    }
    if (cfg->model.cell == SW_CELL_TRANSFORMER) {
        /* The embedding, then per layer the q,k,v and output projections, the feed-forward
         * block, and the attention's two (T,T) products per sequence (computed whole: the
         * causal mask zeroes half of them after the fact). */
        double F = sw_model_ff_width(&cfg->model);
        fwd = 2 * T * I * H + cfg->model.layers * (2 * T * (4 * H * H + 2 * H * F) + 4 * T * T * H);
    }
    fwd += 2 * lay.outputs * H * (lay.target == SW_TARGET_CLASS_STEPS ? T : 1);
    double E = cfg->train.epochs;
    /* Training: forward plus backward (about twice the forward) for every sequence seen;
     * evaluation: forward of the test and validation sets each epoch; recording: forward and backward of
     * the probe set at recorded epochs and two forward passes for hidden states. */
    double train = 3 * fwd * train_seqs_per_epoch(cfg) * E;
    double eval = fwd * ((double)resolved_task(cfg).test_size + cfg->task.val_size) * E;
    double record = 3 * fwd * cfg->record.probe_size * grad_records(cfg) + 2 * fwd * cfg->record.probe_size;
    return train + eval + record;
}
