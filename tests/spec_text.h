/* spec_text.h: sweep files given as text in memory (test_sweep_spec.c, test_sweep_search.c):
 * load() expects one to expand, expect_fail() to be refused with a message. The last
 * message is in spec_err. */
#ifndef SWEEP_TEST_SPEC_TEXT_H
#define SWEEP_TEST_SPEC_TEXT_H

#include <string.h>

#include "check.h"
#include "sweepspec.h"

static char spec_err[2048];

/* The plan of `text` (named t.yaml in messages) with the n_sets --set overrides; NULL (and
 * a failed CHECK) when it does not load. The caller frees it. */
static inline sw_sweep_spec *load(const char *text, const char *const *sets, int n_sets)
{
    sw_sweep_spec *s = NULL;
    spec_err[0] = 0;
    int rc = sw_sweep_spec_parse("t.yaml", text, strlen(text), sets, n_sets, &s, spec_err, sizeof spec_err);
    CHECK(rc == SW_OK && s, "parse failed (%d): %s\n--- text:\n%s", rc, spec_err, text);
    return rc == SW_OK ? s : NULL;
}

/* CHECKs that `text` with the overrides is a config error whose message has `substring`. */
static inline void expect_fail(const char *text, const char *const *sets, int n_sets, const char *substring)
{
    sw_sweep_spec *s = NULL;
    int rc = sw_sweep_spec_parse("t.yaml", text, strlen(text), sets, n_sets, &s, spec_err, sizeof spec_err);
    CHECK(rc == SW_ECONFIG && s == NULL, "expected a config error for:\n%s", text);
    CHECK(strstr(spec_err, substring) != NULL, "message \"%s\" lacks \"%s\"", spec_err, substring);
    sw_sweep_spec_free(s);
}

#endif
