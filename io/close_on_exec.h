#pragma once
// Marks a socket close-on-exec. Asio does not, so a child process (a test's runner, a user's
// hook) would inherit the socket: a server's listening socket would keep accepting after the
// server is gone, a client's connection would stay open. Used by the HTTP server and client.
#include <fcntl.h>

namespace lpbf {

inline void set_close_on_exec(int native_handle) {
  const int flags = ::fcntl(native_handle, F_GETFD);
  if (flags >= 0) ::fcntl(native_handle, F_SETFD, flags | FD_CLOEXEC);
}

}  // namespace lpbf
