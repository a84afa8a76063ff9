# gofer/: the 9P2000.L codec (gofer/p9) is shared by the gofer server and the Sentry's client,
# so it goes into libbase.a, which every binary and the unit tests link.
LIB_SRCS += $(wildcard gofer/p9/*.c)
