# gofer/: the 9P2000.L codec (gofer/p9) is shared by the gofer server and the Sentry's client,
# so it goes into libbase.a, which every binary and the unit tests link.
LIB_SRCS += $(wildcard gofer/p9/*.c)

# The gofer server (gofer_serve, gofer/gofer.h) lands in libsentry.a; `runsc gofer` calls it.
GOFER_SRCS := gofer/server.c gofer/fid.c gofer/ops.c gofer/ops_file.c gofer/ops_dir.c \
              gofer/filter.c gofer/ops_xattr.c
SENTRY_SRCS += $(GOFER_SRCS)
# It needs libev (loop), libseccomp and libcap (confinement): in LIBS in the Makefile.
