/* cg-log.h: the engine's logger: levels, a per-connection prefix, and
 * optional per-connection log files. Thread-safe. Never pass secrets. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
    CG_LOG_ERROR = 0,
    CG_LOG_WARNING = 1,
    CG_LOG_INFO = 2,
    CG_LOG_DEBUG = 3,
    CG_LOG_TRACE = 4,
} CgLogLevel;

/* "error", "warning", "info", "debug", "trace" (or 0-4). */
gboolean cg_log_level_parse(const char *text, CgLogLevel *out);
/* "ERROR", "WARNING", "INFO", "DEBUG", "TRACE": the name used in log lines. */
const char *cg_log_level_to_string(CgLogLevel level);
void cg_log_set_level(CgLogLevel level);
CgLogLevel cg_log_get_level(void);
gboolean cg_log_enabled(CgLogLevel level);
/* Where lines go: stderr by default; a path appends to that file. */
gboolean cg_log_set_file(const char *path, GError **error);
/* Lines of connection `conn` also go to `path` (NULL removes it). */
gboolean cg_log_set_conn_file(const char *conn, const char *path, GError **error);
/* Extra sink (the control socket's event stream, tests); NULL removes. */
typedef void (*CgLogSink)(CgLogLevel level, const char *conn, const char *line, gpointer user_data);
void cg_log_set_sink(CgLogSink sink, gpointer user_data);

/* One line: "HH:MM:SS.mmm LEVEL [conn] message". conn may be NULL. */
void cg_log(CgLogLevel level, const char *conn, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
void cg_logv(CgLogLevel level, const char *conn, const char *fmt, va_list ap) G_GNUC_PRINTF(3, 0);

#define cg_error(conn, ...) cg_log(CG_LOG_ERROR, conn, __VA_ARGS__)
#define cg_warn(conn, ...)  cg_log(CG_LOG_WARNING, conn, __VA_ARGS__)
#define cg_info(conn, ...)  cg_log(CG_LOG_INFO, conn, __VA_ARGS__)
#define cg_debug(conn, ...)                                                                        \
    do {                                                                                           \
        if (cg_log_enabled(CG_LOG_DEBUG))                                                          \
            cg_log(CG_LOG_DEBUG, conn, __VA_ARGS__);                                               \
    } while (0)
#define cg_trace(conn, ...)                                                                        \
    do {                                                                                           \
        if (cg_log_enabled(CG_LOG_TRACE))                                                          \
            cg_log(CG_LOG_TRACE, conn, __VA_ARGS__);                                               \
    } while (0)

G_END_DECLS
