/* cg-log.c: one line per event, "HH:MM:SS.mmm LEVEL [conn] message".
 *
 * Any thread may log (the crypto workers do), so the output stream, the
 * per-connection files and the sink live behind one recursive mutex: a
 * sink that logs itself re-enters on the same thread without deadlock,
 * and a thread-local flag keeps it from being fed its own lines.
 */
#include "log/cg-log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gio/gio.h>

static GRecMutex log_lock;
static gint log_level = CG_LOG_INFO; /* read without the lock: g_atomic */
static FILE *log_out;                /* NULL: stderr */
static GHashTable *conn_files;       /* conn name -> FILE* */
static CgLogSink log_sink;
static gpointer log_sink_data;
static GPrivate in_sink; /* non-NULL while this thread runs the sink */

static const char *const level_names[] = { "ERROR", "WARNING", "INFO", "DEBUG", "TRACE" };

const char *
cg_log_level_to_string(CgLogLevel level)
{
    if ((guint)level >= G_N_ELEMENTS(level_names))
        return "UNKNOWN";
    return level_names[level];
}

gboolean
cg_log_level_parse(const char *text, CgLogLevel *out)
{
    if (text == NULL)
        return FALSE;
    for (guint i = 0; i < G_N_ELEMENTS(level_names); i++) {
        if (g_ascii_strcasecmp(text, level_names[i]) == 0) {
            *out = (CgLogLevel)i;
            return TRUE;
        }
    }
    if (g_ascii_strcasecmp(text, "warn") == 0) {
        *out = CG_LOG_WARNING;
        return TRUE;
    }
    if (text[0] >= '0' && text[0] <= '4' && text[1] == '\0') {
        *out = (CgLogLevel)(text[0] - '0');
        return TRUE;
    }
    return FALSE;
}

void
cg_log_set_level(CgLogLevel level)
{
    g_atomic_int_set(&log_level, CLAMP((gint)level, CG_LOG_ERROR, CG_LOG_TRACE));
}

CgLogLevel
cg_log_get_level(void)
{
    return (CgLogLevel)g_atomic_int_get(&log_level);
}

gboolean
cg_log_enabled(CgLogLevel level)
{
    return (gint)level <= g_atomic_int_get(&log_level);
}

/* Log files hold peer identities and addresses: not world-readable. */
static FILE *
open_log_file(const char *path, GError **error)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        int saved_errno = errno;
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved_errno),
                    "cannot open log file %s: %s", path, g_strerror(saved_errno));
        return NULL;
    }
    FILE *f = fdopen(fd, "a");
    if (f == NULL) {
        int saved_errno = errno;
        close(fd);
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved_errno),
                    "cannot open log file %s: %s", path, g_strerror(saved_errno));
        return NULL;
    }
    setvbuf(f, NULL, _IOLBF, 0);
    return f;
}

static void
close_log_file(gpointer f)
{
    fclose(f);
}

gboolean
cg_log_set_file(const char *path, GError **error)
{
    FILE *f = NULL;
    if (path != NULL) {
        f = open_log_file(path, error);
        if (f == NULL)
            return FALSE;
    }
    g_rec_mutex_lock(&log_lock);
    if (log_out != NULL)
        fclose(log_out);
    log_out = f;
    g_rec_mutex_unlock(&log_lock);
    return TRUE;
}

gboolean
cg_log_set_conn_file(const char *conn, const char *path, GError **error)
{
    g_return_val_if_fail(conn != NULL, FALSE);

    FILE *f = NULL;
    if (path != NULL) {
        f = open_log_file(path, error);
        if (f == NULL)
            return FALSE;
    }
    g_rec_mutex_lock(&log_lock);
    if (conn_files == NULL)
        conn_files = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, close_log_file);
    if (f != NULL)
        g_hash_table_replace(conn_files, g_strdup(conn), f);
    else
        g_hash_table_remove(conn_files, conn);
    g_rec_mutex_unlock(&log_lock);
    return TRUE;
}

void
cg_log_set_sink(CgLogSink sink, gpointer user_data)
{
    g_rec_mutex_lock(&log_lock);
    log_sink = sink;
    log_sink_data = user_data;
    g_rec_mutex_unlock(&log_lock);
}

/* Messages carry peer-supplied text (identities, names): a control
 * character must not be able to forge a second log line. */
static void
append_sanitized(GString *line, const char *text)
{
    for (const char *p = text; *p != '\0'; p++) {
        guchar c = (guchar)*p;
        if (c < 0x20 || c == 0x7f)
            g_string_append_c(line, '?');
        else
            g_string_append_c(line, (char)c);
    }
}

static void
append_timestamp(GString *line)
{
    gint64 now_us = g_get_real_time();
    time_t now_s = (time_t)(now_us / G_USEC_PER_SEC);
    struct tm tm_local;
    localtime_r(&now_s, &tm_local);
    g_string_append_printf(line, "%02d:%02d:%02d.%03d", tm_local.tm_hour, tm_local.tm_min,
                           tm_local.tm_sec, (int)((now_us % G_USEC_PER_SEC) / 1000));
}

void
cg_logv(CgLogLevel level, const char *conn, const char *fmt, va_list ap)
{
    if (!cg_log_enabled(level))
        return;

    g_autofree char *message = g_strdup_vprintf(fmt, ap);
    g_autoptr(GString) line = g_string_sized_new(128);
    append_timestamp(line);
    g_string_append_c(line, ' ');
    g_string_append(line, cg_log_level_to_string(level));
    g_string_append_c(line, ' ');
    if (conn != NULL) {
        g_string_append_c(line, '[');
        append_sanitized(line, conn);
        g_string_append(line, "] ");
    }
    append_sanitized(line, message);

    g_rec_mutex_lock(&log_lock);
    FILE *out = log_out != NULL ? log_out : stderr;
    fprintf(out, "%s\n", line->str);
    fflush(out);
    if (conn != NULL && conn_files != NULL) {
        FILE *conn_out = g_hash_table_lookup(conn_files, conn);
        if (conn_out != NULL)
            fprintf(conn_out, "%s\n", line->str);
    }
    if (log_sink != NULL && g_private_get(&in_sink) == NULL) {
        g_private_set(&in_sink, GINT_TO_POINTER(1));
        log_sink(level, conn, line->str, log_sink_data);
        g_private_set(&in_sink, NULL);
    }
    g_rec_mutex_unlock(&log_lock);
}

void
cg_log(CgLogLevel level, const char *conn, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cg_logv(level, conn, fmt, ap);
    va_end(ap);
}
