/*
 * Buffered reads for libmosquitto's client sockets.
 *
 * libmosquitto 2.0 has no read buffer: packet__read() asks read(2) for the command byte, then for each byte of
 * the remaining length, then for the body. Receiving a 280-byte message costs four system calls, and on a
 * 2-core machine those calls were the largest single share of LiftWatch's CPU (docs/benchmarks.md). The
 * library offers no hook for its socket I/O, so this file defines read() and pselect() in the executable:
 * the dynamic linker binds libmosquitto's calls (and everyone else's) to them, and they hand every call that
 * is not on a reader's socket, from the thread that entered that reader, to libc's own functions at once.
 * write() and socketpair() are defined for the same reason: to spare the network thread libmosquitto's
 * wake-up bytes, which only ever wake that thread itself.
 *
 * Why it is safe:
 * - A reader is used only by the thread that entered it (a thread-local pointer), and only for the one
 *   descriptor attached to it; LiftMQTT attaches the socket after each connect and detaches it when the
 *   connection ends, on that same thread, so bytes of a closed socket never reach a later one.
 * - read() returns what is buffered before reading the socket again, with read(2)'s own results for an
 *   empty socket (-1 and EAGAIN on a non-blocking one) and a closed one (0), so libmosquitto's partial-packet
 *   handling is unchanged.
 * - pselect() reports the attached socket readable while buffered bytes remain (without waiting), so
 *   mosquitto_loop() never sleeps on data that has already left the kernel.
 */
#define _GNU_SOURCE
#include "CMosquitto.h"

#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

enum { lw_reader_capacity = 64 * 1024 };

struct lw_socket_reader {
    int fd;
    /* The read end of libmosquitto's wake-up socket pair, once seen in a pselect() beside `fd`; -1 before. */
    int wake_fd;
    /* Both ends of the socket pair made while this reader was capturing (mosquitto_new); -1 when unknown. */
    int pair[2];
    /* The write end, once `wake_fd` tells which end is which; -1 before. */
    int wake_write_fd;
    size_t start;
    size_t end;
    unsigned long long socket_reads;
    unsigned long long buffered_reads;
    unsigned char bytes[lw_reader_capacity];
};

static __thread lw_socket_reader *lw_current_reader;
static __thread lw_socket_reader *lw_capturing_reader;

typedef ssize_t (*lw_read_fn)(int, void *, size_t);
typedef ssize_t (*lw_write_fn)(int, const void *, size_t);
typedef int (*lw_socketpair_fn)(int, int, int, int[2]);
typedef int (*lw_pselect_fn)(int, fd_set *, fd_set *, fd_set *, const struct timespec *, const sigset_t *);

/* libc's own function `name`, looked up once into `slot` (every thread finds the same address, so a race only
   repeats the lookup). */
static void *libc_function(void **slot, const char *name) {
    void *found = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    if (!found) {
        found = dlsym(RTLD_NEXT, name);
        __atomic_store_n(slot, found, __ATOMIC_RELEASE);
    }
    return found;
}

static void *libc_read_slot, *libc_write_slot, *libc_socketpair_slot, *libc_pselect_slot;
static lw_read_fn libc_read(void) { return (lw_read_fn)libc_function(&libc_read_slot, "read"); }
static lw_write_fn libc_write(void) { return (lw_write_fn)libc_function(&libc_write_slot, "write"); }
static lw_socketpair_fn libc_socketpair(void) {
    return (lw_socketpair_fn)libc_function(&libc_socketpair_slot, "socketpair");
}
static lw_pselect_fn libc_pselect(void) { return (lw_pselect_fn)libc_function(&libc_pselect_slot, "pselect"); }

lw_socket_reader *lw_socket_reader_create(void) {
    lw_socket_reader *reader = malloc(sizeof *reader);
    if (reader) {
        reader->fd = -1;
        reader->wake_fd = -1;
        reader->pair[0] = reader->pair[1] = -1;
        reader->wake_write_fd = -1;
        reader->start = reader->end = 0;
        reader->socket_reads = reader->buffered_reads = 0;
    }
    return reader;
}

void lw_socket_reader_destroy(lw_socket_reader *reader) { free(reader); }

void lw_socket_reader_attach(lw_socket_reader *reader, int fd) {
    reader->fd = fd;
    reader->start = reader->end = 0;
}

void lw_socket_reader_detach(lw_socket_reader *reader) { lw_socket_reader_attach(reader, -1); }

void lw_socket_reader_enter(lw_socket_reader *reader) { lw_current_reader = reader; }

void lw_socket_reader_capture_wakeup(lw_socket_reader *reader) { lw_capturing_reader = reader; }

unsigned long long lw_socket_reader_socket_reads(const lw_socket_reader *reader) {
    return __atomic_load_n(&reader->socket_reads, __ATOMIC_RELAXED);
}

unsigned long long lw_socket_reader_buffered_reads(const lw_socket_reader *reader) {
    return __atomic_load_n(&reader->buffered_reads, __ATOMIC_RELAXED);
}

ssize_t read(int fd, void *buffer, size_t count) {
    lw_socket_reader *reader = lw_current_reader;
    if (!reader || count == 0) return libc_read()(fd, buffer, count);
    if (fd == reader->wake_fd && count == 1) {
        /* mosquitto_loop() reads one wake-up byte per call, and every packet queued (each PUBACK) writes one:
           left alone, each byte costs another pass of the loop (pselect, this read, an empty socket read).
           The bytes carry nothing, so all of them are taken at once. */
        unsigned char drained[256];
        ssize_t got = libc_read()(fd, drained, sizeof drained);
        if (got <= 0) return got;
        *(unsigned char *)buffer = drained[0];
        return 1;
    }
    if (fd != reader->fd) return libc_read()(fd, buffer, count);
    if (reader->start == reader->end) {
        /* Counted with relaxed atomics: statistics are read from other threads. */
        __atomic_add_fetch(&reader->socket_reads, 1, __ATOMIC_RELAXED);
        /* A read as large as the buffer gains nothing from it. */
        if (count >= lw_reader_capacity) return libc_read()(fd, buffer, count);
        ssize_t got = libc_read()(fd, reader->bytes, lw_reader_capacity);
        if (got <= 0) return got;
        reader->start = 0;
        reader->end = (size_t)got;
    } else {
        __atomic_add_fetch(&reader->buffered_reads, 1, __ATOMIC_RELAXED);
    }
    size_t available = reader->end - reader->start;
    size_t taken = count < available ? count : available;
    memcpy(buffer, reader->bytes + reader->start, taken);
    reader->start += taken;
    return (ssize_t)taken;
}

/* mosquitto_loop() waits on two descriptors: its socket and the read end of its wake-up pair. */
static void learn_wake_fd(lw_socket_reader *reader, int nfds, const fd_set *readfds) {
    int other = -1;
    for (int fd = 0; fd < nfds; fd++) {
        if (fd == reader->fd || !FD_ISSET(fd, readfds)) continue;
        if (other >= 0) return;
        other = fd;
    }
    reader->wake_fd = other;
    if (other >= 0 && other == reader->pair[0]) reader->wake_write_fd = reader->pair[1];
    if (other >= 0 && other == reader->pair[1]) reader->wake_write_fd = reader->pair[0];
}

ssize_t write(int fd, const void *buffer, size_t count) {
    lw_socket_reader *reader = lw_current_reader;
    /* libmosquitto writes a wake-up byte for every packet it queues (each PUBACK), so that a thread waiting in
       mosquitto_loop() sends it. The network thread queues those packets itself and its loop sends what is
       queued before it waits, so its own wake-up bytes would only wake it again. */
    if (reader && fd == reader->wake_write_fd && count == 1) return 1;
    return libc_write()(fd, buffer, count);
}

int socketpair(int domain, int type, int protocol, int sv[2]) {
    int rc = libc_socketpair()(domain, type, protocol, sv);
    lw_socket_reader *reader = lw_capturing_reader;
    if (rc == 0 && reader) {
        reader->pair[0] = sv[0];
        reader->pair[1] = sv[1];
    }
    return rc;
}

int pselect(int nfds, fd_set *readfds, fd_set *writefds, fd_set *exceptfds, const struct timespec *timeout,
            const sigset_t *sigmask) {
    lw_socket_reader *reader = lw_current_reader;
    if (reader && reader->wake_fd < 0 && reader->fd >= 0 && reader->fd < nfds && readfds && FD_ISSET(reader->fd, readfds)) {
        learn_wake_fd(reader, nfds, readfds);
    }
    if (!reader || reader->fd < 0 || reader->fd >= nfds || reader->start == reader->end || !readfds
        || !FD_ISSET(reader->fd, readfds)) {
        return libc_pselect()(nfds, readfds, writefds, exceptfds, timeout, sigmask);
    }
    /* Buffered bytes are ready now: poll the rest without waiting, then add the socket. */
    static const struct timespec now = {0, 0};
    int ready = libc_pselect()(nfds, readfds, writefds, exceptfds, &now, sigmask);
    if (ready < 0) {
        if (errno != EINTR) return ready;
        FD_ZERO(readfds);
        if (writefds) FD_ZERO(writefds);
        if (exceptfds) FD_ZERO(exceptfds);
        ready = 0;
    }
    if (!FD_ISSET(reader->fd, readfds)) {
        FD_SET(reader->fd, readfds);
        ready++;
    }
    return ready;
}
