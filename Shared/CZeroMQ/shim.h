#ifndef SWITCHBOARD_CZEROMQ_SHIM_H
#define SWITCHBOARD_CZEROMQ_SHIM_H
// libzmq's C API, from Debian's libzmq3-dev (libzmq 4.3.x).
#include <zmq.h>
#endif
