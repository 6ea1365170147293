/*
 * The C library's own push/pull rate, for ZmqPushPullBench: the same pattern as libzmq's perf/local_thr and
 * perf/remote_thr (one zmq_msg_t per message, default high-water marks), in one file.
 *
 *   zmqperf pull ADDRESS COUNT SIZE   binds a pull socket, prints READY, receives COUNT messages, prints
 *                                     "RATE steady whole" in msgs/s: steady from message COUNT/2 to the
 *                                     last, whole from the first message to the last
 *   zmqperf push ADDRESS COUNT SIZE   connects a push socket, sends COUNT messages of SIZE bytes, then stays
 *                                     connected until stdin ends
 *
 * Built by the benchmark with gcc against libzmq.so.5; declares the few prototypes it needs itself, so that only
 * the runtime package (libzmq5) is needed, not the headers (libzmq3-dev).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct { unsigned char opaque[64] __attribute__((aligned(8))); } zmq_msg_t;
void *zmq_ctx_new(void);
int zmq_ctx_term(void *context);
void *zmq_socket(void *context, int type);
int zmq_close(void *socket);
int zmq_bind(void *socket, const char *endpoint);
int zmq_connect(void *socket, const char *endpoint);
int zmq_msg_init(zmq_msg_t *msg);
int zmq_msg_init_size(zmq_msg_t *msg, size_t size);
void *zmq_msg_data(zmq_msg_t *msg);
int zmq_msg_send(zmq_msg_t *msg, void *socket, int flags);
int zmq_msg_recv(zmq_msg_t *msg, void *socket, int flags);
int zmq_msg_close(zmq_msg_t *msg);
int zmq_errno(void);
const char *zmq_strerror(int errnum);

#define ZMQ_PULL 7
#define ZMQ_PUSH 8

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: zmqperf pull|push ADDRESS COUNT SIZE\n");
        return 2;
    }
    const int pull = strcmp(argv[1], "pull") == 0;
    const char *address = argv[2];
    const long count = atol(argv[3]);
    const size_t size = (size_t) atol(argv[4]);
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, pull ? ZMQ_PULL : ZMQ_PUSH);
    if ((pull ? zmq_bind(s, address) : zmq_connect(s, address)) != 0) {
        fprintf(stderr, "%s %s: %s\n", pull ? "bind" : "connect", address, zmq_strerror(zmq_errno()));
        return 1;
    }
    zmq_msg_t msg;
    if (pull) {
        printf("READY\n");
        fflush(stdout);
        double first = 0;
        double middle = 0;
        const long half = count / 2;
        zmq_msg_init(&msg);
        for (long i = 0; i < count; i++) {
            if (zmq_msg_recv(&msg, s, 0) < 0) {
                fprintf(stderr, "recv: %s\n", zmq_strerror(zmq_errno()));
                return 1;
            }
            if (i == 0) {
                first = now();
            } else if (i == half) {
                middle = now();
            }
        }
        const double end = now();
        zmq_msg_close(&msg);
        printf("RATE %.0f %.0f\n", (count - 1 - half) / (end - middle), (count - 1) / (end - first));
    } else {
        for (long i = 0; i < count; i++) {
            zmq_msg_init_size(&msg, size);
            memset(zmq_msg_data(&msg), (int) i, size < 8 ? size : 8);
            if (zmq_msg_send(&msg, s, 0) < 0) {
                fprintf(stderr, "send: %s\n", zmq_strerror(zmq_errno()));
                return 1;
            }
        }
        /* Stay connected until the receiver has everything (the benchmark then closes our stdin): libzmq 4.3.4
         * can lose the last messages when the sender disconnects while the receiver is at its high-water mark
         * (zeromq/libzmq#4660). */
        while (getchar() != EOF) {
        }
    }
    zmq_close(s);
    zmq_ctx_term(ctx);
    return 0;
}
