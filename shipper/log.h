/*
 * log.h — the shipper's own messages, on stderr.
 */
#ifndef SHIPPER_LOG_H
#define SHIPPER_LOG_H

enum log_level {
	LOG_ERROR,
	LOG_WARN,
	LOG_INFO,
	LOG_DEBUG,
	LOG_TRACE,
};

void	log_set_level(enum log_level level);
/* JSON lines ({"time":...,"level":...,"message":...}) instead of text. */
void	log_set_json(int on);
/* Fluentd's names: fatal error warn info debug trace. -1 if unknown. */
int	log_level_parse(const char *name);
void	log_msg(enum log_level level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#define log_error(...)	log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
