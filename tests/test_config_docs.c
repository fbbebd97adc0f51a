/* test_config_docs.c DOCS/config.md: the key reference stays in step with the schema:
 * every key has a table row giving its default, and no row names a key that does not
 * exist. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "config.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s docs/config.md\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "r");
    CHECK(f != NULL, "cannot open %s", argv[1]);
    if (!f) return check_report("config docs");
    char line[4096];
    int found[256] = {0};
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "| `", 3)) continue;
        char key[128];
        const char *end = strchr(line + 3, '`');
        if (!end || end - (line + 3) >= (long)sizeof key) continue;
        memcpy(key, line + 3, (size_t)(end - (line + 3)));
        key[end - (line + 3)] = 0;
        /* Rows of config keys: dotted names and seed (other tables list enum values). */
        if (!strchr(key, '.') && strcmp(key, "seed")) continue;
        const sw_key_info *k = sw_schema_find(key);
        static const char *const top[] = {"name", "description", "base", "grid", "zip", "exclude", NULL};
        int is_top = 0;
        for (int i = 0; top[i]; i++) is_top |= !strcmp(key, top[i]);
        CHECK(k || is_top, "docs row for unknown key %s", key);
        if (!k) continue;
        found[k - sw_schema]++;
        /* The row's third column is the default as written in YAML. */
        char want[160];
        snprintf(want, sizeof want, "| `%s` |", k->default_text);
        CHECK(strstr(line, want) != NULL, "docs row of %s lacks its default %s", key, k->default_text);
    }
    fclose(f);
    for (size_t i = 0; i < sw_schema_len; i++)
        CHECK(found[i] == 1, "%s has %d rows in the docs (want 1)", sw_schema[i].key, found[i]);
    return check_report("config docs");
}
