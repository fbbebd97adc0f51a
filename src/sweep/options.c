/* options.c: which runs a shard takes; the signals a sweep stops on (see options.h). */
#define _POSIX_C_SOURCE 200809L
#include "options.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common.h"

/* The signals --stop-signals accepts: those a batch system or a user sends to end a job
 * or to warn of its end. Not SIGKILL or SIGSTOP (not catchable), nor those that report
 * faults. */
static const struct {
    int sig;
    const char *name;
} stop_signal_table[] = {
    {SIGHUP, "SIGHUP"},   {SIGINT, "SIGINT"},   {SIGTERM, "SIGTERM"}, {SIGUSR1, "SIGUSR1"},
    {SIGUSR2, "SIGUSR2"}, {SIGXCPU, "SIGXCPU"}, {SIGALRM, "SIGALRM"},
};

const char *sw_signal_name(int sig)
{
    for (size_t i = 0; i < SW_ARRAY_LEN(stop_signal_table); i++)
        if (stop_signal_table[i].sig == sig) return stop_signal_table[i].name;
    return "a signal";
}

int sw_stop_signals_parse(const char *list, int *out, int max, char *err, size_t errlen)
{
    static const char allowed[] = "HUP, INT, TERM, USR1, USR2, XCPU, ALRM (comma-separated, e.g. TERM,USR1)";
    int n = 0;
    for (const char *p = list;;) {
        size_t len = strcspn(p, ",");
        const char *name = p;
        if (len > 3 && !strncasecmp(name, "SIG", 3)) name += 3, len -= 3;
        int sig = 0;
        for (size_t i = 0; i < SW_ARRAY_LEN(stop_signal_table) && !sig; i++)
            if (strlen(stop_signal_table[i].name + 3) == len && !strncasecmp(stop_signal_table[i].name + 3, name, len))
                sig = stop_signal_table[i].sig;
        if (!sig) {
            sw_set_error(err, errlen, "unknown signal '%.*s'; allowed: %s", (int)(len + (size_t)(name - p)), p, allowed);
            return -1;
        }
        for (int i = 0; i < n; i++)
            if (out[i] == sig) {
                sw_set_error(err, errlen, "%s is listed twice", sw_signal_name(sig));
                return -1;
            }
        if (n == max) {
            sw_set_error(err, errlen, "more than %d signals", max);
            return -1;
        }
        out[n++] = sig;
        p += len;
        if (!*p) break;
        p++;
    }
    return n;
}

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
