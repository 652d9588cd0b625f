/* cygnet-policy-log.c: the decision log. */
#include "cygnet-policy-log.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#define LOG_MAX_BYTES (256 * 1024)

static int log_fd = -1;

void
policy_log_open(const char *state_dir)
{
    openlog("cygnet-policy", LOG_PID, LOG_DAEMON);
    if (!state_dir)
        return;
    g_autofree char *path = g_build_filename(state_dir, "decisions.log", NULL);
    GStatBuf st;
    if (g_stat(path, &st) == 0 && st.st_size > LOG_MAX_BYTES) {
        g_autofree char *old = g_strconcat(path, ".1", NULL);
        g_rename(path, old);
    }
    log_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
}

void
policy_log(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_autoptr(GDateTime) now = g_date_time_new_now_local();
    g_autofree char *stamp = g_date_time_format(now, "%Y-%m-%dT%H:%M:%S.%f");
    /* milliseconds are enough: cut %f's microseconds */
    if (stamp && strlen(stamp) > 23)
        stamp[23] = '\0';
    g_autofree char *line
        = g_strdup_printf("%s cygnet-policy[%d]: %s\n", stamp ? stamp : "?", (int)getpid(), text);
    fputs(line, stderr);
    if (log_fd >= 0) {
        /* one write per line: concurrent runs never interleave inside one */
        ssize_t n = write(log_fd, line, strlen(line));
        (void)n;
    }
    syslog(LOG_INFO, "%s", text);
}

void
policy_log_close(void)
{
    if (log_fd >= 0)
        close(log_fd);
    log_fd = -1;
    closelog();
}
