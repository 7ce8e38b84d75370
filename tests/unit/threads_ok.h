/* pthread_create that fails on demand, for the whole unit-test binary
 * (threads_ok.c defines pthread_create: every call from labctl's objects
 * and the tests comes there). */
#ifndef LAB_TEST_THREADS_OK_H
#define LAB_TEST_THREADS_OK_H

/* From now on, only n more pthread_create calls succeed and the rest fail
 * with EAGAIN, as when a process reaches its thread limit; n < 0: no limit
 * (the default). */
void threads_ok(int n);

#endif
