/* test_summary_cli: the `summarize` verb on its own (argv as after `sweep`), so the
 * summarizer's tests do not depend on the sweep executable. */
#include "summarize.h"

int main(int argc, char **argv)
{
    char *args[64];
    int n = 0;
    args[n++] = "summarize";
    for (int i = 1; i < argc && n < 63; i++) args[n++] = argv[i];
    args[n] = 0;
    return sw_summarize_main(n, args);
}
