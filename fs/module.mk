SENTRY_SRCS += $(wildcard fs/*.c fs/*/*.c)
