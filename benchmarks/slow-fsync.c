// LD_PRELOAD shim for benchmarks: every fsync/fdatasync first sleeps FSYNC_DELAY_US microseconds (default 5000),
// as a production disk without a write cache does, and counts the calls (printed to stderr at exit), so that
// group commit shows against one commit per request where an fsync costs what it costs there.
//   gcc -shared -fPIC -O2 -o slow-fsync.so benchmarks/slow-fsync.c -ldl
//   LD_PRELOAD=./slow-fsync.so FSYNC_DELAY_US=5000 engage-relay serve ...
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static atomic_long calls;

static useconds_t delay(void) {
    const char *text = getenv("FSYNC_DELAY_US");
    return text ? (useconds_t)atol(text) : 5000;
}

int fsync(int fd) {
    static int (*real)(int);
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    atomic_fetch_add(&calls, 1);
    usleep(delay());
    return real(fd);
}

int fdatasync(int fd) {
    static int (*real)(int);
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    atomic_fetch_add(&calls, 1);
    usleep(delay());
    return real(fd);
}

__attribute__((destructor)) static void report(void) {
    fprintf(stderr, "slow-fsync: %ld fsync/fdatasync calls\n", atomic_load(&calls));
}
