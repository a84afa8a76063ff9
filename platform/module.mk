SENTRY_SRCS += $(wildcard platform/*.c platform/*/*.c platform/*/*.S)
