/* Optimizers and schedules beyond what the PyTorch vectors cover (those check Adam and
 * StepLR): SGD plain, with momentum, with Nesterov momentum and with weight decay, Adam
 * with weight decay, and the constant, multistep, exponential, cosine and warmup
 * schedules, each against values worked out by hand from PyTorch's definitions. */
#include <string.h>

#include "check.h"
#include "optim.h"

static sw_train_config base(void)
{
    sw_config c;
    sw_config_defaults(&c);
    return c.train;
}

static void check_sgd(void)
{
    sw_train_config t = base();
    sw_optimizer opt;
    sw_real p[1], g[1];

    /* plain: p -= lr g */
    CHECK(sw_optimizer_init(&opt, SW_OPTIM_SGD, 1) == SW_OK, "init");
    p[0] = 1.0f, g[0] = 0.5f;
    sw_optimizer_step(&opt, &t, p, g, 0.1);
    CHECK(check_close(p[0], 0.95, 1e-7, 0), "plain sgd: %.9g", (double)p[0]);
    sw_optimizer_free(&opt);

    /* momentum 0.9, grads 1 then 1: buf = 1, then 0.9 + 1 = 1.9; p = 1 - 0.1 - 0.19 */
    t.momentum = 0.9;
    CHECK(sw_optimizer_init(&opt, SW_OPTIM_SGD, 1) == SW_OK, "init");
    p[0] = 1.0f;
    for (int s = 0; s < 2; s++) g[0] = 1.0f, sw_optimizer_step(&opt, &t, p, g, 0.1);
    CHECK(check_close(p[0], 0.71, 1e-6, 0), "momentum sgd: %.9g", (double)p[0]);
    sw_optimizer_free(&opt);

    /* nesterov: step uses g + mu buf: 1 + 0.9 = 1.9, then 1 + 0.9 * 1.9 = 2.71 */
    t.nesterov = true;
    CHECK(sw_optimizer_init(&opt, SW_OPTIM_SGD, 1) == SW_OK, "init");
    p[0] = 1.0f;
    for (int s = 0; s < 2; s++) g[0] = 1.0f, sw_optimizer_step(&opt, &t, p, g, 0.1);
    CHECK(check_close(p[0], 1.0 - 0.19 - 0.271, 1e-6, 0), "nesterov sgd: %.9g", (double)p[0]);
    sw_optimizer_free(&opt);

    /* weight decay adds wd p to the gradient: g = 0 + 0.5 * 2 = 1 */
    t = base();
    t.weight_decay = 0.5;
    CHECK(sw_optimizer_init(&opt, SW_OPTIM_SGD, 1) == SW_OK, "init");
    p[0] = 2.0f, g[0] = 0.0f;
    sw_optimizer_step(&opt, &t, p, g, 0.1);
    CHECK(check_close(p[0], 1.9, 1e-6, 0), "sgd weight decay: %.9g", (double)p[0]);
    sw_optimizer_free(&opt);

    /* Adam's first step moves every parameter by lr * sign(g) (up to eps), decay included */
    t = base();
    t.weight_decay = 0.1;
    CHECK(sw_optimizer_init(&opt, SW_OPTIM_ADAM, 1) == SW_OK, "init");
    p[0] = 1.0f, g[0] = -0.2f; /* effective gradient -0.2 + 0.1 = -0.1 */
    sw_optimizer_step(&opt, &t, p, g, 1e-3);
    CHECK(check_close(p[0], 1.001, 1e-6, 0), "adam weight decay: %.9g", (double)p[0]);
    sw_optimizer_free(&opt);
}

static void check_schedules(void)
{
    sw_train_config t = base();
    t.lr = 1.0;
    t.epochs = 11;
    t.schedule.kind = SW_SCHED_CONSTANT;
    CHECK(sw_schedule_lr(&t, 1) == 1.0 && sw_schedule_lr(&t, 11) == 1.0, "constant");

    t.schedule.kind = SW_SCHED_MULTISTEP;
    t.schedule.gamma = 0.1;
    t.schedule.n_milestones = 2;
    t.schedule.milestones[0] = 3, t.schedule.milestones[1] = 6;
    double want_multi[8] = {1, 1, 1, 0.1, 0.1, 0.1, 0.01, 0.01}; /* decays after epochs 3 and 6 */
    for (int e = 1; e <= 8; e++)
        CHECK(check_close(sw_schedule_lr(&t, e), want_multi[e - 1], 1e-15, 1e-12), "multistep epoch %d: %g", e,
              sw_schedule_lr(&t, e));

    t.schedule.kind = SW_SCHED_EXPONENTIAL;
    t.schedule.gamma = 0.5;
    CHECK(check_close(sw_schedule_lr(&t, 1), 1.0, 0, 1e-12) && check_close(sw_schedule_lr(&t, 4), 0.125, 0, 1e-12),
          "exponential");

    t.schedule.kind = SW_SCHED_COSINE;
    t.schedule.min_lr = 0.1;
    CHECK(check_close(sw_schedule_lr(&t, 1), 1.0, 0, 1e-12), "cosine starts at lr");
    CHECK(check_close(sw_schedule_lr(&t, 6), 0.55, 0, 1e-12), "cosine midpoint: %g", sw_schedule_lr(&t, 6));
    CHECK(check_close(sw_schedule_lr(&t, 11), 0.1, 0, 1e-12), "cosine ends at min_lr: %g", sw_schedule_lr(&t, 11));
    {
        sw_train_config one = t;
        one.epochs = 1;
        CHECK(check_close(sw_schedule_lr(&one, 1), 1.0, 0, 1e-12), "a one-epoch cosine trains at lr, not min_lr: %g",
              sw_schedule_lr(&one, 1));
    }

    /* warmup 2: lr/2, lr, then the schedule from its own epoch 1 */
    t.schedule.warmup = 2;
    t.epochs = 12;
    CHECK(check_close(sw_schedule_lr(&t, 1), 0.5, 0, 1e-12) && check_close(sw_schedule_lr(&t, 2), 1.0, 0, 1e-12),
          "warmup ramps linearly");
    CHECK(check_close(sw_schedule_lr(&t, 3), 1.0, 0, 1e-12) && check_close(sw_schedule_lr(&t, 12), 0.1, 0, 1e-12),
          "cosine after warmup spans the remaining epochs");
}

int main(void)
{
    check_sgd();
    check_schedules();
    return check_report("engine optimizers and schedules");
}
