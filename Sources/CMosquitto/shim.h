#include <mosquitto.h>
#include <mqtt_protocol.h>
/* epoll, for MQTTFleet's one-thread event loop over thousands of libmosquitto sockets (Glibc's Swift module
   does not export it). */
#include <sys/epoll.h>
