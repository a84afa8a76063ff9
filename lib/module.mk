LIB_SRCS += $(wildcard lib/*.c)
