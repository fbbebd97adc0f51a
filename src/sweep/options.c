/* options.c: which runs a shard takes (see options.h). */
#include "options.h"

bool sw_sweep_in_shard(const sw_sweep_spec *spec, int i, int k, int n)
{
    if (n <= 1) return true;
    /* Position of run i in its round (the whole sweep but in a tpe search) sorted longest
     * first (ties in grid order): the runs before it are the costlier ones and the equally
     * costly earlier ones. By round, so that a round's split never depends on the rounds
     * chosen after it. */
    double c = spec->runs[i].cost;
    int pos = 0, round = spec->runs[i].round;
    for (int j = 0; j < spec->n_runs; j++) {
        double cj = spec->runs[j].cost;
        if (spec->runs[j].round == round && (cj > c || (cj == c && j < i))) pos++;
    }
    return pos % n == k;
}
