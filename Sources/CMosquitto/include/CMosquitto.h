#ifndef LIFTWATCH_CMOSQUITTO_H
#define LIFTWATCH_CMOSQUITTO_H

#include <mosquitto.h>
#include <mqtt_protocol.h>
/* epoll, for MQTTFleet's one-thread event loop over thousands of libmosquitto sockets (Glibc's Swift module
   does not export it). */
#include <sys/epoll.h>

/*
 * A read buffer for one libmosquitto client socket (SocketReader.c says how and why).
 *
 * libmosquitto 2.0 reads every packet in three or four read(2) calls (command byte, each byte of the remaining
 * length, body). For a stream of ~280-byte messages those calls are most of a receiver's CPU. A thread that
 * enters a reader has its read(2) calls on the reader's attached socket served from a 64 KiB buffer, filled
 * with one read(2) each time it is empty, and its pselect(2) calls see the socket as readable while buffered
 * bytes remain. Every other thread and file descriptor is passed straight through.
 */
typedef struct lw_socket_reader lw_socket_reader;

/* A new reader, attached to nothing; NULL when out of memory. */
lw_socket_reader *lw_socket_reader_create(void);
/* Frees a reader no thread has entered. */
void lw_socket_reader_destroy(lw_socket_reader *reader);
/* Reads `fd` through the buffer from now on, dropping anything buffered from an earlier socket. */
void lw_socket_reader_attach(lw_socket_reader *reader, int fd);
/* Stops buffering (a connection lost or closed): buffered bytes of the old socket are dropped. */
void lw_socket_reader_detach(lw_socket_reader *reader);
/* Makes `reader` the calling thread's reader (NULL: none). Only that thread's calls use it. */
void lw_socket_reader_enter(lw_socket_reader *reader);
/* Records the socket pair the calling thread makes next (mosquitto_new's wake-up pair) in `reader`, until
   called with NULL. The reader's thread then writes no wake-up byte to itself: its loop sends what it queued. */
void lw_socket_reader_capture_wakeup(lw_socket_reader *reader);
/* Socket read(2) calls the reader made, and read(2) calls it answered from its buffer, since creation. */
unsigned long long lw_socket_reader_socket_reads(const lw_socket_reader *reader);
unsigned long long lw_socket_reader_buffered_reads(const lw_socket_reader *reader);

#endif
