/* qmpfloor: the fastest QMP client this machine runs, for RealQemuBenchmarks' floor. One thread, blocking read() and
 * write() on a Unix socket, no JSON parsing: it counts reply lines (QEMU ends every message with CRLF and writes no other
 * newline in compact output). It connects to the socket named on its command line, negotiates oob, then takes one job per
 * line on stdin and answers "ok" on stdout when the job is done:
 *   seq N        N query-status, one at a time
 *   window N W   N query-status, keeping W unanswered (QEMU reads ahead up to 8 in-band commands once oob is on)
 *   events N     N commands alternating cont and stop, each waited for with its event (RESUME or STOP): two lines
 *   usage        answers "ok" followed by this process's getrusage(): user and system CPU in microseconds, voluntary and
 *                involuntary context switches (for HostLoadMode's CPU-per-command figures)
 * Build: cc -O2 -o qmpfloor qmpfloor.c */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static const char query_status[] = "{\"execute\":\"query-status\"}";
static const char capabilities[] = "{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":[\"oob\"]}}";
static const char cont[] = "{\"execute\":\"cont\"}";
static const char stop[] = "{\"execute\":\"stop\"}";

static int fd;
static long surplus; /* lines read beyond what the last wait needed */
static char buffer[65536];
static char batch[64 * sizeof query_status];

static void fail(const char *what)
{
    perror(what);
    exit(1);
}

static void send_all(const char *data, size_t length)
{
    while (length > 0) {
        ssize_t written = write(fd, data, length);
        if (written < 0) {
            if (errno == EINTR)
                continue;
            fail("write");
        }
        data += written;
        length -= (size_t)written;
    }
}

/* One read(); returns how many lines ended in it. */
static long read_lines(void)
{
    ssize_t received;
    long lines = 0;
    do {
        received = read(fd, buffer, sizeof buffer);
    } while (received < 0 && errno == EINTR);
    if (received < 0)
        fail("read");
    if (received == 0) {
        fprintf(stderr, "qmpfloor: the server closed the connection\n");
        exit(1);
    }
    for (ssize_t i = 0; i < received; i++)
        lines += buffer[i] == '\n';
    return lines;
}

static void wait_lines(long wanted)
{
    while (surplus < wanted)
        surplus += read_lines();
    surplus -= wanted;
}

static void send_copies(long copies)
{
    size_t one = sizeof query_status - 1;
    for (long i = 0; i < copies; i++)
        memcpy(batch + i * one, query_status, one);
    send_all(batch, (size_t)copies * one);
}

int main(int argc, char **argv)
{
    struct sockaddr_un address = { .sun_family = AF_UNIX };
    char line[128];
    if (argc != 2 || strlen(argv[1]) >= sizeof address.sun_path) {
        fprintf(stderr, "usage: qmpfloor SOCKET\n");
        return 2;
    }
    strcpy(address.sun_path, argv[1]);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0)
        fail("socket");
    if (connect(fd, (struct sockaddr *)&address, sizeof address) < 0)
        fail("connect");
    wait_lines(1); /* greeting */
    send_all(capabilities, sizeof capabilities - 1);
    wait_lines(1);

    while (fgets(line, sizeof line, stdin)) {
        long count = 0, window = 0;
        if (sscanf(line, "seq %ld", &count) == 1) {
            for (long i = 0; i < count; i++) {
                send_all(query_status, sizeof query_status - 1);
                wait_lines(1);
            }
        } else if (sscanf(line, "window %ld %ld", &count, &window) == 2 && window > 0 && window <= 64) {
            long sent = count < window ? count : window, answered = surplus;
            surplus = 0;
            send_copies(sent);
            while (answered < count) {
                long lines = read_lines();
                long more = count - sent < lines ? count - sent : lines;
                answered += lines;
                if (more > 0) {
                    send_copies(more);
                    sent += more;
                }
            }
            surplus = answered - count;
        } else if (sscanf(line, "events %ld", &count) == 1) {
            for (long i = 0; i < count; i++) {
                if (i % 2 == 0)
                    send_all(cont, sizeof cont - 1);
                else
                    send_all(stop, sizeof stop - 1);
                wait_lines(2); /* the event (RESUME or STOP) and the return */
            }
        } else if (strncmp(line, "usage", 5) == 0) {
            struct rusage usage;
            if (getrusage(RUSAGE_SELF, &usage) < 0)
                fail("getrusage");
            printf("ok %ld %ld %ld %ld\n",
                (long)usage.ru_utime.tv_sec * 1000000L + (long)usage.ru_utime.tv_usec,
                (long)usage.ru_stime.tv_sec * 1000000L + (long)usage.ru_stime.tv_usec,
                usage.ru_nvcsw, usage.ru_nivcsw);
            fflush(stdout);
            continue;
        } else {
            fprintf(stderr, "qmpfloor: unknown job: %s", line);
            return 2;
        }
        fputs("ok\n", stdout);
        fflush(stdout);
    }
    return 0;
}
