/* testhook.c: the SWEEP_TEST_* variables (testhook.h says what each does): one table row
 * per variable (its parser and what it allows), one per hold event. */
#define _POSIX_C_SOURCE 200809L
#include "testhook.h"

#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

extern char **environ;

static const char *const event_names[SW_TEST_EVENT_COUNT] = {"step", "epoch", "checkpoint", "run"};

/* What the variables asked for; written by sw_test_hooks_init alone, before any thread. */
static struct {
    bool checkpoints_unthrottled;
    bool pbt_keep;
    int hold_event;            /* sw_test_event, or -1: no hold */
    long hold_at;              /* the hold comes at this occurrence (>= 1) */
    char release[PATH_MAX];    /* "" : held until killed */
    char release_dir[PATH_MAX];
} g_want = {false, false, -1, 0, "", ""};

static atomic_long g_seen[SW_TEST_EVENT_COUNT];
static atomic_int g_held;      /* the hold was announced */
static atomic_int g_released;  /* and has ended */
static double g_held_since;    /* sw_now() at the announcement (written before g_held) */

static int parse_checkpoints(const char *v, char *err, size_t errlen)
{
    if (strcmp(v, "unthrottled") != 0) {
        sw_set_error(err, errlen, "expects unthrottled");
        return SW_EINVAL;
    }
    g_want.checkpoints_unthrottled = true;
    return SW_OK;
}

static int parse_pbt(const char *v, char *err, size_t errlen)
{
    if (strcmp(v, "keep") != 0) {
        sw_set_error(err, errlen, "expects keep");
        return SW_EINVAL;
    }
    g_want.pbt_keep = true;
    return SW_OK;
}

static int parse_hold(const char *v, char *err, size_t errlen)
{
    size_t len = strcspn(v, ":");
    for (int e = 0; e < SW_TEST_EVENT_COUNT; e++)
        if (strlen(event_names[e]) == len && !strncmp(v, event_names[e], len)) g_want.hold_event = e;
    long n = 1;
    if (v[len] == ':') {
        char *end;
        errno = 0;
        n = strtol(v + len + 1, &end, 10);
        if (errno || end == v + len + 1 || *end || n < 1) n = 0;
    }
    if (g_want.hold_event < 0 || n < 1) {
        g_want.hold_event = -1;
        sw_set_error(err, errlen, "expects EVENT or EVENT:N with N >= 1, EVENT one of step, epoch, checkpoint, run");
        return SW_EINVAL;
    }
    g_want.hold_at = n;
    return SW_OK;
}

static int parse_release(const char *v, char *err, size_t errlen)
{
    size_t n = strlen(v);
    if (n == 0 || n >= sizeof g_want.release) {
        sw_set_error(err, errlen, "expects a file name (shorter than %zu bytes)", sizeof g_want.release);
        return SW_EINVAL;
    }
    memcpy(g_want.release, v, n + 1);
    memcpy(g_want.release_dir, v, n + 1);
    char *slash = strrchr(g_want.release_dir, '/');
    if (!slash) snprintf(g_want.release_dir, sizeof g_want.release_dir, ".");
    else if (slash == g_want.release_dir) slash[1] = 0; /* "/FILE": the root */
    else *slash = 0;
    return SW_OK;
}

static const struct {
    const char *name;
    int (*parse)(const char *value, char *err, size_t errlen);
} variables[] = {
    {"SWEEP_TEST_CHECKPOINTS", parse_checkpoints},
    {"SWEEP_TEST_HOLD", parse_hold},
    {"SWEEP_TEST_RELEASE", parse_release},
    {"SWEEP_TEST_PBT", parse_pbt},
};

int sw_test_hooks_init(char *err, size_t errlen)
{
    static const char prefix[] = "SWEEP_TEST_";
    for (char **e = environ; e && *e; e++) {
        if (strncmp(*e, prefix, sizeof prefix - 1) != 0) continue;
        size_t name_len = strcspn(*e, "=");
        const char *value = (*e)[name_len] == '=' ? *e + name_len + 1 : "";
        size_t k = 0;
        while (k < SW_ARRAY_LEN(variables) &&
               (strlen(variables[k].name) != name_len || strncmp(*e, variables[k].name, name_len) != 0))
            k++;
        if (k == SW_ARRAY_LEN(variables)) {
            sw_set_error(err, errlen, "%.*s: unknown test variable (the test suite's hooks are SWEEP_TEST_CHECKPOINTS, "
                         "SWEEP_TEST_HOLD and SWEEP_TEST_RELEASE)", (int)name_len, *e);
            return SW_EINVAL;
        }
        char why[256];
        if (variables[k].parse(value, why, sizeof why) != SW_OK) {
            sw_set_error(err, errlen, "%s=%s: %s (a test-only variable)", variables[k].name, value, why);
            return SW_EINVAL;
        }
    }
    return SW_OK;
}

bool sw_test_checkpoints_unthrottled(void)
{
    return g_want.checkpoints_unthrottled;
}

bool sw_test_pbt_keep(void)
{
    return g_want.pbt_keep;
}

void sw_test_note(sw_test_event ev, const char *what)
{
    if ((int)ev != g_want.hold_event) return;
    long n = atomic_fetch_add(&g_seen[ev], 1) + 1;
    if (n != g_want.hold_at) return;
    g_held_since = sw_now();
    fprintf(stderr, "sweep: test hold at %s %ld (%s; SWEEP_TEST_HOLD): held until %s\n", event_names[ev], n,
            what ? what : "-", g_want.release[0] ? g_want.release : "killed");
    fflush(stderr);
    atomic_store(&g_held, 1);
}

/* Whether the hold is over: 0 not yet; 1 the release file is there, or its directory is
 * gone; 2 it has lasted SW_TEST_HOLD_MAX_SECONDS. */
static int hold_over(void)
{
    struct stat st;
    if (g_want.release[0] && (stat(g_want.release, &st) == 0 || stat(g_want.release_dir, &st) != 0)) return 1;
    return sw_now() - g_held_since < SW_TEST_HOLD_MAX_SECONDS ? 0 : 2;
}

void sw_test_hold_point(void)
{
    if (!atomic_load(&g_held)) return;
    while (!atomic_load(&g_released)) {
        int over = hold_over();
        if (over) {
            if (!atomic_exchange(&g_released, 1) && over == 2)
                fprintf(stderr, "sweep: test hold not released within %.0f s; going on\n", SW_TEST_HOLD_MAX_SECONDS);
            break;
        }
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}
