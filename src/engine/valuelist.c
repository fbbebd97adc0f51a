/* valuelist.c: interned lists of numbers (see valuelist.h). */
#define _POSIX_C_SOURCE 200809L
#include "valuelist.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

typedef struct {
    int n;
    double *v;
} value_list;

/* lists[id - 1]; the array grows, the lists it points to never move */
static value_list *lists;
static int n_lists, cap_lists;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static int find_or_add(const double *values, int n)
{
    for (int i = 0; i < n_lists; i++)
        if (lists[i].n == n && !memcmp(lists[i].v, values, (size_t)n * sizeof *values)) return i + 1;
    if (n_lists == cap_lists) {
        int cap = cap_lists ? 2 * cap_lists : 16;
        value_list *bigger = realloc(lists, (size_t)cap * sizeof *bigger);
        if (!bigger) return 0;
        lists = bigger, cap_lists = cap;
    }
    double *copy = malloc((size_t)n * sizeof *copy);
    if (!copy) return 0;
    memcpy(copy, values, (size_t)n * sizeof *copy);
    lists[n_lists] = (value_list){n, copy};
    return ++n_lists;
}

int sw_values_intern(const double *values, int n, int *id)
{
    *id = SW_VALUES_NONE;
    if (n <= 0) return SW_OK;
    pthread_mutex_lock(&lock);
    int found = find_or_add(values, n);
    pthread_mutex_unlock(&lock);
    if (!found) return SW_ENOMEM;
    *id = found;
    return SW_OK;
}

const double *sw_values_get(int id, int *n)
{
    *n = 0;
    if (id <= SW_VALUES_NONE) return NULL;
    pthread_mutex_lock(&lock);
    const double *v = NULL;
    if (id <= n_lists) v = lists[id - 1].v, *n = lists[id - 1].n;
    pthread_mutex_unlock(&lock);
    return v;
}
