RUNSC_SRCS   += $(filter-out runsc/sandbox_main.c,$(wildcard runsc/*.c))
SANDBOX_SRCS += runsc/sandbox_main.c $(filter-out runsc/main.c runsc/sandbox_main.c,$(wildcard runsc/*.c))
