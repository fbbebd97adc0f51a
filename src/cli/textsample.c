/* textsample.c: `sweep sample RUN.h5`: the options, the run file's model, vocabulary and
 * prime, then the text (see textsample.h). */
#define _POSIX_C_SOURCE 200809L
#include "textsample.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "config.h"
#include "data.h"
#include "model.h"
#include "runfile.h"
#include "task.h"
#include "textgen.h"

enum { EXIT_DONE = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, ARGS_PARSED = -1 };

static const char usage_text[] =
    "sweep sample RUN.h5 [--chars N] [--temperature T] [--prime TEXT] [--seed S]\n\n"
    "Prints text written by the character-level model of RUN.h5 (a run of task.kind text)\n"
    "with its best weights (/weights/best): the prime, then N characters (default 500), each\n"
    "drawn from the model's prediction given the task.seq_len characters before it (the\n"
    "windows it was trained on), divided by the temperature T before the softmax (default\n"
    "1.0; lower is more conservative, 0 takes the most likely character every time). The\n"
    "prime (default: the first character of the run's test text) must use characters of\n"
    "the run's vocabulary (/task/vocabulary). The same seed S (default 0) gives the same\n"
    "text. Exit status: 0 written; 2 usage error, or RUN.h5 is not a text run's complete\n"
    "file, or the prime has a character the run never saw.\n";

const char *sw_text_sample_usage(void)
{
    return usage_text;
}

/* "sweep sample: MESSAGE" and where the usage is, on stderr; returns EXIT_USAGE. */
SW_PRINTF(1, 2)
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "sweep sample: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nusage: sweep sample RUN.h5 [--chars N] [--temperature T] [--prime TEXT] [--seed S] "
                    "(see sweep help sample)\n");
    va_end(ap);
    return EXIT_USAGE;
}

/* The options of `sweep sample`. */
typedef struct {
    const char *file, *prime;
    long long chars, seed;
    double temperature;
} sample_args;

/* True when argv[*i] is the option `name` ("--chars N" or "--chars=N"); *val is its value
 * (NULL when missing) and *i moves past a value taken from the next argument. */
static bool value_option(const char *name, int argc, char **argv, int *i, const char **val)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) || (a[n] && a[n] != '=')) return false;
    *val = a[n] == '=' ? a + n + 1 : *i + 1 < argc ? argv[++*i] : NULL;
    return true;
}

/* Parses a number option into *out within [lo, hi] (an integer when `integer`). */
static int parse_number(const char *opt, const char *val, double lo, double hi, bool integer, double *out)
{
    char *end;
    errno = 0;
    double v = val ? strtod(val, &end) : 0;
    if (!val || errno || end == val || *end || !(v >= lo && v <= hi) || (integer && v != floor(v)))
        return usage_error(integer ? "%s expects an integer from %.0f to %.0f, got '%s'"
                                   : "%s expects a number from %g to %g, got '%s'", opt, lo, hi, val ? val : "nothing");
    *out = v;
    return EXIT_DONE;
}

/* Fills *a from argv (after the verb). Returns ARGS_PARSED, or the exit status when there
 * is nothing to sample: EXIT_DONE after --help, EXIT_USAGE after an error (printed). */
static int parse_args(int argc, char **argv, sample_args *a)
{
    *a = (sample_args){NULL, NULL, 500, 0, 1.0};
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i], *val = NULL;
        double v = 0;
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            fputs(usage_text, stdout);
            return EXIT_DONE;
        } else if (value_option("--chars", argc, argv, &i, &val)) {
            if (parse_number("--chars", val, 0, 10000000, true, &v)) return EXIT_USAGE;
            a->chars = (long long)v;
        } else if (value_option("--temperature", argc, argv, &i, &val)) {
            if (parse_number("--temperature", val, 0, 100, false, &a->temperature)) return EXIT_USAGE;
        } else if (value_option("--seed", argc, argv, &i, &val)) {
            if (parse_number("--seed", val, 0, 9007199254740992.0, true, &v)) return EXIT_USAGE;
            a->seed = (long long)v;
        } else if (value_option("--prime", argc, argv, &i, &val)) {
            if (!val || !*val) return usage_error("--prime needs some text");
            a->prime = val;
        } else if (arg[0] == '-' && arg[1]) {
            return usage_error("unknown option '%s'", arg);
        } else if (a->file) {
            return usage_error("one run file, got '%s' and '%s'", a->file, arg);
        } else {
            a->file = arg;
        }
    }
    return a->file ? ARGS_PARSED : usage_error("a run file is needed: sweep sample RUN.h5");
}

/* The prime as indices into the vocabulary (UTF-8 or bytes as the run's text was); the
 * default prime is the first character of the run's first probe (test) window. Returns
 * the count, or -1 after printing what is wrong. */
static int sample_prime(const sample_args *a, const sw_run_file *run, const int32_t *vocab, int V, int32_t *out)
{
    int n = 0;
    if (!a->prime) {
        int32_t *x = NULL;
        size_t count = 0;
        char err[512] = "";
        if (sw_h5_read_int_array(a->file, "/probe/inputs", &x, &count, err, sizeof err) || count < (size_t)V) {
            fprintf(stderr, "sweep sample: %s\n", err[0] ? err : "/probe/inputs is shorter than one character");
            free(x);
            return -1;
        }
        for (int v = 0; v < V; v++)
            if (x[v]) out[n = 1, 0] = v;
        free(x);
        return n;
    }
    const unsigned char *p = (const unsigned char *)a->prime;
    for (size_t i = 0, len = strlen(a->prime); i < len; n++) {
        int32_t c = p[i];
        int k = run->config.task.text_utf8 ? sw_utf8_decode(p + i, len - i, &c) : 1;
        int at = -1;
        for (int v = 0; v < V && k; v++)
            if (vocab[v] == c) at = v;
        if (at < 0 && !k) {
            fprintf(stderr, "sweep sample: --prime: invalid UTF-8 at byte %zu (the text of %s is UTF-8)\n", i, a->file);
            return -1;
        }
        if (at < 0) {
            fprintf(stderr, "sweep sample: --prime: '%.*s' (%s%04X) at byte %zu is not one of the %d characters of the "
                            "text %s learned (/task/vocabulary)\n", k, a->prime + i,
                    run->config.task.text_utf8 ? "U+" : "byte 0x", (unsigned)c, i, V, a->file);
            return -1;
        }
        out[n] = at;
        i += (size_t)k;
    }
    return n;
}

/* Writes the characters (indices into vocab) to stdout: UTF-8, or the bytes. */
static void print_text(const int32_t *text, long long n, const int32_t *vocab, int utf8)
{
    for (long long i = 0; i < n; i++) {
        char b[4];
        int k = utf8 ? sw_utf8_encode(vocab[text[i]], b) : (b[0] = (char)vocab[text[i]], 1);
        fwrite(b, 1, (size_t)k, stdout);
    }
}

/* The model, vocabulary and prime of the run file; then the text. */
static int sample_run(const sample_args *a, const sw_run_file *run)
{
    char err[1024] = "";
    const sw_config *cfg = &run->config;
    int V = cfg->task.input_size;
    sw_model_shape shape = sw_model_shape_from_config(cfg);
    int32_t *vocab = NULL;
    size_t nv = 0;
    sw_real *w = malloc(sw_param_count(&shape) * sizeof *w);
    int32_t *text = malloc((strlen(a->prime ? a->prime : "") + 1 + (size_t)a->chars) * sizeof *text);
    int status = w && text ? EXIT_DONE : EXIT_FAILED;
    if (!status && (sw_h5_read_weights(a->file, cfg, "best", w, err, sizeof err) ||
                    sw_h5_read_int_array(a->file, "/task/vocabulary", &vocab, &nv, err, sizeof err) || nv != (size_t)V)) {
        fprintf(stderr, "sweep sample: %s\n", nv != (size_t)V && vocab ? "/task/vocabulary does not match its /config" : err);
        status = EXIT_USAGE;
    }
    int n = status ? -1 : sample_prime(a, run, vocab, V, text);
    if (!status && n < 1) status = EXIT_USAGE;
    sw_textgen_options opt = {(int)a->chars, a->temperature, (uint64_t)a->seed};
    if (!status && sw_textgen(cfg, w, text, n, &opt, text + n)) {
        fprintf(stderr, "sweep sample: out of memory\n");
        status = EXIT_FAILED;
    }
    if (!status) {
        print_text(text, n + a->chars, vocab, cfg->task.text_utf8);
        printf("\n");
    }
    free(w);
    free(text);
    free(vocab);
    return status;
}

int sw_text_sample_main(int argc, char **argv)
{
    sample_args a;
    int status = parse_args(argc - 1, argv + 1, &a);
    if (status != ARGS_PARSED) return status;
    sw_run_file run;
    char err[1024];
    int rc = sw_h5_read_run(a.file, SW_READ_VERIFY, &run, err, sizeof err);
    if (rc) {
        fprintf(stderr, "sweep sample: %s\n", err);
        status = rc == SW_ENOMEM ? EXIT_FAILED : EXIT_USAGE;
    } else if (run.config.task.kind != SW_TASK_TEXT) {
        fprintf(stderr, "sweep sample: %s: a run of task.kind %s; sample writes text with a character-level model "
                        "(task.kind text)\n", a.file, sw_task_name(run.config.task.kind));
        status = EXIT_USAGE;
    } else if (run.status == SW_RUN_FAILED) {
        fprintf(stderr, "sweep sample: %s: the run failed (%s); its file has no weights\n", a.file,
                run.error ? run.error : "no reason recorded");
        status = EXIT_USAGE;
    } else {
        status = sample_run(&a, &run);
    }
    sw_run_file_free(&run);
    return status;
}
