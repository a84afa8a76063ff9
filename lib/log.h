/* SPDX-License-Identifier: Apache-2.0 */
/* Logging to the --debug-log file (or nowhere); warnings also reach stderr when no log is set. */
#ifndef SBX_LIB_LOG_H
#define SBX_LIB_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN };

/* log_open - send log lines to @path (appended); NULL keeps logging off. Returns 0 or -errno. */
int log_open(const char *path);
/* log_enabled - true when a line at @lvl would be written anywhere. */
int log_enabled(enum log_level lvl);
void log_write(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_write(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_write(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_write(LOG_WARN, __VA_ARGS__)

#endif
