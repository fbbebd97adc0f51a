/* mkdir_p.h: mkdir -p for the C tests. */
#ifndef SWEEP_TEST_MKDIR_P_H
#define SWEEP_TEST_MKDIR_P_H

#include <stdio.h>
#include <sys/stat.h>

/* mkdir -p: creates PATH and its missing parents (errors show up when the path is used).
 * Tests run in parallel under CTest, so none may rely on another having made a parent. */
static inline void mkdir_p(const char *path)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            mkdir(buf, 0755);
            *p = '/';
        }
    mkdir(buf, 0755);
}

#endif
