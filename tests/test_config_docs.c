/* test_config_docs.c DOCS/config.md: the key reference stays in step with the schema:
 * every key has a table row giving its default, and no row names a key that does not
 * exist; the same for the search keys (sample.h), and every distribution a space can
 * name has its row; the same for the stop keys (stopping.h). */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common.h"
#include "config.h"
#include "sample.h"
#include "stopping.h"

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
    int found[256] = {0}, found_search[16] = {0}, found_stop[16] = {0}, found_dist[SW_DIST_COUNT] = {0};
    while (fgets(line, sizeof line, f)) {
        for (int d = 0; d < SW_DIST_COUNT; d++) {
            char row[64];
            snprintf(row, sizeof row, "| `%s` |", sw_samplers[d].name);
            found_dist[d] += !strncmp(line, row, strlen(row));
        }
        if (strncmp(line, "| `", 3)) continue;
        char key[128];
        const char *end = strchr(line + 3, '`');
        if (!end || end - (line + 3) >= (long)sizeof key) continue;
        memcpy(key, line + 3, (size_t)(end - (line + 3)));
        key[end - (line + 3)] = 0;
        /* Rows of config keys: dotted names and seed (other tables list enum values). */
        if (!strchr(key, '.') && strcmp(key, "seed")) continue;
        if (!strncmp(key, "search.", 7)) {
            const sw_search_key *sk = sw_search_key_find(key);
            CHECK(sk && !strcmp(sk->key, key), "docs row for unknown search key %s", key);
            if (!sk) continue;
            found_search[sk - sw_search_keys]++;
            char want[160];
            if (sk->default_text)
                snprintf(want, sizeof want, "| `%s` |", sk->default_text);
            else
                snprintf(want, sizeof want, "| none |");
            CHECK(strstr(line, want) != NULL, "docs row of %s lacks its default %s", key, want);
            continue;
        }
        if (!strncmp(key, "stop.", 5)) {
            const sw_key_info *sk = sw_stop_key_find(key);
            CHECK(sk && !strcmp(sk->key, key), "docs row for unknown stop key %s", key);
            if (!sk) continue;
            found_stop[sk - sw_stop_keys]++;
            char want[160];
            snprintf(want, sizeof want, "| `%s` |", sk->default_text);
            CHECK(strstr(line, want) != NULL, "docs row of %s lacks its default %s", key, want);
            continue;
        }
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
    CHECK(sw_search_keys_len <= SW_ARRAY_LEN(found_search), "more search keys than the test counts");
    for (size_t i = 0; i < sw_search_keys_len && i < SW_ARRAY_LEN(found_search); i++)
        CHECK(found_search[i] == 1, "%s has %d rows in the docs (want 1)", sw_search_keys[i].key, found_search[i]);
    for (size_t i = 0; i < sw_stop_keys_len && i < SW_ARRAY_LEN(found_stop); i++)
        CHECK(found_stop[i] == 1, "%s has %d rows in the docs (want 1)", sw_stop_keys[i].key, found_stop[i]);
    for (int d = 0; d < SW_DIST_COUNT; d++)
        CHECK(found_dist[d] == 1, "distribution %s has %d rows in the docs (want 1)", sw_samplers[d].name,
              found_dist[d]);
    return check_report("config docs");
}
