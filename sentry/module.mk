# The Sentry proper; platform/ and fs/ add themselves to SENTRY_SRCS in their own module.mk.
SENTRY_SRCS += $(wildcard sentry/*/*.c)
