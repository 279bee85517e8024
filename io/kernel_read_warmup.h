#pragma once
// Makes the kernel read a buffer once, through this process's own user addresses.
//
// On the project's VMs (Firecracker, page-table isolation) the first time the kernel reads a user
// page, e.g. tcp_sendmsg copying a served batch into a socket, is several times slower than every
// later time; the page having been written from user space before does not help
// (../shared/PERF-NOTES.md). A challenger that served its dataset straight after building it paid
// that cost inside the first bench, which then ran at half the speed of the second. Passing the
// bytes through a pipe once, before listening, pays it outside any bench.
#include <cstddef>
#include <span>

namespace lpbf {

// Writes `bytes` into a pipe and discards them with splice (no copy back to user space).
// Returns false if the pipe could not be made or written (the warm-up is then skipped: it only
// affects speed).
bool read_once_in_kernel(std::span<const std::byte> bytes);

}  // namespace lpbf
